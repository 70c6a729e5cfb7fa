/*
 * test_engine_table.c - state engine scenarios, table-driven:
 * each scenario is a list of steps (results from regions, clock moves,
 * precedence changes) with the expected component status after each.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "engine.h"
#include "ph_err.h"

#define T0 1764028800000LL /* 2025-11-25T00:00:00Z */
#define IV 10000           /* check interval, ms */
#define TO 2000            /* check timeout, ms */

enum op {
    END = 0,
    RES,      /* region r reports outcome o for check k at the clock */
    TICK,     /* advance the clock by ms, then tick */
    MAINT,    /* maintenance on component c: o = 1/0 */
    OVERRIDE, /* manual override to status s, expiring after ms (0 none) */
    CLEAR,    /* clear the override */
    ALERT,    /* alert status s */
};

struct step {
    enum op op;
    int k;           /* check */
    int r;           /* region, or -1 for all regions */
    enum outcome o;
    int64_t ms;
    enum comp_status expect;   /* after the step's tick */
    int expect_unknown;        /* 1 when the check must be UNKNOWN */
};

struct scenario {
    const char *name;
    uint32_t quorum;
    uint32_t quorum_pct;
    enum check_minority minority;
    enum check_impact impact;
    struct step steps[32];
};

struct rec {
    int n;
    struct engine_transition last;
};

static void
on_transition(const struct engine_transition *t, void *arg)
{
    struct rec *rec = arg;

    rec->n++;
    rec->last = *t;
}

static struct engine *
make_engine(const struct scenario *sc)
{
    static const struct engine_region_conf regions[] = {
        {"eu-west"}, {"us-east"}, {"ap-south"}};
    static const struct engine_component_conf comps[] = {{.id = "api"}};
    struct engine_check_conf check;
    struct engine_conf conf = {0};

    memset(&check, 0, sizeof(check));
    check.id = "api-http";
    check.component = 0;
    check.interval_ms = IV;
    check.timeout_ms = TO;
    check.fail_after = 2;
    check.recover_after = 2;
    check.quorum = sc->quorum;
    check.quorum_pct = sc->quorum_pct;
    check.minority = sc->minority;
    check.impact = sc->impact;
    conf.regions = regions;
    conf.nregions = 3;
    conf.components = comps;
    conf.ncomponents = 1;
    conf.checks = &check;
    conf.nchecks = 1;
    return engine_new(&conf, T0);
}

static void
feed(struct engine *e, int region, enum outcome o, int64_t now)
{
    struct check_result r;

    memset(&r, 0, sizeof(r));
    snprintf(r.check_id, sizeof(r.check_id), "api-http");
    r.started_at_ms = now;
    r.outcome = o;
    r.latency_ms = 42;
    if (o == OUTCOME_DOWN) {
        snprintf(r.error, sizeof(r.error), "connect: connection refused");
    }
    assert_int_equal(engine_result(e, 0, region, &r), 0);
}

static void
run_scenario(const struct scenario *sc)
{
    struct engine *e = make_engine(sc);
    struct rec rec;
    int64_t now = T0;

    assert_non_null(e);
    memset(&rec, 0, sizeof(rec));
    for (int i = 0; sc->steps[i].op != END; i++) {
        const struct step *s = &sc->steps[i];
        enum comp_status got;

        switch (s->op) {
        case RES:
            now += 1000;
            if (s->r < 0) {
                for (int r = 0; r < 3; r++) {
                    feed(e, r, s->o, now);
                }
            } else {
                feed(e, s->r, s->o, now);
            }
            break;
        case TICK:
            now += s->ms;
            break;
        case MAINT:
            engine_set_maintenance(e, 0, (int)s->o);
            break;
        case OVERRIDE:
            engine_set_override(e, 0, s->expect, s->ms ? now + s->ms : 0);
            break;
        case CLEAR:
            engine_clear_override(e, 0);
            break;
        case ALERT:
            engine_set_alert(e, 0, (enum comp_status)s->k);
            break;
        case END:
            break;
        }
        engine_tick(e, now, on_transition, &rec);
        got = engine_component_status(e, 0);
        if (got != s->expect) {
            fail_msg("%s step %d: status %s, expected %s", sc->name, i,
                     comp_status_name(got), comp_status_name(s->expect));
        }
        if ((engine_check_verdict(e, 0) == VERDICT_UNKNOWN) !=
            s->expect_unknown) {
            fail_msg("%s step %d: verdict %s, expected unknown=%d", sc->name,
                     i, verdict_name(engine_check_verdict(e, 0)),
                     s->expect_unknown);
        }
    }
    engine_destroy(e);
}

#define OK COMP_OPERATIONAL
#define DEG COMP_DEGRADED
#define PART COMP_PARTIAL
#define MAJ COMP_MAJOR
#define MNT COMP_MAINTENANCE
#define UP OUTCOME_UP
#define DOWN OUTCOME_DOWN
#define SLOW OUTCOME_SLOW

