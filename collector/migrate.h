/*
 * migrate.h - pharos-collector migrate: a sqlite state directory copied
 * into PostgreSQL (store_copy.h does the copy).
 */
#ifndef PH_MIGRATE_H
#define PH_MIGRATE_H

/* pharos-collector migrate [-c FILE] --to URI [--password-file FILE]
 * [--force]; argv are the arguments after "migrate". Returns the exit
 * status. */
int migrate_main(const char *conf_path, int argc, char **argv);

#endif
