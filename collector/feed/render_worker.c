/*
 * render_worker.c - the rendering thread (render_worker.h).
 *
 * Shared under the mutex: `job` (handed to the thread), `finished` (run,
 * waiting for the loop) and the stop flag. A job belongs to the thread
 * between the hand-over and the move to `finished`.
 */
#include "render_worker.h"

#include "mem.h"
#include "ph_err.h"

struct render_worker {
    uv_loop_t *loop;
    uv_thread_t thread;
    uv_mutex_t mu;
    uv_cond_t cv;           /* the thread waits for a job; wait() for its end */
    uv_async_t async;       /* thread -> loop: `finished` is set */
    struct render_job *job; /* under mu: to run */
    struct render_job *finished; /* under mu: run, done() pending */
    int busy;                    /* loop only: submitted, done() not run */
    int stop;                    /* under mu */
};

static void
run(void *arg)
{
    struct render_worker *w = arg;

    uv_mutex_lock(&w->mu);
    for (;;) {
        struct render_job *j;

        while (w->job == NULL && !w->stop) {
            uv_cond_wait(&w->cv, &w->mu);
        }
        if (w->job == NULL) {
            break; /* stopping with nothing to run */
        }
        j = w->job;
        w->job = NULL;
        uv_mutex_unlock(&w->mu);
        j->run(j);
        uv_mutex_lock(&w->mu);
        w->finished = j;
        uv_cond_broadcast(&w->cv);
        uv_async_send(&w->async);
    }
    uv_mutex_unlock(&w->mu);
}

/* Runs done() of the finished job, if any. Loop thread. */
static void
finish(struct render_worker *w)
{
    struct render_job *j;

    uv_mutex_lock(&w->mu);
    j = w->finished;
    w->finished = NULL;
    uv_mutex_unlock(&w->mu);
    if (j != NULL) {
        w->busy = 0;
        j->done(j);
    }
}

static void
on_async(uv_async_t *a)
{
    finish(a->data);
}

static void
on_closed(uv_handle_t *h)
{
    struct render_worker *w = h->data;

    uv_cond_destroy(&w->cv);
    uv_mutex_destroy(&w->mu);
    ph_free(w);
}

int
render_worker_start(uv_loop_t *loop, struct render_worker **ret)
{
    struct render_worker *w = ph_calloc(1, sizeof(*w));
    int mu = 0, cv = 0;

    if (w == NULL) {
        return PH_ENOMEM;
    }
    w->loop = loop;
    if (uv_mutex_init(&w->mu) != 0) {
        goto fail;
    }
    mu = 1;
    if (uv_cond_init(&w->cv) != 0) {
        goto fail;
    }
    cv = 1;
    if (uv_async_init(loop, &w->async, on_async) != 0) {
        goto fail;
    }
    w->async.data = w;
    if (uv_thread_create(&w->thread, run, w) != 0) {
        /* The handle is live: w goes in its close callback. */
        uv_close((uv_handle_t *)&w->async, on_closed);
        return PH_EINTERNAL;
    }
    *ret = w;
    return 0;
fail:
    if (cv) {
        uv_cond_destroy(&w->cv);
    }
    if (mu) {
        uv_mutex_destroy(&w->mu);
    }
    ph_free(w);
    return PH_EINTERNAL;
}

int
render_worker_submit(struct render_worker *w, struct render_job *j)
{
    uv_mutex_lock(&w->mu);
    if (w->busy || w->stop) {
        uv_mutex_unlock(&w->mu);
        return PH_EBUSY;
    }
    w->job = j;
    w->busy = 1;
    uv_cond_signal(&w->cv);
    uv_mutex_unlock(&w->mu);
    return 0;
}

int
render_worker_busy(const struct render_worker *w)
{
    return w != NULL && w->busy;
}

void
render_worker_wait(struct render_worker *w)
{
    if (w == NULL || !w->busy) {
        return;
    }
    uv_mutex_lock(&w->mu);
    while (w->finished == NULL) {
        uv_cond_wait(&w->cv, &w->mu);
    }
    uv_mutex_unlock(&w->mu);
    finish(w);
}

void
render_worker_stop(struct render_worker *w)
{
    if (w == NULL) {
        return;
    }
    render_worker_wait(w);
    uv_mutex_lock(&w->mu);
    w->stop = 1;
    uv_cond_signal(&w->cv);
    uv_mutex_unlock(&w->mu);
    uv_thread_join(&w->thread);
    uv_close((uv_handle_t *)&w->async, on_closed);
}
