/*
 * hook.c - rules and decisions for incidents driven by PagerDuty and
 * Opsgenie (see hook.h).
 */
#include "hook.h"

#include <string.h>

#include "engine.h"
#include "incident.h"
#include "json.h"

#define TEXT_INVESTIGATING "We are investigating this issue."
#define TEXT_IDENTIFIED \
    "The issue has been identified and a fix is being worked on."
#define TEXT_RESOLVED "This incident has been resolved."

void
hook_doc_free(struct hook_doc *d)
{
    if (d->doc != NULL) {
        json_decref((json_t *)d->doc);
    }
    memset(d, 0, sizeof(*d));
}

static int
eq(const char *want, const char *have)
{
    return want == NULL || (have != NULL && strcmp(want, have) == 0);
}

static int
among(const char *want, const char *const *have, size_t n)
{
    if (want == NULL) {
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(want, have[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

int
hook_match(const struct hook_rule *rules, size_t n,
           const struct hook_event *ev)
{
    for (size_t i = 0; i < n; i++) {
        const struct hook_rule *r = &rules[i];

        if (eq(r->service_id, ev->service_id) && eq(r->service, ev->service) &&
            eq(r->priority, ev->priority) && eq(r->urgency, ev->urgency) &&
            eq(r->entity, ev->entity) &&
            among(r->tag, ev->tags, ev->ntags) &&
            among(r->team, ev->teams, ev->nteams)) {
            return (int)i;
        }
    }
    return -1;
}

static unsigned
rule_flags(const struct hook_rule *r)
{
    return (r->identify_on_ack ? HOOK_FLAG_IDENTIFY : 0) |
           (r->public_notes ? HOOK_FLAG_PUBLIC_NOTES : 0);
}

/* A new incident from rule r; acked opens it as identified when the
 * rule says so (the acknowledgement came first). */
static void
plan_create(const struct hook_rule *r, const struct hook_event *ev,
            int acked, struct hook_plan *p)
{
    int identify = acked && r->identify_on_ack;

    p->what = HOOK_DO_CREATE;
    p->inc_status = identify ? INC_IDENTIFIED : INC_INVESTIGATING;
    p->comp_status = r->status;
    p->draft = !r->publish;
    p->name = r->name != NULL ? r->name : ev->title;
    p->body = r->body != NULL ? r->body
              : identify      ? TEXT_IDENTIFIED
                              : TEXT_INVESTIGATING;
    p->next = acked ? HOOK_LINK_ACKED : HOOK_LINK_OPEN;
    p->flags = rule_flags(r);
    p->why = "opened";
}

void
hook_decide(const struct hook_rule *rule, const struct hook_event *ev,
            enum hook_link_state cur, unsigned flags,
            struct hook_plan *ret)
{
    struct hook_plan *p = ret;

    memset(p, 0, sizeof(*p));
    p->what = HOOK_DO_NOTHING;
    p->inc_status = -1;
    p->comp_status = -1;
    p->next = cur;
    p->flags = flags;
    if (ev->action == HOOK_OTHER) {
        p->why = "event type not used";
        return;
    }
    if (cur == HOOK_LINK_RESOLVED) {
        p->why = ev->action == HOOK_RESOLVE ? "already resolved"
                                            : "incident already resolved";
        return;
    }
    if (cur == HOOK_LINK_NONE) {
        switch (ev->action) {
        case HOOK_RESOLVE:
            /* Resolved before anything opened it (out of order, or it
             * never matched): remember, so late events open nothing. */
            p->next = HOOK_LINK_RESOLVED;
            p->why = "resolved before it was opened";
            return;
        case HOOK_NOTE:
            p->why = "note on an incident that is not linked";
            return;
        default:
            break;
        }
        if (rule == NULL) {
            p->why = "no rule matches";
            return;
        }
        plan_create(rule, ev, ev->action == HOOK_ACK, p);
        return;
    }
    /* Linked and open. */
    switch (ev->action) {
    case HOOK_OPEN:
        p->why = "already open";
        return;
    case HOOK_ACK:
        p->next = HOOK_LINK_ACKED;
        if (cur == HOOK_LINK_OPEN && (flags & HOOK_FLAG_IDENTIFY)) {
            p->what = HOOK_DO_UPDATE;
            p->inc_status = INC_IDENTIFIED;
            p->body = TEXT_IDENTIFIED;
            p->why = "identified";
        } else {
            p->why = "acknowledged";
        }
        return;
    case HOOK_NOTE:
        if (!(flags & HOOK_FLAG_PUBLIC_NOTES)) {
            p->why = "note kept internal";
            return;
        }
        if (ev->note == NULL || ev->note[0] == '\0') {
            p->why = "empty note";
            return;
        }
        p->what = HOOK_DO_UPDATE;
        p->body = ev->note;
        p->why = "note published";
        return;
    case HOOK_PRIORITY:
        if (rule == NULL || rule->status < 0) {
            p->why = "priority changed; no rule sets a status for it";
            return;
        }
        p->what = HOOK_DO_UPDATE;
        p->comp_status = rule->status;
        p->why = "priority changed";
        return;
    case HOOK_RESOLVE:
        p->what = HOOK_DO_UPDATE;
        p->inc_status = INC_RESOLVED;
        p->comp_status = COMP_OPERATIONAL;
        p->body = TEXT_RESOLVED;
        p->next = HOOK_LINK_RESOLVED;
        p->why = "resolved";
        return;
    default:
        p->why = "event type not used";
        return;
    }
}
