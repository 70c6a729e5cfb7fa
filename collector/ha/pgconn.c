/*
 * pgconn.c - one PostgreSQL connection on libuv (see pgconn.h). The only
 * file of collector/ha/ that includes libpq-fe.h.
 */
#include "pgconn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "buf.h"
#include "log.h"
#include "mem.h"
#include "ph_err.h"
#include "timefmt.h"

#define BACKOFF_MIN_MS 250u
#define BACKOFF_MAX_MS 5000u
#define DEFAULT_TIMEOUT_MS 5000u
#define STILL_DOWN_LOG_MS 60000

enum pg_state { PG_DOWN, PG_CONNECTING, PG_UP };

struct query {
    struct query *next;
    char *sql;
    int nparams;
    char *values[PGCONN_PARAMS_MAX];
    int lengths[PGCONN_PARAMS_MAX];
    int formats[PGCONN_PARAMS_MAX];
    int binary_result;
    pgconn_query_cb cb;
    void *arg;
};

/* The poll handle lives apart from the connection: libpq may change
 * sockets while connecting, and a closing handle must outlive its fd. */
struct pollh {
    uv_poll_t p;
    struct pgconn *c;
    int fd;
};

struct pgconn_result {
    PGresult *res;        /* NULL when the query never ran */
    const char *err;      /* set when res is NULL */
    char line[256];
};

struct pgconn {
    uv_loop_t *loop;
    char *conninfo;
    PGconn *pg;
    struct pollh *poll;
    int events;
    enum pg_state state;
    uv_timer_t retry;
    uv_timer_t qtimer;
    int handles;          /* timers not yet closed (after pgconn_close) */
    uint32_t timeout_ms;
    uint32_t backoff_ms;
    struct query *head, *tail;
    size_t nq;
    int running;          /* head was sent */
    PGresult *acc;        /* the result kept for head */
    struct pgconn_cbs cbs;
    int closing;
    int was_up;
    int64_t down_logged_ms;
};

static void connect_start(struct pgconn *c);
static void on_retry(uv_timer_t *t);
static void start_next(struct pgconn *c);

/* ---- queries ---- */

static void
query_free(struct query *q)
{
    if (q == NULL) {
        return;
    }
    for (int i = 0; i < q->nparams; i++) {
        ph_free(q->values[i]);
    }
    ph_free(q->sql);
    ph_free(q);
}

static void
one_line(char *dst, size_t len, const char *src)
{
    size_t j = 0;

    for (size_t i = 0; src != NULL && src[i] != '\0' && j + 1 < len; i++) {
        dst[j++] = (src[i] == '\n' || src[i] == '\r') ? ' ' : src[i];
    }
    while (j > 0 && dst[j - 1] == ' ') {
        j--;
    }
    dst[j] = '\0';
}

/* Completes the head query with res (taken) or err. */
static void
complete_head(struct pgconn *c, PGresult *res, const char *err)
{
    struct query *q = c->head;
    struct pgconn_result r;

    if (q == NULL) {
        PQclear(res);
        return;
    }
    c->head = q->next;
    if (c->head == NULL) {
        c->tail = NULL;
    }
    c->nq--;
    c->running = 0;
    memset(&r, 0, sizeof(r));
    r.res = res;
    r.err = err;
    if (res == NULL) {
        one_line(r.line, sizeof(r.line), err != NULL ? err : "no result");
    } else if (!pgconn_result_ok(&r)) {
        one_line(r.line, sizeof(r.line), PQresultErrorMessage(res));
    }
    if (q->cb != NULL) {
        q->cb(&r, q->arg);
    }
    PQclear(res);
    query_free(q);
}

static void
fail_all(struct pgconn *c, const char *why)
{
    PQclear(c->acc);
    c->acc = NULL;
    while (c->head != NULL) {
        complete_head(c, NULL, why);
    }
}

/* ---- the socket ---- */

static void
poll_closed(uv_handle_t *h)
{
    ph_free(h->data);
}

