/*
 * hooks.h - incidents driven by PagerDuty and Opsgenie: one parsed event
 * (hook.h) applied to the store and the incidents. The replay check, the
 * link of the tool's incident to a Pharos incident, the decision
 * (hook_decide) and the incident change happen here; parsing, signatures
 * and tokens are the HTTP handlers' (intake_pagerduty.c,
 * intake_opsgenie.c).
 *
 * Runs on the collector's loop. Incident changes go through incidents.c
 * (store first, then memory), so component statuses an incident sets
 * become overrides and resolving it hands the components back to the
 * probes.
 */
#ifndef PH_HOOKS_H
#define PH_HOOKS_H

#include "hook.h"
#include "hub.h"
#include "incident.h"

enum hooks_result {
    HOOKS_APPLIED = 0,   /* the event changed something */
    HOOKS_IGNORED,       /* accepted, nothing to do (reason in why) */
    HOOKS_DUPLICATE,     /* its event id was seen already */
    HOOKS_FAILED,        /* store or incident error (message in why) */
    HOOKS_RESULT_COUNT_
};

struct hooks_outcome {
    enum hooks_result result;
    char incident_id[INC_ID_LEN + 1]; /* the linked incident, or "" */
    char why[200];
};

enum hooks_source { HOOKS_PAGERDUTY = 0, HOOKS_OPSGENIE, HOOKS_SOURCE_COUNT_ };

/*
 * Applies ev (borrowed) from source with the rules of pharos.yml (h->conf)
 * on behalf of who. keep_ms is how long its event id is remembered.
 * Fills *ret; returns 0, or PH_EDB / PH_ENOMEM (then ret->result is
 * HOOKS_FAILED and nothing was recorded, so a retry is applied).
 */
int hooks_apply(struct hub *h, enum hooks_source source,
                const struct hook_event *ev, const char *who,
                int64_t keep_ms, struct hooks_outcome *ret);

/* "pagerduty" or "opsgenie". */
const char *hooks_source_name(enum hooks_source s);

#endif
