/*
 * test_engine.c - the state engine with a simulated clock, table-driven:
 * each scenario is a list of steps (results from regions, clock moves,
 * precedence changes) with the expected component status after each
 * step's tick. The runner also asserts that a transition is reported
 * exactly when the status changes, with the expected source.
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
#include "utf8.h"

#define T0 1764028800000LL /* 2025-11-25T00:00:00Z */
#define IV 10000           /* check interval, ms */
#define TO 2000            /* check timeout, ms: stale after 32 s */

enum op {
    END = 0,
    RES,      /* region r (-1: all) reports outcome o, clock +1 s first */
    TICK,     /* advance the clock by ms, then tick */
    MAINT,    /* maintenance on component 0: on = 1/0 */
    OVERRIDE, /* manual override to status st, expiring after ms (0 none) */
    CLEAR,    /* clear the override */
    ALERT,    /* alert status st */
};

struct step {
    enum op op;
    int r;
    enum outcome o;
    int64_t ms;
    int on;
    enum comp_status st;
    enum comp_status expect;   /* component status after the tick */
    int unknown;               /* 1 when the check must be UNKNOWN */
    enum status_source src;    /* source of the transition, if any */
    int verdict;               /* 1 + expected verdict; 0 = not checked */
};

struct scenario {
    const char *name;
    uint32_t quorum;
    uint32_t quorum_pct;
    enum check_minority minority;
    enum check_impact impact;
    uint32_t fail_after;
    struct step steps[40];
};

struct rec {
    int n;
    struct engine_transition last;
};

#define OK COMP_OPERATIONAL
#define DEG COMP_DEGRADED
#define PART COMP_PARTIAL
#define MAJ COMP_MAJOR
#define MNT COMP_MAINTENANCE
#define UP OUTCOME_UP
#define DOWN OUTCOME_DOWN
#define SLOW OUTCOME_SLOW
#define ALL (-1)

#define R(reg, out, exp) {.op = RES, .r = (reg), .o = (out), .expect = (exp)}
#define RU(reg, out, exp)                                                   \
    {.op = RES, .r = (reg), .o = (out), .expect = (exp), .unknown = 1}
#define RV(reg, out, exp, v)                                                \
    {.op = RES, .r = (reg), .o = (out), .expect = (exp), .verdict = 1 + (v)}
#define T(dt, exp) {.op = TICK, .ms = (dt), .expect = (exp)}
#define TU(dt, exp) {.op = TICK, .ms = (dt), .expect = (exp), .unknown = 1}
#define MAINT_(on_, exp, s)                                                 \
    {.op = MAINT, .on = (on_), .expect = (exp), .src = (s)}
#define OVR(status, dt, exp)                                                \
    {.op = OVERRIDE, .st = (status), .ms = (dt), .expect = (exp),          \
     .src = SOURCE_MANUAL}
#define CLR(exp) {.op = CLEAR, .expect = (exp)}
#define ALRT(status, exp, s)                                                \
    {.op = ALERT, .st = (status), .expect = (exp), .src = (s)}

/* All three regions healthy: two results each to reach UP. */
#define HEALTHY RU(ALL, UP, OK), RV(ALL, UP, OK, VERDICT_UP)

