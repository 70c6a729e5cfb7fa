/*
 * pharos-collector: argv, config, loop, signals, ordered shutdown.
 *
 *   pharos-collector -c FILE            run
 *   pharos-collector --check -c FILE    validate the config and exit (-n)
 *   pharos-collector -nv -c FILE        validate and print it normalised
 *   pharos-collector backup -c FILE OUT online copy of the database
 *   pharos-collector migrate -c FILE --to URI   sqlite -> PostgreSQL
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "brand.h"
#include "buf.h"
#include "collector.h"
#include "log.h"
#include "mem.h"
#include "migrate.h"
#include "ph_err.h"
#include "store.h"

#define DEFAULT_CONF "/etc/pharos/pharos.yml"

static void
usage(FILE *f)
{
    fprintf(f,
            "usage: pharos-collector [-c FILE] [-d] [--init-empty-db]\n"
            "       pharos-collector --check|-n|-nv [-c FILE]\n"
            "       pharos-collector backup [-c FILE] OUT\n"
            "       pharos-collector migrate [-c FILE] --to URI [--force]\n"
            "       pharos-collector --help-config | --version | --help\n"
            "  -c FILE          configuration (default " DEFAULT_CONF ")\n"
            "  --check, -n      validate the configuration and exit\n"
            "  -nv              validate and print the normalised "
            "configuration\n"
            "  -d               debug logging\n"
            "  --help-config    every pharos.yml key with its type, default "
            "and\n"
            "                   meaning (from the same tables that read it)\n"
            "  --init-empty-db  take an existing empty (0-byte) database "
            "file for a\n"
            "                   new install (refused otherwise: it may be a "
            "lost one)\n"
            "  backup OUT       write an online copy of the database to OUT "
            "(see\n"
            "                   pharos-collector backup --help)\n"
            "  migrate --to URI copy the sqlite database into an empty "
            "PostgreSQL\n"
            "                   one (see pharos-collector migrate --help)\n");
}

static void
backup_usage(FILE *f)
{
    fprintf(f,
            "usage: pharos-collector backup [-c FILE] OUT\n"
            "  Writes a consistent copy of the database (state_dir/pharos.db "
            "of FILE,\n"
            "  default " DEFAULT_CONF ") to OUT with sqlite's online "
            "backup. Safe while\n"
            "  the collector runs; OUT must not exist. Restore: stop the "
            "collector,\n"
            "  move pharos.db, pharos.db-wal and pharos.db-shm away, copy "
            "OUT to\n"
            "  state_dir/pharos.db, start (docs/operator-guide.md, "
            "\"Restore\").\n");
}

static void
on_stop_signal(uv_signal_t *s, int signum)
{
    struct collector *c = s->data;

    log_info("signal %d: shutting down", signum);
    collector_stop(c);
    uv_close((uv_handle_t *)&c->sigint, NULL);
    uv_close((uv_handle_t *)&c->sigterm, NULL);
    uv_close((uv_handle_t *)&c->sighup, NULL);
}

static void
on_hup(uv_signal_t *s, int signum)
{
    struct collector *c = s->data;

    (void)signum;
    log_info("signal SIGHUP: reloading %s", c->h.conf.path);
    collector_reload_soon(c);
}

/* pharos-collector backup [-c FILE] OUT: an online copy of the database,
 * safe while the collector runs (store_backup opens it read-only). */
static int
backup_main(const char *conf_path, int argc, char **argv)
{
    struct pharos_conf conf;
    struct conf_errs errs;
    const char *dest = NULL;
    char path[1024];
    char err[512];
    int rc;

    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
            conf_path = argv[++i];
        } else if (strcmp(argv[i], "-h") == 0 ||
                   strcmp(argv[i], "--help") == 0) {
            backup_usage(stdout);
            return 0;
        } else if (argv[i][0] != '-' && dest == NULL) {
            dest = argv[i];
        } else {
            fprintf(stderr, "pharos-collector backup: unknown argument "
                            "'%s'\n",
                    argv[i]);
            backup_usage(stderr);
            return 2;
        }
    }
    if (dest == NULL) {
        fprintf(stderr, "pharos-collector backup: where to? (OUT missing)\n");
        backup_usage(stderr);
        return 2;
    }
    memset(&errs, 0, sizeof(errs));
    if (pharos_conf_load(conf_path, &conf, &errs) != 0) {
        for (size_t i = 0; i < errs.n; i++) {
            fprintf(stderr, "%s\n", errs.msgs[i]);
        }
        return 1;
    }
    snprintf(path, sizeof(path), "%s/pharos.db", conf.state_dir);
    pharos_conf_free(&conf);
    rc = store_backup(path, dest, err, sizeof(err));
    if (rc != 0) {
        fprintf(stderr, "pharos-collector backup: %s\n", err);
        return 1;
    }
    fprintf(stderr, "backup of %s written to %s\n", path, dest);
    return 0;
}

