/*
 * engine.c - the state engine (ARCHITECTURE.md "Check results and state
 * derivation"). Pure: no I/O, no clock reads, no logging.
 *
 * Regional state per (check, region), driven by three counters of
 * consecutive results (downs, slow-or-worse "bads", ups):
 *   - fail_after consecutive down results          -> DOWN
 *   - fail_after consecutive slow-or-down results  -> DEGRADED, unless DOWN
 *   - recover_after consecutive up results         -> UP
 *   - leaving DOWN for DEGRADED also takes recover_after results that are
 *     not down: improving is as hesitant as worsening, so a target that
 *     alternates down and slow does not flap between DOWN and DEGRADED.
 *   Otherwise the state is kept (hysteresis). A new pair starts NODATA and
 *   the first results move it with the same counters.
 *   - no result for 3 x interval + timeout (checked by engine_tick() at
 *     now_ms) -> STALE. The next result restarts the counters from zero and
 *     puts the pair back to NODATA ("reporting, but not enough evidence
 *     yet"); it counts as fresh again only once a state is reached.
 *   - a result older than the last one accepted for the pair is ignored;
 *     one with the same time is accepted (ingest already drops duplicates).
 *     So is one older than the component's restored status (a spool
 *     replayed to a new leader: engine_restore()).
 *     A tick brings a last result time that is ahead of now_ms back to
 *     now_ms (the clock stepped back), so results keep counting.
 *
 * Check verdict with R assigned regions, F fresh ones (UP, DEGRADED or
 * DOWN), d DOWN and g DEGRADED among them, and quorum q (the absolute
 * quorum; else quorum_pct% of R rounded up; else floor(R/2)+1; at least 1):
 *   |F| < q -> UNKNOWN; d >= q -> DOWN (major if d == |F|, else partial);
 *   d + g >= q -> DEGRADED; 0 < d < q -> minority failure: a regional note
 *   (engine_check_minority(), engine_region_info()) and UP, or DEGRADED with
 *   minority: degraded; else UP.
 *
 * Component probe status = worst over its checks (DOWN major -> major,
 * DOWN partial or impact: partial -> partial, DEGRADED -> degraded, UP ->
 * operational); a component without checks is operational. UNKNOWN checks
 * carry no evidence, so the rule is: while any check of a component is
 * UNKNOWN, its probe status keeps its previous value unless a known check
 * makes it worse. A blind collector never reports an improvement it cannot
 * see, nor an outage; it can still report a worsening it does see.
 *
 * Mass failure (engine_conf.mass_failure): before the verdicts, each
 * region's pairs that are not STALE and have a result are counted, and
 * among them those whose last result is down (not those in state DOWN:
 * a check's pair reaches DOWN only after fail_after results, by which
 * time the region's other checks have run and failed once); a
 * region failing more than the rule's share of its checks at once, while
 * some other reporting region does not, is suspect (depends.c): its pairs
 * keep their states for regions.json but count as neither fresh nor down
 * in any verdict, so one broken vantage point (its network, its DNS, a
 * dead proxy) never turns components red. With too few other regions
 * the check is UNKNOWN and components keep their status.
 *
 * Dependencies: once every component's effective status is known, a
 * component in an outage (partial or major) with something it depends
 * on, directly or not, in an outage is "affected by" the root of that
 * chain (depends_blame()); the transition carries it (affected_by,
 * was_affected_by) and its reason starts with "affected by <id>". The
 * status itself is not changed: the dependent really is down.
 *
 * Effective status: active maintenance -> under_maintenance (source
 * maintenance); else a manual override until cleared or until its expiry
 * passes at a tick (source manual); else the worse of probe and alert
 * status (source alert when the alert is strictly worse, else probe).
 *
 * Cost: engine_result() is O(1); engine_tick() is O(checks x regions) plus,
 * for each component that changed, O(its checks x regions) for the reason.
 */
#include "engine.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mem.h"
#include "ph_err.h"
#include "timefmt.h"
#include "utf8.h"

struct pair {
    enum rstate state;
    enum outcome last_outcome;
    int64_t last_at_ms;
    int64_t since_ms;
    uint32_t last_latency_ms;
    uint32_t downs;      /* consecutive down results */
    uint32_t bads;       /* consecutive slow-or-down results */
    uint32_t ups;        /* consecutive up results */
    uint32_t notdowns;   /* consecutive up-or-slow results */
    char last_error[CHECK_ERROR_MAX];
};

struct echeck {
    char id[CHECK_ID_MAX];
    int component;
    int64_t stale_after_ms;
    uint32_t fail_after;
    uint32_t recover_after;
    uint32_t q;              /* effective quorum */
    unsigned char *assigned; /* nregions flags */
    int *rlist;              /* assigned region indices, config order */
    size_t nassigned;
    enum check_minority minority;
    enum check_impact impact;
    enum verdict verdict;
    uint32_t nfresh;         /* counts from the last tick */
    uint32_t ndown;
    struct pair *pairs;      /* nregions entries */
};

