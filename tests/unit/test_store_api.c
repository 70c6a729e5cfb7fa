/*
 * test_store_api.c - every store.h call that the results and outbox tests
 * do not cover, through the interface only, so that the same assertions
 * hold on sqlite and on PostgreSQL (store_testdb.h): agents, transitions,
 * key/value state, agent tokens, API keys, the audit log, incidents with
 * their updates, uptime checkpoints, subscribers, outbox retries and
 * transactions. Text with quotes, backslashes, braces and non-ASCII goes
 * through both backends unchanged.
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
    char last[256];
    int64_t num;
};

static int
on_agent(const struct store_agent_row *row, void *arg)
{
    struct seen *s = arg;

    s->n++;
    snprintf(s->last, sizeof(s->last), "%s/%s/%s", row->agent_id,
             row->region, row->version);
    s->num = (int64_t)row->last_seq * 1000 + row->results;
    return 0;
}

static int
on_transition(const struct store_transition_row *row, void *arg)
{
    struct seen *s = arg;

    s->n++;
    snprintf(s->last, sizeof(s->last), "%s:%s>%s:%s", row->component_id,
             row->old_status, row->new_status, row->reason);
    s->num = row->at_ms;
    return 0;
}

static int
on_token(const struct store_agent_token_row *row, void *arg)
{
    struct seen *s = arg;

    s->n++;
    snprintf(s->last, sizeof(s->last), "%s:%s", row->agent_id,
             row->token_sha256);
    s->num = row->revoked_ms;
    return 0;
}

static int
on_key(const struct store_api_key_row *row, void *arg)
{
    struct seen *s = arg;

    s->n++;
    snprintf(s->last, sizeof(s->last), "%s:%s", row->name, row->scope);
    s->num = row->revoked_ms;
    return 0;
}

static int
on_audit(const struct store_audit_row *row, void *arg)
{
    struct seen *s = arg;

    if (s->n++ == 0) {
        snprintf(s->last, sizeof(s->last), "%s|%s|%d", row->actor,
                 row->detail, row->status);
        s->num = row->id;
    }
    return 0;
}

static int
on_incident(struct incident *inc, void *arg)
{
    struct seen *s = arg;

    if (s->n++ == 0) {
        snprintf(s->last, sizeof(s->last), "%s|%s|%zu|%s|%s|%zu:%s%d",
                 inc->id, inc->name, inc->ncomponents,
                 inc->ncomponents > 1 ? inc->components[1] : "",
                 inc->nupdates > 1 ? inc->updates[1].body : "",
                 inc->nupdates > 1 ? inc->updates[1].naffected : 0,
                 inc->nupdates > 1 && inc->updates[1].naffected > 0
                     ? inc->updates[1].affected[0].code
                     : "",
                 inc->nupdates > 1 && inc->updates[1].naffected > 0
                     ? (int)inc->updates[1].affected[0].new_status
                     : -1);
        s->num = inc->scheduled_until_ms;
    }
    incident_free(inc);
    return 0;
}

static int
on_sub(const struct store_subscriber *sub, void *arg)
{
    struct seen *s = arg;

    s->n++;
    snprintf(s->last, sizeof(s->last), "%s", sub->id);
    return 0;
}

static int
stop_at_first(const struct store_agent_row *row, void *arg)
{
    (void)row;
    (void)arg;
    return 42;
}

static void
test_agents_transitions_kv(struct store *s)
{
    struct seen seen;
    char buf[64];
    uint64_t seq = 9;
    int64_t at = 0;

    assert_int_equal(store_agent_last_seq(s, "a1", &seq), 0);
    assert_int_equal(seq, 0);
    assert_int_equal(store_agent_touch(s, "a1", "eu", "1.2", 7, 3, T0), 0);
    assert_int_equal(store_insert_batch(s, "a1", "eu", 5, NULL, 0, T0), 0);
    assert_int_equal(store_agent_last_seq(s, "a1", &seq), 0);
    assert_int_equal(seq, 5);
    memset(&seen, 0, sizeof(seen));
    assert_int_equal(store_list_agents(s, on_agent, &seen), 0);
    assert_int_equal(seen.n, 1);
    assert_string_equal(seen.last, "a1/eu/1.2");
    assert_int_equal(seen.num, 5000);
    assert_int_equal(store_list_agents(s, stop_at_first, NULL), 42);

    assert_int_equal(store_last_status(s, "api", buf, sizeof(buf), &at),
                     PH_ENOENT);
    assert_int_equal(store_add_transition(s, "api", "operational",
                                          "major_outage", "probe", ODD, T0),
                     0);
    assert_int_equal(store_add_transition(s, "web", "operational",
                                          "degraded_performance", "probe",
                                          "slow", T0 + 5),
                     0);
    assert_int_equal(store_add_transition(s, "api", "major_outage",
                                          "operational", "probe", "ok",
                                          T0 + 10),
                     0);
    assert_int_equal(store_last_status(s, "api", buf, sizeof(buf), &at), 0);
    assert_string_equal(buf, "operational");
    assert_int_equal(at, T0 + 10);
    memset(&seen, 0, sizeof(seen));
    assert_int_equal(store_list_transitions(s, "api", T0, on_transition,
                                            &seen),
                     0);
    assert_int_equal(seen.n, 2);
    memset(&seen, 0, sizeof(seen));
    assert_int_equal(store_list_transitions(s, NULL, T0 + 1, on_transition,
                                            &seen),
                     0);
    assert_int_equal(seen.n, 2);
    memset(&seen, 0, sizeof(seen));
    assert_int_equal(store_list_transitions(s, "api", T0, on_transition,
                                            &seen),
                     0);
    memset(&seen, 0, sizeof(seen));
    assert_int_equal(store_list_transitions(s, "api", 0, on_transition,
                                            &seen),
                     0);
    assert_int_equal(seen.n, 2);

    assert_int_equal(store_kv_get(s, "plan", buf, sizeof(buf)), PH_ENOENT);
    assert_int_equal(store_kv_set(s, "plan", "1"), 0);
    assert_int_equal(store_kv_set(s, "plan", ODD), 0);
    assert_int_equal(store_kv_get(s, "plan", buf, sizeof(buf)), 0);
    assert_string_equal(buf, ODD);
}

static void
test_tokens_keys_audit(struct store *s)
{
    struct seen seen;

    assert_int_equal(store_agent_token_add(s, "a9", "eu", "h1", T0), 0);
    assert_int_equal(store_agent_token_add(s, "a9", "us", "h2", T0),
                     PH_EEXIST);
    assert_int_equal(store_agent_token_revoke(s, "a9", T0 + 1), 0);
    assert_int_equal(store_agent_token_revoke(s, "a9", T0 + 2), PH_ENOENT);
    memset(&seen, 0, sizeof(seen));
    assert_int_equal(store_list_agent_tokens(s, on_token, &seen), 0);
    assert_int_equal(seen.n, 1);
    assert_string_equal(seen.last, "a9:h1");
    assert_int_equal(seen.num, T0 + 1);

    assert_int_equal(store_api_key_add(s, "ops", "write", "k1", T0), 0);
    assert_int_equal(store_api_key_add(s, "ops", "read", "k2", T0),
                     PH_EEXIST);
    assert_int_equal(store_api_key_add(s, "ro", "read", "k1", T0),
                     PH_EEXIST); /* the hash is unique too */
    assert_int_equal(store_api_key_revoke(s, "nope", T0), PH_ENOENT);
    memset(&seen, 0, sizeof(seen));
    assert_int_equal(store_list_api_keys(s, on_key, &seen), 0);
    assert_int_equal(seen.n, 1);
    assert_string_equal(seen.last, "ops:write");
    assert_int_equal(seen.num, 0);

    for (int i = 0; i < 3; i++) {
        assert_int_equal(store_audit_add(s, T0 + i, "ops", "POST /x", "id",
                                         i == 2 ? ODD : "d", 200 + i),
                         0);
    }
    memset(&seen, 0, sizeof(seen));
    assert_int_equal(store_audit_list(s, 0, 2, on_audit, &seen), 0);
    assert_int_equal(seen.n, 2);
    assert_string_equal(seen.last, "ops|" ODD "|202");
    memset(&seen, 0, sizeof(seen));
    /* Older than the newest: two left. */
    {
        struct seen first;

        memset(&first, 0, sizeof(first));
        assert_int_equal(store_audit_list(s, 0, 1, on_audit, &first), 0);
        assert_int_equal(store_audit_list(s, first.num, 10, on_audit,
                                          &seen),
                         0);
        assert_int_equal(seen.n, 2);
    }
}

