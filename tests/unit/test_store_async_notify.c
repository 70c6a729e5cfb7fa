/*
 * test_store_async_notify.c - the outbox's store calls that do not wait
 * (store_async_notify.h) in a real sqlite file or PostgreSQL database
 * (store_testdb.h). On sqlite each call runs at once; on PostgreSQL
 * (tests/integration/test_store_pg.py) it goes to a writer thread with
 * its own connection and its callback runs on the loop afterwards, so
 * each step runs the loop until its callback came. Checked: messages
 * enqueued together (a repeated one reported PH_EEXIST, stored once),
 * due rows copied whole to the loop, a retry and then a delivery with
 * the subscriber's outcome, a walk of subscribers, the staff channels,
 * and every handle closed at the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <uv.h>

#include "ph_err.h"
#include "store.h"
#include "store_async_notify.h"
#include "store_testdb.h"
#include "store_writer.h"

#define SUB_ID "sub000000007"
#define T0 1767960000000LL

struct got {
    int calls;
    int result;
    int each[4];
    size_t n;
    int64_t row_id;
    char payload[64], secret[64], sub_id[32], msg_id[64];
    int quarantined;
    int subs;
};

/* Runs the loop until g->calls reaches want (at once on sqlite). */
static void
wait_calls(uv_loop_t *loop, struct got *g, int want)
{
    while (g->calls < want) {
        uv_run(loop, UV_RUN_ONCE);
    }
}

static void
on_put(int result, const int *each, const char *errmsg, void *arg)
{
    struct got *g = arg;

    (void)errmsg;
    g->result = result;
    for (size_t i = 0; each != NULL && i < 2; i++) {
        g->each[i] = each[i];
    }
    g->calls++;
}

static void
on_rows(int result, const char *errmsg, const struct store_outbox_row *rows,
        size_t n, void *arg)
{
    struct got *g = arg;

    (void)errmsg;
    g->result = result;
    g->n = n;
    if (n > 0) {
        g->row_id = rows[0].id;
        snprintf(g->payload, sizeof(g->payload), "%s", rows[0].payload);
        snprintf(g->secret, sizeof(g->secret), "%s", rows[0].secret);
        snprintf(g->sub_id, sizeof(g->sub_id), "%s", rows[0].sub_id);
        snprintf(g->msg_id, sizeof(g->msg_id), "%s", rows[0].msg_id);
    }
    g->calls++;
}

static void
on_settled(int result, int quarantined, const char *errmsg, void *arg)
{
    struct got *g = arg;

    (void)errmsg;
    g->result = result;
    g->quarantined = quarantined;
    g->calls++;
}

static int
on_sub(const struct store_subscriber *sub, void *arg)
{
    struct got *g = arg;

    if (strcmp(sub->id, SUB_ID) == 0 &&
        strcmp(sub->secret, "whsec_test") == 0) {
        g->subs++;
    }
    return 0;
}

static void
on_walked(int result, const char *errmsg, void *arg)
{
    struct got *g = arg;

    (void)errmsg;
    g->result = result;
    g->calls++;
}