struct ecomp {
    enum comp_status probe;  /* probe-derived, sticky while UNKNOWN */
    enum comp_status effective;
    int64_t restored_ms;     /* engine_restore()'s since_ms */
    int unknown;
    int maintenance;
    int override_active;
    enum comp_status override_status;
    int64_t override_expires_ms;
    enum comp_status alert;
    char alert_reason[ENGINE_REASON_MAX / 2]; /* who says so, for the log */
    int *checks;             /* indices of its checks */
    size_t nchecks;
    int deps[DEPENDS_MAX];   /* indices of its dependencies */
    size_t ndeps;
    int affected_by;         /* -1 or the dependency blamed */
    int cause;               /* -1 or the dependency blamed at any time
                                during the current outage */
    enum comp_status next;   /* tick scratch: the new effective status */
    enum status_source next_src;
    int expired;             /* tick scratch: the override expired */
};

struct eregion {
    int suspect;
    int changed;             /* suspect flipped at the last tick */
    int64_t since_ms;
    uint32_t failing;        /* counts from the last tick */
    uint32_t total;
};

struct engine {
    size_t nregions;
    char (*region_ids)[CHECK_ID_MAX];
    char (*comp_ids)[CHECK_ID_MAX];
    size_t ncomponents;
    struct ecomp *comps;
    size_t nchecks;
    struct echeck *checks;
    int *comp_check_idx;     /* backing store of every ecomp.checks */
    size_t quorum_lost;
    struct mass_failure_rule mass;
    struct eregion *rstate;  /* nregions entries */
    size_t nsuspect;
    /* tick scratch, ncomponents / nregions entries */
    const int **dep_ptrs;
    size_t *dep_counts;
    unsigned char *down;
    int *blame_stack;
    unsigned char *blame_seen;
    uint32_t *failing;
    uint32_t *total;
    unsigned char *suspect;
};

void
engine_destroy(struct engine *e)
{
    if (e == NULL) {
        return;
    }
    if (e->checks != NULL) {
        for (size_t i = 0; i < e->nchecks; i++) {
            ph_free(e->checks[i].assigned);
            ph_free(e->checks[i].rlist);
            ph_free(e->checks[i].pairs);
        }
    }
    ph_free(e->checks);
    ph_free(e->comp_check_idx);
    ph_free(e->region_ids);
    ph_free(e->comp_ids);
    ph_free(e->comps);
    ph_free(e->rstate);
    ph_free(e->dep_ptrs);
    ph_free(e->dep_counts);
    ph_free(e->down);
    ph_free(e->blame_stack);
    ph_free(e->blame_seen);
    ph_free(e->failing);
    ph_free(e->total);
    ph_free(e->suspect);
    ph_free(e);
}

static uint32_t
quorum_for(const struct engine_check_conf *k, size_t nassigned)
{
    uint64_t q;

    if (k->quorum > 0) {
        q = k->quorum;
    } else if (k->quorum_pct > 0) {
        q = ((uint64_t)nassigned * k->quorum_pct + 99) / 100;
    } else {
        q = nassigned / 2 + 1;
    }
    return q == 0 ? 1 : (uint32_t)q;
}

/* Copies one check; returns 0 or a negative PH_E*. */
static int
setup_check(struct engine *e, const struct engine_conf *conf, size_t i)
{
    const struct engine_check_conf *k = &conf->checks[i];
    struct echeck *c = &e->checks[i];

    if (k->id == NULL || k->component < 0 ||
        (size_t)k->component >= conf->ncomponents || k->quorum_pct > 100 ||
        (k->nregions > 0 && k->regions == NULL)) {
        return PH_EINVAL;
    }
    snprintf(c->id, sizeof(c->id), "%s", k->id);
    c->component = k->component;
    c->stale_after_ms = 3 * (int64_t)k->interval_ms + (int64_t)k->timeout_ms;
    c->fail_after = k->fail_after ? k->fail_after : 2;
    c->recover_after = k->recover_after ? k->recover_after : 2;
    c->minority = k->minority;
    c->impact = k->impact;
    c->verdict = VERDICT_UNKNOWN;
    c->assigned = ph_calloc(conf->nregions + 1, 1);
    c->rlist = ph_calloc(conf->nregions + 1, sizeof(*c->rlist));
    c->pairs = ph_calloc(conf->nregions + 1, sizeof(*c->pairs));
    if (c->assigned == NULL || c->rlist == NULL || c->pairs == NULL) {
        return PH_ENOMEM;
    }
    if (k->nregions == 0) {
        for (size_t r = 0; r < conf->nregions; r++) {
            c->assigned[r] = 1;
            c->rlist[c->nassigned++] = (int)r;
        }
    } else {
        for (size_t r = 0; r < k->nregions; r++) {
            int ri = k->regions[r];

            if (ri < 0 || (size_t)ri >= conf->nregions) {
                return PH_EINVAL;
            }
            if (!c->assigned[ri]) {
                c->assigned[ri] = 1;
                c->rlist[c->nassigned++] = ri;
            }
        }
    }
    /* A quorum above the assigned regions could never be met: the config
     * layer rejects it, and so do we rather than report UNKNOWN forever. */
    if (k->quorum > c->nassigned) {
        return PH_EINVAL;
    }
    c->q = quorum_for(k, c->nassigned);
    return 0;
}

