/*
 * store_hooks.c - links between PagerDuty / Opsgenie incidents and
 * Pharos incidents, and the event ids seen recently (migrations/0010).
 */
#include <stdio.h>
#include <string.h>

#include "ph_err.h"
#include "store_int.h"

int
store_sq_hook_link_get(struct store_sq *s, const char *source,
                    const char *external_id, struct store_hook_link *ret)
{
    sqlite3_stmt *st = store_prepare(s,
        "SELECT incident_id, url, state, flags FROM hook_links "
        "WHERE source = ?1 AND external_id = ?2");
    int rc, result;

    memset(ret, 0, sizeof(*ret));
    if (st == NULL) {
        return PH_EDB;
    }
    sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, external_id, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        snprintf(ret->incident_id, sizeof(ret->incident_id), "%s",
                 store_col_text(st, 0));
        snprintf(ret->url, sizeof(ret->url), "%s", store_col_text(st, 1));
        ret->state = sqlite3_column_int(st, 2);
        ret->flags = (unsigned)sqlite3_column_int(st, 3);
        result = 0;
    } else if (rc == SQLITE_DONE) {
        result = PH_ENOENT;
    } else {
        result = store_db_error(s, "hook link get");
    }
    sqlite3_finalize(st);
    return result;
}

int
store_sq_hook_link_put(struct store_sq *s, const char *source,
                    const char *external_id,
                    const struct store_hook_link *link, int64_t now_ms)
{
    sqlite3_stmt *st = store_prepare(s,
        "INSERT INTO hook_links (source, external_id, incident_id, url, "
        "state, flags, created_ms, updated_ms) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) "
        "ON CONFLICT (source, external_id) DO UPDATE SET "
        "incident_id = excluded.incident_id, url = excluded.url, "
        "state = excluded.state, flags = excluded.flags, "
        "updated_ms = excluded.updated_ms");
    int result = 0;

    if (st == NULL) {
        return PH_EDB;
    }
    sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, external_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, link->incident_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, link->url, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, link->state);
    sqlite3_bind_int(st, 6, (int)link->flags);
    sqlite3_bind_int64(st, 7, now_ms);
    if (sqlite3_step(st) != SQLITE_DONE) {
        result = store_db_error(s, "hook link put");
    }
    sqlite3_finalize(st);
    return result;
}

int
store_sq_hook_event_seen(struct store_sq *s, const char *source,
                      const char *event_id)
{
    sqlite3_stmt *st = store_prepare(s,
        "SELECT 1 FROM hook_events WHERE source = ?1 AND event_id = ?2");
    int rc, result;

    if (st == NULL) {
        return PH_EDB;
    }
    sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, event_id, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        result = 1;
    } else if (rc == SQLITE_DONE) {
        result = 0;
    } else {
        result = store_db_error(s, "hook event seen");
    }
    sqlite3_finalize(st);
    return result;
}

int
store_sq_hook_event_add(struct store_sq *s, const char *source,
                     const char *event_id, int64_t now_ms,
                     int64_t prune_before_ms)
{
    sqlite3_stmt *st = store_prepare(s,
        "INSERT OR IGNORE INTO hook_events (source, event_id, seen_ms) "
        "VALUES (?1, ?2, ?3)");
    int result = 0;

    if (st == NULL) {
        return PH_EDB;
    }
    sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, event_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, now_ms);
    if (sqlite3_step(st) != SQLITE_DONE) {
        result = store_db_error(s, "hook event add");
    }
    sqlite3_finalize(st);
    if (result != 0) {
        return result;
    }
    st = store_prepare(s, "DELETE FROM hook_events WHERE source = ?1 AND "
                          "seen_ms < ?2");
    if (st == NULL) {
        return PH_EDB;
    }
    sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, prune_before_ms);
    if (sqlite3_step(st) != SQLITE_DONE) {
        result = store_db_error(s, "hook event prune");
    }
    sqlite3_finalize(st);
    return result;
}
