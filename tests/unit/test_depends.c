/*
 * test_depends.c - dependencies between components and mass failures:
 * the pure graph logic (cycle search, blame, the mass failure rule) and
 * their effect in the state engine with a simulated clock (a dependent's
 * outage attributed to the root dependency; a region failing everything
 * turns nothing red).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "depends.h"
#include "engine.h"

#define T0 1764028800000LL /* 2025-11-25T00:00:00Z */

/* ---- cycles ---- */

static long
cycle_of(size_t n, const int *const *deps, const size_t *ndeps, int *path,
         size_t cap)
{
    struct dep_graph g = {n, deps, ndeps};

    return depends_find_cycle(&g, path, cap);
}

static void
test_no_cycle(void **state)
{
    /* web -> api -> db, web -> db, cache -> db: a DAG with a diamond. */
    static const int web[] = {1, 2}, api[] = {2}, cache[] = {2};
    static const int *const deps[] = {web, api, NULL, cache};
    static const size_t ndeps[] = {2, 1, 0, 1};
    int path[8];

    (void)state;
    assert_int_equal(cycle_of(4, deps, ndeps, path, 8), 0);
    assert_int_equal(cycle_of(0, NULL, NULL, path, 8), 0);
}

static void
test_cycles_found(void **state)
{
    /* 0 -> 1 -> 2 -> 0, and 3 on its own. */
    static const int a[] = {1}, b[] = {2}, c[] = {0};
    static const int *const deps[] = {a, b, c, NULL};
    static const size_t ndeps[] = {1, 1, 1, 0};
    /* 0 -> 0 */
    static const int self[] = {0};
    static const int *const deps_self[] = {self};
    static const size_t ndeps_self[] = {1};
    /* 0 -> 1, 1 -> 2, 2 -> 1: the cycle is 1 <-> 2, not through 0. */
    static const int x[] = {1}, y[] = {2}, z[] = {1};
    static const int *const deps2[] = {x, y, z};
    static const size_t ndeps2[] = {1, 1, 1};
    int path[8];
    int tiny[2];

    (void)state;
    assert_int_equal(cycle_of(4, deps, ndeps, path, 8), 3);
    assert_int_equal(path[0], 0);
    assert_int_equal(path[1], 1);
    assert_int_equal(path[2], 2);
    assert_int_equal(cycle_of(1, deps_self, ndeps_self, path, 8), 1);
    assert_int_equal(path[0], 0);
    assert_int_equal(cycle_of(3, deps2, ndeps2, path, 8), 2);
    assert_int_equal(path[0], 1);
    assert_int_equal(path[1], 2);
    /* A path shorter than the cycle still gets its length. */
    assert_int_equal(cycle_of(4, deps, ndeps, tiny, 2), 3);
    assert_int_equal(tiny[0], 0);
    assert_int_equal(tiny[1], 1);
}

/* ---- blame ---- */

static void
test_blame(void **state)
{
    /* 0 web -> {1 api, 3 cdn}; 1 api -> 2 db; 3 cdn. */
    static const int web[] = {1, 3}, api[] = {2};
    static const int *const deps[] = {web, api, NULL, NULL};
    static const size_t ndeps[] = {2, 1, 0, 0};
    struct dep_graph g = {4, deps, ndeps};
    unsigned char down[4];
    int stack[4];
    unsigned char seen[4];

    (void)state;
    /* Everything down: web is blamed on db, the root of the chain. */
    memset(down, 1, sizeof(down));
    assert_int_equal(depends_blame(&g, down, 0, stack, seen), 2);
    assert_int_equal(depends_blame(&g, down, 1, stack, seen), 2);
    assert_int_equal(depends_blame(&g, down, 2, stack, seen), -1);
    assert_int_equal(depends_blame(&g, down, 3, stack, seen), -1);
    /* db fine, api down: web is blamed on api. */
    down[2] = 0;
    assert_int_equal(depends_blame(&g, down, 0, stack, seen), 1);
    assert_int_equal(depends_blame(&g, down, 1, stack, seen), -1);
    /* Only cdn down besides web. */
    down[1] = 0;
    assert_int_equal(depends_blame(&g, down, 0, stack, seen), 3);
    /* api up but db down: web's outage is still db's doing, through
     * api, whose checks may not have caught up yet. */
    down[2] = 1;
    assert_int_equal(depends_blame(&g, down, 0, stack, seen), 2);
    down[2] = 0;
    /* web itself up: nothing to attribute. */
    down[0] = 0;
    assert_int_equal(depends_blame(&g, down, 0, stack, seen), -1);
    /* Bad arguments. */
    assert_int_equal(depends_blame(&g, down, 7, stack, seen), -1);
    assert_int_equal(depends_blame(NULL, down, 0, stack, seen), -1);
}