/* Builds each component's list of check indices in one shared array. */
static int
index_components(struct engine *e)
{
    size_t *fill;

    e->comp_check_idx = ph_calloc(e->nchecks + 1,
                                  sizeof(*e->comp_check_idx));
    fill = ph_calloc(e->ncomponents + 1, sizeof(*fill));
    if (e->comp_check_idx == NULL || fill == NULL) {
        ph_free(fill);
        return PH_ENOMEM;
    }
    for (size_t i = 0; i < e->nchecks; i++) {
        e->comps[e->checks[i].component].nchecks++;
    }
    for (size_t ci = 0, off = 0; ci < e->ncomponents; ci++) {
        e->comps[ci].checks = &e->comp_check_idx[off];
        off += e->comps[ci].nchecks;
    }
    for (size_t i = 0; i < e->nchecks; i++) {
        int ci = e->checks[i].component;

        e->comps[ci].checks[fill[ci]++] = (int)i;
    }
    ph_free(fill);
    return 0;
}

struct engine *
engine_new(const struct engine_conf *conf, int64_t now_ms)
{
    struct engine *e;

    /* Every pair starts NODATA with no time attached, so the start time
     * is not needed: staleness is measured from the last result. */
    (void)now_ms;
    if (conf == NULL || (conf->nregions > 0 && conf->regions == NULL) ||
        (conf->ncomponents > 0 && conf->components == NULL) ||
        (conf->nchecks > 0 && conf->checks == NULL)) {
        return NULL;
    }
    e = ph_calloc(1, sizeof(*e));
    if (e == NULL) {
        return NULL;
    }
    e->nregions = conf->nregions;
    e->ncomponents = conf->ncomponents;
    e->region_ids = ph_calloc(conf->nregions + 1, sizeof(*e->region_ids));
    e->comps = ph_calloc(conf->ncomponents + 1, sizeof(*e->comps));
    e->checks = ph_calloc(conf->nchecks + 1, sizeof(*e->checks));
    e->comp_ids = ph_calloc(conf->ncomponents + 1, sizeof(*e->comp_ids));
    e->rstate = ph_calloc(conf->nregions + 1, sizeof(*e->rstate));
    e->dep_ptrs = ph_calloc(conf->ncomponents + 1, sizeof(*e->dep_ptrs));
    e->dep_counts = ph_calloc(conf->ncomponents + 1,
                              sizeof(*e->dep_counts));
    e->down = ph_calloc(conf->ncomponents + 1, 1);
    e->blame_stack = ph_calloc(conf->ncomponents + 1,
                               sizeof(*e->blame_stack));
    e->blame_seen = ph_calloc(conf->ncomponents + 1, 1);
    e->failing = ph_calloc(conf->nregions + 1, sizeof(*e->failing));
    e->total = ph_calloc(conf->nregions + 1, sizeof(*e->total));
    e->suspect = ph_calloc(conf->nregions + 1, 1);
    if (e->region_ids == NULL || e->comps == NULL || e->checks == NULL ||
        e->comp_ids == NULL || e->rstate == NULL || e->dep_ptrs == NULL ||
        e->dep_counts == NULL || e->down == NULL || e->blame_stack == NULL ||
        e->blame_seen == NULL || e->failing == NULL || e->total == NULL ||
        e->suspect == NULL) {
        goto fail;
    }
    if (conf->mass_failure.share < 0.0 || conf->mass_failure.share > 1.0) {
        goto fail;
    }
    e->mass = conf->mass_failure;
    for (size_t ci = 0; ci < conf->ncomponents; ci++) {
        const struct engine_component_conf *k = &conf->components[ci];
        struct ecomp *m = &e->comps[ci];

        m->affected_by = -1;
        m->cause = -1;
        snprintf(e->comp_ids[ci], CHECK_ID_MAX, "%s",
                 k->id != NULL ? k->id : "");
        if (k->ndepends > DEPENDS_MAX ||
            (k->ndepends > 0 && k->depends_on == NULL)) {
            goto fail;
        }
        for (size_t d = 0; d < k->ndepends; d++) {
            int di = k->depends_on[d];

            if (di < 0 || (size_t)di >= conf->ncomponents) {
                goto fail;
            }
            m->deps[m->ndeps++] = di;
        }
        e->dep_ptrs[ci] = m->deps;
        e->dep_counts[ci] = m->ndeps;
    }
    for (size_t r = 0; r < conf->nregions; r++) {
        snprintf(e->region_ids[r], CHECK_ID_MAX, "%s",
                 conf->regions[r].id != NULL ? conf->regions[r].id : "");
    }
    /* nchecks grows as checks are set up so destroy frees only those. */
    for (size_t i = 0; i < conf->nchecks; i++) {
        e->nchecks = i + 1;
        if (setup_check(e, conf, i) != 0) {
            goto fail;
        }
    }
    if (index_components(e) != 0) {
        goto fail;
    }
    return e;
fail:
    engine_destroy(e);
    return NULL;
}

