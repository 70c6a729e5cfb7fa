/*
 * store_sqlite.c - the sqlite backend (store_sq.h): connection, statements,
 * results, agents, transitions, uptime. With store_file.c, store_incidents.c,
 * store_keys.c and store_notify.c, the only includers of sqlite3.h.
 *
 * WAL with synchronous=NORMAL: a commit is durable against a crash of the
 * process (kill -9), which is what commit-before-ack needs. A power loss
 * can take the transactions committed since the last checkpoint, acked
 * ones included (the agents dropped them): the acknowledgement record
 * (store_file.c) makes that loss visible at the next start. FULL would
 * fsync the WAL at each commit: measured in docs/benchmarks.md.
 */
#include "store_sq.h"
#include "store_int.h"

#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "hash.h"
#include "log.h"
#include "mem.h"
#include "migrations.h"
#include "ph_err.h"

enum stmt_id {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_AGENT_SEQ,
    ST_INSERT_RESULT,
    ST_AGENT_UPSERT_SEQ,
    ST_AGENT_TOUCH,
    ST_AGENT_LIST,
    ST_TRANSITION_ADD,
    ST_TRANSITION_LIST,
    ST_TRANSITION_LIST_ALL,
    ST_LAST_STATUS,
    ST_AGENT_NO_GET,
    ST_AGENT_NO_ADD,
    ST_CHECK_NO_GET,
    ST_CHECK_NO_ADD,
    ST_BATCH_ADD,
    ST_BATCH_LAST_ROW,
    ST_PRUNE_CUT,
    ST_PRUNE,
    ST_PRUNE_BATCHES,
    ST_KV_GET,
    ST_KV_SET,
    ST_TOKEN_ADD,
    ST_TOKEN_REVOKE,
    ST_TOKEN_LIST,
    ST_UPTIME_DAY_PUT,
    ST_UPTIME_STATE_PUT,
    ST_UPTIME_STATE_GET,
    ST_UPTIME_DAYS,
    ST_UPTIME_PRUNE,
    ST_COUNT_
};

