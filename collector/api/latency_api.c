/*
 * latency_api.c - GET /api/v2/latency.json: response-time history per
 * component, check and region from the rollups (store_latency.c), never
 * from raw results (docs/api.md).
 */
#include "latency_api.h"

#include <stdio.h>
#include <string.h>

#include "access.h"
#include "deferred.h"
#include "latency.h"
#include "mem.h"
#include "ph_err.h"
#include "pharos_conf.h"
#include "store.h"
#include "timefmt.h"
#include "token.h"

/* The largest document: points over every series it holds. */
#define LATENCY_POINTS_MAX 200000
/* Query parameter values longer than this are refused. */
#define LATENCY_PARAM_MAX 63

/* The ranges served and the period of their points. */
static const struct {
    const char *name;
    int64_t ms;
    int period_s;
} ranges[] = {
    {"1h", 3600000LL, LAT_PERIOD_FINE},
    {"6h", 6 * 3600000LL, LAT_PERIOD_FINE},
    {"24h", 24 * 3600000LL, LAT_PERIOD_FINE},
    {"48h", 48 * 3600000LL, LAT_PERIOD_FINE},
    {"7d", 7 * 86400000LL, LAT_PERIOD_HOURLY},
    {"30d", 30 * 86400000LL, LAT_PERIOD_HOURLY},
    {"90d", 90 * 86400000LL, LAT_PERIOD_HOURLY},
};
#define NRANGES (sizeof(ranges) / sizeof(ranges[0]))

struct walk {
    json_t *regions;    /* [{region, points}] of the current check */
    json_t *points;     /* of the current region */
    char region[CHECK_ID_MAX];
    size_t npoints;     /* in the whole document */
};

static int
on_row(const struct store_latency_row *row, void *arg)
{
    struct walk *w = arg;
    json_t *p;

    if (++w->npoints > LATENCY_POINTS_MAX) {
        return PH_ETOOBIG;
    }
    if (w->points == NULL || strcmp(w->region, row->region) != 0) {
        json_t *ro = json_object();

        snprintf(w->region, sizeof(w->region), "%s", row->region);
        w->points = json_array();
        json_object_set_new(ro, "region", json_string(row->region));
        json_object_set_new(ro, "points", w->points);
        json_array_append_new(w->regions, ro);
    }
    p = json_pack("[IIIII]", (json_int_t)row->bucket_ms, (json_int_t)row->n,
                  (json_int_t)row->p50_ms, (json_int_t)row->p95_ms,
                  (json_int_t)row->max_ms);
    if (p == NULL) {
        return PH_ENOMEM;
    }
    json_array_append_new(w->points, p);
    return 0;
}

/* A parameter: NULL when absent, "" when invalid (too long). */
static const char *
param(struct http_request *req, const char *key)
{
    const char *v = http_req_query(req, key);

    if (v != NULL && (v[0] == '\0' || strlen(v) > LATENCY_PARAM_MAX)) {
        return "";
    }
    return v;
}

static void
bad_request(struct http_response *resp, int cors, const char *msg)
{
    http_resp_error(resp, 400, "invalid_parameter", msg);
    resp->cors = cors;
}

/* One read off the loop (deferred.h): the document built on the loop
 * with a "regions" array per check, filled on the writer thread on
 * PostgreSQL (only the job's own JSON is touched there). */
struct lat_query {
    char check[CHECK_ID_MAX];
    json_t *regions;                   /* borrowed from doc */
};

struct lat_job {
    json_t *doc;
    struct lat_query *q;
    size_t nq;
    char region[CHECK_ID_MAX];         /* "" for every region */
    int period_s;
    int64_t since;
    size_t matched;
    int filtered;                      /* ?component= or ?check= given */
    int priv;
};

static void
lat_job_free(void *arg)
{
    struct lat_job *j = arg;

    json_decref(j->doc);
    ph_free(j->q);
    ph_free(j);
}

static int
lat_job_run(struct store *db, void *arg)
{
    struct lat_job *j = arg;
    struct walk w;
    int rc = 0;

    memset(&w, 0, sizeof(w));
    for (size_t i = 0; i < j->nq && rc == 0; i++) {
        w.regions = j->q[i].regions;
        w.points = NULL;
        rc = store_latency_list(db, j->q[i].check,
                                j->region[0] ? j->region : NULL,
                                j->period_s, j->since, on_row, &w);
    }
    return rc;
}

static void
lat_job_done(struct api_req *rq, struct http_request *req, void *arg,
             int rc, struct http_response *resp)
{
    struct lat_job *j = arg;
    char *text = NULL, hash[TOKEN_HASH_HEX];
    size_t len = 0;
    int priv = j->priv;

    (void)rq;
    (void)req;
    if (rc == PH_ETOOBIG) {
        http_resp_error(resp, 413, "too_large",
                        "more points than one document holds; ask for one "
                        "component or check (?component=, ?check=)");
        resp->cors = !priv;
        return;
    }
    if (rc != 0) {
        http_resp_error(resp, 503, "unavailable",
                        "cannot read response times");
        http_resp_header(resp, "Retry-After", "5");
        resp->cors = !priv;
        return;
    }
    if (j->filtered && j->matched == 0) {
        http_resp_error(resp, 404, "not_found", "no such component or check");
        resp->cors = !priv;
        return;
    }
    rc = ph_json_dump(j->doc, PH_JSON_LF, ROUTE_REPLY_MAX, &text, &len);
    j->doc = NULL; /* taken */
    if (rc != 0) {
        http_resp_error(resp, 500, "internal", ph_strerror(rc));
        return;
    }
    token_hash(text, len, hash);
    http_resp_take(resp, 200, "application/json", (uint8_t *)text, len);
    snprintf(resp->etag, sizeof(resp->etag), "\"%.32s\"", hash);
    if (priv) {
        resp->cache_control = "private, no-cache";
    } else {
        resp->cors = 1;
        resp->cache_control = "public, max-age=30, stale-while-revalidate=60";
    }
}

