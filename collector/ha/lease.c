/*
 * lease.c - the leader lease on PostgreSQL (lease.h). The only file of
 * the collector, with nothing else in collector/ha/, that includes
 * libpq-fe.h.
 *
 * One connection, one query at a time, a small state machine:
 *
 *   NONE --connect--> CONNECTING --PQconnectPoll OK--> READY
 *   READY --send--> BUSY --all results read--> READY
 *   any --error, watchdog--> NONE (reconnect after a backoff)
 *
 * libpq resolves a host name inside PQconnectStart(), blocking; so a
 * single host name in the conninfo is resolved first with
 * uv_getaddrinfo() (the loop's thread pool) and handed to libpq as a
 * list of hostaddr (libpq tries them in order), the name repeated in
 * host for TLS verification (RESOLVING state).
 *
 * Three timers: `attempt` (the next renew or take, or the reconnect),
 * `deadline` (the holder steps down when it fires) and `watchdog` (a
 * connect or query that takes too long drops the connection). The role
 * changes only in won() and step_down(); the connection's fate never
 * changes it directly, so a hung database ends leadership exactly at
 * the deadline and no later.
 */
#include "lease.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "complain.h"
#include "log.h"
#include "mem.h"
#include "ph_err.h"
#include "timefmt.h"

#define RECONNECT_MIN_MS 200
#define RECONNECT_MAX_MS 2000
#define FOLLOW_POLL_MAX_MS 1000
#define STOP_GRACE_MS 1000
#define LEASE_NAME "leader"

/*
 * The schema the lease needs, created by whichever node gets there
 * first: one simple-query string runs as one transaction, serialised by
 * an advisory lock so that two nodes starting together do not race on
 * the catalog. It is sent after "SET statement_timeout = lease/4" (see
 * setup_sql): a lease query blocked by a lock (a long fenced write holds
 * the lease row) is cancelled by the server before the watchdog would
 * drop the connection, and the blocked backend does not linger.
 */
static const char schema_sql[] =
    "SELECT pg_advisory_xact_lock(7079926051);"
    "CREATE TABLE IF NOT EXISTS pharos_lease ("
    " name text PRIMARY KEY,"
    " holder text NOT NULL,"
    " epoch bigint NOT NULL,"
    " expires_at timestamptz NOT NULL,"
    " acquired_at timestamptz NOT NULL);"
    "CREATE OR REPLACE FUNCTION pharos_lease_fence(p_epoch bigint)"
    " RETURNS void LANGUAGE plpgsql AS $fence$"
    " BEGIN"
    "  PERFORM 1 FROM pharos_lease WHERE name = '" LEASE_NAME "'"
    "   AND epoch = p_epoch AND expires_at > clock_timestamp() FOR SHARE;"
    "  IF NOT FOUND THEN"
    "   RAISE EXCEPTION 'pharos: leader epoch % is not current', p_epoch"
    "    USING ERRCODE = '" LEASE_FENCE_SQLSTATE "';"
    "  END IF;"
    " END $fence$;";

/* Takes the lease if it is free or expired by the server's clock; a
 * takeover increments the epoch. Returns one row (the epoch) if taken. */
static const char take_sql[] =
    "INSERT INTO pharos_lease AS l"
    " (name, holder, epoch, expires_at, acquired_at)"
    " VALUES ('" LEASE_NAME "', $1, 1,"
    "  clock_timestamp() + $2::bigint * interval '1 millisecond',"
    "  clock_timestamp())"
    " ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder,"
    "  epoch = l.epoch + 1, expires_at = EXCLUDED.expires_at,"
    "  acquired_at = EXCLUDED.acquired_at"
    " WHERE l.expires_at <= clock_timestamp()"
    " RETURNING l.epoch";

/* Extends the lease this node holds with this epoch. No row: it is
 * somebody else's now. (An expired lease nobody took yet may be
 * renewed: the row lock orders this against any takeover.) */
static const char renew_sql[] =
    "UPDATE pharos_lease"
    " SET expires_at = clock_timestamp()"
    "  + $3::bigint * interval '1 millisecond'"
    " WHERE name = '" LEASE_NAME "' AND holder = $1 AND epoch = $2::bigint"
    " RETURNING epoch";