static const char *const stmt_sql[ST_COUNT_] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_AGENT_SEQ] = "SELECT last_seq FROM agents WHERE agent_id = ?1",
    [ST_INSERT_RESULT] =
        "INSERT INTO result_rows (batch_id, idx, check_no, started_at_ms, "
        "outcome, latency_ms, dns_us, connect_us, tls_us, first_byte_us, "
        "total_us, status_code, cert_not_after, error) VALUES (?1, ?2, ?3, "
        "?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    [ST_AGENT_NO_GET] = "SELECT no FROM agent_nos WHERE agent_id = ?1",
    [ST_AGENT_NO_ADD] = "INSERT INTO agent_nos (agent_id) VALUES (?1)",
    [ST_CHECK_NO_GET] = "SELECT no FROM check_nos WHERE check_id = ?1",
    [ST_CHECK_NO_ADD] = "INSERT INTO check_nos (check_id) VALUES (?1)",
    [ST_BATCH_ADD] = "INSERT INTO result_batches (agent_no, region, seq, "
                     "received_ms, last_row) VALUES (?1, ?2, ?3, ?4, 0)",
    [ST_BATCH_LAST_ROW] = "UPDATE result_batches SET last_row = ?2 "
                          "WHERE id = ?1",
    [ST_PRUNE_CUT] = "SELECT max(last_row) FROM result_batches "
                     "WHERE received_ms < ?1",
    [ST_PRUNE] = "DELETE FROM result_rows WHERE rowid IN (SELECT rowid "
                 "FROM result_rows WHERE rowid <= ?1 LIMIT 10000)",
    [ST_PRUNE_BATCHES] = "DELETE FROM result_batches WHERE last_row <= ?1 "
                         "AND received_ms < ?2",
    [ST_AGENT_UPSERT_SEQ] =
        "INSERT INTO agents (agent_id, region, last_seq, results, "
        "last_contact_ms) VALUES (?1, ?2, ?3, ?4, ?5) "
        "ON CONFLICT (agent_id) DO UPDATE SET region = excluded.region, "
        "last_seq = excluded.last_seq, results = results + excluded.results, "
        "last_contact_ms = excluded.last_contact_ms",
    [ST_AGENT_TOUCH] =
        "INSERT INTO agents (agent_id, region, version, plan_version, "
        "backlog, last_contact_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
        "ON CONFLICT (agent_id) DO UPDATE SET region = excluded.region, "
        "version = excluded.version, plan_version = excluded.plan_version, "
        "backlog = excluded.backlog, last_contact_ms = "
        "excluded.last_contact_ms",
    [ST_AGENT_LIST] = "SELECT agent_id, region, version, last_seq, "
                      "plan_version, backlog, last_contact_ms, results "
                      "FROM agents ORDER BY agent_id",
    [ST_TRANSITION_ADD] =
        "INSERT INTO transitions (component_id, old_status, new_status, "
        "source, reason, at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [ST_TRANSITION_LIST] =
        "SELECT component_id, old_status, new_status, source, reason, at_ms "
        "FROM transitions WHERE component_id = ?1 AND at_ms >= ?2 "
        "ORDER BY at_ms, id",
    [ST_TRANSITION_LIST_ALL] =
        "SELECT component_id, old_status, new_status, source, reason, at_ms "
        "FROM transitions WHERE at_ms >= ?1 ORDER BY at_ms, id",
    [ST_LAST_STATUS] = "SELECT new_status, at_ms FROM transitions "
                       "WHERE component_id = ?1 ORDER BY at_ms DESC, id DESC "
                       "LIMIT 1",
    [ST_KV_GET] = "SELECT value FROM kv WHERE key = ?1",
    [ST_KV_SET] = "INSERT INTO kv (key, value) VALUES (?1, ?2) "
                  "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    [ST_TOKEN_ADD] = "INSERT INTO agent_tokens (agent_id, region, "
                     "token_sha256, created_ms) VALUES (?1, ?2, ?3, ?4)",
    [ST_TOKEN_REVOKE] = "UPDATE agent_tokens SET revoked_ms = ?2 "
                        "WHERE agent_id = ?1 AND revoked_ms IS NULL",
    [ST_TOKEN_LIST] = "SELECT agent_id, region, token_sha256, created_ms, "
                      "coalesce(revoked_ms, 0) FROM agent_tokens "
                      "ORDER BY agent_id",
    [ST_UPTIME_DAY_PUT] =
        "INSERT INTO uptime_days (component_id, date, day_s, operational_s, "
        "degraded_s, partial_s, major_s, maintenance_s, nodata_s) VALUES "
        "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (component_id, "
        "date) DO UPDATE SET day_s = excluded.day_s, operational_s = "
        "excluded.operational_s, degraded_s = excluded.degraded_s, "
        "partial_s = excluded.partial_s, major_s = excluded.major_s, "
        "maintenance_s = excluded.maintenance_s, nodata_s = "
        "excluded.nodata_s",
    [ST_UPTIME_STATE_PUT] =
        "INSERT INTO uptime_state (component_id, date, day_s, operational_s, "
        "degraded_s, partial_s, major_s, maintenance_s, nodata_s, last_s, "
        "status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
        "ON CONFLICT (component_id) DO UPDATE SET date = excluded.date, "
        "day_s = excluded.day_s, operational_s = excluded.operational_s, "
        "degraded_s = excluded.degraded_s, partial_s = excluded.partial_s, "
        "major_s = excluded.major_s, maintenance_s = excluded.maintenance_s, "
        "nodata_s = excluded.nodata_s, last_s = excluded.last_s, "
        "status = excluded.status",
    [ST_UPTIME_STATE_GET] =
        "SELECT date, day_s, operational_s, degraded_s, partial_s, major_s, "
        "maintenance_s, nodata_s, last_s, status FROM uptime_state "
        "WHERE component_id = ?1",
    [ST_UPTIME_DAYS] =
        "SELECT date, day_s, operational_s, degraded_s, partial_s, major_s, "
        "maintenance_s, nodata_s FROM uptime_days WHERE component_id = ?1 "
        "AND date >= ?2 ORDER BY date",
    [ST_UPTIME_PRUNE] = "DELETE FROM uptime_days WHERE date < ?1",
};

/* How often the acknowledgement record is rewritten while batches come. */
#define ACKED_WRITE_MS 1000

/* Check id -> number, open addressing; grows to STORE_CHECK_NOS_MAX. */
#define STORE_CHECK_NOS_MAX (1u << 20)
struct check_no_slot {
    char id[CHECK_ID_MAX];   /* "" = free */
    int64_t no;
};

struct store_sq {
    sqlite3 *db;
    sqlite3_stmt *st[ST_COUNT_];
    struct check_no_slot *check_nos;
    size_t ncheck_nos, check_nos_cap;
    char errmsg[512];
    char acked_path[1100];      /* "" when there is no record */
    int64_t acked_written_ms;
    int acked_dirty;
    int64_t tx_last_row;        /* last result row of insert_one() */
    struct store_latency *lat;  /* store_latency.c's accumulator */
};

struct store_latency **
store_latency_slot(struct store_sq *s)
{
    return &s->lat;
}

static int
db_error(struct store_sq *s, const char *what)
{
    snprintf(s->errmsg, sizeof(s->errmsg), "%s: %s", what,
             sqlite3_errmsg(s->db));
    return PH_EDB;
}

const char *
store_sq_errmsg(struct store_sq *s)
{
    return s->errmsg;
}

sqlite3 *
store_sqlite(struct store_sq *s)
{
    return s->db;
}

int
store_db_error(struct store_sq *s, const char *what)
{
    return db_error(s, what);
}

sqlite3_stmt *
store_prepare(struct store_sq *s, const char *sql)
{
    sqlite3_stmt *st = NULL;

    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        db_error(s, sql);
        return NULL;
    }
    return st;
}

