/*
 * store_incidents.c - incidents, their updates and the audit log in
 * sqlite (schema: migrations/0004_incidents.sql). Writes are rare (humans
 * and automation), so statements are prepared per call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mem.h"
#include "ph_err.h"
#include "store_codec.h"
#include "store_int.h"

static const char *
text_of(const struct buf *b)
{
    return b->data != NULL ? b->data : "";
}

static int
save_updates(struct store_sq *s, const struct incident *inc)
{
    sqlite3_stmt *st = store_prepare(s,
        "INSERT INTO incident_updates (id, incident_id, seq, status, body, "
        "created_ms, updated_ms, display_ms, deliver, affected, "
        "next_update_ms) VALUES "
        "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
    struct buf b;
    int result = 0;

    if (st == NULL) {
        return PH_EDB;
    }
    buf_init(&b, 64 * 1024);
    for (size_t i = 0; i < inc->nupdates; i++) {
        const struct inc_update *u = &inc->updates[i];

        buf_reset(&b);
        if (store_join_affected(u, &b) != 0) {
            result = PH_ENOMEM;
            goto out;
        }
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, u->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, inc->id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, (sqlite3_int64)i);
        sqlite3_bind_int(st, 4, (int)u->status);
        sqlite3_bind_text(st, 5, u->body, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 6, u->created_ms);
        sqlite3_bind_int64(st, 7, u->updated_ms);
        sqlite3_bind_int64(st, 8, u->display_ms);
        sqlite3_bind_int(st, 9, u->deliver);
        sqlite3_bind_text(st, 10, text_of(&b), -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 11, u->next_update_ms);
        if (sqlite3_step(st) != SQLITE_DONE) {
            result = store_db_error(s, "incident update insert");
            goto out;
        }
    }
out:
    buf_free(&b);
    sqlite3_finalize(st);
    return result;
}

int
store_sq_incident_save(struct store_sq *s, const struct incident *inc)
{
    sqlite3_stmt *st = NULL, *del = NULL;
    struct buf comps;
    int result;

    buf_init(&comps, 8192);
    if (store_join_components(inc, &comps) != 0) {
        buf_free(&comps);
        return PH_ENOMEM;
    }
    if (store_sq_tx_begin(s) != 0) {
        buf_free(&comps);
        return PH_EDB;
    }
    st = store_prepare(s,
        "INSERT OR REPLACE INTO incidents (id, kind, name, status, "
        "impact_override, draft, auto_opened, created_ms, updated_ms, "
        "started_ms, monitoring_ms, resolved_ms, scheduled_for_ms, "
        "scheduled_until_ms, remind_prior_min, reminded_ms, "
        "auto_in_progress, auto_completed, components, update_every_min) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
        "?14, ?15, ?16, ?17, ?18, ?19, ?20)");
    del = store_prepare(s, "DELETE FROM incident_updates WHERE incident_id = ?1");
    if (st == NULL || del == NULL) {
        result = PH_EDB;
        goto out;
    }
    sqlite3_bind_text(st, 1, inc->id, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, (int)inc->kind);
    sqlite3_bind_text(st, 3, inc->name, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, (int)inc->status);
    sqlite3_bind_int(st, 5, inc->impact_override);
    sqlite3_bind_int(st, 6, inc->draft);
    sqlite3_bind_int(st, 7, inc->auto_opened);
    sqlite3_bind_int64(st, 8, inc->created_ms);
    sqlite3_bind_int64(st, 9, inc->updated_ms);
    sqlite3_bind_int64(st, 10, inc->started_ms);
    sqlite3_bind_int64(st, 11, inc->monitoring_ms);
    sqlite3_bind_int64(st, 12, inc->resolved_ms);
    sqlite3_bind_int64(st, 13, inc->scheduled_for_ms);
    sqlite3_bind_int64(st, 14, inc->scheduled_until_ms);
    sqlite3_bind_int(st, 15, inc->remind_prior_min);
    sqlite3_bind_int64(st, 16, inc->reminded_ms);
    sqlite3_bind_int(st, 17, inc->auto_in_progress);
    sqlite3_bind_int(st, 18, inc->auto_completed);
    sqlite3_bind_text(st, 19, text_of(&comps), -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 20, inc->update_every_min);
    /* REPLACE deletes the old row first, which cascades to its updates;
     * delete them explicitly too so the result never depends on the
     * foreign_keys pragma. */
    sqlite3_bind_text(del, 1, inc->id, -1, SQLITE_STATIC);
    if (sqlite3_step(del) != SQLITE_DONE) {
        result = store_db_error(s, "incident updates delete");
        goto out;
    }
    if (sqlite3_step(st) != SQLITE_DONE) {
        result = store_db_error(s, "incident save");
        goto out;
    }
    result = save_updates(s, inc);
    if (result != 0) {
        goto out;
    }
    result = store_sq_tx_commit(s);