static void
test_blame_survives_a_cycle(void **state)
{
    static const int a[] = {1}, b[] = {0};
    static const int *const deps[] = {a, b};
    static const size_t ndeps[] = {1, 1};
    struct dep_graph g = {2, deps, ndeps};
    unsigned char down[2] = {1, 1};
    int stack[2];
    unsigned char seen[2];

    (void)state;
    assert_int_equal(depends_blame(&g, down, 0, stack, seen), 1);
}

/* ---- mass failure rule ---- */

static void
test_mass_failure_rule(void **state)
{
    struct mass_failure_rule rule = {0.5, 10};
    uint32_t failing[3] = {12, 0, 1}, total[3] = {20, 20, 20};
    unsigned char s[3];

    (void)state;
    /* One region failing 12 of 20 (> 50%, >= 10): suspect. */
    assert_int_equal(depends_mass_failure(&rule, failing, total, 3, s), 1);
    assert_int_equal(s[0], 1);
    assert_int_equal(s[1], 0);
    assert_int_equal(s[2], 0);
    /* Exactly half is not "more than half". */
    failing[0] = 10;
    assert_int_equal(depends_mass_failure(&rule, failing, total, 3, s), 0);
    assert_int_equal(s[0], 0);
    /* More than half but fewer than min_checks. */
    failing[0] = 9;
    total[0] = 10;
    assert_int_equal(depends_mass_failure(&rule, failing, total, 3, s), 0);
    /* Every reporting region failing: a real outage, nobody suspect. */
    failing[0] = 15, failing[1] = 15, failing[2] = 15;
    total[0] = 20;
    assert_int_equal(depends_mass_failure(&rule, failing, total, 3, s), 0);
    assert_int_equal(s[0] + s[1] + s[2], 0);
    /* ...also when the only other region reports nothing at all. */
    total[1] = total[2] = 0;
    failing[1] = failing[2] = 0;
    assert_int_equal(depends_mass_failure(&rule, failing, total, 3, s), 0);
    /* Rule off. */
    rule.share = 0;
    failing[0] = 20, total[1] = 20;
    assert_int_equal(depends_mass_failure(&rule, failing, total, 3, s), 0);
}

/* ---- in the engine ---- */

static const struct engine_region_conf regions2[] = {{"eu-west"},
                                                     {"us-east"}};

struct recorder {
    int n;
    struct engine_transition t[16];
};

static void
record(const struct engine_transition *t, void *arg)
{
    struct recorder *r = arg;

    if (r->n < 16) {
        r->t[r->n] = *t;
    }
    r->n++;
}

static void
feed(struct engine *e, int check, int region, enum outcome o, int64_t now)
{
    struct check_result r;

    memset(&r, 0, sizeof(r));
    r.started_at_ms = now;
    r.outcome = o;
    r.latency_ms = 10;
    assert_int_equal(engine_result(e, check, region, &r), 0);
}

static const struct engine_transition *
find(const struct recorder *r, int component)
{
    for (int i = 0; i < r->n && i < 16; i++) {
        if (r->t[i].component == component) {
            return &r->t[i];
        }
    }
    return NULL;
}

