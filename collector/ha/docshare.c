/*
 * docshare.c - the leader's documents through PostgreSQL (docshare.h).
 */
#include "docshare.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "mem.h"
#include "pgconn.h"
#include "ph_err.h"
#include "publish.h"
#include "timefmt.h"

#define SYNC_EVERY_MS 2000
#define PULL_LIMIT 256
#define QUERY_TIMEOUT_MS 5000

/* One implicit transaction: the advisory lock keeps collectors that start
 * together from racing on CREATE. */
static const char SCHEMA_SQL[] =
    "SELECT pg_advisory_xact_lock(7240991);"
    "CREATE TABLE IF NOT EXISTS pharos_documents ("
    " path text PRIMARY KEY,"
    " body bytea NOT NULL,"
    " seq bigint NOT NULL,"
    " epoch bigint NOT NULL,"
    " updated_ms bigint NOT NULL);"
    "CREATE SEQUENCE IF NOT EXISTS pharos_documents_seq;"
    "CREATE TABLE IF NOT EXISTS pharos_leader ("
    " id int PRIMARY KEY CHECK (id = 1),"
    " url text NOT NULL,"
    " epoch bigint NOT NULL);";

/* The leader's address for the followers, fenced like the documents. */
static const char LEADER_SQL[] =
    "INSERT INTO pharos_leader (id, url, epoch) VALUES (1, $1, $2) "
    "ON CONFLICT (id) DO UPDATE SET url = EXCLUDED.url, "
    "epoch = EXCLUDED.epoch WHERE pharos_leader.epoch <= EXCLUDED.epoch";

static const char LEADER_READ_SQL[] = "SELECT url FROM pharos_leader";

/* Replaces a row only when it was written under the same or an older
 * lease epoch: a deposed leader cannot overwrite its successor. */
static const char PUSH_SQL[] =
    "INSERT INTO pharos_documents (path, body, seq, epoch, updated_ms) "
    "VALUES ($1, $2, nextval('pharos_documents_seq'), $3, $4) "
    "ON CONFLICT (path) DO UPDATE SET body = EXCLUDED.body, "
    "seq = EXCLUDED.seq, epoch = EXCLUDED.epoch, "
    "updated_ms = EXCLUDED.updated_ms "
    "WHERE pharos_documents.epoch <= EXCLUDED.epoch";

static const char PULL_SQL[] =
    "SELECT path, body, seq FROM pharos_documents WHERE seq > $1 "
    "ORDER BY seq LIMIT 256";

struct docshare {
    uv_loop_t *loop;
    struct publish *pub;
    struct pgconn *pg;
    uv_timer_t tick;
    int closing;
    int ready;              /* schema made and LISTEN sent */
    int leader;
    uint64_t epoch;
    uint64_t role_gen;      /* bumped on every role change */
    /* leader */
    uint64_t pushed_gen;    /* documents up to this generation are stored */
    int pushing;
    uint64_t push_role_gen;
    uint64_t push_target;
    int push_failed;
    /* follower */
    int64_t pulled_seq;
    int pulling;
    int pull_again;
    uint64_t pull_role_gen;
    char url[DOCSHARE_URL_MAX];        /* this collector's */
    char leader_url[DOCSHARE_URL_MAX]; /* as last read (followers) */
    int url_stored;         /* the leader row holds url for this role */
    /* status */
    int64_t last_sync_ms;
    int64_t stale_since_ms;
    uint64_t pushes, pulls, errors;
};

static void sync_now(struct docshare *ds);

static void
mark_synced(struct docshare *ds)
{
    ds->last_sync_ms = time_now_ms();
    if (ds->stale_since_ms != 0) {
        log_info("docshare: documents in step with the database again");
    }
    ds->stale_since_ms = 0;
}

static void
mark_stale(struct docshare *ds)
{
    if (ds->stale_since_ms == 0) {
        ds->stale_since_ms =
            ds->last_sync_ms != 0 ? ds->last_sync_ms : time_now_ms();
    }
}

/* ---- leader: push ---- */

struct push_ctx {
    struct docshare *ds;
    int64_t now_ms;
    int rc;
};

