/*
 * store_latency.c - response-time rollups in the store (store.h,
 * migration 0012).
 *
 * Each connection that stores result batches keeps an accumulator: a hash
 * table of (check number, region, period, bucket) -> the latency sketch
 * of the results it committed since its last flush. A flush runs inside
 * a later batch transaction (the write lock is held): for each entry it
 * reads the stored sketch of that bucket, adds the entry's, and writes
 * the row back with its percentiles, then records the rowid of the last
 * result row it covers (kv "latency_row"). Because a flush merges what
 * it holds into what is stored, two connections that both store batches
 * (the writer thread and the loop's rare fallback) never overwrite each
 * other's samples. After the commit the table is emptied, so it holds
 * only what arrived in the last STORE_LATENCY_FLUSH_MS.
 *
 * A crash loses the table; the rows it covered are in result_rows after
 * the recorded rowid, and the writer connection adds them back when it
 * opens (store_latency_replay). Reads (store_latency_list) see only the
 * rows: at most one flush interval behind the results.
 */
#include "store.h"
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "complain.h"
#include "latency.h"
#include "log.h"
#include "mem.h"
#include "ph_err.h"
#include "timefmt.h"

/* At most this many (check, region, period, bucket) entries between two
 * flushes; beyond 3/4 of it the next batch flushes early. */
#define LAT_ENTRIES_MAX (1u << 21)
/* Distinct regions one connection has seen (the configuration's). */
#define LAT_REGIONS_MAX 256
/* Rows read back per statement in a replay. */
#define LAT_REPLAY_CHUNK 50000
#define LAT_KV_ROW "latency_row"

static const int periods[2] = {LAT_PERIOD_FINE, LAT_PERIOD_HOURLY};

struct lat_entry {
    int64_t check_no;       /* 0: a free slot */
    int64_t bucket_ms;
    uint16_t region;        /* index into regions */
    uint8_t period;         /* index into periods */
    struct lat_sketch sk;
};

struct store_latency {
    struct lat_entry *tab;  /* open addressing, power-of-two capacity */
    size_t cap, n;
    char (*regions)[CHECK_ID_MAX];
    size_t nregions;
    int64_t pending_row;    /* last result rowid in the table */
    int64_t flushed_row;    /* ... in the stored rows */
    int64_t flush_row;      /* ... in the flush awaiting its commit */
    int64_t last_flush_ms;
    int flushing;           /* a flush is in the open transaction */
    struct complain complaint;
};

static struct store_latency *
acc_get(struct store_sq *s)
{
    struct store_latency **slot = store_latency_slot(s);

    if (*slot == NULL) {
        *slot = ph_calloc(1, sizeof(**slot));
        if (*slot != NULL) {
            (*slot)->regions = ph_calloc(LAT_REGIONS_MAX,
                                         sizeof(*(*slot)->regions));
            if ((*slot)->regions == NULL) {
                ph_free(*slot);
                *slot = NULL;
            }
        }
    }
    return *slot;
}

static void
acc_clear(struct store_latency *acc)
{
    for (size_t i = 0; i < acc->cap; i++) {
        if (acc->tab[i].check_no != 0) {
            lat_sketch_free(&acc->tab[i].sk);
            acc->tab[i].check_no = 0;
        }
    }
    acc->n = 0;
}

void
store_latency_free(struct store_latency *acc)
{
    if (acc == NULL) {
        return;
    }
    acc_clear(acc);
    ph_free(acc->tab);
    ph_free(acc->regions);
    ph_free(acc);
}

static size_t
slot_of(const struct store_latency *acc, int64_t check_no, unsigned region,
        unsigned period, int64_t bucket_ms)
{
    uint64_t h = (uint64_t)check_no * 0x9E3779B97F4A7C15ULL;

    h ^= (uint64_t)bucket_ms * 0xC2B2AE3D27D4EB4FULL;
    h ^= ((uint64_t)region << 8 | period) * 0x165667B19E3779F9ULL;
    h ^= h >> 29;
    return (size_t)h & (acc->cap - 1);
}