/* Components db (0), api (1, depends on db), web (2, depends on api),
 * status (3, no dependency); one check each; quorum 1 of 2 regions. */
static struct engine *
make_chain_fa(struct mass_failure_rule mass, uint32_t fail_after)
{
    static const int api_deps[] = {0}, web_deps[] = {1};
    static const struct engine_component_conf comps[] = {
        {.id = "db"},
        {.id = "api", .depends_on = api_deps, .ndepends = 1},
        {.id = "web", .depends_on = web_deps, .ndepends = 1},
        {.id = "status"}};
    static const char *const ids[] = {"db-tcp", "api-http", "web-http",
                                      "status-http"};
    struct engine_check_conf checks[4];
    struct engine_conf conf = {0};

    for (int i = 0; i < 4; i++) {
        memset(&checks[i], 0, sizeof(checks[i]));
        checks[i].id = ids[i];
        checks[i].component = i;
        checks[i].interval_ms = 10000;
        checks[i].timeout_ms = 2000;
        checks[i].fail_after = fail_after;
        checks[i].recover_after = 1;
        checks[i].quorum = 1;
    }
    conf.regions = regions2;
    conf.nregions = 2;
    conf.components = comps;
    conf.ncomponents = 4;
    conf.checks = checks;
    conf.nchecks = 4;
    conf.mass_failure = mass;
    return engine_new(&conf, T0);
}

static struct engine *
make_chain(struct mass_failure_rule mass)
{
    return make_chain_fa(mass, 1);
}

/* Feeds check i's outcome in both regions (o[i]), then ticks. */
static void
round_of(struct engine *e, int64_t *now, const enum outcome o[4],
         struct recorder *rec)
{
    *now += 1000;
    for (int i = 0; i < 4; i++) {
        feed(e, i, 0, o[i], *now);
        feed(e, i, 1, o[i], *now);
    }
    memset(rec, 0, sizeof(*rec));
    engine_tick(e, *now, record, rec);
}

static void
test_dependency_attribution(void **state)
{
    struct mass_failure_rule off = {0, 10};
    struct engine *e = make_chain(off);
    struct recorder rec;
    const struct engine_transition *t;
    int64_t now = T0;
    const enum outcome up[4] = {OUTCOME_UP, OUTCOME_UP, OUTCOME_UP,
                                OUTCOME_UP};
    const enum outcome db_down[4] = {OUTCOME_DOWN, OUTCOME_DOWN,
                                     OUTCOME_DOWN, OUTCOME_UP};
    const enum outcome api_only[4] = {OUTCOME_UP, OUTCOME_DOWN, OUTCOME_UP,
                                      OUTCOME_UP};

    (void)state;
    assert_non_null(e);
    round_of(e, &now, up, &rec);
    assert_int_equal(rec.n, 0);

    /* db fails, and with it api and web: both attributed to db, the
     * root, web through api; db itself is attributed to nothing. */
    round_of(e, &now, db_down, &rec);
    assert_int_equal(rec.n, 3);
    t = find(&rec, 0);
    assert_non_null(t);
    assert_int_equal(t->new_status, COMP_MAJOR);
    assert_int_equal(t->affected_by, -1);
    t = find(&rec, 1);
    assert_non_null(t);
    assert_int_equal(t->new_status, COMP_MAJOR);
    assert_int_equal(t->affected_by, 0);
    assert_true(strncmp(t->reason, "affected by db: api-http down",
                        strlen("affected by db: api-http down")) == 0);
    t = find(&rec, 2);
    assert_non_null(t);
    assert_int_equal(t->affected_by, 0);
    /* The status of a dependent is its own: still major_outage. */
    assert_int_equal(engine_component_status(e, 2), COMP_MAJOR);
    assert_int_equal(engine_component_affected_by(e, 1), 0);
    assert_int_equal(engine_component_affected_by(e, 2), 0);
    assert_int_equal(engine_component_affected_by(e, 3), -1);

    /* All recover: the dependents' transitions say what they were. */
    round_of(e, &now, up, &rec);
    assert_int_equal(rec.n, 3);
    t = find(&rec, 1);
    assert_non_null(t);
    assert_int_equal(t->affected_by, -1);
    assert_int_equal(t->was_affected_by, 0);
    assert_int_equal(engine_component_affected_by(e, 1), -1);

    /* api fails on its own: nobody to blame; web is not down. */
    round_of(e, &now, api_only, &rec);
    assert_int_equal(rec.n, 1);
    t = find(&rec, 1);
    assert_non_null(t);
    assert_int_equal(t->affected_by, -1);
    assert_int_equal(t->was_affected_by, -1);
    assert_true(strncmp(t->reason, "api-http down", 13) == 0);
    engine_destroy(e);
}

