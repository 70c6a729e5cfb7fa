/*
 * store.h - the collector's store: the one interface every caller uses,
 * in front of two backends (store.c picks one at store_open()):
 *  - sqlite (store_sqlite.c and friends): one file in state_dir, WAL,
 *    one writer, numbered migrations tracked by PRAGMA user_version;
 *  - PostgreSQL (store_pg*.c, libpq): `store: postgresql://...`, so that
 *    several collectors share one database; the same numbered migrations
 *    (migrations_pg/) tracked in schema_version under an advisory lock.
 * Only the backends' own files include sqlite3.h or libpq-fe.h.
 *
 * All functions: one thread per store (the loop's, or the writer's own
 * store); return 0 or a negative PH_E* code; string arguments are
 * borrowed.
 */
#ifndef PH_STORE_H
#define PH_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "store_types.h"

/*
 * Opens the store at where. A `postgresql://` or `postgres://` URI (any
 * libpq connection URI: host, port, dbname, sslmode and the other TLS
 * options pass through) opens PostgreSQL; password (may be NULL: then
 * libpq's own PGPASSWORD or ~/.pgpass apply) is given to libpq apart from
 * the URI so it never appears in a message. Anything else is the path of
 * a sqlite file.
 *
 * sqlite: opens the database at path (creating it when there is no such
 * file), checks it (PRAGMA quick_check) and migrates it. Refused, with one line
 * in errbuf that says what is wrong and what to do: a directory or other
 * non-file at path; an existing zero-length file, unless flags has
 * STORE_OPEN_INIT_EMPTY (--init-empty-db); a file that does not start with
 * the sqlite header or is shorter than its header says (truncated); a
 * database that fails quick_check; a schema newer than the migrations
 * compiled in. A database behind its acknowledgement record (path.acked,
 * the last seq acked to each agent) opens, with a warning in the log that
 * names the lost batches.
 *
 * PostgreSQL: connects (blocking: start-up only), applies the migrations
 * under an advisory lock (several collectors may start at once) and
 * refuses a schema newer than this release. Later calls reconnect by
 * themselves after the server went away (PH_EDB until it is back).
 *
 * Returns new in *ret.
 */
int store_open(const char *where, const char *password, unsigned flags,
               char *errbuf, size_t errlen, struct store **ret);
/* 1 when where names a PostgreSQL database (a postgresql:// URI). */
int store_is_postgresql(const char *where);
/* "sqlite" or "postgresql". */
const char *store_backend_name(struct store *s);
/* The writer thread whose own connection takes this store's
 * asynchronous calls (store_async.h) on PostgreSQL (borrowed). NULL
 * makes them run at once again: set it before store_writer_stop(). */
void store_set_async_writer(struct store *s, struct store_writer *w);
/* That writer; NULL on sqlite or when none is set. */
struct store_writer *store_async_writer(struct store *s);
/* Accepts NULL. */
void store_close(struct store *s);
/* The last database error as text (borrowed until the next call). */
const char *store_errmsg(struct store *s);

/*
 * Stores one result batch of an agent atomically: the results and the
 * agent's new last sequence number in one transaction, committed before
 * return. If seq <= the agent's last stored seq the batch is a duplicate:
 * nothing is written and PH_EEXIST is returned (the caller still acks).
 * Results keep their original timestamps (backfill).
 */
int store_insert_batch(struct store *s, const char *agent_id,
                       const char *region, uint64_t seq,
                       const struct check_result *results, size_t n,
                       int64_t now_ms);

/*
 * Group commit: every batch of the list in one transaction, each in its
 * own savepoint, so a failing batch fails alone (b->result) and the rest
 * commit together; each batch's agent liveness is recorded too. Returns
 * 0, or PH_EDB when the commit itself failed (then every b->result is
 * PH_EDB). Used by the writer thread on its own connection.
 */
int store_insert_group(struct store *s, struct store_batch *group);
/* Notes that batches were acknowledged: the acked record is rewritten
 * at most once a second (loop's connection). */
