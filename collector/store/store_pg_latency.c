/*
 * store_pg_latency.c - response-time rollups in PostgreSQL (store.h,
 * migrations_pg/0012), as store_latency.c keeps them in sqlite.
 *
 * sqlite counts results in memory and merges them every 10 s; here the
 * merge runs inside the group commit that stores the results (on the
 * writer thread), so the rollups commit with the results or not at all:
 * nothing to replay after a crash, and several collectors writing the
 * same bucket merge rather than overwrite. The (check, region, period,
 * bucket) keys a group touches go as arrays to one upsert that changes
 * nothing, which creates the missing rows, locks them all and returns
 * their stored sketches; each sketch plus the group's samples goes back
 * with its percentiles in one UPDATE: a few round trips per group, not
 * per key. Keys are sorted and sent in that order, so two collectors
 * lock rows in the same order (no deadlock). A failure rolls back to a savepoint: the results still
 * commit, the rollups miss that group's samples (logged).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
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
/* Keys merged per round of statements, and the cap of their arrays'
 * text (a key's sketch is at most 2 x 520 hex digits). */
#define LAT_KEYS_CHUNK 2048
#define LAT_ARRAYS_MAX (8u * 1024 * 1024)

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

/* The stored sketch in row i, column c of r (bytea, text form) into sk;
 * an empty or sealed (NULL) one leaves sk empty. */