static const struct scenario scenarios[] = {
    {"one region of three down: no outage", 0, 0, 0, 0, 0,
     {HEALTHY, R(0, DOWN, OK), RV(0, DOWN, OK, VERDICT_UP),
      RV(0, DOWN, OK, VERDICT_UP)}},
    {"two of three down: partial outage", 0, 0, 0, 0, 0,
     {HEALTHY, R(0, DOWN, OK), R(1, DOWN, OK), R(0, DOWN, OK),
      RV(1, DOWN, PART, VERDICT_DOWN_PARTIAL)}},
    {"all down: major outage", 0, 0, 0, 0, 0,
     {HEALTHY, R(ALL, DOWN, OK), RV(ALL, DOWN, MAJ, VERDICT_DOWN_MAJOR)}},
    {"flapping target: hysteresis holds, no transition", 0, 0, 0, 0, 0,
     {HEALTHY, R(ALL, DOWN, OK), R(ALL, UP, OK), R(ALL, DOWN, OK),
      R(ALL, UP, OK), R(ALL, DOWN, OK), RV(ALL, UP, OK, VERDICT_UP)}},
    {"recovery needs recover_after ups", 0, 0, 0, 0, 0,
     {HEALTHY, R(ALL, DOWN, OK), R(ALL, DOWN, MAJ), R(ALL, UP, MAJ),
      R(ALL, UP, OK), R(ALL, UP, OK)}},
    {"slow in all regions: degraded, then recovery", 0, 0, 0, 0, 0,
     {HEALTHY, R(ALL, SLOW, OK), RV(ALL, SLOW, DEG, VERDICT_DEGRADED),
      R(ALL, UP, DEG), R(ALL, UP, OK)}},
    {"down and slow mixed count as slow-or-worse", 0, 0, 0, 0, 0,
     {HEALTHY, R(ALL, DOWN, OK), R(ALL, SLOW, DEG), R(ALL, DOWN, DEG),
      R(ALL, SLOW, DEG)}},
    {"leaving DOWN for DEGRADED takes recover_after results", 0, 0, 0, 0, 0,
     {HEALTHY, R(ALL, DOWN, OK), R(ALL, DOWN, MAJ), R(ALL, SLOW, MAJ),
      R(ALL, SLOW, DEG), R(ALL, DOWN, DEG), R(ALL, DOWN, MAJ)}},
    {"fail_after 3", 0, 0, 0, 0, 3,
     {HEALTHY, R(ALL, DOWN, OK), R(ALL, DOWN, OK), R(ALL, DOWN, MAJ)}},
    {"one down plus one slow of three: degraded", 0, 0, 0, 0, 0,
     {HEALTHY, R(0, DOWN, OK), R(1, SLOW, OK), R(0, DOWN, OK),
      RV(1, SLOW, DEG, VERDICT_DEGRADED)}},
    {"first results from NODATA", 0, 0, 0, 0, 0,
     {RU(ALL, DOWN, OK), RV(ALL, DOWN, MAJ, VERDICT_DOWN_MAJOR)}},
    {"agent death: stale region excluded, then unknown keeps status", 0, 0,
     0, 0, 0,
     {HEALTHY, R(ALL, DOWN, OK), R(ALL, DOWN, MAJ),
      /* Region 2 goes silent; 0 and 1 keep reporting down. After
       * 3 x interval + timeout region 2 is stale; 2 of 2 fresh are down:
       * still major (d == |F|). */
      T(20000, MAJ), R(0, DOWN, MAJ), R(1, DOWN, MAJ), T(15000, MAJ),
      RV(0, DOWN, MAJ, VERDICT_DOWN_MAJOR), R(1, DOWN, MAJ),
      /* Region 1 dies too: 1 fresh < quorum 2 -> UNKNOWN, status kept. */
      T(20000, MAJ), R(0, DOWN, MAJ), TU(20000, MAJ), RU(0, UP, MAJ),
      RU(0, UP, MAJ),
      /* Region 1 comes back: its counters restart from zero. */
      RU(1, UP, MAJ), RV(1, UP, OK, VERDICT_UP)}},
    {"agents die while healthy: no outage", 0, 0, 0, 0, 0,
     {HEALTHY, T(31000, OK), TU(2000, OK), TU(600000, OK)}},
    {"quorum 1: one region down is an outage", 1, 0, 0, 0, 0,
     {HEALTHY, R(0, DOWN, OK), RV(0, DOWN, PART, VERDICT_DOWN_PARTIAL)}},
    {"quorum 3 (integer): two of three is only a note", 3, 0, 0, 0, 0,
     {HEALTHY, R(0, DOWN, OK), R(1, DOWN, OK), R(0, DOWN, OK),
      RV(1, DOWN, OK, VERDICT_UP), R(2, DOWN, OK),
      RV(2, DOWN, MAJ, VERDICT_DOWN_MAJOR)}},
    {"quorum 100%: two of three down is only a note", 0, 100, 0, 0, 0,
     {HEALTHY, R(0, DOWN, OK), R(1, DOWN, OK), R(0, DOWN, OK),
      R(1, DOWN, OK), R(2, DOWN, OK), R(2, DOWN, MAJ)}},
    {"quorum 33% of 3 rounds up to 1", 0, 33, 0, 0, 0,
     {HEALTHY, R(0, DOWN, OK), R(0, DOWN, PART)}},
    {"quorum 34% of 3 rounds up to 2", 0, 34, 0, 0, 0,
     {HEALTHY, R(0, DOWN, OK), R(0, DOWN, OK), R(1, DOWN, OK),
      R(1, DOWN, PART)}},
    {"quorum 100%: one stale region means unknown", 0, 100, 0, 0, 0,
     {HEALTHY, T(20000, OK), R(0, UP, OK), R(1, UP, OK), TU(13000, OK)}},
    {"minority: degraded", 0, 0, MINORITY_DEGRADED, 0, 0,
     {HEALTHY, R(0, DOWN, OK), RV(0, DOWN, DEG, VERDICT_DEGRADED),
      R(0, UP, DEG), R(0, UP, OK)}},
    {"impact: partial caps a full outage", 0, 0, 0, IMPACT_PARTIAL, 0,
     {HEALTHY, R(ALL, DOWN, OK), RV(ALL, DOWN, PART, VERDICT_DOWN_MAJOR)}},
    {"maintenance during an outage", 0, 0, 0, 0, 0,
     {HEALTHY, R(ALL, DOWN, OK), R(ALL, DOWN, MAJ),
      MAINT_(1, MNT, SOURCE_MAINTENANCE), R(ALL, DOWN, MNT),
      R(ALL, UP, MNT), R(ALL, DOWN, MNT), R(ALL, DOWN, MNT),
      MAINT_(0, MAJ, SOURCE_PROBE)}},
    {"maintenance beats a manual override", 0, 0, 0, 0, 0,
     {HEALTHY, OVR(PART, 0, PART), MAINT_(1, MNT, SOURCE_MAINTENANCE),
      MAINT_(0, PART, SOURCE_MANUAL)}},
    {"manual override and its expiry", 0, 0, 0, 0, 0,
     {HEALTHY, OVR(DEG, 60000, DEG), T(30000, DEG), R(ALL, UP, DEG),
      T(28999, DEG), T(1, OK)}},
    {"manual override hides an outage until cleared", 0, 0, 0, 0, 0,
     {HEALTHY, OVR(OK, 0, OK), R(ALL, DOWN, OK), R(ALL, DOWN, OK),
      T(20000, OK), CLR(MAJ)}},
    {"override cleared by hand", 0, 0, 0, 0, 0,
     {HEALTHY, OVR(MAJ, 0, MAJ), R(ALL, UP, MAJ), CLR(OK)}},
    {"alert worse than probe, then cleared", 0, 0, 0, 0, 0,
     {HEALTHY, ALRT(PART, PART, SOURCE_ALERT), R(ALL, UP, PART),
      ALRT(OK, OK, SOURCE_PROBE)}},
    {"alert equal to probe: the source stays probe", 0, 0, 0, 0, 0,
     {HEALTHY, R(ALL, SLOW, OK), R(ALL, SLOW, DEG),
      ALRT(DEG, DEG, SOURCE_PROBE), MAINT_(1, MNT, SOURCE_MAINTENANCE),
      MAINT_(0, DEG, SOURCE_PROBE)}},
    {"alert not worse than probe: probe wins", 0, 0, 0, 0, 0,
     {HEALTHY, ALRT(DEG, DEG, SOURCE_ALERT), R(ALL, DOWN, DEG),
      R(ALL, DOWN, MAJ), R(ALL, UP, MAJ),
      /* Probe back to operational: the alert is now the worse one. */
      {.op = RES, .r = ALL, .o = UP, .expect = DEG, .src = SOURCE_ALERT},
      ALRT(OK, OK, SOURCE_PROBE)}},
};

