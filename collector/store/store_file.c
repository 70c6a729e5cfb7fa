/*
 * store_file.c - the database as a file: what is wrong with it, in words
 * an operator can act on (before and right after sqlite opens it), the
 * acknowledgement record beside it, and online backups.
 *
 * sqlite alone says "file is not a database" or "database disk image is
 * malformed" for every kind of damage, and takes an empty file for a new
 * database. The checks here name the case (a directory, an empty file, a
 * foreign header, a truncated file, failed page checks, lost acked
 * batches) and what to do about it.
 */
#include "store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "ph_err.h"

#define RESTORE_HINT                                                        \
    "keep the file for inspection and restore the latest backup "          \
    "(docs/operator-guide.md, \"Restore\")"

/* The fixed part of sqlite's file header (https://sqlite.org/fileformat.html
 * section 1.3): magic, page size, change counter, page count. */
#define SQLITE_HEADER_LEN 100

static uint32_t
be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
           (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

int
store_file_precheck(const char *path, unsigned flags, char *errbuf,
                    size_t errlen)
{
    unsigned char h[SQLITE_HEADER_LEN];
    struct stat st;
    uint32_t page_size, npages;
    size_t got;
    FILE *f;

    if (stat(path, &st) != 0) {
        if (errno == ENOENT) {
            return STORE_FILE_NEW;
        }
        snprintf(errbuf, errlen, "database %s: %s", path, strerror(errno));
        return PH_EIO;
    }
    if (S_ISDIR(st.st_mode)) {
        snprintf(errbuf, errlen,
                 "database %s is a directory, not a database file: move it "
                 "away (or fix server.state_dir), then start again or "
                 "restore a backup there (docs/operator-guide.md, "
                 "\"Restore\")",
                 path);
        return PH_EINVAL;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(errbuf, errlen,
                 "database %s is not a regular file: move it away or fix "
                 "server.state_dir",
                 path);
        return PH_EINVAL;
    }
    if (st.st_size == 0) {
        if (flags & STORE_OPEN_INIT_EMPTY) {
            return STORE_FILE_NEW;
        }
        snprintf(errbuf, errlen,
                 "database %s is empty (0 bytes); an existing empty file is "
                 "not taken for a new install, since it may be a database "
                 "that lost its contents (full disk, failed copy): restore "
                 "a backup (docs/operator-guide.md, \"Restore\"), or start "
                 "once with --init-empty-db to make it a new, empty "
                 "database",
                 path);
        return PH_EINVAL;
    }
    f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(errbuf, errlen, "database %s: %s", path, strerror(errno));
        return PH_EIO;
    }
    got = fread(h, 1, sizeof(h), f);
    fclose(f);
    if (got < sizeof(h) ||
        memcmp(h, "SQLite format 3", 16) != 0) {
        snprintf(errbuf, errlen,
                 "database %s is not a sqlite database (%s); %s", path,
                 got < sizeof(h) ? "the file is shorter than the sqlite "
                                   "header: truncated"
                                 : "its header is damaged or overwritten",
                 RESTORE_HINT);
        return PH_EINVAL;
    }
    /* Page size 1 means 65536; the page count is only valid when the
     * change counter matches "version-valid-for" (offsets 24 and 92). */
    page_size = (uint32_t)h[16] << 8 | h[17];
    if (page_size == 1) {
        page_size = 65536;
    }
    npages = be32(h + 28);
    if (page_size >= 512 && npages > 0 && be32(h + 24) == be32(h + 92) &&
        (uint64_t)st.st_size < (uint64_t)npages * page_size) {
        snprintf(errbuf, errlen,
                 "database %s is truncated: its header says %" PRIu32
                 " pages of %" PRIu32 " bytes (%" PRIu64
                 " bytes) but the file has %lld bytes; %s",
                 path, npages, page_size, (uint64_t)npages * page_size,
                 (long long)st.st_size, RESTORE_HINT);
        return PH_EINVAL;
    }
    return STORE_FILE_EXISTS;
}

