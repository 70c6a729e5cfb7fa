/*
 * pg_insert_loop.c - the reference of the HA ingest bench (issue #14 item
 * 8): a bare libpq loop inserting the rows the collector's PostgreSQL
 * store writes for agent results, into the same server.
 *
 *   pg_insert_loop CONNINFO arrays|rows BATCHES BATCHSIZE CHECKS
 *
 * Creates (or recreates) the results tables of migrations_pg/0007 in the
 * database CONNINFO names (use a database of its own: it drops
 * check_nos, result_batches and result_rows there), then per batch, one
 * transaction: the batch row (INSERT ... RETURNING id), BATCHSIZE result
 * rows, the batch's last_row, COMMIT. The password comes from PGPASSWORD
 * or a passfile, as for any libpq program.
 *   arrays  the rows as one INSERT of unnest(arrays), the statement shape
 *           the store sends (integer check numbers here: no join);
 *   rows    one prepared single-row INSERT per result, all of a batch's
 *           sent in libpq's pipeline mode (one round trip per batch).
 * The rows are those bench/ingest_bench.c sends: check p<k> cycling over
 * CHECKS checks, outcome up, latency 12 ms, status 200, no error. No HTTP,
 * no protobuf, no dedupe gate, no savepoints: a ceiling. Prints rows/s.
 *
 * Bench code, not product code: it may include what it needs.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "buf.h"

#define ARRAY_MAX (64u * 1024 * 1024)

enum { C_IDX, C_CHECK, C_STARTED, C_OUTCOME, C_LATENCY, C_DNS, C_CONNECT,
       C_TLS, C_FIRST_BYTE, C_TOTAL, C_STATUS, C_CERT, C_ERROR, C_COUNT };

static const char setup_sql[] =
    "SET client_min_messages = warning;"
    "DROP TABLE IF EXISTS result_rows, result_batches, check_nos;"
    "CREATE TABLE check_nos (no BIGSERIAL PRIMARY KEY,"
    " check_id TEXT NOT NULL UNIQUE);"
    "CREATE TABLE result_batches (id BIGSERIAL PRIMARY KEY,"
    " agent_no BIGINT NOT NULL, region TEXT NOT NULL, seq BIGINT NOT NULL,"
    " received_ms BIGINT NOT NULL, last_row BIGINT NOT NULL);"
    "CREATE INDEX result_batches_received ON result_batches (received_ms);"
    "CREATE TABLE result_rows (id BIGSERIAL PRIMARY KEY,"
    " batch_id BIGINT NOT NULL, idx BIGINT NOT NULL,"
    " check_no BIGINT NOT NULL, started_at_ms BIGINT NOT NULL,"
    " outcome BIGINT NOT NULL, latency_ms BIGINT NOT NULL,"
    " dns_us BIGINT NOT NULL, connect_us BIGINT NOT NULL,"
    " tls_us BIGINT NOT NULL, first_byte_us BIGINT NOT NULL,"
    " total_us BIGINT NOT NULL, status_code BIGINT NOT NULL,"
    " cert_not_after BIGINT NOT NULL, error TEXT NOT NULL);";

static const char batch_sql[] =
    "INSERT INTO result_batches (agent_no, region, seq, received_ms,"
    " last_row) VALUES (1, 'r1', $1::bigint, $2::bigint, 0) RETURNING id";

static const char arrays_sql[] =
    "WITH ins AS (INSERT INTO result_rows (batch_id, idx, check_no,"
    " started_at_ms, outcome, latency_ms, dns_us, connect_us, tls_us,"
    " first_byte_us, total_us, status_code, cert_not_after, error)"
    " SELECT $1::bigint, r.* FROM unnest($2::bigint[], $3::bigint[],"
    " $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[],"
    " $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[],"
    " $13::bigint[], $14::text[]) AS r(idx, check_no, started, outcome,"
    " latency, dns, conn, tls, fb, total, status, cert, error)"
    " ORDER BY r.idx RETURNING id)"
    " UPDATE result_batches SET last_row = (SELECT max(id) FROM ins)"
    " WHERE id = $1::bigint";

static const char row_sql[] =
    "INSERT INTO result_rows (batch_id, idx, check_no, started_at_ms,"
    " outcome, latency_ms, dns_us, connect_us, tls_us, first_byte_us,"
    " total_us, status_code, cert_not_after, error) VALUES ($1::bigint,"
    " $2::bigint, $3::bigint, $4::bigint, $5::bigint, $6::bigint,"
    " $7::bigint, $8::bigint, $9::bigint, $10::bigint, $11::bigint,"
    " $12::bigint, $13::bigint, $14)";

static const char last_sql[] =
    "UPDATE result_batches SET last_row ="
    " currval(pg_get_serial_sequence('result_rows', 'id'))"
    " WHERE id = $1::bigint";

static int
num_arg(const char *s)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);

    if (end == s || *end != '\0' || v <= 0 || v > 100000000) {
        fprintf(stderr, "pg_insert_loop: bad number '%s'\n", s);
        exit(2);
    }
    return (int)v;
}

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t
wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One row's values, as bench/ingest_bench.c's fill() makes them; the
 * check number of p<k> is k + 1 (check_nos filled in order). */
