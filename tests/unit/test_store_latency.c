/*
 * test_store_latency.c - response-time rollups in a real sqlite file:
 * results counted as they are stored (five-minute and hourly buckets per
 * check and region, down results left out), percentiles of the stored
 * rows, two connections adding to the same bucket without losing each
 * other's samples, a process killed before its flush recovered by the
 * writer connection's replay, and retention (delete and seal).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "latency.h"
#include "ph_err.h"
#include "store.h"

/* 2026-01-09T12:00:00Z: an hour and a five-minute boundary. */
#define T0 1767960000000LL
#define MIN 60000LL

struct rows {
    struct store_latency_row r[64];
    char region[64][16];
    size_t n;
};

static int
collect(const struct store_latency_row *row, void *arg)
{
    struct rows *rs = arg;

    assert_true(rs->n < 64);
    rs->r[rs->n] = *row;
    snprintf(rs->region[rs->n], sizeof(rs->region[0]), "%s", row->region);
    rs->r[rs->n].region = rs->region[rs->n];
    rs->n++;
    return 0;
}

static void
list(struct store *s, const char *check, const char *region, int period,
     struct rows *rs)
{
    memset(rs, 0, sizeof(*rs));
    assert_int_equal(store_latency_list(s, check, region, period, 0, collect,
                                        rs),
                     0);
}

/* n results of check starting at t, latencies first, first + step, ...;
 * every tenth one down when with_down. */
static void
fill(struct check_result *r, size_t n, const char *check, int64_t t,
     uint32_t first, uint32_t step, int with_down)
{
    memset(r, 0, n * sizeof(*r));
    for (size_t i = 0; i < n; i++) {
        snprintf(r[i].check_id, sizeof(r[i].check_id), "%s", check);
        r[i].started_at_ms = t + (int64_t)i * 1000;
        r[i].outcome = with_down && i % 10 == 9 ? OUTCOME_DOWN : OUTCOME_UP;
        r[i].latency_ms = with_down && i % 10 == 9 ? 30000
                                                   : first + (uint32_t)i * step;
    }
}

