/*
 * engine.c - the state engine (ARCHITECTURE.md "Check results and state
 * derivation"). Pure: no I/O, no clock reads, no logging.
 *
 * Regional state per (check, region), with hysteresis:
 *   - fail_after consecutive down results  -> DOWN
 *   - fail_after consecutive slow-or-worse -> DEGRADED (if not DOWN)
 *   - recover_after consecutive up results -> UP
 *   - no result for 3 x interval + timeout -> STALE; the counters restart
 *     from zero with the next result, and until a state is reached again
 *     the pair stays STALE (not fresh).
 * Check verdict with R assigned regions, F fresh ones, d DOWN, g DEGRADED
 * and quorum q:
 *   |F| < q -> UNKNOWN; d >= q -> DOWN (major if d == |F|, else partial);
 *   d + g >= q -> DEGRADED; 0 < d < q -> minority failure (DEGRADED only
 *   with minority: degraded); else UP.
 * Component probe status = worst over its known checks. While any check is
 * UNKNOWN the component keeps its previous probe status unless a known
 * check makes it worse: a blind collector never reports an improvement or
 * an outage it cannot see.
 * Effective status: maintenance > manual override > worse(probe, alert).
 */
#include "engine.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mem.h"
#include "ph_err.h"

struct pair {
    enum rstate state;
    enum outcome last_outcome;
    int64_t last_at_ms;
    int64_t since_ms;
    uint32_t last_latency_ms;
    uint32_t downs;      /* consecutive down results */
    uint32_t bads;       /* consecutive slow-or-down results */
    uint32_t ups;        /* consecutive up results */
    char last_error[CHECK_ERROR_MAX];
};

struct echeck {
    char id[CHECK_ID_MAX];
    int component;
    uint32_t interval_ms;
    uint32_t timeout_ms;
    uint32_t fail_after;
    uint32_t recover_after;
    uint32_t quorum;
    uint32_t quorum_pct;
    unsigned char *assigned; /* nregions flags */
    size_t nassigned;
    enum check_minority minority;
    enum check_impact impact;
    enum verdict verdict;
    struct pair *pairs;      /* nregions entries */
};

struct ecomp {
    enum comp_status probe;  /* probe-derived, sticky while UNKNOWN */
    enum comp_status effective;
    int unknown;
    int maintenance;
    int override_active;
    enum comp_status override_status;
    int64_t override_expires_ms;
    enum comp_status alert;
};

struct engine {
    size_t nregions;
    char (*region_ids)[CHECK_ID_MAX];
    size_t ncomponents;
    struct ecomp *comps;
    size_t nchecks;
    struct echeck *checks;
    size_t quorum_lost;
};

static void
free_checks(struct engine *e)
{
    for (size_t i = 0; i < e->nchecks; i++) {
        ph_free(e->checks[i].assigned);
        ph_free(e->checks[i].pairs);
    }
    ph_free(e->checks);
}

void
engine_destroy(struct engine *e)
{
    if (e == NULL) {
        return;
    }
    if (e->checks != NULL) {
        free_checks(e);
    }
    ph_free(e->region_ids);
    ph_free(e->comps);
    ph_free(e);
}

