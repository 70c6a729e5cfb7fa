/*
 * test_incident.c - the incident and maintenance model (incident.c):
 * lifecycle, timestamps, impact, validation that leaves the incident
 * untouched, maintenance timers with a simulated clock, caps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "incident.h"
#include "ph_err.h"

#define MIN 60000LL
#define T0 1767960000000LL   /* 2026-01-09T12:00:00Z */

static char err[256];

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
test_lifecycle(void **state)
{
    struct incident inc;
    struct inc_edit e;
    struct inc_comp_change ch = change("api", COMP_PARTIAL, COMP_OPERATIONAL);

    (void)state;
    memset(&inc, 0, sizeof(inc));
    inc_edit_init(&e);
    e.name = "Elevated errors";
    e.body = "Investigating.";
    e.changes = &ch;
    e.nchanges = 1;
    assert_int_equal(incident_apply(&inc, "inc000000001", "u1", &e, T0, err,
                                    sizeof(err)), 0);
    assert_int_equal(inc.kind, INC_REALTIME);
    assert_int_equal(inc.status, INC_INVESTIGATING);
    assert_int_equal(inc.nupdates, 1);
    assert_int_equal(inc.created_ms, T0);
    assert_int_equal(inc.monitoring_ms, 0);
    assert_int_equal(incident_impact(&inc), INC_IMPACT_MAJOR);
    assert_true(incident_names_component(&inc, "api"));
    assert_int_equal(inc.updates[0].affected[0].old_status, COMP_OPERATIONAL);
    assert_int_equal(inc.updates[0].affected[0].new_status, COMP_PARTIAL);

    /* Monitoring, then resolved: their times are set once. */
    inc_edit_init(&e);
    e.status = INC_MONITORING;
    assert_int_equal(incident_apply(&inc, inc.id, "u2", &e, T0 + MIN, err,
                                    sizeof(err)), 0);
    assert_int_equal(inc.monitoring_ms, T0 + MIN);
    assert_int_equal(inc.nupdates, 2);
    assert_string_equal(inc.updates[1].body, "");
    e.status = INC_RESOLVED;
    e.body = "Fixed.";
    assert_int_equal(incident_apply(&inc, inc.id, "u3", &e, T0 + 2 * MIN,
                                    err, sizeof(err)), 0);
    assert_int_equal(inc.resolved_ms, T0 + 2 * MIN);
    assert_false(inc_status_unresolved(inc.status));
    /* A worse component status raises the impact; an override wins. */
    ch = change("api", COMP_MAJOR, COMP_PARTIAL);
    inc_edit_init(&e);
    e.changes = &ch;
    e.nchanges = 1;
    assert_int_equal(incident_apply(&inc, inc.id, "u4", &e, T0 + 3 * MIN,
                                    err, sizeof(err)), 0);
    assert_int_equal(incident_impact(&inc), INC_IMPACT_CRITICAL);
    inc_edit_init(&e);
    e.impact_override = INC_IMPACT_MINOR;
    assert_int_equal(incident_apply(&inc, inc.id, "u5", &e, T0 + 4 * MIN,
                                    err, sizeof(err)), 0);
    assert_int_equal(incident_impact(&inc), INC_IMPACT_MINOR);
    assert_int_equal(inc.nupdates, 4);   /* no text, status or component */
    e.impact_override = -2;
    assert_int_equal(incident_apply(&inc, inc.id, "u6", &e, T0 + 5 * MIN,
                                    err, sizeof(err)), 0);
    assert_int_equal(incident_impact(&inc), INC_IMPACT_CRITICAL);
    /* Reopening clears resolved_at. */
    inc_edit_init(&e);
    e.status = INC_IDENTIFIED;
    assert_int_equal(incident_apply(&inc, inc.id, "u7", &e, T0 + 6 * MIN,
                                    err, sizeof(err)), 0);
    assert_int_equal(inc.resolved_ms, 0);
    incident_free(&inc);
}

static void
test_bad_edits_change_nothing(void **state)
{
    struct incident inc, before;
    struct inc_edit e;
    char big[INC_BODY_MAX + 2];

    (void)state;
    memset(&inc, 0, sizeof(inc));
    inc_edit_init(&e);
    e.body = "no name";
    assert_int_equal(incident_apply(&inc, "x", "u", &e, T0, err, sizeof(err)),
                     PH_EINVAL);
    assert_non_null(strstr(err, "name"));
    assert_null(inc.name);

    e.name = "Real";
    assert_int_equal(incident_apply(&inc, "inc000000002", "u1", &e, T0, err,
                                    sizeof(err)), 0);
    assert_int_equal(incident_copy(&before, &inc), 0);
    inc_edit_init(&e);
    e.status = INC_IN_PROGRESS;   /* a maintenance status on an incident */
    assert_int_equal(incident_apply(&inc, inc.id, "u2", &e, T0, err,
                                    sizeof(err)), PH_EINVAL);
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    inc_edit_init(&e);
    e.body = big;
    assert_int_equal(incident_apply(&inc, inc.id, "u2", &e, T0, err,
                                    sizeof(err)), PH_EINVAL);
    inc_edit_init(&e);
    e.scheduled_for_ms = T0;
    assert_int_equal(incident_apply(&inc, inc.id, "u2", &e, T0, err,
                                    sizeof(err)), PH_EINVAL);
    assert_int_equal(inc.nupdates, before.nupdates);
    assert_int_equal(inc.status, before.status);
    assert_string_equal(inc.name, before.name);
    incident_free(&before);
    incident_free(&inc);
}