static long long
query(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long long v = -1;

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW) {
        v = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static void
tmpdb(char *dir, char *path, size_t len)
{
    assert_non_null(mkdtemp(dir));
    snprintf(path, len, "%s/pharos.db", dir);
}

static void
buckets_and_percentiles(void **state)
{
    char dir[] = "/tmp/pharos-latency-XXXXXX";
    char path[128], err[512];
    struct store *s = NULL;
    struct check_result r[100];
    struct rows rs;

    (void)state;
    tmpdb(dir, path, sizeof(path));
    assert_int_equal(store_open(path, NULL, 0, err, sizeof(err), &s), 0);

    /* 100 s of api in eu (1..100 ms, every tenth down at 30 s) in the
     * first five minutes, then 20 results at 200..219 ms at +7 min; web
     * in us. */
    fill(r, 100, "api", T0, 1, 1, 1);
    assert_int_equal(store_insert_batch(s, "a1", "eu", 1, r, 100, T0), 0);
    fill(r, 20, "api", T0 + 7 * MIN, 200, 1, 0);
    assert_int_equal(store_insert_batch(s, "a1", "eu", 2, r, 20, T0), 0);
    fill(r, 10, "web", T0, 40, 0, 0);
    assert_int_equal(store_insert_batch(s, "a2", "us", 1, r, 10, T0), 0);
    /* Nothing read back before the flush (inside the interval). */
    list(s, "api", NULL, LAT_PERIOD_FINE, &rs);
    assert_int_equal(rs.n, 0);
    assert_int_equal(store_latency_flush(s), 0);

    list(s, "api", NULL, LAT_PERIOD_FINE, &rs);
    assert_int_equal(rs.n, 2);
    assert_string_equal(rs.r[0].region, "eu");
    assert_int_equal(rs.r[0].bucket_ms, T0);
    /* 90 up results: 1..99 without 10, 20, ... 90, 100. */
    assert_int_equal(rs.r[0].n, 90);
    assert_int_equal(rs.r[0].max_ms, 99);
    /* Exact nearest rank: p50 = the 45th = 49 and p95 = the 86th = 95;
     * the sketch is within 5%. */
    assert_in_range(rs.r[0].p50_ms, 47, 52);
    assert_in_range(rs.r[0].p95_ms, 90, 99);
    assert_int_equal(rs.r[1].bucket_ms, T0 + 5 * MIN);
    assert_int_equal(rs.r[1].n, 20);
    assert_int_equal(rs.r[1].max_ms, 219);

    list(s, "api", NULL, LAT_PERIOD_HOURLY, &rs);
    assert_int_equal(rs.n, 1);
    assert_int_equal(rs.r[0].bucket_ms, T0);
    assert_int_equal(rs.r[0].n, 110);
    assert_int_equal(rs.r[0].max_ms, 219);

    /* Region filter; another check; an unknown one. */
    list(s, "api", "us", LAT_PERIOD_FINE, &rs);
    assert_int_equal(rs.n, 0);
    list(s, "web", "us", LAT_PERIOD_FINE, &rs);
    assert_int_equal(rs.n, 1);
    /* 40 ms reads as the middle of its bin, 38..40. */
    assert_in_range(rs.r[0].p50_ms, 38, 40);
    assert_int_equal(rs.r[0].p95_ms, rs.r[0].p50_ms);
    list(s, "nosuch", NULL, LAT_PERIOD_FINE, &rs);
    assert_int_equal(rs.n, 0);

    /* A replayed batch adds nothing. */
    fill(r, 20, "api", T0 + 7 * MIN, 200, 1, 0);
    assert_int_equal(store_insert_batch(s, "a1", "eu", 2, r, 20, T0),
                     PH_EEXIST);
    assert_int_equal(store_latency_flush(s), 0);
    list(s, "api", NULL, LAT_PERIOD_HOURLY, &rs);
    assert_int_equal(rs.r[0].n, 110);
    store_close(s);
}

static void
two_connections_add_up(void **state)
{
    char dir[] = "/tmp/pharos-latency-XXXXXX";
    char path[128], err[512];
    struct store *s = NULL, *w = NULL;
    struct check_result r[50];
    struct store_batch b;
    struct rows rs;

    (void)state;
    tmpdb(dir, path, sizeof(path));
    assert_int_equal(store_open(path, NULL, 0, err, sizeof(err), &s), 0);
    assert_int_equal(store_open(path, NULL, STORE_OPEN_WRITER, err, sizeof(err),
                                &w),
                     0);
    /* The writer's group commit and the loop's fallback, same bucket. */
    fill(r, 50, "api", T0, 100, 0, 0);
    memset(&b, 0, sizeof(b));
    snprintf(b.agent_id, sizeof(b.agent_id), "a1");
    snprintf(b.region, sizeof(b.region), "eu");
    b.seq = 1;
    b.results = r;
    b.n = 50;
    b.now_ms = T0;
    assert_int_equal(store_insert_group(w, &b), 0);
    assert_int_equal(b.result, 0);
    fill(r, 50, "api", T0, 300, 0, 0);
    assert_int_equal(store_insert_batch(s, "a1", "eu", 2, r, 50, T0), 0);
    assert_int_equal(store_latency_flush(s), 0);
    assert_int_equal(store_latency_flush(w), 0);
    list(s, "api", NULL, LAT_PERIOD_FINE, &rs);
    assert_int_equal(rs.n, 1);
    assert_int_equal(rs.r[0].n, 100);
    assert_in_range(rs.r[0].p50_ms, 95, 105);
    assert_int_equal(rs.r[0].max_ms, 300);
    assert_in_range(rs.r[0].p95_ms, 285, 300);
    store_close(w);
    store_close(s);
}

static void
crash_before_flush_replayed(void **state)
{
    char dir[] = "/tmp/pharos-latency-XXXXXX";
    char path[128], err[512];
    struct store *s = NULL, *w = NULL;
    struct check_result r[30];
    struct rows rs;
    pid_t pid;
    int status = 0;

    (void)state;
    tmpdb(dir, path, sizeof(path));
    assert_int_equal(store_open(path, NULL, 0, err, sizeof(err), &s), 0);
    assert_int_equal(store_open(path, NULL, STORE_OPEN_WRITER, err, sizeof(err),
                                &w),
                     0);
    fill(r, 30, "api", T0, 10, 1, 0);
    assert_int_equal(store_insert_batch(w, "a1", "eu", 1, r, 30, T0), 0);
    assert_int_equal(store_latency_flush(w), 0);
    store_close(w);
    /* A child stores a batch and dies before any flush (kill -9). */
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct store *c = NULL;

        if (store_open(path, NULL, STORE_OPEN_WRITER, err, sizeof(err), &c) != 0) {
            _exit(2);
        }
        fill(r, 30, "api", T0 + 30000, 40, 1, 0);
        _exit(store_insert_batch(c, "a1", "eu", 2, r, 30, T0) != 0);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    list(s, "api", NULL, LAT_PERIOD_FINE, &rs);
    assert_int_equal(rs.r[0].n, 30);
    /* The next writer counts the child's 30 results, once. */
    assert_int_equal(store_open(path, NULL, STORE_OPEN_WRITER, err, sizeof(err),
                                &w),
                     0);
    list(s, "api", NULL, LAT_PERIOD_FINE, &rs);
    assert_int_equal(rs.r[0].n, 60);
    assert_int_equal(rs.r[0].max_ms, 69);
    store_close(w);
    assert_int_equal(store_open(path, NULL, STORE_OPEN_WRITER, err, sizeof(err),
                                &w),
                     0);
    store_close(w);
    list(s, "api", NULL, LAT_PERIOD_FINE, &rs);
    assert_int_equal(rs.r[0].n, 60);
    store_close(s);
}

static void
retention(void **state)
{
    char dir[] = "/tmp/pharos-latency-XXXXXX";
    char path[128], err[512];
    struct store *s = NULL;
    struct check_result r[3];
    struct rows rs;
    int64_t deleted = -1;
    const int64_t day = 86400000LL;

    (void)state;
    tmpdb(dir, path, sizeof(path));
    assert_int_equal(store_open(path, NULL, 0, err, sizeof(err), &s), 0);
    /* One result 3 days old, one 1 day old, one now. */
    fill(r, 3, "api", T0, 50, 0, 0);
    r[0].started_at_ms = T0 - 3 * day;
    r[1].started_at_ms = T0 - day;
    assert_int_equal(store_insert_batch(s, "a1", "eu", 1, r, 3, T0), 0);
    assert_int_equal(store_latency_flush(s), 0);
    assert_int_equal(query(path, "SELECT count(*) FROM latency_rollups"), 6);
    /* Five-minute rows kept 2 days, hourly 90; seal past 12 hours. */
    assert_int_equal(store_latency_prune(s, T0 - 2 * day, T0 - 90 * day,
                                         T0 - day / 2, &deleted),
                     0);
    assert_int_equal(deleted, 1);
    list(s, "api", NULL, LAT_PERIOD_FINE, &rs);
    assert_int_equal(rs.n, 2);
    list(s, "api", NULL, LAT_PERIOD_HOURLY, &rs);
    assert_int_equal(rs.n, 3);
    assert_int_equal(query(path, "SELECT count(*) FROM latency_rollups "
                                 "WHERE sketch IS NULL"),
                     1);
    /* A sealed bucket no longer changes. */
    fill(r, 1, "api", T0 - day, 900, 0, 0);
    assert_int_equal(store_insert_batch(s, "a1", "eu", 2, r, 1, T0), 0);
    assert_int_equal(store_latency_flush(s), 0);
    list(s, "api", NULL, LAT_PERIOD_HOURLY, &rs);
    assert_int_equal(rs.r[1].n, 1);
    assert_int_equal(rs.r[1].max_ms, 50);
    store_close(s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(buckets_and_percentiles),
        cmocka_unit_test(two_connections_add_up),
        cmocka_unit_test(crash_before_flush_replayed),
        cmocka_unit_test(retention),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