static void
test_dependency_recovers_first(void **state)
{
    struct mass_failure_rule off = {0, 10};
    struct engine *e = make_chain(off);
    struct recorder rec;
    const struct engine_transition *t;
    int64_t now = T0;
    const enum outcome db_down[4] = {OUTCOME_DOWN, OUTCOME_DOWN, OUTCOME_UP,
                                     OUTCOME_UP};
    const enum outcome db_back[4] = {OUTCOME_UP, OUTCOME_DOWN, OUTCOME_UP,
                                     OUTCOME_UP};
    const enum outcome up[4] = {OUTCOME_UP, OUTCOME_UP, OUTCOME_UP,
                                OUTCOME_UP};

    (void)state;
    round_of(e, &now, up, &rec);
    round_of(e, &now, db_down, &rec);
    assert_int_equal(engine_component_affected_by(e, 1), 0);
    /* db is back, api still down: no longer shown as affected... */
    round_of(e, &now, db_back, &rec);
    assert_int_equal(rec.n, 1);
    assert_int_equal(engine_component_affected_by(e, 1), -1);
    /* ...but its recovery still belongs to db's outage. */
    round_of(e, &now, up, &rec);
    t = find(&rec, 1);
    assert_non_null(t);
    assert_int_equal(t->was_affected_by, 0);
    engine_destroy(e);
}

static void
test_mass_failure_in_engine(void **state)
{
    struct mass_failure_rule rule = {0.5, 3};
    struct engine *e = make_chain(rule);
    struct recorder rec;
    int64_t now = T0;
    uint32_t failing, total;

    (void)state;
    assert_non_null(e);
    for (int i = 0; i < 4; i++) {
        feed(e, i, 0, OUTCOME_UP, now + 1000);
        feed(e, i, 1, OUTCOME_UP, now + 1000);
    }
    now += 1000;
    engine_tick(e, now, record, &rec);
    /* us-east fails every check, eu-west none: with quorum 1, us-east
     * alone would make all four red. */
    now += 1000;
    for (int i = 0; i < 4; i++) {
        feed(e, i, 0, OUTCOME_UP, now);
        feed(e, i, 1, OUTCOME_DOWN, now);
    }
    memset(&rec, 0, sizeof(rec));
    engine_tick(e, now, record, &rec);
    assert_int_equal(rec.n, 0);
    assert_int_equal(engine_region_suspect(e, 1), 1);
    assert_int_equal(engine_region_suspect_changed(e, 1), 1);
    assert_int_equal(engine_region_suspect_since(e, 1), now);
    assert_int_equal(engine_region_suspect(e, 0), 0);
    assert_int_equal(engine_suspect_regions(e), 1);
    engine_region_counts(e, 1, &failing, &total);
    assert_int_equal(failing, 4);
    assert_int_equal(total, 4);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(engine_component_status(e, i), COMP_OPERATIONAL);
        assert_int_equal(engine_check_verdict(e, i), VERDICT_UP);
    }
    /* Next tick: still suspect, no longer "changed". */
    now += 1000;
    engine_tick(e, now, record, &rec);
    assert_int_equal(engine_region_suspect_changed(e, 1), 0);
    assert_int_equal(rec.n, 0);

    /* Now eu-west fails everything too: not a regional problem. */
    now += 1000;
    for (int i = 0; i < 4; i++) {
        feed(e, i, 0, OUTCOME_DOWN, now);
        feed(e, i, 1, OUTCOME_DOWN, now);
    }
    memset(&rec, 0, sizeof(rec));
    engine_tick(e, now, record, &rec);
    assert_int_equal(engine_suspect_regions(e), 0);
    assert_int_equal(engine_region_suspect_changed(e, 1), 1);
    assert_int_equal(rec.n, 4);
    assert_int_equal(engine_component_status(e, 3), COMP_MAJOR);
    engine_destroy(e);
}

