/*
 * store_pg_results.c - agent result batches in PostgreSQL: the
 * exactly-once gate per (agent, seq), rows sent as arrays (one INSERT per
 * batch), group commits with a savepoint per batch, agents' liveness and
 * retention (migrations_pg/0007), as store_sqlite.c does in sqlite.
 *
 * Several collectors may share the database. A batch is stored only by
 * the transaction whose upsert of the agent's row moves last_seq
 * forward: that statement locks the row, so a second collector storing
 * the same batch waits for the first to commit, then sees seq <= last_seq
 * and stores nothing (PH_EEXIST; both ack).
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "ph_err.h"
#include "store_pg_int.h"

/* Cap of the text arrays one batch insert sends. */
#define BATCH_ARRAYS_MAX (64u * 1024 * 1024)

int
store_pg_agent_last_seq(struct store_pg *p, const char *agent_id,
                        uint64_t *ret_seq)
{
    struct pgq q;
    PGresult *r;
    int result;

    pgq_init(&q);
    pgq_text(&q, agent_id);
    result = store_pg_run(p, "SELECT last_seq FROM agents WHERE agent_id = $1",
                          &q, "agent seq", &r);
    if (result != 0) {
        return result;
    }
    *ret_seq = PQntuples(r) > 0 ? (uint64_t)store_pg_i64(r, 0, 0) : 0;
    PQclear(r);
    return 0;
}

/* Appends s to b as an element of a PostgreSQL array literal. */
static int
array_text(struct buf *b, int first, const char *s)
{
    if (buf_appends(b, first ? "\"" : ",\"") != 0) {
        return PH_ENOMEM;
    }
    while (*s != '\0') {
        size_t run = strcspn(s, "\"\\");

        if (buf_append(b, s, run) != 0) {
            return PH_ENOMEM;
        }
        s += run;
        if (*s != '\0') {
            char esc[2] = {'\\', *s++};

            if (buf_append(b, esc, 2) != 0) {
                return PH_ENOMEM;
            }
        }
    }
    return buf_appends(b, "\"");
}

/* Appends v to b as an element of an array literal. By hand, not with
 * buf_printf: formatting eleven numbers per result through vfprintf was
 * about half of the leader's CPU time under ingest (bench/ha_bench.py
 * ingest --perf, docs/benchmarks.md "High availability"). */
