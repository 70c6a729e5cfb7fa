/*
 * store_int.h - what the store's own files share (store.c owns the
 * connection and the transactions; store_incidents.c adds the incident
 * and audit tables, store_keys.c the keys, store_notify.c the outbox).
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
/* Runs sql (no result rows); 0 or PH_EDB with the message recorded. */
int store_exec(struct store *s, const char *sql);
/* Column i of the current row as text; "" for NULL. Borrowed until the
 * next step or reset of st. */
const char *store_col_text(sqlite3_stmt *st, int i);

#endif
