#include "ingest.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "log.h"
#include "mem.h"
#include "ph_err.h"
#include "store.h"
#include "timefmt.h"
#include "token.h"
#include "wire.h"

int
ingest_check_in_region(const struct collector *c, size_t check,
                       size_t region)
{
    const struct check *ck = &c->conf.checks[check];
    const char *rid = c->conf.regions[region].id;

    if (ck->nregions == 0) {
        return 1;
    }
    for (size_t i = 0; i < ck->nregions; i++) {
        if (strcmp(ck->regions[i], rid) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Copies the checks of one region into a new array (shallow: the
 * pointers still belong to the config). */
static int
region_checks(const struct collector *c, size_t region,
              struct check **ret, size_t *ret_n)
{
    struct check *v = NULL;
    size_t n = 0;

    if (c->conf.nchecks > 0) {
        v = ph_calloc(c->conf.nchecks, sizeof(*v));
        if (v == NULL) {
            return PH_ENOMEM;
        }
    }
    for (size_t i = 0; i < c->conf.nchecks; i++) {
        if (ingest_check_in_region(c, i, region)) {
            v[n++] = c->conf.checks[i];
        }
    }
    *ret = v;
    *ret_n = n;
    return 0;
}

static uint64_t
fnv1a64(const uint8_t *p, size_t len)
{
    uint64_t h = 1469598103934665603ULL;

    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

int
ingest_build_plans(struct collector *c)
{
    struct region_plan *plans;

    plans = ph_calloc(c->conf.nregions ? c->conf.nregions : 1,
                      sizeof(*plans));
    if (plans == NULL) {
        return PH_ENOMEM;
    }
    for (size_t r = 0; r < c->conf.nregions; r++) {
        struct check *v = NULL;
        size_t n = 0;
        uint8_t *bytes = NULL;
        size_t len = 0;
        int rc = region_checks(c, r, &v, &n);

        if (rc == 0) {
            rc = wire_encode_plan(0, "", c->conf.regions[r].id, 0, v, n,
                                  &bytes, &len);
        }
        ph_free(v);
        if (rc != 0) {
            ph_free(plans);
            return rc;
        }
        /* The version is a content hash: stable across restarts, and it
         * changes exactly when the region's checks change. */
        plans[r].version = fnv1a64(bytes, len) >> 1;
        if (plans[r].version == 0) {
            plans[r].version = 1;
        }
        snprintf(plans[r].etag, sizeof(plans[r].etag), "\"%llx\"",
                 (unsigned long long)plans[r].version);
        ph_free(bytes);
    }
    ph_free(c->plans);
    c->plans = plans;
    return 0;
}

/* Authenticates the Bearer token; returns the agent or NULL after
 * filling a 401 response. */
static const struct conf_agent *
authenticate(struct collector *c, struct http_request *req,
             struct http_response *resp)
{
    const char *h = http_req_header(req, "Authorization");
    const struct conf_agent *a = NULL;
    char hash[TOKEN_HASH_HEX];
    size_t len;

    if (h != NULL && strncasecmp(h, "Bearer ", 7) == 0) {
        h += 7;
        len = strlen(h);
        if (len > 0 && len <= TOKEN_MAX) {
            token_hash(h, len, hash);
            a = auth_find_agent(c, hash);
        }
    }
    if (a == NULL) {
        c->metrics.auth_failures++;
        complain(&c->auth_complaint, time_now_ms(),
                 "ingest: rejected agent request from %s: %s",
                 http_req_client(req),
                 h == NULL ? "no bearer token" : "unknown token");
        http_resp_error(resp, 401, "unauthorized",
                        "missing or invalid agent token");
        http_resp_header(resp, "WWW-Authenticate", "Bearer");
    }
    return a;
}

void
ingest_plan(struct api_req *rq, struct http_request *req,
            struct http_response *resp)
{
    struct collector *c = rq->c;
    const struct conf_agent *a = authenticate(c, req, resp);
    const char *inm;
    int r;
    struct check *v = NULL;
    size_t n = 0;
    uint8_t *bytes = NULL;
    size_t len = 0;
    uint64_t last_seq = 0;
    int rc;

    if (a == NULL) {
        return;
    }
    r = pharos_conf_region_index(&c->conf, a->region);
    if (r < 0) {
        http_resp_error(resp, 500, "internal", "agent region unknown");
        return;
    }
    inm = http_req_header(req, "If-None-Match");
    if (inm != NULL && strcmp(inm, c->plans[r].etag) == 0) {
        c->metrics.plans_not_modified++;
        resp->status = 304;
        snprintf(resp->etag, sizeof(resp->etag), "%s", c->plans[r].etag);
        return;
    }
    store_agent_last_seq(c->store, a->id, &last_seq);
    rc = region_checks(c, (size_t)r, &v, &n);
    if (rc == 0) {
        rc = wire_encode_plan(c->plans[r].version, a->id, a->region,
                              last_seq, v, n, &bytes, &len);
    }
    ph_free(v);
    if (rc != 0) {
        http_resp_error(resp, 500, "internal", ph_strerror(rc));
        return;
    }
    c->metrics.plans_served++;
    http_resp_take(resp, 200, "application/x-protobuf", bytes, len);
    snprintf(resp->etag, sizeof(resp->etag), "%s", c->plans[r].etag);
}

void
ingest_results(struct api_req *rq, struct http_request *req,
               struct http_response *resp)
{
    struct collector *c = rq->c;
    const struct conf_agent *a = authenticate(c, req, resp);
    struct wire_batch batch;
    char err[256];
    const uint8_t *body;
    const char *ct;
    size_t len;
    int region;
    int rc;
    uint8_t *ack = NULL;
    size_t acklen = 0;
    int64_t now = time_now_ms();

    if (a == NULL) {
        return;
    }
    ct = http_req_header(req, "Content-Type");
    if (ct == NULL || strncasecmp(ct, "application/x-protobuf", 22) != 0) {
        c->metrics.batches_rejected++;
        http_resp_error(resp, 415, "unsupported_media_type",
                        "results must be application/x-protobuf");
        return;
    }
    body = http_req_body(req, &len);
    rc = wire_decode_batch(body, len, &batch, err, sizeof(err));
    if (rc != 0) {
        c->metrics.batches_rejected++;
        complain(&c->bad_batch_complaint, now,
                 "ingest: agent %s sent a bad batch: %s", a->id, err);
        http_resp_error(resp, rc == PH_ETOOBIG ? 413 : 400,
                        rc == PH_ETOOBIG ? "payload_too_large"
                                         : "bad_request",
                        err);
        return;
    }
    if (batch.nresults > c->conf.max_results_per_batch) {
        c->metrics.batches_rejected++;
        snprintf(err, sizeof(err), "batch of %zu results over the cap of %u",
                 batch.nresults, c->conf.max_results_per_batch);
        complain(&c->bad_batch_complaint, now, "ingest: agent %s: %s",
                 a->id, err);
        http_resp_error(resp, 413, "payload_too_large", err);
        goto out;
    }
    rc = store_insert_batch(c->store, a->id, a->region, batch.seq,
                            batch.results, batch.nresults, now);
    if (rc == PH_EEXIST) {
        /* Already committed earlier: ack again, store nothing. */
        c->metrics.batches_duplicate++;
    } else if (rc != 0) {
        complain(&c->store_complaint, now,
                 "ingest: cannot store batch %llu of agent %s: %s",
                 (unsigned long long)batch.seq, a->id, ph_strerror(rc));
        http_resp_error(resp, 503, "unavailable", "cannot store results");
        http_resp_header(resp, "Retry-After", "5");
        goto out;
    } else {
        complain_release(&c->store_complaint, "ingest: storing again");
        c->metrics.batches_ingested++;
        c->metrics.results_ingested += batch.nresults;
        region = pharos_conf_region_index(&c->conf, a->region);
        for (size_t i = 0; i < batch.nresults; i++) {
            int ck = idmap_get(&c->check_ids, batch.results[i].check_id);
            if (ck < 0 || region < 0) {
                c->metrics.results_unknown_check++;
                continue;
            }
            engine_result(c->engine, ck, region, &batch.results[i]);
        }
    }
    store_agent_touch(c->store, a->id, a->region, batch.agent_version,
                      batch.plan_version, batch.backlog, now);
    rc = wire_encode_ack(batch.seq, c->plans[pharos_conf_region_index(
                                                 &c->conf, a->region)]
                                        .version,
                         &ack, &acklen);
    if (rc != 0) {
        http_resp_error(resp, 500, "internal", ph_strerror(rc));
        goto out;
    }
    http_resp_take(resp, 200, "application/x-protobuf", ack, acklen);
    if (batch.nresults > 0) {
        collector_request_evaluate_soon(c);
    }
out:
    wire_batch_free(&batch);
}
