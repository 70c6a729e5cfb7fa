/*
 * collector_retention.c - retention, run by the leader at start and
 * hourly: raw results, finished notifications, day rollups and
 * response-time rollups, in one call through the store's asynchronous
 * interface (on PostgreSQL on the writer thread's connection).
 */
#include "collector.h"

#include <string.h>

#include "log.h"
#include "rollup.h"
#include "store.h"
#include "store_async.h"
#include "timefmt.h"
#include "uptime.h"

#define OUTBOX_KEEP_MS (30LL * 86400000)

static void
on_pruned(int result, int64_t results_deleted, int64_t outbox_deleted,
          int64_t latency_deleted, void *arg)
{
    (void)arg;
    if (result != 0) {
        log_warnx("retention: pruning failed (retried in an hour)");
    }
    if (results_deleted > 0) {
        log_info("retention: deleted %lld raw results",
                 (long long)results_deleted);
    }
    /* Finished notifications keep their idempotency keys for 30 days,
     * far longer than any replay after a restart reaches back. */
    if (outbox_deleted > 0) {
        log_info("retention: deleted %lld finished notifications",
                 (long long)outbox_deleted);
    }
    if (latency_deleted > 0) {
        log_info("retention: deleted %lld response-time rollups",
                 (long long)latency_deleted);
    }
}

/* Retention: raw results older than retention.raw, finished
 * notifications older than 30 days, day rollups older than 400 days,
 * response-time rollups past retention.latency_5m and latency_1h.
 * Runs at start and hourly, in bounded chunks (store.c); on PostgreSQL
 * on the writer thread's connection (store_async.h). */
void
collector_prune(struct collector *c)
{
    int64_t now = time_now_ms();
    struct store_prune_cuts cuts;

    memset(&cuts, 0, sizeof(cuts));
    if (c->h.rollup != NULL) {
        cuts.uptime_before_date = uptime_date_add(
            uptime_local_date(rollup_tz(c->h.rollup), now), -400);
    }
    cuts.results_before_ms =
        now - (int64_t)c->h.conf.retention_raw_days * 86400000;
    cuts.outbox_before_ms = now - OUTBOX_KEEP_MS;
    /* Response-time rollups; their sketches are dropped once no result
     * can arrive for them (server.max_result_age, an hour's margin). */
    cuts.lat_fine_before_ms =
        now - (int64_t)c->h.conf.retention_latency_5m_days * 86400000;
    cuts.lat_hourly_before_ms =
        now - (int64_t)c->h.conf.retention_latency_1h_days * 86400000;
    cuts.lat_seal_before_ms =
        now - (int64_t)c->h.conf.max_result_age_ms - 2 * 3600000;
    if (store_prune_async(c->h.store, &cuts, on_pruned, c) != 0) {
        log_warnx("retention: cannot prune now (out of memory)");
    }
}