static void
unwatch(struct pgconn *c)
{
    if (c->poll != NULL) {
        uv_poll_stop(&c->poll->p);
        uv_close((uv_handle_t *)&c->poll->p, poll_closed);
        c->poll = NULL;
    }
    c->events = 0;
}

static void on_poll(uv_poll_t *h, int status, int events);

static int
watch(struct pgconn *c, int events)
{
    int fd = PQsocket(c->pg);
    struct pollh *ph;

    if (fd < 0) {
        return PH_ENET;
    }
    if (c->poll != NULL && c->poll->fd != fd) {
        unwatch(c);
    }
    if (c->poll == NULL) {
        ph = ph_calloc(1, sizeof(*ph));
        if (ph == NULL) {
            return PH_ENOMEM;
        }
        if (uv_poll_init_socket(c->loop, &ph->p, fd) != 0) {
            ph_free(ph);
            return PH_ENET;
        }
        ph->p.data = ph;
        ph->c = c;
        ph->fd = fd;
        c->poll = ph;
        c->events = 0;
    }
    if (c->events != events) {
        if (uv_poll_start(&c->poll->p, events, on_poll) != 0) {
            return PH_ENET;
        }
        c->events = events;
    }
    return 0;
}

/* Connection lost or never made: fail what waits, retry later. */
static void
drop(struct pgconn *c, const char *why)
{
    char line[256];
    int64_t now = time_mono_ms();
    uint32_t wait;

    one_line(line, sizeof(line), why);
    unwatch(c);
    uv_timer_stop(&c->qtimer);
    if (c->pg != NULL) {
        PQfinish(c->pg);
        c->pg = NULL;
    }
    c->state = PG_DOWN;
    /* Logged once when lost, then once a minute while down. */
    if (c->was_up || c->down_logged_ms == 0 ||
        now - c->down_logged_ms >= STILL_DOWN_LOG_MS) {
        log_warnx("postgresql: %s%s", c->was_up ? "connection lost: " :
                  "cannot connect: ", line);
        c->down_logged_ms = now;
    }
    c->was_up = 0;
    fail_all(c, line);
    if (c->closing) {
        return;
    }
    if (c->cbs.on_down != NULL) {
        c->cbs.on_down(line, c->cbs.arg);
        if (c->closing) {
            return;
        }
    }
    wait = c->backoff_ms;
    wait += (uint32_t)(rand() % (int)(wait / 4 + 1));   /* jitter */
    c->backoff_ms = c->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS
                                                       : c->backoff_ms * 2;
    uv_timer_stop(&c->retry);
    uv_timer_start(&c->retry, on_retry, wait, 0);
}

static void
on_qtimer(uv_timer_t *t)
{
    struct pgconn *c = t->data;
    char why[96];

    snprintf(why, sizeof(why), "%s timed out after %u ms",
             c->state == PG_CONNECTING ? "connecting" : "query",
             c->timeout_ms);
    drop(c, why);
}

static void
drain_notifies(struct pgconn *c)
{
    PGnotify *n;

    while (c->pg != NULL && (n = PQnotifies(c->pg)) != NULL) {
        if (c->cbs.on_notify != NULL && !c->closing) {
            c->cbs.on_notify(n->relname, n->extra != NULL ? n->extra : "",
                             c->cbs.arg);
        }
        PQfreemem(n);
    }
}

static void
connect_step(struct pgconn *c)
{
    PostgresPollingStatusType st = PQconnectPoll(c->pg);

    switch (st) {
    case PGRES_POLLING_READING:
        if (watch(c, UV_READABLE) != 0) {
            drop(c, "cannot watch the socket");
        }
        return;
    case PGRES_POLLING_WRITING:
        if (watch(c, UV_WRITABLE) != 0) {
            drop(c, "cannot watch the socket");
        }
        return;
    case PGRES_POLLING_OK:
        break;
    default:
        drop(c, PQerrorMessage(c->pg));
        return;
    }
    uv_timer_stop(&c->qtimer);
    if (PQsetnonblocking(c->pg, 1) != 0 || watch(c, UV_READABLE) != 0) {
        drop(c, "cannot make the connection non-blocking");
        return;
    }
    c->state = PG_UP;
    c->was_up = 1;
    c->backoff_ms = BACKOFF_MIN_MS;
    if (c->down_logged_ms != 0) {
        log_info("postgresql: connected again");
        c->down_logged_ms = 0;
    }
    if (c->cbs.on_up != NULL) {
        c->cbs.on_up(c->cbs.arg);
        if (c->closing || c->state != PG_UP) {
            return;
        }
    }
    start_next(c);
}

