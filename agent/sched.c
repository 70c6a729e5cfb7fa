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
 *
 * An idle check is kept packed (check_pack.h: its 440-byte struct in a
 * few dozen bytes, in the entry's own allocation); a run gets an
 * unpacked copy (struct live) for its duration. A probe may still look
 * at its check while its handles close, so a copy whose run ended or
 * was cancelled, and an entry dropped with a run in flight, are freed
 * two timer rounds later (reap()), at least one loop iteration after.
 */
#include "sched.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "check_pack.h"
#include "log.h"
#include "mem.h"
#include "ph_err.h"
#include "watch.h"

#define NOT_IN_HEAP UINT32_MAX
/* The scheduler's clock resolution (see arm_timer()). */
#define SCHED_TICK_MS 10

/* The unpacked check a run borrows; next links the ones to free. */
struct live {
    struct live *next;
    struct check check;
};

/* A place in the heap: the entry's earliest due time (due()), kept
 * next to it so comparisons read the array only. */
struct slot {
    uint64_t key;
    struct entry *e;
};

/* What only some checks need: a confirmation sequence, re-checks, a
 * watched connection. Allocated the first time (extra()), freed with
 * the entry; zero means "not set" throughout. */
struct extra {
    /* Due times on the loop's clock (uv_now); 0 = not due. */
    uint64_t due_confirm;     /* one-shot: the next confirmation */
    uint64_t due_watch;       /* one-shot: a watch run held by the gap */
    uint64_t last_recheck_ms; /* loop time of the last re-check run */
    uint64_t last_watch_ms;   /* loop time of the last watch-started run */
    struct watch *watch;      /* check key `watch`, or NULL */
    /* Fast confirmation (see track()). */
    uint32_t streak;          /* results in a row equal to candidate */
    uint32_t seq_probes;      /* confirmations in this sequence */
    uint8_t candidate;        /* the changed outcome being confirmed */
    uint8_t confirming;
    uint8_t watch_pending;    /* a watch event came during a run */
};

/* One per check of the plan: 72 bytes and the packed check. */
struct entry {
    struct sched *s;
    struct entry *next;       /* the plan's list, or the dead list */
    struct probe_run *run;    /* in flight, or NULL */
    struct live *live;        /* the check the run borrows, or NULL */
    struct extra *x;          /* or NULL */
    /* The next slot on the grid, on the loop's clock (uv_now). While
     * apply() builds the entry (before it is armed): its index in a
     * taken plan. */
    union {
        uint64_t due_grid;
        uint64_t moved_from;
    } u;
    uint32_t heap_idx;        /* in s->heap, or NOT_IN_HEAP */
    uint32_t id_hash;         /* of the check id, to find it */
    uint32_t interval_ms;
    uint32_t phase_ms;        /* its slot in the interval (sched_phase()
                               * plus the region's offset) */
    uint16_t packed_len;
    uint8_t run_kind;         /* enum probe_kind of the run in flight */
    uint8_t settled;          /* enum outcome results have established */
    uint8_t keep;             /* apply: unchanged in the new plan */
    uint8_t watch;            /* check key `watch` */
    uint8_t packed[];         /* the check, check_pack.h */
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
    struct slot *heap;
    size_t heap_len;
    size_t heap_cap;
    uv_timer_t timer;
    int firing;               /* in on_sched_timer: it arms at its end */
    /* Freed at the next reap() but one (see the top of this file). */
    struct live *dead_live[2];
    struct entry *dead_entries[2];
};

static uint32_t
id_hash(const char *id)
{
    uint32_t h = 2166136261u;

    for (const unsigned char *p = (const unsigned char *)id; *p; p++) {
        h ^= *p;
        h *= 16777619u;
    }
    return h;
}

/* The check of e, its pointers borrowed from e. */
static void
entry_check(const struct entry *e, struct check *ret)
{
    int rc = check_unpack(e->packed, e->packed_len, ret);

    assert(rc == 0);
    (void)rc;
}

static void
entry_id(const struct entry *e, char id[CHECK_ID_MAX])
{
    int rc = check_unpack_prefix(e->packed, e->packed_len, id, CHECK_ID_MAX);

    assert(rc == 0);
    (void)rc;
    id[CHECK_ID_MAX - 1] = '\0';
}

static int
entry_is(const struct entry *e, const char *id, uint32_t h)
{
    char eid[CHECK_ID_MAX];

    if (e->id_hash != h) {
        return 0;
    }
    entry_id(e, eid);
    return strcmp(eid, id) == 0;
}

/* A new entry holding c packed; what c owns now belongs to the entry
 * (c is left as it was: the caller must not free it). Returns NULL on
 * failure, c untouched. */
static struct entry *
entry_new(struct sched *s, const struct check *c)
{
    uint8_t packed[CHECK_PACK_MAX];
    size_t len = check_pack(c, packed);
    struct entry *e = ph_calloc(1, sizeof(*e) + len);

    if (e == NULL) {
        return NULL;
    }
    memcpy(e->packed, packed, len);
    e->packed_len = (uint16_t)len;
    e->s = s;
    e->heap_idx = NOT_IN_HEAP;
    e->id_hash = id_hash(c->id);
    e->interval_ms = c->interval_ms ? c->interval_ms : 1000;
    e->phase_ms = (uint32_t)(((uint64_t)sched_phase(c->id, e->interval_ms) +
                              c->phase_offset_ms) %
                             e->interval_ms);
    e->watch = c->watch != 0;
    return e;
}

/* Frees e and what its check owns (no run in flight). */
static void
entry_free(struct entry *e)
{
    struct check c;

    entry_check(e, &c);
    check_free(&c);
    ph_free(e->x);
    ph_free(e);
}

/* e's extra part, made the first time; NULL when out of memory. */
static struct extra *
extra(struct entry *e)
{
    if (e->x == NULL) {
        e->x = ph_calloc(1, sizeof(*e->x));
    }
    return e->x;
}

static void
free_dead(struct live *l, struct entry *e)
{
    while (l != NULL) {
        struct live *nx = l->next;
        ph_free(l);
        l = nx;
    }
    while (e != NULL) {
        struct entry *nx = e->next;
        entry_free(e);
        e = nx;
    }
}

/* Frees what died two rounds ago; what died since waits one more. */
static void
reap(struct sched *s)
{
    free_dead(s->dead_live[1], s->dead_entries[1]);
    s->dead_live[1] = s->dead_live[0];
    s->dead_entries[1] = s->dead_entries[0];
    s->dead_live[0] = NULL;
    s->dead_entries[0] = NULL;
}

/* The run of e is over (ended or cancelled): its check copy goes. */
static void
drop_live(struct entry *e)
{
    if (e->live != NULL) {
        e->live->next = e->s->dead_live[0];
        e->s->dead_live[0] = e->live;
        e->live = NULL;
    }
}

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

    if (e->u.due_grid != 0 && e->u.due_grid < d) {
        d = e->u.due_grid;
    }
    if (e->x == NULL) {
        return d;
    }
    if (e->x->due_confirm != 0 && e->x->due_confirm < d) {
        d = e->x->due_confirm;
    }
    if (e->x->due_watch != 0 && e->x->due_watch < d) {
        d = e->x->due_watch;
    }
    return d;
}

