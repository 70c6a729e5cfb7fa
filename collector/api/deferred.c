/*
 * deferred.c - requests parked while their store work runs on the
 * writer thread (deferred.h).
 *
 * Two lists: `jobs`, store works queued to the writer in order (the
 * writer runs them in that order, so their done callbacks come back in
 * commit order), and `waiting`, requests parked by deferred_wait() until
 * `jobs` is empty; then they run again one by one. A one-second sweep
 * answers 503 to what has waited DEFERRED_TIMEOUT_MS.
 */
#include "deferred.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "mem.h"
#include "ph_err.h"
#include "store.h"
#include "store_writer.h"
#include "timefmt.h"

#define SWEEP_MS 1000
#define ACTOR_MAX 128

/* A parked request: its context copied (the handler's was on the
 * stack), its pending reply (NULL once answered by the sweep). */
struct parked {
    struct api_req rq;
    char actor[ACTOR_MAX];
    struct http_pending *p;
    int64_t deadline_ms;          /* monotonic */
};

struct job {
    struct store_call call;       /* first: the writer hands it back */
    struct deferred *d;
    struct job *next;             /* in d->jobs, in queue order */
    struct parked pk;
    deferred_run_cb run;
    deferred_done_cb done;
    deferred_free_cb free_arg;
    void *arg;
};

struct wait {
    struct wait *next;
    struct parked pk;
};

struct deferred {
    struct hub *h;
    deferred_tail_cb tail;
    void *tail_arg;
    uv_timer_t sweep;
    struct job *jobs, **jobs_tail;
    struct wait *waiting, **waiting_tail;
    size_t njobs, nwaiting;
    int stopping;
};

static void drain_waiting(struct deferred *d);

static void
parked_init(struct parked *pk, const struct api_req *rq,
            struct http_pending *p)
{
    pk->rq = *rq;
    pk->rq.deferred = 0;
    pk->rq.parked = NULL;
    if (rq->actor != NULL) {
        /* The key name lives in a configuration a reload may free. */
        snprintf(pk->actor, sizeof(pk->actor), "%s", rq->actor);
        pk->rq.actor = pk->actor;
    }
    pk->p = p;
    pk->deadline_ms = time_mono_ms() + DEFERRED_TIMEOUT_MS;
}

/* The rest of the request, then its reply. Takes resp's contents. */
static void
finish(struct deferred *d, struct parked *pk, struct http_request *req,
       struct http_response *resp)
{
    if (req != NULL) {
        d->tail(d->tail_arg, &pk->rq, req, resp);
    }
    if (pk->rq.deferred) {
        return; /* parked again by the handler run again */
    }
    http_pending_finish(pk->p, resp); /* frees resp's contents */
    pk->p = NULL;
}

/* The request of pk, or NULL when it went away. */
static struct http_request *
parked_req(const struct parked *pk)
{
    return pk->p != NULL ? http_pending_req(pk->p) : NULL;
}

static void
answer_timeout(struct deferred *d, struct parked *pk)
{
    struct http_response resp;

    memset(&resp, 0, sizeof(resp));
    http_resp_error(&resp, 503, "unavailable",
                    "the database did not answer in time; a write is "
                    "applied if the database takes it later");
    http_resp_header(&resp, "Retry-After", "5");
    request_count(d->h, pk->rq.metric, 503);
    http_pending_finish(pk->p, &resp);
    pk->p = NULL;
}

static void
on_sweep(uv_timer_t *t)
{
    struct deferred *d = t->data;
    int64_t now = time_mono_ms();
    struct wait **wp = &d->waiting;

    for (struct job *j = d->jobs; j != NULL; j = j->next) {
        if (j->pk.p != NULL && now >= j->pk.deadline_ms) {
            log_warnx("api: a request waited %d s for the database: "
                      "answered 503, its store work goes on",
                      DEFERRED_TIMEOUT_MS / 1000);
            answer_timeout(d, &j->pk);
        }
    }
    while (*wp != NULL) {
        struct wait *w = *wp;

        if (now < w->pk.deadline_ms) {
            wp = &w->next;
            continue;
        }
        answer_timeout(d, &w->pk);
        *wp = w->next;
        d->nwaiting--;
        ph_free(w);
    }
    d->waiting_tail = wp;
    if (d->jobs == NULL && d->waiting == NULL) {
        uv_timer_stop(&d->sweep);
    }
}

static void
arm_sweep(struct deferred *d)
{
    if (!uv_is_active((uv_handle_t *)&d->sweep)) {
        uv_timer_start(&d->sweep, on_sweep, SWEEP_MS, SWEEP_MS);
    }
}

