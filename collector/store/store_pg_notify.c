/*
 * store_pg_notify.c - subscribers and the notification outbox in
 * PostgreSQL (migrations_pg/0005), as store_notify.c does in sqlite.
 */
#include <stdio.h>
#include <string.h>

#include "ph_err.h"
#include "store_pg_int.h"

#define SUB_COLS                                                            \
    "id, kind, address, components, secret, state, created_ms, "           \
    "updated_ms, confirmed_ms, fails, failing_since, last_error"

static void
col_sub(PGresult *r, int i, struct store_subscriber *s)
{
    snprintf(s->id, sizeof(s->id), "%s", store_pg_text(r, i, 0));
    snprintf(s->kind, sizeof(s->kind), "%s", store_pg_text(r, i, 1));
    snprintf(s->address, sizeof(s->address), "%s", store_pg_text(r, i, 2));
    snprintf(s->components, sizeof(s->components), "%s",
             store_pg_text(r, i, 3));
    snprintf(s->secret, sizeof(s->secret), "%s", store_pg_text(r, i, 4));
    snprintf(s->state, sizeof(s->state), "%s", store_pg_text(r, i, 5));
    s->created_ms = store_pg_i64(r, i, 6);
    s->updated_ms = store_pg_i64(r, i, 7);
    s->confirmed_ms = store_pg_i64(r, i, 8);
    s->fails = (uint32_t)store_pg_i64(r, i, 9);
    s->failing_since_ms = store_pg_i64(r, i, 10);
    snprintf(s->last_error, sizeof(s->last_error), "%s",
             store_pg_text(r, i, 11));
}

int
store_pg_sub_add(struct store_pg *p, const struct store_subscriber *sub,
                 const char *confirm_sha256, const char *unsub_sha256)
{
    struct pgq q;

    pgq_init(&q);
    pgq_text(&q, sub->id);
    pgq_text(&q, sub->kind);
    pgq_text(&q, sub->address);
    pgq_text(&q, sub->components);
    pgq_text(&q, sub->secret);
    pgq_text(&q, confirm_sha256);
    pgq_text(&q, unsub_sha256);
    pgq_text(&q, sub->state);
    pgq_i64(&q, sub->created_ms);
    pgq_i64(&q, sub->confirmed_ms);
    return store_pg_run(p,
        "INSERT INTO subscribers (id, kind, address, components, secret, "
        "confirm_sha256, unsub_sha256, state, created_ms, updated_ms, "
        "confirmed_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10)",
        &q, "add subscriber", NULL);
}

/* A one-row query with text parameters p1, p2 (p2 may be NULL: then the
 * statement has one parameter). */
static int
sub_query(struct store_pg *p, const char *sql, const char *p1, const char *p2,
          struct store_subscriber *ret)
{
    struct pgq q;
    PGresult *r;
    int result;

    pgq_init(&q);
    pgq_text(&q, p1);
    if (p2 != NULL) {
        pgq_text(&q, p2);
    }
    result = store_pg_run(p, sql, &q, "subscriber", &r);
    if (result != 0) {
        return result;
    }
    if (PQntuples(r) == 0) {
        result = PH_ENOENT;
    } else {
        col_sub(r, 0, ret);
    }
    PQclear(r);
    return result;
}

int
store_pg_sub_get(struct store_pg *p, const char *id,
                 struct store_subscriber *ret)
{
    return sub_query(p, "SELECT " SUB_COLS " FROM subscribers WHERE id = $1",
                     id, NULL, ret);
}

int
store_pg_sub_find(struct store_pg *p, const char *kind, const char *address,
                  struct store_subscriber *ret)
{
    return sub_query(p,
                     "SELECT " SUB_COLS " FROM subscribers WHERE kind = $1 "
                     "AND address = $2 AND state != 'unsubscribed' "
                     "ORDER BY created_ms DESC LIMIT 1",
                     kind, address, ret);
}