/* A copy of n bytes of src into new memory (n may be 0); NULL on failure. */
static void *
dup_bytes(const void *src, size_t n)
{
    void *d = ph_malloc(n + 1);

    if (d != NULL && n > 0) {
        memcpy(d, src, n);
    }
    return d;
}

struct engine *
engine_clone(const struct engine *e)
{
    struct engine *c = ph_calloc(1, sizeof(*c));
    size_t nr, nc;

    if (c == NULL) {
        return NULL;
    }
    *c = *e;
    nr = e->nregions;
    nc = e->ncomponents;
    /* Nothing below points into e once the copies are made; until then
     * each pointer is reset, so engine_destroy() frees only ours. */
    c->nchecks = 0;
    c->checks = NULL;
    c->region_ids = dup_bytes(e->region_ids, nr * sizeof(*e->region_ids));
    c->comp_ids = dup_bytes(e->comp_ids, nc * sizeof(*e->comp_ids));
    c->comps = dup_bytes(e->comps, nc * sizeof(*e->comps));
    c->comp_check_idx = dup_bytes(e->comp_check_idx,
                                  e->nchecks * sizeof(*e->comp_check_idx));
    c->rstate = dup_bytes(e->rstate, nr * sizeof(*e->rstate));
    c->dep_ptrs = ph_calloc(nc + 1, sizeof(*c->dep_ptrs));
    c->dep_counts = dup_bytes(e->dep_counts, nc * sizeof(*e->dep_counts));
    c->down = ph_calloc(nc + 1, 1);
    c->blame_stack = ph_calloc(nc + 1, sizeof(*c->blame_stack));
    c->blame_seen = ph_calloc(nc + 1, 1);
    c->failing = ph_calloc(nr + 1, sizeof(*c->failing));
    c->total = ph_calloc(nr + 1, sizeof(*c->total));
    c->suspect = ph_calloc(nr + 1, 1);
    c->checks = ph_calloc(e->nchecks + 1, sizeof(*c->checks));
    if (c->region_ids == NULL || c->comp_ids == NULL || c->comps == NULL ||
        c->comp_check_idx == NULL || c->rstate == NULL ||
        c->dep_ptrs == NULL || c->dep_counts == NULL || c->down == NULL ||
        c->blame_stack == NULL || c->blame_seen == NULL ||
        c->failing == NULL || c->total == NULL || c->suspect == NULL ||
        c->checks == NULL) {
        goto fail;
    }
    for (size_t ci = 0; ci < nc; ci++) {
        c->comps[ci].checks =
            c->comp_check_idx + (e->comps[ci].checks - e->comp_check_idx);
        c->dep_ptrs[ci] = c->comps[ci].deps;
    }
    for (size_t i = 0; i < e->nchecks; i++) {
        const struct echeck *k = &e->checks[i];
        struct echeck *d = &c->checks[i];

        *d = *k;
        d->assigned = dup_bytes(k->assigned, nr);
        d->rlist = dup_bytes(k->rlist, nr * sizeof(*k->rlist));
        d->pairs = dup_bytes(k->pairs, nr * sizeof(*k->pairs));
        c->nchecks = i + 1;
        if (d->assigned == NULL || d->rlist == NULL || d->pairs == NULL) {
            goto fail;
        }
    }
    return c;
fail:
    engine_destroy(c);
    return NULL;
}

/* Applies the hysteresis rules to the counters; see the header comment. */
static enum rstate
next_state(const struct echeck *c, const struct pair *p)
{
    if (p->downs >= c->fail_after) {
        return RSTATE_DOWN;
    }
    if (p->ups >= c->recover_after) {
        return RSTATE_UP;
    }
    if (p->bads >= c->fail_after &&
        (p->state != RSTATE_DOWN || p->notdowns >= c->recover_after)) {
        return RSTATE_DEGRADED;
    }
    return p->state;
}

int
engine_result(struct engine *e, int check, int region,
              const struct check_result *r)
{
    struct echeck *c;
    struct pair *p;
    enum rstate next;
    int64_t floor_ms;

    if (e == NULL || r == NULL || check < 0 ||
        (size_t)check >= e->nchecks || region < 0 ||
        (size_t)region >= e->nregions) {
        return PH_EINVAL;
    }
    c = &e->checks[check];
    if (!c->assigned[region] || r->outcome < OUTCOME_UP ||
        r->outcome > OUTCOME_DOWN) {
        return PH_EINVAL;
    }
    p = &c->pairs[region];
    floor_ms = e->comps[c->component].restored_ms;
    if ((p->last_outcome != 0 && r->started_at_ms < p->last_at_ms) ||
        (floor_ms != 0 && r->started_at_ms < floor_ms)) {
        return 0; /* older than what we have, or the restored status */
    }
    if (p->state == RSTATE_STALE) {
        p->downs = p->bads = p->ups = p->notdowns = 0;
        p->state = RSTATE_NODATA;
        p->since_ms = r->started_at_ms;
    }
    p->last_outcome = r->outcome;
    p->last_at_ms = r->started_at_ms;
    p->last_latency_ms = r->latency_ms;
    snprintf(p->last_error, sizeof(p->last_error), "%s", r->error);
    switch (r->outcome) {
    case OUTCOME_DOWN:
        p->downs++;
        p->bads++;
        p->ups = 0;
        p->notdowns = 0;
        break;
    case OUTCOME_SLOW:
        p->downs = 0;
        p->bads++;
        p->ups = 0;
        p->notdowns++;
        break;
    case OUTCOME_UP:
        p->downs = 0;
        p->bads = 0;
        p->ups++;
        p->notdowns++;
        break;
    }
    next = next_state(c, p);
    if (next != p->state) {
        p->state = next;
        p->since_ms = r->started_at_ms;
    }
    return 0;
}