struct deferred *
deferred_new(struct hub *h, deferred_tail_cb tail, void *tail_arg)
{
    struct deferred *d = ph_calloc(1, sizeof(*d));

    if (d == NULL) {
        return NULL;
    }
    d->h = h;
    d->tail = tail;
    d->tail_arg = tail_arg;
    d->jobs_tail = &d->jobs;
    d->waiting_tail = &d->waiting;
    uv_timer_init(h->loop, &d->sweep);
    d->sweep.data = d;
    return d;
}

static void
on_closed(uv_handle_t *handle)
{
    struct deferred *d = handle->data;

    /* Jobs still with the writer point at d: they are done by
     * store_writer_stop(), which runs before. */
    ph_free(d);
}

void
deferred_stop(struct deferred *d)
{
    if (d == NULL) {
        return;
    }
    d->stopping = 1;
    while (d->waiting != NULL) {
        struct wait *w = d->waiting;

        d->waiting = w->next;
        answer_timeout(d, &w->pk);
        ph_free(w);
    }
    d->nwaiting = 0;
    for (struct job *j = d->jobs; j != NULL; j = j->next) {
        j->d = NULL; /* finishes without us */
    }
    d->jobs = NULL;
    uv_close((uv_handle_t *)&d->sweep, on_closed);
}

size_t
deferred_inflight(const struct deferred *d)
{
    return d != NULL ? d->njobs + d->nwaiting : 0;
}

int
deferred_status(int result)
{
    return result == PH_EDB || result == PH_EBUSY || result == PH_ETIMEOUT ||
                   result == PH_ENET || result == PH_ECONNREFUSED
               ? 503
               : 500;
}

void
deferred_error(struct http_response *resp, int result, const char *what)
{
    char msg[256];

    snprintf(msg, sizeof(msg), "%s: %s", what, ph_strerror(result));
    if (deferred_status(result) == 503) {
        http_resp_error(resp, 503, "unavailable", msg);
        http_resp_header(resp, "Retry-After", "5");
    } else {
        http_resp_error(resp, 500, "internal", msg);
    }
}

int
deferred_wait(struct api_req *rq, struct http_request *req)
{
    struct deferred *d = rq->h->deferred;
    struct http_pending *p;
    struct wait *w;

    if (d == NULL || d->stopping || d->jobs == NULL) {
        return 0;
    }
    if (d->njobs + d->nwaiting >= DEFERRED_MAX) {
        return 0; /* deferred_store() answers 503 */
    }
    w = ph_calloc(1, sizeof(*w));
    if (w == NULL) {
        return 0;
    }
    p = rq->parked != NULL ? rq->parked : http_defer(req);
    if (p == NULL) {
        ph_free(w);
        return 0;
    }
    parked_init(&w->pk, rq, p);
    if (rq->parked != NULL) {
        /* Run again and parked again: it keeps its first deadline. */
        w->pk.deadline_ms = rq->parked_deadline_ms;
    }
    rq->deferred = 1;
    *d->waiting_tail = w;
    d->waiting_tail = &w->next;
    d->nwaiting++;
    arm_sweep(d);
    return 1;
}

/* Runs the waiting requests' handlers again, oldest first, until one
 * queues store work. */
static void
drain_waiting(struct deferred *d)
{
    while (d->jobs == NULL && d->waiting != NULL && !d->stopping) {
        struct wait *w = d->waiting;
        struct http_request *req;
        struct http_response resp;

        d->waiting = w->next;
        if (d->waiting == NULL) {
            d->waiting_tail = &d->waiting;
        }
        d->nwaiting--;
        req = parked_req(&w->pk);
        memset(&resp, 0, sizeof(resp));
        if (req == NULL) {
            http_pending_finish(w->pk.p, &resp);
        } else {
            struct parked pk = w->pk;

            pk.rq.parked = pk.p;
            pk.rq.parked_deadline_ms = pk.deadline_ms;
            pk.rq.reply = NULL;
            pk.rq.handler(&pk.rq, req, &resp);
            /* Counted and audited by the tail, as on_http does. */
            if (pk.rq.deferred) {
                http_pending_finish(NULL, &resp); /* frees it */
            } else {
                finish(d, &pk, req, &resp);
            }
        }
        ph_free(w);
    }
}

/* The writer thread's side. */
static int
job_run(struct store *db, struct store_call *c)
{
    struct job *j = (struct job *)c;

    return j->run(db, j->arg);
}

