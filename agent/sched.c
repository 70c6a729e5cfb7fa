/*
 * sched.c - every check on a fixed grid: times t where (t - phase) is a
 * multiple of its interval, with the phase a hash of the check id. So
 * starts are spread over the interval, stable across plan updates and
 * restarts, and unchanged checks keep their rhythm when the plan changes
 * around them.
 *
 * One uv_timer for the whole plan: the checks sit in a binary min-heap
 * ordered by the earliest of their due times (the grid's next slot, a
 * pending confirmation, a held watch run), and the timer is armed for
 * the top. A uv_timer_t is 152 bytes and a check used three; with
 * 10,000 checks that was most of the agent's private memory (issue #15).
 */
#include "sched.h"

#include <stdint.h>
#include <string.h>

#include "log.h"
#include "mem.h"
#include "ph_err.h"
#include "watch.h"

#define NOT_IN_HEAP UINT32_MAX

struct entry {
    struct check check;       /* our own copy; borrowed by the run */
    /* Due times on the loop's clock (uv_now); 0 = not due. */
    uint64_t due_grid;        /* the next slot on the grid */
    uint64_t due_confirm;     /* one-shot: the next confirmation */
    uint64_t due_watch;       /* one-shot: a watch run held by the gap */
    uint32_t heap_idx;        /* in s->heap, or NOT_IN_HEAP */
    struct sched *s;
    struct probe_run *run;    /* in flight, or NULL */
    uint8_t run_kind;         /* enum probe_kind of the run in flight */
    /* Fast confirmation (see track()). */
    enum outcome settled;     /* the outcome results have established */
    enum outcome candidate;   /* the changed outcome being confirmed */
    uint32_t streak;          /* results in a row equal to candidate */
    uint32_t seq_probes;      /* confirmations in this sequence */
    int confirming;
    uint64_t last_recheck_ms; /* loop time of the last re-check run */
    uint64_t last_watch_ms;   /* loop time of the last watch-started run */
    struct watch *watch;      /* check key `watch`, or NULL */
    int watch_pending;        /* a watch event came during a run */
    struct entry *next;
    size_t moved_from;        /* index in a taken plan (apply only) */
};

struct sched {
    const struct probe_env *env;
    sched_result_cb cb;
    void *arg;
    struct entry *entries;
    size_t n;
    int closing;
    sched_closed_cb closed_cb;
    void *closed_arg;
    struct sched_stats stats;
    /* Every entry, a min-heap on due(); one timer armed for its top. */
    struct entry **heap;
    size_t heap_len;
    size_t heap_cap;
    uv_timer_t timer;
    int firing;               /* in on_sched_timer: it arms at its end */
};

uint32_t
sched_phase(const char *id, uint32_t interval_ms)
{
    uint64_t h = 1469598103934665603ULL;

    if (interval_ms == 0) {
        return 0;
    }
    for (const unsigned char *p = (const unsigned char *)id; *p; p++) {
        h ^= *p;
        h *= 1099511628211ULL;
    }
    /* Mix the high bits in: FNV's low bits are weak for short ids. */
    h ^= h >> 29;
    return (uint32_t)(h % interval_ms);
}

uint64_t
sched_first_delay(const char *id, uint32_t interval_ms, uint32_t offset_ms,
                  uint64_t now_ms)
{
    uint64_t phase =
        ((uint64_t)sched_phase(id, interval_ms) + offset_ms) % interval_ms;
    uint64_t pos = now_ms % interval_ms;

    return (phase + interval_ms - pos) % interval_ms;
}

struct sched *
sched_new(const struct probe_env *env, sched_result_cb cb, void *arg)
{
    struct sched *s = ph_calloc(1, sizeof(*s));

    if (s == NULL) {
        return NULL;
    }
    s->env = env;
    s->cb = cb;
    s->arg = arg;
    uv_timer_init(env->loop, &s->timer);
    s->timer.data = s;
    return s;
}

/* The earliest of e's due times, or UINT64_MAX when none is set. */
static uint64_t
due(const struct entry *e)
{
    uint64_t d = UINT64_MAX;

    if (e->due_grid != 0 && e->due_grid < d) {
        d = e->due_grid;
    }
    if (e->due_confirm != 0 && e->due_confirm < d) {
        d = e->due_confirm;
    }
    if (e->due_watch != 0 && e->due_watch < d) {
        d = e->due_watch;
    }
    return d;
}

static void
heap_set(struct sched *s, size_t i, struct entry *e)
{
    s->heap[i] = e;
    e->heap_idx = (uint32_t)i;
}