static void
push_step_done(const struct pgconn_result *r, void *arg)
{
    struct docshare *ds = arg;

    if (!pgconn_result_ok(r)) {
        if (!ds->push_failed && !ds->closing) {
            log_warnx("docshare: cannot store documents: %s",
                      pgconn_result_error(r));
        }
        ds->push_failed = 1;
    }
}

static void
push_commit_done(const struct pgconn_result *r, void *arg)
{
    struct docshare *ds = arg;

    push_step_done(r, arg);
    ds->pushing = 0;
    if (ds->closing) {
        return;
    }
    if (ds->push_failed) {
        ds->errors++;
        /* Leaves no aborted transaction behind (a no-op otherwise). */
        pgconn_query(ds->pg, "ROLLBACK", 0, NULL, NULL, NULL, 0, NULL,
                     NULL);
        return;                /* the tick retries */
    }
    if (ds->push_role_gen == ds->role_gen && ds->leader) {
        if (ds->push_target > ds->pushed_gen) {
            ds->pushed_gen = ds->push_target;
        }
        mark_synced(ds);
        if (publish_gen(ds->pub) > ds->pushed_gen) {
            sync_now(ds);
        }
    }
}

static int
push_one(const struct publish_doc *d, void *arg)
{
    struct push_ctx *p = arg;
    struct docshare *ds = p->ds;
    char epoch[24], now[24];
    const char *values[4];
    int lengths[4] = { 0, 0, 0, 0 };
    int binary[4] = { 0, 1, 0, 0 };

    snprintf(epoch, sizeof(epoch), "%" PRIu64, ds->epoch);
    snprintf(now, sizeof(now), "%" PRId64, p->now_ms);
    values[0] = d->path;
    values[1] = (const char *)d->data;
    values[2] = epoch;
    values[3] = now;
    lengths[0] = (int)strlen(d->path);
    lengths[1] = (int)d->len;
    lengths[2] = (int)strlen(epoch);
    lengths[3] = (int)strlen(now);
    p->rc = pgconn_query(ds->pg, PUSH_SQL, 4, values, lengths, binary, 0,
                         push_step_done, ds);
    if (p->rc == 0) {
        ds->pushes++;
    }
    return p->rc;
}

static void
leader_stored(const struct pgconn_result *r, void *arg)
{
    struct docshare *ds = arg;

    if (ds->closing) {
        return;
    }
    if (pgconn_result_ok(r)) {
        ds->url_stored = 1;
    } else {
        ds->errors++;
        log_warnx("docshare: cannot record the leader's URL: %s",
                  pgconn_result_error(r));
    }
}

static void
store_url(struct docshare *ds)
{
    char epoch[24];
    const char *values[2] = {ds->url, epoch};

    if (ds->url_stored || ds->url[0] == '\0') {
        return;
    }
    snprintf(epoch, sizeof(epoch), "%" PRIu64, ds->epoch);
    pgconn_query(ds->pg, LEADER_SQL, 2, values, NULL, NULL, 0,
                 leader_stored, ds);
}

static void
leader_read(const struct pgconn_result *r, void *arg)
{
    struct docshare *ds = arg;
    size_t len;
    const char *url;

    if (ds->closing || !pgconn_result_ok(r) || ds->leader) {
        return;
    }
    url = pgconn_value(r, 0, 0, &len);
    if (url == NULL || len >= sizeof(ds->leader_url)) {
        ds->leader_url[0] = '\0';
        return;
    }
    memcpy(ds->leader_url, url, len);
    ds->leader_url[len] = '\0';
}

static void
push(struct docshare *ds)
{
    struct push_ctx p = { ds, time_now_ms(), 0 };
    uint64_t target = publish_gen(ds->pub);

    store_url(ds);
    if (ds->pushing || target <= ds->pushed_gen) {
        return;
    }
    ds->push_failed = 0;
    ds->push_role_gen = ds->role_gen;
    ds->push_target = target;
    if (pgconn_query(ds->pg, "BEGIN", 0, NULL, NULL, NULL, 0,
                     push_step_done, ds) != 0) {
        return;
    }
    ds->pushing = 1;
    if (publish_walk(ds->pub, ds->pushed_gen, push_one, &p) != 0) {
        ds->push_failed = 1;
    }
    /* The rest always goes out, so the transaction always ends. */
    if (pgconn_query(ds->pg, "SELECT pg_notify('pharos_docs', '')", 0, NULL,
                     NULL, NULL, 0, push_step_done, ds) != 0 ||
        pgconn_query(ds->pg, "COMMIT", 0, NULL, NULL, NULL, 0,
                     push_commit_done, ds) != 0) {
        /* Queue full or connection gone: its failure callbacks ran or
         * the connection's loss fails what was queued. */
        ds->pushing = 0;
        ds->push_failed = 1;
        pgconn_query(ds->pg, "ROLLBACK", 0, NULL, NULL, NULL, 0, NULL,
                     NULL);
    }
}

