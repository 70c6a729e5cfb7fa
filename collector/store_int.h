/*
 * store_int.h - what the store's own files share (store.c owns the
 * connection; store_incidents.c adds the incident and audit tables).
 * Nothing outside collector/store*.c includes this or sqlite3.h.
 */
#ifndef PH_STORE_INT_H
#define PH_STORE_INT_H

#include <sqlite3.h>

#include "store.h"

sqlite3 *store_sqlite(struct store *s);
/* Records sqlite's message for what in store_errmsg(); returns PH_EDB. */
int store_db_error(struct store *s, const char *what);
/* Prepares sql for one use (rare statements); NULL after recording the
 * error. The caller finalizes it. */
sqlite3_stmt *store_prepare(struct store *s, const char *sql);

#endif
