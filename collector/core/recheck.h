/*
 * recheck.h - cross-region re-checks (issue #20): pure logic, no I/O.
 *
 * When one region reports a check newly failing (or newly recovering),
 * the collector asks every other region assigned to that check to probe
 * it now. The request rides on the Ack of that region's next batch or
 * heartbeat (ingest.c), so agents need no listening port.
 *
 * recheck_decide() is the decision, a pure function of the per-region
 * view the engine keeps. struct recheck is the small table the ingest
 * path keeps around it: per (check, region) the time of the last request
 * (the rate limit: at most one request per window, so a flapping target
 * cannot make agents probe in a loop) and whether one waits for that
 * region's next ack; per check, counters for /metrics.
 *
 * Ownership: recheck_new() returns new; recheck_destroy() accepts NULL.
 * Time is passed in. Not thread-safe: the loop thread only.
 */
#ifndef PH_RECHECK_H
#define PH_RECHECK_H

#include <stddef.h>
#include <stdint.h>

#include "check.h"

/* What the decision needs to know of one region for one check. */
struct recheck_region {
    int assigned;              /* the region runs the check */
    int fresh;                 /* has results, not stale */
    enum outcome last;         /* its last outcome; 0 = none */
    int64_t last_request_ms;   /* last re-check asked of it; 0 = never */
};

/*
 * A result of outcome `now` (why it ran: kind) arrived from region
 * `from`, whose previous outcome was `prev` (0 = none). If it is a change
 * between up and not up (newly failing or newly recovering) seen by a
 * scheduled or confirmation probe, every other assigned, fresh region
 * whose last outcome differs, and which was not asked within window_ms,
 * is listed in ret_regions (room for nregions). Re-check results never
 * cause re-checks. Returns how many were listed.
 */
size_t recheck_decide(const struct recheck_region *regions, size_t nregions,
                      size_t from, enum outcome prev, enum outcome now,
                      unsigned kind, int64_t now_ms, uint32_t window_ms,
                      size_t *ret_regions);

struct recheck;

struct recheck *recheck_new(size_t nchecks, size_t nregions);
void recheck_destroy(struct recheck *rc);
size_t recheck_nchecks(const struct recheck *rc);
size_t recheck_nregions(const struct recheck *rc);
int64_t recheck_last_request(const struct recheck *rc, size_t check,
                             size_t region);
/* Marks a request for (check, region) made at now_ms; counted. */
void recheck_request(struct recheck *rc, size_t check, size_t region,
                     int64_t now_ms);
/* Moves up to max pending requests of region into ret_checks (check
 * indices) and clears them; requests older than max_age_ms are dropped
 * (the region did not call in time: its scheduled run will do). Returns
 * how many; each is counted as sent. */
size_t recheck_take(struct recheck *rc, size_t region, int64_t now_ms,
                    uint32_t max_age_ms, size_t *ret_checks, size_t max);
/* Counts a result of check by its kind (enum probe_kind). */
void recheck_count_result(struct recheck *rc, size_t check, unsigned kind);

struct recheck_counts {
    uint64_t requested;        /* re-checks decided */
    uint64_t sent;             /* re-checks handed to an agent in an ack */
    uint64_t expired;          /* never picked up in time */
    uint64_t confirm_results;  /* results of confirmation probes */
    uint64_t recheck_results;  /* results of re-check probes */
    uint64_t watch_results;    /* results of probes started by a lost (or
                                * regained) watched connection */
};
/* Counters of check since the table was made (start or reload). */
void recheck_counts(const struct recheck *rc, size_t check,
                    struct recheck_counts *ret);

#endif