static void
on_transition(const struct engine_transition *t, void *arg)
{
    struct rec *rec = arg;

    rec->n++;
    rec->last = *t;
}

static const struct engine_region_conf regions3[] = {
    {"eu-west"}, {"us-east"}, {"ap-south"}};
static const struct engine_component_conf comps1[] = {{.id = "api"}};

static void
base_check(struct engine_check_conf *k, const char *id, int component)
{
    memset(k, 0, sizeof(*k));
    k->id = id;
    k->component = component;
    k->interval_ms = IV;
    k->timeout_ms = TO;
}

static struct engine *
make_engine(const struct scenario *sc)
{
    struct engine_check_conf check;
    struct engine_conf conf = {0};

    base_check(&check, "api-http", 0);
    check.fail_after = sc->fail_after;
    check.quorum = sc->quorum;
    check.quorum_pct = sc->quorum_pct;
    check.minority = sc->minority;
    check.impact = sc->impact;
    conf.regions = regions3;
    conf.nregions = 3;
    conf.components = comps1;
    conf.ncomponents = 1;
    conf.checks = &check;
    conf.nchecks = 1;
    return engine_new(&conf, T0);
}

static void
feed(struct engine *e, int check, int region, enum outcome o, int64_t now)
{
    struct check_result r;

    memset(&r, 0, sizeof(r));
    r.started_at_ms = now;
    r.outcome = o;
    r.latency_ms = o == OUTCOME_SLOW ? 2500 : 42;
    if (o == OUTCOME_DOWN) {
        snprintf(r.error, sizeof(r.error), "connect: connection refused");
    }
    assert_int_equal(engine_result(e, check, region, &r), 0);
}

static void
apply_step(struct engine *e, const struct step *s, int64_t *now)
{
    switch (s->op) {
    case RES:
        *now += 1000;
        if (s->r == ALL) {
            for (int r = 0; r < 3; r++) {
                feed(e, 0, r, s->o, *now);
            }
        } else {
            feed(e, 0, s->r, s->o, *now);
        }
        break;
    case TICK:
        *now += s->ms;
        break;
    case MAINT:
        engine_set_maintenance(e, 0, s->on);
        break;
    case OVERRIDE:
        engine_set_override(e, 0, s->st, s->ms ? *now + s->ms : 0);
        break;
    case CLEAR:
        engine_clear_override(e, 0);
        break;
    case ALERT:
        engine_set_alert(e, 0, s->st);
        break;
    case END:
        break;
    }
}

static void
run_scenario(const struct scenario *sc)
{
    struct engine *e = make_engine(sc);
    enum comp_status prev = COMP_OPERATIONAL;
    struct rec rec;
    int64_t now = T0;

    assert_non_null(e);
    memset(&rec, 0, sizeof(rec));
    for (int i = 0; sc->steps[i].op != END; i++) {
        const struct step *s = &sc->steps[i];
        enum verdict v;
        int before = rec.n;
        enum comp_status got;

        apply_step(e, s, &now);
        engine_tick(e, now, on_transition, &rec);
        got = engine_component_status(e, 0);
        v = engine_check_verdict(e, 0);
        if (got != s->expect) {
            fail_msg("%s step %d: status %s, expected %s", sc->name, i,
                     comp_status_name(got), comp_status_name(s->expect));
        }
        if ((v == VERDICT_UNKNOWN) != s->unknown ||
            engine_component_unknown(e, 0) != s->unknown ||
            engine_quorum_lost(e) != (size_t)s->unknown) {
            fail_msg("%s step %d: verdict %s, expected unknown=%d", sc->name,
                     i, verdict_name(v), s->unknown);
        }
        if (s->verdict != 0 && (int)v != s->verdict - 1) {
            fail_msg("%s step %d: verdict %s, expected %s", sc->name, i,
                     verdict_name(v),
                     verdict_name((enum verdict)(s->verdict - 1)));
        }
        if (rec.n - before != (got != prev ? 1 : 0)) {
            fail_msg("%s step %d: %d transitions for %s -> %s", sc->name, i,
                     rec.n - before, comp_status_name(prev),
                     comp_status_name(got));
        }
        if (got != prev &&
            (rec.last.old_status != prev || rec.last.new_status != got ||
             rec.last.source != s->src || rec.last.at_ms != now ||
             rec.last.component != 0)) {
            fail_msg("%s step %d: transition %s -> %s source %s, expected "
                     "%s -> %s source %s",
                     sc->name, i, comp_status_name(rec.last.old_status),
                     comp_status_name(rec.last.new_status),
                     status_source_name(rec.last.source),
                     comp_status_name(prev), comp_status_name(got),
                     status_source_name(s->src));
        }
        prev = got;
    }
    engine_destroy(e);
}

static void
test_scenarios(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
        run_scenario(&scenarios[i]);
    }
}

/* Two checks on one component, for reasons and the UNKNOWN rule. */
static struct engine *
make_two_checks(int tcp_only_ap_south)
{
    static const int ap_south[] = {2};
    struct engine_check_conf checks[2];
    struct engine_conf conf = {0};

    base_check(&checks[0], "api-http", 0);
    base_check(&checks[1], "api-tcp", 0);
    if (tcp_only_ap_south) {
        checks[1].regions = ap_south;
        checks[1].nregions = 1;
    }
    conf.regions = regions3;
    conf.nregions = 3;
    conf.components = comps1;
    conf.ncomponents = 1;
    conf.checks = checks;
    conf.nchecks = 2;
    return engine_new(&conf, T0);
}

