/*
 * collector.c - wiring of the collector: store, engine, HTTP server and
 * publishing on one loop. Status evaluation runs after every ingested
 * batch and once a second (staleness); public documents are rebuilt
 * within ~100 ms of any change and at least once a minute.
 */
#include "collector.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "access.h"
#include "components.h"
#include "deferred.h"
#include "admin.h"
#include "agent_wait.h"
#include "brand.h"
#include "api_v1.h"
#include "auth.h"
#include "http.h"
#include "incidents.h"
#include "ingest.h"
#include "intake.h"
#include "docshare.h"
#include "lease.h"
#include "notify.h"
#include "notify_staff.h"
#include "log.h"
#include "mkdirs.h"
#include "mem.h"
#include "ph_err.h"
#include "recheck.h"
#include "publish.h"
#include "publish_writer.h"
#include "render_worker.h"
#include "rollup.h"
#include "routes.h"
#include "store.h"
#include "store_async.h"
#include "store_writer.h"
#include "timefmt.h"

#define TICK_MS 1000
#define SWAP_STR(a, b)                                                      \
    do {                                                                    \
        char *t_ = (a);                                                     \
        (a) = (b);                                                          \
        (b) = t_;                                                           \
    } while (0)
#define PUBLISH_DEBOUNCE_MS 50
/* New results alone (no status moved) change regions.json only, and at
 * most this often: under a stream of batches the documents are not
 * rebuilt after every one. */
#define PUBLISH_RESULTS_MS 1000
#define PUBLISH_EVERY_MS 60000
/* Longest an idle collector waits before re-rendering derived state. */
#define REFRESH_IDLE_MS 5000
#define PRUNE_EVERY_MS 3600000
#define EVALUATE_DELAY_MS 20
/* A wall clock moving this much more or less than the monotonic clock
 * between two evaluations has stepped (NTP slews far less). */
#define CLOCK_STEP_MS 2000

static void mark_dirty(struct collector *c);
static void mark_results_dirty(struct collector *c);
static void mark_refresh(struct collector *c);
static void arm_evaluation(struct collector *c, uint64_t delay_ms);
static void restore_statuses(struct collector *c);

/*
 * The one gate of leader-only work. While it returns 0 (a follower under
 * `ha:`) this collector ingests, serves the page, the feed and the API,
 * and takes writes, but does not act: no evaluation (so no transitions,
 * no transition log, no incident automation, no notifications enqueued
 * by probes, no uptime rollup), no maintenance start or completion, no
 * alert expiry, no pruning, and its outbox worker delivers nothing
 * (notify_hold). Without `ha:` the collector always leads.
 */
static int
leads(const struct collector *c)
{
    return c->h.role.leading;
}

/*
 * The lease's callback (lease.h): the only place the role changes after
 * start. A new leader first restores the engine's component statuses
 * and the overrides from the store, so the takeover does not flap a
 * status, restarts the uptime accounting from the store, then acts. A
 * leader that steps down stops acting at once; its lease is still valid
 * for lease/5 by construction, so the last rollup it writes is fenced
 * in time.
 */
void
collector_take_over(struct collector *c)
{
    struct hub_role *r = &c->h.role;
    uint64_t epoch = r->epoch;

    if (r->leading) {
        return;
    }
    if (r->shared_store) {
        collector_ha_reload_shared(c);
    }
    restore_statuses(c);
    hub_restore_overrides(&c->h);
    incidents_reapply(&c->h);
    rollup_destroy(c->h.rollup);
    c->h.rollup = NULL;
    if (rollup_new(&c->h, time_now_ms(), &c->h.rollup) != 0) {
        log_warnx("ha: uptime accounting stopped (out of memory)");
    }
    r->leading = 1;
    notify_hold(&c->h, 0);
    log_info("ha: %s leads (epoch %llu): evaluating, automating, "
             "notifying", c->h.conf.ha.node_id,
             (unsigned long long)epoch);
    arm_evaluation(c, 0);
    mark_dirty(c);
}

static void
on_lease(void *arg, int leader, uint64_t epoch)
{
    struct collector *c = arg;
    struct hub_role *r = &c->h.role;

    r->epoch = epoch;
    r->since_ms = lease_since_ms(c->lease);
    docshare_set_role(c->docshare, leader, epoch);
    r->db_ok = lease_connected(c->lease);
    if (!leader) {
        c->takeover_wanted = 0;
    }
    if (leader && !r->leading) {
        collector_take_over_soon(c);
    } else if (!leader && r->leading) {
        if (c->h.rollup != NULL) {
            rollup_observe(c->h.rollup, &c->h, time_now_ms(), 1);
        }
        r->leading = 0;
        notify_hold(&c->h, 1);
        log_warnx("ha: %s follows (epoch %llu ended): serving, not acting",
                  c->h.conf.ha.node_id, (unsigned long long)epoch);
    }
    mark_dirty(c);
}

