/*
 * test_store_outbox.c - the notification outbox in a real sqlite file or PostgreSQL database (store_testdb.h):
 * an event enqueued twice is stored once (idempotency key), a delivered
 * row leaves the due list, and retention prunes finished rows only,
 * keeping pending ones whatever their age.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ph_err.h"
#include "store.h"
#include "store_testdb.h"

#define DAY 86400000LL

struct due {
    int64_t ids[8];
    size_t n;
};

static int
on_due(const struct store_outbox_row *row, void *arg)
{
    struct due *d = arg;

    if (d->n < 8) {
        d->ids[d->n++] = row->id;
    }
    return 0;
}

static void
put(struct store *s, const char *idem, int64_t now, int want)
{
    struct store_outbox_new m = {
        .idem_key = idem,
        .msg_id = idem,
        .subscriber_id = "sub000000001",
        .event = "incident.created",
        .coalesce_key = NULL,
        .payload = "{}",
        .now_ms = now,
        .due_ms = now,
    };

    assert_int_equal(store_outbox_put(s, &m), want);
}

static void
test_outbox(void **state)
{
    struct store_testdb db;
    struct store *s = NULL;
    struct store_subscriber sub;
    struct due d;
    int64_t deleted = -1, backlog = -1;
    int64_t t0 = 1767960000000LL;

    (void)state;
    s = store_testdb_open(&db);
    memset(&sub, 0, sizeof(sub));
    snprintf(sub.id, sizeof(sub.id), "sub000000001");
    snprintf(sub.kind, sizeof(sub.kind), "webhook");
    snprintf(sub.address, sizeof(sub.address), "https://hooks.example/x");
    snprintf(sub.state, sizeof(sub.state), "active");
    sub.created_ms = t0;
    sub.updated_ms = t0;
    assert_int_equal(store_sub_add(s, &sub, NULL,
                                   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
                     0);

    put(s, "ev1:sub000000001", t0, 0);
    put(s, "ev1:sub000000001", t0, PH_EEXIST);   /* a replay: no copy */
    put(s, "ev2:sub000000001", t0 + 40 * DAY, 0);
    memset(&d, 0, sizeof(d));
    assert_int_equal(store_outbox_due(s, t0 + 1, 8, on_due, &d), 0);
    assert_int_equal(d.n, 1);

    assert_int_equal(store_outbox_delivered(s, d.ids[0], t0 + 1000), 0);
    memset(&d, 0, sizeof(d));
    assert_int_equal(store_outbox_due(s, t0 + 2, 8, on_due, &d), 0);
    assert_int_equal(d.n, 0);

    /* 31 days on: the delivered row goes, the pending one stays. */
    assert_int_equal(store_outbox_prune(s, t0 + 31 * DAY, &deleted), 0);
    assert_int_equal(deleted, 1);
    assert_int_equal(store_outbox_prune(s, t0 + 400 * DAY, &deleted), 0);
    assert_int_equal(deleted, 0);
    assert_int_equal(store_outbox_backlog(s, &backlog), 0);
    assert_int_equal(backlog, 1);
    /* Its idempotency key is gone with it: only after 30 days. */
    put(s, "ev1:sub000000001", t0 + 41 * DAY, 0);

    store_close(s);
    store_testdb_cleanup(&db);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_outbox),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