static void
test_reason_and_region_info(void **state)
{
    struct engine *e = make_two_checks(0);
    struct engine_region_info ri;
    struct rec rec;
    int64_t now = T0;

    (void)state;
    assert_non_null(e);
    memset(&rec, 0, sizeof(rec));
    for (int i = 0; i < 2; i++) {
        now += 1000;
        for (int r = 0; r < 3; r++) {
            feed(e, 0, r, UP, now);
            feed(e, 1, r, UP, now);
        }
        engine_tick(e, now, on_transition, &rec);
    }
    assert_int_equal(rec.n, 0);
    /* eu-west fails from +3 s (DOWN at +4 s), us-east from +4 s (DOWN at
     * +5 s): the reason gives the earliest time. */
    for (int i = 0; i < 3; i++) {
        now += 1000;
        feed(e, 0, 0, DOWN, now);
        feed(e, 0, 1, i == 0 ? UP : DOWN, now);
        feed(e, 0, 2, UP, now);
        engine_tick(e, now, on_transition, &rec);
        assert_int_equal(rec.n, i == 2 ? 1 : 0);
    }
    assert_int_equal(rec.last.new_status, COMP_PARTIAL);
    assert_int_equal(rec.last.old_status, COMP_OPERATIONAL);
    assert_int_equal(rec.last.source, SOURCE_PROBE);
    assert_int_equal(rec.last.at_ms, T0 + 5000);
    assert_string_equal(rec.last.reason,
                        "api-http down in eu-west, us-east since "
                        "2025-11-25T00:00:04Z; api-tcp up");
    assert_int_equal(engine_check_verdict(e, 0), VERDICT_DOWN_PARTIAL);
    assert_int_equal(engine_check_minority(e, 0), 0);

    assert_int_equal(engine_region_info(e, 0, 0, &ri), 0);
    assert_int_equal(ri.state, RSTATE_DOWN);
    assert_int_equal(ri.last_outcome, OUTCOME_DOWN);
    assert_int_equal(ri.last_at_ms, T0 + 5000);
    assert_int_equal(ri.since_ms, T0 + 4000);
    assert_int_equal(engine_region_info(e, 0, 1, &ri), 0);
    assert_int_equal(ri.state, RSTATE_DOWN);
    assert_int_equal(ri.since_ms, T0 + 5000);
    assert_int_equal(ri.last_latency_ms, 42);
    assert_string_equal(ri.last_error, "connect: connection refused");
    assert_int_equal(engine_region_info(e, 0, 2, &ri), 0);
    assert_int_equal(ri.state, RSTATE_UP);
    assert_int_equal(ri.since_ms, T0 + 2000);
    assert_string_equal(ri.last_error, "");
    /* A tick with no change reports nothing. */
    engine_tick(e, now, on_transition, &rec);
    assert_int_equal(rec.n, 1);

    /* us-east recovers: one region of three down is a regional note. */
    for (int i = 0; i < 2; i++) {
        now += 1000;
        feed(e, 0, 0, DOWN, now);
        feed(e, 0, 1, UP, now);
        engine_tick(e, now, on_transition, &rec);
    }
    assert_int_equal(rec.n, 2);
    assert_int_equal(rec.last.new_status, COMP_OPERATIONAL);
    assert_string_equal(rec.last.reason,
                        "api-http up (down in eu-west since "
                        "2025-11-25T00:00:04Z); api-tcp up");
    assert_int_equal(engine_check_verdict(e, 0), VERDICT_UP);
    assert_int_equal(engine_check_minority(e, 0), 1);
    assert_int_equal(engine_check_minority(e, 1), 0);
    assert_int_equal(engine_region_info(e, 0, 0, &ri), 0);
    assert_int_equal(ri.state, RSTATE_DOWN);
    assert_int_equal(engine_component_probe(e, 0), COMP_OPERATIONAL);

    /* Precedence layers carry fixed reasons. */
    engine_set_maintenance(e, 0, 1);
    engine_tick(e, now, on_transition, &rec);
    assert_int_equal(rec.n, 3);
    assert_string_equal(rec.last.reason, "maintenance");
    engine_set_maintenance(e, 0, 0);
    engine_set_override(e, 0, COMP_MAJOR, now + 5000);
    engine_tick(e, now, on_transition, &rec);
    assert_int_equal(rec.n, 4);
    assert_int_equal(rec.last.old_status, COMP_MAINTENANCE);
    assert_int_equal(rec.last.new_status, COMP_MAJOR);
    assert_string_equal(rec.last.reason, "manual override");
    engine_tick(e, now + 5000, on_transition, &rec);
    assert_int_equal(rec.n, 5);
    assert_int_equal(rec.last.new_status, COMP_OPERATIONAL);
    assert_int_equal(rec.last.source, SOURCE_PROBE);
    assert_string_equal(rec.last.reason,
                        "manual override expired; api-http up (down in "
                        "eu-west since 2025-11-25T00:00:04Z); api-tcp up");
    engine_set_alert(e, 0, COMP_DEGRADED);
    engine_tick(e, now + 5000, on_transition, &rec);
    assert_int_equal(rec.n, 6);
    assert_int_equal(rec.last.source, SOURCE_ALERT);
    assert_string_equal(rec.last.reason, "alert");
    engine_destroy(e);
}

/* While one check is UNKNOWN a known check may worsen the component but
 * not improve it. */
