/*
 * store_pg_copy.c - a PostgreSQL database filled table by table, for
 * store_copy.c (declared in store_be.h): columns from the catalog, COPY
 * FROM STDIN in text format, counts, serials moved past copied ids.
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "ph_err.h"
#include "store_be.h"
#include "store_pg_int.h"

/* Rows are sent in chunks of about this many bytes. */
#define COPY_CHUNK (256u * 1024)
/* Cap of one row (the largest column is an outbox payload or an
 * incident update's text: well below this). */
#define COPY_ROW_MAX (64u * 1024 * 1024)

int
store_pg_count(struct store_pg *p, const char *table, int64_t *ret)
{
    char sql[160];
    PGresult *r;
    int result;

    snprintf(sql, sizeof(sql), "SELECT count(*) FROM \"%s\"", table);
    result = store_pg_run(p, sql, NULL, "count", &r);
    *ret = 0;
    if (result == 0) {
        *ret = store_pg_i64(r, 0, 0);
        PQclear(r);
    }
    return result;
}

int
store_pg_columns(struct store_pg *p, const char *table, char (*ret)[64],
                 size_t max, size_t *ret_n)
{
    struct pgq q;
    PGresult *r;
    int result;

    *ret_n = 0;
    pgq_init(&q);
    pgq_text(&q, table);
    result = store_pg_run(p,
        "SELECT column_name FROM information_schema.columns WHERE "
        "table_schema = current_schema() AND table_name = $1 ORDER BY "
        "ordinal_position", &q, "columns", &r);
    if (result != 0) {
        return result;
    }
    if (PQntuples(r) == 0 || (size_t)PQntuples(r) > max) {
        PQclear(r);
        return PH_EINVAL;
    }
    for (int i = 0; i < PQntuples(r); i++) {
        snprintf(ret[i], 64, "%s", store_pg_text(r, i, 0));
    }
    *ret_n = (size_t)PQntuples(r);
    PQclear(r);
    return 0;
}

int
store_pg_truncate(struct store_pg *p, const char *const *tables, size_t n)
{
    struct buf sql;
    int result;

    buf_init(&sql, 8192);
    buf_appends(&sql, "TRUNCATE ");
    for (size_t i = 0; i < n; i++) {
        buf_printf(&sql, i ? ", \"%s\"" : "\"%s\"", tables[i]);
    }
    if (buf_appends(&sql, " RESTART IDENTITY CASCADE") != 0) {
        buf_free(&sql);
        return PH_ENOMEM;
    }
    result = store_pg_run(p, sql.data, NULL, "truncate", NULL);
    buf_free(&sql);
    return result;
}

int
store_pg_copy_begin(struct store_pg *p, const char *table, char (*cols)[64],
                    size_t n, struct store_pg_copy *ret)
{
    struct buf sql;
    int result;

    buf_init(&sql, 8192);
    buf_printf(&sql, "COPY \"%s\" (", table);
    for (size_t i = 0; i < n; i++) {
        buf_printf(&sql, i ? ", \"%s\"" : "\"%s\"", cols[i]);
    }
    if (buf_appends(&sql, ") FROM STDIN") != 0) {
        buf_free(&sql);
        return PH_ENOMEM;
    }
    /* The result of COPY FROM STDIN is PGRES_COPY_IN, not OK: run it
     * here rather than through store_pg_run. */
    result = store_pg_copy_start(p, sql.data);
    buf_free(&sql);
    if (result == 0) {
        ret->p = p;
        buf_init(&ret->chunk, COPY_ROW_MAX);
    }
    return result;
}

/* Appends v in COPY's text format: \N for NULL, backslash escapes. */
static int
copy_value(struct buf *b, const char *v)
{
    if (v == NULL) {
        return buf_appends(b, "\\N");
    }
    while (*v != '\0') {
        size_t run = strcspn(v, "\\\t\n\r");
        char esc[2] = {'\\', 0};

        if (buf_append(b, v, run) != 0) {
            return PH_ENOMEM;
        }
        v += run;
        if (*v == '\0') {
            break;
        }
        esc[1] = *v == '\t' ? 't' : *v == '\n' ? 'n' : *v == '\r' ? 'r'
                                                                  : '\\';
        if (buf_append(b, esc, 2) != 0) {
            return PH_ENOMEM;
        }
        v++;
    }
    return 0;
}

int
store_pg_copy_row(struct store_pg_copy *c, const char *const *vals, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if ((i > 0 && buf_append(&c->chunk, "\t", 1) != 0) ||
            copy_value(&c->chunk, vals[i]) != 0) {
            return PH_ENOMEM;
        }
    }
    if (buf_append(&c->chunk, "\n", 1) != 0) {
        return PH_ENOMEM;
    }
    if (c->chunk.len >= COPY_CHUNK) {
        int result = store_pg_copy_send(c->p, c->chunk.data, c->chunk.len);

        buf_reset(&c->chunk);
        return result;
    }
    return 0;
}

int
store_pg_copy_end(struct store_pg_copy *c, int failed)
{
    int result = failed ? PH_EINVAL : 0;

    if (result == 0 && c->chunk.len > 0) {
        result = store_pg_copy_send(c->p, c->chunk.data, c->chunk.len);
    }
    buf_free(&c->chunk);
    if (store_pg_copy_finish(c->p, result != 0) != 0 && result == 0) {
        result = PH_EDB;
    }
    return result;
}

int
store_pg_reset_serial(struct store_pg *p, const char *table, const char *col)
{
    char sql[320];

    snprintf(sql, sizeof(sql),
             "SELECT setval(pg_get_serial_sequence('\"%s\"', '%s'), "
             "coalesce(max(\"%s\"), 1), max(\"%s\") IS NOT NULL) FROM \"%s\"",
             table, col, col, col, table);
    return store_pg_run(p, sql, NULL, "serial", NULL);
}
