/*
 * store_pg.c - the PostgreSQL backend of struct store (store_pg.h): the
 * connection and its reconnection, migrations, transactions,
 * transitions, agent tokens, uptime and key/value state. With
 * store_pg_results.c (agent batches), store_pg_incidents.c,
 * store_pg_notify.c and store_pg_copy.c, the only includers of
 * libpq-fe.h.
 *
 * Calls block the calling thread for one round trip per statement: the
 * writer thread's connection (agent batches) and the start-up loads are
 * where they belong; see docs/operator-guide.md for what runs on the
 * loop thread.
 */
#include "store_pg.h"
#include "store_pg_int.h"

#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "complain.h"
#include "log.h"
#include "mem.h"
#include "migrations.h"
#include "ph_err.h"
#include "timefmt.h"

/* pg_advisory_lock key held while migrating ("pharos" in ASCII). */
#define MIGRATE_LOCK_KEY "112104097114111115"
/* Reconnection backoff: first retry after RETRY_MIN_MS, doubling. */
#define RETRY_MIN_MS 250
#define RETRY_MAX_MS 10000
/* A reconnection that is not done after this has failed. */
#define RESET_TIMEOUT_MS 10000

struct store_pg {
    PGconn *conn;
    char *uri;                  /* owned; carries no password */
    char *password;             /* owned, or NULL */
    int in_tx;
    int resetting;              /* a non-blocking reset is under way */
    int reset_wants;            /* what its socket waits for */
    int64_t reset_deadline_ms;  /* monotonic: it fails after this */
    int64_t next_try_ms;        /* monotonic */
    int64_t backoff_ms;
    struct complain down;
    struct complain latency;    /* store_pg_latency.c's failures */
    char errmsg[STORE_PG_ERRMSG_MAX];
};

struct complain *
store_pg_latency_complaint(struct store_pg *p)
{
    return &p->latency;
}

void
pgq_init(struct pgq *q)
{
    q->n = 0;
}

void
pgq_text(struct pgq *q, const char *s)
{
    if (q->n < PGQ_MAX) { /* else the statement fails: too few values */
        q->v[q->n++] = s;
    }
}

void
pgq_i64(struct pgq *q, int64_t v)
{
    if (q->n >= PGQ_MAX) {
        return;
    }
    snprintf(q->num[q->n], sizeof(q->num[q->n]), "%" PRId64, v);
    q->v[q->n] = q->num[q->n];
    q->n++;
}

int64_t
store_pg_changes(PGresult *r)
{
    const char *t = PQcmdTuples(r);

    return t != NULL && t[0] != '\0' ? strtoll(t, NULL, 10) : 0;
}

int
store_pg_run_change(struct store_pg *p, const char *sql, const struct pgq *q,
                    const char *what)
{
    PGresult *r;
    int result = store_pg_run(p, sql, q, what, &r);

    if (result != 0) {
        return result;
    }
    result = store_pg_changes(r) > 0 ? 0 : PH_ENOENT;
    PQclear(r);
    return result;
}

int64_t
store_pg_i64(PGresult *r, int i, int c)
{
    if (PQgetisnull(r, i, c)) {
        return 0;
    }
    return strtoll(PQgetvalue(r, i, c), NULL, 10);
}

const char *
store_pg_text(PGresult *r, int i, int c)
{
    return PQgetvalue(r, i, c); /* "" for NULL */
}

/* Records "what: message" (the message without its newline). */
static int
pg_error(struct store_pg *p, const char *what, const char *msg)
{
    size_t n;

    snprintf(p->errmsg, sizeof(p->errmsg), "%s: %s", what,
             msg != NULL && msg[0] != '\0' ? msg : "unknown error");
    n = strlen(p->errmsg);
    while (n > 0 && (p->errmsg[n - 1] == '\n' || p->errmsg[n - 1] == ' ')) {
        p->errmsg[--n] = '\0';
    }
    return PH_EDB;
}

int
store_pg_set_error(struct store_pg *p, const char *msg)
{
    snprintf(p->errmsg, sizeof(p->errmsg), "%s", msg);
    return PH_EDB;
}