/* Hands the lease back on a clean stop. */
static const char release_sql[] =
    "UPDATE pharos_lease SET expires_at = clock_timestamp()"
    " WHERE name = '" LEASE_NAME "' AND holder = $1 AND epoch = $2::bigint"
    "  AND expires_at > clock_timestamp()";

enum conn_state {
    CONN_NONE, CONN_RESOLVING, CONN_CONNECTING, CONN_READY, CONN_BUSY
};
#define LEASE_MAX_KEYWORDS 64
#define LEASE_MAX_ADDRS 8
enum query_kind { Q_SCHEMA, Q_TAKE, Q_RENEW, Q_RELEASE };

/* A uv_poll handle lives on one fd; libpq may change sockets while it
 * connects, so each socket gets its own heap handle, freed on close. */
struct lease_watch {
    uv_poll_t poll;
    struct lease *l;
    int fd;
};

struct lease {
    uv_loop_t *loop;
    char *conninfo;
    PQconninfoOption *opts;      /* conninfo parsed, for the resolved form */
    char *resolve_host;          /* the one host name to resolve, or NULL */
    uv_getaddrinfo_t gai;
    int resolving;               /* gai in flight (it outlives a stop) */
    char node_id[LEASE_NODE_ID_MAX + 1];
    uint32_t lease_ms;
    uint32_t margin_ms;
    lease_change_cb on_change;
    void *arg;

    PGconn *pg;
    struct lease_watch *watch;
    enum conn_state state;
    int schema_ok;
    enum query_kind q;
    int64_t q_sent_ms;           /* monotonic, when the query was sent */
    int q_ok;                    /* every result of the query succeeded */
    int64_t q_rows;              /* rows of the last tuples result */
    uint64_t q_epoch;            /* its first column */
    char q_err[256];
    char q_state[6];             /* SQLSTATE of the first error */
    char setup_sql[sizeof(schema_sql) + 64];
    uint32_t backoff_ms;
    int connected;

    uint64_t held_epoch;         /* the server says we hold it (0: no) */
    uint64_t epoch;              /* held or last held */
    int leader;
    int64_t since_ms;            /* wall clock */

    uv_timer_t attempt;
    uv_timer_t deadline;
    uv_timer_t watchdog;
    int stopping;
    int released;
    int open_handles;            /* freed when the last one closed */
    struct complain db_complaint;
};

static void on_attempt(uv_timer_t *t);
static void on_timer_close(uv_handle_t *h);
static void lease_free(struct lease *l);
static void drop(struct lease *l, const char *why);

static uint32_t
follow_poll_ms(const struct lease *l)
{
    return l->lease_ms / 3 < FOLLOW_POLL_MAX_MS ? l->lease_ms / 3
                                                : FOLLOW_POLL_MAX_MS;
}

static void
schedule(struct lease *l, int64_t delay_ms)
{
    if (l->stopping) {
        return;
    }
    uv_timer_start(&l->attempt, on_attempt,
                   delay_ms > 0 ? (uint64_t)delay_ms : 0, 0);
}

static void
free_watch(uv_handle_t *h)
{
    ph_free(h->data);
}

static void
unwatch(struct lease *l)
{
    if (l->watch != NULL) {
        uv_poll_stop(&l->watch->poll);
        uv_close((uv_handle_t *)&l->watch->poll, free_watch);
        l->watch = NULL;
    }
}

static void on_poll(uv_poll_t *p, int status, int events);

/* Watches libpq's current socket for events; returns 0 or PH_E*. */
static int
watch(struct lease *l, int events)
{
    int fd = PQsocket(l->pg);
    struct lease_watch *w;

    if (fd < 0) {
        return PH_EIO;
    }
    if (l->watch != NULL && l->watch->fd != fd) {
        unwatch(l);
    }
    if (l->watch == NULL) {
        w = ph_calloc(1, sizeof(*w));
        if (w == NULL) {
            return PH_ENOMEM;
        }
        if (uv_poll_init(l->loop, &w->poll, fd) != 0) {
            ph_free(w);
            return PH_EIO;
        }
        w->poll.data = w;
        w->l = l;
        w->fd = fd;
        l->watch = w;
    }
    return uv_poll_start(&l->watch->poll, events, on_poll) == 0 ? 0 : PH_EIO;
}

