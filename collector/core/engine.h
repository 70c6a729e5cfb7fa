/*
 * engine.h - the state engine: pure logic, no I/O.
 *
 * Results and the clock go in; regional states, check verdicts, component
 * statuses and transitions come out (ARCHITECTURE.md "Check results and
 * state derivation"). Time is always passed in by the caller (unix ms), so
 * tests drive it with a simulated clock.
 *
 * Ownership: engine_new() copies everything it needs from the config;
 * the caller may free the config afterwards. Not thread-safe: one loop.
 */
#ifndef PH_ENGINE_H
#define PH_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "depends.h"

#define ENGINE_REASON_MAX 512

/* Regional state per (check, region). NODATA = no result yet. */
enum rstate {
    RSTATE_NODATA = 0,
    RSTATE_UP,
    RSTATE_DEGRADED,
    RSTATE_DOWN,
    RSTATE_STALE,
};

/* Check verdict across regions. */
enum verdict {
    VERDICT_UNKNOWN = 0,   /* fewer fresh regions than quorum */
    VERDICT_UP,
    VERDICT_DEGRADED,
    VERDICT_DOWN_PARTIAL,
    VERDICT_DOWN_MAJOR,
};

/* Component status, in Statuspage terms. Ordered by severity except
 * MAINTENANCE, which is a precedence layer, not a severity. */
enum comp_status {
    COMP_OPERATIONAL = 0,
    COMP_DEGRADED,
    COMP_PARTIAL,
    COMP_MAJOR,
    COMP_MAINTENANCE,
};

/* Where a component status came from. */
enum status_source {
    SOURCE_PROBE = 0,
    SOURCE_MANUAL,
    SOURCE_ALERT,
    SOURCE_MAINTENANCE,
};

struct engine_region_conf {
    const char *id;
};

struct engine_component_conf {
    const char *id;
    const int *depends_on;     /* indices of the components it needs */
    size_t ndepends;
};

struct engine_check_conf {
    const char *id;
    int component;             /* index into components */
    uint32_t interval_ms;
    uint32_t timeout_ms;
    uint32_t fail_after;       /* 0 = default 2 */
    uint32_t recover_after;    /* 0 = default 2 */
    uint32_t quorum;           /* absolute; 0 = use quorum_pct */
    uint32_t quorum_pct;       /* 0 = majority of assigned regions */
    const int *regions;        /* indices of assigned regions */
    size_t nregions;           /* 0 = all regions */
    enum check_minority minority;
    enum check_impact impact;
};

struct engine_conf {
    const struct engine_region_conf *regions;
    size_t nregions;
    const struct engine_component_conf *components;
    size_t ncomponents;
    const struct engine_check_conf *checks;
    size_t nchecks;
    struct mass_failure_rule mass_failure; /* share 0 = off */
};

struct engine_transition {
    int component;
    enum comp_status old_status;
    enum comp_status new_status;
    enum status_source source;
    int64_t at_ms;
    /* The dependency (component index) the new status is attributed to,
     * and the one the outage that ends or changes was (at any time during
     * it); -1 for none. A component is "affected by" a dependency while
     * both are in an outage. */
    int affected_by;
    int was_affected_by;
    char reason[ENGINE_REASON_MAX]; /* "api-http down in eu-west, us-east since ..." */
};

typedef void (*engine_transition_cb)(const struct engine_transition *t,
                                     void *arg);

/* Per (check, region) view, for regions.json. */
struct engine_region_info {
    enum rstate state;
    enum outcome last_outcome;  /* 0 when no result */
    int64_t last_at_ms;         /* time of the last result */
    int64_t since_ms;           /* time the current state began */
    uint32_t last_latency_ms;
    char last_error[CHECK_ERROR_MAX];
};

struct engine;

/* Returns a new engine with every component operational and every region
 * NODATA, or NULL on bad config or out of memory. */
struct engine *engine_new(const struct engine_conf *conf, int64_t now_ms);
/* Accepts NULL. */
void engine_destroy(struct engine *e);
/* Returns a new engine equal to e in every state and count (free with
 * engine_destroy()), or NULL out of memory. The feed renders from such a
 * copy on another thread while the loop goes on feeding e. */
struct engine *engine_clone(const struct engine *e);

