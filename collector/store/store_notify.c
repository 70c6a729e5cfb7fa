/*
 * store_notify.c - subscribers and the notification outbox in sqlite
 * (schema: migrations/0005_notify.sql; API in store.h). Statements are
 * prepared per call: these paths run a few times a second at most.
 */
#include <stdio.h>
#include <string.h>

#include "ph_err.h"
#include "store_int.h"

#define SUB_COLS                                                            \
    "id, kind, address, components, secret, state, created_ms, "           \
    "updated_ms, confirmed_ms, fails, failing_since, last_error"

static sqlite3_stmt *
prep(struct store_sq *s, const char *sql)
{
    sqlite3_stmt *st = NULL;

    if (sqlite3_prepare_v2(store_sqlite(s), sql, -1, &st, NULL) !=
        SQLITE_OK) {
        store_db_error(s, sql);
        return NULL;
    }
    return st;
}

static void
col_sub(sqlite3_stmt *st, struct store_subscriber *r)
{
    snprintf(r->id, sizeof(r->id), "%s", store_col_text(st, 0));
    snprintf(r->kind, sizeof(r->kind), "%s", store_col_text(st, 1));
    snprintf(r->address, sizeof(r->address), "%s", store_col_text(st, 2));
    snprintf(r->components, sizeof(r->components), "%s", store_col_text(st, 3));
    snprintf(r->secret, sizeof(r->secret), "%s", store_col_text(st, 4));
    snprintf(r->state, sizeof(r->state), "%s", store_col_text(st, 5));
    r->created_ms = sqlite3_column_int64(st, 6);
    r->updated_ms = sqlite3_column_int64(st, 7);
    r->confirmed_ms = sqlite3_column_int64(st, 8);
    r->fails = (uint32_t)sqlite3_column_int64(st, 9);
    r->failing_since_ms = sqlite3_column_int64(st, 10);
    snprintf(r->last_error, sizeof(r->last_error), "%s", store_col_text(st, 11));
}

int
store_sq_sub_add(struct store_sq *s, const struct store_subscriber *sub,
              const char *confirm_sha256, const char *unsub_sha256)
{
    sqlite3_stmt *st = prep(s,
        "INSERT INTO subscribers (id, kind, address, components, secret, "
        "confirm_sha256, unsub_sha256, state, created_ms, updated_ms, "
        "confirmed_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10)");
    int rc;

    if (st == NULL) {
        return PH_EDB;
    }
    sqlite3_bind_text(st, 1, sub->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, sub->kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, sub->address, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, sub->components, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, sub->secret, -1, SQLITE_STATIC);
    if (confirm_sha256 != NULL) {
        sqlite3_bind_text(st, 6, confirm_sha256, -1, SQLITE_STATIC);
    }
    sqlite3_bind_text(st, 7, unsub_sha256, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, sub->state, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 9, sub->created_ms);
    sqlite3_bind_int64(st, 10, sub->confirmed_ms);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_CONSTRAINT) {
        return PH_EEXIST;
    }
    return rc == SQLITE_DONE ? 0 : store_db_error(s, "add subscriber");
}

/* Runs a one-row query with text parameters p1, p2 (p2 may be NULL). */
static int
sub_query(struct store_sq *s, const char *sql, const char *p1, const char *p2,
          struct store_subscriber *ret)
{
    sqlite3_stmt *st = prep(s, sql);
    int rc;

    if (st == NULL) {
        return PH_EDB;
    }
    sqlite3_bind_text(st, 1, p1, -1, SQLITE_STATIC);
    if (p2 != NULL) {
        sqlite3_bind_text(st, 2, p2, -1, SQLITE_STATIC);
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        col_sub(st, ret);
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW) {
        return 0;
    }
    return rc == SQLITE_DONE ? PH_ENOENT : store_db_error(s, "subscriber");
}

int
store_sq_sub_get(struct store_sq *s, const char *id, struct store_subscriber *ret)
{
    return sub_query(s, "SELECT " SUB_COLS " FROM subscribers WHERE id = ?1",
                     id, NULL, ret);
}