const char *
store_pg_errmsg(struct store_pg *p)
{
    return p->errmsg;
}

static void
quiet_notices(void *arg, const char *message)
{
    (void)arg;
    log_debug("store: postgresql: %s", message);
}

static PGconn *
connect_db(const char *uri, const char *password)
{
    /* Defaults before dbname so the URI may override them; the password
     * after, so that no URI can carry one in. Keepalives and a TCP user
     * timeout find a server that vanished (no reset, no FIN) in about
     * ten seconds instead of the kernel's minutes. */
    const char *keys[] = {"connect_timeout", "keepalives_idle",
                          "keepalives_interval", "keepalives_count",
                          "tcp_user_timeout", "application_name", "dbname",
                          password != NULL ? "password" : NULL, NULL};
    const char *vals[] = {"5", "5", "2", "3", "10000", "pharos-collector",
                          uri, password, NULL};
    PGconn *c = PQconnectdbParams(keys, vals, 1);

    if (c != NULL) {
        PQsetNoticeProcessor(c, quiet_notices, NULL);
    }
    return c;
}

/* A reset that failed: the next one waits longer. */
static int
reset_failed(struct store_pg *p, int64_t now)
{
    p->resetting = 0;
    p->backoff_ms = p->backoff_ms == 0 ? RETRY_MIN_MS : p->backoff_ms * 2;
    if (p->backoff_ms > RETRY_MAX_MS) {
        p->backoff_ms = RETRY_MAX_MS;
    }
    p->next_try_ms = now + p->backoff_ms;
    pg_error(p, "database unreachable", PQerrorMessage(p->conn));
    complain(&p->down, time_now_ms(), "store: %s; reconnecting by itself",
             p->errmsg);
    return PH_EDB;
}

/*
 * A broken connection, outside a transaction: reset it when the backoff
 * allows, without waiting for the server. PQresetStart() begins a
 * non-blocking connect; each later call advances it (PQresetPoll) only
 * when its socket is ready, so a caller never sits in connect(); until
 * it is done, calls fail at once (PH_EDB). 0 when the connection is
 * usable.
 */
static int
revive(struct store_pg *p)
{
    int64_t now = time_mono_ms();
    PostgresPollingStatusType st;

    if (!p->resetting && PQstatus(p->conn) == CONNECTION_OK) {
        return 0;
    }
    if (p->in_tx) {
        return pg_error(p, "connection lost in a transaction",
                        PQerrorMessage(p->conn));
    }
    if (!p->resetting) {
        if (now < p->next_try_ms) {
            return pg_error(p, "database unreachable, retrying",
                            PQerrorMessage(p->conn));
        }
        if (!PQresetStart(p->conn)) {
            return reset_failed(p, now);
        }
        p->resetting = 1;
        p->reset_deadline_ms = now + RESET_TIMEOUT_MS;
        p->reset_wants = PGRES_POLLING_WRITING;
    }
    for (;;) {
        struct pollfd pfd = {PQsocket(p->conn),
                             p->reset_wants == PGRES_POLLING_READING
                                 ? POLLIN
                                 : POLLOUT,
                             0};

        if (pfd.fd < 0) {
            return reset_failed(p, now);
        }
        if (poll(&pfd, 1, 0) <= 0) {
            if (now >= p->reset_deadline_ms) {
                return reset_failed(p, now);
            }
            return pg_error(p, "reconnecting to the database", "");
        }
        st = PQresetPoll(p->conn);
        if (st == PGRES_POLLING_FAILED) {
            return reset_failed(p, now);
        }
        if (st == PGRES_POLLING_OK) {
            break;
        }
        p->reset_wants = st;
    }
    p->resetting = 0;
    PQsetNoticeProcessor(p->conn, quiet_notices, NULL);
    p->backoff_ms = 0;
    p->next_try_ms = 0;
    complain_release(&p->down, "store: connected to PostgreSQL again");
    return 0;
}

