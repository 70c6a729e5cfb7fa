/*
 * store_pg_latency.c - response-time rollups in PostgreSQL (store.h,
 * migrations_pg/0012), as store_latency.c keeps them in sqlite.
 *
 * sqlite counts results in memory and merges them every 10 s; here the
 * merge runs inside the group commit that stores the results (on the
 * writer thread), so the rollups commit with the results or not at all:
 * nothing to replay after a crash, and several collectors writing the
 * same bucket merge rather than overwrite. For each (check, region,
 * period, bucket) a group touches, an upsert that changes nothing locks
 * the row and returns its stored sketch; the sketch plus the group's
 * samples is written back with its percentiles. Keys are visited in
 * sorted order, so two collectors lock rows in the same order (no
 * deadlock). A failure rolls back to a savepoint: the results still
 * commit, the rollups miss that group's samples (logged).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "complain.h"
#include "latency.h"
#include "log.h"
#include "mem.h"
#include "ph_err.h"
#include "store_pg_int.h"
#include "timefmt.h"

/* Samples one group commit counts at most (the rest are left out of
 * the rollups, logged). */
#define LAT_SAMPLES_MAX (1u << 20)

static const int periods[2] = {LAT_PERIOD_FINE, LAT_PERIOD_HOURLY};

struct sample {
    const char *check_id; /* borrowed from the group */
    const char *region;
    int period_s;
    int64_t bucket_ms;
    int64_t latency_ms;
};

static int
cmp_sample(const void *a, const void *b)
{
    const struct sample *x = a, *y = b;
    int c = strcmp(x->check_id, y->check_id);

    if (c == 0) {
        c = strcmp(x->region, y->region);
    }
    if (c == 0) {
        c = (x->period_s > y->period_s) - (x->period_s < y->period_s);
    }
    if (c == 0) {
        c = (x->bucket_ms > y->bucket_ms) - (x->bucket_ms < y->bucket_ms);
    }
    return c;
}

static int
same_key(const struct sample *x, const struct sample *y)
{
    return x->period_s == y->period_s && x->bucket_ms == y->bucket_ms &&
           strcmp(x->check_id, y->check_id) == 0 &&
           strcmp(x->region, y->region) == 0;
}

/* The stored sketch of r's row 0 column 0 (bytea, text form) into sk;
 * an empty or sealed (NULL) one leaves sk empty. */
static int
stored_sketch(PGresult *r, struct lat_sketch *sk)
{
    unsigned char *blob;
    size_t len = 0;
    int rc;

    if (PQntuples(r) != 1 || PQgetisnull(r, 0, 0)) {
        return 0;
    }
    blob = PQunescapeBytea((const unsigned char *)PQgetvalue(r, 0, 0), &len);
    if (blob == NULL) {
        return PH_ENOMEM;
    }
    rc = len > 0 ? lat_sketch_decode(sk, blob, len) : 0;
    PQfreemem(blob);
    return rc;
}