static void
sift_up(struct sched *s, size_t i)
{
    struct entry *e = s->heap[i];
    uint64_t d = due(e);

    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (due(s->heap[parent]) <= d) {
            break;
        }
        heap_set(s, i, s->heap[parent]);
        i = parent;
    }
    heap_set(s, i, e);
}

static void
sift_down(struct sched *s, size_t i)
{
    struct entry *e = s->heap[i];
    uint64_t d = due(e);

    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        uint64_t dm = d;

        if (l < s->heap_len && due(s->heap[l]) < dm) {
            m = l;
            dm = due(s->heap[l]);
        }
        if (r < s->heap_len && due(s->heap[r]) < dm) {
            m = r;
        }
        if (m == i) {
            break;
        }
        heap_set(s, i, s->heap[m]);
        i = m;
    }
    heap_set(s, i, e);
}

static void on_sched_timer(uv_timer_t *t);

/* Arms the one timer for the top of the heap (not while on_sched_timer
 * runs: it arms once at its end). */
static void
arm_timer(struct sched *s)
{
    uint64_t now, d;

    if (s->firing || s->closing) {
        return;
    }
    if (s->heap_len == 0 || (d = due(s->heap[0])) == UINT64_MAX) {
        uv_timer_stop(&s->timer);
        return;
    }
    now = uv_now(s->env->loop);
    uv_timer_start(&s->timer, on_sched_timer, d > now ? d - now : 0, 0);
}

/* e's due times changed: restore the heap and the timer. */
static void
resched(struct entry *e)
{
    struct sched *s = e->s;
    size_t i = e->heap_idx;

    if (i == NOT_IN_HEAP) {
        return;
    }
    sift_up(s, i);
    sift_down(s, e->heap_idx);
    arm_timer(s);
}

/* Sets a one-shot due time delay_ms from now (0 clears it). */
static void
set_due(struct entry *e, uint64_t *field, uint64_t delay_ms)
{
    *field = delay_ms == 0 ? 0 : uv_now(e->s->env->loop) + delay_ms;
    resched(e);
}

static int
heap_add(struct sched *s, struct entry *e)
{
    if (s->heap_len == s->heap_cap) {
        size_t cap = s->heap_cap ? s->heap_cap * 2 : 64;
        struct entry **h = ph_realloc(s->heap, cap * sizeof(*h));

        if (h == NULL) {
            return PH_ENOMEM;
        }
        s->heap = h;
        s->heap_cap = cap;
    }
    heap_set(s, s->heap_len++, e);
    sift_up(s, e->heap_idx);
    return 0;
}

static void
heap_remove(struct sched *s, struct entry *e)
{
    size_t i = e->heap_idx;
    struct entry *last;

    if (i == NOT_IN_HEAP) {
        return;
    }
    e->heap_idx = NOT_IN_HEAP;
    last = s->heap[--s->heap_len];
    if (last != e) {
        heap_set(s, i, last);
        sift_up(s, i);
        sift_down(s, last->heap_idx);
    }
}

/* Re-probes before a re-check request is honoured again, whatever the
 * collector asks: a flapping link cannot make us probe in a loop. */
#define RECHECK_MIN_GAP_MS 1000

static void start_run(struct entry *e, enum probe_kind kind);
static void watch_fire(struct entry *e);

static void
confirm_fire(struct entry *e)
{
    if (e->run != NULL || e->s->closing || !e->confirming) {
        /* A run in flight continues the sequence when it ends. */
        return;
    }
    e->seq_probes++;
    e->s->stats.confirms++;
    start_run(e, PROBE_CONFIRM);
}

static void
stop_confirming(struct entry *e)
{
    e->confirming = 0;
    e->streak = 0;
    e->seq_probes = 0;
    set_due(e, &e->due_confirm, 0);
}

/*
 * Fast confirmation (issue #20). A result whose outcome differs from
 * the settled one starts a sequence: the check is probed again every
 * confirm_after until as many results in a row as the collector needs
 * (fail_after for a failure, recover_after for a recovery) agree, or a
 * result returns to the settled outcome (a glitch), or the sequence has
 * run that many confirmations (a target flipping between two failures).
 * The interval's own runs go on meanwhile and count the same way. The
 * first result compares with "up".
 */
