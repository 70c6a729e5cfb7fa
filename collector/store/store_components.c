/*
 * store_components.c - components and groups created through the v1 API
 * (migrations/0009). Rows are written whole (insert or replace) and
 * listed in creation order; the file's components are never stored.
 */
#include <stdio.h>
#include <string.h>

#include "ph_err.h"
#include "store_int.h"

static void
bind_opt_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s != NULL) {
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    } else {
        sqlite3_bind_null(st, i);
    }
}

static const char *
col_opt_text(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL
               ? NULL
               : (const char *)sqlite3_column_text(st, i);
}

int
store_sq_component_put(struct store_sq *s, const struct store_component_row *r)
{
    sqlite3_stmt *st = store_prepare(s,
        "INSERT INTO api_components (id, name, description, group_id, "
        "showcase, only_show_if_degraded, start_date, internal, created_ms, "
        "updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
        "ON CONFLICT (id) DO UPDATE SET name = ?2, description = ?3, "
        "group_id = ?4, showcase = ?5, only_show_if_degraded = ?6, "
        "start_date = ?7, internal = ?8, updated_ms = ?10");
    int result = 0;

    if (st == NULL) {
        return PH_EDB;
    }
    sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, r->name, -1, SQLITE_STATIC);
    bind_opt_text(st, 3, r->description);
    bind_opt_text(st, 4, r->group_id);
    sqlite3_bind_int(st, 5, r->showcase);
    sqlite3_bind_int(st, 6, r->only_show_if_degraded);
    bind_opt_text(st, 7, r->start_date);
    sqlite3_bind_int(st, 8, r->internal);
    sqlite3_bind_int64(st, 9, r->created_ms);
    sqlite3_bind_int64(st, 10, r->updated_ms);
    if (sqlite3_step(st) != SQLITE_DONE) {
        result = store_db_error(s, "component put");
    }
    sqlite3_finalize(st);
    return result;
}

int
store_sq_component_delete(struct store_sq *s, const char *id)
{
    return store_change(s, "DELETE FROM api_components WHERE id = ?1", id, 0,
                        "component delete");
}

int
store_sq_list_components(struct store_sq *s, store_component_cb cb, void *arg)
{
    sqlite3_stmt *st = store_prepare(s,
        "SELECT id, name, description, group_id, showcase, "
        "only_show_if_degraded, start_date, internal, created_ms, "
        "updated_ms FROM api_components ORDER BY created_ms, id");
    int rc, result = 0;

    if (st == NULL) {
        return PH_EDB;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_component_row row = {
            .id = (const char *)sqlite3_column_text(st, 0),
            .name = (const char *)sqlite3_column_text(st, 1),
            .description = col_opt_text(st, 2),
            .group_id = col_opt_text(st, 3),
            .showcase = sqlite3_column_int(st, 4),
            .only_show_if_degraded = sqlite3_column_int(st, 5),
            .start_date = col_opt_text(st, 6),
            .internal = sqlite3_column_int(st, 7),
            .created_ms = sqlite3_column_int64(st, 8),
            .updated_ms = sqlite3_column_int64(st, 9),
        };
        result = cb(&row, arg);
        if (result != 0) {
            goto out;
        }
    }
    if (rc != SQLITE_DONE) {
        result = store_db_error(s, "component list");
    }
out:
    sqlite3_finalize(st);
    return result;
}

int
store_sq_group_put(struct store_sq *s, const struct store_group_row *r)
{
    sqlite3_stmt *st = store_prepare(s,
        "INSERT INTO api_groups (id, name, description, created_ms, "
        "updated_ms) VALUES (?1, ?2, ?3, ?4, ?5) "
        "ON CONFLICT (id) DO UPDATE SET name = ?2, description = ?3, "
        "updated_ms = ?5");
    int result = 0;

    if (st == NULL) {
        return PH_EDB;
    }
    sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, r->name, -1, SQLITE_STATIC);
    bind_opt_text(st, 3, r->description);
    sqlite3_bind_int64(st, 4, r->created_ms);
    sqlite3_bind_int64(st, 5, r->updated_ms);
    if (sqlite3_step(st) != SQLITE_DONE) {
        result = store_db_error(s, "group put");
    }
    sqlite3_finalize(st);
    return result;
}

int
store_sq_group_delete(struct store_sq *s, const char *id)
{
    return store_change(s, "DELETE FROM api_groups WHERE id = ?1", id, 0,
                        "group delete");
}

int
store_sq_list_groups(struct store_sq *s, store_group_cb cb, void *arg)
{
    sqlite3_stmt *st = store_prepare(s,
        "SELECT id, name, description, created_ms, updated_ms "
        "FROM api_groups ORDER BY created_ms, id");
    int rc, result = 0;

    if (st == NULL) {
        return PH_EDB;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_group_row row = {
            .id = (const char *)sqlite3_column_text(st, 0),
            .name = (const char *)sqlite3_column_text(st, 1),
            .description = col_opt_text(st, 2),
            .created_ms = sqlite3_column_int64(st, 3),
            .updated_ms = sqlite3_column_int64(st, 4),
        };
        result = cb(&row, arg);
        if (result != 0) {
            goto out;
        }
    }
    if (rc != SQLITE_DONE) {
        result = store_db_error(s, "group list");
    }
out:
    sqlite3_finalize(st);
    return result;
}