/* ---- follower: pull ---- */

static void pull(struct docshare *ds);

static void
pull_done(const struct pgconn_result *r, void *arg)
{
    struct docshare *ds = arg;
    int n, applied = 0;

    ds->pulling = 0;
    if (ds->closing) {
        return;
    }
    if (!pgconn_result_ok(r)) {
        ds->errors++;
        mark_stale(ds);
        log_warnx("docshare: cannot read documents: %s",
                  pgconn_result_error(r));
        return;
    }
    if (ds->pull_role_gen != ds->role_gen || ds->leader) {
        return;                /* the role changed meanwhile */
    }
    n = pgconn_ntuples(r);
    for (int i = 0; i < n; i++) {
        size_t plen, blen;
        const char *path = pgconn_value(r, i, 0, &plen);
        const char *body = pgconn_value(r, i, 1, &blen);
        int64_t seq = pgconn_int8(r, i, 2);
        int rc;

        if (path == NULL || body == NULL || plen == 0 ||
            plen >= PUBLISH_PATH_MAX || memchr(path, '\0', plen) != NULL) {
            continue;
        }
        rc = publish_set(ds->pub, path, publish_content_type(path), body,
                         blen);
        if (rc != 0) {
            ds->errors++;
            log_warnx("docshare: cannot serve %s: %s", path,
                      ph_strerror(rc));
        } else {
            applied++;
            ds->pulls++;
        }
        if (seq > ds->pulled_seq) {
            ds->pulled_seq = seq;
        }
    }
    if (applied > 0) {
        publish_flush(ds->pub);
    }
    pgconn_query(ds->pg, LEADER_READ_SQL, 0, NULL, NULL, NULL, 0,
                 leader_read, ds);
    mark_synced(ds);
    if (n >= PULL_LIMIT || ds->pull_again) {
        ds->pull_again = 0;
        pull(ds);
    }
}

static void
pull(struct docshare *ds)
{
    char seq[24];
    const char *values[1] = { seq };

    if (ds->pulling) {
        ds->pull_again = 1;
        return;
    }
    snprintf(seq, sizeof(seq), "%" PRId64, ds->pulled_seq);
    ds->pull_role_gen = ds->role_gen;
    if (pgconn_query(ds->pg, PULL_SQL, 1, values, NULL, NULL, 1, pull_done,
                     ds) == 0) {
        ds->pulling = 1;
    }
}

/* ---- the connection ---- */

static void
sync_now(struct docshare *ds)
{
    if (ds->closing || !ds->ready || !pgconn_is_up(ds->pg)) {
        return;
    }
    if (ds->leader) {
        push(ds);
    } else {
        pull(ds);
    }
}

static void
listen_done(const struct pgconn_result *r, void *arg)
{
    struct docshare *ds = arg;

    if (ds->closing) {
        return;
    }
    if (!pgconn_result_ok(r)) {
        ds->errors++;
        log_warnx("docshare: cannot prepare the documents table: %s",
                  pgconn_result_error(r));
        return;                /* the tick tries again */
    }
    ds->ready = 1;
    sync_now(ds);
}

static void
prepare(struct docshare *ds)
{
    /* After a reconnect every row is read again and every document
     * written again: notifications may have been lost meanwhile. */
    ds->pulled_seq = 0;
    ds->pushed_gen = 0;
    ds->url_stored = 0;
    if (pgconn_query(ds->pg, SCHEMA_SQL, 0, NULL, NULL, NULL, 0, NULL,
                     NULL) != 0 ||
        pgconn_query(ds->pg, "LISTEN pharos_docs", 0, NULL, NULL, NULL, 0,
                     listen_done, ds) != 0) {
        ds->errors++;
    }
}

