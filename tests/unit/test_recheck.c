/*
 * test_recheck.c - the cross-region re-check decision and its table
 * (collector/core/recheck.c): who is asked, the rate limit, stale
 * regions left out, requests handed out once and expired.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "recheck.h"

#define W 4000 /* window, ms */

static void
three(struct recheck_region *v, enum outcome a, enum outcome b,
      enum outcome c)
{
    memset(v, 0, 3 * sizeof(*v));
    for (int i = 0; i < 3; i++) {
        v[i].assigned = 1;
        v[i].fresh = 1;
    }
    v[0].last = a;
    v[1].last = b;
    v[2].last = c;
}

static void
test_newly_failing_asks_the_others(void **state)
{
    struct recheck_region v[3];
    size_t ask[3];

    (void)state;
    three(v, OUTCOME_DOWN, OUTCOME_UP, OUTCOME_UP);
    assert_int_equal(recheck_decide(v, 3, 0, OUTCOME_UP, OUTCOME_DOWN,
                                    PROBE_SCHEDULED, 10000, W, ask),
                     2);
    assert_int_equal(ask[0], 1);
    assert_int_equal(ask[1], 2);
    /* Slow is "not up" too. */
    assert_int_equal(recheck_decide(v, 3, 0, OUTCOME_UP, OUTCOME_SLOW,
                                    PROBE_CONFIRM, 10000, W, ask),
                     2);
}

static void
test_no_news_no_request(void **state)
{
    struct recheck_region v[3];
    size_t ask[3];

    (void)state;
    three(v, OUTCOME_DOWN, OUTCOME_UP, OUTCOME_UP);
    /* Still down, down to slow, first result up: nothing new. */
    assert_int_equal(recheck_decide(v, 3, 0, OUTCOME_DOWN, OUTCOME_DOWN,
                                    PROBE_SCHEDULED, 10000, W, ask), 0);
    assert_int_equal(recheck_decide(v, 3, 0, OUTCOME_DOWN, OUTCOME_SLOW,
                                    PROBE_SCHEDULED, 10000, W, ask), 0);
    assert_int_equal(recheck_decide(v, 3, 0, 0, OUTCOME_UP,
                                    PROBE_SCHEDULED, 10000, W, ask), 0);
    /* A re-check's own result never asks again (no ping-pong). */
    assert_int_equal(recheck_decide(v, 3, 0, OUTCOME_UP, OUTCOME_DOWN,
                                    PROBE_RECHECK, 10000, W, ask), 0);
}

static void
test_recovery_asks_regions_still_down(void **state)
{
    struct recheck_region v[3];
    size_t ask[3];

    (void)state;
    three(v, OUTCOME_UP, OUTCOME_DOWN, OUTCOME_UP);
    assert_int_equal(recheck_decide(v, 3, 0, OUTCOME_DOWN, OUTCOME_UP,
                                    PROBE_SCHEDULED, 10000, W, ask),
                     1);
    assert_int_equal(ask[0], 1);
}

static void
test_stale_unassigned_and_rate_limited_left_out(void **state)
{
    struct recheck_region v[3];
    size_t ask[3];

    (void)state;
    three(v, OUTCOME_DOWN, OUTCOME_UP, OUTCOME_UP);
    v[1].fresh = 0;          /* stale or cut off: not waited for */
    v[2].last_request_ms = 9000; /* asked 1 s ago, window 4 s */
    assert_int_equal(recheck_decide(v, 3, 0, OUTCOME_UP, OUTCOME_DOWN,
                                    PROBE_SCHEDULED, 10000, W, ask), 0);
    assert_int_equal(recheck_decide(v, 3, 0, OUTCOME_UP, OUTCOME_DOWN,
                                    PROBE_SCHEDULED, 13000, W, ask), 1);
    v[2].assigned = 0;
    assert_int_equal(recheck_decide(v, 3, 0, OUTCOME_UP, OUTCOME_DOWN,
                                    PROBE_SCHEDULED, 13000, W, ask), 0);
}

static void
test_table_hands_out_once_and_expires(void **state)
{
    struct recheck *rc = recheck_new(2, 3);
    struct recheck_counts c;
    size_t got[4];

    (void)state;
    assert_non_null(rc);
    recheck_request(rc, 1, 2, 1000);
    recheck_request(rc, 0, 2, 1000);
    assert_int_equal(recheck_last_request(rc, 1, 2), 1000);
    assert_int_equal(recheck_take(rc, 1, 1500, 10000, got, 4), 0);
    assert_int_equal(recheck_take(rc, 2, 1500, 10000, got, 4), 2);
    assert_int_equal(got[0], 0);
    assert_int_equal(got[1], 1);
    assert_int_equal(recheck_take(rc, 2, 1600, 10000, got, 4), 0);
    recheck_request(rc, 1, 0, 2000);
    assert_int_equal(recheck_take(rc, 0, 20000, 10000, got, 4), 0);
    recheck_count_result(rc, 1, PROBE_CONFIRM);
    recheck_count_result(rc, 1, PROBE_RECHECK);
    recheck_count_result(rc, 1, PROBE_SCHEDULED);
    recheck_count_result(rc, 9, PROBE_CONFIRM); /* out of range: ignored */
    recheck_counts(rc, 1, &c);
    assert_int_equal(c.requested, 2);
    assert_int_equal(c.sent, 1);
    assert_int_equal(c.expired, 1);
    assert_int_equal(c.confirm_results, 1);
    assert_int_equal(c.recheck_results, 1);
    recheck_destroy(rc);
    recheck_destroy(NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_newly_failing_asks_the_others),
        cmocka_unit_test(test_no_news_no_request),
        cmocka_unit_test(test_recovery_asks_regions_still_down),
        cmocka_unit_test(test_stale_unassigned_and_rate_limited_left_out),
        cmocka_unit_test(test_table_hands_out_once_and_expires),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
