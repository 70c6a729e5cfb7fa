/*
 * test_feed_golden.c - every public document (and the v1 incident
 * objects) rendered from one fixed state and compared with
 * tests/golden/feed/: SVG, Atom and RSS byte for byte; JSON stored
 * pretty-printed, compared after normalising both sides, then the
 * compact bytes served checked exactly (golden.h). The state: a group
 * of two components and one alone, one in major outage; an incident
 * with three updates whose text holds markup; a resolved incident; a
 * maintenance in progress and one upcoming; a draft that must appear
 * nowhere public; 90 days of uptime with downtime and no-data days, in a
 * +05:30 page zone.
 *
 * `cmake --build build --target golden-update` rewrites the files (then
 * review git diff).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "feed.h"
#include "golden.h"
#include "feed_history.h"
#include "incident.h"
#include "mem.h"
#include "ph_err.h"

#define GOLDEN PH_TEST_DATA "/golden/feed/"
#define HOUR 3600000LL
#define NOW 1767960000000LL     /* 2026-01-09T12:00:00Z */
#define NINC 5

static struct pharos_conf cf;
static struct conf_group grp;
static struct conf_component cs[3];
static struct feed_component_state st[3];
static struct incident inc[NINC];
static int64_t offset_s = 19800;  /* +05:30 */
static struct uptime_tz tz = {uptime_tz_fixed, &offset_s};

/*
 * Checks one rendered document (takes t, NULLs it). rc and t come from a
 * call made before this one: in golden(name, t, feed_x(&t, ...)) the
 * order in which the arguments are evaluated decides whether t is read
 * before or after feed_x() sets it (gcc and clang differ).
 */
static void
golden(const char *name, int rc, char **t)
{
    char path[512];
    size_t n;

    assert_int_equal(rc, 0);
    assert_non_null(*t);
    snprintf(path, sizeof(path), GOLDEN "%s", name);
    n = strlen(name);
    if (n > 5 && strcmp(name + n - 5, ".json") == 0) {
        golden_json(path, *t);
    } else {
        golden_text(path, *t);
    }
    /* Drafts are never public. */
    assert_null(strstr(*t, "Secret draft"));
    ph_free(*t);
    *t = NULL;
}

/* 90 days ending today (local): a bad day, two no-data days, a partial
 * day, the rest clean. */
static int
days_cb(void *arg, int component, struct uptime_day out[90])
{
    int32_t today = uptime_local_date(&tz, NOW);

    (void)arg;
    for (int k = 0; k < 90; k++) {
        struct uptime_day *d = &out[k];

        memset(d, 0, sizeof(*d));
        d->date = uptime_date_add(today, k - 89);
        d->day_s = 86400;
        d->operational_s = 86400;
        if (k == 89) {
            d->day_s = 23400;           /* today so far: 06:30 local */
            d->operational_s = 23400 - 3600 * component;
            d->major_s = 3600 * component;
        } else if (k == 80 && component == 1) {
            d->operational_s = 86400 - 7200;
            d->partial_s = 7200;
        } else if (k < 2) {
            d->operational_s = 0;
            d->nodata_s = 86400;
        } else if (k == 50) {
            d->operational_s = 86400 - 1800;
            d->maintenance_s = 1800;
        }
    }
    return 0;
}

static struct inc_comp_change
change(const char *code, int status, enum comp_status current)
{
    struct inc_comp_change ch;

    memset(&ch, 0, sizeof(ch));
    snprintf(ch.code, sizeof(ch.code), "%s", code);
    ch.status = status;
    ch.current = current;
    return ch;
}

static void
apply(struct incident *i, const char *id, const char *uid,
      const struct inc_edit *e, int64_t at)
{
    char err[160];

    if (incident_apply(i, id, uid, e, at, err, sizeof(err)) != 0) {
        fail_msg("incident_apply %s: %s", id, err);
    }
}