/* All three regions healthy first (two results each to reach UP). */
#define HEALTHY                                                             \
    {RES, 0, -1, UP, 0, OK, 1}, {RES, 0, -1, UP, 0, OK, 0}

static const struct scenario scenarios[] = {
    {"one region of three down: no outage", 0, 0, 0, 0,
     {HEALTHY, {RES, 0, 0, DOWN, 0, OK, 0}, {RES, 0, 0, DOWN, 0, OK, 0},
      {RES, 0, 0, DOWN, 0, OK, 0}}},
    {"two of three down: partial outage", 0, 0, 0, 0,
     {HEALTHY, {RES, 0, 0, DOWN, 0, OK, 0}, {RES, 0, 1, DOWN, 0, OK, 0},
      {RES, 0, 0, DOWN, 0, OK, 0}, {RES, 0, 1, DOWN, 0, PART, 0}}},
    {"all down: major outage", 0, 0, 0, 0,
     {HEALTHY, {RES, 0, -1, DOWN, 0, OK, 0}, {RES, 0, -1, DOWN, 0, MAJ, 0}}},
    {"flapping target: hysteresis holds", 0, 0, 0, 0,
     {HEALTHY, {RES, 0, -1, DOWN, 0, OK, 0}, {RES, 0, -1, UP, 0, OK, 0},
      {RES, 0, -1, DOWN, 0, OK, 0}, {RES, 0, -1, UP, 0, OK, 0},
      {RES, 0, -1, DOWN, 0, OK, 0}, {RES, 0, -1, UP, 0, OK, 0}}},
    {"recovery needs recover_after ups", 0, 0, 0, 0,
     {HEALTHY, {RES, 0, -1, DOWN, 0, OK, 0}, {RES, 0, -1, DOWN, 0, MAJ, 0},
      {RES, 0, -1, UP, 0, MAJ, 0}, {RES, 0, -1, UP, 0, OK, 0}}},
    {"slow in all regions: degraded", 0, 0, 0, 0,
     {HEALTHY, {RES, 0, -1, SLOW, 0, OK, 0}, {RES, 0, -1, SLOW, 0, DEG, 0},
      {RES, 0, -1, UP, 0, DEG, 0}, {RES, 0, -1, UP, 0, OK, 0}}},
    {"agent death: stale region excluded, then unknown keeps status", 0, 0,
     0, 0,
     {HEALTHY, {RES, 0, -1, DOWN, 0, OK, 0}, {RES, 0, -1, DOWN, 0, MAJ, 0},
      /* Region 2 goes silent; 0 and 1 keep reporting down. After
       * 3 x interval + timeout region 2 is stale; 2 of 2 fresh are down:
       * still major (d == |F|). */
      {TICK, 0, 0, 0, 20000, MAJ, 0}, {RES, 0, 0, DOWN, 0, MAJ, 0},
      {RES, 0, 1, DOWN, 0, MAJ, 0}, {TICK, 0, 0, 0, 15000, MAJ, 0},
      {RES, 0, 0, DOWN, 0, MAJ, 0}, {RES, 0, 1, DOWN, 0, MAJ, 0},
      /* Region 1 dies too: 1 fresh < quorum 2 -> UNKNOWN, status kept. */
      {TICK, 0, 0, 0, 20000, MAJ, 0}, {RES, 0, 0, DOWN, 0, MAJ, 0},
      {TICK, 0, 0, 0, 20000, MAJ, 1}, {RES, 0, 0, UP, 0, MAJ, 1},
      {RES, 0, 0, UP, 0, MAJ, 1}}},
    {"quorum 1: one region down is an outage", 1, 0, 0, 0,
     {HEALTHY, {RES, 0, 0, DOWN, 0, OK, 0}, {RES, 0, 0, DOWN, 0, PART, 0}}},
    {"quorum 100%: two of three down is only a note", 0, 100, 0, 0,
     {HEALTHY, {RES, 0, 0, DOWN, 0, OK, 0}, {RES, 0, 1, DOWN, 0, OK, 0},
      {RES, 0, 0, DOWN, 0, OK, 0}, {RES, 0, 1, DOWN, 0, OK, 0},
      {RES, 0, 2, DOWN, 0, OK, 0}, {RES, 0, 2, DOWN, 0, MAJ, 0}}},
    {"minority: degraded", 0, 0, MINORITY_DEGRADED, 0,
     {HEALTHY, {RES, 0, 0, DOWN, 0, OK, 0}, {RES, 0, 0, DOWN, 0, DEG, 0}}},
    {"impact: partial caps a full outage", 0, 0, 0, IMPACT_PARTIAL,
     {HEALTHY, {RES, 0, -1, DOWN, 0, OK, 0}, {RES, 0, -1, DOWN, 0, PART, 0}}},
    {"maintenance during an outage", 0, 0, 0, 0,
     {HEALTHY, {RES, 0, -1, DOWN, 0, OK, 0}, {RES, 0, -1, DOWN, 0, MAJ, 0},
      {MAINT, 0, 0, 1, 0, MNT, 0}, {RES, 0, -1, DOWN, 0, MNT, 0},
      {MAINT, 0, 0, 0, 0, MAJ, 0}}},
    {"manual override and its expiry", 0, 0, 0, 0,
     {HEALTHY, {OVERRIDE, 0, 0, 0, 60000, DEG, 0},
      {TICK, 0, 0, 0, 30000, DEG, 0}, {RES, 0, -1, UP, 0, DEG, 0},
      {TICK, 0, 0, 0, 31000, OK, 0}}},
    {"override cleared by hand", 0, 0, 0, 0,
     {HEALTHY, {OVERRIDE, 0, 0, 0, 0, MAJ, 0}, {RES, 0, -1, UP, 0, MAJ, 0},
      {CLEAR, 0, 0, 0, 0, OK, 0}}},
    {"alert worse than probe, then cleared", 0, 0, 0, 0,
     {HEALTHY, {ALERT, COMP_PARTIAL, 0, 0, 0, PART, 0},
      {RES, 0, -1, UP, 0, PART, 0}, {ALERT, COMP_OPERATIONAL, 0, 0, 0, OK, 0}}},
};

