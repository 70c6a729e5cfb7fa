/*
 * report.h - the agent's link to the collector.
 *
 * Fetches the check plan (GET /v1/agent/plan, conditional on its ETag)
 * and ships results in batches (POST /v1/agent/results) over libcurl on
 * the agent's loop, reusing connections. Results are coalesced for at
 * most batch_delay_ms, sent with a per-agent increasing seq, and removed
 * from the queue only when the collector acks that seq; a failed send is
 * retried with the same seq after an exponential backoff with jitter, so
 * the collector stores each batch exactly once.
 * With several collectors the reporter talks to one at a time (plan and
 * results alike) and moves to the next on a connection error, a timeout
 * or a 5xx; a 4xx is an answer and moves nothing. A failed batch is
 * resent unchanged (same seq, same results) to whichever collector is
 * current. While on a fallback, the first collector is probed with a
 * plan fetch every collector_retry_ms (jittered up to twice that) and
 * taken back as soon as it answers.
 * The queue is bounded: when full, the oldest results are dropped and
 * counted. A failing result, or one of an extra probe (confirmation,
 * re-check, watch), skips the coalescing window. Once it has a plan,
 * the reporter also holds a request open to the current collector
 * (GET /v1/agent/rechecks) through which re-check requests arrive at
 * once. Loop thread only.
 */
#ifndef PH_REPORT_H
#define PH_REPORT_H

#include <stdint.h>
#include <uv.h>

#include "check.h"
#include "wire.h"

struct curl_uv;
struct report;

struct report_opts {
    /* Collector base URLs, "http://127.0.0.1:8080", the first preferred
     * (array and strings borrowed for the reporter's lifetime). */
    const char *const *collector_urls;
    size_t ncollectors;           /* at least 1 */
    uint32_t collector_retry_ms;  /* on a fallback, probe the first */
    const char *token;            /* bearer token (borrowed) */
    const char *ca_file;          /* or NULL for the system store */
    const char *version;          /* agent version string */
    uint32_t plan_refresh_ms;     /* how often to re-check the plan */
    uint32_t batch_delay_ms;      /* coalescing window */
    uint32_t max_batch;           /* results per POST */
    uint32_t max_queue;           /* results kept while unacked */
    uint32_t heartbeat_ms;        /* empty batch when idle this long */
    struct spool *spool;          /* on-disk queue or NULL (borrowed) */
};

struct report_stats {
    uint64_t sent;                /* results acked by the collector */
    uint64_t dropped;             /* results dropped because queue full */
    uint64_t queued;              /* results waiting now */
    uint64_t failures;            /* failed requests (plan and sends) */
    uint64_t next_seq;
    const char *collector;        /* current collector URL (borrowed) */
    size_t collector_idx;         /* its index in collector_urls */
    uint64_t switches;            /* collector changes since start */
    uint64_t recheck_requests;    /* check ids the collector asked for */
    uint64_t recheck_held;        /* ... of them through the held request */
};

/* Called with each new plan; the callee may move checks out of it
 * (leaving them zeroed); the reporter frees the plan afterwards. */
typedef void (*report_plan_cb)(struct wire_plan *plan, void *arg);
typedef void (*report_closed_cb)(void *arg);
/* Called for each check id an Ack asks to probe now (id borrowed for
 * the call). */
typedef void (*report_recheck_cb)(const char *id, void *arg);

/* Returns new, or NULL. opts strings are borrowed for the lifetime. */
struct report *report_new(uv_loop_t *loop, struct curl_uv *cu,
                          const struct report_opts *opts,
                          report_plan_cb plan_cb, void *arg);
/* Sets who hears the collector's re-check requests (issue #20); every
 * batch says the agent accepts them, and once the agent has a plan it
 * holds a request open to the collector (GET /v1/agent/rechecks) that
 * the collector answers as soon as it asks this region for one. Set it
 * before report_start(). */
void report_set_recheck_cb(struct report *r, report_recheck_cb cb,
                           void *arg);
/* Starts fetching the plan and sending. */
void report_start(struct report *r);
/* Queues one result (copied). Never fails: a full queue drops its
 * oldest entry instead. */
void report_push(struct report *r, const struct check_result *res);
void report_get_stats(const struct report *r, struct report_stats *ret);
/* Aborts transfers, closes timers, frees r, then calls cb(arg). */
void report_close(struct report *r, report_closed_cb cb, void *arg);
/* Graceful stop: sends what is queued (ignoring the backoff) for at most
 * timeout_ms, logs what was sent and what was left, then report_close(). */
void report_drain(struct report *r, uint32_t timeout_ms, report_closed_cb cb,
                  void *arg);

#endif