static struct lat_entry *
probe(struct store_latency *acc, int64_t check_no, unsigned region,
      unsigned period, int64_t bucket_ms)
{
    size_t i = slot_of(acc, check_no, region, period, bucket_ms);

    for (;;) {
        struct lat_entry *e = &acc->tab[i];

        if (e->check_no == 0 ||
            (e->check_no == check_no && e->bucket_ms == bucket_ms &&
             e->region == region && e->period == period)) {
            return e;
        }
        i = (i + 1) & (acc->cap - 1);
    }
}

/* Doubles the table (load factor at most 1/2); 0 or PH_ENOMEM/PH_EBUSY. */
static int
grow(struct store_latency *acc)
{
    struct lat_entry *old = acc->tab;
    size_t oldcap = acc->cap, cap = oldcap ? oldcap * 2 : 1024;

    if (cap > 2 * (size_t)LAT_ENTRIES_MAX) {
        return PH_EBUSY;
    }
    acc->tab = ph_calloc(cap, sizeof(*acc->tab));
    if (acc->tab == NULL) {
        acc->tab = old;
        return PH_ENOMEM;
    }
    acc->cap = cap;
    for (size_t i = 0; i < oldcap; i++) {
        if (old[i].check_no != 0) {
            struct lat_entry *e = probe(acc, old[i].check_no, old[i].region,
                                        old[i].period, old[i].bucket_ms);
            *e = old[i];
        }
    }
    ph_free(old);
    return 0;
}

static int
region_index(struct store_latency *acc, const char *region)
{
    for (size_t i = 0; i < acc->nregions; i++) {
        if (strcmp(acc->regions[i], region) == 0) {
            return (int)i;
        }
    }
    if (acc->nregions >= LAT_REGIONS_MAX) {
        return -1;
    }
    snprintf(acc->regions[acc->nregions], CHECK_ID_MAX, "%s", region);
    return (int)acc->nregions++;
}

/* Counts one sample; 0 or a PH_E* (the sample is dropped). */
static int
note(struct store_latency *acc, const char *region, int64_t check_no,
     int64_t started_at_ms, int64_t latency_ms)
{
    int r = region_index(acc, region);

    if (r < 0) {
        return PH_ERANGE;
    }
    for (unsigned p = 0; p < 2; p++) {
        int64_t bucket = lat_bucket_start(started_at_ms, periods[p]);
        struct lat_entry *e;

        if ((acc->n + 1) * 2 > acc->cap) {
            int rc = grow(acc);

            if (rc != 0) {
                return rc;
            }
        }
        e = probe(acc, check_no, (unsigned)r, p, bucket);
        if (e->check_no == 0) {
            memset(e, 0, sizeof(*e));
            e->check_no = check_no;
            e->bucket_ms = bucket;
            e->region = (uint16_t)r;
            e->period = (uint8_t)p;
            acc->n++;
        }
        if (lat_sketch_add(&e->sk, latency_ms) != 0) {
            return PH_ENOMEM;
        }
    }
    return 0;
}

void
store_latency_note(struct store_sq *s, const char *region, int64_t check_no,
                   const struct check_result *r)
{
    struct store_latency *acc;
    int rc;

    if (r->outcome != OUTCOME_UP && r->outcome != OUTCOME_SLOW) {
        return;
    }
    acc = acc_get(s);
    rc = acc == NULL ? PH_ENOMEM
                     : note(acc, region, check_no, r->started_at_ms,
                            r->latency_ms);
    if (rc != 0 && acc != NULL) {
        complain(&acc->complaint, time_mono_ms(),
                 "store: latency rollups dropped a result of %s: %s",
                 r->check_id, ph_strerror(rc));
    }
}

void
store_latency_applied(struct store_sq *s, int64_t last_row)
{
    struct store_latency *acc = acc_get(s);

    if (acc != NULL && last_row > acc->pending_row) {
        acc->pending_row = last_row;
    }
}

/* Merges one entry into its stored row; 0 or PH_EDB. A row whose sketch
 * was dropped (sealed by retention) no longer changes. */
static int
flush_entry(struct store_sq *s, sqlite3_stmt *get, sqlite3_stmt *put,
            struct store_latency *acc, const struct lat_entry *e)
{
    struct lat_sketch sum;
    uint8_t blob[8 + LAT_BLOB_MAX];
    size_t len;
    int rc, result = PH_EDB;

