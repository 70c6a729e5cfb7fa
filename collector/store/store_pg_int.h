/*
 * store_pg_int.h - what the PostgreSQL backend's files share (store_pg.c
 * owns the connection, reconnection, migrations and transactions;
 * store_pg_incidents.c, store_pg_notify.c, store_pg_access.c,
 * store_pg_hooks.c and store_pg_latency.c add their tables). Only
 * store_pg*.c include this or libpq-fe.h.
 */
#ifndef PH_STORE_PG_INT_H
#define PH_STORE_PG_INT_H

#include <stdint.h>

#include <libpq-fe.h>

struct complain;

#include "store_pg.h"

/* Parameters of one statement, all sent as text (PostgreSQL casts them
 * to the column types). */
#define PGQ_MAX 24
struct pgq {
    int n;
    const char *v[PGQ_MAX];     /* borrowed, or into num[]; NULL = NULL */
    char num[PGQ_MAX][24];
};

void pgq_init(struct pgq *q);
/* Adds a text parameter (borrowed until the statement ran); NULL adds
 * SQL NULL. */
void pgq_text(struct pgq *q, const char *s);
void pgq_i64(struct pgq *q, int64_t v);

/*
 * Runs sql with q's parameters (q may be NULL) and returns the result in
 * *ret (new: PQclear it) when ret is not NULL. Returns 0, PH_EEXIST on a
 * unique violation, PH_EDB on any other failure (what and the server's
 * message recorded for store_pg_errmsg()). A connection found broken
 * outside a transaction is reset first, at most once per backoff
 * interval, and the outage and the recovery are logged (rate-limited).
 */
int store_pg_run(struct store_pg *p, const char *sql, const struct pgq *q,
                 const char *what, PGresult **ret);
/* COPY ... FROM STDIN (store_pg_copy.c): started by sql, data sent, then
 * finished (failed: abandoned with an error). 0 or PH_EDB. */
int store_pg_copy_start(struct store_pg *p, const char *sql);
int store_pg_copy_send(struct store_pg *p, const char *data, size_t len);
int store_pg_copy_finish(struct store_pg *p, int failed);
/* store_pg_latency.c: the up and slow results of group's stored batches
 * merged into the response-time rollups, inside the caller's open
 * transaction (a savepoint of its own: a failure is logged and leaves
 * the transaction usable). 0 or the failure. */
int store_pg_latency_add_group(struct store_pg *p,
                               const struct store_batch *group);
/* The connection's rate limit of store_pg_latency.c's warnings. */
struct complain *store_pg_latency_complaint(struct store_pg *p);
/* Sets the message store_pg_errmsg() returns; returns PH_EDB. */
#define STORE_PG_ERRMSG_MAX 512
int store_pg_set_error(struct store_pg *p, const char *msg);
/* Rows the last command of r changed. */
int64_t store_pg_changes(PGresult *r);
/* store_pg_run() of a command that must change a row: 0, PH_ENOENT when
 * it changed none, or the failure. */
int store_pg_run_change(struct store_pg *p, const char *sql,
                        const struct pgq *q, const char *what);
/* Column c of row i as a number (0 for NULL) or text ("" for NULL;
 * borrowed until PQclear). */
int64_t store_pg_i64(PGresult *r, int i, int c);
const char *store_pg_text(PGresult *r, int i, int c);
/* Append s (quoted, escaped) or v to b as one element of an array
 * literal, with a leading comma unless first; the caller writes the
 * braces. Return 0 or PH_ENOMEM/PH_ETOOBIG. */
struct buf;
int store_pg_array_text(struct buf *b, int first, const char *s);
int store_pg_array_i64(struct buf *b, int first, int64_t v);

#endif
