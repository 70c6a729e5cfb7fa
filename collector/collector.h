/*
 * collector.h - the collector process: the wiring (Redis server.h idea:
 * one place to see what the daemon holds). It owns the loop's handles,
 * the HTTP server, the listener table and the one evaluation driver;
 * the state every module shares is the narrow handle in c->h (hub.h).
 * A request made while an HTTP request is handled is evaluated before
 * that request's reply is sent; any other on the next loop iteration.
 * Everything runs on the one libuv loop; nothing here is locked.
 */
#ifndef PH_COLLECTOR_H
#define PH_COLLECTOR_H

#include <stdint.h>
#include <uv.h>

#include "hub.h"

struct http_server;
struct lease;

#define COLLECTOR_MAX_LISTENERS 8
struct transition_listener {
    const char *name;
    transition_listener_cb fn;
    void *arg;
};

/* Replaced configurations kept for a render in progress; past this
 * many, a reload waits for that render (see collector_conf_retire()).
 * A burst of API creates retires one every few tens of ms, while a
 * render of a large page takes a few hundred. */
#define COLLECTOR_RETIRED_MAX 64

struct collector {
    uv_loop_t *loop;
    char *conf_path;
    struct hub h;                 /* what handlers and listeners see */
    unsigned store_flags;         /* STORE_OPEN_* from the command line */

    int64_t last_full_publish_ms; /* monotonic */
    int64_t last_prune_ms;        /* monotonic */
    int64_t last_refresh_ms;      /* monotonic: a follower's reload of
                                     run-time agents and keys */
    int refresh_pinging;          /* its store_ping_async() is out */
    int reload_wanted;            /* SIGHUP waits for the database */
    int reload_pinging;           /* its store_ping_async() is out */
    int reload_said_wait;         /* "reload waits" logged once */
    int64_t reload_ping_ms;       /* monotonic: when that ping left */
    int takeover_wanted;          /* the lease is ours; the takeover's
                                     reads wait for the database */
    int takeover_pinging;         /* its store_ping_async() is out */
    int takeover_said_wait;       /* "takeover waits" logged once */
    int dirty;                    /* public documents need re-rendering */
    int refresh_only;             /* ... only because time went by */
    int results_dirty;            /* regions.json needs it (new results) */
    int evaluating;               /* inside the driver (no re-entry) */
    int rebuild_wanted;           /* HUB_REBUILD: an API component change */
    struct engine_transition *tq; /* this evaluation's transitions */
    size_t ntq, tq_cap;           /* cap: one per component */
    struct transition_listener listeners[COLLECTOR_MAX_LISTENERS];
    size_t nlisteners;
    uint64_t evaluated_results;   /* results_ingested at the last evaluation */
    int64_t last_eval_render_ms;  /* monotonic */
    int64_t clock_wall_ms;        /* both clocks at the last evaluation: */
    int64_t clock_mono_ms;        /* a wall clock step shows between them */

    uv_timer_t tick_timer;        /* engine ticks + periodic publish */
    uv_timer_t publish_timer;     /* debounced publish after changes */
    uv_timer_t eval_timer;        /* debounced evaluation after ingest */
    int eval_pending;
    uv_signal_t sigint;
    uv_signal_t sigterm;
    uv_signal_t sighup;
    struct lease *lease;          /* ha: only; frees itself when stopped */
    struct store_writer *calls_writer; /* PostgreSQL: the loop's own store
                                          calls (store_async*.h) on their
                                          own thread and connection */
    struct docshare *docshare;    /* ha: only: the leader's documents */
    struct publish_writer *pubw;  /* writes publish_dir off the loop;
                                     NULL without one (a private page) */
    struct render_worker *renderw; /* renders the documents off the loop */
    uint64_t render_seq;          /* the last render started */
    uint64_t render_applied;      /* the newest render swapped in */
    int render_again;             /* asked while the worker was busy */
    int render_again_set;         /* what to render then (enum render_set,
                                   * collector_publish.c) */
    int64_t uptime_at_ms;         /* uptime.json's last render (monotonic) */
    int64_t uptime_cost_ms;       /* ... and how long it took */
    /* Configurations a reload replaced while a render on the worker
     * still read them (its snapshot's shallow copy): freed when it ends. */
    struct pharos_conf *retired;
    size_t nretired, retired_cap;
};

/* Sets up everything from c->h.conf (already loaded) and starts serving.
 * Returns 0 or PH_E* after logging why. */