static void
test_unknown_check_rule(void **state)
{
    struct engine *e = make_two_checks(1);
    struct rec rec;
    int64_t now = T0;

    (void)state;
    assert_non_null(e);
    memset(&rec, 0, sizeof(rec));
    assert_int_equal(engine_check_has_region(e, 1, 2), 1);
    assert_int_equal(engine_check_has_region(e, 1, 0), 0);
    assert_int_equal(engine_check_has_region(e, 0, 0), 1);
    for (int i = 0; i < 2; i++) {
        now += 1000;
        for (int r = 0; r < 3; r++) {
            feed(e, 0, r, UP, now);
        }
        feed(e, 1, 2, UP, now);
        engine_tick(e, now, on_transition, &rec);
    }
    assert_int_equal(engine_check_verdict(e, 1), VERDICT_UP);
    /* ap-south dies: api-tcp (quorum 1 of its one region) goes UNKNOWN,
     * api-http keeps quorum with two fresh regions. */
    for (int i = 0; i < 4; i++) {
        now += 10000;
        feed(e, 0, 0, UP, now);
        feed(e, 0, 1, UP, now);
        engine_tick(e, now, on_transition, &rec);
    }
    assert_int_equal(engine_check_verdict(e, 1), VERDICT_UNKNOWN);
    assert_int_equal(engine_check_verdict(e, 0), VERDICT_UP);
    assert_int_equal(engine_component_unknown(e, 0), 1);
    assert_int_equal(engine_quorum_lost(e), 1);
    assert_int_equal(engine_component_status(e, 0), COMP_OPERATIONAL);
    assert_int_equal(rec.n, 0);
    /* api-http goes down in both fresh regions: worse, so reported. */
    for (int i = 0; i < 2; i++) {
        now += 1000;
        feed(e, 0, 0, DOWN, now);
        feed(e, 0, 1, DOWN, now);
        engine_tick(e, now, on_transition, &rec);
    }
    assert_int_equal(engine_component_status(e, 0), COMP_MAJOR);
    assert_int_equal(rec.n, 1);
    assert_string_equal(rec.last.reason,
                        "api-http down in eu-west, us-east since "
                        "2025-11-25T00:00:44Z; api-tcp unknown (0 of 1 "
                        "regions reporting, quorum 1)");
    /* api-http recovers, but api-tcp is still blind: no improvement. */
    for (int i = 0; i < 2; i++) {
        now += 1000;
        feed(e, 0, 0, UP, now);
        feed(e, 0, 1, UP, now);
        engine_tick(e, now, on_transition, &rec);
    }
    assert_int_equal(engine_check_verdict(e, 0), VERDICT_UP);
    assert_int_equal(engine_component_status(e, 0), COMP_MAJOR);
    assert_int_equal(engine_component_probe(e, 0), COMP_MAJOR);
    assert_int_equal(rec.n, 1);
    /* ap-south is back: two results to leave NODATA, then operational. */
    now += 1000;
    feed(e, 1, 2, UP, now);
    engine_tick(e, now, on_transition, &rec);
    assert_int_equal(engine_component_status(e, 0), COMP_MAJOR);
    now += 1000;
    feed(e, 1, 2, UP, now);
    engine_tick(e, now, on_transition, &rec);
    assert_int_equal(engine_component_status(e, 0), COMP_OPERATIONAL);
    assert_int_equal(engine_component_unknown(e, 0), 0);
    assert_int_equal(engine_quorum_lost(e), 0);
    assert_int_equal(rec.n, 2);
    engine_destroy(e);
}

static void
test_stale_and_restart_of_counting(void **state)
{
    struct scenario sc;
    struct engine *e;
    struct engine_region_info ri;
    int64_t now = T0;

    (void)state;
    memset(&sc, 0, sizeof(sc));
    e = make_engine(&sc);
    assert_non_null(e);
    feed(e, 0, 2, DOWN, T0 + 1000);
    feed(e, 0, 2, DOWN, T0 + 2000);
    assert_int_equal(engine_region_info(e, 0, 2, &ri), 0);
    assert_int_equal(ri.state, RSTATE_DOWN);
    /* Stale strictly after 3 x 10 s + 2 s. */
    engine_tick(e, T0 + 2000 + 32000, NULL, NULL);
    assert_int_equal(engine_region_info(e, 0, 2, &ri), 0);
    assert_int_equal(ri.state, RSTATE_DOWN);
    now = T0 + 2000 + 32001;
    engine_tick(e, now, NULL, NULL);
    assert_int_equal(engine_region_info(e, 0, 2, &ri), 0);
    assert_int_equal(ri.state, RSTATE_STALE);
    assert_int_equal(ri.since_ms, T0 + 34000);
    assert_int_equal(ri.last_at_ms, T0 + 2000);
    /* One more down after STALE: counting restarts, NODATA, not fresh. */
    feed(e, 0, 2, DOWN, now);
    assert_int_equal(engine_region_info(e, 0, 2, &ri), 0);
    assert_int_equal(ri.state, RSTATE_NODATA);
    assert_int_equal(ri.since_ms, now);
    feed(e, 0, 2, DOWN, now + 1000);
    assert_int_equal(engine_region_info(e, 0, 2, &ri), 0);
    assert_int_equal(ri.state, RSTATE_DOWN);
    assert_int_equal(ri.since_ms, now + 1000);
    /* Regions that never reported stay NODATA, never STALE. */
    engine_tick(e, now + 3600000, NULL, NULL);
    assert_int_equal(engine_region_info(e, 0, 0, &ri), 0);
    assert_int_equal(ri.state, RSTATE_NODATA);
    assert_int_equal(ri.last_outcome, 0);
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
    assert_non_null(e);
    feed(e, 0, 0, UP, T0 + 5000);
    feed(e, 0, 0, UP, T0 + 6000);
    feed(e, 0, 0, DOWN, T0 + 1000); /* older: ignored */
    feed(e, 0, 0, DOWN, T0 + 2000);
    assert_int_equal(engine_region_info(e, 0, 0, &ri), 0);
    assert_int_equal(ri.state, RSTATE_UP);
    assert_int_equal(ri.last_at_ms, T0 + 6000);
    assert_int_equal(ri.last_outcome, OUTCOME_UP);
    /* Had the two downs counted, this one would make the region DOWN. */
    feed(e, 0, 0, DOWN, T0 + 7000);
    assert_int_equal(engine_region_info(e, 0, 0, &ri), 0);
    assert_int_equal(ri.state, RSTATE_UP);
    feed(e, 0, 0, DOWN, T0 + 7000); /* same time: accepted */
    assert_int_equal(engine_region_info(e, 0, 0, &ri), 0);
    assert_int_equal(ri.state, RSTATE_DOWN);
    engine_destroy(e);
}