int
store_change(struct store_sq *s, const char *sql, const char *key,
             int64_t now_ms, const char *what)
{
    sqlite3_stmt *st = store_prepare(s, sql);
    int result = 0;

    if (st == NULL) {
        return PH_EDB;
    }
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_bind_parameter_count(st) > 1) {
        sqlite3_bind_int64(st, 2, now_ms);
    }
    if (sqlite3_step(st) != SQLITE_DONE) {
        result = db_error(s, what);
    } else if (sqlite3_changes(s->db) == 0) {
        result = PH_ENOENT;
    }
    sqlite3_finalize(st);
    return result;
}

int
store_exec(struct store_sq *s, const char *sql)
{
    char *err = NULL;

    if (sqlite3_exec(s->db, sql, NULL, NULL, &err) != SQLITE_OK) {
        snprintf(s->errmsg, sizeof(s->errmsg), "%s",
                 err != NULL ? err : "unknown sqlite error");
        sqlite3_free(err);
        return PH_EDB;
    }
    return 0;
}

static int
migrate(struct store_sq *s, const char *path)
{
    sqlite3_stmt *st = NULL;
    int version = 0;
    int newest = ph_migrations[ph_nmigrations - 1].version;
    char sql[64];

    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) !=
        SQLITE_OK) {
        return db_error(s, "user_version");
    }
    if (sqlite3_step(st) == SQLITE_ROW) {
        version = sqlite3_column_int(st, 0);
    }
    sqlite3_finalize(st);
    if (version > newest) {
        snprintf(s->errmsg, sizeof(s->errmsg),
                 "database %s has schema version %d, newer than this "
                 "pharos-collector %s knows (%d): run the release that "
                 "wrote it, or restore a backup taken before the upgrade",
                 path, version, PH_VERSION, newest);
        return PH_EDB;
    }
    for (size_t i = 0; i < ph_nmigrations; i++) {
        const struct ph_migration *m = &ph_migrations[i];

        if (m->version <= version) {
            continue;
        }
        if (store_sq_tx_begin(s) != 0) {
            return PH_EDB;
        }
        snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", m->version);
        if (store_exec(s, m->sql) != 0 || store_exec(s, sql) != 0) {
            char keep[sizeof(s->errmsg)];
            memcpy(keep, s->errmsg, sizeof(keep));
            store_sq_tx_rollback(s);
            /* The migration's own error is the useful one. */
            memcpy(s->errmsg, keep, sizeof(keep));
            return PH_EDB;
        }
        if (store_sq_tx_commit(s) != 0) {
            return PH_EDB;
        }
    }
    return 0;
}

int
store_sq_open(const char *path, unsigned flags, char *errbuf, size_t errlen,
           struct store_sq **ret)
{
    struct store_sq *s = NULL;
    int kind;
    int result;

    errbuf[0] = '\0';
    if (flags & STORE_OPEN_WRITER) {
        kind = STORE_FILE_EXISTS; /* the loop's store_sq_open() checked it */
    } else {
        kind = store_file_precheck(path, flags, errbuf, errlen);
        if (kind < 0) {
            return kind;
        }
    }
    s = ph_calloc(1, sizeof(*s));
    if (s == NULL) {
        snprintf(errbuf, errlen, "database %s: out of memory", path);
        return PH_ENOMEM;
    }
    if (sqlite3_open_v2(path, &s->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                            SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        result = db_error(s, path);
        goto out;
    }
    sqlite3_busy_timeout(s->db, 5000);
    /* Check before anything writes: journal_mode = WAL would already
     * touch a damaged file. */
    if (kind == STORE_FILE_EXISTS && !(flags & STORE_OPEN_WRITER)) {
        result = store_file_quick_check(s, path, errbuf, errlen);
        if (result != 0) {
            goto out_msg;
        }
    }
    if (store_exec(s, "PRAGMA journal_mode = WAL") != 0 ||
        store_exec(s, "PRAGMA synchronous = NORMAL") != 0 ||
        store_exec(s, "PRAGMA foreign_keys = ON") != 0 ||
        store_exec(s, "PRAGMA temp_store = MEMORY") != 0 ||
        /* Result inserts land all over the (check, time) index: a page
         * cache that holds the hot part of it doubles the ingest rate. */
        store_exec(s, "PRAGMA cache_size = -32768") != 0 ||
        store_exec(s, "PRAGMA wal_autocheckpoint = 4000") != 0) {
        result = PH_EDB;
        goto out;
    }
    result = (flags & STORE_OPEN_WRITER) ? 0 : migrate(s, path);
    if (result != 0) {
        goto out;
    }
    for (int i = 0; i < ST_COUNT_; i++) {
        if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1,
                               SQLITE_PREPARE_PERSISTENT, &s->st[i],
                               NULL) != SQLITE_OK) {
            result = db_error(s, stmt_sql[i]);
            goto out;
        }
    }
    if (flags & STORE_OPEN_WRITER) {
        s->acked_path[0] = '\0'; /* the loop's store keeps the record */
        if (store_latency_replay(s) != 0) {
            log_warnx("store: latency rollups: cannot count the results "
                      "stored after the last flush: %s", s->errmsg);
        }
    } else if (snprintf(s->acked_path, sizeof(s->acked_path), "%s.acked",
                        path) < (int)sizeof(s->acked_path)) {
        store_acked_check(s, path, s->acked_path);
        /* From now on the record follows this database. */
        s->acked_dirty = 1;
        if (store_acked_write(s, s->acked_path) != 0) {
            log_warnx("store: cannot write %s", s->acked_path);
        }
        s->acked_dirty = 0;
    } else {
        s->acked_path[0] = '\0';
    }
    *ret = s;
    s = NULL;
    result = 0;