static void
connect_start(struct pgconn *c)
{
    c->pg = PQconnectStart(c->conninfo);
    if (c->pg == NULL) {
        drop(c, "out of memory");
        return;
    }
    if (PQstatus(c->pg) == CONNECTION_BAD) {
        drop(c, PQerrorMessage(c->pg));
        return;
    }
    c->state = PG_CONNECTING;
    uv_timer_start(&c->qtimer, on_qtimer, c->timeout_ms, 0);
    connect_step(c);
}

static void
on_retry(uv_timer_t *t)
{
    connect_start(t->data);
}

/* Reads what arrived; completes the running query when its last result
 * is in. */
static void
read_results(struct pgconn *c)
{
    PGresult *res;

    if (PQconsumeInput(c->pg) == 0) {
        drop(c, PQerrorMessage(c->pg));
        return;
    }
    drain_notifies(c);
    if (c->closing || c->state != PG_UP) {
        return;
    }
    while (c->running && !PQisBusy(c->pg)) {
        res = PQgetResult(c->pg);
        if (res == NULL) {
            PGresult *done = c->acc;

            c->acc = NULL;
            uv_timer_stop(&c->qtimer);
            complete_head(c, done, done == NULL ? "no result" : NULL);
            if (c->closing || c->state != PG_UP) {
                return;
            }
            start_next(c);
            return;
        }
        /* Several statements give several results: keep the first
         * error, else the last result. */
        if (c->acc != NULL) {
            ExecStatusType st = PQresultStatus(c->acc);

            if (st == PGRES_FATAL_ERROR || st == PGRES_BAD_RESPONSE) {
                PQclear(res);
                continue;
            }
            PQclear(c->acc);
        }
        c->acc = res;
    }
}

static void
on_poll(uv_poll_t *h, int status, int events)
{
    struct pollh *ph = h->data;
    struct pgconn *c = ph->c;

    if (c->poll != ph) {
        return;               /* a handle on its way out */
    }
    if (c->state == PG_CONNECTING) {
        connect_step(c);
        return;
    }
    if (c->state != PG_UP) {
        return;
    }
    if (status < 0) {
        drop(c, uv_strerror(status));
        return;
    }
    if (events & UV_WRITABLE) {
        int r = PQflush(c->pg);

        if (r < 0) {
            drop(c, PQerrorMessage(c->pg));
            return;
        }
        if (r == 0 && watch(c, UV_READABLE) != 0) {
            drop(c, "cannot watch the socket");
            return;
        }
    }
    if (events & UV_READABLE) {
        read_results(c);
    }
}

static void
start_next(struct pgconn *c)
{
    struct query *q = c->head;
    int ok, r;

    if (c->state != PG_UP || c->running || q == NULL) {
        return;
    }
    if (q->nparams == 0 && !q->binary_result) {
        ok = PQsendQuery(c->pg, q->sql);
    } else {
        ok = PQsendQueryParams(c->pg, q->sql, q->nparams, NULL,
                               (const char *const *)q->values, q->lengths,
                               q->formats, q->binary_result);
    }
    if (!ok) {
        drop(c, PQerrorMessage(c->pg));
        return;
    }
    c->running = 1;
    uv_timer_start(&c->qtimer, on_qtimer, c->timeout_ms, 0);
    r = PQflush(c->pg);
    if (r < 0) {
        drop(c, PQerrorMessage(c->pg));
        return;
    }
    if (watch(c, r == 1 ? UV_READABLE | UV_WRITABLE : UV_READABLE) != 0) {
        drop(c, "cannot watch the socket");
    }
}

/* ---- interface ---- */