static void
test_updates_cap(void **state)
{
    struct incident inc;
    struct inc_edit e;
    int rc = 0;

    (void)state;
    memset(&inc, 0, sizeof(inc));
    inc_edit_init(&e);
    e.name = "Chatty";
    assert_int_equal(incident_apply(&inc, "inc000000003", "u0", &e, T0, err,
                                    sizeof(err)), 0);
    inc_edit_init(&e);
    e.body = "again";
    for (int i = 1; i <= INC_UPDATES_MAX && rc == 0; i++) {
        rc = incident_apply(&inc, inc.id, "u", &e, T0 + i, err, sizeof(err));
    }
    assert_int_equal(rc, PH_ETOOBIG);
    assert_int_equal(inc.nupdates, INC_UPDATES_MAX);
    incident_free(&inc);
}

/* The text of all updates together is capped too: two updates of 25,000
 * bytes fit under 64 KiB, the third does not, and the refused edit
 * leaves the incident as it was. */
static void
test_text_cap(void **state)
{
    static char big[INC_BODY_MAX + 1];
    struct incident inc;
    struct inc_edit e;
    int rc = 0, n = 0;

    (void)state;
    memset(big, 'x', INC_BODY_MAX);
    memset(&inc, 0, sizeof(inc));
    inc_edit_init(&e);
    e.name = "Verbose";
    e.body = big;
    assert_int_equal(incident_apply(&inc, "inc000000004", "u0", &e, T0, err,
                                    sizeof(err)), 0);
    n = 1;
    inc_edit_init(&e);
    e.body = big;
    while (rc == 0 && n < 10) {
        rc = incident_apply(&inc, inc.id, "u", &e, T0 + n, err, sizeof(err));
        n += rc == 0;
    }
    assert_int_equal(rc, PH_ETOOBIG);
    assert_int_equal(n, INC_TEXT_MAX / INC_BODY_MAX);
    assert_int_equal(inc.nupdates, (size_t)n);
    assert_true(incident_text_bytes(&inc) <= INC_TEXT_MAX);
    assert_non_null(strstr(err, "bytes of update text"));
    incident_free(&inc);
}

static void
test_maintenance_timers(void **state)
{
    struct incident m;
    struct inc_edit e;
    struct inc_comp_change ch = change("db", -1, COMP_OPERATIONAL);

    (void)state;
    memset(&m, 0, sizeof(m));
    inc_edit_init(&e);
    e.name = "Database upgrade";
    e.scheduled_for_ms = T0 + 60 * MIN;
    e.scheduled_until_ms = T0 + 120 * MIN;
    e.remind_prior_min = 30;
    e.changes = &ch;
    e.nchanges = 1;
    /* Until before for: refused. */
    e.scheduled_until_ms = T0;
    assert_int_equal(incident_apply(&m, "mnt000000001", "u1", &e, T0, err,
                                    sizeof(err)), PH_EINVAL);
    e.scheduled_until_ms = T0 + 120 * MIN;
    assert_int_equal(incident_apply(&m, "mnt000000001", "u1", &e, T0, err,
                                    sizeof(err)), 0);
    assert_int_equal(m.kind, INC_MAINTENANCE);
    assert_int_equal(m.status, INC_SCHEDULED);
    assert_int_equal(incident_impact(&m), INC_IMPACT_MAINTENANCE);
    assert_false(incident_maintenance_active(&m));

    assert_int_equal(incident_tick(&m, "u2", T0 + 10 * MIN), 0);
    assert_int_equal(incident_tick(&m, "u2", T0 + 31 * MIN), INC_TICK_REMIND);
    assert_int_equal(incident_tick(&m, "u2", T0 + 32 * MIN), 0); /* once */
    assert_int_equal(incident_tick(&m, "u2", T0 + 60 * MIN),
                     INC_TICK_STARTED);
    assert_int_equal(m.status, INC_IN_PROGRESS);
    assert_true(incident_maintenance_active(&m));
    assert_int_equal(m.started_ms, T0 + 60 * MIN);
    assert_int_equal(incident_tick(&m, "u3", T0 + 90 * MIN), 0);
    assert_int_equal(incident_tick(&m, "u3", T0 + 120 * MIN),
                     INC_TICK_COMPLETED);
    assert_int_equal(m.status, INC_COMPLETED);
    assert_int_equal(m.resolved_ms, T0 + 120 * MIN);
    assert_false(incident_maintenance_active(&m));
    assert_int_equal(m.nupdates, 3);
    assert_int_equal(incident_tick(&m, "u4", T0 + 200 * MIN), 0);
    incident_free(&m);
}

