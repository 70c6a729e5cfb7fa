/*
 * test_store_access.c - the store calls main added for private pages,
 * the v1 API's components, incident hooks, staff channels and update
 * cadence, through the interface only, so that the same assertions hold
 * on sqlite and on PostgreSQL (store_testdb.h; test_store_pg.py runs
 * this executable again on a real PostgreSQL).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mem.h"
#include "ph_err.h"
#include "store.h"
#include "store_testdb.h"

#define T0 1767960000000LL
/* Hostile text: quotes, backslashes, array-literal braces, UTF-8. */
#define ODD "it's \"odd\" \\ {a,b} \xc3\xa9\xe2\x9c\x93"

struct seen {
    int n;
    char last[512];
    int64_t num;
};

static int
on_viewer(const struct store_viewer_row *row, void *arg)
{
    struct seen *s = arg;

    s->n++;
    snprintf(s->last, sizeof(s->last), "%s|%s|%lld", row->name,
             row->token_sha256, (long long)row->created_ms);
    s->num = row->revoked_ms;
    return 0;
}

static void
test_viewers(struct store *s)
{
    struct seen seen;

    assert_int_equal(store_viewer_add(s, "alice", "h1", T0), 0);
    assert_int_equal(store_viewer_add(s, "alice", "h2", T0), PH_EEXIST);
    assert_int_equal(store_viewer_add(s, ODD, "h3", T0 + 1), 0);
    assert_int_equal(store_viewer_revoke(s, "alice", T0 + 5), 0);
    assert_int_equal(store_viewer_revoke(s, "alice", T0 + 6), PH_ENOENT);
    assert_int_equal(store_viewer_revoke(s, "nobody", T0 + 6), PH_ENOENT);
    memset(&seen, 0, sizeof(seen));
    assert_int_equal(store_list_viewers(s, on_viewer, &seen), 0);
    assert_int_equal(seen.n, 2);
    /* By name: "alice" before the odd one (which starts with 'i'). */
    assert_string_equal(seen.last, ODD "|h3|1767960000001");
    assert_int_equal(seen.num, 0);
}

static int
on_component(const struct store_component_row *row, void *arg)
{
    struct seen *s = arg;

    s->n++;
    snprintf(s->last, sizeof(s->last), "%s|%s|%s|%s|%d%d%d|%s|%lld|%lld",
             row->id, row->name, row->description ? row->description : "-",
             row->group_id ? row->group_id : "-", row->showcase,
             row->only_show_if_degraded, row->internal,
             row->start_date ? row->start_date : "-",
             (long long)row->created_ms, (long long)row->updated_ms);
    return 0;
}

static int
on_group(const struct store_group_row *row, void *arg)
{
    struct seen *s = arg;

    s->n++;
    snprintf(s->last, sizeof(s->last), "%s|%s|%s|%lld", row->id, row->name,
             row->description ? row->description : "-",
             (long long)row->updated_ms);
    return 0;
}

static void
test_components(struct store *s)
{
    struct store_component_row c = {
        .id = "cmp1", .name = ODD, .showcase = 1, .created_ms = T0,
        .updated_ms = T0,
    };
    struct store_group_row g = {
        .id = "grp1", .name = "Group", .description = ODD,
        .created_ms = T0, .updated_ms = T0,
    };
    struct seen seen;

    assert_int_equal(store_component_put(s, &c), 0);
    c.id = "cmp2";
    c.description = "second";
    c.group_id = "grp1";
    c.only_show_if_degraded = 1;
    c.internal = 1;
    c.start_date = "2026-01-01";
    c.created_ms = T0 + 1;
    c.updated_ms = T0 + 1;
    assert_int_equal(store_component_put(s, &c), 0);
    memset(&seen, 0, sizeof(seen));
    assert_int_equal(store_list_components(s, on_component, &seen), 0);
    assert_int_equal(seen.n, 2);
    assert_string_equal(seen.last, "cmp2|" ODD "|second|grp1|111|2026-01-01|"
                                   "1767960000001|1767960000001");
    /* Replaced whole, creation time kept; NULLs stay NULL. */
    c.description = NULL;
    c.group_id = NULL;
    c.start_date = NULL;
    c.created_ms = T0 + 99;
    c.updated_ms = T0 + 7;
    assert_int_equal(store_component_put(s, &c), 0);
    memset(&seen, 0, sizeof(seen));
    assert_int_equal(store_list_components(s, on_component, &seen), 0);
    assert_int_equal(seen.n, 2);
    assert_string_equal(seen.last, "cmp2|" ODD "|-|-|111|-|1767960000001|"
                                   "1767960000007");
    assert_int_equal(store_component_delete(s, "cmp1"), 0);
    assert_int_equal(store_component_delete(s, "cmp1"), PH_ENOENT);

    assert_int_equal(store_group_put(s, &g), 0);
    g.description = NULL;
    g.updated_ms = T0 + 3;
    assert_int_equal(store_group_put(s, &g), 0);
    memset(&seen, 0, sizeof(seen));
    assert_int_equal(store_list_groups(s, on_group, &seen), 0);
    assert_int_equal(seen.n, 1);
    assert_string_equal(seen.last, "grp1|Group|-|1767960000003");
    assert_int_equal(store_group_delete(s, "grp1"), 0);
    assert_int_equal(store_group_delete(s, "grp1"), PH_ENOENT);
    memset(&seen, 0, sizeof(seen));
    assert_int_equal(store_list_groups(s, on_group, &seen), 0);
    assert_int_equal(seen.n, 0);
}