static void
heap_set(struct sched *s, size_t i, struct slot x)
{
    s->heap[i] = x;
    x.e->heap_idx = (uint32_t)i;
}

static void
sift_up(struct sched *s, size_t i)
{
    struct slot x = s->heap[i];

    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (s->heap[parent].key <= x.key) {
            break;
        }
        heap_set(s, i, s->heap[parent]);
        i = parent;
    }
    heap_set(s, i, x);
}

static void
sift_down(struct sched *s, size_t i)
{
    struct slot x = s->heap[i];

    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        uint64_t km = x.key;

        if (l < s->heap_len && s->heap[l].key < km) {
            m = l;
            km = s->heap[l].key;
        }
        if (r < s->heap_len && s->heap[r].key < km) {
            m = r;
        }
        if (m == i) {
            break;
        }
        heap_set(s, i, s->heap[m]);
        i = m;
    }
    heap_set(s, i, x);
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
    if (s->heap_len == 0 || (d = s->heap[0].key) == UINT64_MAX) {
        uv_timer_stop(&s->timer);
        return;
    }
    /* Wake on a SCHED_TICK_MS boundary of the loop clock: the checks due
     * within one tick start together, at most a tick late, so a busy
     * agent wakes SCHED_TICK_MS apart instead of for every check. */
    d = (d + SCHED_TICK_MS - 1) / SCHED_TICK_MS * SCHED_TICK_MS;
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
    s->heap[i].key = due(e);
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
        struct slot *h = ph_realloc(s->heap, cap * sizeof(*h));

        if (h == NULL) {
            return PH_ENOMEM;
        }
        s->heap = h;
        s->heap_cap = cap;
    }
    heap_set(s, s->heap_len++, (struct slot){due(e), e});
    sift_up(s, e->heap_idx);
    return 0;
}