static int
array_i64(struct buf *b, int first, int64_t v)
{
    char tmp[24];
    char *p = tmp + sizeof(tmp);
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

    do {
        *--p = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u != 0);
    if (v < 0) {
        *--p = '-';
    }
    if (!first) {
        *--p = ',';
    }
    return buf_append(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

enum { A_IDX, A_CHECK, A_STARTED, A_OUTCOME, A_LATENCY, A_DNS, A_CONNECT,
       A_TLS, A_FIRST_BYTE, A_TOTAL, A_STATUS, A_CERT, A_ERROR, A_COUNT };

/* The rows of a batch as one array literal per column. */
static int
build_arrays(const struct check_result *results, size_t n, struct buf *a)
{
    for (int c = 0; c < A_COUNT; c++) {
        if (buf_appends(&a[c], "{") != 0) {
            return PH_ENOMEM;
        }
    }
    for (size_t i = 0; i < n; i++) {
        const struct check_result *r = &results[i];
        int64_t nums[A_COUNT] = {
            [A_IDX] = (int64_t)i,
            [A_STARTED] = r->started_at_ms,
            [A_OUTCOME] = (int64_t)r->outcome,
            [A_LATENCY] = r->latency_ms,
            [A_DNS] = (int64_t)r->timing.dns_us,
            [A_CONNECT] = (int64_t)r->timing.connect_us,
            [A_TLS] = (int64_t)r->timing.tls_us,
            [A_FIRST_BYTE] = (int64_t)r->timing.first_byte_us,
            [A_TOTAL] = (int64_t)r->timing.total_us,
            [A_STATUS] = r->status_code,
            [A_CERT] = r->cert_not_after,
        };

        for (int c = 0; c < A_COUNT; c++) {
            int rc;

            if (c == A_CHECK) {
                rc = array_text(&a[c], i == 0, r->check_id);
            } else if (c == A_ERROR) {
                rc = array_text(&a[c], i == 0, r->error);
            } else {
                rc = array_i64(&a[c], i == 0, nums[c]);
            }
            if (rc != 0) {
                return PH_ENOMEM;
            }
        }
    }
    for (int c = 0; c < A_COUNT; c++) {
        if (buf_appends(&a[c], "}") != 0) {
            return PH_ENOMEM;
        }
    }
    return 0;
}

/* The rows of a batch: check numbers added, rows appended in idx order,
 * the batch's last row recorded. */
static int
insert_rows(struct store_pg *p, int64_t batch_id,
            const struct check_result *results, size_t n)
{
    struct buf a[A_COUNT];
    struct pgq q;
    int result;

    for (int c = 0; c < A_COUNT; c++) {
        buf_init(&a[c], BATCH_ARRAYS_MAX);
    }
    result = build_arrays(results, n, a);
    if (result != 0) {
        store_pg_set_error(p, "batch too large");
        goto out;
    }
    pgq_init(&q);
    pgq_text(&q, a[A_CHECK].data);
    result = store_pg_run(p,
        "INSERT INTO check_nos (check_id) SELECT DISTINCT unnest($1::text[]) "
        "ON CONFLICT (check_id) DO NOTHING", &q, "check numbers", NULL);
    if (result != 0) {
        goto out;
    }
    pgq_init(&q);
    pgq_i64(&q, batch_id);
    for (int c = 0; c < A_COUNT; c++) {
        pgq_text(&q, a[c].data);
    }
    result = store_pg_run(p,
        "WITH ins AS (INSERT INTO result_rows (batch_id, idx, check_no, "
        "started_at_ms, outcome, latency_ms, dns_us, connect_us, tls_us, "
        "first_byte_us, total_us, status_code, cert_not_after, error) "
        "SELECT $1, r.idx, c.no, r.started, r.outcome, r.latency, r.dns, "
        "r.conn, r.tls, r.fb, r.total, r.status, r.cert, r.error FROM "
        "unnest($2::bigint[], $3::text[], $4::bigint[], $5::bigint[], "
        "$6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[], "
        "$10::bigint[], $11::bigint[], $12::bigint[], $13::bigint[], "
        "$14::text[]) AS r(idx, check_id, started, outcome, latency, dns, "
        "conn, tls, fb, total, status, cert, error) JOIN check_nos c ON "
        "c.check_id = r.check_id ORDER BY r.idx RETURNING id) "
        "UPDATE result_batches SET last_row = (SELECT max(id) FROM ins) "
        "WHERE id = $1", &q, "insert results", NULL);
out:
    for (int c = 0; c < A_COUNT; c++) {
        buf_free(&a[c]);
    }
    return result;
}

/* One batch inside the caller's transaction: PH_EEXIST for a seq at or
 * below the agent's last (nothing written), PH_EDB with the error. */
static int
insert_one(struct store_pg *p, const char *agent_id, const char *region,
           uint64_t seq, const struct check_result *results, size_t n,
           int64_t now_ms)
{
    struct pgq q;
    PGresult *r;
    int64_t batch_id;
    int result, moved;

    /* The exactly-once gate: moves last_seq forward, or changes nothing
     * when another transaction (this collector's or another's) stored
     * this seq already; the row lock orders racing collectors. */
    pgq_init(&q);
    pgq_text(&q, agent_id);
    pgq_text(&q, region);
    pgq_i64(&q, (int64_t)seq);
    pgq_i64(&q, (int64_t)n);
    pgq_i64(&q, now_ms);
    result = store_pg_run(p,
        "INSERT INTO agents (agent_id, region, last_seq, results, "
        "last_contact_ms) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (agent_id) "
        "DO UPDATE SET region = excluded.region, last_seq = "
        "excluded.last_seq, results = agents.results + excluded.results, "
        "last_contact_ms = excluded.last_contact_ms WHERE agents.last_seq < "
        "excluded.last_seq RETURNING 1", &q, "agent seq update", &r);
    if (result != 0) {
        return result;
    }
    moved = PQntuples(r) > 0;
    PQclear(r);
    if (!moved) {
        return PH_EEXIST;
    }
    pgq_init(&q);
    pgq_text(&q, agent_id);
    result = store_pg_run(p,
        "INSERT INTO agent_nos (agent_id) VALUES ($1) ON CONFLICT "
        "(agent_id) DO NOTHING", &q, "agent number", NULL);
    if (result != 0) {
        return result;
    }
    pgq_init(&q);
    pgq_text(&q, agent_id);
    pgq_text(&q, region);
    pgq_i64(&q, (int64_t)seq);
    pgq_i64(&q, now_ms);
    result = store_pg_run(p,
        "INSERT INTO result_batches (agent_no, region, seq, received_ms, "
        "last_row) SELECT no, $2, $3, $4, 0 FROM agent_nos WHERE agent_id = "
        "$1 RETURNING id", &q, "batch add", &r);
    if (result != 0) {
        return result;
    }
    if (PQntuples(r) != 1) {
        PQclear(r);
        return store_pg_set_error(p, "batch add: no agent number");
    }
    batch_id = store_pg_i64(r, 0, 0);
    PQclear(r);
    return n > 0 ? insert_rows(p, batch_id, results, n) : 0;
}

void
store_pg_note_acked(struct store_pg *p, int64_t now_ms)
{
    /* The acknowledgement record is a file beside a sqlite database; a
     * PostgreSQL server keeps its commits (synchronous_commit). */
    (void)p;
    (void)now_ms;
}

int
store_pg_insert_batch(struct store_pg *p, const char *agent_id,
                      const char *region, uint64_t seq,
                      const struct check_result *results, size_t n,
                      int64_t now_ms)
{
    int result;

    if (store_pg_tx_begin(p) != 0) {
        return PH_EDB;
    }
    result = insert_one(p, agent_id, region, seq, results, n, now_ms);
    if (result != 0) {
        store_pg_tx_rollback(p);
        return result;
    }
    {
        /* The response-time rollups, as a group of one. */
        struct store_batch one;

        memset(&one, 0, sizeof(one));
        snprintf(one.region, sizeof(one.region), "%s", region);
        one.results = (struct check_result *)(uintptr_t)results;
        one.n = n;
        (void)store_pg_latency_add_group(p, &one);
    }
    return store_pg_tx_commit(p) == 0 ? 0 : PH_EDB;
}

int
store_pg_insert_group(struct store_pg *p, struct store_batch *group)
{
    struct store_batch *b;
    char first_err[STORE_PG_ERRMSG_MAX] = "";

    if (store_pg_tx_begin(p) != 0) {
        for (b = group; b != NULL; b = b->next) {
            b->result = PH_EDB;
        }
        return PH_EDB;
    }
    for (b = group; b != NULL; b = b->next) {
        if (store_pg_run(p, "SAVEPOINT batch", NULL, "savepoint", NULL) != 0) {
            b->result = PH_EDB;
            continue;
        }
        b->result = insert_one(p, b->agent_id, b->region, b->seq,
                               b->results, b->n, b->now_ms);
        if (b->result != 0) {
            if (b->result != PH_EEXIST && first_err[0] == '\0') {
                snprintf(first_err, sizeof(first_err), "%s", store_pg_errmsg(p));
            }
            store_pg_run(p, "ROLLBACK TO SAVEPOINT batch", NULL,
                         "rollback to savepoint", NULL);
        }
        store_pg_run(p, "RELEASE SAVEPOINT batch", NULL, "release savepoint",
                     NULL);
        if (b->result == 0 || b->result == PH_EEXIST) {
            store_pg_agent_touch(p, b->agent_id, b->region, b->version,
                                 b->plan_version, b->backlog, b->now_ms);
        }
    }
    /* The rollups commit with the results (a failure leaves them out,
     * logged, and commits the results). */
    (void)store_pg_latency_add_group(p, group);
    if (store_pg_tx_commit(p) != 0) {
        if (first_err[0] == '\0') {
            snprintf(first_err, sizeof(first_err), "%s", store_pg_errmsg(p));
        }
        for (b = group; b != NULL; b = b->next) {
            b->result = PH_EDB;
        }
        store_pg_set_error(p, first_err);
        return PH_EDB;
    }
    return 0;
}

int
store_pg_agent_touch(struct store_pg *p, const char *agent_id,
                     const char *region, const char *version,
                     uint64_t plan_version, uint64_t backlog, int64_t now_ms)
{
    struct pgq q;

    pgq_init(&q);
    pgq_text(&q, agent_id);
    pgq_text(&q, region);
    pgq_text(&q, version);
    pgq_i64(&q, (int64_t)plan_version);
    pgq_i64(&q, (int64_t)backlog);
    pgq_i64(&q, now_ms);
    return store_pg_run(p,
        "INSERT INTO agents (agent_id, region, version, plan_version, "
        "backlog, last_contact_ms) VALUES ($1, $2, $3, $4, $5, $6) "
        "ON CONFLICT (agent_id) DO UPDATE SET region = excluded.region, "
        "version = excluded.version, plan_version = excluded.plan_version, "
        "backlog = excluded.backlog, last_contact_ms = "
        "greatest(agents.last_contact_ms, excluded.last_contact_ms)",
        &q, "agent touch", NULL);
}

int
store_pg_list_agents(struct store_pg *p, store_agent_cb cb, void *arg)
{
    PGresult *r;
    int result = store_pg_run(p,
        "SELECT agent_id, region, version, last_seq, plan_version, backlog, "
        "last_contact_ms, results FROM agents ORDER BY agent_id", NULL,
        "list agents", &r);

    for (int i = 0; result == 0 && i < PQntuples(r); i++) {
        struct store_agent_row row = {
            .agent_id = store_pg_text(r, i, 0),
            .region = store_pg_text(r, i, 1),
            .version = store_pg_text(r, i, 2),
            .last_seq = (uint64_t)store_pg_i64(r, i, 3),
            .plan_version = (uint64_t)store_pg_i64(r, i, 4),
            .backlog = (uint64_t)store_pg_i64(r, i, 5),
            .last_contact_ms = store_pg_i64(r, i, 6),
            .results = store_pg_i64(r, i, 7),
        };
        result = cb(&row, arg);
    }
    PQclear(r);
    return result;
}

int
store_pg_prune_results(struct store_pg *p, int64_t before_ms,
                       int64_t *ret_deleted)
{
    struct pgq q;
    PGresult *r;
    int64_t total = 0, cut, changes;
    int result;

    pgq_init(&q);
    pgq_i64(&q, before_ms);
    result = store_pg_run(p,
        "SELECT coalesce(max(last_row), 0) FROM result_batches WHERE "
        "received_ms < $1", &q, "prune cut", &r);
    if (result != 0) {
        return result;
    }
    cut = store_pg_i64(r, 0, 0);
    PQclear(r);
    while (cut > 0) {
        pgq_init(&q);
        pgq_i64(&q, cut);
        result = store_pg_run(p,
            "DELETE FROM result_rows WHERE id IN (SELECT id FROM result_rows "
            "WHERE id <= $1 LIMIT 10000)", &q, "prune", &r);
        if (result != 0) {
            return result;
        }
        changes = store_pg_changes(r);
        PQclear(r);
        total += changes;
        if (changes == 0) {
            break;
        }
    }
    if (cut > 0) {
        pgq_init(&q);
        pgq_i64(&q, cut);
        pgq_i64(&q, before_ms);
        result = store_pg_run(p,
            "DELETE FROM result_batches WHERE last_row <= $1 AND "
            "received_ms < $2", &q, "prune batches", NULL);
        if (result != 0) {
            return result;
        }
    }
    if (ret_deleted != NULL) {
        *ret_deleted = total;
    }
    return 0;
}