static void
test_hooks(struct store *s)
{
    struct store_hook_link link, got;

    assert_int_equal(store_hook_link_get(s, "pagerduty", "P1", &got),
                     PH_ENOENT);
    memset(&link, 0, sizeof(link));
    snprintf(link.incident_id, sizeof(link.incident_id), "inc000000001");
    snprintf(link.url, sizeof(link.url), "https://x.example/" ODD);
    link.state = 1;
    link.flags = 5;
    assert_int_equal(store_hook_link_put(s, "pagerduty", "P1", &link, T0), 0);
    link.state = 3;
    assert_int_equal(store_hook_link_put(s, "pagerduty", "P1", &link,
                                         T0 + 1),
                     0);
    assert_int_equal(store_hook_link_get(s, "pagerduty", "P1", &got), 0);
    assert_string_equal(got.incident_id, "inc000000001");
    assert_string_equal(got.url, "https://x.example/" ODD);
    assert_int_equal(got.state, 3);
    assert_int_equal(got.flags, 5);
    assert_int_equal(store_hook_link_get(s, "opsgenie", "P1", &got),
                     PH_ENOENT);

    assert_int_equal(store_hook_event_seen(s, "opsgenie", "e1"), 0);
    assert_int_equal(store_hook_event_add(s, "opsgenie", "e1", T0, 0), 0);
    /* Recorded twice: still one, no error. */
    assert_int_equal(store_hook_event_add(s, "opsgenie", "e1", T0, 0), 0);
    assert_int_equal(store_hook_event_seen(s, "opsgenie", "e1"), 1);
    assert_int_equal(store_hook_event_seen(s, "pagerduty", "e1"), 0);
    /* A later event prunes the ones seen before the window. */
    assert_int_equal(store_hook_event_add(s, "opsgenie", "e2", T0 + 10,
                                          T0 + 5),
                     0);
    assert_int_equal(store_hook_event_seen(s, "opsgenie", "e1"), 0);
    assert_int_equal(store_hook_event_seen(s, "opsgenie", "e2"), 1);
}

static int
on_sub(const struct store_subscriber *row, void *arg)
{
    struct seen *s = arg;

    s->n++;
    snprintf(s->last, sizeof(s->last), "%s", row->id);
    return 0;
}

static int
on_due(const struct store_outbox_row *row, void *arg)
{
    struct seen *s = arg;

    s->n++;
    snprintf(s->last, sizeof(s->last), "%s", row->sub_id);
    return 0;
}

static void
staff_row(struct store_subscriber *r, int kind, const char *address)
{
    memset(r, 0, sizeof(*r));
    store_staff_id(kind, address, r->id);
    snprintf(r->kind, sizeof(r->kind), "%s", kind ? "webhook" : "email");
    snprintf(r->address, sizeof(r->address), "%s", address);
    snprintf(r->secret, sizeof(r->secret), "%s", kind ? "whsec_x" : "");
}