static int
setup(void **state)
{
    struct inc_edit e;
    struct inc_comp_change ch;

    (void)state;
    memset(&cf, 0, sizeof(cf));
    cf.page.id = "page1";
    cf.page.name = "Example & Co";
    cf.page.url = "https://status.example.test";
    cf.page.time_zone = "Asia/Kolkata";
    grp.id = "core";
    grp.name = "Core";
    cf.groups = &grp;
    cf.ngroups = 1;
    cs[0] = (struct conf_component){.id = "website", .name = "Website",
                                    .showcase = 1, .position = 1};
    cs[1] = (struct conf_component){.id = "api", .name = "API",
                                    .group = "core", .showcase = 1,
                                    .position = 2,
                                    .description = "Public REST API"};
    cs[2] = (struct conf_component){.id = "auth", .name = "Auth",
                                    .group = "core", .position = 3,
                                    .start_date = "2025-12-01"};
    cf.components = cs;
    cf.ncomponents = 3;
    memset(st, 0, sizeof(st));
    st[1].status = COMP_MAJOR;
    st[1].updated_at_ms = NOW - HOUR;
    st[2].status = COMP_MAINTENANCE;
    st[2].updated_at_ms = NOW - 2 * HOUR;

    memset(inc, 0, sizeof(inc));
    /* [0] newest: the active incident, three updates. */
    inc_edit_init(&e);
    ch = change("api", COMP_PARTIAL, COMP_OPERATIONAL);
    e.name = "API <errors> & \"timeouts\"";
    e.body = "We are investigating <script>alert(1)</script> errors.";
    e.changes = &ch;
    e.nchanges = 1;
    apply(&inc[0], "inc000000003", "upd000000031", &e, NOW - 3 * HOUR);
    inc_edit_init(&e);
    e.status = INC_IDENTIFIED;
    e.body = "A bad deploy.\nRolling back.";
    apply(&inc[0], inc[0].id, "upd000000032", &e, NOW - 2 * HOUR);
    inc_edit_init(&e);
    ch = change("api", COMP_MAJOR, COMP_PARTIAL);
    e.body = "Errors are worse.";
    e.changes = &ch;
    e.nchanges = 1;
    apply(&inc[0], inc[0].id, "upd000000033", &e, NOW - HOUR);
    /* [1] a draft from automation. */
    inc_edit_init(&e);
    e.name = "Secret draft";
    e.body = "Probes failing.";
    e.draft = 1;
    apply(&inc[1], "drf000000001", "upd000000041", &e, NOW - 90 * 60000);
    inc[1].auto_opened = 1;
    /* [2] maintenance in progress on auth. */
    inc_edit_init(&e);
    ch = change("auth", -1, COMP_OPERATIONAL);
    e.name = "Auth database upgrade";
    e.body = "We will upgrade the database.";
    e.scheduled_for_ms = NOW - 2 * HOUR;
    e.scheduled_until_ms = NOW + 2 * HOUR;
    e.changes = &ch;
    e.nchanges = 1;
    apply(&inc[2], "mnt000000002", "upd000000021", &e, NOW - 26 * HOUR);
    assert_int_equal(incident_tick(&inc[2], "upd000000022", NOW - 2 * HOUR),
                     INC_TICK_STARTED);
    /* [3] upcoming maintenance, with a reminder. */
    inc_edit_init(&e);
    e.name = "Network maintenance";
    e.scheduled_for_ms = NOW + 48 * HOUR;
    e.scheduled_until_ms = NOW + 50 * HOUR;
    e.remind_prior_min = 60;
    apply(&inc[3], "mnt000000003", "upd000000011", &e, NOW - 30 * HOUR);
    /* [4] oldest: resolved yesterday. */
    inc_edit_init(&e);
    ch = change("website", COMP_DEGRADED, COMP_OPERATIONAL);
    e.name = "Slow website";
    e.body = "Pages load slowly.";
    e.changes = &ch;
    e.nchanges = 1;
    apply(&inc[4], "inc000000001", "upd000000001", &e, NOW - 40 * HOUR);
    inc_edit_init(&e);
    ch = change("website", COMP_OPERATIONAL, COMP_DEGRADED);
    e.status = INC_RESOLVED;
    e.body = "This incident has been resolved.";
    e.changes = &ch;
    e.nchanges = 1;
    apply(&inc[4], inc[4].id, "upd000000002", &e, NOW - 38 * HOUR);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    for (int i = 0; i < NINC; i++) {
        incident_free(&inc[i]);
    }
    return 0;
}

static void
input(struct feed_input *in)
{
    memset(in, 0, sizeof(*in));
    in->conf = &cf;
    in->comps = st;
    in->days = days_cb;
    in->now_ms = NOW;
    in->created_at_ms = NOW - 100 * 24 * HOUR;
    in->incidents = inc;
    in->nincidents = NINC;
    in->tz = &tz;
}

static void
test_v2_documents(void **state)
{
    struct feed_input in;
    char *t = NULL;
    size_t n = 0;
    int rc;

    (void)state;
    input(&in);
    rc = feed_summary(&in, &t, &n);
    golden("summary.json", rc, &t);
    rc = feed_status_doc(&in, &t, &n);
    golden("status.json", rc, &t);
    rc = feed_components(&in, &t, &n);
    golden("components.json", rc, &t);
    rc = feed_incidents(&in, "all", &t, &n);
    golden("incidents.json", rc, &t);
    rc = feed_incidents(&in, "unresolved", &t, &n);
    golden("incidents-unresolved.json", rc, &t);
    rc = feed_incidents(&in, "resolved", &t, &n);
    golden("incidents-resolved.json", rc, &t);
    rc = feed_maintenances(&in, "all", &t, &n);
    golden("scheduled-maintenances.json", rc, &t);
    rc = feed_maintenances(&in, "upcoming", &t, &n);
    golden("scheduled-maintenances-upcoming.json", rc, &t);
    rc = feed_maintenances(&in, "active", &t, &n);
    golden("scheduled-maintenances-active.json", rc, &t);
    rc = feed_uptime(&in, &t, &n);
    golden("uptime.json", rc, &t);
    rc = feed_page_doc(&in, &t, &n);
    golden("page.json", rc, &t);
    rc = feed_badge(&in, 1, &t, &n);
    golden("badge-api.svg", rc, &t);
    rc = feed_badge(&in, -1, &t, &n);
    golden("badge-status.svg", rc, &t);
}

static void
test_history(void **state)
{
    struct feed_history_input hin = {&cf, inc, NINC, NOW};
    char *t = NULL;
    size_t n = 0;
    int rc;

    (void)state;
    rc = feed_history_atom(&hin, &t, &n);
    golden("history.atom", rc, &t);
    rc = feed_history_rss(&hin, &t, &n);
    golden("history.rss", rc, &t);
}

/* The management API's objects: drafts included, v1 fields. */
static void
test_v1_objects(void **state)
{
    struct feed_input in;
    char *t = NULL;
    size_t n = 0;
    int rc;

    (void)state;
    input(&in);
    rc = feed_incident_v1(&in, &inc[0], &t, &n);
    golden("v1-incident.json", rc, &t);
    assert_int_equal(feed_incidents_v1(&in, "all", &t, &n), 0);
    assert_non_null(strstr(t, "Secret draft"));   /* admins see drafts */
    ph_free(t);
    t = NULL;
    rc = feed_components_v1(&in, &t, &n);
    golden("v1-components.json", rc, &t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v2_documents),
        cmocka_unit_test(test_history),
        cmocka_unit_test(test_v1_objects),
    };

    return golden_finish(cmocka_run_group_tests(tests, setup, teardown));
}