static void
heap_remove(struct sched *s, struct entry *e)
{
    size_t i = e->heap_idx;
    struct slot last;

    if (i == NOT_IN_HEAP) {
        return;
    }
    e->heap_idx = NOT_IN_HEAP;
    last = s->heap[--s->heap_len];
    if (last.e != e) {
        heap_set(s, i, last);
        sift_up(s, i);
        sift_down(s, last.e->heap_idx);
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
    if (e->run != NULL || e->s->closing || e->x == NULL ||
        !e->x->confirming) {
        /* A run in flight continues the sequence when it ends. */
        return;
    }
    e->x->seq_probes++;
    e->s->stats.confirms++;
    start_run(e, PROBE_CONFIRM);
}

static void
stop_confirming(struct entry *e)
{
    if (e->x == NULL) {
        return;
    }
    e->x->confirming = 0;
    e->x->streak = 0;
    e->x->seq_probes = 0;
    set_due(e, &e->x->due_confirm, 0);
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
track(struct entry *e, const struct check *c, enum outcome o)
{
    struct extra *x;
    uint32_t need;

    if (e->settled == 0) {
        e->settled = OUTCOME_UP;
    }
    if (c->confirm_after_ms == 0) {
        e->settled = (uint8_t)o;
        return;
    }
    if (o == e->settled) {
        stop_confirming(e);
        return;
    }
    /* Out of memory: no fast confirmation, the grid goes on. */
    if ((x = extra(e)) == NULL) {
        return;
    }
    if (x->confirming && o == x->candidate) {
        x->streak++;
    } else {
        if (!x->confirming) {
            x->seq_probes = 0;
        }
        x->confirming = 1;
        x->candidate = (uint8_t)o;
        x->streak = 1;
    }
    need = o == OUTCOME_UP ? c->recover_after : c->fail_after;
    if (need == 0) {
        need = 2;
    }
    if (x->streak >= need) {
        e->settled = (uint8_t)o;
        stop_confirming(e);
        return;
    }
    if (x->seq_probes >= need) {
        stop_confirming(e);
        return;
    }
    set_due(e, &x->due_confirm, c->confirm_after_ms);
}

static void
on_run_done(const struct check *c, const struct check_result *r, void *arg)
{
    struct entry *e = arg;
    struct check_result out = *r;

    e->run = NULL;
    out.kind = e->run_kind;
    /* c is e->live's check: freed two reaps from now. */
    drop_live(e);
    /* News for the report: an outcome other than the established one,
     * or any result while a confirmation sequence runs (a glitch ending
     * is news too). */
    out.changed = (uint8_t)(out.outcome !=
                                (e->settled != 0 ? e->settled : OUTCOME_UP) ||
                            (e->x != NULL && e->x->confirming));
    if (!e->s->closing) {
        track(e, c, out.outcome);
        /* The run may have started before the connection changed: its
         * result says nothing about the new state. */
        if (e->x != NULL && e->x->watch_pending) {
            e->x->watch_pending = 0;
            watch_fire(e);
        }
    }
    e->s->cb(&out, e->s->arg);
}

static void
start_run(struct entry *e, enum probe_kind kind)
{
    struct check_result r;
    int rc = PH_ENOMEM;

    e->run_kind = (uint8_t)kind;
    e->live = ph_malloc(sizeof(*e->live));
    if (e->live != NULL) {
        e->live->next = NULL;
        entry_check(e, &e->live->check);
        rc = probe_start(e->s->env, &e->live->check, on_run_done, e,
                         &e->run);
    }
    if (rc != 0) {
        /* A run that cannot start is a failed run, reported as such. */
        e->run = NULL;
        drop_live(e);
        memset(&r, 0, sizeof(r));
        entry_id(e, r.check_id);
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

    uint32_t h = id_hash(id);

    if (s->closing) {
        return PH_ECANCELED;
    }
    for (struct entry *e = s->entries; e != NULL; e = e->next) {
        if (!entry_is(e, id, h)) {
            continue;
        }
        now = uv_now(s->env->loop);
        /* Already probing (a run in flight, or confirming on its own), or
         * asked a moment ago: the answer is on its way. */
        if (extra(e) == NULL) {
            return PH_ENOMEM;
        }
        if (e->run != NULL || e->x->confirming ||
            (e->x->last_recheck_ms != 0 &&
             now - e->x->last_recheck_ms < RECHECK_MIN_GAP_MS)) {
            s->stats.rechecks_skipped++;
            return 0;
        }
        e->x->last_recheck_ms = now;
        s->stats.rechecks++;
        start_run(e, PROBE_RECHECK);
        return 0;
    }
    return PH_ENOENT;
}

int
sched_run_now(struct sched *s, const char *id)
{
    uint32_t h = id_hash(id);

    if (s->closing) {
        return PH_ECANCELED;
    }
    for (struct entry *e = s->entries; e != NULL; e = e->next) {
        if (entry_is(e, id, h)) {
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
    uint64_t pos = now % e->interval_ms;

    /* sched_first_delay(), with the phase computed once. */
    e->u.due_grid = uv_now(e->s->env->loop) +
                    (e->phase_ms + e->interval_ms - pos) % e->interval_ms;
    if (e->u.due_grid == 0) {
        e->u.due_grid = 1; /* 0 means "not due" */
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

    reap(s);
    s->firing = 1;
    while (s->heap_len > 0 && !s->closing && s->heap[0].key <= now) {
        struct entry *e = s->heap[0].e;
        uint32_t iv = e->interval_ms;
        int grid = 0, confirm = 0, watch = 0;

        if (e->u.due_grid != 0 && e->u.due_grid <= now) {
            e->u.due_grid += ((now - e->u.due_grid) / iv + 1) * iv;
            grid = 1;
        }
        if (e->x != NULL && e->x->due_confirm != 0 &&
            e->x->due_confirm <= now) {
            e->x->due_confirm = 0;
            confirm = 1;
        }
        if (e->x != NULL && e->x->due_watch != 0 && e->x->due_watch <= now) {
            e->x->due_watch = 0;
            watch = 1;
        }
        /* Every due time left is now in the future: e sinks. */
        s->heap[0].key = due(e);
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
    struct extra *x = e->x; /* made by start_watch() */

    if (e->s->closing || x == NULL) {
        return;
    }
    if (e->run != NULL) {
        x->watch_pending = 1;
        return;
    }
    if (x->confirming) {
        e->s->stats.watch_skipped++;
        return;
    }
    if (x->last_watch_ms != 0 && now - x->last_watch_ms < WATCH_MIN_GAP_MS) {
        set_due(e, &x->due_watch, WATCH_MIN_GAP_MS - (now - x->last_watch_ms));
        return;
    }
    set_due(e, &x->due_watch, 0);
    x->last_watch_ms = now;
    e->s->stats.watch_runs++;
    start_run(e, PROBE_WATCH);
}

static void
on_watch(enum watch_event ev, void *arg)
{
    struct entry *e = arg;
    char id[CHECK_ID_MAX];

    entry_id(e, id);
    log_debug("sched[%s]: watched connection %s", id,
              ev == WATCH_LOST ? "lost" : "back");
    watch_fire(e);
}

static void
start_watch(struct entry *e, const struct check *c)
{
    char host[256];
    uint16_t port;
    int rc;

    if (!c->watch) {
        return;
    }
    rc = extra(e) == NULL ? PH_ENOMEM : probe_target(c, host, sizeof(host),
                                                     &port);
    if (rc == 0) {
        rc = watch_new(e->s->env->loop, host, port,
                       probe_source_address(e->s->env, c), c->timeout_ms,
                       c->interval_ms < WATCH_RETRY_MAX_MS
                           ? c->interval_ms
                           : WATCH_RETRY_MAX_MS,
                       on_watch, e, &e->x->watch);
    }
    if (rc != 0) {
        log_warnx("sched[%s]: cannot watch the target: %s", c->id,
                  ph_strerror(rc));
    }
}

/* Unlinks nothing; cancels e's run, takes it off the heap, frees it
 * (later, if a run was in flight: see reap()). */
static void
entry_drop(struct entry *e)
{
    struct sched *s = e->s;

    if (e->x != NULL) {
        watch_close(e->x->watch);
        e->x->watch = NULL;
    }
    heap_remove(s, e);
    if (e->run == NULL) {
        entry_free(e);
        return;
    }
    probe_cancel(e->run);
    e->run = NULL;
    drop_live(e);
    e->next = s->dead_entries[0];
    s->dead_entries[0] = e;
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

/* Gives back what apply() built before it failed: a taken check
 * returns to checks[] untouched, a copy is freed. */
static void
unbuild(struct entry *added, struct check *checks, int take)
{
    while (added != NULL) {
        struct entry *nx = added->next;

        if (take) {
            entry_check(added, &checks[added->u.moved_from]);
            ph_free(added);
        } else {
            entry_free(added);
        }
        added = nx;
    }
}

/* The old entry of id, or NULL: idx is an open-addressing table of
 * mask + 1 slots. */
static struct entry *
find_old(struct entry **idx, size_t mask, const char *id)
{
    uint32_t h = id_hash(id);

    for (size_t i = h & mask; idx[i] != NULL; i = (i + 1) & mask) {
        if (entry_is(idx[i], id, h)) {
            return idx[i];
        }
    }
    return NULL;
}

/* Shared by both entry points: take != 0 moves checks instead of
 * copying them. The running checks are found by id through a hash
 * table (a plan of 10,000 checks was 50 million string compares). */
static int
apply(struct sched *s, struct check *checks, size_t n, int take)
{
    struct entry *fresh = NULL;   /* the new list, in plan order */
    struct entry **tail = &fresh;
    struct entry *added = NULL;   /* new entries, not yet armed */
    struct entry **idx = NULL;
    size_t mask = 15, count = 0;

    if (s->closing) {
        return PH_ECANCELED;
    }
    /* Room in the heap for the whole plan, so adding cannot fail later. */
    if (n > s->heap_cap) {
        struct slot *h = ph_realloc(s->heap, n * sizeof(*h));

        if (h == NULL) {
            return PH_ENOMEM;
        }
        s->heap = h;
        s->heap_cap = n;
    }
    while (mask + 1 < 2 * s->n) {
        mask = mask * 2 + 1;
    }
    idx = ph_calloc(mask + 1, sizeof(*idx));
    if (idx == NULL) {
        return PH_ENOMEM;
    }
    for (struct entry *o = s->entries; o != NULL; o = o->next) {
        size_t i = o->id_hash & mask;

        while (idx[i] != NULL) {
            i = (i + 1) & mask;
        }
        idx[i] = o;
        o->keep = 0;
    }
    /* Build new entries first, so a failed allocation changes nothing. */
    for (size_t i = 0; i < n; i++) {
        struct entry *o = find_old(idx, mask, checks[i].id);
        struct entry *e = NULL;
        struct check copy;

        if (o != NULL) {
            struct check oc;

            entry_check(o, &oc);
            if (check_probe_equal(&oc, &checks[i])) {
                o->keep = 1;
                continue;
            }
        }
        if (take) {
            e = entry_new(s, &checks[i]);
        } else if (check_copy(&copy, &checks[i]) == 0) {
            e = entry_new(s, &copy);
            if (e == NULL) {
                check_free(&copy);
            }
        }
        if (e == NULL) {
            unbuild(added, checks, take);
            ph_free(idx);
            return PH_ENOMEM;
        }
        if (take) {
            e->u.moved_from = i;
            memset(&checks[i], 0, sizeof(checks[i]));
        }
        e->next = added;
        added = e;
    }
    ph_free(idx);
    /* Keep unchanged entries, drop the rest. */
    for (struct entry *o = s->entries; o != NULL;) {
        struct entry *nx = o->next;

        if (o->keep) {
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
        if (added->watch) {
            struct check c;

            entry_check(added, &c);
            start_watch(added, &c);
        }
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

    /* The cancelled runs' handles closed in this round too. */
    reap(s);
    reap(s);
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