/* Brings each pair of c up to now_ms: clock steps and staleness. */
static void
refresh_pairs(struct echeck *c, int64_t now_ms)
{
    for (size_t i = 0; i < c->nassigned; i++) {
        struct pair *p = &c->pairs[c->rlist[i]];

        /* A last result ahead of now: the clock stepped back (beyond
         * an agent's allowed skew, max_result_ahead, nothing else gets
         * here). Bring the pair to now, or every new result would be
         * "older than the last" and ignored, freezing the pair until
         * the clock caught up again. */
        if (p->last_outcome != 0 && p->last_at_ms > now_ms) {
            p->last_at_ms = now_ms;
        }
        if (p->since_ms > now_ms) {
            p->since_ms = now_ms;
        }
        if (p->last_outcome != 0 && p->state != RSTATE_STALE &&
            time_age_ms(now_ms, p->last_at_ms) > c->stale_after_ms) {
            /* No overflow: last_at_ms + stale_after_ms < now_ms here. */
            p->state = RSTATE_STALE;
            p->since_ms = p->last_at_ms + c->stale_after_ms;
        }
    }
}

static enum verdict
derive_verdict(const struct engine *e, struct echeck *c)
{
    uint32_t fresh = 0, d = 0, g = 0;

    for (size_t i = 0; i < c->nassigned; i++) {
        const struct pair *p = &c->pairs[c->rlist[i]];

        if (e->rstate[c->rlist[i]].suspect) {
            continue; /* a region in mass failure is no evidence */
        }
        switch (p->state) {
        case RSTATE_UP:
            fresh++;
            break;
        case RSTATE_DEGRADED:
            fresh++;
            g++;
            break;
        case RSTATE_DOWN:
            fresh++;
            d++;
            break;
        case RSTATE_NODATA:
        case RSTATE_STALE:
            break;
        }
    }
    c->nfresh = fresh;
    c->ndown = d;
    if (fresh < c->q) {
        return VERDICT_UNKNOWN;
    }
    if (d >= c->q) {
        return d == fresh ? VERDICT_DOWN_MAJOR : VERDICT_DOWN_PARTIAL;
    }
    if (d + g >= c->q) {
        return VERDICT_DEGRADED;
    }
    if (d > 0 && c->minority == MINORITY_DEGRADED) {
        return VERDICT_DEGRADED;
    }
    return VERDICT_UP;
}

static enum comp_status
verdict_status(const struct echeck *c)
{
    switch (c->verdict) {
    case VERDICT_DOWN_MAJOR:
        return c->impact == IMPACT_PARTIAL ? COMP_PARTIAL : COMP_MAJOR;
    case VERDICT_DOWN_PARTIAL:
        return COMP_PARTIAL;
    case VERDICT_DEGRADED:
        return COMP_DEGRADED;
    case VERDICT_UP:
    case VERDICT_UNKNOWN:
        break;
    }
    return COMP_OPERATIONAL;
}

static enum comp_status
worse(enum comp_status a, enum comp_status b)
{
    /* MAINTENANCE never enters here: it is a precedence layer. */
    return a > b ? a : b;
}

/* Bounded string builder for reasons: on overflow the text ends in "..."
 * and later appends are no-ops. */
struct sb {
    char *s;
    size_t len;
    size_t off;
    int full;
};

static void sb_add(struct sb *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
sb_add(struct sb *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (b->full) {
        return;
    }
    va_start(ap, fmt);
    n = vsnprintf(b->s + b->off, b->len - b->off, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < b->len - b->off) {
        b->off += (size_t)n;
        return;
    }
    b->full = 1;
    if (b->len >= 4) {
        /* Cut before "..." on a character boundary: ids, names and
         * alert group keys may be multi-byte, and a split character
         * makes the whole reason invalid UTF-8 in the JSON documents. */
        size_t cut = utf8_trim_partial(b->s, b->len - 4);

        memcpy(b->s + cut, "...", 4);
        b->off = cut + 3;
    } else {
        b->off = b->len - 1;
        b->s[b->len - 1] = '\0';
    }
}

static void
iso(int64_t ms, char out[32])
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;

    if (gmtime_r(&s, &tm) == NULL ||
        strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        snprintf(out, 32, "%lld", (long long)ms);
    }
}