out:
    if (result != 0 && errbuf[0] == '\0') {
        /* sqlite's words, with the path and what to do. */
        if (strncmp(s->errmsg, "database ", 9) == 0) {
            snprintf(errbuf, errlen, "%s", s->errmsg);
        } else {
            snprintf(errbuf, errlen,
                     "database %s: %s; if the file is damaged, restore the "
                     "latest backup (docs/operator-guide.md, \"Restore\")",
                     path, s->errmsg);
        }
    }
out_msg:
    store_sq_close(s);
    return result;
}

void
store_sq_close(struct store_sq *s)
{
    if (s == NULL) {
        return;
    }
    if (s->acked_dirty && s->acked_path[0] != '\0') {
        store_acked_write(s, s->acked_path);
    }
    if (s->lat != NULL && store_sq_latency_flush(s) != 0) {
        log_warnx("store: latency rollups not written at close (counted "
                  "again at the next start): %s", s->errmsg);
    }
    store_latency_free(s->lat);
    for (int i = 0; i < ST_COUNT_; i++) {
        sqlite3_finalize(s->st[i]);
    }
    if (s->db != NULL) {
        sqlite3_close(s->db);
    }
    ph_free(s->check_nos);
    ph_free(s);
}

/* Resets and clears a statement for reuse. */
static sqlite3_stmt *
stmt(struct store_sq *s, enum stmt_id id)
{
    sqlite3_stmt *st = s->st[id];

    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return st;
}

static int
step_done(struct store_sq *s, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);

    sqlite3_reset(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        return db_error(s, what);
    }
    return 0;
}

/* The one way to open and close a write transaction. Migrations run
 * before the statements are prepared, so each falls back to a plain
 * exec then. */
int
store_sq_tx_begin(struct store_sq *s)
{
    if (s->st[ST_BEGIN] == NULL) {
        return store_exec(s, "BEGIN IMMEDIATE");
    }
    return step_done(s, stmt(s, ST_BEGIN), "begin");
}

int
store_sq_tx_commit(struct store_sq *s)
{
    if (s->st[ST_COMMIT] == NULL) {
        return store_exec(s, "COMMIT");
    }
    return step_done(s, stmt(s, ST_COMMIT), "commit");
}

void
store_sq_tx_rollback(struct store_sq *s)
{
    if (s->st[ST_ROLLBACK] == NULL) {
        store_exec(s, "ROLLBACK");
        return;
    }
    step_done(s, stmt(s, ST_ROLLBACK), "rollback");
}

int
store_sq_agent_last_seq(struct store_sq *s, const char *agent_id,
                     uint64_t *ret_seq)
{
    sqlite3_stmt *st = stmt(s, ST_AGENT_SEQ);
    int rc;

    sqlite3_bind_text(st, 1, agent_id, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *ret_seq = (uint64_t)sqlite3_column_int64(st, 0);
    } else if (rc == SQLITE_DONE) {
        *ret_seq = 0;
    } else {
        sqlite3_reset(st);
        return db_error(s, "agent seq");
    }
    sqlite3_reset(st);
    return 0;
}

/* The number of a text id in table (agent_nos, check_nos): looked up,
 * or added inside the caller's transaction. */
static int
id_number(struct store_sq *s, enum stmt_id get, enum stmt_id add,
          const char *id, int64_t *ret)
{
    sqlite3_stmt *st = stmt(s, get);
    int rc;

    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *ret = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
        return 0;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        return db_error(s, "id lookup");
    }
    st = stmt(s, add);
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (step_done(s, st, "id add") != 0) {
        return PH_EDB;
    }
    *ret = sqlite3_last_insert_rowid(s->db);
    return 0;
}

static struct check_no_slot *
check_slot(struct check_no_slot *tab, size_t cap, const char *id)
{
    size_t i = (size_t)ph_fnv1a64(id, strlen(id)) & (cap - 1);

    while (tab[i].id[0] != '\0' && strcmp(tab[i].id, id) != 0) {
        i = (i + 1) & (cap - 1);
    }
    return &tab[i];
}

/* Doubles the cache (kept at most half full). */
static int
grow_check_nos(struct store_sq *s)
{
    size_t cap = s->check_nos_cap ? s->check_nos_cap * 2 : 256;
    struct check_no_slot *tab;

    if (cap > STORE_CHECK_NOS_MAX) {
        return PH_ETOOBIG;
    }
    tab = ph_calloc(cap, sizeof(*tab));
    if (tab == NULL) {
        return PH_ENOMEM;
    }
    for (size_t i = 0; i < s->check_nos_cap; i++) {
        if (s->check_nos[i].id[0] != '\0') {
            *check_slot(tab, cap, s->check_nos[i].id) = s->check_nos[i];
        }
    }
    ph_free(s->check_nos);
    s->check_nos = tab;
    s->check_nos_cap = cap;
    return 0;
}

