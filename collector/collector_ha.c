/*
 * collector_ha.c - starting and stopping what `ha:` adds to a collector
 * (the wiring of collector/ha/ and forward.c; the role changes and the
 * one gate of leader-only work stay in collector.c): the documents
 * shared through the database (docshare), the forwarding of a
 * follower's writes to the leader, the lease, and a follower's reload of
 * run-time agents, keys and viewers from a shared store; and the SIGHUP
 * reload on PostgreSQL, made when the database answers (both gated by
 * a ping through the worker thread).
 */
#include <stdio.h>
#include <string.h>

#include "access.h"
#include "admin.h"
#include "collector.h"
#include "docshare.h"
#include "forward.h"
#include "incidents.h"
#include "lease.h"
#include "log.h"
#include "mem.h"
#include "pgconn.h"
#include "ph_err.h"
#include "store_async.h"
#include "timefmt.h"

/* A follower on a shared store reads run-time agents and keys again this
 * often, so an agent created through the leader reports to any
 * collector within it ... */
#define REFRESH_EVERY_MS 2000
/* ... but only when the database answered a ping within this: one that
 * hangs is not waited for on the loop (the reload's reads are the API
 * layer's, on the loop's connection). */
#define REFRESH_PING_MAX_MS 500

void
collector_ha_refresh_access(struct collector *c)
{
    if (admin_load_agents(&c->h) != 0) {
        log_warnx("ha: cannot reload agents from the store: %s",
                  store_errmsg(c->h.store));
    }
    if (admin_load_keys(&c->h) != 0) {
        log_warnx("ha: cannot reload API keys from the store: %s",
                  store_errmsg(c->h.store));
    }
    if (access_load_viewers(&c->h) != 0 || access_load_key(&c->h) != 0) {
        log_warnx("ha: cannot reload viewers or the session key: %s",
                  store_errmsg(c->h.store));
    }
}

/* The worker thread found the database answering (or not): a follower
 * reloads run-time agents, keys and viewers now, right after a quick
 * answer, and skips this round after a slow or failed one. */
static void
on_refresh_ping(int result, const char *errmsg, void *arg)
{
    struct collector *c = arg;

    (void)errmsg;
    c->refresh_pinging = 0;
    if (result != 0 || c->h.shutting_down || c->h.role.leading ||
        time_mono_ms() - c->last_refresh_ms > REFRESH_PING_MAX_MS) {
        return;
    }
    collector_ha_refresh_access(c);
}

void
collector_ha_refresh(struct collector *c, int64_t now_mono_ms)
{
    if (c->refresh_pinging ||
        now_mono_ms - c->last_refresh_ms < REFRESH_EVERY_MS) {
        return;
    }
    c->last_refresh_ms = now_mono_ms;
    c->refresh_pinging = 1;
    if (store_ping_async(c->h.store, on_refresh_ping, c) != 0) {
        c->refresh_pinging = 0;
    }
}

static void
on_reload_ping(int result, const char *errmsg, void *arg)
{
    struct collector *c = arg;

    c->reload_pinging = 0;
    if (c->h.shutting_down || !c->reload_wanted) {
        return;
    }
    if (result != 0 ||
        time_mono_ms() - c->reload_ping_ms > REFRESH_PING_MAX_MS) {
        if (!c->reload_said_wait) {
            log_warnx("reload: waits for the database to answer (%s)",
                      result != 0 && errmsg != NULL && errmsg[0]
                          ? errmsg
                          : "slow");
            c->reload_said_wait = 1;
        }
        return;
    }
    c->reload_wanted = 0;
    c->reload_said_wait = 0;
    collector_reload(c);
}

void
collector_reload_try(struct collector *c, int64_t now_mono_ms)
{
    if (!c->reload_wanted || c->reload_pinging) {
        return;
    }
    c->reload_ping_ms = now_mono_ms;
    c->reload_pinging = 1;
    if (store_ping_async(c->h.store, on_reload_ping, c) != 0) {
        c->reload_pinging = 0;
    }
}

void
collector_reload_soon(struct collector *c)
{
    if (c->h.store == NULL || store_async_writer(c->h.store) == NULL) {
        collector_reload(c);
        return;
    }
    c->reload_wanted = 1;
    collector_reload_try(c, time_mono_ms());
}

void
collector_ha_reload_shared(struct collector *c)
{
    collector_ha_refresh_access(c);
    if (collector_reload(c) != 0) {
        log_warnx("ha: cannot reload the components made through the API; "
                  "the ones in memory stay");
    }
    if (incidents_reload(&c->h) != 0) {
        log_warnx("ha: cannot reload incidents from the store; the ones in "
                  "memory stay");
    }
}

/* Any answer will do: the lease is ours and the database answered just
 * now, however long the worker's queue made the ping wait. */
