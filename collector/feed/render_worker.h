/*
 * render_worker.h - one thread that runs rendering jobs off the loop.
 *
 * A job's run() runs on the worker thread; its done() runs afterwards on
 * the loop thread (uv_async) and owns the job again. One job at a time:
 * the driver (collector_publish.c) renders from an immutable snapshot on
 * the worker and swaps the results in from done(), so the loop spends
 * no time building, serialising or compressing documents.
 *
 * Every function is for the loop thread. If render_worker_submit()
 * returns an error, done() is never called (the job stays the caller's).
 */
#ifndef PH_RENDER_WORKER_H
#define PH_RENDER_WORKER_H

#include <uv.h>

struct render_job {
    void (*run)(struct render_job *j);  /* worker thread */
    void (*done)(struct render_job *j); /* loop thread, after run */
};

struct render_worker;

/* Starts the thread. Returns 0 and a new worker, PH_ENOMEM or
 * PH_EINTERNAL. */
int render_worker_start(uv_loop_t *loop, struct render_worker **ret);

/* Hands j (taken until its done()) to the thread. Returns 0, or PH_EBUSY
 * while another job has not finished (its done() not yet run) or when
 * the worker is stopping. */
int render_worker_submit(struct render_worker *w, struct render_job *j);

/* 1 while a job is submitted and its done() has not run. */
int render_worker_busy(const struct render_worker *w);

/* Blocks until the job in progress (if any) has run, then runs its
 * done() from here: for the moments the loop must not change what the
 * job borrows (a reload replacing the configuration). */
void render_worker_wait(struct render_worker *w);

/* Waits as render_worker_wait(), ends the thread and frees w once libuv
 * has closed its handle. Accepts NULL. */
void render_worker_stop(struct render_worker *w);

#endif
