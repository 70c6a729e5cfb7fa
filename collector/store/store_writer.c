/*
 * store_writer.c - the writer thread and its group commits
 * (store_writer.h).
 *
 * Two lists under one mutex: `in` (queued by the loop) and `out`
 * (committed, waiting for the loop). The thread takes up to
 * STORE_WRITER_GROUP_MAX batches from `in`, commits them together on its
 * own connection, moves them to `out` and wakes the loop with uv_async.
 * The loop runs the done callbacks. Nothing else is shared: a batch
 * belongs to the thread between submit and the move to `out`.
 *
 * Store calls (struct store_call) go the same way through `calls` and
 * `calls_out`: after each group commit the thread runs the calls queued
 * so far, in order, each on its own (not inside the group's
 * transaction).
 */
#include "store_writer.h"

#include <stdio.h>
#include <string.h>

#include "complain.h"
#include "log.h"
#include "mem.h"
#include "ph_err.h"
#include "timefmt.h"

struct store_writer {
    uv_loop_t *loop;
    struct store *db;            /* the thread's connection */
    uv_thread_t thread;
    uv_mutex_t mu;
    uv_cond_t cv;
    struct store_batch *in, **in_tail;
    struct store_batch *out, **out_tail;
    struct store_call *calls, **calls_tail;
    struct store_call *calls_out, **calls_out_tail;
    size_t ncalls;               /* queued, not yet taken */
    size_t nin;                  /* queued, not yet taken */
    size_t ninflight;            /* taken by the thread */
    int stop;                    /* under mu */
    int started;
    uint64_t commits;            /* under mu */
    uv_async_t async;            /* thread -> loop: `out` has batches */
    struct complain complaint;   /* the thread's only: failed commits */
};

void
store_batch_free(struct store_batch *b)
{
    if (b == NULL) {
        return;
    }
    ph_free(b->results);
    ph_free(b);
}

/* Runs the calls queued now, in order (called and returns with mu held;
 * drops it while the calls run). */
static void
run_calls(struct store_writer *w)
{
    struct store_call *list = w->calls, *c, *done = NULL, **tail = &done;

    if (list == NULL) {
        return;
    }
    w->calls = NULL;
    w->calls_tail = &w->calls;
    w->ncalls = 0;
    uv_mutex_unlock(&w->mu);
    while (list != NULL) {
        c = list;
        list = c->next;
        c->next = NULL;
        c->result = c->run(w->db, c);
        *tail = c;
        tail = &c->next;
    }
    uv_mutex_lock(&w->mu);
    *w->calls_out_tail = done;
    w->calls_out_tail = tail;
    uv_async_send(&w->async);
}

static void
run_thread(void *arg)
{
    struct store_writer *w = arg;

    uv_mutex_lock(&w->mu);
    for (;;) {
        struct store_batch *group = NULL, **tail = &group;
        size_t n = 0;

        while (w->in == NULL && w->calls == NULL && !w->stop) {
            uv_cond_wait(&w->cv, &w->mu);
        }
        if (w->in == NULL && w->calls == NULL) {
            break; /* stopping, nothing left */
        }
        if (w->in == NULL) {
            run_calls(w); /* returns with mu held */
            continue;
        }
        while (w->in != NULL && n < STORE_WRITER_GROUP_MAX) {
            struct store_batch *b = w->in;

            w->in = b->next;
            b->next = NULL;
            *tail = b;
            tail = &b->next;
            n++;
        }
        if (w->in == NULL) {
            w->in_tail = &w->in;
        }
        w->nin -= n;
        w->ninflight = n;
        uv_mutex_unlock(&w->mu);

        /* A full disk fails every commit until space returns: warn
         * once in a while, not per group (each batch's 503 says the
         * rest). */
        if (store_insert_group(w->db, group) != 0) {
            complain(&w->complaint, time_mono_ms(),
                     "store: group commit of %zu batches failed: %s", n,
                     store_errmsg(w->db));
        } else {
            complain_release(&w->complaint, "store: group commits work "
                             "again");
        }

        uv_mutex_lock(&w->mu);
        w->commits++;
        w->ninflight = 0;
        *w->out_tail = group;
        w->out_tail = tail;
        uv_async_send(&w->async);
        run_calls(w);
    }
    uv_mutex_unlock(&w->mu);
}

