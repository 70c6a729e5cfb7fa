/*
 * agent_wait.c - held-open re-check requests (see agent_wait.h).
 */
#include "agent_wait.h"

#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "log.h"
#include "mem.h"
#include "ph_err.h"
#include "recheck.h"
#include "timefmt.h"
#include "wire.h"

/* Re-check requests older than this are not handed out (the ack path
 * uses the same age): the region's scheduled run will do. */
#define WAIT_RECHECK_MAX_AGE_MS 10000
/* How often the held requests are looked at for their hold. */
#define WAIT_SWEEP_MS 1000
#define WAIT_AGENT_ID_MAX 128

/* A waiter marked to be answered at the next sweep (see on_sweep). */
enum { NOW_NO, NOW_TAKE, NOW_EMPTY };

struct waiter {
    struct waiter *next;
    char agent_id[WAIT_AGENT_ID_MAX];
    size_t region;
    int64_t since_ms;          /* monotonic */
    int now;                   /* NOW_*: answer at the next sweep */
    struct route_pending *rp;
};

struct agent_waits {
    struct hub *h;
    uv_timer_t timer;
    struct waiter *list;
    size_t n;
    int closing;
};

struct agent_waits *
agent_waits_new(struct hub *h)
{
    struct agent_waits *w = ph_calloc(1, sizeof(*w));

    if (w == NULL) {
        return NULL;
    }
    w->h = h;
    uv_timer_init(h->loop, &w->timer);
    w->timer.data = w;
    return w;
}

/* Fills wa (zeroed first; ids borrowed from the configuration) with
 * the re-checks waiting for region, taken: each is handed out once.
 * take 0 leaves wa empty (an answer without news). Returns how many. */
static size_t
take_ids(struct agent_waits *w, size_t region, int take,
         struct wire_ack *wa)
{
    struct hub *h = w->h;
    size_t ids[WIRE_RECHECK_MAX];
    size_t n;

    memset(wa, 0, sizeof(*wa));
    /* After a reload the region's index may name another region: the
     * flush answers without a version (the agent asks again). */
    if (!take) {
        return 0;
    }
    if (h->plans != NULL && region < h->conf.nregions) {
        wa->plan_version = h->plans[region].version;
    }
    if (h->recheck == NULL || region >= recheck_nregions(h->recheck)) {
        return 0;
    }
    n = recheck_take(h->recheck, region, time_mono_ms(),
                     WAIT_RECHECK_MAX_AGE_MS, ids, WIRE_RECHECK_MAX);
    for (size_t i = 0; i < n; i++) {
        if (ids[i] < h->conf.nchecks) {
            wa->recheck[wa->nrecheck++] = h->conf.checks[ids[i]].id;
        }
    }
    h->metrics.recheck_sent_held += wa->nrecheck;
    return wa->nrecheck;
}

/* The reply: wa as protobuf, or a 500. */
static void
encode_reply(const struct wire_ack *wa, struct http_response *resp)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    int rc = wire_encode_ack_full(wa, &bytes, &len);

    if (rc != 0) {
        http_resp_error(resp, 500, "internal", ph_strerror(rc));
        return;
    }
    http_resp_take(resp, 200, "application/x-protobuf", bytes, len);
}

/* Unlinks x (found through *pp), answers it and frees it. */
static void
answer(struct agent_waits *w, struct waiter **pp, int take)
{
    struct waiter *x = *pp;
    struct http_response resp;
    struct wire_ack wa;

    *pp = x->next;
    w->n--;
    memset(&resp, 0, sizeof(resp));
    take_ids(w, x->region, take, &wa);
    encode_reply(&wa, &resp);
    route_pending_finish(x->rp, &resp);
    ph_free(x);
}

/*
 * Answers the waiters marked (woken, or replaced by a newer request of
 * their agent) and those past their hold. Answers leave from here, a
 * timer callback, never from inside a request handler: a connection
 * resumed while the HTTP server runs its handlers would wait for the
 * server's next event (http.c re-arms its timer from libmicrohttpd's
 * own timeout after the run).
 */
