/*
 * collector.h - the collector process: one struct owning the loop, the
 * configuration, the store, the engine, the HTTP server and the published
 * documents (Redis server.h idea: one place to see what the daemon holds).
 * Everything runs on the one libuv loop; nothing here is locked.
 */
#ifndef PH_COLLECTOR_H
#define PH_COLLECTOR_H

#include <stdint.h>
#include <uv.h>

#include "complain.h"
#include "engine.h"
#include "feed.h"
#include "idmap.h"
#include "pharos_conf.h"

struct store;
struct incident;
struct http_server;
struct publish;
struct intake;

/* HTTP requests by route and status for /metrics (routes.c names them). */
enum http_route {
    ROUTE_FEED, ROUTE_PAGE, ROUTE_AGENT, ROUTE_V1, ROUTE_ADMIN,
    ROUTE_INTAKE, ROUTE_SUBSCRIBE, ROUTE_OPS, ROUTE_OTHER, ROUTE_COUNT_
};
#define HTTP_CODE_SLOTS 16   /* metrics_code_slot() */
struct notify;

struct collector_metrics {
    uint64_t http_by_route[ROUTE_COUNT_][HTTP_CODE_SLOTS];
    uint64_t results_ingested;
    uint64_t batches_ingested;
    uint64_t batches_duplicate;
    uint64_t batches_rejected;
    uint64_t results_unknown_check;
    uint64_t batches_out_of_window; /* results dated outside the window */
    uint64_t agent_region_unknown;  /* agent requests for a removed region */
    uint64_t auth_failures;
    uint64_t rate_limited;
    uint64_t http_requests;
    uint64_t plans_served;
    uint64_t plans_not_modified;
    uint64_t transitions;
    uint64_t publishes;
    uint64_t publish_errors;
    int64_t last_publish_ms;     /* duration of the last publish */
    uint64_t alert_payloads;     /* accepted intake payloads */
    uint64_t alert_payloads_rejected;
    uint64_t alerts_received;    /* alerts in accepted payloads */
    uint64_t alerts_mapped;      /* of those, matched by a rule */
    /* notifications by channel (notify_kind) and result */
    uint64_t notify_delivered[3];
    uint64_t notify_failed[3];   /* failed attempts that will be retried */
    uint64_t notify_gave_up[3];  /* given up, permanently refused */
    uint64_t notify_blocked[3];  /* refused by the private-address guard */
    uint64_t notify_enqueued[3];
    uint64_t subscribe_rejected; /* public sign-ups refused by rate limit */
};

/* A token bucket per API key (auth.c): api_rate_limit requests per
 * minute, bursts up to the same number. */
#define AUTH_RATE_SLOTS 64
struct auth_bucket {
    char key[64];            /* key name; "" = free slot */
    double tokens;
    int64_t last_ms;         /* monotonic */
};

/* The encoded plan of one region, rebuilt when the config changes. */
struct region_plan {
    uint64_t version;
    char etag[24];
};

/*
 * A transition listener, registered at start (collectd's
 * plugin_register_* idea). After every evaluation the driver hands each
 * listener, in registration order, the transitions of that evaluation
 * (n may be 0: the evaluation itself is news to the uptime rollup).
 * Listeners may change incidents and request another evaluation; they
 * never run one.
 */
typedef void (*transition_listener_cb)(void *arg,
                                       const struct engine_transition *t,
                                       size_t n, int64_t now_ms);
#define COLLECTOR_MAX_LISTENERS 8
struct transition_listener {
    const char *name;
    transition_listener_cb fn;
    void *arg;
};

struct collector {
    uv_loop_t *loop;
    char *conf_path;
    struct pharos_conf conf;
    struct store *store;
    struct engine *engine;
    struct http_server *http;
    struct publish *publish;
    struct notify *notify;        /* subscriptions and delivery */

    struct idmap check_ids;       /* check id -> index in conf.checks */
    struct conf_agent *db_agents; /* added at run time, not revoked */
    size_t ndb_agents;
    struct conf_api_key *db_keys; /* API keys added at run time */
    size_t ndb_keys;
    struct auth_bucket rate[AUTH_RATE_SLOTS]; /* per-key request budget */
    struct region_plan *plans;    /* conf.nregions entries */
    struct feed_component_state *comps; /* conf.ncomponents entries */
    struct rollup *rollup;        /* daily uptime per component */
    struct incident *incidents;   /* newest first, see incidents.h */
    size_t nincidents;
    struct intake *intake;        /* alert groups and rules (intake.c) */

    int64_t created_at_ms;        /* first start of this database */
    int64_t started_ms;
    int64_t last_full_publish_ms; /* monotonic */
    int64_t last_prune_ms;        /* monotonic */
    int dirty;                    /* public documents need re-rendering */
    int eval_requested;           /* a change waits for an evaluation */
    int evaluating;               /* inside the driver (no re-entry) */
    struct engine_transition *tq; /* this evaluation's transitions */
    size_t ntq, tq_cap;           /* cap: one per component */
    struct transition_listener listeners[COLLECTOR_MAX_LISTENERS];
    size_t nlisteners;
    uint64_t evaluated_results;   /* results_ingested at the last evaluation */
    int64_t last_eval_render_ms;  /* monotonic */
    int shutting_down;
    unsigned store_flags;         /* STORE_OPEN_* from the command line */
    struct collector_metrics metrics;
    struct complain bad_batch_complaint;
    struct complain auth_complaint;
    struct complain rate_complaint;
    struct complain store_complaint;

    uv_timer_t tick_timer;        /* engine ticks + periodic publish */
    uv_timer_t publish_timer;     /* debounced publish after changes */
    uv_timer_t eval_timer;        /* debounced evaluation after ingest */
    int eval_pending;
    uv_signal_t sigint;
    uv_signal_t sigterm;
    uv_signal_t sighup;
};

/* Sets up everything from c->conf (already loaded) and starts serving.
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

/*
 * Evaluation requests. collector.c is the one place that runs the state
 * engine: handlers and listeners only ask. A request made while an HTTP
 * request is handled is evaluated before that request's reply is sent;
 * any other runs on the next loop iteration. The "soon" form waits
 * EVALUATE_DELAY_MS so that many agent batches cost one evaluation.
 */
void collector_request_evaluate(struct collector *c);
void collector_request_evaluate_soon(struct collector *c);
/* Registers a transition listener (at start, before the first
 * evaluation). Returns 0 or PH_ETOOBIG past COLLECTOR_MAX_LISTENERS. */
int collector_listen(struct collector *c, const char *name,
                     transition_listener_cb fn, void *arg);
/* The snapshot the feed renders from. */
void collector_feed_input(struct collector *c, struct feed_input *in);
/* Sets (status >= 0) or clears (status -1) the manual override of a
 * component, kept in the store across restarts; expires_ms 0 = until
 * cleared. Takes effect at the next evaluation. */
void collector_set_override(struct collector *c, int component, int status,
                            int64_t expires_ms);
/* Re-applies the stored overrides (at start). */
void collector_restore_overrides(struct collector *c);
/* Marks public documents stale; they are rebuilt within ~100 ms. */
void collector_mark_dirty(struct collector *c);

#endif
