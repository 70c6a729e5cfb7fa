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
 * One event applied in four steps, so that its store work runs off the
 * loop (collector/api/deferred.h): hooks_read() (any thread: the replay
 * check and the link), hooks_decide() (loop: the rules of pharos.yml,
 * the decision, the incident change prepared), hooks_write() (any
 * thread: the incident, the link, the audit entry, the event id), then
 * hooks_finish() (loop: the incident change made visible, the log).
 * Each loop step gets the result of the step before. A failed step
 * returns PH_E* with the outcome HOOKS_FAILED; nothing is recorded then
 * before the incident is stored, so a retry is applied.
 *
 * hooks_job_new() takes d (heap, freed with it) and copies who; keep_ms
 * is how long the event id is remembered. Returns NULL without memory
 * (d stays the caller's).
 */
struct hooks_job;
struct hook_doc;
struct store;
struct hooks_job *hooks_job_new(enum hooks_source source,
                                struct hook_doc *d, const char *who,
                                int64_t keep_ms);
int hooks_read(struct store *db, struct hooks_job *j);
int hooks_decide(struct hub *h, struct hooks_job *j, int result);
int hooks_write(struct store *db, struct hooks_job *j);
int hooks_finish(struct hub *h, struct hooks_job *j, int result);
/* The outcome so far (the reply's status and reason). */
const struct hooks_outcome *hooks_job_outcome(const struct hooks_job *j);
/* Accepts NULL. */
void hooks_job_free(struct hooks_job *j);

/* "pagerduty" or "opsgenie". */
const char *hooks_source_name(enum hooks_source s);

#endif