static void
on_up(void *arg)
{
    struct docshare *ds = arg;

    ds->ready = 0;
    prepare(ds);
}

static void
on_down(const char *why, void *arg)
{
    struct docshare *ds = arg;

    (void)why;
    ds->ready = 0;
    ds->pushing = 0;
    ds->pulling = 0;
    if (!ds->leader) {
        mark_stale(ds);
    }
}

static void
on_notify(const char *channel, const char *payload, void *arg)
{
    struct docshare *ds = arg;

    (void)payload;
    if (strcmp(channel, "pharos_docs") == 0 && !ds->leader) {
        sync_now(ds);
    }
}

static void
on_tick(uv_timer_t *t)
{
    struct docshare *ds = t->data;

    if (!pgconn_is_up(ds->pg)) {
        if (!ds->leader) {
            mark_stale(ds);
        }
        return;
    }
    if (!ds->ready) {
        if (pgconn_pending(ds->pg) == 0) {
            prepare(ds);
        }
        return;
    }
    sync_now(ds);
}

int
docshare_new(uv_loop_t *loop, const char *conninfo, struct publish *pub,
             char *errbuf, size_t errlen, struct docshare **ret)
{
    struct docshare *ds;
    struct pgconn_cbs cbs;
    int rc;

    *ret = NULL;
    ds = ph_calloc(1, sizeof(*ds));
    if (ds == NULL) {
        snprintf(errbuf, errlen, "out of memory");
        return PH_ENOMEM;
    }
    ds->loop = loop;
    ds->pub = pub;
    memset(&cbs, 0, sizeof(cbs));
    cbs.on_up = on_up;
    cbs.on_down = on_down;
    cbs.on_notify = on_notify;
    cbs.arg = ds;
    rc = pgconn_new(loop, conninfo, QUERY_TIMEOUT_MS, &cbs, errbuf, errlen,
                    &ds->pg);
    if (rc != 0) {
        ph_free(ds);
        return rc;
    }
    uv_timer_init(loop, &ds->tick);
    ds->tick.data = ds;
    uv_timer_start(&ds->tick, on_tick, SYNC_EVERY_MS, SYNC_EVERY_MS);
    *ret = ds;
    return 0;
}

void
docshare_set_role(struct docshare *ds, int leader, uint64_t epoch)
{
    if (ds == NULL || (ds->leader == !!leader && ds->epoch == epoch)) {
        return;
    }
    ds->leader = !!leader;
    ds->epoch = epoch;
    ds->role_gen++;
    ds->url_stored = 0;
    ds->leader_url[0] = '\0';
    ds->pushed_gen = 0;
    ds->pulled_seq = 0;
    ds->pull_again = 0;
    if (ds->leader) {
        mark_synced(ds);       /* the leader is the source */
    }
    sync_now(ds);
}

void
docshare_published(struct docshare *ds)
{
    if (ds != NULL && ds->leader) {
        sync_now(ds);
    }
}

void
docshare_status(const struct docshare *ds, struct docshare_status *ret)
{
    memset(ret, 0, sizeof(*ret));
    if (ds == NULL) {
        return;
    }
    ret->connected = pgconn_is_up(ds->pg);
    ret->leader = ds->leader;
    ret->last_sync_ms = ds->last_sync_ms;
    ret->stale_since_ms = ds->leader ? 0 : ds->stale_since_ms;
    ret->pushes = ds->pushes;
    ret->pulls = ds->pulls;
    ret->errors = ds->errors;
}

static void
tick_closed(uv_handle_t *h)
{
    ph_free(h->data);
}

void
docshare_close(struct docshare *ds)
{
    if (ds == NULL || ds->closing) {
        return;
    }
    ds->closing = 1;
    pgconn_close(ds->pg);
    ds->pg = NULL;
    uv_timer_stop(&ds->tick);
    uv_close((uv_handle_t *)&ds->tick, tick_closed);
}

void
docshare_set_url(struct docshare *ds, const char *url)
{
    if (ds == NULL) {
        return;
    }
    snprintf(ds->url, sizeof(ds->url), "%s", url != NULL ? url : "");
    ds->url_stored = 0;
}

const char *
docshare_leader_url(const struct docshare *ds)
{
    return ds != NULL && !ds->leader ? ds->leader_url : "";
}