/* Engine config views into c->h.conf; the engine copies what it keeps. */
static struct engine *
build_engine(struct collector *c)
{
    const struct pharos_conf *cf = &c->h.conf;
    struct engine_region_conf *regions = NULL;
    struct engine_component_conf *comps = NULL;
    struct engine_check_conf *checks = NULL;
    int *region_idx = NULL;
    int *dep_idx = NULL;
    struct engine *e = NULL;
    size_t nidx = 0, ndep = 0;
    struct engine_conf ec;

    memset(&ec, 0, sizeof(ec));

    regions = ph_calloc(cf->nregions + 1, sizeof(*regions));
    comps = ph_calloc(cf->ncomponents + 1, sizeof(*comps));
    checks = ph_calloc(cf->nchecks + 1, sizeof(*checks));
    region_idx = ph_calloc(cf->nchecks * CHECK_MAX_REGIONS + 1,
                           sizeof(*region_idx));
    dep_idx = ph_calloc(cf->ncomponents * DEPENDS_MAX + 1,
                        sizeof(*dep_idx));
    if (regions == NULL || comps == NULL || checks == NULL ||
        region_idx == NULL || dep_idx == NULL) {
        goto out;
    }
    for (size_t i = 0; i < cf->nregions; i++) {
        regions[i].id = cf->regions[i].id;
    }
    for (size_t i = 0; i < cf->ncomponents; i++) {
        const struct conf_component *cc = &cf->components[i];

        comps[i].id = cc->id;
        comps[i].depends_on = &dep_idx[ndep];
        /* The configuration checked every id, so none is missing. */
        for (size_t d = 0; d < cc->ndepends_on && d < DEPENDS_MAX; d++) {
            int di = pharos_conf_component_index(cf, cc->depends_on[d]);

            if (di >= 0) {
                dep_idx[ndep++] = di;
                comps[i].ndepends++;
            }
        }
    }
    for (size_t i = 0; i < cf->nchecks; i++) {
        const struct check *ck = &cf->checks[i];
        struct engine_check_conf *k = &checks[i];

        k->id = ck->id;
        k->component = pharos_conf_component_index(cf, ck->component_id);
        k->interval_ms = ck->interval_ms;
        k->timeout_ms = ck->timeout_ms;
        k->fail_after = ck->fail_after;
        k->recover_after = ck->recover_after;
        k->quorum = ck->quorum;
        k->quorum_pct = ck->quorum_pct;
        k->minority = ck->minority;
        k->impact = ck->impact;
        k->regions = &region_idx[nidx];
        for (size_t r = 0; r < ck->nregions; r++) {
            region_idx[nidx++] = pharos_conf_region_index(cf, ck->regions[r]);
        }
        k->nregions = ck->nregions;
    }
    ec.regions = regions;
    ec.nregions = cf->nregions;
    ec.components = comps;
    ec.ncomponents = cf->ncomponents;
    ec.checks = checks;
    ec.nchecks = cf->nchecks;
    ec.mass_failure.share = cf->mass_failure.share;
    ec.mass_failure.min_checks = cf->mass_failure.min_checks;
    e = engine_new(&ec, time_now_ms());
out:
    ph_free(regions);
    ph_free(comps);
    ph_free(checks);
    ph_free(region_idx);
    ph_free(dep_idx);
    return e;
}

/* The engine's callback: transitions are queued during the tick and
 * handed to the listeners after it, so no listener runs inside the
 * engine. */
static void
queue_transition(const struct engine_transition *t, void *arg)
{
    struct collector *c = arg;

    if (c->ntq < c->tq_cap) {
        c->tq[c->ntq++] = *t;
    }
}

/* The outcome of a transition's write (store_async.h). */
static void
on_transition_stored(int result, const char *errmsg, void *arg)
{
    struct collector *c = arg;

    if (result != 0) {
        complain(&c->h.store_complaint, time_mono_ms(),
                 "store: cannot record a transition: %s", errmsg);
    }
}

/* Listener: the public status, the transition log and the metric. */
static void
record_transitions(void *arg, const struct engine_transition *tv, size_t n,
                   int64_t now_ms)
{
    struct collector *c = arg;

    (void)now_ms;
    for (size_t i = 0; i < n; i++) {
        const struct engine_transition *t = &tv[i];
        const char *cid = c->h.conf.components[t->component].id;

        log_info("status %s: %s -> %s (%s: %s)", cid,
                 comp_status_name(t->old_status),
                 comp_status_name(t->new_status),
                 status_source_name(t->source), t->reason);
        c->h.comps[t->component].status = t->new_status;
        c->h.comps[t->component].updated_at_ms = t->at_ms;
        c->h.metrics.transitions++;
        /* Recorded without waiting for the database (PostgreSQL:
         * the writer thread); a failure is reported when it is known. */
        if (store_add_transition_async(c->h.store, cid,
                                       comp_status_name(t->old_status),
                                       comp_status_name(t->new_status),
                                       status_source_name(t->source),
                                       t->reason, t->at_ms,
                                       on_transition_stored, c) != 0) {
            complain(&c->h.store_complaint, t->at_ms,
                     "store: cannot record transition of %s", cid);
        }
    }
}

/* Listener: the daily uptime of every component, after each evaluation. */
static void
observe_uptime(void *arg, const struct engine_transition *tv, size_t n,
               int64_t now_ms)
{
    struct collector *c = arg;

    (void)tv;
    (void)n;
    if (c->h.rollup != NULL) {
        rollup_observe(c->h.rollup, &c->h, now_ms, 0);
    }
}