/* A check's number, from the cache or the table. A number added in a
 * transaction (or savepoint) that is rolled back is gone again, so every
 * rollback of a batch forgets the cache (forget_check_nos). */
static int
check_number(struct store_sq *s, const char *id, int64_t *ret)
{
    struct check_no_slot *slot = NULL;
    int rc;

    if (s->check_nos_cap > 0) {
        slot = check_slot(s->check_nos, s->check_nos_cap, id);
        if (slot->id[0] != '\0') {
            *ret = slot->no;
            return 0;
        }
    }
    rc = id_number(s, ST_CHECK_NO_GET, ST_CHECK_NO_ADD, id, ret);
    if (rc != 0) {
        return rc;
    }
    if ((s->ncheck_nos + 1) * 2 > s->check_nos_cap) {
        if (grow_check_nos(s) != 0) {
            return 0; /* uncached: still correct, only slower */
        }
    }
    slot = check_slot(s->check_nos, s->check_nos_cap, id);
    snprintf(slot->id, sizeof(slot->id), "%s", id);
    slot->no = *ret;
    s->ncheck_nos++;
    return 0;
}

/* Forgets cached numbers (after a rollback they may not exist). */
static void
forget_check_nos(struct store_sq *s)
{
    if (s->check_nos != NULL) {
        memset(s->check_nos, 0, s->check_nos_cap * sizeof(*s->check_nos));
    }
    s->ncheck_nos = 0;
}

/* One batch inside the caller's transaction: PH_EEXIST for a replayed
 * seq (nothing written), PH_EDB with the statement's error. */
static int
insert_one(struct store_sq *s, const char *agent_id, const char *region,
           uint64_t seq, const struct check_result *results, size_t n,
           int64_t now_ms)
{
    uint64_t last = 0;
    int64_t agent_no = 0, batch_id;
    sqlite3_stmt *st;
    int result;

    result = store_sq_agent_last_seq(s, agent_id, &last);
    if (result != 0) {
        return result;
    }
    if (seq <= last) {
        return PH_EEXIST;
    }
    result = id_number(s, ST_AGENT_NO_GET, ST_AGENT_NO_ADD, agent_id,
                       &agent_no);
    if (result != 0) {
        return result;
    }
    st = stmt(s, ST_BATCH_ADD);
    sqlite3_bind_int64(st, 1, agent_no);
    sqlite3_bind_text(st, 2, region, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)seq);
    sqlite3_bind_int64(st, 4, now_ms);
    if (step_done(s, st, "batch add") != 0) {
        return PH_EDB;
    }
    batch_id = sqlite3_last_insert_rowid(s->db);
    st = s->st[ST_INSERT_RESULT];
    for (size_t i = 0; i < n; i++) {
        const struct check_result *r = &results[i];
        int64_t check_no;

        result = check_number(s, r->check_id, &check_no);
        if (result != 0) {
            return result;
        }
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, batch_id);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
        sqlite3_bind_int64(st, 3, check_no);
        sqlite3_bind_int64(st, 4, r->started_at_ms);
        sqlite3_bind_int(st, 5, (int)r->outcome);
        sqlite3_bind_int64(st, 6, r->latency_ms);
        sqlite3_bind_int64(st, 7, (sqlite3_int64)r->timing.dns_us);
        sqlite3_bind_int64(st, 8, (sqlite3_int64)r->timing.connect_us);
        sqlite3_bind_int64(st, 9, (sqlite3_int64)r->timing.tls_us);
        sqlite3_bind_int64(st, 10, (sqlite3_int64)r->timing.first_byte_us);
        sqlite3_bind_int64(st, 11, (sqlite3_int64)r->timing.total_us);
        sqlite3_bind_int(st, 12, r->status_code);
        sqlite3_bind_int64(st, 13, r->cert_not_after);
        sqlite3_bind_text(st, 14, r->error, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE) {
            result = db_error(s, "insert result");
            sqlite3_reset(st);
            return result;
        }
    }
    sqlite3_reset(st);
    if (n > 0) {
        s->tx_last_row = sqlite3_last_insert_rowid(s->db);
        st = stmt(s, ST_BATCH_LAST_ROW);
        sqlite3_bind_int64(st, 1, batch_id);
        sqlite3_bind_int64(st, 2, s->tx_last_row);
        if (step_done(s, st, "batch last row") != 0) {
            return PH_EDB;
        }
    }
    st = stmt(s, ST_AGENT_UPSERT_SEQ);
    sqlite3_bind_text(st, 1, agent_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, region, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)seq);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)n);
    sqlite3_bind_int64(st, 5, now_ms);
    return step_done(s, st, "agent seq update");
}

/* After the commit of a batch: its results into the latency rollups. */
static void
note_latency(struct store_sq *s, const char *region,
             const struct check_result *results, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int64_t no;

        if (check_number(s, results[i].check_id, &no) == 0) {
            store_latency_note(s, region, no, &results[i]);
        }
    }
}

