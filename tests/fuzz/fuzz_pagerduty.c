/*
 * fuzz_pagerduty.c - libFuzzer target for the PagerDuty V3 webhook parser
 * and signature check (core/pagerduty_map.c): any body must parse or say
 * why, never crash or leak; a parsed event respects the caps, and its
 * decision (hook.c) is the same when repeated. The first bytes up to a
 * newline also go through the X-PagerDuty-Signature check as a header.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hook.h"
#include "pagerduty_map.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const comps[] = {"api"};
static const struct hook_rule rules[] = {
    {.service_id = "PF9KMXH", .priority = "P1", .components = comps,
     .ncomponents = 1, .status = 3, .publish = 1, .identify_on_ack = 1,
     .public_notes = 1},
    {.urgency = "low", .components = comps, .ncomponents = 1, .status = -1},
};

static void
check(const struct hook_event *ev)
{
    struct hook_plan a, b;
    int idx;

    if (ev->event_id == NULL || strlen(ev->event_id) > HOOK_ID_MAX ||
        (ev->title != NULL && strlen(ev->title) > HOOK_TITLE_MAX) ||
        (ev->note != NULL && strlen(ev->note) > HOOK_NOTE_MAX) ||
        (ev->url != NULL && strlen(ev->url) > HOOK_URL_MAX)) {
        __builtin_trap();
    }
    idx = hook_match(rules, 2, ev);
    for (int st = HOOK_LINK_NONE; st <= HOOK_LINK_RESOLVED; st++) {
        hook_decide(idx >= 0 ? &rules[idx] : NULL, ev,
                    (enum hook_link_state)st, HOOK_FLAG_PUBLIC_NOTES, &a);
        hook_decide(idx >= 0 ? &rules[idx] : NULL, ev,
                    (enum hook_link_state)st, HOOK_FLAG_PUBLIC_NOTES, &b);
        if (a.what != b.what || a.next != b.next ||
            (st == HOOK_LINK_RESOLVED && a.what != HOOK_DO_NOTHING)) {
            __builtin_trap(); /* a resolved link never changes */
        }
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const secrets[] = {"fuzz-secret-0123456789",
                                          "another-secret-abcdef"};
    const uint8_t *nl = memchr(data, '\n', size);
    struct hook_doc d;
    char err[PAGERDUTY_ERR_MAX];

    if (nl != NULL && (size_t)(nl - data) < 4096) {
        char header[4096];
        size_t hl = (size_t)(nl - data);

        memcpy(header, data, hl);
        header[hl] = '\0';
        (void)pagerduty_verify(header, nl + 1, size - hl - 1, secrets, 2);
    }
    if (pagerduty_parse((const char *)data, size, &d, err, sizeof(err)) ==
        0) {
        check(&d.ev);
        hook_doc_free(&d);
    } else if (err[0] == '\0') {
        __builtin_trap(); /* every refusal says why */
    }
    return 0;
}
