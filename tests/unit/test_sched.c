/*
 * test_sched.c - the scheduler: phases spread over the interval, plan
 * diffs, and a real loop run (HTTP checks against a closed loopback port),
 * driven step by step on what happened rather than on elapsed time,
 * showing removed checks stop, kept ones keep running, and closing leaves
 * no live handle.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "curl_uv.h"
#include "mem.h"
#include "ph_err.h"
#include "sched.h"

static void
test_phase_spread(void **state)
{
    enum { N = 10000, BUCKETS = 10, IV = 10000 };
    int counts[BUCKETS] = {0};
    char id[32];

    (void)state;
    for (int i = 0; i < N; i++) {
        uint32_t ph;
        snprintf(id, sizeof(id), "check-%d", i);
        ph = sched_phase(id, IV);
        assert_true(ph < IV);
        counts[ph / (IV / BUCKETS)]++;
        /* Same id, same phase: stable across restarts. */
        assert_int_equal(ph, sched_phase(id, IV));
    }
    for (int b = 0; b < BUCKETS; b++) {
        /* Uniform would be 1000 per bucket; allow a wide margin. */
        if (counts[b] < 700 || counts[b] > 1300) {
            fail_msg("bucket %d has %d of %d checks", b, counts[b], N);
        }
    }
}

static void
test_first_delay(void **state)
{
    (void)state;
    for (uint64_t now = 0; now < 50000; now += 777) {
        uint64_t d = sched_first_delay("api-http", 10000, 0, now);
        assert_true(d < 10000);
        /* The slot lands on the check's phase. */
        assert_int_equal((now + d) % 10000, sched_phase("api-http", 10000));
        /* A region's offset shifts it by exactly that much. */
        d = sched_first_delay("api-http", 10000, 3333, now);
        assert_true(d < 10000);
        assert_int_equal((now + d) % 10000,
                         (sched_phase("api-http", 10000) + 3333) % 10000);
    }
}

/* Staggering: n regions of a check take evenly spaced places in its
 * interval; one region (or a bad index) keeps the check's own phase. */
static void
test_region_offset(void **state)
{
    (void)state;
    assert_int_equal(check_region_offset(60000, 0, 3), 0);
    assert_int_equal(check_region_offset(60000, 1, 3), 20000);
    assert_int_equal(check_region_offset(60000, 2, 3), 40000);
    assert_int_equal(check_region_offset(60000, 0, 1), 0);
    assert_int_equal(check_region_offset(60000, 3, 3), 0);
    assert_int_equal(check_region_offset(86400000, 4, 5), 69120000);
    for (size_t n = 2; n <= 8; n++) {
        for (size_t i = 0; i < n; i++) {
            assert_true(check_region_offset(1000, i, n) < 1000);
        }
    }
}

static void
make_check(struct check *c, const char *id, const char *url)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->id, sizeof(c->id), "%s", id);
    c->type = CHECK_HTTP;
    c->interval_ms = 200;
    c->timeout_ms = 100;
    c->u.http.url = (char *)(uintptr_t)url;
}

static void
test_diff(void **state)
{
    struct check old[2], new_[3];
    int act[3];

    (void)state;
    make_check(&old[0], "a", "http://127.0.0.1:1/");
    make_check(&old[1], "b", "http://127.0.0.1:1/");
    make_check(&new_[0], "a", "http://127.0.0.1:1/");
    make_check(&new_[1], "b", "http://127.0.0.1:2/");
    make_check(&new_[2], "c", "http://127.0.0.1:1/");
    assert_int_equal(sched_diff(old, 2, new_, 3, act), 0);
    assert_int_equal(act[0], 0);
    assert_int_equal(act[1], 1);
    assert_int_equal(act[2], 2);
}

struct counts {
    int a, b, c;
    int b_after_removal;
    int removed;
    int a_at_change;
};

static void
on_result(const struct check_result *r, void *arg)
{
    struct counts *n = arg;

    if (strcmp(r->check_id, "a") == 0) {
        n->a++;
    } else if (strcmp(r->check_id, "b") == 0) {
        n->b++;
        if (n->removed) {
            n->b_after_removal++;
        }
    } else if (strcmp(r->check_id, "c") == 0) {
        n->c++;
    }
    assert_int_equal(r->outcome, OUTCOME_DOWN); /* port 1 refuses */
}

struct close_ctx {
    struct curl_uv *cu;
};

static void
closed(void *arg)
{
    struct close_ctx *p = arg;

    curl_uv_close(p->cu, NULL, NULL);
}

static int
both_ran(const struct counts *n)
{
    return n->a > 0 && n->b > 0;
}

static int
kept_and_added_ran(const struct counts *n)
{
    /* a ran twice more after the change (b, on the same interval, had
     * its chances), and the added c ran. */
    return n->a > n->a_at_change + 1 && n->c > 0;
}

/*
 * Runs the loop one step at a time until cond() holds: the test follows
 * what happened, not how long it took, so a loaded machine only makes it
 * slower. The scheduler keeps a timer armed while it has checks, so every
 * UV_RUN_ONCE returns. 30 s of wall time is a hang, not a slow machine.
 */
static void
run_until(uv_loop_t *loop, int (*cond)(const struct counts *),
          const struct counts *n, const char *what)
{
    uint64_t end;

    uv_update_time(loop);
    end = uv_now(loop) + 30000;
    while (!cond(n)) {
        if (uv_now(loop) > end) {
            fail_msg("no %s after 30 s (a=%d b=%d c=%d)", what, n->a, n->b,
                     n->c);
        }
        uv_run(loop, UV_RUN_ONCE);
    }
}