void
store_sq_note_acked(struct store_sq *s, int64_t now_ms)
{
    s->acked_dirty = 1;
    if (s->acked_path[0] != '\0' &&
        (now_ms - s->acked_written_ms >= ACKED_WRITE_MS ||
         now_ms < s->acked_written_ms)) {
        /* Best effort: the record only makes losses visible. */
        if (store_acked_write(s, s->acked_path) == 0) {
            s->acked_dirty = 0;
        }
        s->acked_written_ms = now_ms;
    }
}

int
store_sq_insert_batch(struct store_sq *s, const char *agent_id, const char *region,
                   uint64_t seq, const struct check_result *results, size_t n,
                   int64_t now_ms)
{
    int result;

    if (store_sq_tx_begin(s) != 0) {
        return PH_EDB;
    }
    s->tx_last_row = 0;
    result = insert_one(s, agent_id, region, seq, results, n, now_ms);
    if (result != 0) {
        store_sq_tx_rollback(s);
        forget_check_nos(s);
        return result;
    }
    store_latency_maybe_flush(s, now_ms, 0);
    if (store_sq_tx_commit(s) != 0) {
        store_sq_tx_rollback(s);
        store_latency_committed(s, 0);
        forget_check_nos(s);
        return PH_EDB;
    }
    store_latency_committed(s, 1);
    note_latency(s, region, results, n);
    store_latency_applied(s, s->tx_last_row);
    store_sq_note_acked(s, now_ms);
    return 0;
}

int
store_sq_insert_group(struct store_sq *s, struct store_batch *group)
{
    struct store_batch *b;
    int64_t last_row = 0;
    /* The first failure's message: on a full disk sqlite rolls the whole
     * transaction back by itself, and the ROLLBACK TO, RELEASE and
     * ROLLBACK that follow fail with "no transaction is active". */
    char first_err[sizeof(s->errmsg)] = "";

    if (store_sq_tx_begin(s) != 0) {
        /* Nothing is stored: no batch may be acked. */
        for (b = group; b != NULL; b = b->next) {
            b->result = PH_EDB;
        }
        return PH_EDB;
    }
    for (b = group; b != NULL; b = b->next) {
        /* A savepoint per batch: one bad batch does not take the others
         * down with it. */
        if (store_exec(s, "SAVEPOINT batch") != 0) {
            b->result = PH_EDB;
            continue;
        }
        s->tx_last_row = 0;
        b->result = insert_one(s, b->agent_id, b->region, b->seq,
                               b->results, b->n, b->now_ms);
        if (b->result == 0 && s->tx_last_row > last_row) {
            last_row = s->tx_last_row;
        }
        if (b->result != 0) {
            if (b->result != PH_EEXIST && first_err[0] == '\0') {
                snprintf(first_err, sizeof(first_err), "%s", s->errmsg);
            }
            store_exec(s, "ROLLBACK TO batch");
            forget_check_nos(s);
        }
        store_exec(s, "RELEASE batch");
        /* Liveness is recorded for replays too, as before. */
        if (b->result == 0 || b->result == PH_EEXIST) {
            store_sq_agent_touch(s, b->agent_id, b->region, b->version,
                              b->plan_version, b->backlog, b->now_ms);
        }
    }
    /* The rollups of earlier groups ride on this commit. */
    store_latency_maybe_flush(s, group != NULL ? group->now_ms : 0, 0);
    if (store_sq_tx_commit(s) != 0) {
        if (first_err[0] == '\0') {
            snprintf(first_err, sizeof(first_err), "%s", s->errmsg);
        }
        store_sq_tx_rollback(s);
        store_latency_committed(s, 0);
        forget_check_nos(s);
        for (b = group; b != NULL; b = b->next) {
            b->result = PH_EDB;
        }
        snprintf(s->errmsg, sizeof(s->errmsg), "%s", first_err);
        return PH_EDB;
    }
    store_latency_committed(s, 1);
    for (b = group; b != NULL; b = b->next) {
        if (b->result == 0) {
            note_latency(s, b->region, b->results, b->n);
        }
    }
    store_latency_applied(s, last_row);
    return 0;
}

int
store_sq_agent_touch(struct store_sq *s, const char *agent_id, const char *region,
                  const char *version, uint64_t plan_version,
                  uint64_t backlog, int64_t now_ms)
{
    sqlite3_stmt *st = stmt(s, ST_AGENT_TOUCH);

    sqlite3_bind_text(st, 1, agent_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, version, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)plan_version);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)backlog);
    sqlite3_bind_int64(st, 6, now_ms);
    return step_done(s, st, "agent touch");
}

const char *
store_col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);

    return t != NULL ? (const char *)t : "";
}