static int
stored_sketch(PGresult *r, int i, int c, struct lat_sketch *sk)
{
    unsigned char *blob;
    size_t len = 0;
    int rc;

    if (PQgetisnull(r, i, c)) {
        return 0;
    }
    blob = PQunescapeBytea((const unsigned char *)PQgetvalue(r, i, c), &len);
    if (blob == NULL) {
        return PH_ENOMEM;
    }
    rc = len > 0 ? lat_sketch_decode(sk, blob, len) : 0;
    PQfreemem(blob);
    return rc;
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

/* A key: the samples v[first, first + n) share it. */
struct key {
    size_t first, n;
};

enum { K_CHECK, K_REGION, K_PERIOD, K_BUCKET, K_COUNT };
enum { U_NO, U_REGION, U_PERIOD, U_BUCKET, U_N, U_P50, U_P95, U_MAX,
       U_SKETCH, U_COUNT };

/* The new row of key k: its stored sketch (row i of r) plus its
 * samples, appended to the update's arrays. */
static int
merged_row(PGresult *r, int i, const struct sample *v, const struct key *k,
           struct buf *u, int first)
{
    struct lat_sketch sk = {0};
    uint8_t blob[8 + LAT_BLOB_MAX];
    const struct sample *s0 = &v[k->first];
    size_t len;
    int rc;

    rc = stored_sketch(r, i, 1, &sk);
    if (rc == PH_EINVAL) {
        /* A stored sketch this release cannot read: start again. */
        lat_sketch_free(&sk);
        rc = 0;
    }
    for (size_t j = 0; rc == 0 && j < k->n; j++) {
        rc = lat_sketch_add(&sk, v[k->first + j].latency_ms);
    }
    if (rc != 0) {
        lat_sketch_free(&sk);
        return rc;
    }
    len = lat_sketch_encode(&sk, blob, sizeof(blob));
    rc = buf_printf(&u[U_NO], "%s%" PRId64, first ? "{" : ",",
                    store_pg_i64(r, i, 2));
    rc |= array_text(&u[U_REGION], first, s0->region);
    rc |= buf_printf(&u[U_PERIOD], "%s%d", first ? "{" : ",", s0->period_s);
    rc |= buf_printf(&u[U_BUCKET], "%s%" PRId64, first ? "{" : ",",
                     s0->bucket_ms);
    rc |= buf_printf(&u[U_N], "%s%u", first ? "{" : ",", sk.n);
    rc |= buf_printf(&u[U_P50], "%s%u", first ? "{" : ",",
                     lat_sketch_quantile(&sk, 0.5));
    rc |= buf_printf(&u[U_P95], "%s%u", first ? "{" : ",",
                     lat_sketch_quantile(&sk, 0.95));
    rc |= buf_printf(&u[U_MAX], "%s%u", first ? "{" : ",", sk.max_ms);
    rc |= buf_appends(&u[U_SKETCH], first ? "\"" : ",\"");
    for (size_t j = 0; j < len && rc == 0; j++) {
        rc = buf_printf(&u[U_SKETCH], "%02x", blob[j]);
    }
    rc |= buf_appends(&u[U_SKETCH], "\"");
    lat_sketch_free(&sk);
    return rc != 0 ? PH_ENOMEM : 0;
}

/*
 * Merges the samples of keys[0..nk) (in key order) into their rows in
 * three round trips: the keys as arrays to one statement that creates
 * the missing rows, locks them all in that order (an upsert that
 * changes nothing) and returns their sketches; then one UPDATE with the
 * merged rows.
 */
static int
merge_keys(struct store_pg *p, const struct sample *v, const struct key *keys,
           size_t nk)
{
    struct buf a[K_COUNT], u[U_COUNT];
    struct pgq q;
    PGresult *r = NULL;
    int result = 0, rows;

    for (int c = 0; c < K_COUNT; c++) {
        buf_init(&a[c], LAT_ARRAYS_MAX);
    }
    for (int c = 0; c < U_COUNT; c++) {
        buf_init(&u[c], LAT_ARRAYS_MAX);
    }
    for (size_t i = 0; i < nk && result == 0; i++) {
        const struct sample *s0 = &v[keys[i].first];
        const char *sep = i == 0 ? "{" : ",";

        result |= array_text(&a[K_CHECK], i == 0, s0->check_id);
        result |= array_text(&a[K_REGION], i == 0, s0->region);
        result |= buf_printf(&a[K_PERIOD], "%s%d", sep, s0->period_s);
        result |= buf_printf(&a[K_BUCKET], "%s%" PRId64, sep, s0->bucket_ms);
    }
    for (int c = 0; c < K_COUNT && result == 0; c++) {
        if (c == K_CHECK || c == K_REGION) {
            /* array_text() opened neither with "{". */
            struct buf t;

            buf_init(&t, LAT_ARRAYS_MAX);
            result |= buf_appends(&t, "{");
            result |= buf_append(&t, a[c].data, a[c].len);
            result |= buf_appends(&t, "}");
            buf_free(&a[c]);
            a[c] = t;
        } else {
            result |= buf_appends(&a[c], "}");
        }
    }
    if (result != 0) {
        result = store_pg_set_error(p, "latency rollups: too many keys");
        goto out;
    }
    pgq_init(&q);
    for (int c = 0; c < K_COUNT; c++) {
        pgq_text(&q, a[c].data);
    }
    result = store_pg_run(p,
        "WITH k AS (SELECT c.no, x.region, x.period_s, x.bucket_ms, x.ord "
        "FROM unnest($1::text[], $2::text[], $3::int[], $4::bigint[]) WITH "
        "ORDINALITY AS x(check_id, region, period_s, bucket_ms, ord) JOIN "
        "check_nos c ON c.check_id = x.check_id), ins AS (INSERT INTO "
        "latency_rollups AS l (check_no, region, period_s, bucket_ms, n, "
        "p50_ms, p95_ms, max_ms, sketch) SELECT no, region, period_s, "
        "bucket_ms, 0, 0, 0, 0, NULL FROM k ORDER BY ord ON CONFLICT "
        "(check_no, region, period_s, bucket_ms) DO UPDATE SET n = l.n "
        "RETURNING l.check_no, l.region, l.period_s, l.bucket_ms, l.sketch) "
        "SELECT k.ord, ins.sketch, ins.check_no FROM ins JOIN k ON k.no = "
        "ins.check_no AND k.region = ins.region AND k.period_s = "
        "ins.period_s AND k.bucket_ms = ins.bucket_ms ORDER BY k.ord", &q,
        "latency rows", &r);
    if (result != 0) {
        goto out;
    }
    rows = PQntuples(r);
    for (int i = 0; i < rows && result == 0; i++) {
        int64_t ord = store_pg_i64(r, i, 0);

        if (ord < 1 || (size_t)ord > nk) {
            result = store_pg_set_error(p, "latency rows: bad key");
            break;
        }
        result = merged_row(r, i, v, &keys[ord - 1], u, i == 0);
    }
    if (result != 0 || rows == 0) {
        goto out;
    }
    for (int c = 0; c < U_COUNT && result == 0; c++) {
        if (c == U_REGION || c == U_SKETCH) {
            struct buf t;

            buf_init(&t, LAT_ARRAYS_MAX);
            result |= buf_appends(&t, "{");
            result |= buf_append(&t, u[c].data, u[c].len);
            result |= buf_appends(&t, "}");
            buf_free(&u[c]);
            u[c] = t;
        } else {
            result |= buf_appends(&u[c], "}");
        }
    }
    if (result != 0) {
        result = store_pg_set_error(p, "latency rollups: too many keys");
        goto out;
    }
    pgq_init(&q);
    for (int c = 0; c < U_COUNT; c++) {
        pgq_text(&q, u[c].data);
    }
    result = store_pg_run(p,
        "UPDATE latency_rollups l SET n = u.n, p50_ms = u.p50, p95_ms = "
        "u.p95, max_ms = u.mx, sketch = decode(u.sk, 'hex') FROM "
        "unnest($1::bigint[], $2::text[], $3::int[], $4::bigint[], "
        "$5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[], $9::text[]) "
        "AS u(check_no, region, period_s, bucket_ms, n, p50, p95, mx, sk) "
        "WHERE l.check_no = u.check_no AND l.region = u.region AND "
        "l.period_s = u.period_s AND l.bucket_ms = u.bucket_ms", &q,
        "latency merge", NULL);
out:
    PQclear(r);
    for (int c = 0; c < K_COUNT; c++) {
        buf_free(&a[c]);
    }
    for (int c = 0; c < U_COUNT; c++) {
        buf_free(&u[c]);
    }
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
    struct key *keys = NULL;
    size_t n = 0, nk = 0;
    int result;

    result = collect(group, &v, &n);
    if (result != 0 || n == 0) {
        goto out;
    }
    keys = ph_calloc(n, sizeof(*keys));
    if (keys == NULL) {
        result = PH_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;

        while (j < n && same_key(&v[i], &v[j])) {
            j++;
        }
        keys[nk].first = i;
        keys[nk].n = j - i;
        nk++;
        i = j;
    }
    result = store_pg_run(p, "SAVEPOINT latency", NULL, "savepoint", NULL);
    /* In chunks, in key order: two collectors lock rows in one order. */
    for (size_t i = 0; result == 0 && i < nk; i += LAT_KEYS_CHUNK) {
        result = merge_keys(p, v, &keys[i],
                            nk - i < LAT_KEYS_CHUNK ? nk - i
                                                    : LAT_KEYS_CHUNK);
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
    ph_free(keys);
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