static void
test_maintenance_manual(void **state)
{
    struct incident m;
    struct inc_edit e;

    (void)state;
    memset(&m, 0, sizeof(m));
    inc_edit_init(&e);
    e.name = "Manual window";
    e.status = INC_SCHEDULED;
    e.scheduled_for_ms = T0 + MIN;
    e.scheduled_until_ms = T0 + 2 * MIN;
    e.auto_in_progress = 0;
    e.auto_completed = 0;
    assert_int_equal(incident_apply(&m, "mnt000000002", "u1", &e, T0, err,
                                    sizeof(err)), 0);
    /* Nothing happens by itself when automation is off. */
    assert_int_equal(incident_tick(&m, "u2", T0 + 5 * MIN), 0);
    assert_int_equal(m.status, INC_SCHEDULED);
    /* A missed window that is started late completes at once. */
    inc_edit_init(&e);
    e.auto_completed = 1;
    e.auto_in_progress = 1;
    assert_int_equal(incident_apply(&m, m.id, "u2", &e, T0 + 5 * MIN, err,
                                    sizeof(err)), 0);
    assert_int_equal(incident_tick(&m, "u3", T0 + 6 * MIN),
                     INC_TICK_STARTED | INC_TICK_COMPLETED);
    assert_int_equal(m.status, INC_COMPLETED);
    /* An incident status on a maintenance is refused. */
    inc_edit_init(&e);
    e.status = INC_RESOLVED;
    assert_int_equal(incident_apply(&m, m.id, "u4", &e, T0 + 7 * MIN, err,
                                    sizeof(err)), PH_EINVAL);
    incident_free(&m);
}

static void
test_names(void **state)
{
    (void)state;
    for (int s = 0; s < INC_STATUS_COUNT; s++) {
        assert_int_equal(inc_status_parse(inc_status_name(s)), s);
    }
    assert_int_equal(inc_status_parse("sleeping"), -1);
    assert_int_equal(inc_impact_parse("critical"), INC_IMPACT_CRITICAL);
    assert_int_equal(inc_impact_parse("bad"), -1);
    assert_int_equal(inc_status_kind(INC_VERIFYING), INC_MAINTENANCE);
    assert_int_equal(inc_status_kind(INC_POSTMORTEM), INC_REALTIME);
}

static void
test_update_cadence(void **state)
{
    struct incident inc;
    struct inc_edit e;

    (void)state;
    memset(&inc, 0, sizeof(inc));
    inc_edit_init(&e);
    e.name = "Slow";
    e.body = "Looking.";
    e.next_update_ms = T0 + 15 * MIN;
    assert_int_equal(incident_apply(&inc, "inc000000001", "u1", &e, T0, err,
                                    sizeof(err)), 0);
    assert_true(inc.updates[0].next_update_ms == T0 + 15 * MIN);
    /* Due update_every after the latest update; overdue only after. */
    assert_true(incident_update_due(&inc, 30 * MIN) == T0 + 30 * MIN);
    assert_false(incident_update_overdue(&inc, 30 * MIN, T0 + 30 * MIN));
    assert_true(incident_update_overdue(&inc, 30 * MIN, T0 + 30 * MIN + 1));
    assert_true(incident_update_due(&inc, 0) == 0);   /* cadence off */
    /* The incident's own period wins; 0 goes back to the default. */
    inc_edit_init(&e);
    e.update_every_min = 60;
    assert_int_equal(incident_apply(&inc, "inc000000001", "u2", &e,
                                    T0 + MIN, err, sizeof(err)), 0);
    assert_int_equal(inc.nupdates, 1);   /* no text, no update */
    assert_true(incident_update_due(&inc, 30 * MIN) == T0 + 60 * MIN);
    /* A new update restarts the period and promises nothing. */
    inc_edit_init(&e);
    e.body = "Found it.";
    assert_int_equal(incident_apply(&inc, "inc000000001", "u3", &e,
                                    T0 + 50 * MIN, err, sizeof(err)), 0);
    assert_true(inc.updates[1].next_update_ms == 0);
    assert_true(incident_update_due(&inc, 30 * MIN) == T0 + 110 * MIN);
    /* Drafts and closed incidents are never due. */
    inc.draft = 1;
    assert_true(incident_update_due(&inc, 30 * MIN) == 0);
    inc.draft = 0;
    inc_edit_init(&e);
    e.status = INC_RESOLVED;
    assert_int_equal(incident_apply(&inc, "inc000000001", "u4", &e,
                                    T0 + 60 * MIN, err, sizeof(err)), 0);
    assert_false(incident_update_overdue(&inc, 30 * MIN, T0 + 1000 * MIN));
    incident_free(&inc);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_update_cadence),
        cmocka_unit_test(test_lifecycle),
        cmocka_unit_test(test_bad_edits_change_nothing),
        cmocka_unit_test(test_updates_cap),
        cmocka_unit_test(test_text_cap),
        cmocka_unit_test(test_maintenance_timers),
        cmocka_unit_test(test_maintenance_manual),
        cmocka_unit_test(test_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