static void
set_role(struct lease *l, int leader)
{
    l->leader = leader;
    l->since_ms = time_now_ms();
}

static void
step_down(struct lease *l, const char *why)
{
    uv_timer_stop(&l->deadline);
    if (!l->leader) {
        return;
    }
    set_role(l, 0);
    log_warnx("lease: %s steps down as leader (epoch %llu): %s", l->node_id,
              (unsigned long long)l->epoch, why);
    if (!l->stopping) {
        l->on_change(l->arg, 0, l->epoch);
    }
}

static void
on_deadline(uv_timer_t *t)
{
    step_down(t->data, "no successful renewal within lease - margin");
}

/* The server granted (or extended) the lease with this epoch to a query
 * sent at sent_ms: it cannot expire before sent_ms + lease by the
 * server's clock, so this node may lead until sent_ms + lease - margin
 * by its own. */
static void
won(struct lease *l, uint64_t epoch, int64_t sent_ms)
{
    int64_t until = sent_ms + l->lease_ms - l->margin_ms;
    int64_t now = time_mono_ms();

    l->held_epoch = epoch;
    if (now >= until) {
        /* Answered too late to lead on; renew at once. */
        step_down(l, "renewal answered too late");
        schedule(l, 0);
        return;
    }
    uv_timer_start(&l->deadline, on_deadline, (uint64_t)(until - now), 0);
    if (!l->leader || l->epoch != epoch) {
        l->epoch = epoch;
        set_role(l, 1);
        log_info("lease: %s is the leader (epoch %llu, lease %u ms)",
                 l->node_id, (unsigned long long)epoch, l->lease_ms);
        l->on_change(l->arg, 1, epoch);
    }
    schedule(l, sent_ms + l->lease_ms / 3 - now);
}

static void
lost(struct lease *l)
{
    if (l->held_epoch != 0) {
        log_warnx("lease: %s no longer holds the lease (epoch %llu)",
                  l->node_id, (unsigned long long)l->held_epoch);
    }
    l->held_epoch = 0;
    step_down(l, "the lease belongs to another node");
}

static void
finish_stop(struct lease *l)
{
    uv_timer_stop(&l->attempt);
    uv_timer_stop(&l->deadline);
    uv_timer_stop(&l->watchdog);
    unwatch(l);
    if (l->pg != NULL) {
        PQfinish(l->pg);
        l->pg = NULL;
    }
    l->state = CONN_NONE;
    if (!uv_is_closing((uv_handle_t *)&l->attempt)) {
        uv_close((uv_handle_t *)&l->attempt, on_timer_close);
        uv_close((uv_handle_t *)&l->deadline, on_timer_close);
        uv_close((uv_handle_t *)&l->watchdog, on_timer_close);
    }
}

static void
on_watchdog(uv_timer_t *t)
{
    struct lease *l = t->data;

    if (l->stopping) {
        finish_stop(l);
        return;
    }
    drop(l, l->state == CONN_CONNECTING ? "connect timed out"
                                        : "query timed out");
}

/* Forgets the connection; the next attempt reconnects after a backoff.
 * The role is left to the deadline. */
static void
drop(struct lease *l, const char *why)
{
    uv_timer_stop(&l->watchdog);
    unwatch(l);
    if (l->pg != NULL) {
        PQfinish(l->pg);
        l->pg = NULL;
    }
    l->state = CONN_NONE;
    l->schema_ok = 0;
    l->connected = 0;
    if (l->stopping) {
        finish_stop(l);
        return;
    }
    complain(&l->db_complaint, time_mono_ms(),
             "lease: %s: cannot use the database: %s",
             l->node_id, why);
    schedule(l, l->backoff_ms);
    l->backoff_ms = l->backoff_ms * 2 > RECONNECT_MAX_MS ? RECONNECT_MAX_MS
                                                         : l->backoff_ms * 2;
}

