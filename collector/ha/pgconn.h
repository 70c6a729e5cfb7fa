/*
 * pgconn.h - one PostgreSQL connection on the collector's libuv loop,
 * never blocking it.
 *
 * libpq's asynchronous API (PQconnectStart/PQconnectPoll, PQsendQueryParams,
 * PQconsumeInput, PQisBusy, PQgetResult) with the connection's socket
 * watched by a uv_poll handle. Queries are queued and run one at a time,
 * in order; each completes through its callback on the loop. The
 * connection reconnects by itself with backoff (250 ms doubling to 5 s)
 * when the server goes away, and every query that was queued or running
 * then fails with an error (callers decide whether to retry). A query
 * that does not finish within the query timeout counts as a lost server:
 * the connection is dropped and re-made, so a blackholed database is
 * noticed in seconds, not at the TCP timeout. LISTEN notifications are
 * delivered to on_notify.
 *
 * libpq is confined to pgconn.c. Host names in the conninfo are resolved
 * by libpq synchronously: give `hostaddr=` (or an IP in the URI) to keep
 * even the connect step off the loop's critical path.
 *
 * Loop thread only.
 */
#ifndef PH_PGCONN_H
#define PH_PGCONN_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

struct pgconn;
struct pgconn_result;

#define PGCONN_QUEUE_MAX 4096       /* queued queries, running one included */
#define PGCONN_PARAMS_MAX 16

struct pgconn_cbs {
    /* Connected (first time or again); LISTEN again from here. */
    void (*on_up)(void *arg);
    /* Connection lost or a connect attempt failed (why: one line). */
    void (*on_down)(const char *why, void *arg);
    void (*on_notify)(const char *channel, const char *payload, void *arg);
    void *arg;
};

/*
 * A query's completion. r is never NULL; check pgconn_result_ok() first.
 * r is valid for the call only.
 */
typedef void (*pgconn_query_cb)(const struct pgconn_result *r, void *arg);

/*
 * Starts connecting to conninfo (a libpq URI or key=value string,
 * copied). query_timeout_ms 0 means 5000. Returns 0 and the connection
 * in *ret, PH_EINVAL for a conninfo libpq cannot parse (errbuf says
 * why), PH_ENOMEM.
 */
int pgconn_new(uv_loop_t *loop, const char *conninfo,
               uint32_t query_timeout_ms, const struct pgconn_cbs *cbs,
               char *errbuf, size_t errlen, struct pgconn **ret);

/*
 * Queues a query with nparams text parameters (values[i] NULL means SQL
 * NULL; lengths may be NULL for NUL-terminated text; binary[i] non-zero
 * sends values[i] as binary of lengths[i] bytes). binary_result asks for
 * results in binary format. Parameters are copied. cb may be NULL.
 * Returns 0, PH_EBUSY when the queue is full, PH_ENET while the
 * connection is down (nothing is queued then), PH_EINVAL, PH_ENOMEM.
 */
int pgconn_query(struct pgconn *c, const char *sql, int nparams,
                 const char *const *values, const int *lengths,
                 const int *binary, int binary_result, pgconn_query_cb cb,
                 void *arg);

/* Connected and usable now. */
int pgconn_is_up(const struct pgconn *c);
/* Queries queued or running. */
size_t pgconn_pending(const struct pgconn *c);

/*
 * Fails every queued query, disconnects and frees c once libuv has let
 * go of its handles (the loop must run). Accepts NULL.
 */
void pgconn_close(struct pgconn *c);

/* ---- results ---- */

/* Non-zero when the query succeeded (a command or rows). */
int pgconn_result_ok(const struct pgconn_result *r);
/* The error in one line ("" when ok). */
const char *pgconn_result_error(const struct pgconn_result *r);
/* The SQLSTATE of an error ("" when none): "40001", "23505", ... */
const char *pgconn_result_sqlstate(const struct pgconn_result *r);
int pgconn_ntuples(const struct pgconn_result *r);
/* Affected rows of an INSERT/UPDATE/DELETE (0 when none). */
int64_t pgconn_cmd_tuples(const struct pgconn_result *r);
int pgconn_isnull(const struct pgconn_result *r, int row, int col);
/* The value's bytes (text or binary as asked), its length in *len. */
const char *pgconn_value(const struct pgconn_result *r, int row, int col,
                         size_t *len);
/* A bigint column of a binary result (network order); 0 when NULL or
 * not 8 bytes. */
int64_t pgconn_int8(const struct pgconn_result *r, int row, int col);

/*
 * conninfo (a URI or key=value string) as a key=value string with
 * password added (it replaces one already there): for the lease and the
 * shared documents when they use the store's database and its
 * store_password_file. Returns 0 and a new string in *ret (ph_free it;
 * it holds the password: never log it), PH_EINVAL for a conninfo libpq
 * cannot parse, PH_ENOMEM.
 */
int pgconn_conninfo_with_password(const char *conninfo, const char *password,
                                  char **ret);

#endif
