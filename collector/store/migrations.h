/*
 * migrations.h - the schema migrations compiled into the collector from
 * collector/migrations/NNNN_name.sql (see cmake/embed_sql.cmake). They are
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

extern const struct ph_migration ph_migrations[];
extern const size_t ph_nmigrations;

#endif