int
store_sq_sub_find(struct store_sq *s, const char *kind, const char *address,
               struct store_subscriber *ret)
{
    return sub_query(s,
                     "SELECT " SUB_COLS " FROM subscribers WHERE kind = ?1 "
                     "AND address = ?2 AND state != 'unsubscribed' "
                     "ORDER BY created_ms DESC LIMIT 1",
                     kind, address, ret);
}

int
store_sq_sub_by_token(struct store_sq *s, int unsub, const char *sha256,
                   struct store_subscriber *ret)
{
    return sub_query(s,
                     unsub ? "SELECT " SUB_COLS " FROM subscribers WHERE "
                             "unsub_sha256 = ?1"
                           : "SELECT " SUB_COLS " FROM subscribers WHERE "
                             "confirm_sha256 = ?1",
                     sha256, NULL, ret);
}

static int
drop_pending(struct store_sq *s, const char *id, int64_t now_ms)
{
    sqlite3_stmt *st = prep(s, "UPDATE outbox SET state = 3, done_ms = ?2, "
                               "payload = '' WHERE subscriber_id = ?1 AND "
                               "state = 0");
    int rc;

    if (st == NULL) {
        return PH_EDB;
    }
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now_ms);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : store_db_error(s, "drop messages");
}

int
store_sq_sub_set_state(struct store_sq *s, const char *id, const char *state,
                    int64_t now_ms)
{
    sqlite3_stmt *st;
    int active = strcmp(state, "active") == 0;
    int rc, changed;

    if (store_sq_tx_begin(s) != 0) {
        return PH_EDB;
    }
    st = prep(s, active
                     ? "UPDATE subscribers SET state = ?2, updated_ms = ?3, "
                       "confirm_sha256 = NULL, fails = 0, failing_since = 0, "
                       "confirmed_ms = CASE confirmed_ms WHEN 0 THEN ?3 ELSE "
                       "confirmed_ms END WHERE id = ?1"
                     : "UPDATE subscribers SET state = ?2, updated_ms = ?3, "
                       "confirm_sha256 = NULL WHERE id = ?1");
    if (st == NULL) {
        store_sq_tx_rollback(s);
        return PH_EDB;
    }
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, now_ms);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    changed = sqlite3_changes(store_sqlite(s));
    if (rc != SQLITE_DONE) {
        rc = store_db_error(s, "subscriber state");
        store_sq_tx_rollback(s);
        return rc;
    }
    if (changed == 0) {
        store_sq_tx_rollback(s);
        return PH_ENOENT;
    }
    if (!active && strcmp(state, "pending") != 0 &&
        drop_pending(s, id, now_ms) != 0) {
        store_sq_tx_rollback(s);
        return PH_EDB;
    }
    return store_sq_tx_commit(s);
}

int
store_sq_sub_set_confirm(struct store_sq *s, const char *id,
                      const char *confirm_sha256, int64_t now_ms)
{
    sqlite3_stmt *st = prep(s, "UPDATE subscribers SET confirm_sha256 = ?2, "
                               "updated_ms = ?3 WHERE id = ?1");
    int rc;

    if (st == NULL) {
        return PH_EDB;
    }
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, confirm_sha256, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, now_ms);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : store_db_error(s, "subscriber confirm");
}