/* " in eu-west, us-east since 2026-..." for the pairs in states a or b. */
static void
reason_regions(const struct engine *e, const struct echeck *c,
               enum rstate a, enum rstate b, struct sb *sb)
{
    int64_t since = 0;
    int listed = 0;
    char ts[32];

    for (size_t i = 0; i < c->nassigned; i++) {
        const struct pair *p = &c->pairs[c->rlist[i]];

        if (p->state != a && p->state != b) {
            continue;
        }
        sb_add(sb, "%s%s", listed ? ", " : " in ", e->region_ids[c->rlist[i]]);
        if (!listed || p->since_ms < since) {
            since = p->since_ms;
        }
        listed = 1;
    }
    if (listed) {
        iso(since, ts);
        sb_add(sb, " since %s", ts);
    }
}

static void
reason_check(const struct engine *e, const struct echeck *c, struct sb *sb)
{
    switch (c->verdict) {
    case VERDICT_DOWN_MAJOR:
    case VERDICT_DOWN_PARTIAL:
        sb_add(sb, "%s down", c->id);
        reason_regions(e, c, RSTATE_DOWN, RSTATE_DOWN, sb);
        break;
    case VERDICT_DEGRADED:
        sb_add(sb, "%s degraded", c->id);
        reason_regions(e, c, RSTATE_DOWN, RSTATE_DEGRADED, sb);
        break;
    case VERDICT_UNKNOWN:
        sb_add(sb, "%s unknown (%u of %zu regions reporting, quorum %u)",
               c->id, c->nfresh, c->nassigned, c->q);
        break;
    case VERDICT_UP:
        sb_add(sb, "%s up", c->id);
        if (c->ndown > 0) {
            sb_add(sb, " (down");
            reason_regions(e, c, RSTATE_DOWN, RSTATE_DOWN, sb);
            sb_add(sb, ")");
        }
        break;
    }
}

/* "api-http down in eu-west, us-east since 2026-...; api-tcp up": checks
 * that are not plainly up come first, so truncation drops the least
 * useful part. */
static void
probe_reason(const struct engine *e, const struct ecomp *m, struct sb *sb)
{
    int any = 0;

    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < m->nchecks; i++) {
            const struct echeck *c = &e->checks[m->checks[i]];
            int plain = c->verdict == VERDICT_UP && c->ndown == 0;

            if (plain != pass) {
                continue;
            }
            if (any) {
                sb_add(sb, "; ");
            }
            reason_check(e, c, sb);
            any = 1;
        }
    }
    if (!any) {
        sb_add(sb, "no checks");
    }
}

/* Derives component ci's probe and effective status into m->next. */
static void
component_eval(struct engine *e, size_t ci, int64_t now_ms)
{
    struct ecomp *m = &e->comps[ci];
    enum comp_status known = COMP_OPERATIONAL;
    enum comp_status eff;
    enum status_source src;
    int unknown = 0;
    int expired = 0;

    for (size_t i = 0; i < m->nchecks; i++) {
        const struct echeck *c = &e->checks[m->checks[i]];

        if (c->verdict == VERDICT_UNKNOWN) {
            unknown = 1;
        } else {
            known = worse(known, verdict_status(c));
        }
    }
    m->unknown = unknown;
    m->probe = unknown ? worse(m->probe, known) : known;
    if (m->override_active && m->override_expires_ms > 0 &&
        now_ms >= m->override_expires_ms) {
        m->override_active = 0;
        expired = 1;
    }
    if (m->maintenance) {
        eff = COMP_MAINTENANCE;
        src = SOURCE_MAINTENANCE;
    } else if (m->override_active) {
        eff = m->override_status;
        src = SOURCE_MANUAL;
    } else if (m->alert > m->probe) {
        eff = m->alert;
        src = SOURCE_ALERT;
    } else {
        eff = m->probe;
        src = SOURCE_PROBE;
    }
    m->next = eff;
    m->next_src = src;
    m->expired = expired;
}

static int
is_outage(enum comp_status s)
{
    return s == COMP_PARTIAL || s == COMP_MAJOR;
}

/* Emits component ci's transition, if its status or the dependency it
 * is attributed to changed; affected is the new attribution. */