void store_note_acked(struct store *s, int64_t now_ms);

/* Last committed seq of agent (0 when none). */
int store_agent_last_seq(struct store *s, const char *agent_id,
                         uint64_t *ret_seq);

/* Records agent liveness (last contact, version, plan version, backlog). */
int store_agent_touch(struct store *s, const char *agent_id,
                      const char *region, const char *version,
                      uint64_t plan_version, uint64_t backlog,
                      int64_t now_ms);
/* Calls cb for each known agent (row borrowed for the call). A non-zero
 * return from cb stops the walk and is returned. */
int store_list_agents(struct store *s, store_agent_cb cb, void *arg);

/* Appends a component status transition (source/reason as text). */
int store_add_transition(struct store *s, const char *component_id,
                         const char *old_status, const char *new_status,
                         const char *source, const char *reason,
                         int64_t at_ms);
/* Walks transitions with at_ms >= since_ms, oldest first; component_id
 * NULL means all components. */
int store_list_transitions(struct store *s, const char *component_id,
                           int64_t since_ms, store_transition_cb cb,
                           void *arg);

/* The latest stored status of a component (for restart); PH_ENOENT if none.
 * ret_status must hold 32 bytes. */
int store_last_status(struct store *s, const char *component_id,
                      char *ret_status, size_t len, int64_t *ret_at_ms);

/* Deletes the raw results of every batch received before before_ms
 * (retention.raw); the count in *ret_deleted (may be NULL). */
int store_prune_results(struct store *s, int64_t before_ms,
                        int64_t *ret_deleted);
/* Writes what this connection holds now (its own transaction). Tests,
 * and store_close(). */
int store_latency_flush(struct store *s);
/* The rows of check_id with period_s (LAT_PERIOD_*) and bucket_ms >=
 * since_ms, in region (NULL: all) order then time order. A non-zero
 * return from cb stops the walk and is returned. */
/* 1 when this backend keeps response-time rollups (both do: sqlite
 * merges them every 10 s, PostgreSQL in each group commit). */
int store_latency_available(struct store *s);
int store_latency_list(struct store *s, const char *check_id,
                       const char *region, int period_s, int64_t since_ms,
                       store_latency_cb cb, void *arg);
/* Retention: deletes five-minute rows older than fine_before_ms and
 * hourly rows older than hourly_before_ms, and drops the sketch of rows
 * older than seal_before_ms (no result can arrive for them: older than
 * server.max_result_age). The rows deleted in *ret_deleted (may be
 * NULL). */
int store_latency_prune(struct store *s, int64_t fine_before_ms,
                        int64_t hourly_before_ms, int64_t seal_before_ms,
                        int64_t *ret_deleted);

/* Agents created at run time. Adding an id that exists (revoked or not)
 * gives PH_EEXIST; revoking an unknown or revoked id gives PH_ENOENT. */
int store_agent_token_add(struct store *s, const char *agent_id,
                          const char *region, const char *token_sha256,
                          int64_t now_ms);
int store_agent_token_revoke(struct store *s, const char *agent_id,
                             int64_t now_ms);
int store_list_agent_tokens(struct store *s, store_agent_token_cb cb,
                            void *arg);

/* Uptime: closed days and the open day's checkpoint of a component,
 * written in one transaction (days may be empty). */
int store_uptime_checkpoint(struct store *s, const char *component_id,
                            const struct uptime_day *days, size_t ndays,
                            const struct uptime_acc_state *st);
/* PH_ENOENT when the component has no checkpoint. */
int store_uptime_state(struct store *s, const char *component_id,
                       struct uptime_acc_state *ret);
/* Days of a component with date >= from_date, oldest first, into ret
 * (at most max). */
int store_uptime_days(struct store *s, const char *component_id,
                      int32_t from_date, struct uptime_day *ret, size_t max,
                      size_t *ret_n);
/* Deletes days older than before_date (retention). */
int store_uptime_prune(struct store *s, int32_t before_date);

