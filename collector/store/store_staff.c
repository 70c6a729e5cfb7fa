/*
 * store_staff.c - the responders' channels of incidents.staff kept as
 * subscriber rows in state 'staff' (ids "staff-<hash>"), so reminders go
 * through the same durable outbox and worker as every notification. No
 * public fan-out, listing or count includes them (store_notify.c).
 */
#include <stdio.h>
#include <string.h>

#include "ph_err.h"
#include "store_int.h"
#include "token.h"

void
store_staff_id(int kind, const char *address, char out[STORE_SUB_ID_MAX])
{
    char text[STORE_SUB_ADDRESS_MAX + 16];
    char hash[TOKEN_HASH_HEX];

    snprintf(text, sizeof(text), "%d %s", kind, address);
    token_hash(text, strlen(text), hash);
    snprintf(out, STORE_SUB_ID_MAX, "staff-%.6s", hash);
}

static int
upsert(struct store_sq *s, const struct store_subscriber *r, int64_t now_ms)
{
    sqlite3_stmt *st = store_prepare(s,
        "INSERT INTO subscribers (id, kind, address, components, secret, "
        "unsub_sha256, state, created_ms, updated_ms) VALUES (?1, ?2, ?3, "
        "'', ?4, ?5, 'staff', ?6, ?6) ON CONFLICT (id) DO UPDATE SET "
        "secret = excluded.secret, state = 'staff', fails = 0, "
        "failing_since = 0, updated_ms = excluded.updated_ms");
    char unsub[TOKEN_HASH_HEX], seed[64];
    int result = 0;

    if (st == NULL) {
        return PH_EDB;
    }
    /* Unique, and no token hashes to it: staff rows have no link. */
    snprintf(seed, sizeof(seed), "staff row %s", r->id);
    token_hash(seed, strlen(seed), unsub);
    sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, r->kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, r->address, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, r->secret, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, unsub, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, now_ms);
    if (sqlite3_step(st) != SQLITE_DONE) {
        result = store_db_error(s, "staff upsert");
    }
    sqlite3_finalize(st);
    return result;
}

int
store_sq_staff_sync(struct store_sq *s, const struct store_subscriber *rows,
                 size_t n, int64_t now_ms)
{
    sqlite3_stmt *st = NULL;
    char gone[64][STORE_SUB_ID_MAX];
    size_t ngone = 0;
    int rc, result = 0;

    if (store_sq_tx_begin(s) != 0) {
        return PH_EDB;
    }
    for (size_t i = 0; i < n && result == 0; i++) {
        result = upsert(s, &rows[i], now_ms);
    }
    if (result != 0) {
        goto out;
    }
    st = store_prepare(s, "SELECT id FROM subscribers WHERE id LIKE "
                          "'staff-%'");
    if (st == NULL) {
        result = PH_EDB;
        goto out;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && ngone < 64) {
        const char *id = store_col_text(st, 0);
        size_t k;

        for (k = 0; k < n && strcmp(rows[k].id, id) != 0; k++) {
        }
        if (k == n) {
            snprintf(gone[ngone++], STORE_SUB_ID_MAX, "%s", id);
        }
    }
    sqlite3_finalize(st);
    st = NULL;
    /* Channels no longer configured go, with their pending reminders. */
    for (size_t i = 0; i < ngone && result == 0; i++) {
        st = store_prepare(s, "DELETE FROM subscribers WHERE id = ?1");
        if (st == NULL) {
            result = PH_EDB;
            break;
        }
        sqlite3_bind_text(st, 1, gone[i], -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE) {
            result = store_db_error(s, "staff delete");
        }
        sqlite3_finalize(st);
        st = NULL;
    }
out:
    if (result == 0 && store_sq_tx_commit(s) == 0) {
        return 0;
    }
    store_sq_tx_rollback(s);
    return result != 0 ? result : PH_EDB;
}