int
store_pg_sub_by_token(struct store_pg *p, int unsub, const char *sha256,
                      struct store_subscriber *ret)
{
    return sub_query(p,
                     unsub ? "SELECT " SUB_COLS " FROM subscribers WHERE "
                             "unsub_sha256 = $1"
                           : "SELECT " SUB_COLS " FROM subscribers WHERE "
                             "confirm_sha256 = $1",
                     sha256, NULL, ret);
}

int
store_pg_sub_set_state(struct store_pg *p, const char *id, const char *state,
                       int64_t now_ms)
{
    int active = strcmp(state, "active") == 0;
    struct pgq q;
    PGresult *r;
    int result;

    if (store_pg_tx_begin(p) != 0) {
        return PH_EDB;
    }
    pgq_init(&q);
    pgq_text(&q, id);
    pgq_text(&q, state);
    pgq_i64(&q, now_ms);
    result = store_pg_run(p, active
        ? "UPDATE subscribers SET state = $2, updated_ms = $3, "
          "confirm_sha256 = NULL, fails = 0, failing_since = 0, "
          "confirmed_ms = CASE confirmed_ms WHEN 0 THEN $3 ELSE "
          "confirmed_ms END WHERE id = $1"
        : "UPDATE subscribers SET state = $2, updated_ms = $3, "
          "confirm_sha256 = NULL WHERE id = $1", &q, "subscriber state", &r);
    if (result != 0) {
        store_pg_tx_rollback(p);
        return result;
    }
    if (store_pg_changes(r) == 0) {
        PQclear(r);
        store_pg_tx_rollback(p);
        return PH_ENOENT;
    }
    PQclear(r);
    if (!active && strcmp(state, "pending") != 0) {
        pgq_init(&q);
        pgq_text(&q, id);
        pgq_i64(&q, now_ms);
        result = store_pg_run(p,
            "UPDATE outbox SET state = 3, done_ms = $2, payload = '' WHERE "
            "subscriber_id = $1 AND state = 0", &q, "drop messages", NULL);
        if (result != 0) {
            store_pg_tx_rollback(p);
            return PH_EDB;
        }
    }
    return store_pg_tx_commit(p);
}

int
store_pg_sub_set_confirm(struct store_pg *p, const char *id,
                         const char *confirm_sha256, int64_t now_ms)
{
    struct pgq q;

    pgq_init(&q);
    pgq_text(&q, id);
    pgq_text(&q, confirm_sha256);
    pgq_i64(&q, now_ms);
    return store_pg_run(p,
        "UPDATE subscribers SET confirm_sha256 = $2, updated_ms = $3 WHERE "
        "id = $1", &q, "subscriber confirm", NULL);
}

int
store_pg_sub_list(struct store_pg *p, const char *state, store_sub_cb cb,
                  void *arg)
{
    struct store_subscriber row;
    struct pgq q;
    PGresult *r;
    int result;

    pgq_init(&q);
    pgq_text(&q, state);
    result = store_pg_run(p,
        "SELECT " SUB_COLS " FROM subscribers WHERE ($1::text IS NULL AND "
        "state != 'staff' OR state = $1) ORDER BY created_ms, id", &q, "list subscribers", &r);
    for (int i = 0; result == 0 && i < PQntuples(r); i++) {
        col_sub(r, i, &row);
        result = cb(&row, arg);
    }
    PQclear(r);
    return result;
}

static int
count_query(struct store_pg *p, const char *sql, int64_t *ret)
{
    PGresult *r;
    int result = store_pg_run(p, sql, NULL, "count", &r);

    *ret = 0;
    if (result != 0) {
        return result;
    }
    *ret = store_pg_i64(r, 0, 0);
    PQclear(r);
    return 0;
}

int
store_pg_outbox_sent_since(struct store_pg *p, const char *subscriber_id,
                           const char *event, int64_t since_ms,
                           int64_t *ret_count, int64_t *ret_last_ms)
{
    struct pgq q;
    PGresult *r;
    int result;

    *ret_count = 0;
    *ret_last_ms = 0;
    pgq_init(&q);
    pgq_text(&q, subscriber_id);
    pgq_text(&q, event);
    pgq_i64(&q, since_ms);
    result = store_pg_run(p,
        "SELECT count(*), coalesce(max(created_ms), 0) FROM outbox WHERE "
        "subscriber_id = $1 AND event = $2 AND created_ms >= $3", &q,
        "outbox count", &r);
    if (result != 0) {
        return result;
    }
    *ret_count = store_pg_i64(r, 0, 0);
    *ret_last_ms = store_pg_i64(r, 0, 1);
    PQclear(r);
    return 0;
}

