/*
 * latency_api.c - GET /api/v2/latency.json: response-time history per
 * component, check and region from the rollups (store_latency.c), never
 * from raw results (docs/api.md).
 */
#include "latency_api.h"

#include <stdio.h>
#include <string.h>

#include "access.h"
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
    size_t r, matched = 0;
    struct walk w;
    json_t *doc = NULL, *comps, *regions;
    char *text = NULL, hash[TOKEN_HASH_HEX];
    size_t len = 0;
    int rc = 0;

    memset(&w, 0, sizeof(w));
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

    doc = json_object();
    comps = json_array();
    regions = json_array();
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
    for (size_t i = 0; i < cf->ncomponents && rc == 0; i++) {
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
        for (size_t k = 0; k < cc->nchecks && rc == 0; k++) {
            const struct check *ck = &cc->checks[k];
            json_t *cko;

            if (check != NULL && strcmp(check, ck->id) != 0) {
                continue;
            }
            matched++;
            cko = json_object();
            w.regions = json_array();
            w.points = NULL;
            json_object_set_new(cko, "id", json_string(ck->id));
            json_object_set_new(cko, "type",
                                json_string(check_type_name(ck->type)));
            json_object_set_new(cko, "regions", w.regions);
            json_array_append_new(checks, cko);
            rc = store_latency_list(rq->h->store, ck->id, region,
                                    ranges[r].period_s, since, on_row, &w);
        }
    }
    if (rc == PH_ETOOBIG) {
        http_resp_error(resp, 413, "too_large",
                        "more points than one document holds; ask for one "
                        "component or check (?component=, ?check=)");
        resp->cors = !priv;
        goto out;
    }
    if (rc != 0) {
        http_resp_error(resp, 503, "unavailable",
                        "cannot read response times");
        resp->cors = !priv;
        goto out;
    }
    if ((component != NULL || check != NULL) && matched == 0) {
        http_resp_error(resp, 404, "not_found", "no such component or check");
        resp->cors = !priv;
        goto out;
    }
    rc = ph_json_dump(doc, PH_JSON_LF, ROUTE_REPLY_MAX, &text, &len);
    doc = NULL; /* taken */
    if (rc != 0) {
        http_resp_error(resp, 500, "internal", ph_strerror(rc));
        goto out;
    }
    token_hash(text, len, hash);
    http_resp_take(resp, 200, "application/json", (uint8_t *)text, len);
    text = NULL;
    snprintf(resp->etag, sizeof(resp->etag), "\"%.32s\"", hash);
    if (priv) {
        resp->cache_control = "private, no-cache";
    } else {
        resp->cors = 1;
        resp->cache_control = "public, max-age=30, stale-while-revalidate=60";
    }
out:
    ph_free(text);
    json_decref(doc);
}