out:
    sqlite3_finalize(st);
    sqlite3_finalize(del);
    buf_free(&comps);
    if (result != 0) {
        char keep[256];
        snprintf(keep, sizeof(keep), "%s", store_sq_errmsg(s));
        store_sq_tx_rollback(s);
        store_db_error(s, keep);
    }
    return result;
}

int
store_sq_incident_delete(struct store_sq *s, const char *id)
{
    sqlite3_stmt *st = store_prepare(s, "DELETE FROM incidents WHERE id = ?1");
    sqlite3_stmt *du = store_prepare(s,
                            "DELETE FROM incident_updates WHERE incident_id "
                            "= ?1");
    int result = 0;

    if (st == NULL || du == NULL) {
        result = PH_EDB;
        goto out;
    }
    sqlite3_bind_text(du, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (sqlite3_step(du) != SQLITE_DONE || sqlite3_step(st) != SQLITE_DONE) {
        result = store_db_error(s, "incident delete");
        goto out;
    }
    if (sqlite3_changes(store_sqlite(s)) == 0) {
        result = PH_ENOENT;
    }
out:
    sqlite3_finalize(st);
    sqlite3_finalize(du);
    return result;
}

static int
load_updates(struct store_sq *s, sqlite3_stmt *st, struct incident *inc)
{
    int rc;

    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, inc->id, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW &&
           inc->nupdates < INC_UPDATES_MAX) {
        struct inc_update *v = ph_realloc(
            inc->updates, (inc->nupdates + 1) * sizeof(*v));
        struct inc_update *u;

        if (v == NULL) {
            return PH_ENOMEM;
        }
        inc->updates = v;
        u = &v[inc->nupdates++];
        memset(u, 0, sizeof(*u));
        snprintf(u->id, sizeof(u->id), "%s", store_col_text(st, 0));
        u->status = (enum inc_status)sqlite3_column_int(st, 1);
        u->body = ph_strdup(store_col_text(st, 2));
        if (u->body == NULL) {
            return PH_ENOMEM;
        }
        u->created_ms = sqlite3_column_int64(st, 3);
        u->updated_ms = sqlite3_column_int64(st, 4);
        u->display_ms = sqlite3_column_int64(st, 5);
        u->deliver = sqlite3_column_int(st, 6);
        u->next_update_ms = sqlite3_column_int64(st, 8);
        if (store_split_affected(u, store_col_text(st, 7)) != 0) {
            return PH_ENOMEM;
        }
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        return store_db_error(s, "incident updates load");
    }
    return 0;
}