/* Long ids overflow the reason: it is cut at the cap and ends in "...". */
static void
test_reason_truncated(void **state)
{
    static char ids[12][64];
    struct engine_region_conf regs[12];
    struct engine_check_conf check;
    struct engine_conf conf = {0};
    struct engine *e;
    struct rec rec;

    (void)state;
    for (int r = 0; r < 12; r++) {
        snprintf(ids[r], sizeof(ids[r]),
                 "region-with-a-rather-long-name-number-%02d", r);
        regs[r].id = ids[r];
    }
    base_check(&check, "api-http", 0);
    conf.regions = regs;
    conf.nregions = 12;
    conf.components = comps1;
    conf.ncomponents = 1;
    conf.checks = &check;
    conf.nchecks = 1;
    e = engine_new(&conf, T0);
    assert_non_null(e);
    memset(&rec, 0, sizeof(rec));
    for (int i = 0; i < 2; i++) {
        for (int r = 0; r < 12; r++) {
            feed(e, 0, r, DOWN, T0 + 1000 * (i + 1));
        }
    }
    engine_tick(e, T0 + 2000, on_transition, &rec);
    assert_int_equal(rec.n, 1);
    assert_int_equal(rec.last.new_status, COMP_MAJOR);
    assert_int_equal(strlen(rec.last.reason), ENGINE_REASON_MAX - 1);
    assert_string_equal(rec.last.reason + ENGINE_REASON_MAX - 4, "...");
    assert_memory_equal(rec.last.reason,
                        "api-http down in region-with-a-rather-long-name-"
                        "number-00, ",
                        58);
    engine_destroy(e);
}

/* Result times are whatever an agent sent. A pair whose last result is
 * dated INT64_MIN is long stale: the age must not wrap (UBSan aborts on
 * the overflow; a release build wrapped to a negative age and the pair
 * stayed fresh forever). */
static void
test_extreme_result_times(void **state)
{
    struct scenario sc;
    struct engine *e;
    struct engine_region_info ri;
    struct check_result r;

    (void)state;
    memset(&sc, 0, sizeof(sc));
    e = make_engine(&sc);
    assert_non_null(e);
    memset(&r, 0, sizeof(r));
    r.outcome = OUTCOME_DOWN;
    r.started_at_ms = INT64_MIN;
    assert_int_equal(engine_result(e, 0, 0, &r), 0);
    assert_int_equal(engine_result(e, 0, 0, &r), 0);
    assert_int_equal(engine_region_info(e, 0, 0, &ri), 0);
    assert_int_equal(ri.state, RSTATE_DOWN);
    engine_tick(e, T0, NULL, NULL);
    assert_int_equal(engine_region_info(e, 0, 0, &ri), 0);
    assert_int_equal(ri.state, RSTATE_STALE);
    assert_int_equal(ri.since_ms, INT64_MIN + 3 * IV + TO);
    /* A clock at the far end of the range: ordinary results go stale. */
    feed(e, 0, 1, UP, T0);
    engine_tick(e, INT64_MAX, NULL, NULL);
    assert_int_equal(engine_region_info(e, 0, 1, &ri), 0);
    assert_int_equal(ri.state, RSTATE_STALE);
    /* A result from the far future is not stale at an earlier clock; the
     * tick brings its time back to the clock (a clock stepped back), so
     * the next result, older than it, still counts. */
    r.started_at_ms = INT64_MAX;
    assert_int_equal(engine_result(e, 0, 2, &r), 0);
    engine_tick(e, INT64_MIN, NULL, NULL);
    assert_int_equal(engine_region_info(e, 0, 2, &ri), 0);
    assert_int_equal(ri.state, RSTATE_NODATA);
    assert_int_equal(ri.last_at_ms, INT64_MIN);
    r.started_at_ms = INT64_MIN;
    assert_int_equal(engine_result(e, 0, 2, &r), 0);
    assert_int_equal(engine_region_info(e, 0, 2, &ri), 0);
    assert_int_equal(ri.state, RSTATE_DOWN);
    engine_destroy(e);
}

/* A reason cut at its cap never ends inside a multi-byte character: an
 * alert reason naming groups in UTF-8 is cut before "...". */
static void
test_reason_cut_on_character_boundary(void **state)
{
    struct scenario sc;
    struct engine *e;
    struct rec rec;
    char reason[1024];
    size_t n = 0, len;

    (void)state;
    memset(&sc, 0, sizeof(sc));
    e = make_engine(&sc);
    assert_non_null(e);
    /* "x" then euro signs (3 bytes each): every cut at a fixed byte
     * count lands inside one of them for two offsets out of three. */
    for (int shift = 0; shift < 3; shift++) {
        n = 0;
        for (int i = 0; i < shift; i++) {
            reason[n++] = 'x';
        }
        while (n + 3 < sizeof(reason)) {
            memcpy(reason + n, "\xe2\x82\xac", 3);
            n += 3;
        }
        reason[n] = '\0';
        engine_set_alert_reason(e, 0, reason);
        memset(&rec, 0, sizeof(rec));
        engine_set_alert(e, 0, shift == 1 ? COMP_PARTIAL : COMP_MAJOR);
        engine_tick(e, T0 + shift, on_transition, &rec);
        assert_int_equal(rec.n, 1);
        len = strlen(rec.last.reason);
        assert_true(len > 200);
        assert_int_equal(utf8_valid(rec.last.reason, len), 1);
    }
    engine_destroy(e);
}

