#include "rollup.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "complain.h"
#include "hub.h"
#include "idmap.h"
#include "log.h"
#include "mem.h"
#include "ph_err.h"
#include "store.h"
#include "store_async.h"
#include "timefmt.h"

/* Each component's state is written this often, the components spread
 * over the period: on sqlite each write is a transaction on the loop,
 * and all of them at once stalled it (2000 at 2000 components). */
#define ROLLUP_CHECKPOINT_MS 60000
#define ROLLUP_MAX_PENDING 32

/* What every evaluation touches is kept small (the days are elsewhere):
 * with the days inline, a pass over 2000 components touched 16 MB and
 * took 50 ms of the loop every second. */
struct comp_acc {
    struct uptime_acc acc;
    int last_status;                       /* last fed */
    struct uptime_day *pending; /* [ROLLUP_MAX_PENDING]: closed, not stored */
    size_t npending;
    /* [ROLLUP_DAYS]: the stored days of the last ROLLUP_DAYS, oldest
     * first: read once at start, then kept as they are written, so that
     * the documents never read the store (a round trip each on
     * PostgreSQL). */
    struct uptime_day *stored;
    size_t nstored;
    int overflow;
    struct rollup *r;
    int index;
    int saving;          /* a checkpoint is being written */
    int64_t checkpoint_ms; /* the last one started (monotonic: a wall
                            * clock step must not stop or rush them) */
    size_t nsaving;      /* of pending[], the days it holds */
    char id[CHECK_ID_MAX]; /* the component's (a reload may move it) */
};

struct rollup {
    struct uptime_tz tz;
    struct comp_acc *comps;
    size_t ncomps;
    struct uptime_day *days;     /* every component's pending and stored */
    struct complain store_complaint;
    struct store *store;
    const struct pharos_conf *conf;
    size_t inflight;     /* checkpoints being written */
    int dead;            /* destroyed: the last of them frees it */
    /* The lengths of the days shown (rollup_days()), 0 until asked:
     * each is two time zone conversions, for every component without
     * data that day (all of a new one's), on every render. */
    int32_t lens_first;
    int64_t lens_s[ROLLUP_DAYS];
};

static void persist(struct rollup *r, struct comp_acc *ca);

static void
on_day(const struct uptime_day *d, void *arg)
{
    struct comp_acc *ca = arg;

    if (ca->npending == ROLLUP_MAX_PENDING) {
        /* A long outage of the collector closes many days at once:
         * store what we have so far and go on. */
        persist(ca->r, ca);
    }
    if (ca->npending < ROLLUP_MAX_PENDING) {
        ca->pending[ca->npending++] = *d;
    } else {
        ca->overflow = 1;
    }
}

/* Puts d into ca's stored days (replacing its date, oldest dropped when
 * full), keeping them in date order. */
static void
remember_day(struct comp_acc *ca, const struct uptime_day *d)
{
    size_t i = 0;

    while (i < ca->nstored && ca->stored[i].date < d->date) {
        i++;
    }
    if (i < ca->nstored && ca->stored[i].date == d->date) {
        ca->stored[i] = *d;
        return;
    }
    if (ca->nstored == ROLLUP_DAYS) {
        if (i == 0) {
            return; /* older than all we keep */
        }
        memmove(&ca->stored[0], &ca->stored[1],
                (i - 1) * sizeof(ca->stored[0]));
        ca->stored[i - 1] = *d;
        return;
    }
    memmove(&ca->stored[i + 1], &ca->stored[i],
            (ca->nstored - i) * sizeof(ca->stored[0]));
    ca->stored[i] = *d;
    ca->nstored++;
}

static void
rollup_free(struct rollup *r)
{
    ph_free(r->comps);
    ph_free(r->days);
    ph_free(r);
}

/* A checkpoint's write is done (store_async.h: on PostgreSQL later, on
 * the loop; on sqlite at once). The days it held are kept in memory for
 * the documents; days closed meanwhile stay pending for the next one. */
static void
on_persisted(int result, const char *errmsg, void *arg)
{
    struct comp_acc *ca = arg;
    struct rollup *r = ca->r;
    size_t n = ca->nsaving;

    r->inflight--;
    ca->saving = 0;
    ca->nsaving = 0;
    if (r->dead) {
        if (r->inflight == 0) {
            rollup_free(r);
        }
        return;
    }
    if (result != 0) {
        complain(&r->store_complaint, time_mono_ms(),
                 "rollup: cannot store uptime of %s: %s", ca->id, errmsg);
        return; /* kept pending; retried at the next checkpoint */
    }
    complain_release(&r->store_complaint, "rollup: storing uptime again");
    for (size_t i = 0; i < n && i < ca->npending; i++) {
        remember_day(ca, &ca->pending[i]);
    }
    if (n > ca->npending) {
        n = ca->npending;
    }
    memmove(&ca->pending[0], &ca->pending[n],
            (ca->npending - n) * sizeof(ca->pending[0]));
    ca->npending -= n;
}

