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

#include "check.h"
#include "incident.h"
#include "uptime.h"

struct store;

/* store_open flags. */
#define STORE_OPEN_INIT_EMPTY 0x1 /* an existing empty file is a new database */
/* A second connection for the writer thread (store_writer.c): no file
 * checks, no migrations, no acked record (the first connection did them). */
#define STORE_OPEN_WRITER 0x2

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

struct store_writer;
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

/* One agent batch on its way to the writer thread (store_writer.h):
 * what store_insert_batch() and store_agent_touch() take, owned. */
struct store_batch {
    struct store_batch *next;
    char agent_id[CHECK_ID_MAX];
    char region[CHECK_ID_MAX];
    char version[64];
    uint64_t seq;
    uint64_t plan_version;
    uint64_t backlog;
    struct check_result *results;  /* owned (ph_malloc) */
    size_t n;
    int64_t now_ms;
    int result;                    /* 0, PH_EEXIST (replay) or PH_EDB */
    void (*done)(struct store_batch *b, void *arg); /* on the loop */
    void *arg;
};

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

struct store_agent_row {
    const char *agent_id;
    const char *region;
    const char *version;
    uint64_t last_seq;
    uint64_t plan_version;
    uint64_t backlog;
    int64_t last_contact_ms;
    int64_t results;
};
typedef int (*store_agent_cb)(const struct store_agent_row *row, void *arg);
/* Calls cb for each known agent (row borrowed for the call). A non-zero
 * return from cb stops the walk and is returned. */
int store_list_agents(struct store *s, store_agent_cb cb, void *arg);

/* Appends a component status transition (source/reason as text). */
int store_add_transition(struct store *s, const char *component_id,
                         const char *old_status, const char *new_status,
                         const char *source, const char *reason,
                         int64_t at_ms);

struct store_transition_row {
    const char *component_id;
    const char *old_status;
    const char *new_status;
    const char *source;
    const char *reason;
    int64_t at_ms;
};
typedef int (*store_transition_cb)(const struct store_transition_row *row,
                                   void *arg);
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

/*
 * Response-time rollups (store_latency.c; migration 0012). Each
 * connection that stores result batches keeps what they added since its
 * last flush (per check, region and bucket of LAT_PERIOD_FINE and
 * LAT_PERIOD_HOURLY seconds, up and slow results only: a down result's
 * latency is a timeout or an error, not a response time) and merges it
 * into the stored rows inside a later batch's transaction, at most every
 * STORE_LATENCY_FLUSH_MS, so the rollups cost a row write per (check,
 * region, period) touched in that time, not per result. A kill -9 loses
 * nothing: the last flushed result row is recorded with the flush, and
 * the writer connection adds the rows after it when it opens.
 */
#define STORE_LATENCY_FLUSH_MS 10000
/* Writes what this connection holds now (its own transaction). Tests,
 * and store_close(). */
int store_latency_flush(struct store *s);

struct store_latency_row {
    const char *region;       /* borrowed for the callback */
    int64_t bucket_ms;        /* start of the bucket */
    uint32_t n;               /* up and slow results in it */
    uint32_t p50_ms, p95_ms, max_ms;
};
typedef int (*store_latency_cb)(const struct store_latency_row *row,
                                void *arg);
/* The rows of check_id with period_s (LAT_PERIOD_*) and bucket_ms >=
 * since_ms, in region (NULL: all) order then time order. A non-zero
 * return from cb stops the walk and is returned. */
/* 1 when this backend keeps response-time rollups (sqlite; not yet
 * PostgreSQL, where store_latency_list gives PH_ENOENT). */
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
struct store_agent_token_row {
    const char *agent_id;
    const char *region;
    const char *token_sha256;
    int64_t created_ms;
    int64_t revoked_ms;       /* 0 when active */
};
typedef int (*store_agent_token_cb)(const struct store_agent_token_row *row,
                                    void *arg);
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
/* Calls cb with each of the newest max incidents, newest first; cb takes
 * ownership of what *inc holds (it may move the struct). A non-zero return
 * from cb stops the walk and is returned. */
typedef int (*store_incident_cb)(struct incident *inc, void *arg);
int store_incidents_load(struct store *s, size_t max, store_incident_cb cb,
                         void *arg);

/* API keys created at run time (store_keys.c). Adding a name that exists
 * gives PH_EEXIST; revoking an unknown or revoked one PH_ENOENT. */
int store_api_key_add(struct store *s, const char *name, const char *scope,
                      const char *token_sha256, int64_t now_ms);
int store_api_key_revoke(struct store *s, const char *name, int64_t now_ms);
struct store_api_key_row {
    const char *name;
    const char *scope;
    const char *token_sha256;
    int64_t created_ms;
    int64_t revoked_ms;       /* 0 when active */
};
typedef int (*store_api_key_cb)(const struct store_api_key_row *row,
                                void *arg);
int store_list_api_keys(struct store *s, store_api_key_cb cb, void *arg);