static void
track(struct entry *e, enum outcome o)
{
    const struct check *c = &e->check;
    uint32_t need;

    if (e->settled == 0) {
        e->settled = OUTCOME_UP;
    }
    if (c->confirm_after_ms == 0) {
        e->settled = o;
        return;
    }
    if (o == e->settled) {
        stop_confirming(e);
        return;
    }
    if (e->confirming && o == e->candidate) {
        e->streak++;
    } else {
        if (!e->confirming) {
            e->seq_probes = 0;
        }
        e->confirming = 1;
        e->candidate = o;
        e->streak = 1;
    }
    need = o == OUTCOME_UP ? c->recover_after : c->fail_after;
    if (need == 0) {
        need = 2;
    }
    if (e->streak >= need) {
        e->settled = o;
        stop_confirming(e);
        return;
    }
    if (e->seq_probes >= need) {
        stop_confirming(e);
        return;
    }
    set_due(e, &e->due_confirm, c->confirm_after_ms);
}

static void
on_run_done(const struct check *c, const struct check_result *r, void *arg)
{
    struct entry *e = arg;
    struct check_result out = *r;

    (void)c;
    e->run = NULL;
    out.kind = e->run_kind;
    if (!e->s->closing) {
        track(e, out.outcome);
        /* The run may have started before the connection changed: its
         * result says nothing about the new state. */
        if (e->watch_pending) {
            e->watch_pending = 0;
            watch_fire(e);
        }
    }
    e->s->cb(&out, e->s->arg);
}

static void
start_run(struct entry *e, enum probe_kind kind)
{
    struct check_result r;
    int rc;

    e->run_kind = (uint8_t)kind;
    rc = probe_start(e->s->env, &e->check, on_run_done, e, &e->run);
    if (rc != 0) {
        /* A run that cannot start is a failed run, reported as such. */
        e->run = NULL;
        memset(&r, 0, sizeof(r));
        memcpy(r.check_id, e->check.id, sizeof(r.check_id));
        r.started_at_ms = probe_now_ms();
        r.outcome = OUTCOME_DOWN;
        r.kind = (uint8_t)kind;
        check_result_seterr(&r, "agent: cannot start probe: %s",
                            ph_strerror(rc));
        e->s->cb(&r, e->s->arg);
    }
}

static void
grid_fire(struct entry *e)
{
    if (e->run != NULL || e->s->closing) {
        return; /* the previous run is still going: skip this tick */
    }
    start_run(e, PROBE_SCHEDULED);
}

int
sched_recheck(struct sched *s, const char *id)
{
    uint64_t now;

    if (s->closing) {
        return PH_ECANCELED;
    }
    for (struct entry *e = s->entries; e != NULL; e = e->next) {
        if (strcmp(e->check.id, id) != 0) {
            continue;
        }
        now = uv_now(s->env->loop);
        /* Already probing (a run in flight, or confirming on its own), or
         * asked a moment ago: the answer is on its way. */
        if (e->run != NULL || e->confirming ||
            (e->last_recheck_ms != 0 &&
             now - e->last_recheck_ms < RECHECK_MIN_GAP_MS)) {
            s->stats.rechecks_skipped++;
            return 0;
        }
        e->last_recheck_ms = now;
        s->stats.rechecks++;
        start_run(e, PROBE_RECHECK);
        return 0;
    }
    return PH_ENOENT;
}

int
sched_run_now(struct sched *s, const char *id)
{
    if (s->closing) {
        return PH_ECANCELED;
    }
    for (struct entry *e = s->entries; e != NULL; e = e->next) {
        if (strcmp(e->check.id, id) == 0) {
            if (e->run == NULL) {
                start_run(e, PROBE_SCHEDULED);
            }
            return 0;
        }
    }
    return PH_ENOENT;
}

void
sched_get_stats(const struct sched *s, struct sched_stats *ret)
{
    *ret = s->stats;
}

/* The grid is laid on the wall clock (agents keep it in step with
 * NTP), so the collector's per-region offsets stagger regions on
 * different hosts; the repeat runs on the loop's monotonic clock. */
static void
arm(struct entry *e)
{
    uint64_t now = (uint64_t)probe_now_ms();
    uint32_t iv = e->check.interval_ms ? e->check.interval_ms : 1000;

    e->due_grid = uv_now(e->s->env->loop) +
                  sched_first_delay(e->check.id, iv, e->check.phase_offset_ms,
                                    now);
    if (e->due_grid == 0) {
        e->due_grid = 1; /* 0 means "not due" */
    }
}

/*
 * The one timer: runs what is due, in due order. A slot missed by more
 * than an interval (a stalled loop) is skipped, not made up, and the
 * grid stays where it was (a per-check repeat timer drifted by the
 * loop's lateness at every tick).
 */