    memset(&sum, 0, sizeof(sum));
    sqlite3_reset(get);
    sqlite3_bind_int64(get, 1, e->check_no);
    sqlite3_bind_text(get, 2, acc->regions[e->region], -1, SQLITE_STATIC);
    sqlite3_bind_int(get, 3, periods[e->period]);
    sqlite3_bind_int64(get, 4, e->bucket_ms);
    rc = sqlite3_step(get);
    if (rc == SQLITE_ROW) {
        const void *b = sqlite3_column_blob(get, 0);
        int blen = sqlite3_column_bytes(get, 0);

        if (b == NULL) {
            result = 0; /* sealed */
            goto out;
        }
        if (lat_sketch_decode(&sum, b, (size_t)blen) != 0) {
            /* Not what we write: start the bucket again rather than
             * fail every flush. */
            log_warnx("store: latency rollup of check %lld at %lld is "
                      "damaged; counting it again from now",
                      (long long)e->check_no, (long long)e->bucket_ms);
        }
    } else if (rc != SQLITE_DONE) {
        store_db_error(s, "latency get");
        goto out;
    }
    sqlite3_reset(get);
    if (lat_sketch_merge(&sum, &e->sk) != 0) {
        result = PH_ENOMEM;
        goto out;
    }
    len = lat_sketch_encode(&sum, blob, sizeof(blob));
    sqlite3_reset(put);
    sqlite3_bind_int64(put, 1, e->check_no);
    sqlite3_bind_text(put, 2, acc->regions[e->region], -1, SQLITE_STATIC);
    sqlite3_bind_int(put, 3, periods[e->period]);
    sqlite3_bind_int64(put, 4, e->bucket_ms);
    sqlite3_bind_int64(put, 5, sum.n);
    sqlite3_bind_int64(put, 6, lat_sketch_quantile(&sum, 0.5));
    sqlite3_bind_int64(put, 7, lat_sketch_quantile(&sum, 0.95));
    sqlite3_bind_int64(put, 8, sum.max_ms);
    sqlite3_bind_blob(put, 9, blob, (int)len, SQLITE_STATIC);
    if (sqlite3_step(put) != SQLITE_DONE) {
        store_db_error(s, "latency put");
        goto out;
    }
    result = 0;
out:
    sqlite3_reset(get);
    sqlite3_reset(put);
    lat_sketch_free(&sum);
    return result;
}

/* Every entry, and the rowid it covers, inside the open transaction. */
static int
flush_all(struct store_sq *s, struct store_latency *acc)
{
    sqlite3_stmt *get = NULL, *put = NULL;
    char row[24];
    int result = PH_EDB;

    get = store_prepare(s, "SELECT sketch FROM latency_rollups WHERE "
                           "check_no = ?1 AND region = ?2 AND period_s = ?3 "
                           "AND bucket_ms = ?4");
    put = store_prepare(
        s, "INSERT INTO latency_rollups (check_no, region, period_s, "
           "bucket_ms, n, p50_ms, p95_ms, max_ms, sketch) VALUES (?1, ?2, "
           "?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (check_no, region, "
           "period_s, bucket_ms) DO UPDATE SET n = excluded.n, p50_ms = "
           "excluded.p50_ms, p95_ms = excluded.p95_ms, max_ms = "
           "excluded.max_ms, sketch = excluded.sketch");
    if (get == NULL || put == NULL) {
        goto out;
    }
    for (size_t i = 0; i < acc->cap; i++) {
        if (acc->tab[i].check_no != 0) {
            result = flush_entry(s, get, put, acc, &acc->tab[i]);
            if (result != 0) {
                goto out;
            }
        }
    }
    /* Never backwards: the other connection may have recorded a later
     * row (then a replay may count a few of its rows twice, never lose
     * any). */
    result = PH_EDB;
    if (store_sq_kv_get(s, LAT_KV_ROW, row, sizeof(row)) != 0 ||
        strtoll(row, NULL, 10) < acc->pending_row) {
        snprintf(row, sizeof(row), "%lld", (long long)acc->pending_row);
        if (store_sq_kv_set(s, LAT_KV_ROW, row) != 0) {
            goto out;
        }
    }
    result = 0;
out:
    sqlite3_finalize(get);
    sqlite3_finalize(put);
    return result;
}

