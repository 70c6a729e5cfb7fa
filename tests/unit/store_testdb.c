/*
 * store_testdb.c - see store_testdb.h. Test code: it reads the database
 * directly with sqlite3 or libpq to check what the store wrote.
 */
#include "store_testdb.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>
#include <sqlite3.h>

struct store *
store_testdb_open(struct store_testdb *t)
{
    const char *dsn = getenv("PH_TEST_STORE");
    struct store *s = NULL;
    char err[1024];
    int rc;

    memset(t, 0, sizeof(*t));
    if (dsn != NULL && dsn[0] != '\0') {
        t->pg = 1;
        snprintf(t->where, sizeof(t->where), "%s", dsn);
        t->password = getenv("PH_TEST_STORE_PASSWORD");
    } else {
        snprintf(t->dir, sizeof(t->dir), "/tmp/pharos-store-XXXXXX");
        assert_non_null(mkdtemp(t->dir));
        snprintf(t->where, sizeof(t->where), "%s/pharos.db", t->dir);
    }
    rc = store_open(t->where, t->password, 0, err, sizeof(err), &s);
    if (rc != 0) {
        fail_msg("store_open(%s): %s", t->where, err);
    }
    if (getenv("PH_TEST_STORE_OPEN_ONLY") != NULL) {
        /* test_store_pg.py's race of several first opens (migrations). */
        store_close(s);
        exit(0);
    }
    return s;
}

static long long
query_pg(struct store_testdb *t, const char *sql)
{
    const char *keys[] = {"dbname", "password", NULL};
    const char *vals[] = {t->where, t->password, NULL};
    PGconn *c = PQconnectdbParams(keys, vals, 1);
    PGresult *r;
    long long v = -1;

    if (PQstatus(c) != CONNECTION_OK) {
        fail_msg("connect: %s", PQerrorMessage(c));
    }
    r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fail_msg("%s: %s", sql, PQresultErrorMessage(r));
    }
    if (PQntuples(r) > 0 && !PQgetisnull(r, 0, 0)) {
        v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    }
    PQclear(r);
    PQfinish(c);
    return v;
}

long long
store_testdb_query(struct store_testdb *t, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long long v = -1;

    if (t->pg) {
        return query_pg(t, sql);
    }
    assert_int_equal(sqlite3_open(t->where, &db), SQLITE_OK);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    }
    if (sqlite3_step(st) == SQLITE_ROW &&
        sqlite3_column_type(st, 0) != SQLITE_NULL) {
        v = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

void
store_testdb_cleanup(struct store_testdb *t)
{
    static const char *const ext[] = {"", "-wal", "-shm", ".acked"};
    char p[1100];

    if (t->pg) {
        return;
    }
    for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
        snprintf(p, sizeof(p), "%s%s", t->where, ext[i]);
        unlink(p);
    }
    rmdir(t->dir);
}