int
store_pg_run(struct store_pg *p, const char *sql, const struct pgq *q,
             const char *what, PGresult **ret)
{
    PGresult *r;
    ExecStatusType st;
    const char *state;
    int result;

    if (ret != NULL) {
        *ret = NULL;
    }
    result = revive(p);
    if (result != 0) {
        return result;
    }
    if (q == NULL) {
        r = PQexec(p->conn, sql);
    } else {
        r = PQexecParams(p->conn, sql, q->n, NULL, q->v, NULL, NULL, 0);
    }
    st = r != NULL ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        if (ret != NULL) {
            *ret = r;
        } else {
            PQclear(r);
        }
        return 0;
    }
    state = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    if (state != NULL && strcmp(state, "23505") == 0) {
        result = PH_EEXIST; /* unique_violation */
        pg_error(p, what, PQresultErrorMessage(r));
    } else {
        result = pg_error(p, what, r != NULL ? PQresultErrorMessage(r)
                                             : PQerrorMessage(p->conn));
    }
    PQclear(r);
    if (PQstatus(p->conn) != CONNECTION_OK) {
        complain(&p->down, time_now_ms(),
                 "store: lost the PostgreSQL connection (%s); reconnecting "
                 "by itself", p->errmsg);
    }
    return result;
}

int
store_pg_copy_start(struct store_pg *p, const char *sql)
{
    PGresult *r = PQexec(p->conn, sql);
    int ok = r != NULL && PQresultStatus(r) == PGRES_COPY_IN;

    if (!ok) {
        pg_error(p, "copy", r != NULL ? PQresultErrorMessage(r)
                                      : PQerrorMessage(p->conn));
    }
    PQclear(r);
    return ok ? 0 : PH_EDB;
}

int
store_pg_copy_send(struct store_pg *p, const char *data, size_t len)
{
    if (len > INT32_MAX || PQputCopyData(p->conn, data, (int)len) != 1) {
        return pg_error(p, "copy data", PQerrorMessage(p->conn));
    }
    return 0;
}

int
store_pg_copy_finish(struct store_pg *p, int failed)
{
    PGresult *r;
    int result = 0;

    if (PQputCopyEnd(p->conn, failed ? "abandoned" : NULL) != 1) {
        result = pg_error(p, "copy end", PQerrorMessage(p->conn));
    }
    while ((r = PQgetResult(p->conn)) != NULL) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK && result == 0) {
            result = pg_error(p, "copy", PQresultErrorMessage(r));
        }
        PQclear(r);
    }
    return failed && result == 0 ? PH_EDB : result;
}

/* Runs sql with no parameters and no rows wanted. */
static int
run0(struct store_pg *p, const char *sql, const char *what)
{
    return store_pg_run(p, sql, NULL, what, NULL);
}

static int
migrate(struct store_pg *p)
{
    int newest = ph_pg_migrations[ph_npg_migrations - 1].version;
    PGresult *r = NULL;
    int version, result;
    char sql[96];

    /* Several collectors may start together: one migrates, the others
     * wait here and then find nothing left to do. */
    result = run0(p, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")",
                  "migration lock");
    if (result != 0) {
        return result;
    }
    result = run0(p, "CREATE TABLE IF NOT EXISTS schema_version "
                     "(version integer NOT NULL)", "schema_version");
    if (result == 0) {
        result = store_pg_run(p, "SELECT coalesce(max(version), 0) FROM "
                                 "schema_version", NULL, "schema version",
                              &r);
    }
    if (result != 0) {
        goto out;
    }
    version = (int)store_pg_i64(r, 0, 0);
    PQclear(r);
    if (version > newest) {
        snprintf(p->errmsg, sizeof(p->errmsg),
                 "database has schema version %d, newer than this "
                 "pharos-collector %s knows (%d): run the release that "
                 "wrote it", version, PH_VERSION, newest);
        result = PH_EDB;
        goto out;
    }
    for (size_t i = 0; i < ph_npg_migrations; i++) {
        const struct ph_migration *m = &ph_pg_migrations[i];

        if (m->version <= version) {
            continue;
        }
        snprintf(sql, sizeof(sql),
                 "INSERT INTO schema_version (version) VALUES (%d)",
                 m->version);
        result = run0(p, "BEGIN", "begin");
        if (result == 0) {
            result = run0(p, m->sql, m->name);
        }
        if (result == 0) {
            result = run0(p, sql, "schema version");
        }
        if (result == 0) {
            result = run0(p, "COMMIT", "commit");
        }
        if (result != 0) {
            char keep[sizeof(p->errmsg)];

            memcpy(keep, p->errmsg, sizeof(keep));
            run0(p, "ROLLBACK", "rollback");
            memcpy(p->errmsg, keep, sizeof(keep));
            goto out;
        }
        log_info("store: applied migration %s", m->name);
    }
out:
    /* The lock ends with the session anyway; a failed unlock is moot. */
    store_pg_run(p, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")", NULL,
                 "migration unlock", NULL);
    return result;
}

