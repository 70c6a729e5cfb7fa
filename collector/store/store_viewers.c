/*
 * store_viewers.c - viewers of a private page (migrations/0008): the
 * per-viewer links of page.access: token. Only token hashes are stored.
 */
#include <stdio.h>
#include <string.h>

#include "ph_err.h"
#include "store_int.h"

int
store_sq_viewer_add(struct store_sq *s, const char *name, const char *token_sha256,
                 int64_t now_ms)
{
    sqlite3_stmt *st = store_prepare(s,
        "INSERT INTO viewers (name, token_sha256, created_ms) "
        "VALUES (?1, ?2, ?3)");
    int rc, result = 0;

    if (st == NULL) {
        return PH_EDB;
    }
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, token_sha256, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, now_ms);
    rc = sqlite3_step(st);
    if (rc == SQLITE_CONSTRAINT) {
        result = PH_EEXIST;
    } else if (rc != SQLITE_DONE) {
        result = store_db_error(s, "viewer add");
    }
    sqlite3_finalize(st);
    return result;
}

int
store_sq_viewer_revoke(struct store_sq *s, const char *name, int64_t now_ms)
{
    return store_change(s,
                        "UPDATE viewers SET revoked_ms = ?2 WHERE name = ?1 "
                        "AND revoked_ms IS NULL",
                        name, now_ms, "viewer revoke");
}

int
store_sq_list_viewers(struct store_sq *s, store_viewer_cb cb, void *arg)
{
    sqlite3_stmt *st = store_prepare(s,
        "SELECT name, token_sha256, created_ms, coalesce(revoked_ms, 0) "
        "FROM viewers ORDER BY name");
    int rc, result = 0;

    if (st == NULL) {
        return PH_EDB;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_viewer_row row = {
            .name = (const char *)sqlite3_column_text(st, 0),
            .token_sha256 = (const char *)sqlite3_column_text(st, 1),
            .created_ms = sqlite3_column_int64(st, 2),
            .revoked_ms = sqlite3_column_int64(st, 3),
        };
        result = cb(&row, arg);
        if (result != 0) {
            goto out;
        }
    }
    if (rc != SQLITE_DONE) {
        result = store_db_error(s, "viewer list");
    }
out:
    sqlite3_finalize(st);
    return result;
}