void
store_latency_maybe_flush(struct store_sq *s, int64_t now_ms, int force)
{
    struct store_latency *acc = *store_latency_slot(s);

    if (acc == NULL || (acc->n == 0 && acc->pending_row <= acc->flushed_row)) {
        return;
    }
    if (!force && acc->last_flush_ms == 0) {
        acc->last_flush_ms = now_ms; /* the first interval starts */
        return;
    }
    if (!force && now_ms - acc->last_flush_ms < STORE_LATENCY_FLUSH_MS &&
        now_ms >= acc->last_flush_ms &&
        acc->n < (size_t)LAT_ENTRIES_MAX * 3 / 4) {
        return;
    }
    /* Only inside the caller's transaction: after a failure (a full disk)
     * sqlite may have rolled it back, and a savepoint would then commit
     * on its own, so the table would be merged twice. */
    if (sqlite3_get_autocommit(store_sqlite(s))) {
        return;
    }
    acc->last_flush_ms = now_ms;
    if (store_exec(s, "SAVEPOINT latency") != 0) {
        return;
    }
    if (flush_all(s, acc) != 0) {
        complain(&acc->complaint, time_mono_ms(),
                 "store: cannot write latency rollups (kept for the next "
                 "try): %s", store_sq_errmsg(s));
        store_exec(s, "ROLLBACK TO latency");
        store_exec(s, "RELEASE latency");
        return;
    }
    store_exec(s, "RELEASE latency");
    acc->flushing = 1;
    acc->flush_row = acc->pending_row;
}

void
store_latency_committed(struct store_sq *s, int ok)
{
    struct store_latency *acc = *store_latency_slot(s);

    if (acc == NULL || !acc->flushing) {
        return;
    }
    acc->flushing = 0;
    if (ok) {
        /* The samples noted after the flush belong to this same commit's
         * batches and are noted after it returns: nothing is lost by
         * emptying the table here. */
        acc_clear(acc);
        acc->flushed_row = acc->flush_row;
        complain_release(&acc->complaint, "store: latency rollups written "
                         "again");
    }
}

int
store_sq_latency_flush(struct store_sq *s)
{
    struct store_latency *acc = *store_latency_slot(s);

    if (acc == NULL || (acc->n == 0 && acc->pending_row <= acc->flushed_row)) {
        return 0;
    }
    if (store_sq_tx_begin(s) != 0) {
        return PH_EDB;
    }
    store_latency_maybe_flush(s, time_now_ms(), 1);
    if (!acc->flushing) {
        store_sq_tx_rollback(s);
        return PH_EDB;
    }
    if (store_sq_tx_commit(s) != 0) {
        store_sq_tx_rollback(s);
        store_latency_committed(s, 0);
        return PH_EDB;
    }
    store_latency_committed(s, 1);
    return 0;
}

int
store_latency_replay(struct store_sq *s)
{
    char buf[24];
    int64_t from = 0, added = 0;
    sqlite3_stmt *st = NULL;
    struct store_latency *acc;
    int rc;

    if (store_sq_kv_get(s, LAT_KV_ROW, buf, sizeof(buf)) != 0) {
        /* First start with rollups: they begin now (the raw rows of an
         * upgraded database are not read back). */
        st = store_prepare(s, "SELECT coalesce(max(rowid), 0) FROM "
                              "result_rows");
        if (st == NULL) {
            return PH_EDB;
        }
        rc = sqlite3_step(st);
        from = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
        sqlite3_finalize(st);
        if (rc != SQLITE_ROW) {
            return store_db_error(s, "latency start");
        }
        snprintf(buf, sizeof(buf), "%lld", (long long)from);
        return store_sq_kv_set(s, LAT_KV_ROW, buf);
    }
    from = strtoll(buf, NULL, 10);
    acc = acc_get(s);
    if (acc == NULL) {
        return PH_ENOMEM;
    }
    acc->flushed_row = from;
    acc->pending_row = from;
    st = store_prepare(s, "SELECT r.rowid, r.check_no, b.region, "
                          "r.started_at_ms, r.outcome, r.latency_ms FROM "
                          "result_rows r JOIN result_batches b ON b.id = "
                          "r.batch_id WHERE r.rowid > ?1 ORDER BY r.rowid "
                          "LIMIT 50000");
    if (st == NULL) {
        return PH_EDB;
    }
    for (;;) {
        int64_t n = 0;

        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, acc->pending_row);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            int outcome = sqlite3_column_int(st, 4);

            acc->pending_row = sqlite3_column_int64(st, 0);
            n++;
            if (outcome == OUTCOME_UP || outcome == OUTCOME_SLOW) {
                note(acc, store_col_text(st, 2), sqlite3_column_int64(st, 1),
                     sqlite3_column_int64(st, 3),
                     sqlite3_column_int64(st, 5));
            }
        }
        if (rc != SQLITE_DONE) {
            sqlite3_finalize(st);
            return store_db_error(s, "latency replay");
        }
        added += n;
        if (n < LAT_REPLAY_CHUNK) {
            break;
        }
    }
    sqlite3_finalize(st);
    if (added > 0) {
        log_info("store: latency rollups: %lld results stored after the "
                 "last flush counted again", (long long)added);
        return store_sq_latency_flush(s);
    }
    return 0;
}