struct engine *
engine_new(const struct engine_conf *conf, int64_t now_ms)
{
    struct engine *e = ph_calloc(1, sizeof(*e));

    (void)now_ms;
    if (e == NULL) {
        return NULL;
    }
    e->nregions = conf->nregions;
    e->ncomponents = conf->ncomponents;
    e->region_ids = ph_calloc(conf->nregions + 1, sizeof(*e->region_ids));
    e->comps = ph_calloc(conf->ncomponents + 1, sizeof(*e->comps));
    e->checks = ph_calloc(conf->nchecks + 1, sizeof(*e->checks));
    if (e->region_ids == NULL || e->comps == NULL || e->checks == NULL) {
        goto fail;
    }
    for (size_t r = 0; r < conf->nregions; r++) {
        snprintf(e->region_ids[r], CHECK_ID_MAX, "%s", conf->regions[r].id);
    }
    e->nchecks = conf->nchecks;
    for (size_t i = 0; i < conf->nchecks; i++) {
        const struct engine_check_conf *k = &conf->checks[i];
        struct echeck *c = &e->checks[i];

        if (k->component < 0 || (size_t)k->component >= conf->ncomponents) {
            goto fail;
        }
        snprintf(c->id, sizeof(c->id), "%s", k->id);
        c->component = k->component;
        c->interval_ms = k->interval_ms;
        c->timeout_ms = k->timeout_ms;
        c->fail_after = k->fail_after ? k->fail_after : 2;
        c->recover_after = k->recover_after ? k->recover_after : 2;
        c->quorum = k->quorum;
        c->quorum_pct = k->quorum_pct;
        c->minority = k->minority;
        c->impact = k->impact;
        c->verdict = VERDICT_UNKNOWN;
        c->assigned = ph_calloc(conf->nregions + 1, 1);
        c->pairs = ph_calloc(conf->nregions + 1, sizeof(*c->pairs));
        if (c->assigned == NULL || c->pairs == NULL) {
            goto fail;
        }
        if (k->nregions == 0) {
            memset(c->assigned, 1, conf->nregions);
            c->nassigned = conf->nregions;
        } else {
            for (size_t r = 0; r < k->nregions; r++) {
                int ri = k->regions[r];
                if (ri < 0 || (size_t)ri >= conf->nregions) {
                    goto fail;
                }
                if (!c->assigned[ri]) {
                    c->assigned[ri] = 1;
                    c->nassigned++;
                }
            }
        }
    }
    return e;
fail:
    engine_destroy(e);
    return NULL;
}

int
engine_result(struct engine *e, int check, int region,
              const struct check_result *r)
{
    struct echeck *c;
    struct pair *p;
    enum rstate next;

    if (check < 0 || (size_t)check >= e->nchecks || region < 0 ||
        (size_t)region >= e->nregions) {
        return PH_EINVAL;
    }
    c = &e->checks[check];
    if (!c->assigned[region]) {
        return PH_EINVAL;
    }
    p = &c->pairs[region];
    if (p->last_outcome != 0 && r->started_at_ms < p->last_at_ms) {
        return 0; /* older than what we have: ignore */
    }
    if (p->state == RSTATE_STALE) {
        p->downs = p->bads = p->ups = 0;
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
        break;
    case OUTCOME_SLOW:
        p->downs = 0;
        p->bads++;
        p->ups = 0;
        break;
    case OUTCOME_UP:
    default:
        p->downs = 0;
        p->bads = 0;
        p->ups++;
        break;
    }
    next = p->state;
    if (p->downs >= c->fail_after) {
        next = RSTATE_DOWN;
    } else if (p->bads >= c->fail_after) {
        next = RSTATE_DEGRADED;
    } else if (p->ups >= c->recover_after) {
        next = RSTATE_UP;
    }
    if (next != p->state) {
        p->state = next;
        p->since_ms = r->started_at_ms;
    }
    return 0;
}

static uint32_t
quorum_of(const struct echeck *c)
{
    uint32_t q;

    if (c->quorum > 0) {
        q = c->quorum;
    } else if (c->quorum_pct > 0) {
        q = (uint32_t)((c->nassigned * c->quorum_pct + 99) / 100);
    } else {
        q = (uint32_t)(c->nassigned / 2 + 1);
    }
    return q == 0 ? 1 : q;
}

