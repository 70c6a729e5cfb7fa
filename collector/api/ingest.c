#include "ingest.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "agent_wait.h"
#include "auth.h"
#include "deferred.h"
#include "log.h"
#include "hash.h"
#include "mem.h"
#include "ph_err.h"
#include "recheck.h"
#include "store.h"
#include "store_writer.h"
#include "timefmt.h"
#include "token.h"
#include "wire.h"

int
ingest_check_in_region(const struct hub *h, size_t check,
                       size_t region)
{
    const struct check *ck = &h->conf.checks[check];
    const char *rid = h->conf.regions[region].id;

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
region_checks(const struct hub *h, size_t region,
              struct check **ret, size_t *ret_n)
{
    struct check *v = NULL;
    size_t n = 0;

    if (h->conf.nchecks > 0) {
        v = ph_calloc(h->conf.nchecks, sizeof(*v));
        if (v == NULL) {
            return PH_ENOMEM;
        }
    }
    for (size_t i = 0; i < h->conf.nchecks; i++) {
        size_t idx = 0, nin = 0;

        if (!ingest_check_in_region(h, i, region)) {
            continue;
        }
        /* Stagger the regions of the check over its interval, in the
         * order of the config's regions. */
        for (size_t r = 0; r < h->conf.nregions; r++) {
            if (ingest_check_in_region(h, i, r)) {
                idx += r < region;
                nin++;
            }
        }
        v[n] = h->conf.checks[i];
        v[n].phase_offset_ms =
            check_region_offset(v[n].interval_ms, idx, nin);
        n++;
    }
    *ret = v;
    *ret_n = n;
    return 0;
}

int
ingest_build_plans(struct hub *h)
{
    struct region_plan *plans;

    plans = ph_calloc(h->conf.nregions ? h->conf.nregions : 1,
                      sizeof(*plans));
    if (plans == NULL) {
        return PH_ENOMEM;
    }
    for (size_t r = 0; r < h->conf.nregions; r++) {
        struct check *v = NULL;
        size_t n = 0;
        uint8_t *bytes = NULL;
        size_t len = 0;
        int rc = region_checks(h, r, &v, &n);

        if (rc == 0) {
            rc = wire_encode_plan(WIRE_PLAN_GENERIC, 0, "",
                                  h->conf.regions[r].id, 0, v, n, &bytes,
                                  &len);
        }
        if (rc != 0) {
            ph_free(v);
            ph_free(plans);
            return rc;
        }
        /* The version is a content hash: stable across restarts, and it
         * changes exactly when the region's checks change. */
        for (size_t i = 0; i < n; i++) {
            plans[r].type_mask |= 1u << v[i].type;
        }
        plans[r].version = ph_fnv1a64(bytes, len) >> 1;
        if (plans[r].version == 0) {
            plans[r].version = 1;
        }
        snprintf(plans[r].etag, sizeof(plans[r].etag), "\"%llx\"",
                 (unsigned long long)plans[r].version);
        ph_free(v);
        ph_free(bytes);
    }
    ph_free(h->plans);
    h->plans = plans;
    /* Checks and regions may have moved: start the re-check table
     * afresh (its counters too), and let held requests ask again.
     * Without memory, no re-checks. */
    agent_waits_flush(h->waits);
    recheck_destroy(h->recheck);
    h->recheck = recheck_new(h->conf.nchecks, h->conf.nregions);
    return 0;
}

/* The re-check rate window of a check: one confirmation sequence. */
static uint32_t
recheck_window_ms(const struct check *ck)
{
    uint32_t n = ck->fail_after > ck->recover_after ? ck->fail_after
                                                    : ck->recover_after;
    uint64_t w = (uint64_t)ck->confirm_after_ms * (n > 0 ? n : 2);

    if (w < 1000) {
        w = 1000;
    }
    return w > 600000 ? 600000 : (uint32_t)w;
}

/*
 * Cross-region re-check (issue #20): a result from region that changed
 * its outcome between up and not up asks the other regions of the check
 * to probe now, through their next ack. prev is the region's outcome
 * before this result. A check with confirm_after 0 asks nothing.
 */
static void
maybe_recheck(struct hub *h, int check, int region, enum outcome prev,
              const struct check_result *r, int64_t now)
{
    const struct check *ck = &h->conf.checks[check];
    struct recheck_region v[CHECK_MAX_REGIONS];
    size_t ask[CHECK_MAX_REGIONS];
    size_t nr = h->conf.nregions, n;

    if (h->recheck == NULL || ck->confirm_after_ms == 0 ||
        nr > CHECK_MAX_REGIONS || (size_t)check >= recheck_nchecks(h->recheck) ||
        nr != recheck_nregions(h->recheck)) {
        return;
    }
    for (size_t i = 0; i < nr; i++) {
        struct engine_region_info info;

        memset(&v[i], 0, sizeof(v[i]));
        v[i].assigned = engine_check_has_region(h->engine, check, (int)i);
        if (v[i].assigned &&
            engine_region_info(h->engine, check, (int)i, &info) == 0) {
            v[i].fresh = info.state != RSTATE_STALE &&
                         info.state != RSTATE_NODATA;
            v[i].last = info.last_outcome;
        }
        v[i].last_request_ms = recheck_last_request(h->recheck,
                                                    (size_t)check, i);
    }
    n = recheck_decide(v, nr, (size_t)region, prev, r->outcome, r->kind, now,
                       recheck_window_ms(ck), ask);
    for (size_t i = 0; i < n; i++) {
        recheck_request(h->recheck, (size_t)check, ask[i], now);
        h->metrics.recheck_requests++;
        /* An agent of that region holding a request hears it now;
         * otherwise the region's next ack carries it. */
        agent_waits_wake(h->waits, ask[i]);
    }
    if (n > 0) {
        log_debug("ingest: %s %s in %s: asking %zu other regions to "
                  "re-check", ck->id, outcome_name(r->outcome),
                  h->conf.regions[region].id, n);
    }
}

/* Checks what the store and the engine cannot take: a seq that does not
 * fit the store's signed 64-bit column (it would be stored as a negative
 * number, and every later batch of the agent acked and dropped as a
 * duplicate), and results dated outside [now - max_result_age,
 * now + max_result_ahead] (a result from the far future would pin its
 * region's state, and hide later real results, until a restart).
 * Returns 0, or -1 with the reason in err and *ret_window set when the
 * cause is a result's time. */
static int
check_batch_range(const struct hub *h, const struct wire_batch *b,
                  int64_t now, char *err, size_t errlen, int *ret_window)
{
    int64_t lo = now - (int64_t)h->conf.max_result_age_ms;
    int64_t hi = now + (int64_t)h->conf.max_result_ahead_ms;

    *ret_window = 0;
    if (b->seq > (uint64_t)INT64_MAX) {
        snprintf(err, errlen,
                 "seq %llu is over the largest accepted, %lld (the "
                 "store keeps seq as a signed 64-bit integer)",
                 (unsigned long long)b->seq, (long long)INT64_MAX);
        return -1;
    }
    for (size_t i = 0; i < b->nresults; i++) {
        int64_t t = b->results[i].started_at_ms;

        if (t < lo || t > hi) {
            snprintf(err, errlen,
                     "result %zu (%s): started_at_ms %lld is outside the "
                     "accepted window %lld..%lld (collector clock %lld, "
                     "max_result_age %u ms, max_result_ahead %u ms)",
                     i, b->results[i].check_id, (long long)t, (long long)lo,
                     (long long)hi, (long long)now,
                     h->conf.max_result_age_ms, h->conf.max_result_ahead_ms);
            *ret_window = 1;
            return -1;
        }
    }
    return 0;
}

/* The agent's last acknowledged seq goes into its plan: read off the
 * loop (deferred.h), then the plan is answered with it. */
struct plan_job {
    char agent_id[CHECK_ID_MAX];
    uint64_t last_seq;
};

static void plan_answer(struct api_req *rq, struct http_request *req,
                        struct http_response *resp,
                        const struct plan_job *j);

static int
plan_run(struct store *db, void *arg)
{
    struct plan_job *j = arg;

    /* A failed read sends seq 0, as before: the agent keeps its own. */
    store_agent_last_seq(db, j->agent_id, &j->last_seq);
    return 0;
}

static void
plan_done(struct api_req *rq, struct http_request *req, void *arg,
          int result, struct http_response *resp)
{
    (void)result;
    if (req != NULL) {
        plan_answer(rq, req, resp, arg);
    }
}

static void
plan_free(void *arg)
{
    ph_free(arg);
}

void
ingest_plan(struct api_req *rq, struct http_request *req,
            struct http_response *resp)
{
    plan_answer(rq, req, resp, NULL);
}

/* Both passes of a plan request: the first (j NULL) checks the agent and
 * its ETag and reads the seq; the second, with it, encodes the plan
 * (the agent looked up again: a reload may have come between). */
static void
plan_answer(struct api_req *rq, struct http_request *req,
            struct http_response *resp, const struct plan_job *j)
{
    struct hub *h = rq->h;
    const struct conf_agent *a;
    const char *inm, *types;
    uint32_t known, missing;
    char etag[48];
    int r;
    struct check *v = NULL;
    size_t n = 0;
    uint8_t *bytes = NULL;
    size_t len = 0;
    uint64_t last_seq = 0;
    int rc;

    a = auth_agent_request(h, req, resp, &r);
    if (a == NULL) {
        return;
    }
    /* An agent gets only the types it runs (check.h,
     * CHECK_TYPES_HEADER). A partial plan, or one in the frozen form
     * (an agent without the header), has an ETag of its own, so the same
     * agent upgraded asks again and gets the whole plan, generic. */
    types = http_req_header(req, CHECK_TYPES_HEADER);
    known = check_type_mask(types != NULL ? types : CHECK_TYPES_FROZEN);
    missing = h->plans[r].type_mask & ~known;
    snprintf(etag, sizeof(etag), "%s", h->plans[r].etag);
    if (missing != 0 || types == NULL) {
        snprintf(etag, sizeof(etag), "\"%llx-%x\"",
                 (unsigned long long)h->plans[r].version, known);
    }
    inm = http_req_header(req, "If-None-Match");
    if (inm != NULL && strcmp(inm, etag) == 0) {
        h->metrics.plans_not_modified++;
        resp->status = 304;
        snprintf(resp->etag, sizeof(resp->etag), "%s", etag);
        return;
    }
    if (j == NULL) {
        struct plan_job *nj = ph_calloc(1, sizeof(*nj));

        if (nj == NULL) {
            http_resp_error(resp, 503, "unavailable", "out of memory");
            http_resp_header(resp, "Retry-After", "5");
            return;
        }
        snprintf(nj->agent_id, sizeof(nj->agent_id), "%s", a->id);
        deferred_store(rq, req, resp, plan_run, plan_done, plan_free, nj);
        return;
    }
    last_seq = j->last_seq;
    rc = region_checks(h, (size_t)r, &v, &n);
    if (rc == 0 && missing != 0) {
        size_t kept = 0, left = 0;
        const char *first_type = "";
        char first[CHECK_ID_MAX] = "";
        char runs[CHECK_TYPES_LIST_MAX];

        for (size_t i = 0; i < n; i++) {
            if (known & (1u << v[i].type)) {
                v[kept++] = v[i];
            } else if (left++ == 0) {
                first_type = check_type_name(v[i].type);
                /* A copy: compaction may overwrite v[i]. */
                snprintf(first, sizeof(first), "%s", v[i].id);
            }
        }
        /* The agent's header is not echoed: the names it matched are. */
        check_type_list(known, runs, sizeof(runs));
        log_warnx("ingest: agent %s runs only %s: %zu check(s) left out "
                  "of its plan, first '%s' (%s); upgrade the agent",
                  a->id, runs[0] ? runs : "no known type", left, first,
                  first_type);
        n = kept;
    }
    if (rc == 0) {
        /* An agent from before the registry reads only the frozen
         * messages; the others only the generic form. */
        rc = wire_encode_plan(types != NULL ? WIRE_PLAN_GENERIC
                                            : WIRE_PLAN_FROZEN,
                              h->plans[r].version, a->id, a->region,
                              last_seq, v, n, &bytes, &len);
    }
    ph_free(v);
    if (rc != 0) {
        http_resp_error(resp, 500, "internal", ph_strerror(rc));
        return;
    }
    h->metrics.plans_served++;
    http_resp_take(resp, 200, "application/x-protobuf", bytes, len);
    snprintf(resp->etag, sizeof(resp->etag), "%s", etag);
}

/* A batch on its way through the writer thread: the store's batch first,
 * so store_batch_free() frees the whole job. */
struct ingest_job {
    struct store_batch b;
    struct hub *h;
    struct route_pending *reply;
    int accepts_recheck;    /* the agent reads Ack.recheck */
};

/*
 * After the commit (or the replay check): feed the engine, ack. The same
 * for the writer thread's callback and the synchronous fallback; fills
 * resp and consumes nothing.
 */
static void
after_commit(struct hub *h, const struct store_batch *b,
             int accepts_recheck, struct http_response *resp)
{
    int64_t now = time_now_ms();
    /* Rate limits and re-check windows: intervals, not dates. */
    int64_t mono = time_mono_ms();
    int region = pharos_conf_region_index(&h->conf, b->region);
    uint8_t *ack = NULL;
    size_t acklen = 0;
    struct wire_ack wa;
    size_t take[WIRE_RECHECK_MAX];
    int rc;

    if (b->result == PH_EEXIST) {
        /* Already committed earlier: ack again, store nothing. */
        h->metrics.batches_duplicate++;
    } else if (b->result != 0) {
        complain(&h->store_complaint, mono,
                 "ingest: cannot store batch %llu of agent %s: %s",
                 (unsigned long long)b->seq, b->agent_id,
                 ph_strerror(b->result));
        http_resp_error(resp, 503, "unavailable", "cannot store results");
        http_resp_header(resp, "Retry-After", "5");
        return;
    } else {
        complain_release(&h->store_complaint, "ingest: storing again");
        h->metrics.batches_ingested++;
        h->metrics.results_ingested += b->n;
        for (size_t i = 0; i < b->n && region >= 0; i++) {
            int ck = idmap_get(&h->check_ids, b->results[i].check_id);
            if (ck < 0) {
                h->metrics.results_unknown_check++;
                continue;
            }
            {
                struct engine_region_info before;
                enum outcome prev = 0;

                if (engine_region_info(h->engine, ck, region, &before) ==
                    0) {
                    prev = before.last_outcome;
                }
                if (engine_result(h->engine, ck, region, &b->results[i]) ==
                    0) {
                    if (h->recheck != NULL) {
                        recheck_count_result(h->recheck, (size_t)ck,
                                             b->results[i].kind);
                    }
                    maybe_recheck(h, ck, region, prev, &b->results[i], mono);
                }
            }
        }
        store_note_acked(h->store, now);
    }
    /* A region removed by a reload since the batch arrived: plan 0 makes
     * the agent fetch its plan, which then says why. */
    memset(&wa, 0, sizeof(wa));
    wa.acked_seq = b->seq;
    wa.plan_version = region >= 0 ? h->plans[region].version : 0;
    /* Re-checks other regions asked of this one; an older agent is never
     * sent any (its decoder caps an Ack at 64 bytes). */
    if (accepts_recheck && region >= 0 && h->recheck != NULL &&
        (size_t)region < recheck_nregions(h->recheck)) {
        size_t n = recheck_take(h->recheck, (size_t)region, mono, 10000,
                                take, WIRE_RECHECK_MAX);

        for (size_t i = 0; i < n; i++) {
            if (take[i] < h->conf.nchecks) {
                wa.recheck[wa.nrecheck++] = h->conf.checks[take[i]].id;
            }
        }
        h->metrics.recheck_sent += wa.nrecheck;
    }
    rc = wire_encode_ack_full(&wa, &ack, &acklen);
    if (rc != 0) {
        http_resp_error(resp, 500, "internal", ph_strerror(rc));
        return;
    }
    http_resp_take(resp, 200, "application/x-protobuf", ack, acklen);
    if (b->n > 0 && b->result == 0) {
        hub_request_evaluate_soon(h);
    }
}

/* The writer thread's done callback (loop thread). */
static void
batch_done(struct store_batch *b, void *arg)
{
    struct ingest_job *j = arg;
    struct http_response resp;

    memset(&resp, 0, sizeof(resp));
    after_commit(j->h, b, j->accepts_recheck, &resp);
    route_pending_finish(j->reply, &resp);
    store_batch_free(b);
}

void
ingest_results(struct api_req *rq, struct http_request *req,
               struct http_response *resp)
{
    struct hub *h = rq->h;
    const struct conf_agent *a;
    struct wire_batch batch;
    char err[256];
    const uint8_t *body;
    const char *ct;
    size_t len;
    int region;
    int rc;
    int window;
    struct ingest_job *job;
    struct store_batch *b;
    int64_t now = time_now_ms();

    a = auth_agent_request(h, req, resp, &region);
    if (a == NULL) {
        return;
    }
    ct = http_req_header(req, "Content-Type");
    if (ct == NULL || strncasecmp(ct, "application/x-protobuf", 22) != 0) {
        h->metrics.batches_rejected++;
        http_resp_error(resp, 415, "unsupported_media_type",
                        "results must be application/x-protobuf");
        return;
    }
    body = http_req_body(req, &len);
    rc = wire_decode_batch(body, len, &batch, err, sizeof(err));
    if (rc != 0) {
        h->metrics.batches_rejected++;
        complain(&h->bad_batch_complaint, time_mono_ms(),
                 "ingest: agent %s sent a bad batch: %s", a->id, err);
        http_resp_error(resp, rc == PH_ETOOBIG ? 413 : 400,
                        rc == PH_ETOOBIG ? "payload_too_large"
                                         : "bad_request",
                        err);
        return;
    }
    if (batch.nresults > h->conf.max_results_per_batch) {
        h->metrics.batches_rejected++;
        snprintf(err, sizeof(err), "batch of %zu results over the cap of %u",
                 batch.nresults, h->conf.max_results_per_batch);
        complain(&h->bad_batch_complaint, time_mono_ms(), "ingest: agent %s: %s",
                 a->id, err);
        http_resp_error(resp, 413, "payload_too_large", err);
        goto out;
    }
    if (check_batch_range(h, &batch, now, err, sizeof(err), &window) != 0) {
        h->metrics.batches_rejected++;
        if (window) {
            h->metrics.batches_out_of_window++;
        }
        complain(&h->bad_batch_complaint, time_mono_ms(), "ingest: agent %s: %s",
                 a->id, err);
        http_resp_error(resp, 400, "bad_request", err);
        goto out;
    }
    job = ph_calloc(1, sizeof(*job));
    if (job == NULL) {
        http_resp_error(resp, 503, "unavailable", "out of memory");
        http_resp_header(resp, "Retry-After", "5");
        goto out;
    }
    b = &job->b;
    snprintf(b->agent_id, sizeof(b->agent_id), "%s", a->id);
    snprintf(b->region, sizeof(b->region), "%s", a->region);
    snprintf(b->version, sizeof(b->version), "%s", batch.agent_version);
    b->seq = batch.seq;
    b->plan_version = batch.plan_version;
    b->backlog = batch.backlog;
    b->results = batch.results; /* taken */
    b->n = batch.nresults;
    batch.results = NULL;
    batch.nresults = 0;
    b->now_ms = now;
    b->done = batch_done;
    b->arg = job;
    job->h = h;
    job->accepts_recheck = batch.accepts_recheck;
    /* Committed by the writer thread with whatever else is queued; the
     * ack leaves from batch_done(). */
    if (h->writer != NULL && (job->reply = route_defer(rq, req)) != NULL) {
        if (store_writer_submit(h->writer, b) == 0) {
            goto out;
        }
        route_undefer(rq, job->reply);
        job->reply = NULL;
        h->metrics.batches_rejected++;
        http_resp_error(resp, 503, "unavailable",
                        "too many batches waiting for the disk");
        http_resp_header(resp, "Retry-After", "1");
        store_batch_free(b);
        goto out;
    }
    /* No writer thread (or no memory to park the request): commit here. */
    b->result = store_insert_batch(h->store, b->agent_id, b->region, b->seq,
                                   b->results, b->n, now);
    if (b->result == 0 || b->result == PH_EEXIST) {
        store_agent_touch(h->store, b->agent_id, b->region, b->version,
                          b->plan_version, b->backlog, now);
    }
    after_commit(h, b, job->accepts_recheck, resp);
    store_batch_free(b);
out:
    wire_batch_free(&batch);
}