/* Multi-byte region ids overflowing a probe reason: the text before the
 * closing "..." ends on a character boundary. */
static void
test_reason_overflow_on_character_boundary(void **state)
{
    static char ids[12][64];
    struct engine_region_conf regs[12];
    struct engine_check_conf check;
    struct engine_conf conf = {0};
    struct engine *e;
    struct rec rec;
    size_t len;

    (void)state;
    for (int shift = 0; shift < 3; shift++) {
        for (int r = 0; r < 12; r++) {
            size_t n = (size_t)snprintf(ids[r], sizeof(ids[r]), "%.*s", shift,
                                        "xx");

            while (n + 4 < sizeof(ids[r])) {
                memcpy(ids[r] + n, "\xe2\x82\xac", 3);
                n += 3;
            }
            ids[r][n++] = (char)('a' + r);
            ids[r][n] = '\0';
            regs[r].id = ids[r];
        }
        base_check(&check, "api-http", 0);
        conf.regions = regs;
        conf.nregions = 12;
        conf.components = comps1;
        conf.ncomponents = 1;
        conf.checks = &check;
        conf.nchecks = 1;
        e = engine_new(&conf, T0);
        assert_non_null(e);
        memset(&rec, 0, sizeof(rec));
        for (int i = 0; i < 2; i++) {
            for (int r = 0; r < 12; r++) {
                feed(e, 0, r, DOWN, T0 + 1000 * (i + 1));
            }
        }
        engine_tick(e, T0 + 2000, on_transition, &rec);
        assert_int_equal(rec.n, 1);
        len = strlen(rec.last.reason);
        assert_true(len > ENGINE_REASON_MAX - 8);
        assert_string_equal(rec.last.reason + len - 3, "...");
        assert_int_equal(utf8_valid(rec.last.reason, len), 1);
        engine_destroy(e);
    }
}

static void
test_restore_and_no_checks(void **state)
{
    static const struct engine_component_conf comps[] = {{.id = "api"},
                                                         {.id = "docs"}};
    struct engine_check_conf check;
    struct engine_conf conf = {0};
    struct engine *e;
    struct rec rec;

    (void)state;
    base_check(&check, "api-http", 0);
    conf.regions = regions3;
    conf.nregions = 3;
    conf.components = comps;
    conf.ncomponents = 2;
    conf.checks = &check;
    conf.nchecks = 1;
    e = engine_new(&conf, T0);
    assert_non_null(e);
    memset(&rec, 0, sizeof(rec));
    /* After a restart the last published state is kept while blind. */
    engine_restore(e, 0, COMP_MAJOR, COMP_MAJOR, T0);
    engine_tick(e, T0, on_transition, &rec);
    assert_int_equal(rec.n, 0);
    assert_int_equal(engine_component_status(e, 0), COMP_MAJOR);
    assert_int_equal(engine_component_unknown(e, 0), 1);
    /* Results from before the restored status (an agent's spool replayed
     * to a new leader) are accounted in it: ignored, the component stays
     * blind and keeps it. */
    for (int r = 0; r < 3; r++) {
        for (int k = 0; k < 3; k++) {
            feed(e, 0, r, OUTCOME_UP, T0 - 3000 + k * 1000);
        }
    }
    engine_tick(e, T0, on_transition, &rec);
    assert_int_equal(rec.n, 0);
    assert_int_equal(engine_component_status(e, 0), COMP_MAJOR);
    assert_int_equal(engine_component_unknown(e, 0), 1);
    /* A component without checks is operational and never unknown. */
    assert_int_equal(engine_component_status(e, 1), COMP_OPERATIONAL);
    assert_int_equal(engine_component_unknown(e, 1), 0);
    engine_set_alert(e, 1, COMP_PARTIAL);
    engine_tick(e, T0, on_transition, &rec);
    assert_int_equal(rec.n, 1);
    assert_int_equal(rec.last.component, 1);
    assert_int_equal(rec.last.new_status, COMP_PARTIAL);
    /* Maintenance is not an alert severity: ignored. */
    engine_set_alert(e, 1, COMP_MAINTENANCE);
    engine_tick(e, T0, on_transition, &rec);
    assert_int_equal(rec.n, 1);
    assert_int_equal(engine_component_status(e, 1), COMP_PARTIAL);
    engine_destroy(e);
}

static void
test_bad_config_and_input(void **state)
{
    static const int bad_region[] = {3};
    struct engine_check_conf check;
    struct engine_conf conf = {0};
    struct check_result r;
    struct scenario sc;
    struct engine *e;

    (void)state;
    conf.regions = regions3;
    conf.nregions = 3;
    conf.components = comps1;
    conf.ncomponents = 1;
    conf.checks = &check;
    conf.nchecks = 1;
    base_check(&check, "x", 1);
    assert_null(engine_new(&conf, T0));
    base_check(&check, "x", 0);
    check.quorum = 4;
    assert_null(engine_new(&conf, T0));
    base_check(&check, "x", 0);
    check.quorum_pct = 101;
    assert_null(engine_new(&conf, T0));
    base_check(&check, "x", 0);
    check.regions = bad_region;
    check.nregions = 1;
    assert_null(engine_new(&conf, T0));
    base_check(&check, "x", 0);
    check.quorum = 3;
    e = engine_new(&conf, T0);
    assert_non_null(e);
    engine_destroy(e);
    engine_destroy(NULL);

    memset(&sc, 0, sizeof(sc));
    e = make_engine(&sc);
    assert_non_null(e);
    engine_tick(e, T0, NULL, NULL);
    assert_int_equal(engine_quorum_lost(e), 1); /* no data yet */
    memset(&r, 0, sizeof(r));
    r.outcome = OUTCOME_UP;
    assert_int_equal(engine_result(e, 5, 0, &r), PH_EINVAL);
    assert_int_equal(engine_result(e, -1, 0, &r), PH_EINVAL);
    assert_int_equal(engine_result(e, 0, 9, &r), PH_EINVAL);
    r.outcome = 0;
    assert_int_equal(engine_result(e, 0, 0, &r), PH_EINVAL);
    assert_int_equal(engine_region_info(e, 0, 3, NULL), PH_EINVAL);
    assert_int_equal(engine_check_verdict(e, 7), VERDICT_UNKNOWN);
    engine_destroy(e);
}