/* dsn for messages: a password in its user part is left out (pharos.yml
 * refuses one there; the migrate command's --to may still carry one). */
static void
redact(const char *dsn, char *out, size_t len)
{
    const char *a = strstr(dsn, "://");
    const char *at, *colon;
    size_t auth_len;

    snprintf(out, len, "%s", dsn);
    if (a == NULL) {
        return;
    }
    a += 3;
    auth_len = strcspn(a, "/?");
    at = memchr(a, '@', auth_len);
    colon = at != NULL ? memchr(a, ':', (size_t)(at - a)) : NULL;
    if (colon != NULL) {
        snprintf(out, len, "%.*s%s", (int)(colon - dsn), dsn, at);
    }
    if (strstr(out, "password=") != NULL) {
        size_t q = strcspn(out, "?");

        snprintf(out + q, len - q, "?(options with a password)");
    }
}

int
store_pg_open(const char *dsn, const char *password, unsigned flags,
              char *errbuf, size_t errlen, struct store_pg **ret)
{
    struct store_pg *p = ph_calloc(1, sizeof(*p));
    char shown[512];
    int result;

    if (p == NULL) {
        snprintf(errbuf, errlen, "store: out of memory");
        return PH_ENOMEM;
    }
    redact(dsn, shown, sizeof(shown));
    p->uri = ph_strdup(dsn);
    p->password = password != NULL ? ph_strdup(password) : NULL;
    if (p->uri == NULL || (password != NULL && p->password == NULL)) {
        snprintf(errbuf, errlen, "store: out of memory");
        result = PH_ENOMEM;
        goto out;
    }
    p->conn = connect_db(p->uri, p->password);
    if (p->conn == NULL || PQstatus(p->conn) != CONNECTION_OK) {
        pg_error(p, "cannot connect",
                 p->conn != NULL ? PQerrorMessage(p->conn) : "out of memory");
        snprintf(errbuf, errlen,
                 "store %s: %s (is the server up, and are the user, "
                 "password and database right?)", shown, p->errmsg);
        result = PH_EDB;
        goto out;
    }
    result = run0(p, "SET synchronous_commit = on", "settings");
    if (result == 0 && !(flags & STORE_OPEN_WRITER)) {
        result = migrate(p);
    }
    if (result != 0) {
        snprintf(errbuf, errlen, "store %s: %s", shown, p->errmsg);
        goto out;
    }
    *ret = p;
    p = NULL;
out:
    store_pg_close(p);
    return result;
}

void
store_pg_close(struct store_pg *p)
{
    if (p == NULL) {
        return;
    }
    if (p->conn != NULL) {
        PQfinish(p->conn);
    }
    if (p->password != NULL) {
        memset(p->password, 0, strlen(p->password));
        ph_free(p->password);
    }
    ph_free(p->uri);
    ph_free(p);
}

int
store_pg_tx_begin(struct store_pg *p)
{
    int result = run0(p, "BEGIN", "begin");

    p->in_tx = result == 0;
    return result;
}

int
store_pg_tx_commit(struct store_pg *p)
{
    int result = run0(p, "COMMIT", "commit");

    p->in_tx = 0;
    return result;
}

void
store_pg_tx_rollback(struct store_pg *p)
{
    if (!p->resetting && PQstatus(p->conn) == CONNECTION_OK) {
        run0(p, "ROLLBACK", "rollback");
    }
    p->in_tx = 0;
}