/* Writes ca's closed days and its open day's state without waiting for
 * the database; one write per component at a time. */
static void
persist(struct rollup *r, struct comp_acc *ca)
{
    struct uptime_acc_state st;
    const char *id = ca->id;

    if (ca->saving) {
        return;
    }
    uptime_acc_save(&ca->acc, &st);
    ca->saving = 1;
    ca->nsaving = ca->npending;
    r->inflight++;
    if (store_uptime_checkpoint_async(r->store, id, ca->pending, ca->npending,
                                      &st, on_persisted, ca) != 0) {
        r->inflight--;
        ca->saving = 0;
        ca->nsaving = 0;
        complain(&r->store_complaint, time_mono_ms(),
                 "rollup: cannot store uptime of %s: out of memory", id);
    }
}

static int
status_of(struct hub *h, int i)
{
    if (h->comps[i].status == COMP_MAINTENANCE) {
        return COMP_MAINTENANCE;
    }
    /* No quorum: the page does not know, so the bar must not say up. */
    if (engine_component_unknown(h->engine, i)) {
        return UPTIME_NODATA;
    }
    return (int)h->comps[i].status;
}

/* Where old keeps component id: old_ids (built) or a search. */
static const struct comp_acc *
old_comp(const struct rollup *old, const struct idmap *old_ids,
         const char *id)
{
    if (old == NULL) {
        return NULL;
    }
    if (old_ids->cap > 0) {
        int j = idmap_get(old_ids, id);

        return j >= 0 ? &old->comps[j] : NULL;
    }
    for (size_t j = 0; j < old->ncomps; j++) {
        if (strcmp(old->comps[j].id, id) == 0) {
            return &old->comps[j];
        }
    }
    return NULL;
}

/* Takes over o's accounting (old's of the same component) into ca: 1
 * when there is one, 0 when not. Days old is writing are pending again
 * here (written twice, the same rows). */
static int
carry_over(const struct comp_acc *o, struct comp_acc *ca)
{
    if (o == NULL) {
        return 0;
    }
    ca->acc = o->acc;
    ca->acc.cb_arg = ca;
    ca->last_status = o->last_status;
    memcpy(ca->pending, o->pending, ROLLUP_MAX_PENDING * sizeof(*ca->pending));
    ca->npending = o->npending;
    memcpy(ca->stored, o->stored, ROLLUP_DAYS * sizeof(*ca->stored));
    ca->nstored = o->nstored;
    ca->overflow = o->overflow;
    return 1;
}

/* A component's accounting from the store (read on the loop's
 * connection: start, takeover, a component added by a reload). */
static void
restore(struct rollup *r, struct hub *h, struct comp_acc *ca,
        int64_t now_ms)
{
    struct uptime_acc_state st;

    ca->last_status = UPTIME_NODATA;
    if (store_uptime_days(h->store, ca->id,
                          uptime_date_add(uptime_local_date(&r->tz, now_ms),
                                          -(ROLLUP_DAYS - 1)),
                          ca->stored, ROLLUP_DAYS, &ca->nstored) != 0) {
        ca->nstored = 0;
        log_warnx("rollup: cannot read the stored uptime of %s: %s", ca->id,
                  store_errmsg(h->store));
    }
    if (store_uptime_state(h->store, ca->id, &st) == 0 &&
        uptime_acc_restore(&ca->acc, &r->tz, &st, on_day, ca) == 0) {
        /* The collector was down since the checkpoint: no data. */
        uptime_acc_feed(&ca->acc, now_ms, UPTIME_NODATA);
    } else {
        uptime_acc_init(&ca->acc, &r->tz, now_ms, UPTIME_NODATA, on_day, ca);
    }
}

static int
build(struct hub *h, const struct rollup *old, int64_t now_ms,
      struct rollup **ret)
{
    struct rollup *r = ph_calloc(1, sizeof(*r));
    struct idmap old_ids = {0};
    int64_t mono = time_mono_ms();