int
store_file_quick_check(struct store_sq *s, const char *path, char *errbuf,
                       size_t errlen)
{
    sqlite3_stmt *st = NULL;
    char first[160] = "";
    int n = 0;
    int rc;

    /* quick_check reads every page but skips the index-vs-table checks
     * of integrity_check: seconds for a large database, once, at start.
     * At most 5 problems; the first one goes into the message. */
    if (sqlite3_prepare_v2(store_sqlite(s), "PRAGMA quick_check(5)", -1,
                           &st, NULL) != SQLITE_OK) {
        snprintf(errbuf, errlen,
                 "database %s is damaged (PRAGMA quick_check: %s); %s", path,
                 sqlite3_errmsg(store_sqlite(s)), RESTORE_HINT);
        return PH_EDB;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *msg = (const char *)sqlite3_column_text(st, 0);

        if (msg != NULL && strcmp(msg, "ok") != 0 && n++ == 0) {
            snprintf(first, sizeof(first), "%s", msg);
        }
    }
    if (rc != SQLITE_DONE) {
        snprintf(first, sizeof(first), "%s",
                 sqlite3_errmsg(store_sqlite(s)));
        n++;
    }
    sqlite3_finalize(st);
    if (n > 0) {
        snprintf(errbuf, errlen,
                 "database %s is damaged (PRAGMA quick_check: %s); %s", path,
                 first, RESTORE_HINT);
        return PH_EDB;
    }
    return 0;
}

/* ---- The acknowledgement record ----
 *
 * PATH.acked holds the last seq acknowledged to each agent, rewritten
 * from the database (after a commit, so it never runs ahead of it) at
 * most once a second. If the database is ever behind it, committed and
 * acknowledged batches were lost: a WAL deleted after a crash, a power
 * loss under synchronous=NORMAL, or a restore from an older copy. The
 * agents dropped those batches when they got the ack, so nothing can
 * bring them back; the collector says so instead of going on silently.
 */

#define ACKED_MAX_LINES 100000

struct acked_write {
    FILE *f;
};

static int
acked_write_row(const struct store_agent_row *row, void *arg)
{
    struct acked_write *w = arg;

    if (row->last_seq > 0) {
        fprintf(w->f, "%s %" PRIu64 "\n", row->agent_id, row->last_seq);
    }
    return 0;
}

int
store_acked_write(struct store_sq *s, const char *acked_path)
{
    char tmp[1200];
    struct acked_write w;
    int result;

    if (snprintf(tmp, sizeof(tmp), "%s.tmp", acked_path) >=
        (int)sizeof(tmp)) {
        return PH_ETOOBIG;
    }
    w.f = fopen(tmp, "w");
    if (w.f == NULL) {
        return PH_EIO;
    }
    fprintf(w.f, "# pharos-collector: the last result batch acknowledged "
                 "to each agent (agent seq).\n"
                 "# Checked against the database at start; see "
                 "docs/operator-guide.md.\n");
    result = store_sq_list_agents(s, acked_write_row, &w);
    if (fclose(w.f) != 0 && result == 0) {
        result = PH_EIO;
    }
    /* No fsync: a crash of the process leaves the page cache to the
     * kernel, and a power loss is the synchronous=NORMAL risk the
     * operator guide describes. */
    if (result == 0 && rename(tmp, acked_path) != 0) {
        result = PH_EIO;
    }
    if (result != 0) {
        unlink(tmp);
    }
    return result;
}

