/*
 * store_keys.c - API keys created at run time (migrations/0006).
 */
#include <stdio.h>
#include <string.h>

#include "ph_err.h"
#include "store_int.h"

int
store_sq_api_key_add(struct store_sq *s, const char *name, const char *scope,
                  const char *token_sha256, int64_t now_ms)
{
    sqlite3_stmt *st = store_prepare(s,
        "INSERT INTO api_keys (name, scope, token_sha256, created_ms) "
        "VALUES (?1, ?2, ?3, ?4)");
    int rc, result = 0;

    if (st == NULL) {
        return PH_EDB;
    }
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, scope, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, token_sha256, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, now_ms);
    rc = sqlite3_step(st);
    if (rc == SQLITE_CONSTRAINT) {
        result = PH_EEXIST;
    } else if (rc != SQLITE_DONE) {
        result = store_db_error(s, "api key add");
    }
    sqlite3_finalize(st);
    return result;
}

int
store_sq_api_key_revoke(struct store_sq *s, const char *name, int64_t now_ms)
{
    return store_change(s,
                        "UPDATE api_keys SET revoked_ms = ?2 WHERE name = ?1 "
                        "AND revoked_ms IS NULL",
                        name, now_ms, "api key revoke");
}

int
store_sq_list_api_keys(struct store_sq *s, store_api_key_cb cb, void *arg)
{
    sqlite3_stmt *st = store_prepare(s,
        "SELECT name, scope, token_sha256, created_ms, "
        "coalesce(revoked_ms, 0) FROM api_keys ORDER BY name");
    int rc, result = 0;

    if (st == NULL) {
        return PH_EDB;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_api_key_row row = {
            .name = (const char *)sqlite3_column_text(st, 0),
            .scope = (const char *)sqlite3_column_text(st, 1),
            .token_sha256 = (const char *)sqlite3_column_text(st, 2),
            .created_ms = sqlite3_column_int64(st, 3),
            .revoked_ms = sqlite3_column_int64(st, 4),
        };
        result = cb(&row, arg);
        if (result != 0) {
            goto out;
        }
    }
    if (rc != SQLITE_DONE) {
        result = store_db_error(s, "api key list");
    }
out:
    sqlite3_finalize(st);
    return result;
}
