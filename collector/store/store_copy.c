/*
 * store_copy.c - sqlite to PostgreSQL, table by table (store_copy.h).
 * The tables are those of the newest migration; columns come from
 * PostgreSQL's catalog and are read by the same names from sqlite
 * (result_rows.id is sqlite's rowid). Identity columns keep their
 * values, and their sequences are moved past them.
 */
#include "store_copy.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ph_err.h"
#include "store_be.h"

static const struct {
    const char *name;
    const char *serial;   /* identity column, or NULL */
} tables[] = {
    /* Parents before the tables that refer to them. */
    {"kv", NULL},
    {"agents", NULL},
    {"agent_tokens", NULL},
    {"api_keys", NULL},
    {"viewers", NULL},
    {"api_components", NULL},
    {"api_groups", NULL},
    {"hook_links", NULL},
    {"hook_events", NULL},
    {"transitions", "id"},
    {"uptime_days", NULL},
    {"uptime_state", NULL},
    {"incidents", NULL},
    {"incident_updates", NULL},
    {"audit_log", "id"},
    {"subscribers", NULL},
    {"outbox", "id"},
    {"agent_nos", "no"},
    {"check_nos", "no"},
    {"result_batches", "id"},
    {"result_rows", "id"},
    {"latency_rollups", NULL},
};
#define NTABLES (sizeof(tables) / sizeof(tables[0]))

struct copy_arg {
    struct store_pg_copy *c;
    int64_t rows;
};

static int
on_row(const char *const *vals, size_t n, void *arg)
{
    struct copy_arg *a = arg;

    a->rows++;
    return store_pg_copy_row(a->c, vals, n);
}

static int
copy_table(struct store_sq *sq, struct store_pg *pg, size_t t,
           int64_t *ret_rows, char *errbuf, size_t errlen)
{
    char cols[STORE_COPY_COLS_MAX][64];
    const char *sq_cols[STORE_COPY_COLS_MAX];
    struct store_pg_copy c;
    struct copy_arg a = {&c, 0};
    size_t n;
    int result;

    result = store_pg_columns(pg, tables[t].name, cols, STORE_COPY_COLS_MAX,
                              &n);
    if (result != 0) {
        snprintf(errbuf, errlen, "table %s: no columns in PostgreSQL: %s",
                 tables[t].name, store_pg_errmsg(pg));
        return result;
    }
    for (size_t i = 0; i < n; i++) {
        sq_cols[i] = strcmp(tables[t].name, "result_rows") == 0 &&
                             strcmp(cols[i], "id") == 0
                         ? "rowid"
                         : cols[i];
    }
    result = store_pg_copy_begin(pg, tables[t].name, cols, n, &c);
    if (result != 0) {
        snprintf(errbuf, errlen, "table %s: %s", tables[t].name,
                 store_pg_errmsg(pg));
        return result;
    }
    result = store_sq_rows(sq, tables[t].name, sq_cols, n, on_row, &a);
    if (result != 0) {
        snprintf(errbuf, errlen, "table %s: reading sqlite: %s",
                 tables[t].name, store_sq_errmsg(sq));
    }
    if (store_pg_copy_end(&c, result != 0) != 0 && result == 0) {
        snprintf(errbuf, errlen, "table %s: %s", tables[t].name,
                 store_pg_errmsg(pg));
        result = PH_EDB;
    }
    if (result == 0 && tables[t].serial != NULL &&
        store_pg_reset_serial(pg, tables[t].name, tables[t].serial) != 0) {
        snprintf(errbuf, errlen, "table %s: %s", tables[t].name,
                 store_pg_errmsg(pg));
        result = PH_EDB;
    }
    *ret_rows = a.rows;
    return result;
}

/* 1 when any table of pg holds a row. */
static int
pg_has_rows(struct store_pg *pg, int *ret)
{
    *ret = 0;
    for (size_t t = 0; t < NTABLES; t++) {
        int64_t n;

        if (store_pg_count(pg, tables[t].name, &n) != 0) {
            return PH_EDB;
        }
        if (n > 0) {
            *ret = 1;
        }
    }
    return 0;
}

int
store_copy(struct store *from, struct store *to, int force,
           struct buf *report, char *errbuf, size_t errlen)
{
    struct store_sq *sq = store_be_sqlite(from);
    struct store_pg *pg = store_be_postgresql(to);
    const char *names[NTABLES];
    int64_t sq_n[NTABLES], pg_n[NTABLES], copied;
    int result, full, snapshot = 0;

    errbuf[0] = '\0';
    if (sq == NULL || pg == NULL) {
        snprintf(errbuf, errlen, "copying goes from sqlite to PostgreSQL");
        return PH_EINVAL;
    }
    for (size_t t = 0; t < NTABLES; t++) {
        names[t] = tables[t].name;
    }
    if (store_pg_tx_begin(pg) != 0) {
        snprintf(errbuf, errlen, "%s", store_pg_errmsg(pg));
        return PH_EDB;
    }
    result = pg_has_rows(pg, &full);
    if (result == 0 && full && !force) {
        snprintf(errbuf, errlen,
                 "the PostgreSQL database is not empty; --force replaces "
                 "what it holds");
        result = PH_EEXIST;
    } else if (result == 0 && full &&
               store_pg_truncate(pg, names, NTABLES) != 0) {
        result = PH_EDB;
    }
    if (result == 0) {
        result = store_sq_read_begin(sq);
        snapshot = result == 0;
    }
    for (size_t t = 0; result == 0 && t < NTABLES; t++) {
        result = store_sq_count(sq, tables[t].name, &sq_n[t]);
        if (result == 0) {
            result = copy_table(sq, pg, t, &copied, errbuf, errlen);
        }
        if (result == 0) {
            result = store_pg_count(pg, tables[t].name, &pg_n[t]);
        }
        if (result == 0 && (pg_n[t] != sq_n[t] || copied != sq_n[t])) {
            snprintf(errbuf, errlen,
                     "table %s: %" PRId64 " rows in sqlite, %" PRId64
                     " copied, %" PRId64 " in PostgreSQL",
                     tables[t].name, sq_n[t], copied, pg_n[t]);
            result = PH_EIO;
        }
    }
    if (snapshot) {
        store_sq_read_end(sq);
    }
    if (result == 0 && store_pg_tx_commit(pg) != 0) {
        result = PH_EDB;
    } else if (result != 0) {
        store_pg_tx_rollback(pg);
    }
    if (result != 0) {
        if (errbuf[0] == '\0') {
            snprintf(errbuf, errlen, "%s", store_pg_errmsg(pg));
        }
        return result;
    }
    buf_printf(report, "%-18s %12s %12s\n", "table", "sqlite", "postgresql");
    for (size_t t = 0; t < NTABLES; t++) {
        buf_printf(report, "%-18s %12" PRId64 " %12" PRId64 "\n",
                   tables[t].name, sq_n[t], pg_n[t]);
    }
    return 0;
}
