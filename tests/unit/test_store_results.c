/*
 * test_store_results.c - agent result batches in a real sqlite file or PostgreSQL database
 * (store_testdb.h), the
 * lean layout of migration 0007: a replayed seq is refused (PH_EEXIST)
 * and stores nothing, a group commit keeps a failing batch from taking
 * the others with it, rows come back in order through the `results`
 * view, and retention deletes the batches received before the cut-off
 * and nothing else.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ph_err.h"
#include "store.h"
#include "store_testdb.h"

#define DAY 86400000LL
#define T0 1767960000000LL

static void
fill(struct check_result *r, size_t n, const char *prefix)
{
    memset(r, 0, n * sizeof(*r));
    for (size_t i = 0; i < n; i++) {
        snprintf(r[i].check_id, sizeof(r[i].check_id), "%s%zu", prefix,
                 i % 3);
        r[i].started_at_ms = T0 + (int64_t)i;
        r[i].outcome = OUTCOME_UP;
        r[i].latency_ms = (uint32_t)(10 + i);
    }
}

static void
test_results(void **state)
{
    struct store_testdb db;
    struct store *s = NULL;
    struct check_result r[5];
    struct store_batch b[3];
    int64_t deleted = -1;

    (void)state;
    s = store_testdb_open(&db);

    /* Two batches of agent a1 received 10 days ago, one of a2 now. */
    fill(r, 5, "c");
    /* Signed 64-bit values both ways (PostgreSQL gets them as text). */
    r[2].cert_not_after = -86400;
    r[4].cert_not_after = 253402300799LL;
    assert_int_equal(store_insert_batch(s, "a1", "r1", 1, r, 5, T0), 0);
    r[2].cert_not_after = 0;
    r[4].cert_not_after = 0;
    assert_int_equal(store_insert_batch(s, "a1", "r1", 2, r, 3, T0 + 1), 0);
    /* A replay: refused, nothing stored. */
    assert_int_equal(store_insert_batch(s, "a1", "r1", 2, r, 3, T0 + 2),
                     PH_EEXIST);
    assert_int_equal(store_testdb_query(&db, "SELECT count(*) FROM results"), 8);

    /* A group: a2's batch, a1's replay, a2's next; the replay fails
     * alone. */
    memset(b, 0, sizeof(b));
    snprintf(b[0].agent_id, sizeof(b[0].agent_id), "a2");
    snprintf(b[1].agent_id, sizeof(b[1].agent_id), "a1");
    snprintf(b[2].agent_id, sizeof(b[2].agent_id), "a2");
    for (int i = 0; i < 3; i++) {
        snprintf(b[i].region, sizeof(b[i].region), "r%d", i == 1 ? 1 : 2);
        b[i].results = r;
        b[i].n = 2;
        b[i].now_ms = T0 + 10 * DAY;
        b[i].next = i < 2 ? &b[i + 1] : NULL;
    }
    b[0].seq = 1;
    b[1].seq = 1;
    b[2].seq = 2;
    assert_int_equal(store_insert_group(s, &b[0]), 0);
    assert_int_equal(b[0].result, 0);
    assert_int_equal(b[1].result, PH_EEXIST);
    assert_int_equal(b[2].result, 0);
    assert_int_equal(store_testdb_query(&db, "SELECT count(*) FROM results"), 12);
    assert_int_equal(store_testdb_query(&db, "SELECT count(*) FROM results "
                                 "WHERE agent_id = 'a2' AND region = 'r2'"),
                     4);
    /* The view keeps order and values: a1's first batch, idx 4. */
    assert_int_equal(store_testdb_query(&db, "SELECT latency_ms FROM results "
                                 "WHERE agent_id = 'a1' AND seq = 1 "
                                 "AND idx = 4"),
                     14);
    assert_int_equal(store_testdb_query(&db, "SELECT cert_not_after FROM "
                                 "results WHERE agent_id = 'a1' AND seq = 1 "
                                 "AND idx = 2"),
                     -86400);
    assert_int_equal(store_testdb_query(&db, "SELECT cert_not_after + "
                                 "started_at_ms FROM results WHERE "
                                 "agent_id = 'a1' AND seq = 1 AND idx = 4"),
                     253402300799LL + T0 + 4);
    assert_int_equal(store_testdb_query(&db, "SELECT count(*) FROM check_nos"), 3);
    assert_int_equal(store_testdb_query(&db, "SELECT last_seq FROM agents "
                                 "WHERE agent_id = 'a2'"),
                     2);

    /* Retention at T0 + 7 days: a1's two batches go, a2's stay. */
    assert_int_equal(store_prune_results(s, T0 + 7 * DAY, &deleted), 0);
    assert_int_equal(deleted, 8);
    assert_int_equal(store_testdb_query(&db, "SELECT count(*) FROM results"), 4);
    assert_int_equal(store_testdb_query(&db, "SELECT count(*) FROM result_batches"), 2);
    assert_int_equal(store_prune_results(s, T0 + 7 * DAY, &deleted), 0);
    assert_int_equal(deleted, 0);
    /* Dedupe does not depend on the pruned rows. */
    assert_int_equal(store_insert_batch(s, "a1", "r1", 2, r, 3, T0 + 11 * DAY),
                     PH_EEXIST);

    store_close(s);
    store_testdb_cleanup(&db);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_results),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