static void
test_loop_apply_and_close(void **state)
{
    uv_loop_t loop;
    struct probe_env env;
    struct counts n;
    struct close_ctx cc;
    struct sched *s;
    struct check plan[2];

    (void)state;
    memset(&n, 0, sizeof(n));
    curl_global_init(CURL_GLOBAL_DEFAULT);
    assert_int_equal(uv_loop_init(&loop), 0);
    memset(&env, 0, sizeof(env));
    env.loop = &loop;
    env.curl = curl_uv_new(&loop);
    assert_non_null(env.curl);
    cc.cu = env.curl;
    s = sched_new(&env, on_result, &n);
    assert_non_null(s);
    make_check(&plan[0], "a", "http://127.0.0.1:1/");
    make_check(&plan[1], "b", "http://127.0.0.1:1/");
    assert_int_equal(sched_apply_plan(s, plan, 2), 0);
    /* The scheduler copied the plan: changing ours changes nothing. */
    plan[0].id[0] = 'z';
    run_until(&loop, both_ran, &n, "result of both a and b");

    /* Drop b, keep a, add c. */
    make_check(&plan[0], "a", "http://127.0.0.1:1/");
    make_check(&plan[1], "c", "http://127.0.0.1:1/");
    assert_int_equal(sched_apply_plan(s, plan, 2), 0);
    assert_int_equal(sched_count(s), 2);
    n.removed = 1;
    n.a_at_change = n.a;
    run_until(&loop, kept_and_added_ran, &n, "run of a and c after the change");
    assert_int_equal(n.b_after_removal, 0);

    sched_close(s, closed, &cc);
    uv_run(&loop, UV_RUN_DEFAULT);
    /* Close loop, assert zero live handles. */
    assert_int_equal(uv_loop_close(&loop), 0);
    curl_global_cleanup();
}

/* A large plan, then another that keeps, changes, drops and adds
 * checks: the counts come out right (the running checks are found by id
 * through a hash table), re-checks find every id and no other, and a
 * run in flight when the scheduler closes leaves no handle behind. */
static void
test_large_plan_diff(void **state)
{
    enum { N = 3000 };
    uv_loop_t loop;
    struct probe_env env;
    struct counts n;
    struct close_ctx cc;
    struct sched *s;
    struct check *plan = calloc(N + N / 2, sizeof(*plan));
    char id[32];
    size_t m = 0;

    (void)state;
    assert_non_null(plan);
    memset(&n, 0, sizeof(n));
    curl_global_init(CURL_GLOBAL_DEFAULT);
    assert_int_equal(uv_loop_init(&loop), 0);
    memset(&env, 0, sizeof(env));
    env.loop = &loop;
    env.curl = curl_uv_new(&loop);
    assert_non_null(env.curl);
    cc.cu = env.curl;
    s = sched_new(&env, on_result, &n);
    assert_non_null(s);
    for (size_t i = 0; i < N; i++) {
        snprintf(id, sizeof(id), "chk-%zu", i);
        make_check(&plan[i], id, "http://127.0.0.1:1/");
        plan[i].interval_ms = 3600000; /* no run comes by itself */
    }
    assert_int_equal(sched_apply_plan(s, plan, N), 0);
    assert_int_equal(sched_count(s), N);
    /* Keep the even ones, change every third of those, drop the odd
     * ones, add N / 2 new ones. */
    for (size_t i = 0; i < N; i += 2) {
        snprintf(id, sizeof(id), "chk-%zu", i);
        make_check(&plan[m], id,
                   i % 3 == 0 ? "http://127.0.0.1:2/" : "http://127.0.0.1:1/");
        plan[m++].interval_ms = 3600000;
    }
    for (size_t i = 0; i < N / 2; i++) {
        snprintf(id, sizeof(id), "new-%zu", i);
        make_check(&plan[m], id, "http://127.0.0.1:1/");
        plan[m++].interval_ms = 3600000;
    }
    assert_int_equal(sched_apply_plan(s, plan, m), 0);
    assert_int_equal(sched_count(s), m);
    assert_int_equal(sched_recheck(s, "chk-0"), 0);
    assert_int_equal(sched_recheck(s, "chk-2"), 0);
    assert_int_equal(sched_recheck(s, "new-7"), 0);
    assert_int_equal(sched_recheck(s, "chk-1"), PH_ENOENT);
    assert_int_equal(sched_recheck(s, "new-99999"), PH_ENOENT);
    /* Drop a check whose run is in flight (chk-2's re-check). */
    assert_int_equal(sched_apply_plan(s, plan, 1), 0);
    assert_int_equal(sched_count(s), 1);
    assert_int_equal(sched_recheck(s, "chk-2"), PH_ENOENT);
    sched_close(s, closed, &cc);
    uv_run(&loop, UV_RUN_DEFAULT);
    /* Close loop, assert zero live handles. */
    assert_int_equal(uv_loop_close(&loop), 0);
    curl_global_cleanup();
    free(plan);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_phase_spread),
        cmocka_unit_test(test_first_delay),
        cmocka_unit_test(test_region_offset),
        cmocka_unit_test(test_diff),
        cmocka_unit_test(test_loop_apply_and_close),
        cmocka_unit_test(test_large_plan_diff),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