static void
test_scenarios(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
        run_scenario(&scenarios[i]);
    }
}

static void
test_transition_reason_and_region_info(void **state)
{
    struct scenario sc;
    struct engine *e;
    struct rec rec;
    struct engine_region_info ri;
    int64_t now = T0;

    (void)state;
    memset(&sc, 0, sizeof(sc));
    e = make_engine(&sc);
    memset(&rec, 0, sizeof(rec));
    for (int i = 0; i < 2; i++) {
        now += 1000;
        feed(e, 0, DOWN, now);
        feed(e, 1, DOWN, now);
        feed(e, 2, UP, now);
        engine_tick(e, now, on_transition, &rec);
    }
    assert_int_equal(rec.n, 1);
    assert_int_equal(rec.last.new_status, COMP_PARTIAL);
    assert_int_equal(rec.last.old_status, COMP_OPERATIONAL);
    assert_int_equal(rec.last.source, SOURCE_PROBE);
    assert_non_null(strstr(rec.last.reason, "api-http down in eu-west, us-east since"));
    assert_null(strstr(rec.last.reason, "ap-south"));
    assert_int_equal(engine_region_info(e, 0, 0, &ri), 0);
    assert_int_equal(ri.state, RSTATE_DOWN);
    assert_string_equal(ri.last_error, "connect: connection refused");
    assert_int_equal(ri.last_latency_ms, 42);
    assert_int_equal(engine_region_info(e, 0, 2, &ri), 0);
    assert_int_equal(ri.state, RSTATE_UP);
    /* A tick with no change reports nothing. */
    engine_tick(e, now, on_transition, &rec);
    assert_int_equal(rec.n, 1);
    engine_destroy(e);
}

static void
test_out_of_order_results_ignored(void **state)
{
    struct scenario sc;
    struct engine *e;
    struct engine_region_info ri;

    (void)state;
    memset(&sc, 0, sizeof(sc));
    e = make_engine(&sc);
    feed(e, 0, UP, T0 + 5000);
    feed(e, 0, UP, T0 + 6000);
    feed(e, 0, DOWN, T0 + 1000); /* older: ignored */
    feed(e, 0, DOWN, T0 + 2000);
    assert_int_equal(engine_region_info(e, 0, 0, &ri), 0);
    assert_int_equal(ri.state, RSTATE_UP);
    assert_int_equal(ri.last_at_ms, T0 + 6000);
    engine_destroy(e);
}

static void
test_quorum_lost_metric_and_bad_input(void **state)
{
    struct scenario sc;
    struct engine *e;
    struct check_result r;

    (void)state;
    memset(&sc, 0, sizeof(sc));
    e = make_engine(&sc);
    engine_tick(e, T0, NULL, NULL);
    assert_int_equal(engine_quorum_lost(e), 1); /* no data yet */
    memset(&r, 0, sizeof(r));
    r.outcome = OUTCOME_UP;
    assert_int_equal(engine_result(e, 5, 0, &r), PH_EINVAL);
    assert_int_equal(engine_result(e, 0, 9, &r), PH_EINVAL);
    assert_int_equal(comp_status_parse("partial_outage"), COMP_PARTIAL);
    assert_int_equal(comp_status_parse("bogus"), -1);
    engine_destroy(e);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scenarios),
        cmocka_unit_test(test_transition_reason_and_region_info),
        cmocka_unit_test(test_out_of_order_results_ignored),
        cmocka_unit_test(test_quorum_lost_metric_and_bad_input),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