static void
component_emit(struct engine *e, size_t ci, int affected, int64_t now_ms,
               engine_transition_cb cb, void *arg)
{
    struct ecomp *m = &e->comps[ci];
    enum comp_status eff = m->next;
    enum status_source src = m->next_src;
    int expired = m->expired;
    int was = m->affected_by;
    struct engine_transition t;
    struct sb sb;

    m->affected_by = affected;
    if (affected >= 0) {
        m->cause = affected;
    }
    if (eff == m->effective) {
        return;
    }
    memset(&t, 0, sizeof(t));
    t.component = (int)ci;
    t.old_status = m->effective;
    t.new_status = eff;
    t.source = src;
    t.at_ms = now_ms;
    t.affected_by = affected;
    /* An outage that a dependency caused stays its doing until it ends,
     * even when the dependency recovered a little earlier. */
    t.was_affected_by = was >= 0 ? was : m->cause;
    if (!is_outage(eff)) {
        m->cause = -1;
    }
    sb.s = t.reason;
    sb.len = sizeof(t.reason);
    sb.off = 0;
    sb.full = 0;
    if (affected >= 0) {
        sb_add(&sb, "affected by %s: ", e->comp_ids[affected]);
    }
    switch (src) {
    case SOURCE_MAINTENANCE:
        sb_add(&sb, "maintenance");
        break;
    case SOURCE_MANUAL:
        sb_add(&sb, "manual override");
        break;
    case SOURCE_ALERT:
        sb_add(&sb, "alert");
        if (m->alert_reason[0] != '\0') {
            sb_add(&sb, ": %s", m->alert_reason);
        }
        break;
    case SOURCE_PROBE:
        if (expired) {
            sb_add(&sb, "manual override expired; ");
        }
        probe_reason(e, m, &sb);
        break;
    }
    m->effective = eff;
    if (cb != NULL) {
        cb(&t, arg);
    }
}

/* t + d, saturated to the int64 range (result times come from agents). */
static int64_t
add_sat(int64_t t, int64_t d)
{
    int64_t r;

    if (__builtin_add_overflow(t, d, &r)) {
        return d < 0 ? INT64_MIN : INT64_MAX;
    }
    return r;
}

void
engine_shift_time(struct engine *e, int64_t delta_ms)
{
    for (size_t i = 0; e != NULL && i < e->nchecks; i++) {
        struct echeck *c = &e->checks[i];

        for (size_t k = 0; k < c->nassigned; k++) {
            struct pair *p = &c->pairs[c->rlist[k]];

            if (p->last_outcome != 0) {
                p->last_at_ms = add_sat(p->last_at_ms, delta_ms);
            }
            if (p->since_ms != 0) {
                p->since_ms = add_sat(p->since_ms, delta_ms);
            }
        }
    }
}

/* Counts each region's reporting and failing checks and applies the
 * mass failure rule. */
static void
mass_failure_tick(struct engine *e, int64_t now_ms)
{
    memset(e->failing, 0, e->nregions * sizeof(*e->failing));
    memset(e->total, 0, e->nregions * sizeof(*e->total));
    for (size_t i = 0; i < e->nchecks; i++) {
        const struct echeck *c = &e->checks[i];

        for (size_t k = 0; k < c->nassigned; k++) {
            int r = c->rlist[k];
            const struct pair *p = &c->pairs[r];

            /* By last result, not by state: the first pairs to reach
             * DOWN (fail_after results) must already find the others
             * failing, or they would turn components red before the
             * rule sees the region fail as a whole. */
            if (p->last_outcome != 0 && p->state != RSTATE_STALE) {
                e->total[r]++;
                e->failing[r] += p->last_outcome == OUTCOME_DOWN;
            }
        }
    }
    e->nsuspect = depends_mass_failure(&e->mass, e->failing, e->total,
                                       e->nregions, e->suspect);
    for (size_t r = 0; r < e->nregions; r++) {
        struct eregion *g = &e->rstate[r];
        int s = e->suspect[r] != 0;

        g->changed = s != g->suspect;
        if (g->changed) {
            g->suspect = s;
            g->since_ms = s ? now_ms : 0;
        }
        g->failing = e->failing[r];
        g->total = e->total[r];
    }
}

void
engine_tick(struct engine *e, int64_t now_ms, engine_transition_cb cb,
            void *arg)
{
    struct dep_graph g;

    e->quorum_lost = 0;
    for (size_t i = 0; i < e->nchecks; i++) {
        refresh_pairs(&e->checks[i], now_ms);
    }
    mass_failure_tick(e, now_ms);
    for (size_t i = 0; i < e->nchecks; i++) {
        e->checks[i].verdict = derive_verdict(e, &e->checks[i]);
        if (e->checks[i].verdict == VERDICT_UNKNOWN) {
            e->quorum_lost++;
        }
    }
    for (size_t ci = 0; ci < e->ncomponents; ci++) {
        component_eval(e, ci, now_ms);
        e->down[ci] = is_outage(e->comps[ci].next);
    }
    g.n = e->ncomponents;
    g.deps = e->dep_ptrs;
    g.ndeps = e->dep_counts;
    for (size_t ci = 0; ci < e->ncomponents; ci++) {
        component_emit(e, ci,
                       depends_blame(&g, e->down, (int)ci, e->blame_stack,
                                     e->blame_seen),
                       now_ms, cb, arg);
    }
}

static int
comp_ok(const struct engine *e, int component)
{
    return e != NULL && component >= 0 &&
           (size_t)component < e->ncomponents;
}

static int
status_ok(enum comp_status s)
{
    return s >= COMP_OPERATIONAL && s <= COMP_MAINTENANCE;
}

void
engine_set_maintenance(struct engine *e, int component, int active)
{
    if (comp_ok(e, component)) {
        e->comps[component].maintenance = active ? 1 : 0;
    }
}