int
store_sq_latency_list(struct store_sq *s, const char *check_id, const char *region,
                   int period_s, int64_t since_ms, store_latency_cb cb,
                   void *arg)
{
    sqlite3_stmt *st;
    int rc, result = 0;

    st = store_prepare(
        s, "SELECT l.region, l.bucket_ms, l.n, l.p50_ms, l.p95_ms, l.max_ms "
           "FROM latency_rollups l JOIN check_nos c ON c.no = l.check_no "
           "WHERE c.check_id = ?1 AND (?2 IS NULL OR l.region = ?2) AND "
           "l.period_s = ?3 AND l.bucket_ms >= ?4 "
           "ORDER BY l.region, l.bucket_ms");
    if (st == NULL) {
        return PH_EDB;
    }
    sqlite3_bind_text(st, 1, check_id, -1, SQLITE_STATIC);
    if (region != NULL) {
        sqlite3_bind_text(st, 2, region, -1, SQLITE_STATIC);
    }
    sqlite3_bind_int(st, 3, period_s);
    sqlite3_bind_int64(st, 4, since_ms);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_latency_row row;

        row.region = store_col_text(st, 0);
        row.bucket_ms = sqlite3_column_int64(st, 1);
        row.n = (uint32_t)sqlite3_column_int64(st, 2);
        row.p50_ms = (uint32_t)sqlite3_column_int64(st, 3);
        row.p95_ms = (uint32_t)sqlite3_column_int64(st, 4);
        row.max_ms = (uint32_t)sqlite3_column_int64(st, 5);
        result = cb(&row, arg);
        if (result != 0) {
            break;
        }
    }
    if (result == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE) {
        result = store_db_error(s, "latency list");
    }
    sqlite3_finalize(st);
    return result;
}

int
store_sq_latency_prune(struct store_sq *s, int64_t fine_before_ms,
                    int64_t hourly_before_ms, int64_t seal_before_ms,
                    int64_t *ret_deleted)
{
    static const char *const sql[3] = {
        "DELETE FROM latency_rollups WHERE period_s = 300 AND "
        "bucket_ms < ?1",
        "DELETE FROM latency_rollups WHERE period_s = 3600 AND "
        "bucket_ms < ?1",
        /* The last day before the cut only: retention runs hourly, so
         * older rows were sealed by an earlier run. */
        "UPDATE latency_rollups SET sketch = NULL WHERE period_s = 3600 "
        "AND bucket_ms >= ?1 - 86400000 AND bucket_ms < ?1 AND sketch IS "
        "NOT NULL",
    };
    const int64_t at[3] = {fine_before_ms, hourly_before_ms, seal_before_ms};
    int64_t deleted = 0;

    for (int i = 0; i < 3; i++) {
        sqlite3_stmt *st = store_prepare(s, sql[i]);
        int rc;

        if (st == NULL) {
            return PH_EDB;
        }
        sqlite3_bind_int64(st, 1, at[i]);
        rc = sqlite3_step(st);
        if (i < 2) {
            deleted += sqlite3_changes(store_sqlite(s));
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) {
            return store_db_error(s, "latency prune");
        }
    }
    if (ret_deleted != NULL) {
        *ret_deleted = deleted;
    }
    return 0;
}