int
collector_listen(struct collector *c, const char *name,
                 transition_listener_cb fn, void *arg)
{
    if (c->nlisteners == COLLECTOR_MAX_LISTENERS) {
        return PH_ETOOBIG;
    }
    c->listeners[c->nlisteners].name = name;
    c->listeners[c->nlisteners].fn = fn;
    c->listeners[c->nlisteners].arg = arg;
    c->nlisteners++;
    return 0;
}

/* Room for one transition per component and evaluation. */
static int
size_queue(struct collector *c)
{
    struct engine_transition *q;

    c->ntq = 0;
    if (c->tq_cap > c->h.conf.ncomponents) {
        return 0; /* never shrinks: a failed reload keeps the old conf */
    }
    q = ph_realloc(c->tq, (c->h.conf.ncomponents + 1) * sizeof(*q));
    if (q == NULL) {
        return PH_ENOMEM;
    }
    c->tq = q;
    c->tq_cap = c->h.conf.ncomponents + 1;
    return 0;
}

/*
 * A step of the wall clock (an operator's date -s, NTP stepping instead
 * of slewing) shows as a difference between how far the wall clock and
 * the monotonic clock moved since the last evaluation. The engine ages
 * results by the wall clock (results carry their agents' dates), so it
 * is told to move its result times by the step.
 */
static void
clock_step(struct collector *c, int64_t now)
{
    int64_t mono = time_mono_ms();
    int64_t step;

    if (c->clock_mono_ms != 0) {
        step = (now - c->clock_wall_ms) - (mono - c->clock_mono_ms);
        if (step > CLOCK_STEP_MS || step < -CLOCK_STEP_MS) {
            log_warnx("clock: the wall clock stepped %+lld ms; result ages "
                      "follow it", (long long)step);
            engine_shift_time(c->h.engine, step);
        }
    }
    c->clock_wall_ms = now;
    c->clock_mono_ms = mono;
}

/* Logs each region that entered or left a mass failure at the last
 * tick; returns 1 if any did (the documents change). */
static int
log_mass_failures(struct collector *c)
{
    int any = 0;

    for (size_t r = 0; r < c->h.conf.nregions; r++) {
        uint32_t failing, total;

        if (!engine_region_suspect_changed(c->h.engine, (int)r)) {
            continue;
        }
        any = 1;
        engine_region_counts(c->h.engine, (int)r, &failing, &total);
        if (engine_region_suspect(c->h.engine, (int)r)) {
            c->h.metrics.mass_failures++;
            log_warnx("engine: region %s fails %u of %u checks at once: "
                      "treated as the region's problem, its results count "
                      "for no status until it recovers",
                      c->h.conf.regions[r].id, failing, total);
        } else {
            log_info("engine: region %s is no longer in a mass failure "
                     "(%u of %u checks failing)",
                     c->h.conf.regions[r].id, failing, total);
        }
    }
    return any;
}

/*
 * The one evaluation driver: ticks the engine, then hands the queued
 * transitions to the listeners. Listeners that change something request
 * another evaluation, which runs after this one returns (a request made
 * now re-arms the timer), so the engine is never re-entered.
 */
static void
evaluate(struct collector *c)
{
    uint64_t before = c->h.metrics.transitions;
    int64_t now = time_now_ms();
    int changed = 0, moved;

    if (c->evaluating) {
        return;
    }
    if (!leads(c)) {
        c->h.eval_requested = 0;
        return;
    }
    c->evaluating = 1;
    c->h.eval_requested = 0;
    c->ntq = 0;
    clock_step(c, now);
    engine_tick(c->h.engine, now, queue_transition, c);
    for (size_t i = 0; i < c->h.conf.ncomponents; i++) {
        int u = engine_component_unknown(c->h.engine, (int)i);
        int a = engine_component_affected_by(c->h.engine, (int)i);
        const char *aid = a >= 0 ? c->h.conf.components[a].id : "";

        changed |= u != c->h.comps[i].unknown;
        c->h.comps[i].unknown = u;
        if (strcmp(aid, c->h.comps[i].affected_by) != 0) {
            changed = 1;
            snprintf(c->h.comps[i].affected_by,
                     sizeof(c->h.comps[i].affected_by), "%s", aid);
        }
    }
    changed |= log_mass_failures(c);
    for (size_t i = 0; i < c->nlisteners; i++) {
        c->listeners[i].fn(c->listeners[i].arg, c->tq, c->ntq, now);
    }
    c->ntq = 0;
    c->evaluating = 0;
    /* Rebuild every document when a status moved, and at least every
     * REFRESH_IDLE_MS (region states age without results, today's
     * uptime seconds grow, page.updated_at moves); in between, new
     * results alone refresh the documents that show them (regions.json:
     * each check's last result; uptime.json) at most every
     * PUBLISH_RESULTS_MS, so a stream of batches does not rebuild and
     * rewrite every document after each one. */
    moved = changed || c->h.metrics.transitions != before;
    if (moved || time_mono_ms() - c->last_eval_render_ms >= REFRESH_IDLE_MS) {
        c->evaluated_results = c->h.metrics.results_ingested;
        c->last_eval_render_ms = time_mono_ms();
        if (moved) {
            mark_dirty(c);
        } else {
            mark_refresh(c);
        }
    } else if (c->h.metrics.results_ingested != c->evaluated_results) {
        c->evaluated_results = c->h.metrics.results_ingested;
        mark_results_dirty(c);
    }
}