int collector_start(struct collector *c);
/* Stops serving and closes the collector's handles (publishing the last
 * state first); the loop then runs dry. */
void collector_stop(struct collector *c);
/* Re-reads the config file (SIGHUP). On any error the running config
 * stays and the errors are logged. Returns 0 or PH_E*. */
int collector_reload(struct collector *c);
/* Frees what collector_start() built; call after uv_run() returned. */
void collector_free(struct collector *c);

/* Registers a transition listener (at start, before the first
 * evaluation). Returns 0 or PH_ETOOBIG past COLLECTOR_MAX_LISTENERS. */
int collector_listen(struct collector *c, const char *name,
                     transition_listener_cb fn, void *arg);
/* collector_ha.c: what `ha:` adds (docshare, forwarding, the lease,
 * whose changes go to on_lease); stop hands the lease back. */
int collector_ha_start(struct collector *c,
                       void (*on_lease)(void *arg, int leader,
                                        uint64_t epoch));
void collector_ha_stop(struct collector *c);
/* Run-time agents, API keys and page viewers again from a shared store
 * (what another collector wrote there), on the loop's connection.
 * Failures are logged; what is in memory stays. */
void collector_ha_refresh_access(struct collector *c);
/* A follower's tick: every 2 s, that reload, made only right after the
 * worker thread found the database answering (store_ping_async()). */
void collector_ha_refresh(struct collector *c, int64_t now_mono_ms);
/* SIGHUP: collector_reload(), which reads the components made through
 * the API on the loop's connection; on PostgreSQL only right after the
 * worker thread found the database answering, asked again every tick
 * (collector_reload_try()) until it does. On sqlite at once. */
void collector_reload_soon(struct collector *c);
void collector_reload_try(struct collector *c, int64_t now_mono_ms);
/* A new leader on a shared store takes over what the old leader wrote
 * there: agents, keys, viewers, the components made through the API
 * (a rebuild, as after an API write) and the incidents (on the loop's
 * connection). */
void collector_ha_reload_shared(struct collector *c);
/* The lease became ours: restore from the store (that reload, the
 * statuses, overrides and uptime), then lead (collector.c). */
void collector_take_over(struct collector *c);
/* The same, on PostgreSQL once the worker thread has found the database
 * answering (a ping; asked again every tick until it does, for as long
 * as the lease is ours), so the takeover's reads do not wait on the
 * loop for a database that hangs. At once on sqlite. */
void collector_take_over_soon(struct collector *c);
void collector_take_over_try(struct collector *c, int64_t now_mono_ms);

/* collector_publish.c: every public document, or only those new
 * results change (regions.json); then shared under `ha:`. render_all
 * and render_results render on the loop (the documents are current when
 * they return); collector_render() renders on the worker thread from a
 * copy and swaps the documents in when it is done. */
void collector_render_all(struct collector *c);
/* The one evaluation driver (collector.c), for collector_http.c. */
void collector_evaluate(struct collector *c);
/* collector_http.c: the HTTP callback (arg: the collector), and its tail
 * after a handler, also for a reply finished off the loop (deferred.h's
 * tail callback). Loop thread. */
struct api_req;
struct http_request;
struct http_response;
void collector_on_http(struct http_request *req, struct http_response *resp,
                       void *arg);
void collector_finish_request(void *arg, struct api_req *rq,
                              struct http_request *req,
                              struct http_response *resp);
void collector_render_results(struct collector *c);
enum collector_render_kind {
    COLLECTOR_RENDER_RESULTS, /* new results alone: regions.json */
    COLLECTOR_RENDER_FULL,    /* something changed: every document */
    /* Nothing changed but the time: every document, but uptime.json only
     * when due (its render is most of a full one, and grows with the
     * page: see UPTIME_DUTY in collector_publish.c). */
    COLLECTOR_RENDER_REFRESH,
};
void collector_render(struct collector *c, enum collector_render_kind kind);
/* Before the reply to a write that promises read-your-writes: the
 * documents about now (all but uptime.json) on the loop, current when it
 * returns; then every document on the worker, uptime.json with them. */
void collector_render_sync(struct collector *c);
/* Takes old (a configuration a reload replaced): freed at once when no
 * render runs on the worker, else when it ends. The render then in
 * progress is not swapped in (it shows the configuration before), and
 * a full one follows it. */
void collector_conf_retire(struct collector *c, struct pharos_conf *old);

/* collector_retention.c: one retention run (leader only). */
void collector_prune(struct collector *c);

#endif
