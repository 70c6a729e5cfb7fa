/*
 * store_async.h - store writes the loop makes at run time without
 * waiting for the database: status transitions, the audit log, key/value
 * state, uptime checkpoints and retention (the notification outbox's are
 * in store_async_notify.h).
 *
 * On PostgreSQL each call is queued to the writer thread (store_writer.h),
 * which runs it on its own connection in the order queued, so no round
 * trip ever blocks the loop; on sqlite it runs at once on the loop's
 * connection, as before (a local commit). Either way done(result,
 * errmsg, arg), when not NULL, runs on the loop thread afterwards, with
 * 0 or a negative PH_E* and the database's message (borrowed for the
 * call): on sqlite before the call returns, on PostgreSQL later.
 * A full queue runs the call at once rather than lose it.
 *
 * Arguments are copied; the call returns 0 or PH_ENOMEM (then done is
 * never called).
 */
#ifndef PH_STORE_ASYNC_H
#define PH_STORE_ASYNC_H

#include "store.h"

/* The writer thread is the one store_set_async_writer() named. */
typedef void (*store_done_cb)(int result, const char *errmsg, void *arg);

int store_add_transition_async(struct store *s, const char *component_id,
                               const char *old_status,
                               const char *new_status, const char *source,
                               const char *reason, int64_t at_ms,
                               store_done_cb done, void *arg);
int store_audit_add_async(struct store *s, int64_t at_ms, const char *actor,
                          const char *action, const char *target,
                          const char *detail, int status, store_done_cb done,
                          void *arg);
int store_kv_set_async(struct store *s, const char *key, const char *value,
                       store_done_cb done, void *arg);
int store_uptime_checkpoint_async(struct store *s, const char *component_id,
                                  const struct uptime_day *days,
                                  size_t ndays,
                                  const struct uptime_acc_state *st,
                                  store_done_cb done, void *arg);

/* One cheap read (a key of the kv table) on the connection the calls
 * use: done(0 ...) says the database answered just now. On sqlite at
 * once. */
int store_ping_async(struct store *s, store_done_cb done, void *arg);

/* Retention in one call: raw results of batches received before
 * results_before_ms, finished outbox rows done before outbox_before_ms,
 * uptime days before uptime_before_date, response-time rollups as
 * store_latency_prune() with lat_fine_before_ms, lat_hourly_before_ms
 * and lat_seal_before_ms (store_prune_results(), store_outbox_prune(),
 * store_uptime_prune(), store_latency_prune()). done gets the first
 * failure (or 0) and the counts deleted. */
struct store_prune_cuts {
    int64_t results_before_ms;
    int64_t outbox_before_ms;
    int32_t uptime_before_date;
    int64_t lat_fine_before_ms;
    int64_t lat_hourly_before_ms;
    int64_t lat_seal_before_ms;
};
typedef void (*store_pruned_cb)(int result, int64_t results_deleted,
                                int64_t outbox_deleted,
                                int64_t latency_deleted, void *arg);
int store_prune_async(struct store *s, const struct store_prune_cuts *cuts,
                      store_pruned_cb done, void *arg);

/* An incident stored as inc is now (copied), or deleted (a missing one
 * is no error): the incident automation's and maintenance timers'
 * writes, made visible in memory first; the writes of one collector go
 * in the order queued, so a later edit's save lands after. */
int store_incident_save_async(struct store *s, const struct incident *inc,
                              store_done_cb done, void *arg);
int store_incident_delete_async(struct store *s, const char *id,
                                store_done_cb done, void *arg);

#endif