void
engine_set_override(struct engine *e, int component, enum comp_status status,
                    int64_t expires_ms)
{
    if (comp_ok(e, component) && status_ok(status)) {
        e->comps[component].override_active = 1;
        e->comps[component].override_status = status;
        e->comps[component].override_expires_ms = expires_ms;
    }
}

void
engine_clear_override(struct engine *e, int component)
{
    if (comp_ok(e, component)) {
        e->comps[component].override_active = 0;
    }
}

void
engine_set_alert(struct engine *e, int component, enum comp_status status)
{
    /* An alert says something is wrong; "under maintenance" is not a
     * severity and cannot come from an alert. */
    if (comp_ok(e, component) && status_ok(status) &&
        status != COMP_MAINTENANCE) {
        e->comps[component].alert = status;
    }
}

void
engine_set_alert_reason(struct engine *e, int component, const char *reason)
{
    if (comp_ok(e, component)) {
        char *dst = e->comps[component].alert_reason;
        int n = snprintf(dst, sizeof(e->comps[component].alert_reason),
                         "%s", reason != NULL ? reason : "");

        if (n > 0 && (size_t)n >= sizeof(e->comps[component].alert_reason)) {
            dst[utf8_trim_partial(dst, strlen(dst))] = '\0';
        }
    }
}

void
engine_restore(struct engine *e, int component, enum comp_status probe,
               enum comp_status effective, int64_t since_ms)
{
    if (comp_ok(e, component) && status_ok(probe) && status_ok(effective)) {
        e->comps[component].probe =
            probe == COMP_MAINTENANCE ? COMP_OPERATIONAL : probe;
        e->comps[component].effective = effective;
        e->comps[component].restored_ms = since_ms;
    }
}

enum comp_status
engine_component_status(const struct engine *e, int component)
{
    return comp_ok(e, component) ? e->comps[component].effective
                                 : COMP_OPERATIONAL;
}

enum comp_status
engine_component_probe(const struct engine *e, int component)
{
    return comp_ok(e, component) ? e->comps[component].probe
                                 : COMP_OPERATIONAL;
}

int
engine_component_unknown(const struct engine *e, int component)
{
    return comp_ok(e, component) ? e->comps[component].unknown : 0;
}

enum verdict
engine_check_verdict(const struct engine *e, int check)
{
    if (e == NULL || check < 0 || (size_t)check >= e->nchecks) {
        return VERDICT_UNKNOWN;
    }
    return e->checks[check].verdict;
}

int
engine_check_minority(const struct engine *e, int check)
{
    const struct echeck *c;

    if (e == NULL || check < 0 || (size_t)check >= e->nchecks) {
        return 0;
    }
    c = &e->checks[check];
    if (c->verdict == VERDICT_UNKNOWN || c->ndown == 0 || c->ndown >= c->q) {
        return 0;
    }
    return (int)c->ndown;
}

int
engine_region_info(const struct engine *e, int check, int region,
                   struct engine_region_info *ret)
{
    const struct pair *p;

    if (e == NULL || ret == NULL || check < 0 ||
        (size_t)check >= e->nchecks || region < 0 ||
        (size_t)region >= e->nregions) {
        return PH_EINVAL;
    }
    p = &e->checks[check].pairs[region];
    ret->state = p->state;
    ret->last_outcome = p->last_outcome;
    ret->last_at_ms = p->last_at_ms;
    ret->since_ms = p->since_ms;
    ret->last_latency_ms = p->last_latency_ms;
    snprintf(ret->last_error, sizeof(ret->last_error), "%s", p->last_error);
    return 0;
}

int
engine_check_has_region(const struct engine *e, int check, int region)
{
    if (e == NULL || check < 0 || (size_t)check >= e->nchecks ||
        region < 0 || (size_t)region >= e->nregions) {
        return 0;
    }
    return e->checks[check].assigned[region];
}

int
engine_component_affected_by(const struct engine *e, int component)
{
    return comp_ok(e, component) ? e->comps[component].affected_by : -1;
}

static int
region_ok(const struct engine *e, int region)
{
    return e != NULL && region >= 0 && (size_t)region < e->nregions;
}

int
engine_region_suspect(const struct engine *e, int region)
{
    return region_ok(e, region) ? e->rstate[region].suspect : 0;
}

int64_t
engine_region_suspect_since(const struct engine *e, int region)
{
    return region_ok(e, region) ? e->rstate[region].since_ms : 0;
}

int
engine_region_suspect_changed(const struct engine *e, int region)
{
    return region_ok(e, region) ? e->rstate[region].changed : 0;
}

void
engine_region_counts(const struct engine *e, int region, uint32_t *failing,
                     uint32_t *total)
{
    *failing = region_ok(e, region) ? e->rstate[region].failing : 0;
    *total = region_ok(e, region) ? e->rstate[region].total : 0;
}

size_t
engine_suspect_regions(const struct engine *e)
{
    return e != NULL ? e->nsuspect : 0;
}

size_t
engine_quorum_lost(const struct engine *e)
{
    return e != NULL ? e->quorum_lost : 0;
}