/* Runs the done callbacks of every committed batch (loop thread). */
static void
drain_out(struct store_writer *w)
{
    struct store_batch *list;
    struct store_call *calls;

    uv_mutex_lock(&w->mu);
    list = w->out;
    w->out = NULL;
    w->out_tail = &w->out;
    calls = w->calls_out;
    w->calls_out = NULL;
    w->calls_out_tail = &w->calls_out;
    uv_mutex_unlock(&w->mu);
    while (list != NULL) {
        struct store_batch *b = list;

        list = b->next;
        b->next = NULL;
        b->done(b, b->arg);
    }
    while (calls != NULL) {
        struct store_call *c = calls;

        calls = c->next;
        c->next = NULL;
        c->done(c, c->result);
    }
}

static void
on_async(uv_async_t *a)
{
    drain_out(a->data);
}

int
store_writer_start(uv_loop_t *loop, const char *path, const char *password,
                   struct store_writer **ret, char *errbuf, size_t errlen)
{
    struct store_writer *w = ph_calloc(1, sizeof(*w));
    int rc;

    if (w == NULL) {
        snprintf(errbuf, errlen, "out of memory");
        return PH_ENOMEM;
    }
    rc = store_open(path, password, STORE_OPEN_WRITER, errbuf, errlen, &w->db);
    if (rc != 0) {
        ph_free(w);
        return rc;
    }
    w->loop = loop;
    w->in_tail = &w->in;
    w->out_tail = &w->out;
    w->calls_tail = &w->calls;
    w->calls_out_tail = &w->calls_out;
    if (uv_mutex_init(&w->mu) != 0) {
        store_close(w->db);
        ph_free(w);
        snprintf(errbuf, errlen, "cannot create a mutex");
        return PH_EINTERNAL;
    }
    if (uv_cond_init(&w->cv) != 0) {
        uv_mutex_destroy(&w->mu);
        store_close(w->db);
        ph_free(w);
        snprintf(errbuf, errlen, "cannot create a condition variable");
        return PH_EINTERNAL;
    }
    uv_async_init(loop, &w->async, on_async);
    w->async.data = w;
    if (uv_thread_create(&w->thread, run_thread, w) != 0) {
        snprintf(errbuf, errlen, "cannot start the writer thread");
        /* Closing the handle frees w (store_writer_stop's path). */
        store_writer_stop(w);
        return PH_EINTERNAL;
    }
    w->started = 1;
    *ret = w;
    return 0;
}

int
store_writer_submit(struct store_writer *w, struct store_batch *b)
{
    int rc = 0;

    b->next = NULL;
    uv_mutex_lock(&w->mu);
    if (w->stop || w->nin >= STORE_WRITER_QUEUE_MAX) {
        rc = PH_EBUSY;
    } else {
        *w->in_tail = b;
        w->in_tail = &b->next;
        w->nin++;
        uv_cond_signal(&w->cv);
    }
    uv_mutex_unlock(&w->mu);
    return rc;
}

int
store_writer_call(struct store_writer *w, struct store_call *c)
{
    int rc = 0;

    c->next = NULL;
    uv_mutex_lock(&w->mu);
    if (w->stop || w->ncalls >= STORE_WRITER_CALLS_MAX) {
        rc = PH_EBUSY;
    } else {
        *w->calls_tail = c;
        w->calls_tail = &c->next;
        w->ncalls++;
        uv_cond_signal(&w->cv);
    }
    uv_mutex_unlock(&w->mu);
    return rc;
}

size_t
store_writer_queued(struct store_writer *w)
{
    size_t n;

    uv_mutex_lock(&w->mu);
    n = w->nin + w->ninflight;
    uv_mutex_unlock(&w->mu);
    return n;
}

uint64_t
store_writer_commits(struct store_writer *w)
{
    uint64_t n;

    uv_mutex_lock(&w->mu);
    n = w->commits;
    uv_mutex_unlock(&w->mu);
    return n;
}

static void
on_closed(uv_handle_t *h)
{
    struct store_writer *w = h->data;

    uv_cond_destroy(&w->cv);
    uv_mutex_destroy(&w->mu);
    ph_free(w);
}

void
store_writer_stop(struct store_writer *w)
{
    if (w == NULL) {
        return;
    }
    uv_mutex_lock(&w->mu);
    w->stop = 1;
    uv_cond_signal(&w->cv);
    uv_mutex_unlock(&w->mu);
    if (w->started) {
        uv_thread_join(&w->thread); /* commits what was queued first */
        w->started = 0;
    }
    drain_out(w);
    store_close(w->db);
    w->db = NULL;
    uv_close((uv_handle_t *)&w->async, on_closed);
}