static void
on_sched_timer(uv_timer_t *t)
{
    struct sched *s = t->data;
    uint64_t now = uv_now(s->env->loop);

    s->firing = 1;
    while (s->heap_len > 0 && !s->closing && due(s->heap[0]) <= now) {
        struct entry *e = s->heap[0];
        uint32_t iv = e->check.interval_ms ? e->check.interval_ms : 1000;
        int grid = 0, confirm = 0, watch = 0;

        if (e->due_grid != 0 && e->due_grid <= now) {
            e->due_grid += ((now - e->due_grid) / iv + 1) * iv;
            grid = 1;
        }
        if (e->due_confirm != 0 && e->due_confirm <= now) {
            e->due_confirm = 0;
            confirm = 1;
        }
        if (e->due_watch != 0 && e->due_watch <= now) {
            e->due_watch = 0;
            watch = 1;
        }
        /* Every due time left is now in the future: e sinks. */
        sift_down(s, 0);
        if (confirm) {
            confirm_fire(e);
        }
        if (watch && !s->closing) {
            watch_fire(e);
        }
        if (grid && !s->closing) {
            grid_fire(e);
        }
    }
    s->firing = 0;
    arm_timer(s);
}

/* Watch-started runs: at most one per this gap, whatever the
 * connection does (a flapping target cannot make us probe in a loop). */
#define WATCH_MIN_GAP_MS 2000
/* While the target is gone, a TCP connect at most this far apart (or
 * an interval, if shorter): the time a recovery waits to be seen. A
 * refused connect costs the target next to nothing, and the retries
 * stop at the first success. */
#define WATCH_RETRY_MAX_MS 5000

/*
 * The watched connection was lost (the target refuses a new one) or
 * came back: probe now instead of at the next slot. A run in flight
 * may predate the change, so the probe follows it; a confirmation
 * sequence re-probes anyway (its next run starts after the change);
 * and watch runs are at least WATCH_MIN_GAP_MS apart (held, not lost,
 * so a quick return is still seen).
 */
static void
watch_fire(struct entry *e)
{
    uint64_t now = uv_now(e->s->env->loop);

    if (e->s->closing) {
        return;
    }
    if (e->run != NULL) {
        e->watch_pending = 1;
        return;
    }
    if (e->confirming) {
        e->s->stats.watch_skipped++;
        return;
    }
    if (e->last_watch_ms != 0 && now - e->last_watch_ms < WATCH_MIN_GAP_MS) {
        set_due(e, &e->due_watch,
                WATCH_MIN_GAP_MS - (now - e->last_watch_ms));
        return;
    }
    set_due(e, &e->due_watch, 0);
    e->last_watch_ms = now;
    e->s->stats.watch_runs++;
    start_run(e, PROBE_WATCH);
}

static void
on_watch(enum watch_event ev, void *arg)
{
    struct entry *e = arg;

    log_debug("sched[%s]: watched connection %s", e->check.id,
              ev == WATCH_LOST ? "lost" : "back");
    watch_fire(e);
}

static void
start_watch(struct entry *e)
{
    char host[256];
    uint16_t port;
    int rc;

    if (!e->check.watch) {
        return;
    }
    rc = probe_target(&e->check, host, sizeof(host), &port);
    if (rc == 0) {
        rc = watch_new(e->s->env->loop, host, port,
                       probe_source_address(e->s->env, &e->check),
                       e->check.timeout_ms,
                       e->check.interval_ms < WATCH_RETRY_MAX_MS
                           ? e->check.interval_ms
                           : WATCH_RETRY_MAX_MS,
                       on_watch, e, &e->watch);
    }
    if (rc != 0) {
        log_warnx("sched[%s]: cannot watch the target: %s", e->check.id,
                  ph_strerror(rc));
    }
}

/* Unlinks nothing; cancels e's run, takes it off the heap, frees it. */
static void
entry_drop(struct entry *e)
{
    probe_cancel(e->run);
    e->run = NULL;
    watch_close(e->watch);
    e->watch = NULL;
    heap_remove(e->s, e);
    check_free(&e->check);
    ph_free(e);
}

int
sched_diff(const struct check *old, size_t nold, const struct check *new_,
           size_t nnew, int *ret_actions)
{
    /* For each new check: 0 = keep the running one, 1 = changed,
     * 2 = added. Pure, for tests and for sched_apply_plan(). */
    for (size_t i = 0; i < nnew; i++) {
        ret_actions[i] = 2;
        for (size_t j = 0; j < nold; j++) {
            if (strcmp(old[j].id, new_[i].id) == 0) {
                ret_actions[i] = check_probe_equal(&old[j], &new_[i]) ? 0
                                                                      : 1;
                break;
            }
        }
    }
    return 0;
}