/*
 * Feeds one result of check (index) from region (index). Results older
 * than the last one seen for that pair are ignored (backfill arrives in
 * order per agent). Returns 0 or PH_EINVAL for a bad index.
 * Status is re-derived by engine_tick(), not here.
 */
int engine_result(struct engine *e, int check, int region,
                  const struct check_result *r);

/* Re-derives everything at now_ms (staleness, verdicts, precedence,
 * override expiry) and calls cb once per component whose status changed. */
void engine_tick(struct engine *e, int64_t now_ms, engine_transition_cb cb,
                 void *arg);

/* The wall clock stepped by delta_ms (the driver compares it with the
 * monotonic clock): moves every pair's last result and state times by as
 * much, so a step forward does not age every region into STALE at once
 * and a step back does not make new results look older than the last.
 * Manual override expiries are dates and stay. */
void engine_shift_time(struct engine *e, int64_t delta_ms);

/* Precedence layers; take effect at the next engine_tick(). */
void engine_set_maintenance(struct engine *e, int component, int active);
/* status COMP_*; expires_ms 0 = until cleared. */
void engine_set_override(struct engine *e, int component,
                         enum comp_status status, int64_t expires_ms);
void engine_clear_override(struct engine *e, int component);
/* Alert-driven status; COMP_OPERATIONAL clears it. */
void engine_set_alert(struct engine *e, int component,
                      enum comp_status status);
/* What the alert status rests on (e.g. the alert groups), copied into
 * the reason of the transitions it causes; truncated to fit. */
void engine_set_alert_reason(struct engine *e, int component,
                             const char *reason);

/* Seeds a component after a restart or a takeover: its probe-derived
 * status and the effective status last published, so a restart does
 * not replay transitions. since_ms: when that status was reached (0:
 * unknown); results of the component's checks that started before it
 * are ignored: the status already accounts for them, and an agent's
 * spool replayed to a new leader must not take the page back to what
 * it showed before (an outage's start seen by the old leader, then
 * "operational" from older results, then the outage again). */
void engine_restore(struct engine *e, int component, enum comp_status probe,
                    enum comp_status effective, int64_t since_ms);

/* Queries. */
enum comp_status engine_component_status(const struct engine *e,
                                         int component);
/* Probe-derived part only, and whether the component's evidence is
 * insufficient (some check UNKNOWN). */
enum comp_status engine_component_probe(const struct engine *e,
                                        int component);
int engine_component_unknown(const struct engine *e, int component);
enum verdict engine_check_verdict(const struct engine *e, int check);
/* Number of regions in DOWN state for a check with a minority failure
 * (0 < d < quorum, as of the last tick); 0 otherwise. */
int engine_check_minority(const struct engine *e, int check);
/* Fills ret for (check, region); returns 0 or PH_EINVAL. */
int engine_region_info(const struct engine *e, int check, int region,
                       struct engine_region_info *ret);
/* 1 if region is assigned to check. */
int engine_check_has_region(const struct engine *e, int check, int region);
/* The dependency component's outage is attributed to (as of the last
 * tick), or -1. */
int engine_component_affected_by(const struct engine *e, int component);
/* 1 while region is in a mass failure (mass_failure rule): its results
 * are kept and shown but count for no verdict. */
int engine_region_suspect(const struct engine *e, int region);
/* When the current suspicion of region began (0 when not suspect), and
 * whether the last tick changed it (for the driver's log line). */
int64_t engine_region_suspect_since(const struct engine *e, int region);
int engine_region_suspect_changed(const struct engine *e, int region);
/* Checks down and checks reporting in region at the last tick. */
void engine_region_counts(const struct engine *e, int region,
                          uint32_t *failing, uint32_t *total);
/* Number of suspect regions (for pharos_regions_mass_failure). */
size_t engine_suspect_regions(const struct engine *e);
/* Count of checks currently UNKNOWN (for pharos_check_quorum_lost). */
size_t engine_quorum_lost(const struct engine *e);

const char *comp_status_name(enum comp_status s);  /* "major_outage" */
int comp_status_parse(const char *s);              /* -1 if unknown */
const char *rstate_name(enum rstate s);            /* "down" */
const char *verdict_name(enum verdict v);          /* "down_partial" */
const char *status_source_name(enum status_source s); /* "probe" */

#endif
