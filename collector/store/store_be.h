/*
 * store_be.h - the backend under a struct store (store.c) and the row
 * access of each backend, for what copies a database from one backend
 * to the other (store_copy.c). Table and column names passed here come
 * from store_copy.c's fixed list and PostgreSQL's catalog, never from
 * user input.
 */
#ifndef PH_STORE_BE_H
#define PH_STORE_BE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "store_types.h"
#include "store_pg.h"
#include "store_sq.h"

#define STORE_COPY_COLS_MAX 32

/* NULL when s is on the other backend (store.c). */
struct store_sq *store_be_sqlite(struct store *s);
struct store_pg *store_be_postgresql(struct store *s);

/* One row of a table, column values as text (NULL for SQL NULL),
 * borrowed for the call. A non-zero return stops the walk. */
typedef int (*store_row_cb)(const char *const *vals, size_t n, void *arg);

/* sqlite (store_sqlite_copy.c): a read snapshot around the reads. */
int store_sq_read_begin(struct store_sq *s);
void store_sq_read_end(struct store_sq *s);
int store_sq_count(struct store_sq *s, const char *table, int64_t *ret);
/* Rows of table in rowid order, columns cols[0..n) ("rowid" allowed). */
int store_sq_rows(struct store_sq *s, const char *table,
                  const char *const *cols, size_t n, store_row_cb cb,
                  void *arg);

/* PostgreSQL (store_pg_copy.c), inside the caller's transaction. */
int store_pg_count(struct store_pg *p, const char *table, int64_t *ret);
/* The columns of table in their order (at most max; names copied into
 * ret[i], each at most 64 bytes). */
int store_pg_columns(struct store_pg *p, const char *table,
                     char (*ret)[64], size_t max, size_t *ret_n);
/* Empties tables (identities restarted). */
int store_pg_truncate(struct store_pg *p, const char *const *tables,
                      size_t n);
/* COPY table (cols) FROM STDIN: rows sent in chunks, then ended (with
 * failed set, the COPY is abandoned and fails). */
struct store_pg_copy {
    struct store_pg *p;
    struct buf chunk;
};
int store_pg_copy_begin(struct store_pg *p, const char *table,
                        char (*cols)[64], size_t n,
                        struct store_pg_copy *ret);
int store_pg_copy_row(struct store_pg_copy *c, const char *const *vals,
                      size_t n);
int store_pg_copy_end(struct store_pg_copy *c, int failed);
/* Moves table's serial column sequence past the copied ids. */
int store_pg_reset_serial(struct store_pg *p, const char *table,
                          const char *col);

#endif