static void
on_eval_timer(uv_timer_t *t)
{
    struct collector *c = t->data;

    c->eval_pending = 0;
    evaluate(c);
}

static void
arm_evaluation(struct collector *c, uint64_t delay_ms)
{
    if (c->eval_pending || c->h.shutting_down || c->eval_timer.loop == NULL) {
        return;
    }
    c->eval_pending = 1;
    uv_timer_start(&c->eval_timer, on_eval_timer, delay_ms, 0);
}

/* What modules ask through the hub (hub.h). */
static void
on_want(void *arg, enum hub_want what)
{
    struct collector *c = arg;

    switch (what) {
    case HUB_EVALUATE:
        arm_evaluation(c, 0);
        break;
    case HUB_EVALUATE_SOON:
        arm_evaluation(c, EVALUATE_DELAY_MS);
        break;
    case HUB_PUBLISH:
        mark_dirty(c);
        break;
    case HUB_REBUILD:
        c->rebuild_wanted = 1;
        break;
    }
}


static void
on_publish_timer(uv_timer_t *t)
{
    struct collector *c = t->data;

    if (c->dirty) {
        int refresh = c->refresh_only;

        c->dirty = 0;
        c->refresh_only = 0;
        c->results_dirty = 0;
        collector_render(c, refresh ? COLLECTOR_RENDER_REFRESH
                                    : COLLECTOR_RENDER_FULL);
    } else if (c->results_dirty) {
        c->results_dirty = 0;
        collector_render(c, COLLECTOR_RENDER_RESULTS);
    }
}

void
collector_evaluate(struct collector *c)
{
    evaluate(c);
}

/* Everything is re-rendered PUBLISH_DEBOUNCE_MS from now (sooner than
 * a pending regions-only render would have run). */
static void
mark_dirty(struct collector *c)
{
    c->h.feed_gen++;
    c->refresh_only = 0;
    if (c->dirty || c->h.shutting_down) {
        return;
    }
    c->dirty = 1;
    uv_timer_start(&c->publish_timer, on_publish_timer, PUBLISH_DEBOUNCE_MS,
                   0);
}

/* The same when only time went by (collector_render's REFRESH); a
 * change marked before or after makes it a full render. */
static void
mark_refresh(struct collector *c)
{
    if (c->dirty) {
        c->h.feed_gen++;
        return;
    }
    mark_dirty(c);
    c->refresh_only = c->dirty;
}

static void
mark_results_dirty(struct collector *c)
{
    if (c->dirty || c->results_dirty || c->h.shutting_down) {
        return;
    }
    c->results_dirty = 1;
    uv_timer_start(&c->publish_timer, on_publish_timer, PUBLISH_RESULTS_MS,
                   0);
}

static void
on_tick(uv_timer_t *t)
{
    struct collector *c = t->data;
    int64_t now = time_mono_ms();

    if (c->lease != NULL) {
        c->h.role.db_ok = lease_connected(c->lease);
    }
    if (c->docshare != NULL) {
        struct docshare_status ds;

        docshare_status(c->docshare, &ds);
        c->h.role.docs_synced_ms = ds.last_sync_ms;
        c->h.role.docs_stale_since_ms = ds.stale_since_ms;
    }
    if (c->h.role.ha && c->h.role.shared_store && !c->h.role.leading) {
        collector_ha_refresh(c, now);
    }
    collector_reload_try(c, now);
    collector_take_over_try(c, now);
    if (leads(c)) {
        incidents_tick(&c->h, time_now_ms());
        intake_tick(&c->h, time_now_ms());
    }
    evaluate(c);
    if (now - c->last_full_publish_ms >= PUBLISH_EVERY_MS) {
        /* page.updated_at moves, so this rewrites every document. */
        c->last_full_publish_ms = now;
        mark_dirty(c);
    }
    /* The first tick prunes too: retention must not wait an hour after
     * every start (nor depend on how long the host has been up). */
    if (leads(c) && (c->last_prune_ms == 0 ||
                     now - c->last_prune_ms >= PRUNE_EVERY_MS)) {
        c->last_prune_ms = now;
        collector_prune(c);
    }
}

/* After a restart the engine has no regional state yet; seed each
 * component with its last recorded status so the page does not show a
 * recovery (or hide an outage) until probes have spoken again. */
static void
restore_statuses(struct collector *c)
{
    for (size_t i = 0; i < c->h.conf.ncomponents; i++) {
        char st[32];
        int64_t at = 0;
        int s;

        if (store_last_status(c->h.store, c->h.conf.components[i].id, st,
                              sizeof(st), &at) != 0 ||
            (s = comp_status_parse(st)) < 0) {
            continue;
        }
        engine_restore(c->h.engine, (int)i,
                       s == COMP_MAINTENANCE ? COMP_OPERATIONAL
                                             : (enum comp_status)s,
                       (enum comp_status)s, at);
        c->h.comps[i].status = (enum comp_status)s;
        c->h.comps[i].updated_at_ms = at;
    }
}

static int
load_created_at(struct collector *c)
{
    char buf[32];
    int rc = store_kv_get(c->h.store, "created_at_ms", buf, sizeof(buf));

    if (rc == 0) {
        c->h.created_at_ms = strtoll(buf, NULL, 10);
        return 0;
    }
    c->h.created_at_ms = time_now_ms();
    snprintf(buf, sizeof(buf), "%lld", (long long)c->h.created_at_ms);
    return store_kv_set(c->h.store, "created_at_ms", buf);
}