int
pgconn_new(uv_loop_t *loop, const char *conninfo, uint32_t query_timeout_ms,
           const struct pgconn_cbs *cbs, char *errbuf, size_t errlen,
           struct pgconn **ret)
{
    struct pgconn *c = NULL;
    PQconninfoOption *opts;
    char *perr = NULL;
    int result;

    *ret = NULL;
    opts = PQconninfoParse(conninfo, &perr);
    if (opts == NULL) {
        char line[200];

        one_line(line, sizeof(line), perr != NULL ? perr : "out of memory");
        snprintf(errbuf, errlen, "bad PostgreSQL connection string: %s",
                 line);
        PQfreemem(perr);
        return perr != NULL ? PH_EINVAL : PH_ENOMEM;
    }
    PQconninfoFree(opts);
    c = ph_calloc(1, sizeof(*c));
    if (c == NULL || (c->conninfo = ph_strdup(conninfo)) == NULL) {
        result = PH_ENOMEM;
        goto out;
    }
    c->loop = loop;
    c->timeout_ms = query_timeout_ms != 0 ? query_timeout_ms
                                          : DEFAULT_TIMEOUT_MS;
    c->backoff_ms = BACKOFF_MIN_MS;
    if (cbs != NULL) {
        c->cbs = *cbs;
    }
    uv_timer_init(loop, &c->retry);
    uv_timer_init(loop, &c->qtimer);
    c->retry.data = c;
    c->qtimer.data = c;
    c->handles = 2;
    connect_start(c);
    *ret = c;
    return 0;
out:
    if (c != NULL) {
        ph_free(c->conninfo);
        ph_free(c);
    }
    snprintf(errbuf, errlen, "out of memory");
    return result;
}

int
pgconn_query(struct pgconn *c, const char *sql, int nparams,
             const char *const *values, const int *lengths,
             const int *binary, int binary_result, pgconn_query_cb cb,
             void *arg)
{
    struct query *q;

    if (c == NULL || sql == NULL || nparams < 0 ||
        nparams > PGCONN_PARAMS_MAX) {
        return PH_EINVAL;
    }
    if (c->closing || c->state != PG_UP) {
        return PH_ENET;
    }
    if (c->nq >= PGCONN_QUEUE_MAX) {
        return PH_EBUSY;
    }
    q = ph_calloc(1, sizeof(*q));
    if (q == NULL || (q->sql = ph_strdup(sql)) == NULL) {
        query_free(q);
        return PH_ENOMEM;
    }
    q->nparams = nparams;
    for (int i = 0; i < nparams; i++) {
        size_t len;

        if (values[i] == NULL) {
            continue;
        }
        q->formats[i] = binary != NULL && binary[i] ? 1 : 0;
        len = q->formats[i] || lengths != NULL ? (size_t)lengths[i]
                                               : strlen(values[i]);
        q->values[i] = ph_malloc(len + 1);
        if (q->values[i] == NULL) {
            query_free(q);
            return PH_ENOMEM;
        }
        memcpy(q->values[i], values[i], len);
        q->values[i][len] = '\0';
        q->lengths[i] = (int)len;
    }
    q->binary_result = binary_result ? 1 : 0;
    q->cb = cb;
    q->arg = arg;
    if (c->tail != NULL) {
        c->tail->next = q;
    } else {
        c->head = q;
    }
    c->tail = q;
    c->nq++;
    start_next(c);
    return 0;
}

int
pgconn_is_up(const struct pgconn *c)
{
    return c != NULL && !c->closing && c->state == PG_UP;
}

size_t
pgconn_pending(const struct pgconn *c)
{
    return c != NULL ? c->nq : 0;
}

static void
timer_closed(uv_handle_t *h)
{
    struct pgconn *c = h->data;

    if (--c->handles == 0) {
        ph_free(c->conninfo);
        ph_free(c);
    }
}

void
pgconn_close(struct pgconn *c)
{
    if (c == NULL || c->closing) {
        return;
    }
    c->closing = 1;
    uv_timer_stop(&c->retry);
    uv_timer_stop(&c->qtimer);
    unwatch(c);
    if (c->pg != NULL) {
        PQfinish(c->pg);
        c->pg = NULL;
    }
    c->state = PG_DOWN;
    fail_all(c, "connection closed");
    uv_close((uv_handle_t *)&c->retry, timer_closed);
    uv_close((uv_handle_t *)&c->qtimer, timer_closed);
}