/* Merges the samples v[0..n) (one key) into their row. */
static int
merge_key(struct store_pg *p, const struct sample *v, size_t n)
{
    struct lat_sketch sk = {0}, add = {0};
    uint8_t blob[8 + LAT_BLOB_MAX];
    char hex[2 * sizeof(blob) + 3];
    struct pgq q;
    PGresult *r = NULL;
    size_t len;
    int result;

    for (size_t i = 0; i < n; i++) {
        if (lat_sketch_add(&add, v[i].latency_ms) != 0) {
            result = PH_ENOMEM;
            goto out;
        }
    }
    pgq_init(&q);
    pgq_text(&q, v[0].check_id);
    pgq_text(&q, v[0].region);
    pgq_i64(&q, v[0].period_s);
    pgq_i64(&q, v[0].bucket_ms);
    result = store_pg_run(p,
        "INSERT INTO latency_rollups AS l (check_no, region, period_s, "
        "bucket_ms, n, p50_ms, p95_ms, max_ms, sketch) SELECT no, $2, $3, $4, "
        "0, 0, 0, 0, NULL FROM check_nos WHERE check_id = $1 ON CONFLICT "
        "(check_no, region, period_s, bucket_ms) DO UPDATE SET n = l.n "
        "RETURNING l.sketch, l.check_no", &q, "latency row", &r);
    if (result != 0) {
        goto out;
    }
    if (PQntuples(r) != 1) {
        result = store_pg_set_error(p, "latency row: no check number");
        goto out;
    }
    result = stored_sketch(r, &sk);
    if (result == PH_EINVAL) {
        /* A stored sketch this release cannot read: start again. */
        lat_sketch_free(&sk);
        result = 0;
    }
    if (result == 0) {
        result = lat_sketch_merge(&sk, &add);
    }
    if (result != 0) {
        goto out;
    }
    len = lat_sketch_encode(&sk, blob, sizeof(blob));
    memcpy(hex, "\\x", 2);
    for (size_t i = 0; i < len; i++) {
        snprintf(hex + 2 + 2 * i, 3, "%02x", blob[i]);
    }
    hex[2 + 2 * len] = '\0';
    pgq_init(&q);
    pgq_i64(&q, store_pg_i64(r, 0, 1));
    pgq_text(&q, v[0].region);
    pgq_i64(&q, v[0].period_s);
    pgq_i64(&q, v[0].bucket_ms);
    pgq_i64(&q, sk.n);
    pgq_i64(&q, lat_sketch_quantile(&sk, 0.5));
    pgq_i64(&q, lat_sketch_quantile(&sk, 0.95));
    pgq_i64(&q, sk.max_ms);
    pgq_text(&q, hex);
    result = store_pg_run(p,
        "UPDATE latency_rollups SET n = $5, p50_ms = $6, p95_ms = $7, "
        "max_ms = $8, sketch = $9::bytea WHERE check_no = $1 AND region = $2 "
        "AND period_s = $3 AND bucket_ms = $4", &q, "latency merge", NULL);
out:
    PQclear(r);
    lat_sketch_free(&sk);
    lat_sketch_free(&add);
    return result;
}

/* The up and slow results of the stored batches of group, two samples
 * each (five-minute and hourly bucket), sorted by key. */
static int
collect(const struct store_batch *group, struct sample **ret, size_t *ret_n)
{
    struct sample *v = NULL;
    size_t n = 0, cap = 0;

    for (const struct store_batch *b = group; b != NULL; b = b->next) {
        if (b->result != 0) {
            continue; /* failed, or a replay stored before */
        }
        for (size_t i = 0; i < b->n; i++) {
            const struct check_result *r = &b->results[i];

            if (r->outcome != OUTCOME_UP && r->outcome != OUTCOME_SLOW) {
                continue;
            }
            if (n + 2 > LAT_SAMPLES_MAX) {
                ph_free(v);
                return PH_ETOOBIG;
            }
            if (n + 2 > cap) {
                size_t c = cap == 0 ? 64 : cap * 2;
                struct sample *nv = ph_realloc(v, c * sizeof(*nv));

                if (nv == NULL) {
                    ph_free(v);
                    return PH_ENOMEM;
                }
                v = nv;
                cap = c;
            }
            for (int k = 0; k < 2; k++) {
                v[n].check_id = r->check_id;
                v[n].region = b->region;
                v[n].period_s = periods[k];
                v[n].bucket_ms = lat_bucket_start(r->started_at_ms,
                                                  periods[k]);
                v[n].latency_ms = r->latency_ms;
                n++;
            }
        }
    }
    if (n > 0) {
        qsort(v, n, sizeof(*v), cmp_sample);
    }
    *ret = v;
    *ret_n = n;
    return 0;
}

