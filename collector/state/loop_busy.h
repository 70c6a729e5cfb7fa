/*
 * loop_busy.h - how long the collector's loop goes without looking at its
 * sockets: the busy time of each loop iteration (the callbacks it ran
 * between two polls), as a histogram for /metrics.
 *
 * A request that arrives while the loop is busy waits for the rest of
 * that iteration, so the distribution bounds what the loop adds to any
 * reader's latency: "reads do not wait for writes" is this histogram
 * under load staying where it is idle. Measured with libuv's idle-time
 * metric (UV_METRICS_IDLE_TIME): busy = wall time between two uv_check
 * callbacks minus the time the poll slept in between. An iteration over
 * LOOP_BUSY_WARN_MS is logged (at most once a minute, with the count
 * since the last line).
 *
 * Loop thread only; nothing is locked.
 */
#ifndef PH_LOOP_BUSY_H
#define PH_LOOP_BUSY_H

#include <stdint.h>
#include <uv.h>

#include "buf.h"

#define LOOP_BUSY_BUCKETS 12
#define LOOP_BUSY_WARN_MS 500

struct loop_busy {
    uv_check_t check;
    uv_loop_t *loop;
    uint64_t last_ns;              /* hrtime at the last check, 0 = none */
    uint64_t last_idle_ns;         /* uv_metrics_idle_time then */
    uint64_t counts[LOOP_BUSY_BUCKETS + 1]; /* per bucket; last = +Inf */
    uint64_t n;
    double sum_s;
    double max_s;                  /* since start */
    uint64_t slow;                 /* iterations over the warning, unlogged */
    uint64_t last_warn_ns;
    int configured;
    int started;
};

/* Asks loop for its idle time (UV_METRICS_IDLE_TIME); before the loop's
 * first run. Returns 0 or PH_EIO. */
int loop_busy_configure(struct loop_busy *lb, uv_loop_t *loop);
/* Starts measuring on loop (configured above, or PH_EINVAL). The check
 * handle does not keep the loop alive. Returns 0 or PH_E*. */
int loop_busy_start(struct loop_busy *lb, uv_loop_t *loop);
/* Stops and closes the handle (lb must stay valid until the loop has
 * run its close callbacks). */
void loop_busy_stop(struct loop_busy *lb);
/* Appends the histogram pharos_loop_busy_seconds and the gauge
 * pharos_loop_busy_max_seconds in Prometheus text format. */
int loop_busy_render(const struct loop_busy *lb, struct buf *b);

#endif
