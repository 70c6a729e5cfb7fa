#include "loop_busy.h"

#include "ph_err.h"
#include "log.h"

/* Upper bounds of the buckets, seconds: 50 us to 1 s. */
static const double bounds[LOOP_BUSY_BUCKETS] = {
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
    0.005,   0.01,   0.025,   0.05,   0.1,   1.0,
};

#define WARN_EVERY_NS (60ull * 1000000000ull)

int
loop_busy_configure(struct loop_busy *lb, uv_loop_t *loop)
{
    if (uv_loop_configure(loop, UV_METRICS_IDLE_TIME) != 0) {
        return PH_EIO;
    }
    lb->configured = 1;
    return 0;
}

static void
observe(struct loop_busy *lb, double s, uint64_t now)
{
    size_t i = 0;

    while (i < LOOP_BUSY_BUCKETS && s > bounds[i]) {
        i++;
    }
    lb->counts[i]++;
    lb->n++;
    lb->sum_s += s;
    if (s > lb->max_s) {
        lb->max_s = s;
    }
    if (s * 1000.0 < LOOP_BUSY_WARN_MS) {
        return;
    }
    lb->slow++;
    if (lb->last_warn_ns != 0 && now - lb->last_warn_ns < WARN_EVERY_NS) {
        return;
    }
    log_warnx("loop: busy %.0f ms without reading its sockets (%llu "
              "iteration(s) over %d ms since the last such line)",
              s * 1000.0, (unsigned long long)lb->slow, LOOP_BUSY_WARN_MS);
    lb->slow = 0;
    lb->last_warn_ns = now;
}

static void
on_check(uv_check_t *h)
{
    struct loop_busy *lb = h->data;
    uint64_t now = uv_hrtime();
    uint64_t idle = uv_metrics_idle_time(lb->loop);

    if (lb->last_ns != 0 && now >= lb->last_ns && idle >= lb->last_idle_ns) {
        uint64_t wall = now - lb->last_ns;
        uint64_t slept = idle - lb->last_idle_ns;

        observe(lb, wall > slept ? (double)(wall - slept) / 1e9 : 0.0, now);
    }
    lb->last_ns = now;
    lb->last_idle_ns = idle;
}

int
loop_busy_start(struct loop_busy *lb, uv_loop_t *loop)
{
    if (!lb->configured) {
        return PH_EINVAL;
    }
    if (uv_check_init(loop, &lb->check) != 0) {
        return PH_EIO;
    }
    lb->loop = loop;
    lb->check.data = lb;
    lb->started = 1;
    if (uv_check_start(&lb->check, on_check) != 0) {
        return PH_EIO;
    }
    uv_unref((uv_handle_t *)&lb->check);
    return 0;
}

void
loop_busy_stop(struct loop_busy *lb)
{
    if (!lb->started) {
        return;
    }
    lb->started = 0;
    uv_check_stop(&lb->check);
    uv_close((uv_handle_t *)&lb->check, NULL);
}

int
loop_busy_render(const struct loop_busy *lb, struct buf *b)
{
    uint64_t cum = 0;

    buf_printf(b, "# HELP pharos_loop_busy_seconds Busy time of each "
                  "iteration of the collector's loop (callbacks run between "
                  "two polls of its sockets): what the loop can add to a "
                  "request's wait.\n"
                  "# TYPE pharos_loop_busy_seconds histogram\n");
    for (size_t i = 0; i < LOOP_BUSY_BUCKETS; i++) {
        cum += lb->counts[i];
        buf_printf(b, "pharos_loop_busy_seconds_bucket{le=\"%g\"} %llu\n",
                   bounds[i], (unsigned long long)cum);
    }
    cum += lb->counts[LOOP_BUSY_BUCKETS];
    buf_printf(b, "pharos_loop_busy_seconds_bucket{le=\"+Inf\"} %llu\n",
               (unsigned long long)cum);
    buf_printf(b, "pharos_loop_busy_seconds_sum %.6f\n"
                  "pharos_loop_busy_seconds_count %llu\n",
               lb->sum_s, (unsigned long long)lb->n);
    return buf_printf(b, "# HELP pharos_loop_busy_max_seconds The longest "
                         "loop iteration since start.\n"
                         "# TYPE pharos_loop_busy_max_seconds gauge\n"
                         "pharos_loop_busy_max_seconds %.6f\n", lb->max_s);
}