static void
row_values(int64_t v[C_COUNT], int64_t base, uint64_t seq, size_t n,
           size_t i, int checks)
{
    memset(v, 0, sizeof(int64_t) * C_COUNT);
    v[C_IDX] = (int64_t)i;
    v[C_CHECK] = (int64_t)((seq * n + i) % (size_t)checks) + 1;
    v[C_STARTED] = base + (int64_t)(seq * n + i);
    v[C_OUTCOME] = 1;
    v[C_LATENCY] = 12;
    v[C_TOTAL] = 12000;
    v[C_STATUS] = 200;
}

/* Runs one statement that must succeed; prints the error otherwise. */
static int
must(PGresult *r, const char *what)
{
    ExecStatusType st = r != NULL ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ||
             st == PGRES_PIPELINE_SYNC;

    if (!ok) {
        fprintf(stderr, "pg_insert_loop: %s: %s", what,
                r != NULL ? PQresultErrorMessage(r) : "no result\n");
    }
    PQclear(r);
    return ok ? 0 : -1;
}

static int
batch_row(PGconn *db, uint64_t seq, int64_t *ret_id)
{
    char s_seq[24], s_now[24];
    const char *vals[2] = {s_seq, s_now};
    PGresult *r;

    snprintf(s_seq, sizeof(s_seq), "%" PRIu64, seq);
    snprintf(s_now, sizeof(s_now), "%" PRId64, wall_ms());
    r = PQexecPrepared(db, "batch", 2, vals, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        return must(r, "batch row");
    }
    *ret_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return 0;
}

static int
insert_arrays(PGconn *db, int64_t batch_id, int64_t base, uint64_t seq,
              size_t n, int checks)
{
    struct buf a[C_COUNT];
    const char *vals[1 + C_COUNT];
    char s_id[24];
    int result = -1;

    for (int c = 0; c < C_COUNT; c++) {
        buf_init(&a[c], ARRAY_MAX);
        if (buf_appends(&a[c], "{") != 0) {
            goto out;
        }
    }
    for (size_t i = 0; i < n; i++) {
        int64_t v[C_COUNT];

        row_values(v, base, seq, n, i, checks);
        for (int c = 0; c < C_COUNT; c++) {
            int rc = c == C_ERROR
                         ? buf_appends(&a[c], i ? ",\"\"" : "\"\"")
                         : buf_printf(&a[c], "%s%" PRId64, i ? "," : "",
                                      v[c]);
            if (rc != 0) {
                goto out;
            }
        }
    }
    snprintf(s_id, sizeof(s_id), "%" PRId64, batch_id);
    vals[0] = s_id;
    for (int c = 0; c < C_COUNT; c++) {
        if (buf_appends(&a[c], "}") != 0) {
            goto out;
        }
        vals[1 + c] = a[c].data;
    }
    result = must(PQexecPrepared(db, "arrays", 1 + C_COUNT, vals, NULL, NULL,
                                 0), "insert arrays");
out:
    for (int c = 0; c < C_COUNT; c++) {
        buf_free(&a[c]);
    }
    return result;
}