int
store_sq_list_agents(struct store_sq *s, store_agent_cb cb, void *arg)
{
    sqlite3_stmt *st = stmt(s, ST_AGENT_LIST);
    int rc;

    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_agent_row row;
        int stop;

        row.agent_id = store_col_text(st, 0);
        row.region = store_col_text(st, 1);
        row.version = store_col_text(st, 2);
        row.last_seq = (uint64_t)sqlite3_column_int64(st, 3);
        row.plan_version = (uint64_t)sqlite3_column_int64(st, 4);
        row.backlog = (uint64_t)sqlite3_column_int64(st, 5);
        row.last_contact_ms = sqlite3_column_int64(st, 6);
        row.results = sqlite3_column_int64(st, 7);
        stop = cb(&row, arg);
        if (stop != 0) {
            sqlite3_reset(st);
            return stop;
        }
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : db_error(s, "list agents");
}

int
store_sq_add_transition(struct store_sq *s, const char *component_id,
                     const char *old_status, const char *new_status,
                     const char *source, const char *reason, int64_t at_ms)
{
    sqlite3_stmt *st = stmt(s, ST_TRANSITION_ADD);

    sqlite3_bind_text(st, 1, component_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, old_status, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, new_status, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, source, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, reason, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, at_ms);
    return step_done(s, st, "add transition");
}

int
store_sq_list_transitions(struct store_sq *s, const char *component_id,
                       int64_t since_ms, store_transition_cb cb, void *arg)
{
    sqlite3_stmt *st;
    int rc;

    if (component_id != NULL) {
        st = stmt(s, ST_TRANSITION_LIST);
        sqlite3_bind_text(st, 1, component_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, since_ms);
    } else {
        st = stmt(s, ST_TRANSITION_LIST_ALL);
        sqlite3_bind_int64(st, 1, since_ms);
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_transition_row row;
        int stop;

        row.component_id = store_col_text(st, 0);
        row.old_status = store_col_text(st, 1);
        row.new_status = store_col_text(st, 2);
        row.source = store_col_text(st, 3);
        row.reason = store_col_text(st, 4);
        row.at_ms = sqlite3_column_int64(st, 5);
        stop = cb(&row, arg);
        if (stop != 0) {
            sqlite3_reset(st);
            return stop;
        }
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : db_error(s, "list transitions");
}

int
store_sq_last_status(struct store_sq *s, const char *component_id, char *ret_status,
                  size_t len, int64_t *ret_at_ms)
{
    sqlite3_stmt *st = stmt(s, ST_LAST_STATUS);
    int rc;

    sqlite3_bind_text(st, 1, component_id, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        snprintf(ret_status, len, "%s", store_col_text(st, 0));
        *ret_at_ms = sqlite3_column_int64(st, 1);
        sqlite3_reset(st);
        return 0;
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? PH_ENOENT : db_error(s, "last status");
}

/*
 * Retention by arrival: the rows of every batch received before
 * before_ms, found as one rowid range (rows are appended in batch order),
 * deleted in bounded chunks so the write lock is never held for long,
 * then the batches themselves.
 */
int
store_sq_prune_results(struct store_sq *s, int64_t before_ms, int64_t *ret_deleted)
{
    sqlite3_stmt *st = stmt(s, ST_PRUNE_CUT);
    int64_t total = 0, cut = 0;
    int changes, rc;

    sqlite3_bind_int64(st, 1, before_ms);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        cut = sqlite3_column_int64(st, 0);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        return db_error(s, "prune cut");
    }
    while (cut > 0) {
        st = stmt(s, ST_PRUNE);
        sqlite3_bind_int64(st, 1, cut);
        if (step_done(s, st, "prune") != 0) {
            return PH_EDB;
        }
        changes = sqlite3_changes(s->db);
        total += changes;
        if (changes == 0) {
            break;
        }
    }
    st = stmt(s, ST_PRUNE_BATCHES);
    sqlite3_bind_int64(st, 1, cut);
    sqlite3_bind_int64(st, 2, before_ms);
    if (cut > 0 && step_done(s, st, "prune batches") != 0) {
        return PH_EDB;
    }
    if (ret_deleted != NULL) {
        *ret_deleted = total;
    }
    return 0;
}

int
store_sq_kv_get(struct store_sq *s, const char *key, char *ret, size_t len)
{
    sqlite3_stmt *st = stmt(s, ST_KV_GET);
    int rc;

    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        snprintf(ret, len, "%s", store_col_text(st, 0));
        sqlite3_reset(st);
        return 0;
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? PH_ENOENT : db_error(s, "kv get");
}

int
store_sq_kv_set(struct store_sq *s, const char *key, const char *value)
{
    sqlite3_stmt *st = stmt(s, ST_KV_SET);

    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    return step_done(s, st, "kv set");
}

int
store_sq_agent_token_add(struct store_sq *s, const char *agent_id,
                      const char *region, const char *token_sha256,
                      int64_t now_ms)
{
    sqlite3_stmt *st = stmt(s, ST_TOKEN_ADD);
    int rc;

    sqlite3_bind_text(st, 1, agent_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, token_sha256, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, now_ms);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_CONSTRAINT) {
        return PH_EEXIST;
    }
    return rc == SQLITE_DONE ? 0 : db_error(s, "add agent token");
}