/*
 * Writes a consistent copy of the database at db_path to dest with
 * sqlite's online backup; safe while a collector runs on it. db_path is
 * opened read-only (never created or migrated). The copy goes to
 * dest.tmp, is fsynced and renamed to dest; an existing dest is refused
 * (PH_EEXIST). Errors are described in errbuf. Any thread.
 */
int store_backup(const char *db_path, const char *dest, char *errbuf,
                 size_t errlen);

/* Incidents and maintenance (store_incidents.c). Save writes the incident
 * and all its updates in one transaction (insert or replace). */
int store_incident_save(struct store *s, const struct incident *inc);
/* PH_ENOENT when there is no such incident. */
int store_incident_delete(struct store *s, const char *id);
int store_incidents_load(struct store *s, size_t max, store_incident_cb cb,
                         void *arg);

/* API keys created at run time (store_keys.c). Adding a name that exists
 * gives PH_EEXIST; revoking an unknown or revoked one PH_ENOENT. */
int store_api_key_add(struct store *s, const char *name, const char *scope,
                      const char *token_sha256, int64_t now_ms);
int store_api_key_revoke(struct store *s, const char *name, int64_t now_ms);
int store_list_api_keys(struct store *s, store_api_key_cb cb, void *arg);

/* Viewers of a private page (store_viewers.c), as API keys above:
 * adding a name that exists gives PH_EEXIST; revoking an unknown or
 * revoked one PH_ENOENT. */
int store_viewer_add(struct store *s, const char *name,
                     const char *token_sha256, int64_t now_ms);
int store_viewer_revoke(struct store *s, const char *name, int64_t now_ms);
int store_list_viewers(struct store *s, store_viewer_cb cb, void *arg);
int store_component_put(struct store *s, const struct store_component_row *r);
int store_component_delete(struct store *s, const char *id);
int store_list_components(struct store *s, store_component_cb cb, void *arg);
int store_group_put(struct store *s, const struct store_group_row *r);
int store_group_delete(struct store *s, const char *id);
int store_list_groups(struct store *s, store_group_cb cb, void *arg);
/* 0 and *ret filled, PH_ENOENT when there is no link, PH_EDB. */
int store_hook_link_get(struct store *s, const char *source,
                        const char *external_id,
                        struct store_hook_link *ret);
/* Inserts or replaces the link. Returns 0 or PH_EDB. */
int store_hook_link_put(struct store *s, const char *source,
                        const char *external_id,
                        const struct store_hook_link *link, int64_t now_ms);
/* 1 if event_id of source was recorded, 0 if not, PH_EDB. */
int store_hook_event_seen(struct store *s, const char *source,
                          const char *event_id);
/* Records event_id and drops the source's ids seen before
 * prune_before_ms. Returns 0 or PH_EDB. */
int store_hook_event_add(struct store *s, const char *source,
                         const char *event_id, int64_t now_ms,
                         int64_t prune_before_ms);

/* The audit log of management writes. */
int store_audit_add(struct store *s, int64_t at_ms, const char *actor,
                    const char *action, const char *target,
                    const char *detail, int status);
/* Newest first, at most limit rows with id < before_id (0 = no bound). */
int store_audit_list(struct store *s, int64_t before_id, size_t limit,
                     store_audit_cb cb, void *arg);

/* Staff channels (store_staff.c): subscriber rows in state 'staff'. The
 * id of a channel of kind (enum notify_kind) at address. */
void store_staff_id(int kind, const char *address,
                    char out[STORE_SUB_ID_MAX]);
/* Makes the staff rows exactly rows[0..n) (id, kind, address, secret
 * used): adds or refreshes them (a quarantined one is active again) and
 * deletes the others. Returns 0 or PH_EDB. */
int store_staff_sync(struct store *s, const struct store_subscriber *rows,
                     size_t n, int64_t now_ms);

/* Transactions around several writes (a fan-out). */
int store_tx_begin(struct store *s);
int store_tx_commit(struct store *s);
void store_tx_rollback(struct store *s);