static void
connect_poll(struct lease *l)
{
    PostgresPollingStatusType st = PQconnectPoll(l->pg);
    char why[256];

    switch (st) {
    case PGRES_POLLING_READING:
        if (watch(l, UV_READABLE) != 0) {
            drop(l, "cannot watch the socket");
        }
        return;
    case PGRES_POLLING_WRITING:
        if (watch(l, UV_WRITABLE) != 0) {
            drop(l, "cannot watch the socket");
        }
        return;
    case PGRES_POLLING_OK:
        uv_timer_stop(&l->watchdog);
        if (PQsetnonblocking(l->pg, 1) != 0 || watch(l, UV_READABLE) != 0) {
            drop(l, "cannot make the connection non-blocking");
            return;
        }
        l->state = CONN_READY;
        l->backoff_ms = RECONNECT_MIN_MS;
        log_debug("lease: %s connected", l->node_id);
        schedule(l, 0);
        return;
    default:
        snprintf(why, sizeof(why), "%s", PQerrorMessage(l->pg));
        why[strcspn(why, "\n")] = '\0';
        drop(l, why);
        return;
    }
}

/* hostaddr: a comma-separated list of addresses of resolve_host, or
 * NULL to let libpq read the conninfo as it is. */
static void
begin_connect(struct lease *l, const char *hostaddr, const char *hosts)
{
    const char *kw[LEASE_MAX_KEYWORDS + 3];
    const char *val[LEASE_MAX_KEYWORDS + 3];
    size_t n = 0;

    if (hostaddr == NULL) {
        l->pg = PQconnectStart(l->conninfo);
    } else {
        for (PQconninfoOption *o = l->opts; o->keyword != NULL; o++) {
            if (o->val != NULL && strcmp(o->keyword, "hostaddr") != 0 &&
                strcmp(o->keyword, "host") != 0 && n < LEASE_MAX_KEYWORDS) {
                kw[n] = o->keyword;
                val[n++] = o->val;
            }
        }
        kw[n] = "host";
        val[n++] = hosts;
        kw[n] = "hostaddr";
        val[n++] = hostaddr;
        kw[n] = NULL;
        val[n] = NULL;
        l->pg = PQconnectStartParams(kw, val, 0);
    }
    if (l->pg == NULL) {
        drop(l, "out of memory");
        return;
    }
    if (PQstatus(l->pg) == CONNECTION_BAD) {
        char why[256];

        snprintf(why, sizeof(why), "%s", PQerrorMessage(l->pg));
        why[strcspn(why, "\n")] = '\0';
        drop(l, why);
        return;
    }
    l->state = CONN_CONNECTING;
    uv_timer_start(&l->watchdog, on_watchdog, l->lease_ms / 3, 0);
    connect_poll(l);
}

static void
on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    struct lease *l = req->data;
    char addrs[LEASE_MAX_ADDRS * (INET6_ADDRSTRLEN + 1)];
    char hosts[LEASE_MAX_ADDRS * 256];
    char one[INET6_ADDRSTRLEN];
    size_t na = 0, la = 0, lh = 0;
    int ok = 0;

    l->resolving = 0;
    if (l->stopping) {
        uv_freeaddrinfo(res);
        lease_free(l);
        return;
    }
    addrs[0] = hosts[0] = '\0';
    for (struct addrinfo *ai = status == 0 ? res : NULL;
         ai != NULL && na < LEASE_MAX_ADDRS; ai = ai->ai_next) {
        int w1, w2;

        if (uv_ip_name(ai->ai_addr, one, sizeof(one)) != 0) {
            continue;
        }
        w1 = snprintf(addrs + la, sizeof(addrs) - la, "%s%s",
                      na > 0 ? "," : "", one);
        w2 = snprintf(hosts + lh, sizeof(hosts) - lh, "%s%s",
                      na > 0 ? "," : "", l->resolve_host);
        if (w1 < 0 || (size_t)w1 >= sizeof(addrs) - la || w2 < 0 ||
            (size_t)w2 >= sizeof(hosts) - lh) {
            addrs[la] = hosts[lh] = '\0';
            break;
        }
        la += (size_t)w1;
        lh += (size_t)w2;
        na++;
    }
    ok = na > 0;
    uv_freeaddrinfo(res);
    l->state = CONN_NONE;
    if (!ok) {
        char why[320];

        snprintf(why, sizeof(why), "cannot resolve %s: %s", l->resolve_host,
                 status != 0 ? uv_strerror(status) : "no address");
        drop(l, why);
        return;
    }
    begin_connect(l, addrs, hosts);
}