int
store_sq_agent_token_revoke(struct store_sq *s, const char *agent_id,
                         int64_t now_ms)
{
    sqlite3_stmt *st = stmt(s, ST_TOKEN_REVOKE);

    sqlite3_bind_text(st, 1, agent_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now_ms);
    if (step_done(s, st, "revoke agent token") != 0) {
        return PH_EDB;
    }
    return sqlite3_changes(s->db) > 0 ? 0 : PH_ENOENT;
}

int
store_sq_list_agent_tokens(struct store_sq *s, store_agent_token_cb cb, void *arg)
{
    sqlite3_stmt *st = stmt(s, ST_TOKEN_LIST);
    int rc;

    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_agent_token_row row;
        int stop;

        row.agent_id = store_col_text(st, 0);
        row.region = store_col_text(st, 1);
        row.token_sha256 = store_col_text(st, 2);
        row.created_ms = sqlite3_column_int64(st, 3);
        row.revoked_ms = sqlite3_column_int64(st, 4);
        stop = cb(&row, arg);
        if (stop != 0) {
            sqlite3_reset(st);
            return stop;
        }
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : db_error(s, "list agent tokens");
}

static void
bind_day(sqlite3_stmt *st, int first, const struct uptime_day *d)
{
    sqlite3_bind_int(st, first, d->date);
    sqlite3_bind_int64(st, first + 1, d->day_s);
    sqlite3_bind_int64(st, first + 2, d->operational_s);
    sqlite3_bind_int64(st, first + 3, d->degraded_s);
    sqlite3_bind_int64(st, first + 4, d->partial_s);
    sqlite3_bind_int64(st, first + 5, d->major_s);
    sqlite3_bind_int64(st, first + 6, d->maintenance_s);
    sqlite3_bind_int64(st, first + 7, d->nodata_s);
}

static void
col_day(sqlite3_stmt *st, int first, struct uptime_day *d)
{
    d->date = sqlite3_column_int(st, first);
    d->day_s = sqlite3_column_int64(st, first + 1);
    d->operational_s = sqlite3_column_int64(st, first + 2);
    d->degraded_s = sqlite3_column_int64(st, first + 3);
    d->partial_s = sqlite3_column_int64(st, first + 4);
    d->major_s = sqlite3_column_int64(st, first + 5);
    d->maintenance_s = sqlite3_column_int64(st, first + 6);
    d->nodata_s = sqlite3_column_int64(st, first + 7);
}

int
store_sq_uptime_checkpoint(struct store_sq *s, const char *component_id,
                        const struct uptime_day *days, size_t ndays,
                        const struct uptime_acc_state *stt)
{
    sqlite3_stmt *st;
    int result = 0;

    if (store_sq_tx_begin(s) != 0) {
        return PH_EDB;
    }
    for (size_t i = 0; i < ndays && result == 0; i++) {
        st = stmt(s, ST_UPTIME_DAY_PUT);
        sqlite3_bind_text(st, 1, component_id, -1, SQLITE_STATIC);
        bind_day(st, 2, &days[i]);
        result = step_done(s, st, "uptime day");
    }
    if (result == 0) {
        st = stmt(s, ST_UPTIME_STATE_PUT);
        sqlite3_bind_text(st, 1, component_id, -1, SQLITE_STATIC);
        bind_day(st, 2, &stt->day);
        sqlite3_bind_int64(st, 10, stt->last_s);
        sqlite3_bind_int(st, 11, stt->status);
        result = step_done(s, st, "uptime state");
    }
    if (result == 0 &&
        store_sq_tx_commit(s) == 0) {
        return 0;
    }
    store_sq_tx_rollback(s);
    return PH_EDB;
}

int
store_sq_uptime_state(struct store_sq *s, const char *component_id,
                   struct uptime_acc_state *ret)
{
    sqlite3_stmt *st = stmt(s, ST_UPTIME_STATE_GET);
    int rc;

    sqlite3_bind_text(st, 1, component_id, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        memset(ret, 0, sizeof(*ret));
        col_day(st, 0, &ret->day);
        ret->last_s = sqlite3_column_int64(st, 8);
        ret->status = sqlite3_column_int(st, 9);
        sqlite3_reset(st);
        return 0;
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? PH_ENOENT : db_error(s, "uptime state");
}

int
store_sq_uptime_days(struct store_sq *s, const char *component_id,
                  int32_t from_date, struct uptime_day *ret, size_t max,
                  size_t *ret_n)
{
    sqlite3_stmt *st = stmt(s, ST_UPTIME_DAYS);
    size_t n = 0;
    int rc;

    sqlite3_bind_text(st, 1, component_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, from_date);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < max) {
        col_day(st, 0, &ret[n++]);
    }
    sqlite3_reset(st);
    *ret_n = n;
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0
                                                 : db_error(s, "uptime days");
}

int
store_sq_uptime_prune(struct store_sq *s, int32_t before_date)
{
    sqlite3_stmt *st = stmt(s, ST_UPTIME_PRUNE);

    sqlite3_bind_int(st, 1, before_date);
    return step_done(s, st, "uptime prune");
}