static void
make_incident(struct incident *inc, const char *id, int64_t created)
{
    memset(inc, 0, sizeof(*inc));
    snprintf(inc->id, sizeof(inc->id), "%s", id);
    inc->kind = INC_MAINTENANCE;
    inc->name = ph_strdup(ODD);
    inc->status = INC_IDENTIFIED;
    inc->impact_override = -1;
    inc->created_ms = created;
    inc->updated_ms = created;
    inc->scheduled_until_ms = created + 3600000;
    inc->components = ph_calloc(2, sizeof(*inc->components));
    snprintf(inc->components[0], CHECK_ID_MAX, "api");
    snprintf(inc->components[1], CHECK_ID_MAX, "web");
    inc->ncomponents = 2;
    inc->updates = ph_calloc(2, sizeof(*inc->updates));
    inc->nupdates = 2;
    for (int i = 0; i < 2; i++) {
        struct inc_update *u = &inc->updates[i];

        /* "upd" + the incident id's last 8 characters + the index. */
        snprintf(u->id, sizeof(u->id), "upd%s%d", id + 4, i);
        u->status = INC_IDENTIFIED;
        u->body = ph_strdup(i ? "second " ODD : "first");
        u->created_ms = created + i;
        u->deliver = 1;
    }
    inc->updates[1].affected = ph_calloc(1, sizeof(struct inc_affected));
    snprintf(inc->updates[1].affected[0].code, CHECK_ID_MAX, "web");
    inc->updates[1].affected[0].old_status = COMP_OPERATIONAL;
    inc->updates[1].affected[0].new_status = COMP_MAJOR;
    inc->updates[1].naffected = 1;
}