/* ---- results ---- */

int
pgconn_result_ok(const struct pgconn_result *r)
{
    ExecStatusType st;

    if (r->res == NULL) {
        return 0;
    }
    st = PQresultStatus(r->res);
    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ||
           st == PGRES_SINGLE_TUPLE;
}

const char *
pgconn_result_error(const struct pgconn_result *r)
{
    return r->line;
}

const char *
pgconn_result_sqlstate(const struct pgconn_result *r)
{
    const char *s;

    if (r->res == NULL) {
        return "";
    }
    s = PQresultErrorField(r->res, PG_DIAG_SQLSTATE);
    return s != NULL ? s : "";
}

int
pgconn_ntuples(const struct pgconn_result *r)
{
    return r->res != NULL ? PQntuples(r->res) : 0;
}

int64_t
pgconn_cmd_tuples(const struct pgconn_result *r)
{
    const char *s = r->res != NULL ? PQcmdTuples(r->res) : "";

    return s[0] != '\0' ? strtoll(s, NULL, 10) : 0;
}

int
pgconn_isnull(const struct pgconn_result *r, int row, int col)
{
    if (r->res == NULL || row < 0 || row >= PQntuples(r->res) || col < 0 ||
        col >= PQnfields(r->res)) {
        return 1;
    }
    return PQgetisnull(r->res, row, col);
}

const char *
pgconn_value(const struct pgconn_result *r, int row, int col, size_t *len)
{
    if (pgconn_isnull(r, row, col)) {
        if (len != NULL) {
            *len = 0;
        }
        return NULL;
    }
    if (len != NULL) {
        *len = (size_t)PQgetlength(r->res, row, col);
    }
    return PQgetvalue(r->res, row, col);
}

int64_t
pgconn_int8(const struct pgconn_result *r, int row, int col)
{
    size_t len;
    const unsigned char *p =
        (const unsigned char *)pgconn_value(r, row, col, &len);
    uint64_t v = 0;

    if (p == NULL || len != 8) {
        return 0;
    }
    for (int i = 0; i < 8; i++) {
        v = v << 8 | p[i];
    }
    return (int64_t)v;
}

/* One key='value' with ' and \ escaped, as libpq reads them. */
static int
append_kv(struct buf *b, const char *key, const char *val)
{
    if (buf_printf(b, "%s%s='", b->len > 0 ? " " : "", key) != 0) {
        return PH_ENOMEM;
    }
    for (const char *p = val; *p != '\0'; p++) {
        if ((*p == '\'' || *p == '\\') && buf_printf(b, "\\") != 0) {
            return PH_ENOMEM;
        }
        if (buf_printf(b, "%c", *p) != 0) {
            return PH_ENOMEM;
        }
    }
    return buf_printf(b, "'") != 0 ? PH_ENOMEM : 0;
}

int
pgconn_conninfo_with_password(const char *conninfo, const char *password,
                              char **ret)
{
    PQconninfoOption *opts;
    char *perr = NULL;
    struct buf b;
    int result = 0;

    *ret = NULL;
    opts = PQconninfoParse(conninfo, &perr);
    if (opts == NULL) {
        int rc = perr != NULL ? PH_EINVAL : PH_ENOMEM;

        PQfreemem(perr);
        return rc;
    }
    buf_init(&b, 16384);
    for (PQconninfoOption *o = opts; o->keyword != NULL && result == 0; o++) {
        if (o->val != NULL && strcmp(o->keyword, "password") != 0) {
            result = append_kv(&b, o->keyword, o->val);
        }
    }
    if (result == 0 && password != NULL) {
        result = append_kv(&b, "password", password);
    }
    PQconninfoFree(opts);
    if (result == 0 && (*ret = ph_strdup(b.data != NULL ? b.data : "")) ==
                           NULL) {
        result = PH_ENOMEM;
    }
    buf_free(&b);
    return result;
}