int
store_pg_sub_count(struct store_pg *p, int64_t *ret)
{
    return count_query(p,
                       "SELECT count(*) FROM subscribers WHERE state NOT "
                       "IN ('unsubscribed', 'staff')",
                       ret);
}

int
store_pg_sub_result(struct store_pg *p, const char *id, int ok,
                    const char *err, int64_t now_ms,
                    uint32_t quarantine_after, int64_t span_ms,
                    int *ret_quarantined)
{
    struct store_subscriber sub;
    struct pgq q;
    int result;

    *ret_quarantined = 0;
    pgq_init(&q);
    pgq_text(&q, id);
    if (ok) {
        return store_pg_run(p,
            "UPDATE subscribers SET fails = 0, failing_since = 0 WHERE id = "
            "$1 AND fails != 0", &q, "subscriber ok", NULL);
    }
    pgq_i64(&q, now_ms);
    pgq_text(&q, err != NULL ? err : "");
    result = store_pg_run(p,
        "UPDATE subscribers SET fails = fails + 1, failing_since = CASE "
        "failing_since WHEN 0 THEN $2 ELSE failing_since END, last_error = "
        "$3 WHERE id = $1", &q, "subscriber failure", NULL);
    if (result != 0) {
        return result;
    }
    result = store_pg_sub_get(p, id, &sub);
    if (result != 0) {
        return result;
    }
    if (strcmp(sub.state, "active") == 0 &&
        (sub.fails >= quarantine_after ||
         (span_ms > 0 && now_ms - sub.failing_since_ms >= span_ms))) {
        result = store_pg_sub_set_state(p, id, "quarantined", now_ms);
        if (result == 0) {
            *ret_quarantined = 1;
        }
    }
    return result;
}

int
store_pg_outbox_put(struct store_pg *p, const struct store_outbox_new *m)
{
    struct pgq q;
    PGresult *r;
    int result;

    if (m->coalesce_key != NULL) {
        pgq_init(&q);
        pgq_text(&q, m->coalesce_key);
        pgq_text(&q, m->subscriber_id);
        pgq_text(&q, m->payload);
        pgq_text(&q, m->event);
        pgq_i64(&q, m->now_ms);
        result = store_pg_run(p,
            "UPDATE outbox SET payload = $3, event = CASE WHEN event LIKE "
            "'%.created' OR event LIKE '%.scheduled' THEN event ELSE $4 END "
            "WHERE id = (SELECT id FROM outbox WHERE coalesce_key = $1 AND "
            "subscriber_id = $2 AND state = 0 AND attempts = 0 AND due_ms > "
            "$5 ORDER BY id DESC LIMIT 1)", &q, "coalesce message", &r);
        if (result != 0) {
            return result;
        }
        result = store_pg_changes(r) > 0;
        PQclear(r);
        if (result) {
            return 0;
        }
    }
    pgq_init(&q);
    pgq_text(&q, m->idem_key);
    pgq_text(&q, m->msg_id);
    pgq_text(&q, m->subscriber_id);
    pgq_text(&q, m->event);
    pgq_text(&q, m->coalesce_key);
    pgq_text(&q, m->payload);
    pgq_i64(&q, m->now_ms);
    pgq_i64(&q, m->due_ms);
    result = store_pg_run(p,
        "INSERT INTO outbox (idem_key, msg_id, subscriber_id, event, "
        "coalesce_key, payload, created_ms, due_ms) VALUES ($1, $2, $3, $4, "
        "$5, $6, $7, $8) ON CONFLICT (idem_key) DO NOTHING", &q,
        "enqueue message", &r);
    if (result != 0) {
        return result;
    }
    result = store_pg_changes(r) > 0 ? 0 : PH_EEXIST;
    PQclear(r);
    return result;
}