int
store_sq_sub_list(struct store_sq *s, const char *state, store_sub_cb cb,
               void *arg)
{
    sqlite3_stmt *st = prep(s, state != NULL
                                   ? "SELECT " SUB_COLS " FROM subscribers "
                                     "WHERE state = ?1 ORDER BY created_ms, id"
                                   : "SELECT " SUB_COLS " FROM subscribers "
                                     "WHERE state != 'staff' "
                                     "ORDER BY created_ms, id");
    struct store_subscriber row;
    int rc;

    if (st == NULL) {
        return PH_EDB;
    }
    if (state != NULL) {
        sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int stop;

        col_sub(st, &row);
        stop = cb(&row, arg);
        if (stop != 0) {
            sqlite3_finalize(st);
            return stop;
        }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : store_db_error(s, "list subscribers");
}

static int
count_query(struct store_sq *s, const char *sql, int64_t *ret)
{
    sqlite3_stmt *st = prep(s, sql);
    int rc;

    if (st == NULL) {
        return PH_EDB;
    }
    rc = sqlite3_step(st);
    *ret = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : store_db_error(s, "count");
}

int
store_sq_outbox_sent_since(struct store_sq *s, const char *subscriber_id,
                        const char *event, int64_t since_ms,
                        int64_t *ret_count, int64_t *ret_last_ms)
{
    sqlite3_stmt *st = prep(s, "SELECT count(*), coalesce(max(created_ms), 0)"
                               " FROM outbox WHERE subscriber_id = ?1 AND "
                               "event = ?2 AND created_ms >= ?3");
    int rc;

    *ret_count = 0;
    *ret_last_ms = 0;
    if (st == NULL) {
        return PH_EDB;
    }
    sqlite3_bind_text(st, 1, subscriber_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, event, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, since_ms);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *ret_count = sqlite3_column_int64(st, 0);
        *ret_last_ms = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : store_db_error(s, "outbox count");
}

int
store_sq_sub_count(struct store_sq *s, int64_t *ret)
{
    return count_query(s,
                       "SELECT count(*) FROM subscribers WHERE state NOT "
                       "IN ('unsubscribed', 'staff')",
                       ret);
}

int
store_sq_sub_result(struct store_sq *s, const char *id, int ok, const char *err,
                 int64_t now_ms, uint32_t quarantine_after, int64_t span_ms,
                 int *ret_quarantined)
{
    struct store_subscriber sub;
    sqlite3_stmt *st;
    int rc;

    *ret_quarantined = 0;
    if (ok) {
        st = prep(s, "UPDATE subscribers SET fails = 0, failing_since = 0 "
                     "WHERE id = ?1 AND fails != 0");
        if (st == NULL) {
            return PH_EDB;
        }
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        sqlite3_finalize(st);
        return rc == SQLITE_DONE ? 0 : store_db_error(s, "subscriber ok");
    }
    st = prep(s, "UPDATE subscribers SET fails = fails + 1, failing_since = "
                 "CASE failing_since WHEN 0 THEN ?2 ELSE failing_since END, "
                 "last_error = ?3 WHERE id = ?1");
    if (st == NULL) {
        return PH_EDB;
    }
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now_ms);
    sqlite3_bind_text(st, 3, err != NULL ? err : "", -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        return store_db_error(s, "subscriber failure");
    }
    rc = store_sq_sub_get(s, id, &sub);
    if (rc != 0) {
        return rc;
    }
    if (strcmp(sub.state, "active") == 0 &&
        (sub.fails >= quarantine_after ||
         (span_ms > 0 && now_ms - sub.failing_since_ms >= span_ms))) {
        rc = store_sq_sub_set_state(s, id, "quarantined", now_ms);
        if (rc == 0) {
            *ret_quarantined = 1;
        }
    }
    return rc;
}

int
store_sq_outbox_put(struct store_sq *s, const struct store_outbox_new *m)
{
    sqlite3_stmt *st;
    int rc;

    if (m->coalesce_key != NULL) {
        st = prep(s, "UPDATE outbox SET payload = ?3, event = CASE WHEN event LIKE "
                     "'%.created' OR event LIKE '%.scheduled' THEN event "
                     "ELSE ?4 END WHERE id = "
                     "(SELECT id FROM outbox WHERE coalesce_key = ?1 AND "
                     "subscriber_id = ?2 AND state = 0 AND attempts = 0 AND "
                     "due_ms > ?5 ORDER BY id DESC LIMIT 1)");
        if (st == NULL) {
            return PH_EDB;
        }
        sqlite3_bind_text(st, 1, m->coalesce_key, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, m->subscriber_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, m->payload, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, m->event, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 5, m->now_ms);
        rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) {
            return store_db_error(s, "coalesce message");
        }
        if (sqlite3_changes(store_sqlite(s)) > 0) {
            return 0;
        }
    }
    st = prep(s, "INSERT OR IGNORE INTO outbox (idem_key, msg_id, "
                 "subscriber_id, event, coalesce_key, payload, created_ms, "
                 "due_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    if (st == NULL) {
        return PH_EDB;
    }
    sqlite3_bind_text(st, 1, m->idem_key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, m->msg_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, m->subscriber_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, m->event, -1, SQLITE_STATIC);
    if (m->coalesce_key != NULL) {
        sqlite3_bind_text(st, 5, m->coalesce_key, -1, SQLITE_STATIC);
    }
    sqlite3_bind_text(st, 6, m->payload, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, m->now_ms);
    sqlite3_bind_int64(st, 8, m->due_ms);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        return store_db_error(s, "enqueue message");
    }
    return sqlite3_changes(store_sqlite(s)) > 0 ? 0 : PH_EEXIST;
}

