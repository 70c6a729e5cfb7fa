/*
 * store_sqlite_copy.c - a sqlite database's rows, table by table, for
 * store_copy.c (declared in store_be.h): a read snapshot, counts and
 * rows as text (a BLOB as PostgreSQL's bytea hex text, "\\x" and two
 * hex digits a byte).
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "ph_err.h"
#include "store_be.h"
#include "store_int.h"

int
store_sq_read_begin(struct store_sq *s)
{
    /* A deferred transaction: one snapshot for every table read. */
    return store_exec(s, "BEGIN");
}

void
store_sq_read_end(struct store_sq *s)
{
    store_exec(s, "COMMIT");
}

int
store_sq_count(struct store_sq *s, const char *table, int64_t *ret)
{
    char sql[160];
    sqlite3_stmt *st;
    int rc;

    snprintf(sql, sizeof(sql), "SELECT count(*) FROM \"%s\"", table);
    st = store_prepare(s, sql);
    if (st == NULL) {
        return PH_EDB;
    }
    rc = sqlite3_step(st);
    *ret = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : store_db_error(s, "count");
}

/* A BLOB value at most, in bytes (a latency sketch is a few KiB). */
#define COPY_BLOB_MAX (1024 * 1024)

/* The BLOB in column i of st as bytea hex text into b (reset first). */
static int
blob_hex(sqlite3_stmt *st, int i, struct buf *b)
{
    static const char digits[] = "0123456789abcdef";
    const unsigned char *p = sqlite3_column_blob(st, i);
    int n = sqlite3_column_bytes(st, i);
    char pair[2];

    buf_reset(b);
    if (n > COPY_BLOB_MAX) {
        return PH_ETOOBIG;
    }
    if (buf_appends(b, "\\x") != 0) {
        return PH_ENOMEM;
    }
    for (int k = 0; k < n; k++) {
        pair[0] = digits[p[k] >> 4];
        pair[1] = digits[p[k] & 15];
        if (buf_append(b, pair, 2) != 0) {
            return PH_ENOMEM;
        }
    }
    return 0;
}

int
store_sq_rows(struct store_sq *s, const char *table, const char *const *cols,
              size_t n, store_row_cb cb, void *arg)
{
    const char *vals[STORE_COPY_COLS_MAX];
    struct buf hex[STORE_COPY_COLS_MAX];
    struct buf sql;
    sqlite3_stmt *st = NULL;
    int rc, result = 0;

    if (n == 0 || n > STORE_COPY_COLS_MAX) {
        return PH_EINVAL;
    }
    for (size_t i = 0; i < STORE_COPY_COLS_MAX; i++) {
        buf_init(&hex[i], 2 * COPY_BLOB_MAX + 8);
    }
    buf_init(&sql, 8192);
    buf_appends(&sql, "SELECT ");
    for (size_t i = 0; i < n; i++) {
        buf_printf(&sql, i ? ", \"%s\"" : "\"%s\"", cols[i]);
    }
    if (buf_printf(&sql, " FROM \"%s\" ORDER BY rowid", table) != 0) {
        buf_free(&sql);
        return PH_ENOMEM;
    }
    st = store_prepare(s, sql.data);
    buf_free(&sql);
    if (st == NULL) {
        result = PH_EDB;
        goto out;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (size_t i = 0; i < n; i++) {
            int type = sqlite3_column_type(st, (int)i);

            if (type == SQLITE_BLOB) {
                result = blob_hex(st, (int)i, &hex[i]);
                if (result != 0) {
                    goto out;
                }
                vals[i] = hex[i].data;
            } else {
                vals[i] = type == SQLITE_NULL
                              ? NULL
                              : (const char *)sqlite3_column_text(st, (int)i);
            }
        }
        result = cb(vals, n, arg);
        if (result != 0) {
            goto out;
        }
    }
    if (rc != SQLITE_DONE) {
        result = store_db_error(s, table);
    }
out:
    sqlite3_finalize(st);
    for (size_t i = 0; i < STORE_COPY_COLS_MAX; i++) {
        buf_free(&hex[i]);
    }
    return result;
}