static void
on_sweep(uv_timer_t *t)
{
    struct agent_waits *w = t->data;
    int64_t now = time_mono_ms();

    for (struct waiter **pp = &w->list; *pp != NULL;) {
        struct waiter *x = *pp;

        if (x->now != NOW_NO ||
            now - x->since_ms >= AGENT_WAIT_HOLD_MS) {
            answer(w, pp, x->now != NOW_EMPTY);
        } else {
            pp = &x->next;
        }
    }
    if (w->list == NULL) {
        uv_timer_stop(&w->timer);
    }
}

/* Answers the marked waiters on the loop's next turn; the sweep goes
 * on every WAIT_SWEEP_MS after it. */
static void
sweep_soon(struct agent_waits *w)
{
    uv_timer_start(&w->timer, on_sweep, 0, WAIT_SWEEP_MS);
}

void
agent_waits_flush(struct agent_waits *w)
{
    if (w == NULL || w->list == NULL) {
        return;
    }
    /* A reload may run inside a request (a v1 write that rebuilds the
     * configuration): answer on the next turn, like every answer. */
    for (struct waiter *x = w->list; x != NULL; x = x->next) {
        x->now = NOW_EMPTY;
    }
    sweep_soon(w);
}

static void
on_closed(uv_handle_t *hd)
{
    ph_free(hd->data);
}

void
agent_waits_close(struct agent_waits *w)
{
    if (w == NULL) {
        return;
    }
    /* The server stops right after: answer now (a timer callback or a
     * signal's, never inside a request). */
    while (w->list != NULL) {
        answer(w, &w->list, 0);
    }
    w->closing = 1;
    uv_close((uv_handle_t *)&w->timer, on_closed);
}

void
agent_waits_wake(struct agent_waits *w, size_t region)
{
    if (w == NULL || w->closing) {
        return;
    }
    for (struct waiter *x = w->list; x != NULL; x = x->next) {
        if (x->region == region && x->now == NOW_NO) {
            x->now = NOW_TAKE;
            sweep_soon(w);
            return;
        }
    }
}

size_t
agent_waits_count(const struct agent_waits *w)
{
    return w != NULL ? w->n : 0;
}

void
agent_wait_handler(struct api_req *rq, struct http_request *req,
                   struct http_response *resp)
{
    struct hub *h = rq->h;
    struct agent_waits *w = h->waits;
    const struct conf_agent *a;
    struct waiter *x;
    struct wire_ack wa;
    int region;

    a = auth_agent_request(h, req, resp, &region);
    if (a == NULL) {
        return;
    }
    if (w == NULL || w->closing) {
        http_resp_error(resp, 503, "unavailable", "shutting down");
        http_resp_header(resp, "Retry-After", "5");
        return;
    }
    /* One per agent: an older request of the same agent (its connection
     * dropped without our seeing it, or a restart) is answered, empty,
     * on the loop's next turn. */
    for (x = w->list; x != NULL; x = x->next) {
        if (x->now == NOW_NO && strcmp(x->agent_id, a->id) == 0) {
            x->now = NOW_EMPTY;
            sweep_soon(w);
        }
    }
    /* Something waits already: no need to hold. */
    if (take_ids(w, (size_t)region, 1, &wa) > 0) {
        encode_reply(&wa, resp);
        return;
    }
    if (w->n >= AGENT_WAIT_MAX) {
        http_resp_error(resp, 503, "unavailable",
                        "too many held re-check requests");
        http_resp_header(resp, "Retry-After", "5");
        return;
    }
    x = ph_calloc(1, sizeof(*x));
    if (x != NULL) {
        x->rp = route_defer(rq, req);
    }
    if (x == NULL || x->rp == NULL) {
        ph_free(x);
        encode_reply(&wa, resp); /* cannot hold: answer empty now */
        return;
    }
    snprintf(x->agent_id, sizeof(x->agent_id), "%s", a->id);
    x->region = (size_t)region;
    x->since_ms = time_mono_ms();
    x->next = w->list;
    w->list = x;
    w->n++;
    if (!uv_is_active((uv_handle_t *)&w->timer)) {
        uv_timer_start(&w->timer, on_sweep, WAIT_SWEEP_MS, WAIT_SWEEP_MS);
    }
}