int
store_sq_outbox_due(struct store_sq *s, int64_t now_ms, size_t limit,
                 store_outbox_cb cb, void *arg)
{
    sqlite3_stmt *st = prep(s,
        "SELECT o.id, o.msg_id, o.event, o.payload, o.attempts, "
        "o.created_ms, s.id, s.kind, s.address, s.secret FROM outbox o "
        "JOIN subscribers s ON s.id = o.subscriber_id WHERE o.state = 0 AND "
        "o.due_ms <= ?1 AND (s.state IN ('active', 'staff') OR "
        "(o.event = 'confirm' AND "
        "s.state = 'pending')) ORDER BY o.due_ms, o.id LIMIT ?2");
    int rc;

    if (st == NULL) {
        return PH_EDB;
    }
    sqlite3_bind_int64(st, 1, now_ms);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_outbox_row r;
        int stop;

        r.id = sqlite3_column_int64(st, 0);
        r.msg_id = store_col_text(st, 1);
        r.event = store_col_text(st, 2);
        r.payload = store_col_text(st, 3);
        r.attempts = (uint32_t)sqlite3_column_int64(st, 4);
        r.created_ms = sqlite3_column_int64(st, 5);
        r.sub_id = store_col_text(st, 6);
        r.kind = store_col_text(st, 7);
        r.address = store_col_text(st, 8);
        r.secret = store_col_text(st, 9);
        stop = cb(&r, arg);
        if (stop != 0) {
            sqlite3_finalize(st);
            return stop;
        }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : store_db_error(s, "due messages");
}

static int
outbox_update(struct store_sq *s, const char *sql, int64_t id, int64_t t,
              const char *err)
{
    sqlite3_stmt *st = prep(s, sql);
    int rc;

    if (st == NULL) {
        return PH_EDB;
    }
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, t);
    sqlite3_bind_text(st, 3, err != NULL ? err : "", -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : store_db_error(s, "outbox update");
}

int
store_sq_outbox_delivered(struct store_sq *s, int64_t id, int64_t now_ms)
{
    return outbox_update(s,
                         "UPDATE outbox SET state = 1, done_ms = ?2, "
                         "attempts = attempts + 1, payload = '', "
                         "last_error = ?3 WHERE id = ?1",
                         id, now_ms, "");
}

int
store_sq_outbox_retry(struct store_sq *s, int64_t id, int64_t due_ms,
                   const char *err, int count)
{
    return outbox_update(s,
                         count ? "UPDATE outbox SET due_ms = ?2, attempts = "
                                 "attempts + 1, last_error = ?3 WHERE id = ?1"
                               : "UPDATE outbox SET due_ms = ?2, last_error "
                                 "= ?3 WHERE id = ?1",
                         id, due_ms, err);
}

int
store_sq_outbox_give_up(struct store_sq *s, int64_t id, int64_t now_ms,
                     const char *err)
{
    return outbox_update(s,
                         "UPDATE outbox SET state = 2, done_ms = ?2, "
                         "attempts = attempts + 1, payload = '', "
                         "last_error = ?3 WHERE id = ?1",
                         id, now_ms, err);
}

int
store_sq_outbox_prune(struct store_sq *s, int64_t before_ms, int64_t *ret_deleted)
{
    sqlite3_stmt *st = store_prepare(s,
        "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE "
        "state != 0 AND done_ms < ?1 LIMIT 10000)");
    int result = 0;

    *ret_deleted = 0;
    if (st == NULL) {
        return PH_EDB;
    }
    sqlite3_bind_int64(st, 1, before_ms);
    if (sqlite3_step(st) != SQLITE_DONE) {
        result = store_db_error(s, "outbox prune");
    } else {
        *ret_deleted = sqlite3_changes(store_sqlite(s));
    }
    sqlite3_finalize(st);
    return result;
}

int
store_sq_outbox_backlog(struct store_sq *s, int64_t *ret)
{
    return count_query(s, "SELECT count(*) FROM outbox WHERE state = 0",
                       ret);
}
