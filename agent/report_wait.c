/*
 * report_wait.c - the held re-check request (issue #20): the agent keeps
 * GET /v1/agent/rechecks open to its current collector, which answers as
 * soon as it asks this agent's region for a re-check (see report.h and
 * collector/api/agent_wait.h). Part of the reporter: it shares struct
 * report (report_int.h).
 */
#include "report.h"
#include "report_int.h"

#include <string.h>

#include "curl_uv.h"
#include "log.h"
#include "timefmt.h"

/* The held request: the collector answers within 20 s
 * (AGENT_WAIT_HOLD_MS), so a transfer may last that long; retries after
 * a failure back off from WAIT_RETRY_MIN_MS to WAIT_RETRY_MAX_MS; a
 * collector without the endpoint is asked again after
 * WAIT_UNSUPPORTED_MS (it may be upgraded meanwhile). */
#define WAIT_TIMEOUT_MS 45000
#define WAIT_RETRY_MIN_MS 1000
#define WAIT_RETRY_MAX_MS 30000
#define WAIT_UNSUPPORTED_MS 600000

static void
on_wait_timer(uv_timer_t *t)
{
    report_wait_start(t->data);
}

static void
arm_wait(struct report *r, uint32_t delay_ms)
{
    if (r->closing || r->draining) {
        return;
    }
    uv_timer_start(&r->wait_timer, on_wait_timer, delay_ms, 0);
}

/*
 * The collector holds this request until another region's result makes
 * it ask ours for a re-check, then answers with the check ids at once
 * (instead of in the ack of our next batch or heartbeat); after its hold
 * it answers empty and we ask again. Failures here move nothing: the
 * batches decide which collector is current and when the link is down;
 * this request follows them.
 */
static void
on_wait_done(CURL *easy, CURLcode cc, void *arg)
{
    struct xfer *x = arg;
    struct report *r = x->r;
    long code = 0;
    struct wire_ack ack;
    uint32_t next = 0;

    r->wait_xfer = NULL;
    memset(&ack, 0, sizeof(ack));
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
    if (cc == CURLE_OK && code == 200 &&
        wire_decode_ack_full((const uint8_t *)x->resp.data, x->resp.len,
                             &ack) == 0) {
        r->wait_backoff_ms = 0;
        if (r->wait_unsupported) {
            log_info("report: collector %s holds re-check requests now",
                     r->opts.collector_urls[x->coll]);
            r->wait_unsupported = 0;
        }
        r->stats.recheck_requests += ack.nrecheck;
        r->stats.recheck_held += ack.nrecheck;
        for (size_t i = 0; i < ack.nrecheck && r->recheck_cb != NULL &&
                           !r->closing && !r->draining;
             i++) {
            r->recheck_cb(ack.recheck[i], r->recheck_arg);
        }
        /* Answered at once without news (the collector could not hold
         * it): not in a loop. */
        if (ack.nrecheck == 0 &&
            time_mono_ms() - r->wait_started_ms < WAIT_RETRY_MIN_MS) {
            next = WAIT_RETRY_MIN_MS;
        }
        if (ack.plan_version != 0 && ack.plan_version != r->plan_version &&
            r->plan_xfer == NULL && !r->closing && !r->draining) {
            uv_timer_stop(&r->plan_timer);
            report_start_plan_fetch(r);
        }
    } else if (cc == CURLE_OK && (code == 404 || code == 405)) {
        /* A collector from before the held request: the acks of our
         * batches and heartbeats carry the re-checks, as before. */
        if (!r->wait_unsupported) {
            log_info("report: collector %s does not hold re-check requests "
                     "(HTTP %ld); re-checks come with acks",
                     r->opts.collector_urls[x->coll], code);
        }
        r->wait_unsupported = 1;
        next = WAIT_UNSUPPORTED_MS;
    } else {
        r->wait_backoff_ms = r->wait_backoff_ms == 0 ? WAIT_RETRY_MIN_MS
                                                     : r->wait_backoff_ms * 2;
        if (r->wait_backoff_ms > WAIT_RETRY_MAX_MS) {
            r->wait_backoff_ms = WAIT_RETRY_MAX_MS;
        }
        next = report_jitter(r->wait_backoff_ms);
        log_debug("report: re-check request to %s: %s (again in %u ms)",
                  r->opts.collector_urls[x->coll],
                  cc != CURLE_OK ? curl_easy_strerror(cc) : "not 200", next);
    }
    report_xfer_free(x);
    if (next == 0) {
        report_wait_start(r);
    } else {
        arm_wait(r, next);
    }
}

/* Opens the held re-check request to the current collector, once the
 * agent has a plan (and so a region) and somebody hears re-checks. */
void
report_wait_start(struct report *r)
{
    struct xfer *x;

    if (r->closing || r->draining || r->wait_xfer != NULL ||
        !r->have_plan || r->recheck_cb == NULL) {
        return;
    }
    uv_timer_stop(&r->wait_timer);
    x = report_xfer_new(r, XFER_WAIT, r->wait_urls[r->cur]);
    if (x == NULL) {
        arm_wait(r, WAIT_RETRY_MIN_MS);
        return;
    }
    x->coll = r->cur;
    curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->hdrs);
    curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS, (long)WAIT_TIMEOUT_MS);
    if (curl_uv_add(r->cu, x->easy, on_wait_done, x) != 0) {
        report_xfer_free(x);
        arm_wait(r, WAIT_RETRY_MIN_MS);
        return;
    }
    r->wait_xfer = x;
    r->wait_started_ms = time_mono_ms();
}