static enum verdict
derive_verdict(struct echeck *c, size_t nregions, int64_t now_ms)
{
    int64_t stale_after =
        3 * (int64_t)c->interval_ms + (int64_t)c->timeout_ms;
    uint32_t fresh = 0, d = 0, g = 0;
    uint32_t q = quorum_of(c);

    for (size_t r = 0; r < nregions; r++) {
        struct pair *p = &c->pairs[r];

        if (!c->assigned[r]) {
            continue;
        }
        if (p->last_outcome != 0 && p->state != RSTATE_STALE &&
            now_ms - p->last_at_ms > stale_after) {
            p->state = RSTATE_STALE;
            p->since_ms = p->last_at_ms + stale_after;
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
    if (fresh < q) {
        return VERDICT_UNKNOWN;
    }
    if (d >= q) {
        return d == fresh ? VERDICT_DOWN_MAJOR : VERDICT_DOWN_PARTIAL;
    }
    if (d + g >= q) {
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

static void
iso(int64_t ms, char out[32])
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;

    gmtime_r(&s, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* "api-http down in eu-west, us-east since 2026-...; api-tcp up" */
static void
probe_reason(const struct engine *e, int comp, char *out, size_t len)
{
    size_t off = 0;

    out[0] = '\0';
    for (size_t i = 0; i < e->nchecks && off + 1 < len; i++) {
        const struct echeck *c = &e->checks[i];
        int64_t since = 0;
        int n;
        int listed = 0;

        if (c->component != comp) {
            continue;
        }
        n = snprintf(out + off, len - off, "%s%s %s", off ? "; " : "",
                     c->id, verdict_name(c->verdict));
        if (n < 0 || (size_t)n >= len - off) {
            break;
        }
        off += (size_t)n;
        for (size_t r = 0; r < e->nregions; r++) {
            const struct pair *p = &c->pairs[r];
            if (!c->assigned[r] ||
                (p->state != RSTATE_DOWN && p->state != RSTATE_DEGRADED)) {
                continue;
            }
            n = snprintf(out + off, len - off, "%s%s %s",
                         listed ? ", " : " (", e->region_ids[r],
                         rstate_name(p->state));
            if (n < 0 || (size_t)n >= len - off) {
                return;
            }
            off += (size_t)n;
            listed = 1;
            if (since == 0 || p->since_ms < since) {
                since = p->since_ms;
            }
        }
        if (listed) {
            char ts[32];
            iso(since, ts);
            n = snprintf(out + off, len - off, " since %s)", ts);
            if (n < 0 || (size_t)n >= len - off) {
                return;
            }
            off += (size_t)n;
        }
    }
}

void
engine_tick(struct engine *e, int64_t now_ms, engine_transition_cb cb,
            void *arg)
{
    e->quorum_lost = 0;
    for (size_t i = 0; i < e->nchecks; i++) {
        e->checks[i].verdict = derive_verdict(&e->checks[i], e->nregions,
                                              now_ms);
        if (e->checks[i].verdict == VERDICT_UNKNOWN) {
            e->quorum_lost++;
        }
    }
    for (size_t ci = 0; ci < e->ncomponents; ci++) {
        struct ecomp *m = &e->comps[ci];
        enum comp_status known = COMP_OPERATIONAL;
        enum comp_status eff;
        enum status_source src;
        int unknown = 0;

        for (size_t i = 0; i < e->nchecks; i++) {
            if (e->checks[i].component != (int)ci) {
                continue;
            }
            if (e->checks[i].verdict == VERDICT_UNKNOWN) {
                unknown = 1;
            } else {
                known = worse(known, verdict_status(&e->checks[i]));
            }
        }
        m->unknown = unknown;
        m->probe = unknown ? worse(m->probe, known) : known;
        if (m->override_active && m->override_expires_ms > 0 &&
            now_ms >= m->override_expires_ms) {
            m->override_active = 0;
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
        if (eff != m->effective) {
            struct engine_transition t;

            memset(&t, 0, sizeof(t));
            t.component = (int)ci;
            t.old_status = m->effective;
            t.new_status = eff;
            t.source = src;
            t.at_ms = now_ms;
            switch (src) {
            case SOURCE_MAINTENANCE:
                snprintf(t.reason, sizeof(t.reason), "maintenance window");
                break;
            case SOURCE_MANUAL:
                snprintf(t.reason, sizeof(t.reason), "manual override");
                break;
            case SOURCE_ALERT:
                snprintf(t.reason, sizeof(t.reason), "alert");
                break;
            case SOURCE_PROBE:
                probe_reason(e, (int)ci, t.reason, sizeof(t.reason));
                break;
            }
            m->effective = eff;
            if (cb != NULL) {
                cb(&t, arg);
            }
        }
    }
}

void
engine_set_maintenance(struct engine *e, int component, int active)
{
    if (component >= 0 && (size_t)component < e->ncomponents) {
        e->comps[component].maintenance = active ? 1 : 0;
    }
}

void
engine_set_override(struct engine *e, int component, enum comp_status status,
                    int64_t expires_ms)
{
    if (component >= 0 && (size_t)component < e->ncomponents) {
        e->comps[component].override_active = 1;
        e->comps[component].override_status = status;
        e->comps[component].override_expires_ms = expires_ms;
    }
}

void
engine_clear_override(struct engine *e, int component)
{
    if (component >= 0 && (size_t)component < e->ncomponents) {
        e->comps[component].override_active = 0;
    }
}

void
engine_set_alert(struct engine *e, int component, enum comp_status status)
{
    if (component >= 0 && (size_t)component < e->ncomponents &&
        status != COMP_MAINTENANCE) {
        e->comps[component].alert = status;
    }
}

void
engine_restore(struct engine *e, int component, enum comp_status probe,
               enum comp_status effective)
{
    if (component >= 0 && (size_t)component < e->ncomponents) {
        e->comps[component].probe =
            probe == COMP_MAINTENANCE ? COMP_OPERATIONAL : probe;
        e->comps[component].effective = effective;
    }
}

enum comp_status
engine_component_status(const struct engine *e, int component)
{
    if (component < 0 || (size_t)component >= e->ncomponents) {
        return COMP_OPERATIONAL;
    }
    return e->comps[component].effective;
}

int
engine_component_unknown(const struct engine *e, int component)
{
    if (component < 0 || (size_t)component >= e->ncomponents) {
        return 0;
    }
    return e->comps[component].unknown;
}

enum verdict
engine_check_verdict(const struct engine *e, int check)
{
    if (check < 0 || (size_t)check >= e->nchecks) {
        return VERDICT_UNKNOWN;
    }
    return e->checks[check].verdict;
}

int
engine_region_info(const struct engine *e, int check, int region,
                   struct engine_region_info *ret)
{
    const struct pair *p;

    if (check < 0 || (size_t)check >= e->nchecks || region < 0 ||
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
    if (check < 0 || (size_t)check >= e->nchecks || region < 0 ||
        (size_t)region >= e->nregions) {
        return 0;
    }
    return e->checks[check].assigned[region];
}

size_t
engine_quorum_lost(const struct engine *e)
{
    return e->quorum_lost;
}

const char *
comp_status_name(enum comp_status s)
{
    switch (s) {
    case COMP_OPERATIONAL:
        return "operational";
    case COMP_DEGRADED:
        return "degraded_performance";
    case COMP_PARTIAL:
        return "partial_outage";
    case COMP_MAJOR:
        return "major_outage";
    case COMP_MAINTENANCE:
        return "under_maintenance";
    }
    return "operational";
}

int
comp_status_parse(const char *s)
{
    for (int i = COMP_OPERATIONAL; i <= COMP_MAINTENANCE; i++) {
        if (strcmp(s, comp_status_name((enum comp_status)i)) == 0) {
            return i;
        }
    }
    return -1;
}

const char *
rstate_name(enum rstate s)
{
    switch (s) {
    case RSTATE_NODATA:
        return "nodata";
    case RSTATE_UP:
        return "up";
    case RSTATE_DEGRADED:
        return "degraded";
    case RSTATE_DOWN:
        return "down";
    case RSTATE_STALE:
        return "stale";
    }
    return "nodata";
}

const char *
verdict_name(enum verdict v)
{
    switch (v) {
    case VERDICT_UNKNOWN:
        return "unknown";
    case VERDICT_UP:
        return "up";
    case VERDICT_DEGRADED:
        return "degraded";
    case VERDICT_DOWN_PARTIAL:
        return "down_partial";
    case VERDICT_DOWN_MAJOR:
        return "down_major";
    }
    return "unknown";
}

const char *
status_source_name(enum status_source s)
{
    switch (s) {
    case SOURCE_PROBE:
        return "probe";
    case SOURCE_MANUAL:
        return "manual";
    case SOURCE_ALERT:
        return "alert";
    case SOURCE_MAINTENANCE:
        return "maintenance";
    }
    return "probe";
}
