/*
 * sched.h - runs every check of the plan on its interval, with jitter.
 *
 * One uv_timer drives every check (a heap of due times), waking on 10 ms
 * boundaries (a run starts at most 10 ms after its slot; the checks due
 * within one tick start together); the first run of a new check is
 * placed at a pseudo-random offset within its interval (stable per check
 * id), so 10,000 checks never fire at once. sched_apply_plan() diffs the new plan
 * against the running one: unchanged checks keep their timers and phase,
 * changed ones are restarted, removed ones are cancelled.
 * A check is never run twice concurrently: if a run is still in flight
 * when the timer fires, that tick is skipped.
 * Fast confirmation: a result whose outcome differs from the settled one
 * is re-probed every confirm_after (a one-shot due time per check) until
 * fail_after or recover_after results in a row decide, then the check is
 * back on its grid only. Results say why they ran (struct check_result
 * .kind).
 * The grid is on the wall clock, shifted by the plan's per-region
 * offset, so the regions of a check take turns over its interval.
 * A check with `watch` holds a connection to its target (watch.h) and
 * runs at once when the target stops accepting connections or accepts
 * again.
 * Loop thread only.
 */
#ifndef PH_SCHED_H
#define PH_SCHED_H

#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "probe.h"

struct sched;

/* The extra probes (issue #20), since start. */
struct sched_stats {
    uint64_t confirms;          /* confirmation re-probes started */
    uint64_t rechecks;          /* re-checks run for the collector */
    uint64_t rechecks_skipped;  /* asked while already probing */
    uint64_t watch_runs;        /* runs started by a watched connection */
    uint64_t watch_skipped;     /* watch events during a confirmation */
};

/* Called for every finished run; r is borrowed. */
typedef void (*sched_result_cb)(const struct check_result *r, void *arg);
typedef void (*sched_closed_cb)(void *arg);

/* Returns new, or NULL. env is borrowed and must outlive the scheduler. */
struct sched *sched_new(const struct probe_env *env, sched_result_cb cb,
                        void *arg);
/* Replaces the plan; copies checks. Returns 0, PH_ENOMEM (then the old
 * plan keeps running) or PH_EINVAL (bad check). */
int sched_apply_plan(struct sched *s, const struct check *checks, size_t n);
/* Same, but takes the checks it schedules (moved out of checks[], which
 * are left zeroed); the caller still frees the array and what was not
 * taken. Saves a copy of every check of a large plan. */
int sched_apply_plan_take(struct sched *s, struct check *checks, size_t n);
size_t sched_count(const struct sched *s);
/* The first-run offset of check id within its interval (pure). */
uint32_t sched_phase(const char *id, uint32_t interval_ms);
/* Delay from now_ms (wall clock, unix ms) to the check's next slot on
 * its grid: the id's phase plus this region's offset (from the plan). */
uint64_t sched_first_delay(const char *id, uint32_t interval_ms,
                           uint32_t offset_ms, uint64_t now_ms);
/* For each new check: 0 keep (unchanged), 1 changed, 2 added. ret_actions
 * has nnew entries. Pure. Returns 0. */
int sched_diff(const struct check *old, size_t nold, const struct check *new_,
               size_t nnew, int *ret_actions);
/* The collector asks for a run of check id now (a re-check, issue #20).
 * Ignored (and counted) while the check is running or confirming, or
 * within a second of the last re-check. Returns 0, PH_ENOENT for a
 * check not in the plan, or PH_ENOMEM. */
int sched_recheck(struct sched *s, const char *id);
/* Runs check id now as if its interval had come (unless it is running);
 * for `pharos-agent once --watch`. Returns 0 or PH_ENOENT. */
int sched_run_now(struct sched *s, const char *id);
void sched_get_stats(const struct sched *s, struct sched_stats *ret);
/* Cancels all runs, closes timers, frees s, then calls cb(arg). */
void sched_close(struct sched *s, sched_closed_cb cb, void *arg);

#endif