static void
on_takeover_ping(int result, const char *errmsg, void *arg)
{
    struct collector *c = arg;

    c->takeover_pinging = 0;
    if (c->h.shutting_down || !c->takeover_wanted) {
        return;
    }
    if (result != 0) {
        if (!c->takeover_said_wait) {
            log_warnx("ha: the takeover waits for the database to answer "
                      "(%s)", errmsg != NULL && errmsg[0] ? errmsg : "no "
                      "answer");
            c->takeover_said_wait = 1;
        }
        return;
    }
    c->takeover_wanted = 0;
    c->takeover_said_wait = 0;
    collector_take_over(c);
}

void
collector_take_over_try(struct collector *c, int64_t now_mono_ms)
{
    (void)now_mono_ms;
    if (!c->takeover_wanted || c->takeover_pinging) {
        return;
    }
    c->takeover_pinging = 1;
    if (store_ping_async(c->h.store, on_takeover_ping, c) != 0) {
        c->takeover_pinging = 0;
    }
}

void
collector_take_over_soon(struct collector *c)
{
    if (c->h.store == NULL || store_async_writer(c->h.store) == NULL) {
        collector_take_over(c);
        return;
    }
    c->takeover_wanted = 1;
    collector_take_over_try(c, time_mono_ms());
}

static const char *
leader_url(void *arg)
{
    struct collector *c = arg;

    return docshare_leader_url(c->docshare);
}

/* ha.advertise_url, or http://<server.listen> with a wildcard address
 * (or none) replaced by node_id. */
static void
advertise_url(const struct collector *c, char *out, size_t len)
{
    const struct pharos_conf *cf = &c->h.conf;
    const char *listen = cf->listen;
    const char *port;

    if (cf->ha.advertise_url != NULL) {
        size_t n = strlen(cf->ha.advertise_url);

        while (n > 0 && cf->ha.advertise_url[n - 1] == '/') {
            n--;
        }
        snprintf(out, len, "%.*s", (int)n, cf->ha.advertise_url);
        return;
    }
    port = strrchr(listen, ':');
    if (listen[0] == ':' || strncmp(listen, "0.0.0.0:", 8) == 0 ||
        strncmp(listen, "[::]:", 5) == 0) {
        snprintf(out, len, "http://%s%s", cf->ha.node_id,
                 port != NULL ? port : "");
    } else {
        snprintf(out, len, "http://%s", listen);
    }
}

/* ha.database, or else the store's PostgreSQL with its password
 * (store_password_file); *ret is new (ph_free it) and may hold the
 * password, so it is never logged. */
static int
lease_conninfo(const struct pharos_conf *cf, char **ret)
{
    if (cf->ha.database != NULL && cf->ha.database[0] != '\0') {
        *ret = ph_strdup(cf->ha.database);
        return *ret != NULL ? 0 : PH_ENOMEM;
    }
    if (cf->store == NULL) {
        *ret = NULL;
        return PH_EINVAL; /* the configuration requires one of them */
    }
    if (cf->store_password == NULL) {
        *ret = ph_strdup(cf->store);
        return *ret != NULL ? 0 : PH_ENOMEM;
    }
    return pgconn_conninfo_with_password(cf->store, cf->store_password, ret);
}

int
collector_ha_start(struct collector *c,
                   void (*on_lease)(void *arg, int leader, uint64_t epoch))
{
    const struct pharos_conf *cf = &c->h.conf;
    char err[256], url[DOCSHARE_URL_MAX];
    char *conninfo = NULL;
    int rc;

    rc = lease_conninfo(cf, &conninfo);
    if (rc != 0) {
        log_warnx("ha: no database for the lease: %s", ph_strerror(rc));
        goto out;
    }
    if (cf->ha.database == NULL) {
        log_info("ha: the lease and the shared documents use the store's "
                 "database");
    }
    rc = docshare_new(c->loop, conninfo, c->h.publish, err, sizeof(err),
                      &c->docshare);
    if (rc != 0) {
        log_warnx("ha: %s", err);
        goto out;
    }
    advertise_url(c, url, sizeof(url));
    docshare_set_url(c->docshare, url);
    c->h.forward = forward_new(c->loop, cf->ha.node_id);
    if (c->h.forward == NULL) {
        rc = PH_ENOMEM;
        goto out;
    }
    c->h.leader_url = leader_url;
    c->h.leader_url_arg = c;
    log_info("ha: %s reachable at %s for the other collectors",
             cf->ha.node_id, url);
    rc = lease_start(c->loop, conninfo, cf->ha.node_id, cf->ha.lease_ms,
                     on_lease, c, &c->lease);
    if (rc != 0) {
        log_warnx("ha: cannot start the leader lease: %s", ph_strerror(rc));
        goto out;
    }
    log_info("ha: %s follows until it holds the lease (lease %u ms)",
             cf->ha.node_id, cf->ha.lease_ms);
out:
    ph_free(conninfo);
    return rc;
}

void
collector_ha_stop(struct collector *c)
{
    lease_stop(c->lease);
    c->lease = NULL;
    docshare_close(c->docshare);
    c->docshare = NULL;
    forward_close(c->h.forward);
    c->h.forward = NULL;
}