/* Shared by both entry points: take != 0 moves checks instead of
 * copying them. */
static int
apply(struct sched *s, struct check *checks, size_t n, int take)
{
    struct entry *fresh = NULL;   /* the new list, in plan order */
    struct entry **tail = &fresh;
    struct entry *added = NULL;   /* new entries, not yet armed */
    size_t count = 0;

    if (s->closing) {
        return PH_ECANCELED;
    }
    /* Room in the heap for the whole plan, so adding cannot fail later. */
    if (n > s->heap_cap) {
        struct entry **h = ph_realloc(s->heap, n * sizeof(*h));

        if (h == NULL) {
            return PH_ENOMEM;
        }
        s->heap = h;
        s->heap_cap = n;
    }
    /* Build new entries first, so a failed allocation changes nothing. */
    for (size_t i = 0; i < n; i++) {
        struct entry *e = NULL;

        for (struct entry *o = s->entries; o != NULL; o = o->next) {
            if (strcmp(o->check.id, checks[i].id) == 0 &&
                check_probe_equal(&o->check, &checks[i])) {
                e = o;
                break;
            }
        }
        if (e != NULL) {
            continue;
        }
        e = ph_calloc(1, sizeof(*e));
        if (e == NULL || (!take && check_copy(&e->check, &checks[i]) != 0)) {
            ph_free(e);
            while (added != NULL) {
                struct entry *nx = added->next;
                if (take) {
                    /* Give the moved checks back untouched. */
                    for (size_t k = 0; k < n; k++) {
                        if (checks[k].id[0] == '\0' &&
                            added->moved_from == k) {
                            checks[k] = added->check;
                        }
                    }
                } else {
                    check_free(&added->check);
                }
                ph_free(added);
                added = nx;
            }
            return PH_ENOMEM;
        }
        if (take) {
            e->check = checks[i];
            e->moved_from = i;
            memset(&checks[i], 0, sizeof(checks[i]));
        }
        e->s = s;
        e->heap_idx = NOT_IN_HEAP;
        e->next = added;
        added = e;
    }
    /* Keep unchanged entries, drop the rest. A taken check no longer
     * appears in checks[], so compare against the new entries too. */
    for (struct entry *o = s->entries; o != NULL;) {
        struct entry *nx = o->next;
        int keep = 0;

        for (size_t i = 0; i < n; i++) {
            if (checks[i].id[0] != '\0' &&
                strcmp(o->check.id, checks[i].id) == 0 &&
                check_probe_equal(&o->check, &checks[i])) {
                keep = 1;
                break;
            }
        }
        if (keep) {
            o->next = NULL;
            *tail = o;
            tail = &o->next;
            count++;
        } else {
            entry_drop(o);
        }
        o = nx;
    }
    while (added != NULL) {
        struct entry *nx = added->next;

        arm(added);
        (void)heap_add(s, added); /* cannot fail: reserved above */
        start_watch(added);
        added->next = NULL;
        *tail = added;
        tail = &added->next;
        count++;
        added = nx;
    }
    s->entries = fresh;
    s->n = count;
    arm_timer(s);
    return 0;
}

int
sched_apply_plan(struct sched *s, const struct check *checks, size_t n)
{
    return apply(s, (struct check *)(uintptr_t)checks, n, 0);
}

int
sched_apply_plan_take(struct sched *s, struct check *checks, size_t n)
{
    return apply(s, checks, n, 1);
}

size_t
sched_count(const struct sched *s)
{
    return s->n;
}

static void
sched_timer_closed(uv_handle_t *h)
{
    struct sched *s = h->data;
    sched_closed_cb cb = s->closed_cb;
    void *arg = s->closed_arg;

    ph_free(s->heap);
    ph_free(s);
    if (cb != NULL) {
        cb(arg);
    }
}

void
sched_close(struct sched *s, sched_closed_cb cb, void *arg)
{
    struct entry *e = s->entries;

    s->closing = 1;
    s->closed_cb = cb;
    s->closed_arg = arg;
    s->entries = NULL;
    s->n = 0;
    while (e != NULL) {
        struct entry *nx = e->next;
        entry_drop(e);
        e = nx;
    }
    uv_timer_stop(&s->timer);
    uv_close((uv_handle_t *)&s->timer, sched_timer_closed);
}