static void
test_async_outbox(void **state)
{
    struct store_testdb db;
    struct store *s;
    struct store_writer *w = NULL;
    struct store_subscriber sub, staff;
    struct got g;
    uv_loop_t loop;
    char err[256];
    int64_t backlog = -1;
    struct store_outbox_new m[2];
    struct store_settle st;

    (void)state;
    assert_int_equal(uv_loop_init(&loop), 0);
    s = store_testdb_open(&db);
    assert_int_equal(store_writer_start(&loop, db.where, db.password, &w, err,
                                        sizeof(err)),
                     0);
    store_set_async_writer(s, w);
    assert_true(db.pg == (store_async_writer(s) != NULL));

    memset(&sub, 0, sizeof(sub));
    snprintf(sub.id, sizeof(sub.id), SUB_ID);
    snprintf(sub.kind, sizeof(sub.kind), "webhook");
    snprintf(sub.address, sizeof(sub.address), "https://hooks.example/y");
    snprintf(sub.secret, sizeof(sub.secret), "whsec_test");
    snprintf(sub.state, sizeof(sub.state), "active");
    sub.created_ms = T0;
    sub.updated_ms = T0;
    assert_int_equal(store_sub_add(s, &sub, NULL,
                                   "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
                                   "bbbbbbbbbbbbbbbbbbbbb"),
                     0);

    /* Two messages of one event in one transaction; the second has the
     * first's idempotency key: stored once, reported PH_EEXIST. */
    memset(m, 0, sizeof(m));
    for (int i = 0; i < 2; i++) {
        m[i].idem_key = "ev9:" SUB_ID;
        m[i].msg_id = i == 0 ? "msg_first" : "msg_second";
        m[i].subscriber_id = SUB_ID;
        m[i].event = "component.updated";
        m[i].payload = i == 0 ? "{\"n\":1}" : "{\"n\":2}";
        m[i].now_ms = T0;
        m[i].due_ms = T0;
    }
    memset(&g, 0, sizeof(g));
    assert_int_equal(store_outbox_put_all_async(s, m, 2, on_put, &g), 0);
    wait_calls(&loop, &g, 1);
    assert_int_equal(g.result, 0);
    assert_int_equal(g.each[0], 0);
    assert_int_equal(g.each[1], PH_EEXIST);
    assert_int_equal(store_outbox_backlog(s, &backlog), 0);
    assert_int_equal(backlog, 1);

    /* The due row reaches the loop whole (copied off the thread). */
    memset(&g, 0, sizeof(g));
    assert_int_equal(store_outbox_due_async(s, T0, 10, on_rows, &g), 0);
    wait_calls(&loop, &g, 1);
    assert_int_equal(g.result, 0);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.payload, "{\"n\":1}");
    assert_string_equal(g.secret, "whsec_test");
    assert_string_equal(g.sub_id, SUB_ID);
    assert_string_equal(g.msg_id, "msg_first");

    /* A failed try: retried a minute later, the subscriber's failure
     * counted; no longer due now. */
    memset(&st, 0, sizeof(st));
    st.kind = STORE_SETTLE_RETRY;
    st.row_id = g.row_id;
    st.now_ms = T0;
    st.due_ms = T0 + 60000;
    st.count = 1;
    st.err = "HTTP 500";
    st.sub_id = SUB_ID;
    st.quarantine_after = 5;
    st.span_ms = 86400000;
    memset(&g, 0, sizeof(g));
    assert_int_equal(store_outbox_settle_async(s, &st, on_settled, &g), 0);
    wait_calls(&loop, &g, 1);
    assert_int_equal(g.result, 0);
    assert_int_equal(g.quarantined, 0);
    assert_int_equal(store_sub_get(s, SUB_ID, &sub), 0);
    assert_int_equal(sub.fails, 1);
    memset(&g, 0, sizeof(g));
    assert_int_equal(store_outbox_due_async(s, T0 + 1000, 10, on_rows, &g),
                     0);
    wait_calls(&loop, &g, 1);
    assert_int_equal(g.n, 0);

    /* Delivered at the retry: nothing pending, the failures reset. */
    memset(&g, 0, sizeof(g));
    assert_int_equal(store_outbox_due_async(s, T0 + 60000, 10, on_rows, &g),
                     0);
    wait_calls(&loop, &g, 1);
    assert_int_equal(g.n, 1);
    st.kind = STORE_SETTLE_DELIVERED;
    st.row_id = g.row_id;
    st.now_ms = T0 + 60000;
    st.err = NULL;
    st.sub_ok = 1;
    memset(&g, 0, sizeof(g));
    assert_int_equal(store_outbox_settle_async(s, &st, on_settled, &g), 0);
    wait_calls(&loop, &g, 1);
    assert_int_equal(g.result, 0);
    assert_int_equal(store_outbox_backlog(s, &backlog), 0);
    assert_int_equal(backlog, 0);
    assert_int_equal(store_sub_get(s, SUB_ID, &sub), 0);
    assert_int_equal(sub.fails, 0);

    /* A walk of the active subscribers, each row then done. */
    memset(&g, 0, sizeof(g));
    assert_int_equal(store_sub_list_async(s, "active", on_sub, on_walked,
                                          &g),
                     0);
    wait_calls(&loop, &g, 1);
    assert_int_equal(g.result, 0);
    assert_int_equal(g.subs, 1);

    /* Staff channels: one row in state staff. */
    memset(&staff, 0, sizeof(staff));
    store_staff_id(1, "https://staff.example/hook", staff.id);
    snprintf(staff.kind, sizeof(staff.kind), "webhook");
    snprintf(staff.address, sizeof(staff.address),
             "https://staff.example/hook");
    memset(&g, 0, sizeof(g));
    assert_int_equal(store_staff_sync_async(s, &staff, 1, T0, on_walked, &g),
                     0);
    wait_calls(&loop, &g, 1);
    assert_int_equal(g.result, 0);
    assert_int_equal(store_testdb_query(&db, "SELECT count(*) FROM "
                                             "subscribers WHERE state = "
                                             "'staff'"),
                     1);

    store_set_async_writer(s, NULL);
    store_writer_stop(w);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    store_close(s);
    store_testdb_cleanup(&db);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_async_outbox),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
