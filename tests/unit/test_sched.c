/*
 * test_sched.c - the scheduler: phases spread over the interval, plan
 * diffs, and a real loop run (HTTP checks against a closed loopback port)
 * showing removed checks stop, kept ones keep running, and closing leaves
 * no live handle.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "curl_uv.h"
#include "mem.h"
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
        uint64_t d = sched_first_delay("api-http", 10000, now);
        assert_true(d < 10000);
        /* The slot lands on the check's phase. */
        assert_int_equal((now + d) % 10000, sched_phase("api-http", 10000));
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

struct phase_ctx {
    uv_loop_t *loop;
    struct sched *s;
    struct curl_uv *cu;
    struct counts *n;
    int step;
};

static void
closed(void *arg)
{
    struct phase_ctx *p = arg;

    curl_uv_close(p->cu, NULL, NULL);
}

static void
on_step(uv_timer_t *t)
{
    struct phase_ctx *p = t->data;
    struct check plan[2];

    if (p->step == 0) {
        /* Both checks ran; now drop b, keep a, add c. */
        assert_true(p->n->a > 0);
        assert_true(p->n->b > 0);
        make_check(&plan[0], "a", "http://127.0.0.1:1/");
        make_check(&plan[1], "c", "http://127.0.0.1:1/");
        assert_int_equal(sched_apply_plan(p->s, plan, 2), 0);
        assert_int_equal(sched_count(p->s), 2);
        p->n->removed = 1;
        p->step = 1;
        return;
    }
    uv_timer_stop(t);
    uv_close((uv_handle_t *)t, NULL);
    sched_close(p->s, closed, p);
}

static void
test_loop_apply_and_close(void **state)
{
    uv_loop_t loop;
    struct probe_env env;
    struct counts n;
    struct phase_ctx p;
    struct check plan[2];
    uv_timer_t t;

    (void)state;
    memset(&n, 0, sizeof(n));
    curl_global_init(CURL_GLOBAL_DEFAULT);
    assert_int_equal(uv_loop_init(&loop), 0);
    memset(&env, 0, sizeof(env));
    env.loop = &loop;
    env.curl = curl_uv_new(&loop);
    assert_non_null(env.curl);
    memset(&p, 0, sizeof(p));
    p.loop = &loop;
    p.cu = env.curl;
    p.n = &n;
    p.s = sched_new(&env, on_result, &n);
    assert_non_null(p.s);
    make_check(&plan[0], "a", "http://127.0.0.1:1/");
    make_check(&plan[1], "b", "http://127.0.0.1:1/");
    assert_int_equal(sched_apply_plan(p.s, plan, 2), 0);
    /* The scheduler copied the plan: changing ours changes nothing. */
    plan[0].id[0] = 'z';
    uv_timer_init(&loop, &t);
    t.data = &p;
    uv_timer_start(&t, on_step, 700, 700);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_true(n.a > 1);
    assert_true(n.c > 0);
    assert_int_equal(n.b_after_removal, 0);
    /* Close loop, assert zero live handles. */
    assert_int_equal(uv_loop_close(&loop), 0);
    curl_global_cleanup();
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_phase_spread),
        cmocka_unit_test(test_first_delay),
        cmocka_unit_test(test_diff),
        cmocka_unit_test(test_loop_apply_and_close),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
