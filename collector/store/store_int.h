/*
 * store_int.h - what the sqlite backend's files share (store_sqlite.c
 * owns the connection and the transactions; store_incidents.c adds the
 * incident and audit tables, store_keys.c the keys, store_notify.c the
 * outbox, store_viewers.c the viewers, store_components.c the API's
 * components and groups, store_hooks.c the hook links, store_staff.c the
 * staff rows).
 * Nothing outside collector/store*.c includes this or sqlite3.h.
 */
#ifndef PH_STORE_INT_H
#define PH_STORE_INT_H

#include <sqlite3.h>

#include "store.h"
#include "store_sq.h"

sqlite3 *store_sqlite(struct store_sq *s);
/* Records sqlite's message for what in store_sq_errmsg(); returns PH_EDB. */
int store_db_error(struct store_sq *s, const char *what);
/* Prepares sql for one use (rare statements); NULL after recording the
 * error. The caller finalizes it. */
sqlite3_stmt *store_prepare(struct store_sq *s, const char *sql);
/* Runs sql (no result rows); 0 or PH_EDB with the message recorded. */
int store_exec(struct store_sq *s, const char *sql);
/* Runs sql, a command that must change a row, with key as ?1 and, when
 * it has a second parameter, now_ms as ?2: 0, PH_ENOENT when it changed
 * none, or PH_EDB with the message recorded for what. */
int store_change(struct store_sq *s, const char *sql, const char *key,
                 int64_t now_ms, const char *what);
/* Column i of the current row as text; "" for NULL. Borrowed until the
 * next step or reset of st. */
const char *store_col_text(sqlite3_stmt *st, int i);

/* store_latency.c: the rollups' accumulator of one connection. */
struct store_latency;
/* After a commit that stored it: counts result r (check number
 * check_no, from region) in the connection's accumulator (created on
 * first use); then store_latency_applied() with the rowid of the last
 * result row committed. Failures to allocate drop samples with a
 * rate-limited warning. */
void store_latency_note(struct store_sq *s, const char *region,
                        int64_t check_no, const struct check_result *r);
void store_latency_applied(struct store_sq *s, int64_t last_row);
/* Inside the caller's transaction: merges the accumulator into the
 * stored rows when STORE_LATENCY_FLUSH_MS passed since the last flush
 * (or force), in a savepoint (a failure keeps it for the next time).
 * store_latency_committed() then forgets it, or keeps it when the
 * commit failed. */
void store_latency_maybe_flush(struct store_sq *s, int64_t now_ms, int force);
void store_latency_committed(struct store_sq *s, int ok);
/* Adds the result rows stored after the last flush (a crash) to the
 * accumulator; the writer connection calls it once when it opens. */
int store_latency_replay(struct store_sq *s);
/* The connection's accumulator slot (store_sqlite.c owns it). */
struct store_latency **store_latency_slot(struct store_sq *s);
void store_latency_free(struct store_latency *acc);

/* store_file.c: the database as a file. */
enum { STORE_FILE_NEW = 1, STORE_FILE_EXISTS = 2 };
/* Before sqlite opens path: STORE_FILE_NEW when it does not exist (or is
 * empty and flags has STORE_OPEN_INIT_EMPTY), STORE_FILE_EXISTS when it
 * looks like a sqlite database, or a negative PH_E* with one line in
 * errbuf naming what is wrong and what to do. */
int store_file_precheck(const char *path, unsigned flags, char *errbuf,
                        size_t errlen);
/* PRAGMA quick_check; on damage a negative PH_E* and errbuf says so. */
int store_file_quick_check(struct store_sq *s, const char *path, char *errbuf,
                           size_t errlen);
/* Rewrites the acknowledgement record (agent, last seq) from the
 * database. Call only after a commit. */
int store_acked_write(struct store_sq *s, const char *acked_path);
/* Logs a warning when the database is behind the record (lost acked
 * batches). */
void store_acked_check(struct store_sq *s, const char *db_path,
                       const char *acked_path);

#endif