    if (r == NULL) {
        return PH_ENOMEM;
    }
    r->tz.utc_offset_s = uptime_tz_localtime;
    r->tz.arg = NULL;
    r->store = h->store;
    r->conf = &h->conf;
    r->ncomps = h->conf.ncomponents;
    r->comps = ph_calloc(r->ncomps + 1, sizeof(*r->comps));
    r->days = ph_calloc((r->ncomps + 1) * (ROLLUP_MAX_PENDING + ROLLUP_DAYS),
                        sizeof(*r->days));
    if (r->comps == NULL || r->days == NULL) {
        rollup_free(r);
        return PH_ENOMEM;
    }
    /* By id: a rebuild (every API create) at 2000 components would
     * otherwise compare ids 4 million times. Without memory for it, a
     * search. */
    if (old != NULL &&
        idmap_init_stride(&old_ids, old->comps, old->ncomps,
                          sizeof(*old->comps), offsetof(struct comp_acc, id),
                          0) != 0) {
        memset(&old_ids, 0, sizeof(old_ids));
    }
    for (size_t i = 0; i < r->ncomps; i++) {
        struct comp_acc *ca = &r->comps[i];

        /* Written now; the next ones spread over the coming period. */
        ca->checkpoint_ms =
            mono - (int64_t)(i * ROLLUP_CHECKPOINT_MS / r->ncomps);
        ca->pending = &r->days[i * (ROLLUP_MAX_PENDING + ROLLUP_DAYS)];
        ca->stored = ca->pending + ROLLUP_MAX_PENDING;
        ca->r = r;
        ca->index = (int)i;
        snprintf(ca->id, sizeof(ca->id), "%s", h->conf.components[i].id);
        if (!carry_over(old_comp(old, &old_ids, ca->id), ca)) {
            restore(r, h, ca, now_ms);
        }
        persist(r, ca);
    }
    idmap_free(&old_ids);
    *ret = r;
    return 0;
}

int
rollup_new(struct hub *h, int64_t now_ms, struct rollup **ret)
{
    return build(h, NULL, now_ms, ret);
}

int
rollup_renew(const struct rollup *old, struct hub *h, int64_t now_ms,
             struct rollup **ret)
{
    return build(h, old, now_ms, ret);
}

void
rollup_destroy(struct rollup *r)
{
    if (r == NULL) {
        return;
    }
    if (r->inflight > 0) {
        r->dead = 1; /* freed by the last checkpoint's callback */
        return;
    }
    rollup_free(r);
}

void
rollup_observe(struct rollup *r, struct hub *h, int64_t now_ms,
               int force)
{
    int64_t mono = time_mono_ms();

    for (size_t i = 0; i < r->ncomps && i < h->conf.ncomponents; i++) {
        struct comp_acc *ca = &r->comps[i];
        int st = status_of(h, (int)i);

        if (st != ca->last_status) {
            uptime_acc_feed(&ca->acc, now_ms, st);
            ca->last_status = st;
        } else {
            uptime_acc_advance(&ca->acc, now_ms);
        }
        if (force || ca->npending > 0 ||
            mono - ca->checkpoint_ms >= ROLLUP_CHECKPOINT_MS) {
            ca->checkpoint_ms = mono;
            persist(r, ca);
        }
    }
}

/* The length in seconds of day i of the window that starts at first (23
 * or 25 hours where the clock changes). */
static int64_t
day_len_s(struct rollup *r, int32_t first, int i)
{
    if (r->lens_first != first) {
        memset(r->lens_s, 0, sizeof(r->lens_s));
        r->lens_first = first;
    }
    if (r->lens_s[i] == 0) {
        int32_t d = uptime_date_add(first, i);

        r->lens_s[i] = (uptime_day_start_ms(&r->tz, uptime_date_add(d, 1)) -
                        uptime_day_start_ms(&r->tz, d)) /
                       1000;
    }
    return r->lens_s[i];
}

int
rollup_days(struct rollup *r, struct hub *h, int component,
            int64_t now_ms, struct uptime_day out[ROLLUP_DAYS])
{
    const struct uptime_day *stored;
    struct uptime_day today;
    int32_t date = uptime_local_date(&r->tz, now_ms);
    int32_t first = uptime_date_add(date, -(ROLLUP_DAYS - 1));
    size_t n, k = 0;

    (void)h;
    if (component < 0 || (size_t)component >= r->ncomps) {
        return PH_EINVAL;
    }
    /* From memory: the days this rollup read at start or wrote since. */
    stored = r->comps[component].stored;
    n = r->comps[component].nstored;
    uptime_acc_current(&r->comps[component].acc, &today);
    for (int i = 0; i < ROLLUP_DAYS; i++) {
        int32_t d = uptime_date_add(first, i);
        struct uptime_day *o = &out[i];

        while (k < n && stored[k].date < d) {
            k++;
        }
        if (d == today.date) {
            *o = today;
        } else if (k < n && stored[k].date == d) {
            *o = stored[k];
        } else {
            int64_t len = day_len_s(r, first, i);

            memset(o, 0, sizeof(*o));
            o->date = d;
            o->day_s = len;
            o->nodata_s = len;
        }
    }
    return 0;
}

const struct uptime_tz *
rollup_tz(const struct rollup *r)
{
    return &r->tz;
}