int
store_pg_outbox_due(struct store_pg *p, int64_t now_ms, size_t limit,
                    store_outbox_cb cb, void *arg)
{
    struct pgq q;
    PGresult *r;
    int result;

    pgq_init(&q);
    pgq_i64(&q, now_ms);
    pgq_i64(&q, (int64_t)limit);
    result = store_pg_run(p,
        "SELECT o.id, o.msg_id, o.event, o.payload, o.attempts, "
        "o.created_ms, s.id, s.kind, s.address, s.secret FROM outbox o "
        "JOIN subscribers s ON s.id = o.subscriber_id WHERE o.state = 0 AND "
        "o.due_ms <= $1 AND (s.state IN ('active', 'staff') OR "
        "(o.event = 'confirm' AND s.state = 'pending')) ORDER BY o.due_ms, o.id LIMIT $2", &q,
        "due messages", &r);
    for (int i = 0; result == 0 && i < PQntuples(r); i++) {
        struct store_outbox_row row = {
            .id = store_pg_i64(r, i, 0),
            .msg_id = store_pg_text(r, i, 1),
            .event = store_pg_text(r, i, 2),
            .payload = store_pg_text(r, i, 3),
            .attempts = (uint32_t)store_pg_i64(r, i, 4),
            .created_ms = store_pg_i64(r, i, 5),
            .sub_id = store_pg_text(r, i, 6),
            .kind = store_pg_text(r, i, 7),
            .address = store_pg_text(r, i, 8),
            .secret = store_pg_text(r, i, 9),
        };
        result = cb(&row, arg);
    }
    PQclear(r);
    return result;
}

static int
outbox_update(struct store_pg *p, const char *sql, int64_t id, int64_t t,
              const char *err)
{
    struct pgq q;

    pgq_init(&q);
    pgq_i64(&q, id);
    pgq_i64(&q, t);
    pgq_text(&q, err != NULL ? err : "");
    return store_pg_run(p, sql, &q, "outbox update", NULL);
}

int
store_pg_outbox_delivered(struct store_pg *p, int64_t id, int64_t now_ms)
{
    return outbox_update(p,
                         "UPDATE outbox SET state = 1, done_ms = $2, "
                         "attempts = attempts + 1, payload = '', "
                         "last_error = $3 WHERE id = $1",
                         id, now_ms, "");
}

int
store_pg_outbox_retry(struct store_pg *p, int64_t id, int64_t due_ms,
                      const char *err, int count)
{
    return outbox_update(p,
                         count ? "UPDATE outbox SET due_ms = $2, attempts = "
                                 "attempts + 1, last_error = $3 WHERE id = $1"
                               : "UPDATE outbox SET due_ms = $2, last_error "
                                 "= $3 WHERE id = $1",
                         id, due_ms, err);
}

int
store_pg_outbox_give_up(struct store_pg *p, int64_t id, int64_t now_ms,
                        const char *err)
{
    return outbox_update(p,
                         "UPDATE outbox SET state = 2, done_ms = $2, "
                         "attempts = attempts + 1, payload = '', "
                         "last_error = $3 WHERE id = $1",
                         id, now_ms, err);
}

int
store_pg_outbox_prune(struct store_pg *p, int64_t before_ms,
                      int64_t *ret_deleted)
{
    struct pgq q;
    PGresult *r;
    int result;

    *ret_deleted = 0;
    pgq_init(&q);
    pgq_i64(&q, before_ms);
    result = store_pg_run(p,
        "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE state "
        "!= 0 AND done_ms < $1 LIMIT 10000)", &q, "outbox prune", &r);
    if (result != 0) {
        return result;
    }
    *ret_deleted = store_pg_changes(r);
    PQclear(r);
    return 0;
}

int
store_pg_outbox_backlog(struct store_pg *p, int64_t *ret)
{
    return count_query(p, "SELECT count(*) FROM outbox WHERE state = 0",
                       ret);
}