void
store_acked_check(struct store_sq *s, const char *db_path,
                  const char *acked_path)
{
    char line[512];
    char first[400] = "";
    unsigned long long lost = 0;
    size_t nbehind = 0, nlines = 0;
    FILE *f = fopen(acked_path, "r");

    if (f == NULL) {
        return; /* a new database, or one from before the record */
    }
    while (fgets(line, sizeof(line), f) != NULL &&
           nlines++ < ACKED_MAX_LINES) {
        char id[256];
        unsigned long long acked;
        uint64_t have = 0;

        if (line[0] == '#' ||
            sscanf(line, "%255s %llu", id, &acked) != 2) {
            continue;
        }
        if (store_sq_agent_last_seq(s, id, &have) != 0 || have >= acked) {
            continue;
        }
        lost += acked - have;
        if (nbehind++ == 0) {
            snprintf(first, sizeof(first),
                     "agent %s was acknowledged up to seq %llu, the "
                     "database holds up to %" PRIu64,
                     id, acked, have);
        }
    }
    fclose(f);
    if (nbehind > 0) {
        log_warnx("database %s is behind its acknowledgement record %s: "
                  "%s (%zu agent(s), %llu acknowledged batches missing)",
                  db_path, acked_path, first, nbehind, lost);
        log_warnx("acknowledged results were lost: the WAL file %s-wal "
                  "was deleted or lost after a crash, a power loss took "
                  "the last commits, or the database was restored from an "
                  "older copy; the agents dropped those results after the "
                  "ack, so that time shows as missing data",
                  db_path);
    }
}

/* ---- Online backup ---- */

int
store_backup(const char *db_path, const char *dest, char *errbuf,
             size_t errlen)
{
    char tmp[1200];
    sqlite3 *src = NULL, *dst = NULL;
    sqlite3_backup *b = NULL;
    struct stat st;
    int result = PH_EDB;
    int fd, rc;

    if (stat(dest, &st) == 0) {
        snprintf(errbuf, errlen, "%s exists; not overwriting it", dest);
        return PH_EEXIST;
    }
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", dest) >= (int)sizeof(tmp)) {
        snprintf(errbuf, errlen, "%s: path too long", dest);
        return PH_ETOOBIG;
    }
    /* Read-only: a backup never creates, migrates or checkpoints the
     * database a running collector owns. */
    if (stat(db_path, &st) != 0) {
        snprintf(errbuf, errlen, "database %s: %s", db_path,
                 strerror(errno));
        return PH_ENOENT;
    }
    if (sqlite3_open_v2(db_path, &src, SQLITE_OPEN_READONLY, NULL) !=
        SQLITE_OK) {
        snprintf(errbuf, errlen, "database %s: %s", db_path,
                 src != NULL ? sqlite3_errmsg(src) : "cannot open");
        goto out;
    }
    sqlite3_busy_timeout(src, 5000);
    unlink(tmp);
    if (sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                        NULL) != SQLITE_OK) {
        snprintf(errbuf, errlen, "%s: %s", tmp,
                 dst != NULL ? sqlite3_errmsg(dst) : "cannot open");
        result = PH_EIO;
        goto out;
    }
    b = sqlite3_backup_init(dst, "main", src, "main");
    if (b == NULL) {
        snprintf(errbuf, errlen, "backup: %s", sqlite3_errmsg(dst));
        goto out;
    }
    /* All pages in one step, inside one read transaction: in WAL mode the
     * collector keeps committing meanwhile, and the copy is the snapshot
     * at the start. Copying in small steps would restart from scratch at
     * every commit of the collector and might never finish. */
    do {
        rc = sqlite3_backup_step(b, -1);
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
            sqlite3_sleep(50);
        }
    } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
    sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE) {
        snprintf(errbuf, errlen, "backup of %s: %s", db_path,
                 sqlite3_errstr(rc));
        goto out;
    }
    sqlite3_close(dst);
    dst = NULL;
    /* The copy is only worth keeping if it is whole and on disk. */
    fd = open(tmp, O_RDONLY);
    if (fd < 0 || fsync(fd) != 0) {
        snprintf(errbuf, errlen, "%s: %s", tmp, strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        result = PH_EIO;
        goto out;
    }
    close(fd);
    if (rename(tmp, dest) != 0) {
        snprintf(errbuf, errlen, "%s: %s", dest, strerror(errno));
        result = PH_EIO;
        goto out;
    }
    result = 0;
out:
    sqlite3_close(dst);
    sqlite3_close(src);
    if (result != 0) {
        unlink(tmp);
    }
    return result;
}