/* The batch's rows, last_row and COMMIT in one pipeline, then the sync. */
static int
insert_rows(PGconn *db, int64_t batch_id, int64_t base, uint64_t seq,
            size_t n, int checks)
{
    char s[C_COUNT + 1][24];
    const char *vals[C_COUNT + 1];
    int result = 0, syncs = 0;

    if (PQenterPipelineMode(db) != 1) {
        fprintf(stderr, "pg_insert_loop: pipeline: %s", PQerrorMessage(db));
        return -1;
    }
    snprintf(s[0], sizeof(s[0]), "%" PRId64, batch_id);
    for (int c = 0; c <= C_COUNT; c++) {
        vals[c] = s[c];
    }
    for (size_t i = 0; i < n && result == 0; i++) {
        int64_t v[C_COUNT];

        row_values(v, base, seq, n, i, checks);
        for (int c = 0; c < C_COUNT; c++) {
            snprintf(s[1 + c], sizeof(s[1 + c]), "%" PRId64, v[c]);
        }
        s[1 + C_ERROR][0] = '\0';
        if (PQsendQueryPrepared(db, "row", 1 + C_COUNT, vals, NULL, NULL,
                                0) != 1) {
            result = -1;
        }
    }
    if (result == 0 &&
        (PQsendQueryPrepared(db, "last", 1, vals, NULL, NULL, 0) != 1 ||
         PQsendQueryParams(db, "COMMIT", 0, NULL, NULL, NULL, NULL, 0) != 1 ||
         PQpipelineSync(db) != 1)) {
        result = -1;
    }
    if (result != 0) {
        fprintf(stderr, "pg_insert_loop: send: %s", PQerrorMessage(db));
        PQexitPipelineMode(db);
        return -1;
    }
    /* n rows + last + COMMIT, each followed by a NULL, then the sync. */
    while (syncs == 0) {
        PGresult *r = PQgetResult(db);

        if (r == NULL) {
            if (PQstatus(db) != CONNECTION_OK) {
                fprintf(stderr, "pg_insert_loop: connection lost: %s",
                        PQerrorMessage(db));
                result = -1;
                break;
            }
            continue;
        }
        if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
            syncs = 1;
        } else if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            result = -1;
        }
        if (must(r, "pipelined insert") != 0) {
            result = -1;
        }
    }
    if (PQexitPipelineMode(db) != 1) {
        fprintf(stderr, "pg_insert_loop: exit pipeline: %s",
                PQerrorMessage(db));
        result = -1;
    }
    return result;
}

int
main(int argc, char **argv)
{
    PGconn *db = NULL;
    int batches, checks, arrays, result = 1;
    size_t bs;
    int64_t base;
    char fill_sql[160];
    double t0, dt;

    if (argc != 6 || (strcmp(argv[2], "arrays") != 0 &&
                      strcmp(argv[2], "rows") != 0)) {
        fprintf(stderr, "usage: pg_insert_loop CONNINFO arrays|rows BATCHES "
                        "BATCHSIZE CHECKS\n");
        return 2;
    }
    arrays = strcmp(argv[2], "arrays") == 0;
    batches = num_arg(argv[3]);
    bs = (size_t)num_arg(argv[4]);
    checks = num_arg(argv[5]);
    db = PQconnectdb(argv[1]);
    if (PQstatus(db) != CONNECTION_OK) {
        fprintf(stderr, "pg_insert_loop: connect: %s", PQerrorMessage(db));
        goto out;
    }
    snprintf(fill_sql, sizeof(fill_sql),
             "INSERT INTO check_nos (check_id) SELECT 'p' || g FROM "
             "generate_series(0, %d) AS g ORDER BY g", checks - 1);
    if (must(PQexec(db, setup_sql), "create tables") != 0 ||
        must(PQexec(db, fill_sql), "check numbers") != 0 ||
        must(PQprepare(db, "batch", batch_sql, 0, NULL), "prepare") != 0 ||
        must(PQprepare(db, "arrays", arrays_sql, 0, NULL), "prepare") != 0 ||
        must(PQprepare(db, "row", row_sql, 0, NULL), "prepare") != 0 ||
        must(PQprepare(db, "last", last_sql, 0, NULL), "prepare") != 0) {
        goto out;
    }
    /* Dated from an hour ago on, as ingest_bench's rows. */
    base = wall_ms() - 3600000;
    t0 = now_s();
    for (int b = 1; b <= batches; b++) {
        int64_t id = 0;

        if (must(PQexec(db, "BEGIN"), "begin") != 0 ||
            batch_row(db, (uint64_t)b, &id) != 0) {
            goto out;
        }
        if (arrays) {
            if (insert_arrays(db, id, base, (uint64_t)b, bs, checks) != 0 ||
                must(PQexec(db, "COMMIT"), "commit") != 0) {
                goto out;
            }
        } else if (insert_rows(db, id, base, (uint64_t)b, bs, checks) != 0) {
            goto out;
        }
    }
    dt = now_s() - t0;
    printf("bare libpq insert loop (%s): %d x %zu rows in %.2f s = %.0f "
           "rows/s\n", arrays ? "one INSERT of arrays per batch"
                              : "pipelined row INSERTs",
           batches, bs, dt, (double)batches * (double)bs / dt);
    result = 0;
out:
    PQfinish(db);
    return result;
}