/* Checks fail one after the other (each on its own schedule) with
 * fail_after 2: when the first pair reaches DOWN, the others have failed
 * once, and the region is suspect before anything turns red. */
static void
test_mass_failure_before_hysteresis(void **state)
{
    struct mass_failure_rule rule = {0.5, 3};
    struct engine *e = make_chain_fa(rule, 2);
    struct recorder rec;
    int64_t now = T0;

    (void)state;
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 4; i++) {
            now += 100;
            feed(e, i, 0, OUTCOME_UP, now);
            feed(e, i, 1, OUTCOME_UP, now);
            engine_tick(e, now, record, &rec);
        }
    }
    memset(&rec, 0, sizeof(rec));
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 4; i++) {
            now += 100;
            feed(e, i, 0, OUTCOME_UP, now);
            feed(e, i, 1, OUTCOME_DOWN, now);
            engine_tick(e, now, record, &rec);
        }
    }
    assert_int_equal(rec.n, 0);
    assert_int_equal(engine_region_suspect(e, 1), 1);
    engine_destroy(e);
}

static void
test_one_check_down_is_not_a_mass_failure(void **state)
{
    struct mass_failure_rule rule = {0.5, 1};
    struct engine *e = make_chain(rule);
    struct recorder rec;
    int64_t now = T0 + 1000;

    (void)state;
    for (int i = 0; i < 4; i++) {
        feed(e, i, 0, OUTCOME_UP, now);
        feed(e, i, 1, i == 3 ? OUTCOME_DOWN : OUTCOME_UP, now);
    }
    memset(&rec, 0, sizeof(rec));
    engine_tick(e, now, record, &rec);
    assert_int_equal(engine_suspect_regions(e), 0);
    /* Quorum 1: the one failing region is enough for a (partial)
     * outage; one failing check of four is no mass failure. */
    assert_int_equal(engine_component_status(e, 3), COMP_PARTIAL);
    engine_destroy(e);
}

static void
test_bad_dependency_config(void **state)
{
    static const int bad[] = {5};
    static const struct engine_component_conf comps[] = {
        {.id = "a", .depends_on = bad, .ndepends = 1}};
    struct engine_conf conf = {0};

    (void)state;
    conf.regions = regions2;
    conf.nregions = 2;
    conf.components = comps;
    conf.ncomponents = 1;
    assert_null(engine_new(&conf, T0));
    conf.components = NULL;
    conf.ncomponents = 0;
    conf.mass_failure.share = 1.5;
    assert_null(engine_new(&conf, T0));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_cycle),
        cmocka_unit_test(test_cycles_found),
        cmocka_unit_test(test_blame),
        cmocka_unit_test(test_blame_survives_a_cycle),
        cmocka_unit_test(test_mass_failure_rule),
        cmocka_unit_test(test_dependency_attribution),
        cmocka_unit_test(test_dependency_recovers_first),
        cmocka_unit_test(test_mass_failure_in_engine),
        cmocka_unit_test(test_mass_failure_before_hysteresis),
        cmocka_unit_test(test_one_check_down_is_not_a_mass_failure),
        cmocka_unit_test(test_bad_dependency_config),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