/* The loop's side: the store work is done (in queue order). */
static void
job_done(struct store_call *c, int result)
{
    struct job *j = (struct job *)c;
    struct deferred *d = j->d;
    struct http_request *req = parked_req(&j->pk);
    struct http_response resp;

    if (d != NULL) {
        /* The head, as the writer runs calls in order; searched all the
         * same, so a list out of step cannot keep a freed job. */
        struct job **pp = &d->jobs;

        while (*pp != NULL && *pp != j) {
            pp = &(*pp)->next;
        }
        if (*pp == j) {
            *pp = j->next;
            if (d->jobs_tail == &j->next) {
                d->jobs_tail = pp;
            }
            d->njobs--;
        }
    }
    memset(&resp, 0, sizeof(resp));
    /* done may chain another store step (deferred_store() again): it
     * takes the parked request over. */
    j->pk.rq.parked = j->pk.p;
    j->pk.rq.parked_deadline_ms = j->pk.deadline_ms;
    j->done(&j->pk.rq, req, j->arg, result, &resp);
    j->pk.rq.parked = NULL;
    if (j->pk.rq.deferred) {
        http_pending_finish(NULL, &resp); /* frees it */
        if (j->free_arg != NULL) {
            j->free_arg(j->arg);
        }
        ph_free(j);
        return;
    }
    if (d != NULL && j->pk.p != NULL) {
        finish(d, &j->pk, req, &resp);
    } else {
        if (d == NULL && j->pk.p != NULL) {
            http_pending_finish(j->pk.p, &resp);
        }
        http_pending_finish(NULL, &resp); /* frees it */
    }
    if (j->free_arg != NULL) {
        j->free_arg(j->arg);
    }
    ph_free(j);
    if (d != NULL) {
        drain_waiting(d);
    }
}

void
deferred_store(struct api_req *rq, struct http_request *req,
               struct http_response *resp, deferred_run_cb run,
               deferred_done_cb done, deferred_free_cb free_arg, void *arg)
{
    struct deferred *d = rq->h->deferred;
    struct store_writer *w = store_async_writer(rq->h->store);
    struct http_pending *p = NULL;
    struct job *j = NULL;

    if (d == NULL || w == NULL || d->stopping) {
        /* sqlite (or no writer): at once, on the loop's connection. */
        done(rq, req, arg, run(rq->h->store, arg), resp);
        goto out;
    }
    if (d->njobs + d->nwaiting >= DEFERRED_MAX) {
        done(rq, req, arg, PH_EBUSY, resp);
        goto out;
    }
    j = ph_calloc(1, sizeof(*j));
    if (j == NULL) {
        done(rq, req, arg, PH_ENOMEM, resp);
        goto out;
    }
    /* A step chained from a done callback reuses the parked request;
     * one whose request went away runs without one. */
    p = rq->parked != NULL ? rq->parked
        : req != NULL      ? http_defer(req)
                           : NULL;
    if (p == NULL && req != NULL) {
        done(rq, req, arg, PH_ENOMEM, resp);
        goto out;
    }
    parked_init(&j->pk, rq, p);
    if (rq->parked != NULL) {
        j->pk.deadline_ms = rq->parked_deadline_ms;
    }
    j->d = d;
    j->call.run = job_run;
    j->call.done = job_done;
    j->run = run;
    j->done = done;
    j->free_arg = free_arg;
    j->arg = arg;
    if (store_writer_call(w, &j->call) != 0) {
        if (rq->parked == NULL && p != NULL) {
            http_undefer(p);
        }
        done(rq, req, arg, PH_EBUSY, resp);
        goto out;
    }
    rq->deferred = 1;
    *d->jobs_tail = j;
    d->jobs_tail = &j->next;
    d->njobs++;
    arm_sweep(d);
    return;
out:
    ph_free(j);
    if (free_arg != NULL) {
        free_arg(arg);
    }
}

/* ---- deferred_list() ---- */

struct list_job {
    ph_json *arr;
    deferred_fill_cb fill;
    void *ctx;
    const char *what;
};

static int
list_run(struct store *db, void *arg)
{
    struct list_job *l = arg;

    return l->fill(db, l->arr, l->ctx);
}

static void
list_done(struct api_req *rq, struct http_request *req, void *arg,
          int result, struct http_response *resp)
{
    struct list_job *l = arg;

    (void)rq;
    (void)req;
    if (result != 0) {
        deferred_error(resp, result, l->what);
        return;
    }
    route_reply_json(resp, 200, 0, json_incref(l->arr));
}

static void
list_free(void *arg)
{
    struct list_job *l = arg;

    json_decref(l->arr);
    ph_free(l->ctx);
    ph_free(l);
}

void
deferred_list(struct api_req *rq, struct http_request *req,
              struct http_response *resp, ph_json *arr,
              deferred_fill_cb fill, const void *ctx, size_t ctx_len,
              const char *what)
{
    struct list_job *l = arr != NULL ? ph_calloc(1, sizeof(*l)) : NULL;

    if (l != NULL && ctx_len > 0 &&
        (l->ctx = ph_malloc(ctx_len)) == NULL) {
        ph_free(l);
        l = NULL;
    }
    if (l == NULL) {
        json_decref(arr);
        http_resp_error(resp, 503, "unavailable", "out of memory");
        return;
    }
    if (ctx_len > 0) {
        memcpy(l->ctx, ctx, ctx_len);
    }
    l->arr = arr;
    l->fill = fill;
    l->what = what;
    deferred_store(rq, req, resp, list_run, list_done, list_free, l);
}