static int
check_config(const char *path, int verbose)
{
    struct pharos_conf conf;
    struct conf_errs errs, warns;
    int rc;

    memset(&errs, 0, sizeof(errs));
    memset(&warns, 0, sizeof(warns));
    rc = pharos_conf_load_warn(path, &conf, &errs, &warns);
    for (size_t i = 0; i < errs.n; i++) {
        fprintf(stderr, "%s\n", errs.msgs[i]);
    }
    for (size_t i = 0; i < warns.n; i++) {
        fprintf(stderr, "%s\n", warns.msgs[i]);
    }
    if (errs.dropped > 0) {
        fprintf(stderr, "(%zu more errors)\n", errs.dropped);
    }
    if (rc != 0) {
        if (errs.n == 0) {
            fprintf(stderr, "%s: %s\n", path, ph_strerror(rc));
        }
        return 1;
    }
    {
        /* Strings a language lacks are shown in English: say which. */
        struct buf miss;
        buf_init(&miss, 256 * 1024);
        if (catalog_missing(conf.web_dir, &miss) > 0 && miss.data != NULL) {
            const char *line = miss.data;
            for (const char *nl; (nl = strchr(line, '\n')) != NULL;
                 line = nl + 1) {
                fprintf(stderr, "warning: %.*s\n", (int)(nl - line), line);
            }
        }
        buf_free(&miss);
    }
    if (verbose) {
        struct buf out;
        buf_init(&out, 16 * 1024 * 1024);
        if (pharos_conf_print(&conf, &out) == 0) {
            fwrite(out.data, 1, out.len, stdout);
        }
        buf_free(&out);
    } else {
        fprintf(stderr, "configuration OK\n");
    }
    pharos_conf_free(&conf);
    return 0;
}

int
main(int argc, char **argv)
{
    const char *conf_path = DEFAULT_CONF;
    int check = 0, verbose = 0, debug = 0;
    unsigned store_flags = 0;
    struct collector c;
    struct conf_errs errs, warns;
    uv_loop_t loop;
    int rc;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
            conf_path = argv[++i];
        } else if (strcmp(argv[i], "backup") == 0) {
            log_init("collector", LOG_LVL_INFO);
            return backup_main(conf_path, argc - i - 1, argv + i + 1);
        } else if (strcmp(argv[i], "migrate") == 0) {
            log_init("collector", LOG_LVL_INFO);
            return migrate_main(conf_path, argc - i - 1, argv + i + 1);
        } else if (strcmp(argv[i], "--init-empty-db") == 0) {
            store_flags |= STORE_OPEN_INIT_EMPTY;
        } else if (strcmp(argv[i], "--check") == 0 ||
                   strcmp(argv[i], "-n") == 0) {
            check = 1;
        } else if (strcmp(argv[i], "-nv") == 0) {
            check = 1;
            verbose = 1;
        } else if (strcmp(argv[i], "-d") == 0) {
            debug = 1;
        } else if (strcmp(argv[i], "--version") == 0) {
            printf("pharos-collector %s\n", PH_VERSION);
            return 0;
        } else if (strcmp(argv[i], "--help-config") == 0) {
            struct buf b;

            buf_init(&b, 1024 * 1024);
            pharos_conf_help(&b);
            fwrite(b.data != NULL ? b.data : "", 1, b.len, stdout);
            buf_free(&b);
            return 0;
        } else if (strcmp(argv[i], "-h") == 0 ||
                   strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "pharos-collector: unknown argument '%s'\n",
                    argv[i]);
            usage(stderr);
            return 2;
        }
    }
    log_init("collector", debug ? LOG_LVL_DEBUG : LOG_LVL_INFO);
    if (check) {
        return check_config(conf_path, verbose);
    }

    memset(&c, 0, sizeof(c));
    memset(&errs, 0, sizeof(errs));
    memset(&warns, 0, sizeof(warns));
    rc = pharos_conf_load_warn(conf_path, &c.h.conf, &errs, &warns);
    if (rc != 0) {
        for (size_t i = 0; i < errs.n; i++) {
            fprintf(stderr, "%s\n", errs.msgs[i]);
        }
        if (errs.n == 0) {
            fprintf(stderr, "%s: %s\n", conf_path, ph_strerror(rc));
        }
        return 1;
    }
    for (size_t i = 0; i < warns.n; i++) {
        log_warnx("%s", warns.msgs[i]);
    }
    signal(SIGPIPE, SIG_IGN);
    uv_loop_init(&loop);
    /* Before the first run: the loop's busy time (loop_busy.h). */
    if (loop_busy_configure(&c.h.metrics.loop_busy, &loop) != 0) {
        log_warnx("libuv has no idle-time metric: the loop's busy time is "
                  "not measured");
    }
    c.loop = &loop;
    c.store_flags = store_flags;
    rc = collector_start(&c);
    if (rc != 0) {
        /* collector_start logged why, in its own words. */
        log_warnx("not started: exiting with status 1");
        collector_stop(&c);
        uv_run(&loop, UV_RUN_DEFAULT);
        collector_free(&c);
        uv_loop_close(&loop);
        return 1;
    }
    uv_signal_init(&loop, &c.sigint);
    uv_signal_init(&loop, &c.sigterm);
    c.sigint.data = &c;
    c.sigterm.data = &c;
    uv_signal_start(&c.sigint, on_stop_signal, SIGINT);
    uv_signal_start(&c.sigterm, on_stop_signal, SIGTERM);
    uv_signal_init(&loop, &c.sighup);
    c.sighup.data = &c;
    uv_signal_start(&c.sighup, on_hup, SIGHUP);

    uv_run(&loop, UV_RUN_DEFAULT);

    collector_free(&c);
    rc = uv_loop_close(&loop);
    if (rc != 0) {
        log_warnx("loop closed with live handles: %s", uv_strerror(rc));
    }
    log_info("stopped");
    return 0;
}