int
store_sq_incidents_load(struct store_sq *s, size_t max, store_incident_cb cb,
                     void *arg)
{
    sqlite3_stmt *st = store_prepare(s,
        "SELECT id, kind, name, status, impact_override, draft, "
        "auto_opened, created_ms, updated_ms, started_ms, monitoring_ms, "
        "resolved_ms, scheduled_for_ms, scheduled_until_ms, "
        "remind_prior_min, reminded_ms, auto_in_progress, auto_completed, "
        "components, update_every_min FROM incidents ORDER BY created_ms "
        "DESC, id LIMIT ?1");
    sqlite3_stmt *ups = store_prepare(s,
        "SELECT id, status, body, created_ms, updated_ms, display_ms, "
        "deliver, affected, next_update_ms FROM incident_updates WHERE "
        "incident_id = ?1 "
        "ORDER BY seq");
    struct incident inc;
    int rc, result = 0;

    memset(&inc, 0, sizeof(inc));
    if (st == NULL || ups == NULL) {
        result = PH_EDB;
        goto out;
    }
    sqlite3_bind_int64(st, 1, (sqlite3_int64)max);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int status = sqlite3_column_int(st, 3);

        memset(&inc, 0, sizeof(inc));
        snprintf(inc.id, sizeof(inc.id), "%s", store_col_text(st, 0));
        inc.kind = sqlite3_column_int(st, 1) ? INC_MAINTENANCE : INC_REALTIME;
        inc.name = ph_strdup(store_col_text(st, 2));
        if (inc.name == NULL) {
            result = PH_ENOMEM;
            goto out;
        }
        inc.status = status >= 0 && status < INC_STATUS_COUNT
                         ? (enum inc_status)status
                         : INC_INVESTIGATING;
        inc.impact_override = sqlite3_column_int(st, 4);
        inc.draft = sqlite3_column_int(st, 5);
        inc.auto_opened = sqlite3_column_int(st, 6);
        inc.created_ms = sqlite3_column_int64(st, 7);
        inc.updated_ms = sqlite3_column_int64(st, 8);
        inc.started_ms = sqlite3_column_int64(st, 9);
        inc.monitoring_ms = sqlite3_column_int64(st, 10);
        inc.resolved_ms = sqlite3_column_int64(st, 11);
        inc.scheduled_for_ms = sqlite3_column_int64(st, 12);
        inc.scheduled_until_ms = sqlite3_column_int64(st, 13);
        inc.remind_prior_min = sqlite3_column_int(st, 14);
        inc.reminded_ms = sqlite3_column_int64(st, 15);
        inc.auto_in_progress = sqlite3_column_int(st, 16);
        inc.auto_completed = sqlite3_column_int(st, 17);
        inc.update_every_min = sqlite3_column_int(st, 19);
        if (store_split_components(&inc, store_col_text(st, 18)) != 0) {
            result = PH_ENOMEM;
            goto out;
        }
        result = load_updates(s, ups, &inc);
        if (result != 0) {
            goto out;
        }
        result = cb(&inc, arg);
        memset(&inc, 0, sizeof(inc));   /* cb owns it now */
        if (result != 0) {
            goto out;
        }
    }
    if (rc != SQLITE_DONE) {
        result = store_db_error(s, "incidents load");
    }
out:
    incident_free(&inc);
    sqlite3_finalize(st);
    sqlite3_finalize(ups);
    return result;
}

int
store_sq_audit_add(struct store_sq *s, int64_t at_ms, const char *actor,
                const char *action, const char *target, const char *detail,
                int status)
{
    sqlite3_stmt *st = store_prepare(s,
        "INSERT INTO audit_log (at_ms, actor, action, target, detail, "
        "status) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    int result = 0;

    if (st == NULL) {
        return PH_EDB;
    }
    sqlite3_bind_int64(st, 1, at_ms);
    sqlite3_bind_text(st, 2, actor, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, action, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, target, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, detail, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 6, status);
    if (sqlite3_step(st) != SQLITE_DONE) {
        result = store_db_error(s, "audit insert");
    }
    sqlite3_finalize(st);
    return result;
}

int
store_sq_audit_list(struct store_sq *s, int64_t before_id, size_t limit,
                 store_audit_cb cb, void *arg)
{
    sqlite3_stmt *st = store_prepare(s,
        "SELECT id, at_ms, actor, action, target, detail, status FROM "
        "audit_log WHERE (?1 = 0 OR id < ?1) ORDER BY id DESC LIMIT ?2");
    int rc, result = 0;

    if (st == NULL) {
        return PH_EDB;
    }
    sqlite3_bind_int64(st, 1, before_id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_audit_row row = {
            .id = sqlite3_column_int64(st, 0),
            .at_ms = sqlite3_column_int64(st, 1),
            .actor = store_col_text(st, 2),
            .action = store_col_text(st, 3),
            .target = store_col_text(st, 4),
            .detail = store_col_text(st, 5),
            .status = sqlite3_column_int(st, 6),
        };
        result = cb(&row, arg);
        if (result != 0) {
            goto out;
        }
    }
    if (rc != SQLITE_DONE) {
        result = store_db_error(s, "audit list");
    }
out:
    sqlite3_finalize(st);
    return result;
}