static void
start_connect(struct lease *l)
{
    struct addrinfo hints;
    int rc;

    if (l->resolve_host == NULL) {
        begin_connect(l, NULL, NULL);
        return;
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    l->gai.data = l;
    rc = uv_getaddrinfo(l->loop, &l->gai, on_resolved, l->resolve_host, NULL,
                        &hints);
    if (rc != 0) {
        drop(l, uv_strerror(rc));
        return;
    }
    l->resolving = 1;
    l->state = CONN_RESOLVING;
}

/* Sends one query with text parameters; the results arrive in on_poll. */
static void
send_query(struct lease *l, enum query_kind q, const char *sql, int nparams,
           const char *const *params)
{
    int rc;

    l->q = q;
    l->q_ok = 1;
    l->q_rows = -1;
    l->q_epoch = 0;
    l->q_err[0] = '\0';
    l->q_state[0] = '\0';
    l->q_sent_ms = time_mono_ms();
    rc = nparams > 0 ? PQsendQueryParams(l->pg, sql, nparams, NULL, params,
                                         NULL, NULL, 0)
                     : PQsendQuery(l->pg, sql);
    if (rc != 1) {
        drop(l, "cannot send a query");
        return;
    }
    l->state = CONN_BUSY;
    uv_timer_start(&l->watchdog, on_watchdog,
                   l->stopping ? STOP_GRACE_MS : l->lease_ms / 3, 0);
    rc = PQflush(l->pg);
    if (rc < 0 || watch(l, rc == 1 ? UV_READABLE | UV_WRITABLE
                                   : UV_READABLE) != 0) {
        drop(l, "cannot send a query");
    }
}

static void
send_release(struct lease *l)
{
    char ep[24];
    const char *params[2] = {l->node_id, ep};

    snprintf(ep, sizeof(ep), "%llu", (unsigned long long)l->held_epoch);
    l->released = 1;
    send_query(l, Q_RELEASE, release_sql, 2, params);
}

/* The next step on a ready connection: the schema once per connection,
 * then a renew (while the server says we hold it) or a take. */
static void
on_attempt(uv_timer_t *t)
{
    struct lease *l = t->data;
    char ep[24], ms[24];
    const char *params[3] = {l->node_id, ep, ms};

    switch (l->state) {
    case CONN_NONE:
        start_connect(l);
        return;
    case CONN_RESOLVING:
    case CONN_CONNECTING:
    case CONN_BUSY:
        return; /* the query or connect in progress reschedules */
    case CONN_READY:
        break;
    }
    if (!l->schema_ok) {
        send_query(l, Q_SCHEMA, l->setup_sql, 0, NULL);
        return;
    }
    snprintf(ep, sizeof(ep), "%llu", (unsigned long long)l->held_epoch);
    snprintf(ms, sizeof(ms), "%u", l->lease_ms);
    if (l->held_epoch != 0) {
        send_query(l, Q_RENEW, renew_sql, 3, params);
    } else {
        params[1] = ms;
        send_query(l, Q_TAKE, take_sql, 2, params);
    }
}

/* Every result of the query has been read. */
static void
query_done(struct lease *l)
{
    uv_timer_stop(&l->watchdog);
    l->state = CONN_READY;
    if (l->stopping) {
        if (!l->released && l->held_epoch != 0 && l->q_ok) {
            send_release(l);
        } else {
            finish_stop(l);
        }
        return;
    }
    if (!l->q_ok && l->schema_ok &&
        strcmp(l->q_state, "57014") == 0) {
        /* statement_timeout: the lease row is locked (a fenced write in
         * progress, or a takeover). The role is the deadline's business;
         * try again on this connection. */
        complain(&l->db_complaint, time_mono_ms(),
                 "lease: %s: the lease row stayed locked for lease/4",
                 l->node_id);
        schedule(l, l->leader ? 0 : follow_poll_ms(l));
        return;
    }
    if (!l->q_ok) {
        /* Any other SQL error on a live connection (a schema race, a
         * failover of the server to read-only): try again on a fresh
         * one. */
        drop(l, l->q_err);
        return;
    }
    if (!l->connected) {
        l->connected = 1;
        complain_release(&l->db_complaint, "lease: %s: database reachable "
                         "again", l->node_id);
    }
    switch (l->q) {
    case Q_SCHEMA:
        l->schema_ok = 1;
        schedule(l, 0);
        break;
    case Q_TAKE:
    case Q_RENEW:
        if (l->q_rows == 1 && l->q_epoch != 0) {
            won(l, l->q_epoch, l->q_sent_ms);
        } else {
            lost(l);
            schedule(l, follow_poll_ms(l));
        }
        break;
    case Q_RELEASE:
        break;
    }
}

static void
take_result(struct lease *l, PGresult *res)
{
    ExecStatusType st = PQresultStatus(res);

    if (st == PGRES_TUPLES_OK) {
        l->q_rows = PQntuples(res);
        if (l->q_rows == 1 && PQnfields(res) >= 1) {
            l->q_epoch = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
        }
    } else if (st != PGRES_COMMAND_OK) {
        l->q_ok = 0;
        if (l->q_err[0] == '\0') {
            const char *code = PQresultErrorField(res, PG_DIAG_SQLSTATE);

            snprintf(l->q_state, sizeof(l->q_state), "%s",
                     code != NULL ? code : "");
            snprintf(l->q_err, sizeof(l->q_err), "%s",
                     PQresultErrorMessage(res));
            l->q_err[strcspn(l->q_err, "\n")] = '\0';
        }
    }
}

static void
on_poll(uv_poll_t *p, int status, int events)
{
    struct lease *l = ((struct lease_watch *)p->data)->l;
    PGresult *res;
    int rc;

    if (l->state == CONN_CONNECTING) {
        connect_poll(l);
        return;
    }
    if (status < 0) {
        drop(l, uv_strerror(status));
        return;
    }
    if (events & UV_WRITABLE) {
        rc = PQflush(l->pg);
        if (rc < 0 || (rc == 0 && watch(l, UV_READABLE) != 0)) {
            drop(l, "cannot send a query");
            return;
        }
    }
    if (!(events & UV_READABLE)) {
        return;
    }
    if (PQconsumeInput(l->pg) != 1 || PQstatus(l->pg) == CONNECTION_BAD) {
        char why[256];

        snprintf(why, sizeof(why), "%s", PQerrorMessage(l->pg));
        why[strcspn(why, "\n")] = '\0';
        drop(l, why);
        return;
    }
    if (l->state != CONN_BUSY) {
        return; /* a notice or a parameter status while idle */
    }
    while (!PQisBusy(l->pg)) {
        res = PQgetResult(l->pg);
        if (res == NULL) {
            query_done(l);
            return;
        }
        take_result(l, res);
        PQclear(res);
    }
}

static void
lease_free(struct lease *l)
{
    if (l->open_handles > 0 || l->resolving) {
        return; /* the last of them frees it */
    }
    PQconninfoFree(l->opts);
    ph_free(l->resolve_host);
    ph_free(l->conninfo);
    ph_free(l);
}

static void
on_timer_close(uv_handle_t *h)
{
    struct lease *l = h->data;

    l->open_handles--;
    lease_free(l);
}

/* The conninfo's value of keyword, or NULL. */
static const char *
opt_value(const PQconninfoOption *opts, const char *keyword)
{
    for (const PQconninfoOption *o = opts; o->keyword != NULL; o++) {
        if (strcmp(o->keyword, keyword) == 0) {
            return o->val;
        }
    }
    return NULL;
}

/* The host name to resolve before libpq sees it: one name, not a socket
 * directory, not an address, no hostaddr given. Several hosts (a list)
 * are left to libpq. */
static int
needs_resolving(const char *host, const char *hostaddr)
{
    unsigned char buf[sizeof(struct in6_addr)];

    return host != NULL && host[0] != '\0' && host[0] != '/' &&
           host[0] != '@' && strchr(host, ',') == NULL &&
           (hostaddr == NULL || hostaddr[0] == '\0') &&
           inet_pton(AF_INET, host, buf) != 1 &&
           inet_pton(AF_INET6, host, buf) != 1;
}

int
lease_start(uv_loop_t *loop, const char *conninfo, const char *node_id,
            uint32_t lease_ms, lease_change_cb on_change, void *arg,
            struct lease **ret)
{
    struct lease *l = NULL;
    size_t n = node_id != NULL ? strlen(node_id) : 0;

    *ret = NULL;
    if (conninfo == NULL || n == 0 || n > LEASE_NODE_ID_MAX ||
        lease_ms < LEASE_MIN_MS || lease_ms > LEASE_MAX_MS ||
        on_change == NULL) {
        return PH_EINVAL;
    }
    l = ph_calloc(1, sizeof(*l));
    if (l == NULL) {
        return PH_ENOMEM;
    }
    l->conninfo = ph_strdup(conninfo);
    if (l->conninfo == NULL) {
        ph_free(l);
        return PH_ENOMEM;
    }
    {
        char *err = NULL;
        const char *host;

        l->opts = PQconninfoParse(conninfo, &err);
        if (l->opts == NULL) {
            log_warnx("lease: the database conninfo is not valid: %s",
                      err != NULL ? err : "out of memory");
            PQfreemem(err);
            ph_free(l->conninfo);
            ph_free(l);
            return PH_EINVAL;
        }
        host = opt_value(l->opts, "host");
        if (host == NULL) {
            host = getenv("PGHOST");
        }
        if (needs_resolving(host, opt_value(l->opts, "hostaddr"))) {
            l->resolve_host = ph_strdup(host);
            if (l->resolve_host == NULL) {
                PQconninfoFree(l->opts);
                ph_free(l->conninfo);
                ph_free(l);
                return PH_ENOMEM;
            }
        }
    }
    memcpy(l->node_id, node_id, n + 1);
    l->loop = loop;
    l->lease_ms = lease_ms;
    l->margin_ms = lease_ms / 5;
    snprintf(l->setup_sql, sizeof(l->setup_sql),
             "SET statement_timeout = %u;%s", lease_ms / 4, schema_sql);
    l->on_change = on_change;
    l->arg = arg;
    l->backoff_ms = RECONNECT_MIN_MS;
    l->since_ms = time_now_ms();
    uv_timer_init(loop, &l->attempt);
    uv_timer_init(loop, &l->deadline);
    uv_timer_init(loop, &l->watchdog);
    l->attempt.data = l;
    l->deadline.data = l;
    l->watchdog.data = l;
    l->open_handles = 3;
    /* The timers' close callbacks free the lease (finish_stop). */
    schedule(l, 0);
    *ret = l;
    return 0;
}

int
lease_is_leader(const struct lease *l)
{
    return l != NULL && l->leader;
}

uint64_t
lease_epoch(const struct lease *l)
{
    return l != NULL ? l->epoch : 0;
}

int64_t
lease_since_ms(const struct lease *l)
{
    return l != NULL ? l->since_ms : 0;
}

int
lease_connected(const struct lease *l)
{
    return l != NULL && l->connected;
}

void
lease_stop(struct lease *l)
{
    if (l == NULL || l->stopping) {
        return;
    }
    l->stopping = 1; /* first: no on_change from here on */
    step_down(l, "stopping");
    uv_timer_stop(&l->attempt);
    uv_timer_stop(&l->deadline);
    switch (l->state) {
    case CONN_READY:
        if (l->held_epoch != 0) {
            send_release(l);
            return;
        }
        break;
    case CONN_BUSY:
        /* The release follows the query in flight (query_done). */
        uv_timer_start(&l->watchdog, on_watchdog, STOP_GRACE_MS, 0);
        return;
    default:
        break;
    }
    finish_stop(l);
}