/* Adds a subscriber with the SHA-256 (hex) of its tokens; confirm_sha256
 * may be NULL. PH_EEXIST when the id or the unsubscribe hash exists. */
int store_sub_add(struct store *s, const struct store_subscriber *sub,
                  const char *confirm_sha256, const char *unsub_sha256);
/* PH_ENOENT when unknown. */
int store_sub_get(struct store *s, const char *id,
                  struct store_subscriber *ret);
/* The newest subscriber of kind for address that is not unsubscribed. */
int store_sub_find(struct store *s, const char *kind, const char *address,
                   struct store_subscriber *ret);
/* By the SHA-256 of its confirm (unsub 0) or unsubscribe (1) token. */
int store_sub_by_token(struct store *s, int unsub, const char *sha256,
                       struct store_subscriber *ret);
/* Sets the state. "active" clears the confirm token and stamps
 * confirmed_ms (once) and the failure count; "unsubscribed" and
 * "quarantined" drop the subscriber's undelivered messages. */
int store_sub_set_state(struct store *s, const char *id, const char *state,
                        int64_t now_ms);
/* Replaces the confirm token (a new confirmation email). */
int store_sub_set_confirm(struct store *s, const char *id,
                          const char *confirm_sha256, int64_t now_ms);
/* Messages of event enqueued for a subscriber since since_ms: their
 * count and the newest one's created_ms (0 when none). */
int store_outbox_sent_since(struct store *s, const char *subscriber_id,
                            const char *event, int64_t since_ms,
                            int64_t *ret_count, int64_t *ret_last_ms);
/* Walks subscribers in state (NULL: all), oldest first. */
int store_sub_list(struct store *s, const char *state, store_sub_cb cb,
                   void *arg);
/* Subscribers that are not unsubscribed. */
int store_sub_count(struct store *s, int64_t *ret);
/*
 * Records a delivery outcome: ok resets the failure count; a failure
 * counts one more (err kept). When fails reaches quarantine_after, or the
 * subscriber has failed continuously for span_ms, it is quarantined
 * (its undelivered messages dropped) and *ret_quarantined is set to 1.
 */
int store_sub_result(struct store *s, const char *id, int ok,
                     const char *err, int64_t now_ms,
                     uint32_t quarantine_after, int64_t span_ms,
                     int *ret_quarantined);
/*
 * Enqueues one message. With a coalesce_key, a message of the same key
 * for the same subscriber that was not tried yet and is still waiting
 * (due_ms > now_ms) gets the new payload and event instead (its due time
 * and message id stay). Returns 0 (inserted or coalesced), PH_EEXIST when
 * idem_key was enqueued before (nothing changes), or PH_EDB.
 */
int store_outbox_put(struct store *s, const struct store_outbox_new *m);
/* Pending messages due at now_ms whose subscriber may receive them
 * (active; or pending for "confirm" messages), by due time, at most limit.
 * Rows are borrowed for the call. */
int store_outbox_due(struct store *s, int64_t now_ms, size_t limit,
                     store_outbox_cb cb, void *arg);
/* Marks delivered (the payload is dropped: it may hold a link token). */
int store_outbox_delivered(struct store *s, int64_t id, int64_t now_ms);
/* Schedules another try at due_ms; counts an attempt when count is 1. */
int store_outbox_retry(struct store *s, int64_t id, int64_t due_ms,
                       const char *err, int count);
/* Gives the message up. */
int store_outbox_give_up(struct store *s, int64_t id, int64_t now_ms,
                         const char *err);
/* Messages waiting for delivery (pending). */
/* Deletes finished rows (delivered, given up, dropped) done before
 * before_ms, at most 10,000 per call; pending rows are never pruned. */
int store_outbox_prune(struct store *s, int64_t before_ms,
                       int64_t *ret_deleted);
int store_outbox_backlog(struct store *s, int64_t *ret);

/* Key/value state that must survive restarts (plan version, etc). */
int store_kv_get(struct store *s, const char *key, char *ret, size_t len);
int store_kv_set(struct store *s, const char *key, const char *value);

#endif