static void
test_staff(struct store *s, struct store_testdb *db)
{
    struct store_subscriber rows[2], got;
    struct store_outbox_new m;
    struct seen seen;
    int64_t count = -1;

    staff_row(&rows[0], 0, "oncall@example.org");
    staff_row(&rows[1], 1, "https://hooks.example/x");
    assert_int_equal(strncmp(rows[0].id, "staff-", 6), 0);
    assert_string_not_equal(rows[0].id, rows[1].id);
    assert_int_equal(store_staff_sync(s, rows, 2, T0), 0);
    assert_int_equal(store_sub_get(s, rows[1].id, &got), 0);
    assert_string_equal(got.state, "staff");
    assert_string_equal(got.secret, "whsec_x");
    /* In no public listing or count. */
    memset(&seen, 0, sizeof(seen));
    assert_int_equal(store_sub_list(s, NULL, on_sub, &seen), 0);
    assert_int_equal(seen.n, 0);
    assert_int_equal(store_sub_count(s, &count), 0);
    assert_int_equal(count, 0);
    memset(&seen, 0, sizeof(seen));
    assert_int_equal(store_sub_list(s, "staff", on_sub, &seen), 0);
    assert_int_equal(seen.n, 2);

    /* Reminders to them go through the outbox. */
    memset(&m, 0, sizeof(m));
    m.idem_key = "r1";
    m.msg_id = "msg-r1";
    m.subscriber_id = rows[0].id;
    m.event = "incident.reminder";
    m.coalesce_key = "reminder:1";
    m.payload = "{}";
    m.now_ms = T0;
    m.due_ms = T0;
    assert_int_equal(store_outbox_put(s, &m), 0);
    memset(&seen, 0, sizeof(seen));
    assert_int_equal(store_outbox_due(s, T0, 10, on_due, &seen), 0);
    assert_int_equal(seen.n, 1);
    assert_string_equal(seen.last, rows[0].id);

    /* Synced to the webhook only: the email row goes, with its
     * reminders; synced again: no change, no error. */
    assert_int_equal(store_staff_sync(s, &rows[1], 1, T0 + 1), 0);
    assert_int_equal(store_staff_sync(s, &rows[1], 1, T0 + 2), 0);
    assert_int_equal(store_sub_get(s, rows[0].id, &got), PH_ENOENT);
    assert_int_equal(store_testdb_query(db, "SELECT count(*) FROM "
                                            "subscribers WHERE state = "
                                            "'staff'"),
                     1);
    assert_int_equal(store_testdb_query(db, "SELECT count(*) FROM outbox"),
                     0);
    assert_int_equal(store_staff_sync(s, NULL, 0, T0 + 3), 0);
    assert_int_equal(store_testdb_query(db, "SELECT count(*) FROM "
                                            "subscribers"),
                     0);
}

static int
on_incident(struct incident *inc, void *arg)
{
    struct seen *s = arg;

    s->n++;
    snprintf(s->last, sizeof(s->last), "%s|%d|%zu|%lld|%lld", inc->id,
             inc->update_every_min, inc->nupdates,
             (long long)(inc->nupdates ? inc->updates[0].next_update_ms : -1),
             (long long)(inc->nupdates > 1 ? inc->updates[1].next_update_ms
                                           : -1));
    incident_free(inc);
    return 0;
}

static void
test_cadence(struct store *s)
{
    struct incident inc;
    struct seen seen;

    memset(&inc, 0, sizeof(inc));
    snprintf(inc.id, sizeof(inc.id), "inc000000007");
    inc.kind = INC_REALTIME;
    inc.name = ph_strdup("cadence");
    inc.status = INC_INVESTIGATING;
    inc.impact_override = -1;
    inc.created_ms = T0;
    inc.updated_ms = T0;
    inc.update_every_min = 45;
    inc.updates = ph_calloc(2, sizeof(*inc.updates));
    inc.nupdates = 2;
    for (int i = 0; i < 2; i++) {
        snprintf(inc.updates[i].id, sizeof(inc.updates[i].id), "upd0000007%d",
                 i);
        inc.updates[i].status = INC_INVESTIGATING;
        inc.updates[i].body = ph_strdup("b");
        inc.updates[i].created_ms = T0 + i;
    }
    inc.updates[1].next_update_ms = T0 + 1800000;
    assert_int_equal(store_incident_save(s, &inc), 0);
    incident_free(&inc);
    memset(&seen, 0, sizeof(seen));
    assert_int_equal(store_incidents_load(s, 10, on_incident, &seen), 0);
    assert_int_equal(seen.n, 1);
    assert_string_equal(seen.last, "inc000000007|45|2|0|1767961800000");
}

static void
test_store_access(void **state)
{
    struct store_testdb db;
    struct store *s;

    (void)state;
    s = store_testdb_open(&db);
    test_viewers(s);
    test_components(s);
    test_hooks(s);
    test_staff(s, &db);
    test_cadence(s);
    store_close(s);
    store_testdb_cleanup(&db);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_access),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