/* The HTTP server's options from the configuration (strings borrowed). */
static void
http_opts(const struct pharos_conf *cf, struct http_server_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->listen = cf->listen;
    o->agent_listen = cf->agent_listen;
    o->max_body_bytes = cf->max_body_bytes;
    o->max_connections = cf->max_connections;
    o->agent_max_connections = cf->agent_max_connections;
    o->max_per_client = cf->max_connections_per_client;
    o->request_timeout_ms = cf->request_timeout_ms;
    o->idle_timeout_ms = cf->idle_timeout_ms;
    o->proxies = cf->trusted_proxies;
    o->nproxies = cf->ntrusted_proxies;
}

/* Strings a shipped language lacks are shown in English: say which, once
 * at start (pharos-collector --check says it too). */
static void
log_catalog_gaps(const char *web_dir)
{
    struct buf miss;
    const char *line;

    buf_init(&miss, 256 * 1024);
    if (catalog_missing(web_dir, &miss) > 0 && miss.data != NULL) {
        line = miss.data;
        for (const char *nl; (nl = strchr(line, '\n')) != NULL;
             line = nl + 1) {
            log_warnx("%.*s", (int)(nl - line), line);
        }
    }
    buf_free(&miss);
}

int
collector_start(struct collector *c)
{
    struct pharos_conf *cf = &c->h.conf;
    struct http_server_opts hopts;
    char path[1024];
    char err[768];
    int rc;

    c->h.started_ms = time_mono_ms();
    c->h.loop = c->loop;
    c->h.want = on_want;
    c->h.want_arg = c;
    if (loop_busy_start(&c->h.metrics.loop_busy, c->loop) != 0) {
        log_warnx("cannot measure the loop's busy time (/metrics "
                  "pharos_loop_busy_seconds stays empty)");
    }
    /* Day boundaries of the uptime bars follow the page's zone. */
    setenv("TZ", cf->page.time_zone ? cf->page.time_zone : "UTC", 1);
    tzset();

    if (ph_mkdirs(cf->state_dir, 0, 1) != 0) {
        log_warn("cannot create state_dir %s", cf->state_dir);
        return PH_EIO;
    }
    if (cf->store != NULL) {
        /* PostgreSQL: the URI carries no password (pharos_conf refuses
         * one), so it may appear in messages. */
        if (snprintf(path, sizeof(path), "%s", cf->store) >=
            (int)sizeof(path)) {
            log_warnx("store URI too long");
            return PH_ETOOBIG;
        }
    } else if (snprintf(path, sizeof(path), "%s/pharos.db",
                        cf->state_dir) >= (int)sizeof(path)) {
        log_warnx("state_dir path too long");
        return PH_ETOOBIG;
    }
    rc = store_open(path, cf->store_password, c->store_flags, err,
                    sizeof(err), &c->h.store);
    if (rc != 0) {
        log_warnx("fatal: %s", err);
        return rc;
    }
    log_info("store: %s", store_backend_name(c->h.store));
    rc = store_writer_start(c->loop, path, cf->store_password, &c->h.writer,
                            err, sizeof(err));
    if (rc != 0) {
        log_warnx("fatal: cannot start the database writer: %s", err);
        return rc;
    }
    /* On PostgreSQL the loop's own store calls (transitions, audit, kv,
     * uptime checkpoints, the outbox, retention: store_async*.h) run on
     * a second thread with its own connection, so that a slow one (a
     * prune, a locked table) never holds up the agents' commits and
     * their acks, nor they it. */
    if (store_is_postgresql(path)) {
        rc = store_writer_start(c->loop, path, cf->store_password,
                                &c->calls_writer, err, sizeof(err));
        if (rc != 0) {
            log_warnx("fatal: cannot start the database worker: %s", err);
            return rc;
        }
    }
    store_set_async_writer(c->h.store, c->calls_writer != NULL
                                           ? c->calls_writer
                                           : c->h.writer);
    rc = load_created_at(c);
    if (rc != 0) {
        log_warnx("cannot initialise database %s: %s", path,
                  ph_strerror(rc));
        return rc;
    }
    rc = admin_load_agents(&c->h);
    if (rc != 0) {
        log_warnx("cannot load agents: %s", ph_strerror(rc));
        return rc;
    }
    rc = admin_load_keys(&c->h);
    if (rc != 0) {
        log_warnx("cannot load API keys: %s", ph_strerror(rc));
        return rc;
    }
    rc = components_merge(cf, c->h.store);
    if (rc != 0) {
        log_warnx("cannot load the components created through the API: %s",
                  ph_strerror(rc));
        return rc;
    }
    rc = access_start(&c->h);
    if (rc != 0) {
        log_warnx("cannot load the page's sessions and viewers: %s",
                  ph_strerror(rc));
        return rc;
    }
    rc = idmap_init_stride(&c->h.check_ids, cf->checks, cf->nchecks,
                           sizeof(cf->checks[0]),
                           offsetof(struct check, id), 0);
    if (rc != 0) {
        log_warnx("cannot index checks: %s", ph_strerror(rc));
        return rc;
    }
    c->h.comps = ph_calloc(cf->ncomponents + 1, sizeof(*c->h.comps));
    c->h.engine = build_engine(c);
    if (c->h.comps == NULL || c->h.engine == NULL || size_queue(c) != 0) {
        log_warnx("cannot build the state engine");
        return PH_ENOMEM;
    }
    rc = ingest_build_plans(&c->h);
    if (rc != 0) {
        log_warnx("cannot build check plans: %s", ph_strerror(rc));
        return rc;
    }
    restore_statuses(c);
    hub_restore_overrides(&c->h);
    rc = incidents_load(&c->h);
    if (rc != 0) {
        return rc;
    }
    rc = intake_start(&c->h);
    if (rc != 0) {
        log_warnx("cannot start the alert intake: %s", ph_strerror(rc));
        return rc;
    }
    /* Under `ha:` a collector starts as a follower and leads only once
     * the lease says so (on_lease). */
    c->h.role.ha = cf->ha.enabled;
    /* One PostgreSQL store for every collector: a follower forwards the
     * API's writes to the leader (routes.c) rather than writing beside
     * it. */
    c->h.role.shared_store = cf->ha.enabled && cf->store != NULL;
    c->h.role.leading = !cf->ha.enabled;
    c->h.role.db_ok = !cf->ha.enabled;
    c->h.role.since_ms = time_now_ms();
    rc = notify_start(&c->h);
    if (rc != 0) {
        return rc;
    }
    notify_staff_sync(&c->h);
    if (!leads(c)) {
        notify_hold(&c->h, 1);
    }
    rc = rollup_new(&c->h, time_now_ms(), &c->h.rollup);
    if (rc != 0) {
        log_warnx("cannot start uptime accounting: %s", ph_strerror(rc));
        return rc;
    }
    c->h.publish = publish_new(cf->publish_dir);
    if (c->h.publish == NULL) {
        return PH_ENOMEM;
    }
    rc = render_worker_start(c->loop, &c->renderw);
    if (rc != 0) {
        log_warnx("cannot start the render thread: %s", ph_strerror(rc));
        return rc;
    }
    if (cf->publish_dir != NULL) {
        rc = publish_writer_start(cf->publish_dir, &c->pubw);
        if (rc != 0) {
            log_warnx("cannot start the publish_dir writer: %s",
                      ph_strerror(rc));
            return rc;
        }
    }
    rc = publish_load_dir(c->h.publish, cf->web_dir, err, sizeof(err));
    if (rc != 0) {
        log_warnx("fatal: %s (server.web_dir: the page's files)", err);
        return rc;
    }
    rc = brand_publish(c->h.publish, &cf->page, err, sizeof(err));
    if (rc != 0) {
        log_warnx("fatal: %s (page: logo, favicon, css)", err);
        return rc;
    }
    log_catalog_gaps(cf->web_dir);
    /* The listeners, in the order they see each evaluation: the status
     * and its log first, since the others read it. */
    if (collector_listen(c, "transition log", record_transitions, c) != 0 ||
        collector_listen(c, "notifications", notify_on_transitions, &c->h) !=
            0 ||
        collector_listen(c, "incident automation", incidents_on_transitions,
                         &c->h) != 0 ||
        collector_listen(c, "uptime", observe_uptime, c) != 0) {
        return PH_ETOOBIG;
    }
    uv_timer_init(c->loop, &c->tick_timer);
    c->tick_timer.data = c;
    uv_timer_init(c->loop, &c->publish_timer);
    c->publish_timer.data = c;
    uv_timer_init(c->loop, &c->eval_timer);
    c->eval_timer.data = c;
    evaluate(c);
    collector_render_all(c);
    uv_timer_start(&c->tick_timer, on_tick, TICK_MS, TICK_MS);

    c->h.deferred = deferred_new(&c->h, collector_finish_request, c);
    if (c->h.deferred == NULL) {
        return PH_ENOMEM;
    }
    http_opts(cf, &hopts);
    /* Agents' held re-check requests (issue #20), before any arrives. */
    c->h.waits = agent_waits_new(&c->h);
    if (c->h.waits == NULL) {
        return PH_ENOMEM;
    }
    rc = http_server_start(c->loop, &hopts, collector_on_http, c, &c->h.http, err,
                           sizeof(err));
    if (rc != 0) {
        log_warnx("http: %s", err);
        return rc;
    }
    log_info("listening on %s (port %d), page %s, %zu components, %zu "
             "checks, %zu regions",
             cf->listen, http_server_port(c->h.http), cf->page.id,
             cf->ncomponents, cf->nchecks, cf->nregions);
    if (cf->agent_listen != NULL) {
        log_info("agents and the API also on %s (port %d)",
                 cf->agent_listen, http_server_agent_port(c->h.http));
    }
    if (cf->ha.enabled) {
        rc = collector_ha_start(c, on_lease);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

int
collector_reload(struct collector *c)
{
    struct pharos_conf nc;
    struct pharos_conf old;
    struct conf_errs errs, warns;
    struct engine *ne = NULL;
    struct engine *oe;
    struct feed_component_state *ncomps = NULL;
    struct idmap nids;
    int rc;

    memset(&errs, 0, sizeof(errs));
    memset(&warns, 0, sizeof(warns));
    memset(&nids, 0, sizeof(nids));
    rc = pharos_conf_load_warn(c->h.conf.path, &nc, &errs, &warns);
    if (rc == 0) {
        for (size_t i = 0; i < warns.n; i++) {
            log_warnx("reload: %s", warns.msgs[i]);
        }
        if (c->h.rebuild_rows != NULL) {
            /* Read with the API change that asked for this rebuild (its
             * overrides too: freed once they are restored). */
            rc = components_merge_rows(&nc, c->h.rebuild_rows);
        } else {
            rc = components_merge(&nc, c->h.store);
        }
        if (rc != 0) {
            components_rows_free(c->h.rebuild_rows);
            c->h.rebuild_rows = NULL;
            log_warnx("reload: cannot load the components created through "
                      "the API: %s", ph_strerror(rc));
            pharos_conf_free(&nc);
            return rc;
        }
    } else {
        for (size_t i = 0; i < errs.n; i++) {
            log_warnx("reload: %s", errs.msgs[i]);
        }
        log_warnx("reload: %s has errors; the running configuration stays",
                  c->h.conf.path);
        components_rows_free(c->h.rebuild_rows);
        c->h.rebuild_rows = NULL;
        return rc;
    }
    /* Where the collector listens and stores cannot change while it
     * runs; keep them and say so. */
    if (strcmp(nc.listen, c->h.conf.listen) != 0 ||
        strcmp(nc.agent_listen ? nc.agent_listen : "",
               c->h.conf.agent_listen ? c->h.conf.agent_listen : "") != 0 ||
        strcmp(nc.state_dir, c->h.conf.state_dir) != 0 ||
        strcmp(nc.publish_dir ? nc.publish_dir : "",
               c->h.conf.publish_dir ? c->h.conf.publish_dir : "") != 0 ||
        strcmp(nc.store ? nc.store : "",
               c->h.conf.store ? c->h.conf.store : "") != 0) {
        log_warnx("reload: server.listen, agent_listen, state_dir, "
                  "publish_dir and store take effect at the next restart");
        SWAP_STR(nc.store, c->h.conf.store);
        SWAP_STR(nc.store_password, c->h.conf.store_password);
        SWAP_STR(nc.listen, c->h.conf.listen);
        SWAP_STR(nc.agent_listen, c->h.conf.agent_listen);
        SWAP_STR(nc.state_dir, c->h.conf.state_dir);
        SWAP_STR(nc.publish_dir, c->h.conf.publish_dir);
    }
    /* The lease runs with the ha: it started with. */
    if (nc.ha.enabled != c->h.conf.ha.enabled ||
        nc.ha.lease_ms != c->h.conf.ha.lease_ms ||
        strcmp(nc.ha.database ? nc.ha.database : "",
               c->h.conf.ha.database ? c->h.conf.ha.database : "") != 0 ||
        strcmp(nc.ha.node_id ? nc.ha.node_id : "",
               c->h.conf.ha.node_id ? c->h.conf.ha.node_id : "") != 0) {
        log_warnx("reload: ha: takes effect at the next restart");
    }
    {
        struct conf_ha t = nc.ha;

        nc.ha = c->h.conf.ha;
        c->h.conf.ha = t;
    }
    if (c->h.rollup != NULL && leads(c)) {
        rollup_observe(c->h.rollup, &c->h, time_now_ms(), 1);
    }
    old = c->h.conf;
    c->h.conf = nc;
    ne = build_engine(c);
    ncomps = ph_calloc(nc.ncomponents + 1, sizeof(*ncomps));
    rc = ne == NULL || ncomps == NULL || size_queue(c) != 0 ? PH_ENOMEM : 0;
    if (rc == 0) {
        rc = idmap_init_stride(&nids, nc.checks, nc.nchecks,
                               sizeof(nc.checks[0]),
                               offsetof(struct check, id), 0);
    }
    if (rc != 0) {
        c->h.conf = old;
        engine_destroy(ne);
        ph_free(ncomps);
        pharos_conf_free(&nc);
        components_rows_free(c->h.rebuild_rows);
        c->h.rebuild_rows = NULL;
        log_warnx("reload: %s; the running configuration stays",
                  ph_strerror(rc));
        return rc;
    }
    /* Components that stay keep their status, so a reload is not an
     * outage or a recovery. */
    for (size_t i = 0; i < nc.ncomponents; i++) {
        int o = pharos_conf_component_index(&old, nc.components[i].id);
        if (o >= 0) {
            ncomps[i] = c->h.comps[o];
            engine_restore(ne, (int)i, engine_component_probe(c->h.engine, o),
                           c->h.comps[o].status, 0);
        }
    }
    oe = c->h.engine;
    c->h.engine = ne;
    engine_destroy(oe);
    /* The new engine starts without the precedence layers. */
    hub_restore_overrides(&c->h);
    components_rows_free(c->h.rebuild_rows);
    c->h.rebuild_rows = NULL;
    incidents_reapply(&c->h);
    /* The alert layer is not part of engine_restore(): set it again
     * (rules, groups by component id) before the next tick. */
    intake_reload(&c->h, &old);
    ph_free(c->h.comps);
    c->h.comps = ncomps;
    idmap_free(&c->h.check_ids);
    c->h.check_ids = nids;
    auth_index_agents(&c->h);
    if (ingest_build_plans(&c->h) != 0) {
        log_warnx("reload: cannot rebuild plans; agents keep the old one");
    }
    /* Components may have moved: the leader's accounting carries over
     * by component id (its last checkpoint may not be stored yet); a
     * follower's, stale, restarts from the store. */
    {
        struct rollup *was = c->h.rollup;

        c->h.rollup = NULL;
        if ((leads(c) ? rollup_renew(was, &c->h, time_now_ms(),
                                     &c->h.rollup)
                      : rollup_new(&c->h, time_now_ms(), &c->h.rollup)) !=
            0) {
            log_warnx("reload: uptime accounting stopped (out of memory)");
        }
        rollup_destroy(was);
    }
    {
        char err[256];
        if (publish_load_dir(c->h.publish, c->h.conf.web_dir, err,
                             sizeof(err)) != 0) {
            log_warnx("reload: %s", err);
        }
        if (brand_publish(c->h.publish, &c->h.conf.page, err,
                          sizeof(err)) != 0) {
            log_warnx("reload: %s", err);
        }
    }
    collector_conf_retire(c, &old);
    notify_reload(&c->h);
    notify_staff_sync(&c->h);
    {
        struct http_server_opts hopts;

        http_opts(&c->h.conf, &hopts);
        if (c->h.http != NULL && http_server_update(c->h.http, &hopts) != 0) {
            log_warnx("reload: out of memory: the previous trusted_proxies "
                      "stay");
        }
    }
    log_info("reload: %s: %zu components, %zu checks, %zu agents",
             c->h.conf.path, c->h.conf.ncomponents, c->h.conf.nchecks,
             c->h.conf.nagents);
    mark_dirty(c);
    return 0;
}

static void
noop_close(uv_handle_t *h)
{
    (void)h;
}

void
collector_stop(struct collector *c)
{
    if (c->h.shutting_down) {
        return;
    }
    c->h.shutting_down = 1;
    loop_busy_stop(&c->h.metrics.loop_busy);
    /* Commit and ack what agents sent before the server goes (on
     * PostgreSQL what that queues still goes to the worker, after what
     * it has); then the worker runs what is queued, in order, and later
     * writes run on the loop's own connection. */
    if (c->h.store != NULL && c->calls_writer == NULL) {
        store_set_async_writer(c->h.store, NULL);
    }
    store_writer_stop(c->h.writer);
    c->h.writer = NULL;
    if (c->h.store != NULL) {
        store_set_async_writer(c->h.store, NULL);
    }
    store_writer_stop(c->calls_writer);
    c->calls_writer = NULL;
    if (c->h.rollup != NULL && leads(c)) {
        rollup_observe(c->h.rollup, &c->h, time_now_ms(), 1);
    }
    /* Stop acting, then hand the lease back so a follower takes over
     * without waiting for it to run out. */
    c->h.role.leading = 0;
    collector_ha_stop(c);
    deferred_stop(c->h.deferred);
    c->h.deferred = NULL;
    /* Answer the held re-check requests before the server goes. */
    agent_waits_close(c->h.waits);
    c->h.waits = NULL;
    http_server_stop(c->h.http);
    c->h.http = NULL;
    notify_stop(&c->h);
    /* A render in progress on the worker is swapped in first. */
    render_worker_stop(c->renderw);
    c->renderw = NULL;
    if (uv_is_active((uv_handle_t *)&c->publish_timer) || c->dirty ||
        c->results_dirty) {
        c->dirty = 0;
        c->results_dirty = 0;
        collector_render_all(c); /* flush the last state before exiting */
    }
    /* The writer thread writes what it still holds, then ends. */
    publish_writer_stop(c->pubw);
    c->pubw = NULL;
    if (c->tick_timer.loop != NULL) {
        uv_close((uv_handle_t *)&c->tick_timer, noop_close);
        uv_close((uv_handle_t *)&c->publish_timer, noop_close);
        uv_close((uv_handle_t *)&c->eval_timer, noop_close);
    }
}

/* Frees what collector_start() built; call after the loop has stopped. */
void
collector_free(struct collector *c)
{
    rollup_destroy(c->h.rollup);
    c->h.rollup = NULL;
    incidents_free(&c->h);
    components_rows_free(c->h.rebuild_rows);
    c->h.rebuild_rows = NULL;
    intake_free(&c->h);
    notify_free(&c->h);
    engine_destroy(c->h.engine);
    store_close(c->h.store);
    publish_writer_stop(c->pubw);
    c->pubw = NULL;
    publish_destroy(c->h.publish);
    idmap_free(&c->h.check_ids);
    admin_free_agents(&c->h);
    admin_free_keys(&c->h);
    auth_index_free(&c->h);
    access_free(&c->h);
    ph_free(c->h.plans);
    recheck_destroy(c->h.recheck);
    ph_free(c->h.comps);
    ph_free(c->h.v1_components.text);
    c->h.v1_components.text = NULL;
    ph_free(c->tq);
    c->tq = NULL;
    for (size_t i = 0; i < c->nretired; i++) {
        pharos_conf_free(&c->retired[i]);
    }
    ph_free(c->retired);
    c->retired = NULL;
    c->nretired = 0;
    pharos_conf_free(&c->h.conf);
    c->h.engine = NULL;
    c->h.store = NULL;
    c->h.publish = NULL;
    c->h.plans = NULL;
    c->h.comps = NULL;
}