static void
test_incidents(struct store *s)
{
    struct incident inc;
    struct seen seen;
    char want[256];

    make_incident(&inc, "inc000000001", T0);
    assert_int_equal(store_incident_save(s, &inc), 0);
    /* Saved again (an update): replaced, not doubled. */
    assert_int_equal(store_incident_save(s, &inc), 0);
    incident_free(&inc);
    make_incident(&inc, "inc000000002", T0 + 1000);
    assert_int_equal(store_incident_save(s, &inc), 0);
    incident_free(&inc);

    memset(&seen, 0, sizeof(seen));
    assert_int_equal(store_incidents_load(s, 10, on_incident, &seen), 0);
    assert_int_equal(seen.n, 2);
    /* Newest first, every field and list back as saved. */
    snprintf(want, sizeof(want), "inc000000002|%s|2|web|second %s|1:web%d",
             ODD, ODD, (int)COMP_MAJOR);
    assert_string_equal(seen.last, want);
    assert_int_equal(seen.num, T0 + 1000 + 3600000);
    memset(&seen, 0, sizeof(seen));
    assert_int_equal(store_incidents_load(s, 1, on_incident, &seen), 0);
    assert_int_equal(seen.n, 1);

    assert_int_equal(store_incident_delete(s, "inc000000002"), 0);
    assert_int_equal(store_incident_delete(s, "inc000000002"), PH_ENOENT);
    memset(&seen, 0, sizeof(seen));
    assert_int_equal(store_incidents_load(s, 10, on_incident, &seen), 0);
    assert_int_equal(seen.n, 1);
}

