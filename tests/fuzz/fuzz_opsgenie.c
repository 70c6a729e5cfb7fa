/*
 * fuzz_opsgenie.c - libFuzzer target for the Opsgenie webhook parser
 * (core/opsgenie_map.c): any body must parse or say why, never crash or
 * leak; a parsed event respects the caps and always has a replay key,
 * and its rule match and decision (hook.c) are stable.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hook.h"
#include "opsgenie_map.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const comps[] = {"db"};
static const struct hook_rule rules[] = {
    {.tag = "tag1", .components = comps, .ncomponents = 1, .status = 2,
     .publish = 1, .identify_on_ack = 1, .public_notes = 1},
    {.team = "team1", .entity = "db", .components = comps, .ncomponents = 1,
     .status = -1},
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hook_doc d;
    struct hook_plan a, b;
    char err[200];
    int idx;

    if (opsgenie_parse((const char *)data, size, &d, err, sizeof(err)) != 0) {
        if (err[0] == '\0') {
            __builtin_trap(); /* every refusal says why */
        }
        return 0;
    }
    if (d.ev.event_id == NULL || d.ev.external_id == NULL ||
        d.ev.ntags > HOOK_TAGS_MAX || d.ev.nteams > HOOK_TAGS_MAX ||
        strlen(d.ev.title) > HOOK_TITLE_MAX ||
        (d.ev.note != NULL && strlen(d.ev.note) > HOOK_NOTE_MAX)) {
        __builtin_trap();
    }
    idx = hook_match(rules, 2, &d.ev);
    if (idx != hook_match(rules, 2, &d.ev)) {
        __builtin_trap();
    }
    hook_decide(idx >= 0 ? &rules[idx] : NULL, &d.ev, HOOK_LINK_OPEN, 0, &a);
    hook_decide(idx >= 0 ? &rules[idx] : NULL, &d.ev, HOOK_LINK_OPEN, 0, &b);
    if (a.what != b.what || a.next != b.next) {
        __builtin_trap();
    }
    hook_doc_free(&d);
    return 0;
}
