/*
 * recheck.c - which regions to ask for a re-check, and the table of
 * requests waiting for an ack (see recheck.h).
 */
#include "recheck.h"

#include <string.h>

#include "mem.h"

struct pair {
    int64_t last_request_ms;   /* 0 = never */
    int64_t pending_since_ms;  /* 0 = nothing waits */
};

struct recheck {
    size_t nchecks, nregions;
    struct pair *pairs;        /* nchecks x nregions, check major */
    struct recheck_counts *counts; /* one per check */
};

static int
is_up(enum outcome o)
{
    return o == OUTCOME_UP;
}

size_t
recheck_decide(const struct recheck_region *regions, size_t nregions,
               size_t from, enum outcome prev, enum outcome now,
               unsigned kind, int64_t now_ms, uint32_t window_ms,
               size_t *ret_regions)
{
    size_t n = 0;

    /* A re-check answering us is evidence, not news: it never asks
     * again, so two regions cannot keep each other probing. */
    if (kind == PROBE_RECHECK || now < OUTCOME_UP || now > OUTCOME_DOWN) {
        return 0;
    }
    /* News is a change between up and not up. The first result of a
     * region counts only when it is a failure. */
    if (prev == 0 ? is_up(now) : is_up(prev) == is_up(now)) {
        return 0;
    }
    for (size_t r = 0; r < nregions; r++) {
        const struct recheck_region *v = &regions[r];

        if (r == from || !v->assigned || !v->fresh) {
            continue; /* a stale or cut-off region is not waited for */
        }
        if (v->last != 0 && is_up(v->last) == is_up(now)) {
            continue; /* it already sees the same */
        }
        if (v->last_request_ms != 0 &&
            now_ms - v->last_request_ms < (int64_t)window_ms) {
            continue; /* asked within the window: the rate limit */
        }
        ret_regions[n++] = r;
    }
    return n;
}

struct recheck *
recheck_new(size_t nchecks, size_t nregions)
{
    struct recheck *rc = ph_calloc(1, sizeof(*rc));

    if (rc == NULL) {
        return NULL;
    }
    rc->nchecks = nchecks;
    rc->nregions = nregions;
    rc->pairs = ph_calloc(nchecks * nregions + 1, sizeof(*rc->pairs));
    rc->counts = ph_calloc(nchecks + 1, sizeof(*rc->counts));
    if (rc->pairs == NULL || rc->counts == NULL) {
        recheck_destroy(rc);
        return NULL;
    }
    return rc;
}

void
recheck_destroy(struct recheck *rc)
{
    if (rc == NULL) {
        return;
    }
    ph_free(rc->pairs);
    ph_free(rc->counts);
    ph_free(rc);
}

size_t
recheck_nchecks(const struct recheck *rc)
{
    return rc->nchecks;
}

size_t
recheck_nregions(const struct recheck *rc)
{
    return rc->nregions;
}

static struct pair *
pair_at(const struct recheck *rc, size_t check, size_t region)
{
    if (check >= rc->nchecks || region >= rc->nregions) {
        return NULL;
    }
    return &rc->pairs[check * rc->nregions + region];
}

int64_t
recheck_last_request(const struct recheck *rc, size_t check, size_t region)
{
    const struct pair *p = pair_at(rc, check, region);

    return p != NULL ? p->last_request_ms : 0;
}

void
recheck_request(struct recheck *rc, size_t check, size_t region,
                int64_t now_ms)
{
    struct pair *p = pair_at(rc, check, region);

    if (p == NULL) {
        return;
    }
    /* 0 means "never": a clock at 0 still rate-limits. */
    p->last_request_ms = now_ms != 0 ? now_ms : 1;
    p->pending_since_ms = p->last_request_ms;
    rc->counts[check].requested++;
}

size_t
recheck_take(struct recheck *rc, size_t region, int64_t now_ms,
             uint32_t max_age_ms, size_t *ret_checks, size_t max)
{
    size_t n = 0;

    if (region >= rc->nregions) {
        return 0;
    }
    for (size_t c = 0; c < rc->nchecks && n < max; c++) {
        struct pair *p = &rc->pairs[c * rc->nregions + region];

        if (p->pending_since_ms == 0) {
            continue;
        }
        if (now_ms - p->pending_since_ms > (int64_t)max_age_ms) {
            rc->counts[c].expired++;
        } else {
            ret_checks[n++] = c;
            rc->counts[c].sent++;
        }
        p->pending_since_ms = 0;
    }
    return n;
}

void
recheck_count_result(struct recheck *rc, size_t check, unsigned kind)
{
    if (check >= rc->nchecks) {
        return;
    }
    if (kind == PROBE_CONFIRM) {
        rc->counts[check].confirm_results++;
    } else if (kind == PROBE_RECHECK) {
        rc->counts[check].recheck_results++;
    } else if (kind == PROBE_WATCH) {
        rc->counts[check].watch_results++;
    }
}

void
recheck_counts(const struct recheck *rc, size_t check,
               struct recheck_counts *ret)
{
    if (check >= rc->nchecks) {
        memset(ret, 0, sizeof(*ret));
        return;
    }
    *ret = rc->counts[check];
}
