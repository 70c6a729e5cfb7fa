/*
 * store_testdb.h - the database a store test runs on: a sqlite file in a
 * new temporary directory, or the PostgreSQL database named by
 * PH_TEST_STORE (a postgresql:// URI; password in PH_TEST_STORE_PASSWORD)
 * when tests/integration/test_store_pg.py runs the same executables on a
 * server it started. So every store test runs on both backends.
 */
#ifndef PH_STORE_TESTDB_H
#define PH_STORE_TESTDB_H

#include "store.h"

struct store_testdb {
    char dir[64];       /* sqlite: the temporary directory */
    char where[1024];   /* what store_open() was given */
    const char *password;
    int pg;
};

/* Opens a new store (asserts success). With PH_TEST_STORE_OPEN_ONLY
 * set, closes it again and exits 0 (a race of first opens). */
struct store *store_testdb_open(struct store_testdb *t);
/* The first column of the first row of sql as a number, read on a
 * connection of its own (-1 when there is no row). */
long long store_testdb_query(struct store_testdb *t, const char *sql);
/* Removes the sqlite files (the PostgreSQL database is the runner's). */
void store_testdb_cleanup(struct store_testdb *t);

#endif