int
store_pg_add_transition(struct store_pg *p, const char *component_id,
                        const char *old_status, const char *new_status,
                        const char *source, const char *reason,
                        int64_t at_ms)
{
    struct pgq q;

    pgq_init(&q);
    pgq_text(&q, component_id);
    pgq_text(&q, old_status);
    pgq_text(&q, new_status);
    pgq_text(&q, source);
    pgq_text(&q, reason);
    pgq_i64(&q, at_ms);
    return store_pg_run(p,
        "INSERT INTO transitions (component_id, old_status, new_status, "
        "source, reason, at_ms) VALUES ($1, $2, $3, $4, $5, $6)", &q,
        "add transition", NULL);
}

int
store_pg_list_transitions(struct store_pg *p, const char *component_id,
                          int64_t since_ms, store_transition_cb cb,
                          void *arg)
{
    struct pgq q;
    PGresult *r;
    int result;

    pgq_init(&q);
    pgq_i64(&q, since_ms);
    pgq_text(&q, component_id);
    result = store_pg_run(p,
        "SELECT component_id, old_status, new_status, source, reason, at_ms "
        "FROM transitions WHERE at_ms >= $1 AND ($2::text IS NULL OR "
        "component_id = $2) ORDER BY at_ms, id", &q, "list transitions", &r);
    for (int i = 0; result == 0 && i < PQntuples(r); i++) {
        struct store_transition_row row = {
            .component_id = store_pg_text(r, i, 0),
            .old_status = store_pg_text(r, i, 1),
            .new_status = store_pg_text(r, i, 2),
            .source = store_pg_text(r, i, 3),
            .reason = store_pg_text(r, i, 4),
            .at_ms = store_pg_i64(r, i, 5),
        };
        result = cb(&row, arg);
    }
    PQclear(r);
    return result;
}

int
store_pg_last_status(struct store_pg *p, const char *component_id,
                     char *ret_status, size_t len, int64_t *ret_at_ms)
{
    struct pgq q;
    PGresult *r;
    int result;

    pgq_init(&q);
    pgq_text(&q, component_id);
    result = store_pg_run(p,
        "SELECT new_status, at_ms FROM transitions WHERE component_id = $1 "
        "ORDER BY at_ms DESC, id DESC LIMIT 1", &q, "last status", &r);
    if (result != 0) {
        return result;
    }
    if (PQntuples(r) == 0) {
        result = PH_ENOENT;
    } else {
        snprintf(ret_status, len, "%s", store_pg_text(r, 0, 0));
        *ret_at_ms = store_pg_i64(r, 0, 1);
    }
    PQclear(r);
    return result;
}

int
store_pg_kv_get(struct store_pg *p, const char *key, char *ret, size_t len)
{
    struct pgq q;
    PGresult *r;
    int result;

    pgq_init(&q);
    pgq_text(&q, key);
    result = store_pg_run(p, "SELECT value FROM kv WHERE key = $1", &q,
                          "kv get", &r);
    if (result != 0) {
        return result;
    }
    if (PQntuples(r) == 0) {
        result = PH_ENOENT;
    } else {
        snprintf(ret, len, "%s", store_pg_text(r, 0, 0));
    }
    PQclear(r);
    return result;
}

int
store_pg_kv_set(struct store_pg *p, const char *key, const char *value)
{
    struct pgq q;

    pgq_init(&q);
    pgq_text(&q, key);
    pgq_text(&q, value);
    return store_pg_run(p,
        "INSERT INTO kv (key, value) VALUES ($1, $2) ON CONFLICT (key) DO "
        "UPDATE SET value = excluded.value", &q, "kv set", NULL);
}

int
store_pg_agent_token_add(struct store_pg *p, const char *agent_id,
                         const char *region, const char *token_sha256,
                         int64_t now_ms)
{
    struct pgq q;

    pgq_init(&q);
    pgq_text(&q, agent_id);
    pgq_text(&q, region);
    pgq_text(&q, token_sha256);
    pgq_i64(&q, now_ms);
    return store_pg_run(p,
        "INSERT INTO agent_tokens (agent_id, region, token_sha256, "
        "created_ms) VALUES ($1, $2, $3, $4)", &q, "add agent token", NULL);
}