int
store_pg_latency_add_group(struct store_pg *p, const struct store_batch *group)
{
    struct complain *complaint = store_pg_latency_complaint(p);
    struct sample *v = NULL;
    size_t n = 0;
    int result;

    result = collect(group, &v, &n);
    if (result != 0 || n == 0) {
        goto out;
    }
    result = store_pg_run(p, "SAVEPOINT latency", NULL, "savepoint", NULL);
    for (size_t i = 0; result == 0 && i < n;) {
        size_t j = i + 1;

        while (j < n && same_key(&v[i], &v[j])) {
            j++;
        }
        result = merge_key(p, &v[i], j - i);
        i = j;
    }
    if (result != 0) {
        char keep[STORE_PG_ERRMSG_MAX];

        snprintf(keep, sizeof(keep), "%s", store_pg_errmsg(p));
        store_pg_run(p, "ROLLBACK TO SAVEPOINT latency", NULL,
                     "rollback to savepoint", NULL);
        store_pg_set_error(p, keep);
    }
    store_pg_run(p, "RELEASE SAVEPOINT latency", NULL, "release savepoint",
                 NULL);
out:
    if (result != 0) {
        complain(complaint, time_mono_ms(),
                 "store: latency rollups left out %zu samples: %s", n / 2,
                 result == PH_EDB ? store_pg_errmsg(p)
                                  : ph_strerror(result));
    } else if (n > 0) {
        complain_release(complaint, "store: latency rollups work again");
    }
    ph_free(v);
    return result;
}

int
store_pg_latency_list(struct store_pg *p, const char *check_id,
                      const char *region, int period_s, int64_t since_ms,
                      store_latency_cb cb, void *arg)
{
    struct pgq q;
    PGresult *r;
    int result;

    pgq_init(&q);
    pgq_text(&q, check_id);
    pgq_text(&q, region);
    pgq_i64(&q, period_s);
    pgq_i64(&q, since_ms);
    result = store_pg_run(p,
        "SELECT l.region, l.bucket_ms, l.n, l.p50_ms, l.p95_ms, l.max_ms "
        "FROM latency_rollups l JOIN check_nos c ON c.no = l.check_no "
        "WHERE c.check_id = $1 AND ($2::text IS NULL OR l.region = $2) AND "
        "l.period_s = $3 AND l.bucket_ms >= $4 AND l.n > 0 "
        "ORDER BY l.region, l.bucket_ms", &q, "latency list", &r);
    for (int i = 0; result == 0 && i < PQntuples(r); i++) {
        struct store_latency_row row = {
            .region = store_pg_text(r, i, 0),
            .bucket_ms = store_pg_i64(r, i, 1),
            .n = (uint32_t)store_pg_i64(r, i, 2),
            .p50_ms = (uint32_t)store_pg_i64(r, i, 3),
            .p95_ms = (uint32_t)store_pg_i64(r, i, 4),
            .max_ms = (uint32_t)store_pg_i64(r, i, 5),
        };
        result = cb(&row, arg);
    }
    PQclear(r);
    return result;
}

int
store_pg_latency_prune(struct store_pg *p, int64_t fine_before_ms,
                       int64_t hourly_before_ms, int64_t seal_before_ms,
                       int64_t *ret_deleted)
{
    static const char *const sql[3] = {
        "DELETE FROM latency_rollups WHERE period_s = 300 AND "
        "bucket_ms < $1",
        "DELETE FROM latency_rollups WHERE period_s = 3600 AND "
        "bucket_ms < $1",
        /* The last day before the cut only: retention runs hourly, so
         * older rows were sealed by an earlier run. */
        "UPDATE latency_rollups SET sketch = NULL WHERE period_s = 3600 "
        "AND bucket_ms >= $1::bigint - 86400000 AND bucket_ms < $1 AND "
        "sketch IS "
        "NOT NULL",
    };
    const int64_t at[3] = {fine_before_ms, hourly_before_ms, seal_before_ms};
    int64_t deleted = 0;

    for (int i = 0; i < 3; i++) {
        struct pgq q;
        PGresult *r;
        int result;

        pgq_init(&q);
        pgq_i64(&q, at[i]);
        result = store_pg_run(p, sql[i], &q, "latency prune", &r);
        if (result != 0) {
            return result;
        }
        if (i < 2) {
            deleted += store_pg_changes(r);
        }
        PQclear(r);
    }
    if (ret_deleted != NULL) {
        *ret_deleted = deleted;
    }
    return 0;
}