void
api_latency(struct api_req *rq, struct http_request *req,
            struct http_response *resp)
{
    const struct pharos_conf *cf = &rq->h->conf;
    const char *component = param(req, "component");
    const char *check = param(req, "check");
    const char *region = param(req, "region");
    const char *range = param(req, "range");
    int priv = access_private(rq->h);
    int hide_internal = cf->page.access == PAGE_ACCESS_PUBLIC;
    int64_t now = time_now_ms(), since;
    size_t r;
    struct lat_job *j;
    json_t *doc = NULL, *comps, *regions;

    if (!store_latency_available(rq->h->store)) {
        http_resp_error(resp, 503, "unavailable",
                        "response-time history is kept with the sqlite "
                        "store only in this release, not on PostgreSQL");
        return;
    }
    if (range == NULL) {
        range = "48h";
    }
    for (r = 0; r < NRANGES; r++) {
        if (strcmp(range, ranges[r].name) == 0) {
            break;
        }
    }
    if (r == NRANGES) {
        bad_request(resp, !priv, "range must be 1h, 6h, 24h, 48h, 7d, 30d "
                                 "or 90d");
        return;
    }
    if ((component != NULL && component[0] == '\0') ||
        (check != NULL && check[0] == '\0') ||
        (region != NULL && region[0] == '\0')) {
        bad_request(resp, !priv, "component, check and region must be 1-63 "
                                 "bytes");
        return;
    }
    if (region != NULL && pharos_conf_region_index(cf, region) < 0) {
        http_resp_error(resp, 404, "not_found", "no such region");
        resp->cors = !priv;
        return;
    }
    /* Whole buckets: the first one that starts inside the range. */
    since = lat_bucket_start(now - ranges[r].ms, ranges[r].period_s) +
            (int64_t)ranges[r].period_s * 1000;

    j = ph_calloc(1, sizeof(*j));
    if (j == NULL) {
        http_resp_error(resp, 503, "unavailable", "out of memory");
        return;
    }
    j->priv = priv;
    j->filtered = component != NULL || check != NULL;
    j->period_s = ranges[r].period_s;
    j->since = since;
    snprintf(j->region, sizeof(j->region), "%s", region ? region : "");
    doc = json_object();
    comps = json_array();
    regions = json_array();
    j->doc = doc;
    json_object_set_new(doc, "range", json_string(ranges[r].name));
    json_object_set_new(doc, "period_s", json_integer(ranges[r].period_s));
    json_object_set_new(doc, "since", ph_json_time(since));
    json_object_set_new(doc, "fields",
                        json_pack("[sssss]", "t", "n", "p50_ms", "p95_ms",
                                  "max_ms"));
    for (size_t i = 0; i < cf->nregions; i++) {
        const struct conf_region *cr = &cf->regions[i];

        json_array_append_new(
            regions, json_pack("{s:s,s:s}", "id", cr->id, "name",
                               cr->name ? cr->name : cr->id));
    }
    json_object_set_new(doc, "regions", regions);
    json_object_set_new(doc, "components", comps);
    j->q = ph_calloc(cf->nchecks + 1, sizeof(*j->q));
    if (j->q == NULL) {
        lat_job_free(j);
        http_resp_error(resp, 503, "unavailable", "out of memory");
        return;
    }
    for (size_t i = 0; i < cf->ncomponents; i++) {
        const struct conf_component *cc = &cf->components[i];
        json_t *co, *checks;

        if ((hide_internal && cc->internal) || cc->nchecks == 0 ||
            (component != NULL && strcmp(component, cc->id) != 0)) {
            continue;
        }
        co = json_object();
        checks = json_array();
        json_object_set_new(co, "id", json_string(cc->id));
        json_object_set_new(co, "name", json_string(cc->name));
        json_object_set_new(co, "checks", checks);
        json_array_append_new(comps, co);
        for (size_t k = 0; k < cc->nchecks && j->nq < cf->nchecks; k++) {
            const struct check *ck = &cc->checks[k];
            json_t *cko;

            if (check != NULL && strcmp(check, ck->id) != 0) {
                continue;
            }
            j->matched++;
            cko = json_object();
            j->q[j->nq].regions = json_array();
            snprintf(j->q[j->nq].check, sizeof(j->q[j->nq].check), "%s",
                     ck->id);
            json_object_set_new(cko, "id", json_string(ck->id));
            json_object_set_new(cko, "type",
                                json_string(check_type_name(ck->type)));
            json_object_set_new(cko, "regions", j->q[j->nq].regions);
            json_array_append_new(checks, cko);
            j->nq++;
        }
    }
    /* The rollups read off the loop on PostgreSQL. */
    deferred_store(rq, req, resp, lat_job_run, lat_job_done, lat_job_free,
                   j);
}