int
store_pg_agent_token_revoke(struct store_pg *p, const char *agent_id,
                            int64_t now_ms)
{
    struct pgq q;

    pgq_init(&q);
    pgq_text(&q, agent_id);
    pgq_i64(&q, now_ms);
    return store_pg_run_change(p,
        "UPDATE agent_tokens SET revoked_ms = $2 WHERE agent_id = $1 AND "
        "revoked_ms IS NULL", &q, "revoke agent token");
}

int
store_pg_list_agent_tokens(struct store_pg *p, store_agent_token_cb cb,
                           void *arg)
{
    PGresult *r;
    int result = store_pg_run(p,
        "SELECT agent_id, region, token_sha256, created_ms, "
        "coalesce(revoked_ms, 0) FROM agent_tokens ORDER BY agent_id", NULL,
        "list agent tokens", &r);

    for (int i = 0; result == 0 && i < PQntuples(r); i++) {
        struct store_agent_token_row row = {
            .agent_id = store_pg_text(r, i, 0),
            .region = store_pg_text(r, i, 1),
            .token_sha256 = store_pg_text(r, i, 2),
            .created_ms = store_pg_i64(r, i, 3),
            .revoked_ms = store_pg_i64(r, i, 4),
        };
        result = cb(&row, arg);
    }
    PQclear(r);
    return result;
}

static void
pgq_day(struct pgq *q, const struct uptime_day *d)
{
    pgq_i64(q, d->date);
    pgq_i64(q, d->day_s);
    pgq_i64(q, d->operational_s);
    pgq_i64(q, d->degraded_s);
    pgq_i64(q, d->partial_s);
    pgq_i64(q, d->major_s);
    pgq_i64(q, d->maintenance_s);
    pgq_i64(q, d->nodata_s);
}

static void
col_day(PGresult *r, int i, int first, struct uptime_day *d)
{
    d->date = (int32_t)store_pg_i64(r, i, first);
    d->day_s = store_pg_i64(r, i, first + 1);
    d->operational_s = store_pg_i64(r, i, first + 2);
    d->degraded_s = store_pg_i64(r, i, first + 3);
    d->partial_s = store_pg_i64(r, i, first + 4);
    d->major_s = store_pg_i64(r, i, first + 5);
    d->maintenance_s = store_pg_i64(r, i, first + 6);
    d->nodata_s = store_pg_i64(r, i, first + 7);
}

int
store_pg_uptime_checkpoint(struct store_pg *p, const char *component_id,
                           const struct uptime_day *days, size_t ndays,
                           const struct uptime_acc_state *stt)
{
    struct pgq q;
    int result = 0;

    if (store_pg_tx_begin(p) != 0) {
        return PH_EDB;
    }
    for (size_t i = 0; i < ndays && result == 0; i++) {
        pgq_init(&q);
        pgq_text(&q, component_id);
        pgq_day(&q, &days[i]);
        result = store_pg_run(p,
            "INSERT INTO uptime_days (component_id, date, day_s, "
            "operational_s, degraded_s, partial_s, major_s, maintenance_s, "
            "nodata_s) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON "
            "CONFLICT (component_id, date) DO UPDATE SET day_s = "
            "excluded.day_s, operational_s = excluded.operational_s, "
            "degraded_s = excluded.degraded_s, partial_s = "
            "excluded.partial_s, major_s = excluded.major_s, maintenance_s = "
            "excluded.maintenance_s, nodata_s = excluded.nodata_s", &q,
            "uptime day", NULL);
    }
    if (result == 0) {
        pgq_init(&q);
        pgq_text(&q, component_id);
        pgq_day(&q, &stt->day);
        pgq_i64(&q, stt->last_s);
        pgq_i64(&q, stt->status);
        result = store_pg_run(p,
            "INSERT INTO uptime_state (component_id, date, day_s, "
            "operational_s, degraded_s, partial_s, major_s, maintenance_s, "
            "nodata_s, last_s, status) VALUES ($1, $2, $3, $4, $5, $6, $7, "
            "$8, $9, $10, $11) ON CONFLICT (component_id) DO UPDATE SET "
            "date = excluded.date, day_s = excluded.day_s, operational_s = "
            "excluded.operational_s, degraded_s = excluded.degraded_s, "
            "partial_s = excluded.partial_s, major_s = excluded.major_s, "
            "maintenance_s = excluded.maintenance_s, nodata_s = "
            "excluded.nodata_s, last_s = excluded.last_s, status = "
            "excluded.status", &q, "uptime state", NULL);
    }
    if (result == 0 && store_pg_tx_commit(p) == 0) {
        return 0;
    }
    store_pg_tx_rollback(p);
    return PH_EDB;
}