/* Viewers of a private page (store_viewers.c), as API keys above:
 * adding a name that exists gives PH_EEXIST; revoking an unknown or
 * revoked one PH_ENOENT. */
int store_viewer_add(struct store *s, const char *name,
                     const char *token_sha256, int64_t now_ms);
int store_viewer_revoke(struct store *s, const char *name, int64_t now_ms);
struct store_viewer_row {
    const char *name;
    const char *token_sha256;
    int64_t created_ms;
    int64_t revoked_ms;       /* 0 when active */
};
typedef int (*store_viewer_cb)(const struct store_viewer_row *row,
                               void *arg);
int store_list_viewers(struct store *s, store_viewer_cb cb, void *arg);

/* Components and groups created through the v1 API
 * (store_components.c). put inserts or replaces the whole row (created_ms
 * is kept on replace); delete gives PH_ENOENT for an unknown id. Lists
 * are in creation order; strings are borrowed for the callback. */
struct store_component_row {
    const char *id;
    const char *name;
    const char *description;  /* may be NULL */
    const char *group_id;     /* may be NULL */
    int showcase;
    int only_show_if_degraded;
    const char *start_date;   /* may be NULL */
    int internal;
    int64_t created_ms;
    int64_t updated_ms;
};
typedef int (*store_component_cb)(const struct store_component_row *row,
                                  void *arg);
int store_component_put(struct store *s, const struct store_component_row *r);
int store_component_delete(struct store *s, const char *id);
int store_list_components(struct store *s, store_component_cb cb, void *arg);
struct store_group_row {
    const char *id;
    const char *name;
    const char *description;  /* may be NULL */
    int64_t created_ms;
    int64_t updated_ms;
};
typedef int (*store_group_cb)(const struct store_group_row *row, void *arg);
int store_group_put(struct store *s, const struct store_group_row *r);
int store_group_delete(struct store *s, const char *id);
int store_list_groups(struct store *s, store_group_cb cb, void *arg);

/* Links of PagerDuty / Opsgenie incidents to Pharos incidents and the
 * event ids seen recently (store_hooks.c, migrations/0010). */
struct store_hook_link {
    char incident_id[13];     /* INC_ID_LEN + 1; "" for a tombstone */
    char url[520];            /* the tool's page; audit only */
    int state;                /* enum hook_link_state */
    unsigned flags;           /* HOOK_FLAG_* */
};
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
struct store_audit_row {
    int64_t id;
    int64_t at_ms;
    const char *actor;
    const char *action;
    const char *target;
    const char *detail;
    int status;
};
typedef int (*store_audit_cb)(const struct store_audit_row *row, void *arg);
/* Newest first, at most limit rows with id < before_id (0 = no bound). */
int store_audit_list(struct store *s, int64_t before_id, size_t limit,
                     store_audit_cb cb, void *arg);

/* ---- Subscribers and the notification outbox (store_notify.c) ---- */

#define STORE_SUB_ID_MAX 16
#define STORE_SUB_COMPONENTS_MAX 4096
#define STORE_SUB_SECRET_MAX 96
#define STORE_SUB_ADDRESS_MAX 2048

struct store_subscriber {
    char id[STORE_SUB_ID_MAX];
    char kind[12];                 /* email | webhook | slack */
    char address[STORE_SUB_ADDRESS_MAX + 1];
    char components[STORE_SUB_COMPONENTS_MAX]; /* space-separated; "" all */
    char secret[STORE_SUB_SECRET_MAX];         /* webhook only */
    char state[16];                /* pending|active|quarantined|unsubscribed */
    int64_t created_ms;
    int64_t updated_ms;
    int64_t confirmed_ms;
    uint32_t fails;                /* consecutive failed deliveries */
    int64_t failing_since_ms;
    char last_error[256];
};

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
typedef int (*store_sub_cb)(const struct store_subscriber *sub, void *arg);
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

struct store_outbox_new {
    const char *idem_key;          /* "<event id>:<subscriber id>" */
    const char *msg_id;
    const char *subscriber_id;
    const char *event;
    const char *coalesce_key;      /* NULL: never coalesced */
    const char *payload;
    int64_t now_ms;
    int64_t due_ms;
};
/*
 * Enqueues one message. With a coalesce_key, a message of the same key
 * for the same subscriber that was not tried yet and is still waiting
 * (due_ms > now_ms) gets the new payload and event instead (its due time
 * and message id stay). Returns 0 (inserted or coalesced), PH_EEXIST when
 * idem_key was enqueued before (nothing changes), or PH_EDB.
 */
int store_outbox_put(struct store *s, const struct store_outbox_new *m);

struct store_outbox_row {
    int64_t id;
    const char *msg_id;
    const char *event;
    const char *payload;
    uint32_t attempts;
    int64_t created_ms;
    const char *sub_id;
    const char *kind;
    const char *address;
    const char *secret;
};
typedef int (*store_outbox_cb)(const struct store_outbox_row *row,
                               void *arg);
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