static void
test_names(void **state)
{
    static const char *const comp[] = {"operational",
                                       "degraded_performance",
                                       "partial_outage", "major_outage",
                                       "under_maintenance"};

    (void)state;
    for (int i = 0; i < 5; i++) {
        assert_string_equal(comp_status_name((enum comp_status)i), comp[i]);
        assert_int_equal(comp_status_parse(comp[i]), i);
    }
    assert_int_equal(comp_status_parse("bogus"), -1);
    assert_int_equal(comp_status_parse(""), -1);
    assert_int_equal(comp_status_parse(NULL), -1);
    assert_string_equal(rstate_name(RSTATE_NODATA), "nodata");
    assert_string_equal(rstate_name(RSTATE_UP), "up");
    assert_string_equal(rstate_name(RSTATE_DEGRADED), "degraded");
    assert_string_equal(rstate_name(RSTATE_DOWN), "down");
    assert_string_equal(rstate_name(RSTATE_STALE), "stale");
    assert_string_equal(verdict_name(VERDICT_UNKNOWN), "unknown");
    assert_string_equal(verdict_name(VERDICT_UP), "up");
    assert_string_equal(verdict_name(VERDICT_DEGRADED), "degraded");
    assert_string_equal(verdict_name(VERDICT_DOWN_PARTIAL), "down_partial");
    assert_string_equal(verdict_name(VERDICT_DOWN_MAJOR), "down_major");
    assert_string_equal(status_source_name(SOURCE_PROBE), "probe");
    assert_string_equal(status_source_name(SOURCE_MANUAL), "manual");
    assert_string_equal(status_source_name(SOURCE_ALERT), "alert");
    assert_string_equal(status_source_name(SOURCE_MAINTENANCE),
                        "maintenance");
}

/* engine_clone(): the copy answers every query as the original did, and
 * goes on by itself (the feed renders from it on another thread while
 * the loop feeds the original). */
static void
test_clone(void **state)
{
    struct engine *e = make_two_checks(1);
    struct engine *c;
    struct engine_region_info a, b;
    struct rec rec;
    enum comp_status before;
    int64_t now = T0;

    (void)state;
    assert_non_null(e);
    memset(&rec, 0, sizeof(rec));
    for (int i = 0; i < 3; i++) {
        now += 1000;
        for (int r = 0; r < 3; r++) {
            feed(e, 0, r, r == 0 ? DOWN : UP, now);
        }
        feed(e, 1, 2, DOWN, now);
        engine_tick(e, now, on_transition, &rec);
    }
    c = engine_clone(e);
    assert_non_null(c);
    assert_int_equal(engine_component_status(c, 0),
                     engine_component_status(e, 0));
    before = engine_component_status(e, 0);
    assert_int_not_equal(before, COMP_OPERATIONAL);
    for (int k = 0; k < 2; k++) {
        assert_int_equal(engine_check_verdict(c, k),
                         engine_check_verdict(e, k));
        assert_int_equal(engine_check_minority(c, k),
                         engine_check_minority(e, k));
        for (int r = 0; r < 3; r++) {
            assert_int_equal(engine_check_has_region(c, k, r),
                             engine_check_has_region(e, k, r));
            if (!engine_check_has_region(e, k, r)) {
                continue;
            }
            assert_int_equal(engine_region_info(e, k, r, &a), 0);
            assert_int_equal(engine_region_info(c, k, r, &b), 0);
            assert_int_equal(a.state, b.state);
            assert_int_equal(a.last_at_ms, b.last_at_ms);
            assert_int_equal(a.since_ms, b.since_ms);
            assert_string_equal(a.last_error, b.last_error);
        }
    }
    assert_int_equal(engine_quorum_lost(c), engine_quorum_lost(e));
    /* The original recovers; the copy keeps what it had. */
    for (int i = 0; i < 2; i++) {
        now += 1000;
        for (int r = 0; r < 3; r++) {
            feed(e, 0, r, UP, now);
        }
        feed(e, 1, 2, UP, now);
        engine_tick(e, now, on_transition, &rec);
    }
    assert_int_equal(engine_component_status(e, 0), COMP_OPERATIONAL);
    assert_int_equal(engine_component_status(c, 0), before);
    assert_int_equal(engine_region_info(c, 1, 2, &b), 0);
    assert_int_equal(b.state, RSTATE_DOWN);
    /* The copy ticks on its own arrays too. */
    engine_tick(c, now, on_transition, &rec);
    engine_destroy(e);
    assert_int_equal(engine_check_verdict(c, 1), VERDICT_DOWN_MAJOR);
    engine_destroy(c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scenarios),
        cmocka_unit_test(test_reason_and_region_info),
        cmocka_unit_test(test_unknown_check_rule),
        cmocka_unit_test(test_stale_and_restart_of_counting),
        cmocka_unit_test(test_out_of_order_results_ignored),
        cmocka_unit_test(test_reason_truncated),
        cmocka_unit_test(test_extreme_result_times),
        cmocka_unit_test(test_reason_cut_on_character_boundary),
        cmocka_unit_test(test_reason_overflow_on_character_boundary),
        cmocka_unit_test(test_restore_and_no_checks),
        cmocka_unit_test(test_bad_config_and_input),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_clone),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