int
store_pg_uptime_state(struct store_pg *p, const char *component_id,
                      struct uptime_acc_state *ret)
{
    struct pgq q;
    PGresult *r;
    int result;

    pgq_init(&q);
    pgq_text(&q, component_id);
    result = store_pg_run(p,
        "SELECT date, day_s, operational_s, degraded_s, partial_s, major_s, "
        "maintenance_s, nodata_s, last_s, status FROM uptime_state WHERE "
        "component_id = $1", &q, "uptime state", &r);
    if (result != 0) {
        return result;
    }
    if (PQntuples(r) == 0) {
        result = PH_ENOENT;
    } else {
        memset(ret, 0, sizeof(*ret));
        col_day(r, 0, 0, &ret->day);
        ret->last_s = store_pg_i64(r, 0, 8);
        ret->status = (int)store_pg_i64(r, 0, 9);
    }
    PQclear(r);
    return result;
}

int
store_pg_uptime_days(struct store_pg *p, const char *component_id,
                     int32_t from_date, struct uptime_day *ret, size_t max,
                     size_t *ret_n)
{
    struct pgq q;
    PGresult *r;
    size_t n = 0;
    int result;

    pgq_init(&q);
    pgq_text(&q, component_id);
    pgq_i64(&q, from_date);
    pgq_i64(&q, (int64_t)max);
    result = store_pg_run(p,
        "SELECT date, day_s, operational_s, degraded_s, partial_s, major_s, "
        "maintenance_s, nodata_s FROM uptime_days WHERE component_id = $1 "
        "AND date >= $2 ORDER BY date LIMIT $3", &q, "uptime days", &r);
    *ret_n = 0;
    if (result != 0) {
        return result;
    }
    for (int i = 0; i < PQntuples(r) && n < max; i++) {
        col_day(r, i, 0, &ret[n++]);
    }
    PQclear(r);
    *ret_n = n;
    return 0;
}

int
store_pg_uptime_prune(struct store_pg *p, int32_t before_date)
{
    struct pgq q;

    pgq_init(&q);
    pgq_i64(&q, before_date);
    return store_pg_run(p, "DELETE FROM uptime_days WHERE date < $1", &q,
                        "uptime prune", NULL);
}

/* Appends s to b as an element of a PostgreSQL array literal. */
int
store_pg_array_text(struct buf *b, int first, const char *s)
{
    if (buf_appends(b, first ? "\"" : ",\"") != 0) {
        return PH_ENOMEM;
    }
    while (*s != '\0') {
        size_t run = strcspn(s, "\"\\");

        if (buf_append(b, s, run) != 0) {
            return PH_ENOMEM;
        }
        s += run;
        if (*s != '\0') {
            char esc[2] = {'\\', *s++};

            if (buf_append(b, esc, 2) != 0) {
                return PH_ENOMEM;
            }
        }
    }
    return buf_appends(b, "\"");
}

/* Appends v to b as an element of an array literal. By hand, not with
 * buf_printf: formatting eleven numbers per result through vfprintf was
 * about half of the leader's CPU time under ingest (bench/ha_bench.py
 * ingest --perf, docs/benchmarks.md "High availability"). */
int
store_pg_array_i64(struct buf *b, int first, int64_t v)
{
    char tmp[24];
    char *p = tmp + sizeof(tmp);
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

    do {
        *--p = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u != 0);
    if (v < 0) {
        *--p = '-';
    }
    if (!first) {
        *--p = ',';
    }
    return buf_append(b, p, (size_t)(tmp + sizeof(tmp) - p));
}
