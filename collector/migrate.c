/*
 * migrate.c - pharos-collector migrate --to postgresql://...: opens the
 * sqlite database of the configuration's state_dir and the PostgreSQL
 * database (migrating both to this release's schema), copies every table
 * (store_copy.c) and prints the row counts of each side.
 */
#include "migrate.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "mem.h"
#include "pharos_conf.h"
#include "ph_err.h"
#include "store.h"
#include "store_copy.h"

static void
migrate_usage(FILE *f)
{
    fprintf(f,
            "usage: pharos-collector migrate [-c FILE] --to URI "
            "[--password-file FILE] [--force]\n"
            "  Copies the sqlite database of FILE's state_dir (FILE "
            "default\n"
            "  /etc/pharos/pharos.yml) into the PostgreSQL database URI\n"
            "  (postgresql://user@host:port/db?sslmode=...), which must "
            "be empty\n"
            "  (--force replaces what it holds), then checks and prints "
            "the row\n"
            "  count of every table on both sides. Stop the collector "
            "first. The\n"
            "  password comes from --password-file, or PGPASSWORD or "
            "~/.pgpass.\n"
            "  Then set `store: URI` in pharos.yml "
            "(docs/operator-guide.md).\n");
}

/* The first line of path (a password file), new; NULL when unreadable. */
static char *
read_first_line(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[512];
    char *out = NULL;

    if (f == NULL) {
        return NULL;
    }
    if (fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        out = ph_strdup(line);
    }
    memset(line, 0, sizeof(line));
    fclose(f);
    return out;
}

int
migrate_main(const char *conf_path, int argc, char **argv)
{
    struct pharos_conf conf;
    struct conf_errs errs;
    struct store *from = NULL, *to = NULL;
    const char *uri = NULL, *pw_file = NULL;
    char *password = NULL;
    char path[1024], err[1024];
    struct buf report;
    int force = 0, status = 1, rc;

    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
            conf_path = argv[++i];
        } else if (strcmp(argv[i], "--to") == 0 && i + 1 < argc) {
            uri = argv[++i];
        } else if (strcmp(argv[i], "--password-file") == 0 && i + 1 < argc) {
            pw_file = argv[++i];
        } else if (strcmp(argv[i], "--force") == 0) {
            force = 1;
        } else if (strcmp(argv[i], "-h") == 0 ||
                   strcmp(argv[i], "--help") == 0) {
            migrate_usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "pharos-collector migrate: unknown argument "
                            "'%s'\n", argv[i]);
            migrate_usage(stderr);
            return 2;
        }
    }
    if (uri == NULL || !store_is_postgresql(uri)) {
        fprintf(stderr, "pharos-collector migrate: --to takes a "
                        "postgresql:// URI\n");
        migrate_usage(stderr);
        return 2;
    }
    buf_init(&report, 64 * 1024);
    memset(&errs, 0, sizeof(errs));
    if (pharos_conf_load(conf_path, &conf, &errs) != 0) {
        for (size_t i = 0; i < errs.n; i++) {
            fprintf(stderr, "%s\n", errs.msgs[i]);
        }
        return 1;
    }
    snprintf(path, sizeof(path), "%s/pharos.db", conf.state_dir);
    pharos_conf_free(&conf);
    if (pw_file != NULL && (password = read_first_line(pw_file)) == NULL) {
        fprintf(stderr, "pharos-collector migrate: cannot read "
                        "--password-file %s\n", pw_file);
        goto out;
    }
    if (access(path, F_OK) != 0) {
        /* store_open() would make a new one: nothing to copy. */
        fprintf(stderr, "pharos-collector migrate: no database at %s "
                        "(state_dir of %s)\n", path, conf_path);
        goto out;
    }
    rc = store_open(path, NULL, 0, err, sizeof(err), &from);
    if (rc != 0) {
        fprintf(stderr, "pharos-collector migrate: %s\n", err);
        goto out;
    }
    rc = store_open(uri, password, 0, err, sizeof(err), &to);
    if (rc != 0) {
        fprintf(stderr, "pharos-collector migrate: %s\n", err);
        goto out;
    }
    rc = store_copy(from, to, force, &report, err, sizeof(err));
    if (rc != 0) {
        fprintf(stderr, "pharos-collector migrate: %s; nothing was "
                        "copied\n", err);
        status = rc == PH_EEXIST ? 3 : 1;
        goto out;
    }
    fwrite(report.data, 1, report.len, stdout);
    printf("copied %s into PostgreSQL; every table's row count matches\n",
           path);
    status = 0;
out:
    store_close(from);
    store_close(to);
    if (password != NULL) {
        memset(password, 0, strlen(password));
        ph_free(password);
    }
    buf_free(&report);
    return status;
}
