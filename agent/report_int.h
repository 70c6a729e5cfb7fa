/*
 * report_int.h - the reporter's insides, shared by report.c (plan,
 * batches, failover) and report_wait.c (the held re-check request).
 * Nothing else includes it. Loop thread only.
 */
#ifndef PH_REPORT_INT_H
#define PH_REPORT_INT_H

#include <curl/curl.h>
#include <stdint.h>
#include <uv.h>

#include "buf.h"
#include "report.h"

#define RESP_MAX (WIRE_PLAN_MAX_BYTES)
#define BACKOFF_MIN_MS 500
#define BACKOFF_MAX_MS 60000
#define XFER_TIMEOUT_MS 30000
/* At most SWITCH_LOG_MAX "now using collector X" lines per
 * SWITCH_LOG_MS (a flapping link); the next logged one says how many
 * changes went unlogged. */
#define SWITCH_LOG_MS 60000
#define SWITCH_LOG_MAX 4

enum xfer_kind { XFER_PLAN, XFER_RESULTS, XFER_WAIT };

struct xfer {
    struct report *r;
    enum xfer_kind kind;
    CURL *easy;
    struct curl_slist *hdrs;
    struct buf resp;
    char etag[64];
    uint8_t *body;          /* POST body, owned */
    size_t nresults;        /* results in this batch */
    uint64_t first_rid;     /* record id of its first result */
    uint64_t seq;
    size_t coll;            /* index of the collector it went to */
    int probe;              /* plan fetch probing the preferred collector */
};

struct report {
    uv_loop_t *loop;
    struct curl_uv *cu;
    struct report_opts opts;
    char **plan_urls;       /* one per collector */
    char **results_urls;
    char **wait_urls;
    size_t ncoll;
    size_t cur;             /* the collector in use */
    size_t round_fails;     /* failovers since the last success */
    int64_t switch_window_ms;   /* start of the current log window */
    uint32_t switch_window_n;   /* switch lines logged in it */
    uint64_t switches_unlogged;
    char *auth_header;
    report_plan_cb plan_cb;
    void *arg;
    report_recheck_cb recheck_cb;
    void *recheck_arg;

    /* Ring of unacked results in memory: record ids mem_first ..
     * mem_first + qlen - 1. With a spool, the spool holds them all and
     * the ring is a window on its head; without one, ids are virtual. */
    struct check_result *q;
    size_t qcap, qhead, qlen;
    uint64_t mem_first;
    struct spool *spool;
    uint64_t spool_dropped_seen;
    uint64_t spool_unwritable;   /* results the spool could not take */
    int spool_state_failing;     /* saving the spool state fails */
    struct {
        int active;          /* resend this batch first (after a crash) */
        uint64_t seq;
        uint64_t first;
        uint32_t count;
    } resend;

    struct xfer *plan_xfer;
    struct xfer *send_xfer;
    struct xfer *wait_xfer;     /* the held re-check request */
    int64_t wait_started_ms;
    uint32_t wait_backoff_ms;
    int wait_unsupported;       /* the collector answered 404 */
    char plan_etag[64];
    char types_header[CHECK_TYPES_LIST_MAX + 32];
    uint64_t plan_version;
    int have_plan;
    uint64_t next_seq;      /* 0 until the first plan tells us */
    uint32_t backoff_ms;
    int64_t last_send_ms;
    struct report_stats stats;
    int link_failing;

    uv_timer_t plan_timer;
    uv_timer_t send_timer;
    uv_timer_t hb_timer;    /* heartbeat: an empty batch when idle */
    uv_timer_t drain_timer; /* deadline of report_drain() */
    uv_timer_t pref_timer;  /* on a fallback: probe the first collector */
    uv_timer_t wait_timer;  /* the next held re-check request */
    int draining;
    report_closed_cb drain_cb;
    void *drain_arg;
    int send_scheduled;
    int news_queued;        /* a queued result must not wait (schedule_push) */
    int closing;
    int pending_closes;
    report_closed_cb closed_cb;
    void *closed_arg;
};

/* A transfer to collector url of kind; returns new (report_xfer_free),
 * or NULL. */
struct xfer *report_xfer_new(struct report *r, enum xfer_kind kind,
                             const char *url);
/* Frees x and its easy handle (removed from the multi first by the
 * caller when it is still added). Accepts NULL. */
void report_xfer_free(struct xfer *x);
/* ms +-20 %. */
uint32_t report_jitter(uint32_t ms);
/* A plan fetch from the current collector (none while one runs). */
void report_start_plan_fetch(struct report *r);
/* Opens the held re-check request to the current collector once the
 * agent has a plan (report_wait.c); none while one is open. */
void report_wait_start(struct report *r);

#endif
