/*
 * store_copy.h - a sqlite store copied into a PostgreSQL store
 * (pharos-collector migrate --to): every table, in one PostgreSQL
 * transaction, verified by row counts.
 */
#ifndef PH_STORE_COPY_H
#define PH_STORE_COPY_H

#include "buf.h"
#include "store.h"

/*
 * Copies every table of from (sqlite, read in one snapshot) into to
 * (PostgreSQL, both opened and migrated by store_open()). to must be
 * empty (no rows in any table), unless force: then what it holds is
 * replaced. The copy and its check (the row count of every table equal
 * on both sides) are one transaction: on any failure nothing of it is
 * left in to. Appends one line per table ("table sqlite postgresql") to
 * report. Returns 0; PH_EEXIST when to is not empty and force is 0;
 * another PH_E* with a message in errbuf.
 */
int store_copy(struct store *from, struct store *to, int force,
               struct buf *report, char *errbuf, size_t errlen);

#endif
