/*
 * migrations.h - the schema migrations compiled into the collector from
 * collector/store/migrations{,_pg}/NNNN_name.sql (see cmake/embed_sql.cmake). They are
 * applied in order by store.c, tracked with PRAGMA user_version.
 */
#ifndef PH_MIGRATIONS_H
#define PH_MIGRATIONS_H

#include <stddef.h>

struct ph_migration {
    int version;
    const char *name;
    const char *sql;
};

/* sqlite (migrations/), tracked by PRAGMA user_version. */
extern const struct ph_migration ph_migrations[];
extern const size_t ph_nmigrations;
/* PostgreSQL (migrations_pg/): the same numbers, each the same change in
 * PostgreSQL's dialect, tracked in the table schema_version. */
extern const struct ph_migration ph_pg_migrations[];
extern const size_t ph_npg_migrations;

#endif