static void
test_uptime(struct store *s)
{
    struct uptime_day days[3], got[4];
    struct uptime_acc_state st, back;
    size_t n = 99;

    memset(days, 0, sizeof(days));
    for (int i = 0; i < 3; i++) {
        days[i].date = 20260101 + i;
        days[i].day_s = 86400;
        days[i].operational_s = 86400 - 60 * i;
        days[i].major_s = 60 * i;
    }
    memset(&st, 0, sizeof(st));
    st.day.date = 20260104;
    st.day.day_s = 3600;
    st.last_s = 1767488400;
    st.status = 3;
    assert_int_equal(store_uptime_state(s, "api", &back), PH_ENOENT);
    assert_int_equal(store_uptime_checkpoint(s, "api", days, 3, &st), 0);
    /* A day written again replaces itself. */
    days[2].major_s = 7;
    assert_int_equal(store_uptime_checkpoint(s, "api", &days[2], 1, &st), 0);
    assert_int_equal(store_uptime_state(s, "api", &back), 0);
    assert_int_equal(back.day.date, 20260104);
    assert_int_equal(back.last_s, 1767488400);
    assert_int_equal(back.status, 3);
    assert_int_equal(store_uptime_days(s, "api", 20260102, got, 4, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(got[0].date, 20260102);
    assert_int_equal(got[1].major_s, 7);
    assert_int_equal(store_uptime_days(s, "api", 0, got, 1, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(store_uptime_prune(s, 20260103), 0);
    assert_int_equal(store_uptime_days(s, "api", 0, got, 4, &n), 0);
    assert_int_equal(n, 1);
}

static void
test_subscribers(struct store *s)
{
    struct store_subscriber sub, got;
    struct store_outbox_new m;
    struct seen seen;
    int64_t count = -1, last = -1;
    int quarantined = -1;

    memset(&sub, 0, sizeof(sub));
    snprintf(sub.id, sizeof(sub.id), "sub000000009");
    snprintf(sub.kind, sizeof(sub.kind), "email");
    snprintf(sub.address, sizeof(sub.address), "a@example.org");
    snprintf(sub.state, sizeof(sub.state), "pending");
    sub.created_ms = T0;
    assert_int_equal(store_sub_add(s, &sub, "c1", "u1"), 0);
    assert_int_equal(store_sub_add(s, &sub, "c2", "u2"), PH_EEXIST);
    assert_int_equal(store_sub_get(s, "nope", &got), PH_ENOENT);
    assert_int_equal(store_sub_find(s, "email", "a@example.org", &got), 0);
    assert_string_equal(got.id, "sub000000009");
    assert_int_equal(store_sub_by_token(s, 0, "c1", &got), 0);
    assert_int_equal(store_sub_set_confirm(s, got.id, "c3", T0 + 1), 0);
    assert_int_equal(store_sub_by_token(s, 0, "c1", &got), PH_ENOENT);
    assert_int_equal(store_sub_by_token(s, 0, "c3", &got), 0);
    assert_int_equal(store_sub_set_state(s, got.id, "active", T0 + 2), 0);
    assert_int_equal(store_sub_set_state(s, "nope", "active", T0 + 2),
                     PH_ENOENT);
    assert_int_equal(store_sub_get(s, got.id, &got), 0);
    assert_string_equal(got.state, "active");
    assert_int_equal(got.confirmed_ms, T0 + 2);
    assert_int_equal(store_sub_by_token(s, 1, "u1", &got), 0);

    memset(&seen, 0, sizeof(seen));
    assert_int_equal(store_sub_list(s, "active", on_sub, &seen), 0);
    assert_int_equal(seen.n, 1);
    memset(&seen, 0, sizeof(seen));
    assert_int_equal(store_sub_list(s, "pending", on_sub, &seen), 0);
    assert_int_equal(seen.n, 0);
    memset(&seen, 0, sizeof(seen));
    assert_int_equal(store_sub_list(s, NULL, on_sub, &seen), 0);
    assert_int_equal(seen.n, 1);
    assert_int_equal(store_sub_count(s, &count), 0);
    assert_int_equal(count, 1);

    memset(&m, 0, sizeof(m));
    m.idem_key = "e1:sub000000009";
    m.msg_id = "msg1";
    m.subscriber_id = "sub000000009";
    m.event = "incident.created";
    m.coalesce_key = "incident:x";
    m.payload = ODD;
    m.now_ms = T0;
    m.due_ms = T0 + 60000;
    assert_int_equal(store_outbox_put(s, &m), 0);
    /* The same incident again before the first went out: coalesced. */
    m.idem_key = "e2:sub000000009";
    m.event = "incident.updated";
    assert_int_equal(store_outbox_put(s, &m), 0);
    assert_int_equal(store_outbox_backlog(s, &count), 0);
    assert_int_equal(count, 1);
    assert_int_equal(store_outbox_sent_since(s, "sub000000009",
                                             "incident.created", T0, &count,
                                             &last),
                     0);
    assert_int_equal(count, 1);
    assert_int_equal(last, T0);
    assert_int_equal(store_outbox_retry(s, 1, T0 + 5, "503", 1), 0);
    assert_int_equal(store_outbox_give_up(s, 1, T0 + 6, "gone"), 0);
    assert_int_equal(store_outbox_backlog(s, &count), 0);
    assert_int_equal(count, 0);

    /* Failures quarantine after 2; the subscriber's messages drop. */
    assert_int_equal(store_sub_result(s, "sub000000009", 0, "e", T0, 2, 0,
                                      &quarantined),
                     0);
    assert_int_equal(quarantined, 0);
    assert_int_equal(store_sub_result(s, "sub000000009", 0, "e", T0, 2, 0,
                                      &quarantined),
                     0);
    assert_int_equal(quarantined, 1);
    assert_int_equal(store_sub_get(s, "sub000000009", &got), 0);
    assert_string_equal(got.state, "quarantined");
    assert_int_equal(store_sub_result(s, "sub000000009", 1, NULL, T0, 2, 0,
                                      &quarantined),
                     0);
}

static void
test_transactions(struct store *s, struct store_testdb *db)
{
    char buf[16];

    assert_int_equal(store_tx_begin(s), 0);
    assert_int_equal(store_kv_set(s, "tx", "gone"), 0);
    store_tx_rollback(s);
    assert_int_equal(store_kv_get(s, "tx", buf, sizeof(buf)), PH_ENOENT);
    assert_int_equal(store_tx_begin(s), 0);
    assert_int_equal(store_kv_set(s, "tx", "kept"), 0);
    assert_int_equal(store_tx_commit(s), 0);
    assert_int_equal(store_testdb_query(db, "SELECT count(*) FROM kv WHERE "
                                            "key = 'tx'"),
                     1);
}

static void
test_store_api(void **state)
{
    struct store_testdb db;
    struct store *s;

    (void)state;
    s = store_testdb_open(&db);
    assert_string_equal(store_backend_name(s),
                        db.pg ? "postgresql" : "sqlite");
    test_agents_transitions_kv(s);
    test_tokens_keys_audit(s);
    test_incidents(s);
    test_uptime(s);
    test_subscribers(s);
    test_transactions(s, &db);
    store_close(s);

    /* Opened again: migrations already there, data kept. */
    {
        struct store *s2 = NULL;
        char err[512], buf[64];

        assert_int_equal(store_open(db.where, db.password, 0, err,
                                    sizeof(err), &s2),
                         0);
        assert_int_equal(store_kv_get(s2, "plan", buf, sizeof(buf)), 0);
        assert_string_equal(buf, ODD);
        store_close(s2);
    }
    store_testdb_cleanup(&db);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_api),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
