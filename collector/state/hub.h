/*
 * hub.h - the narrow handle of the collector's core: the shared state that
 * route handlers, services (incidents, notifications, rollups, the alert
 * intake) and transition listeners work on, and the requests they may
 * make of the driver. It holds no loop handle of the driver's, no HTTP
 * server and no listener table: a module holding a struct hub can ask
 * for an evaluation or a publish, never run one (collector.c does).
 *
 * Everything runs on the collector's one libuv loop; nothing is locked.
 * Components, checks and regions are named by index into hub->conf, and
 * incidents by id (incidents.h), never by a pointer into a moving array.
 */
#ifndef PH_HUB_H
#define PH_HUB_H

#include <stdint.h>
#include <uv.h>

#include "complain.h"
#include "engine.h"
#include "feed.h"
#include "idmap.h"
#include "loop_busy.h"
#include "pharos_conf.h"

struct store;
struct store_writer;
struct incident;
struct publish;
struct intake;
struct notify;
struct rollup;
struct http_server;
struct access;
struct forward;
struct deferred;
struct components_rows;
struct agent_waits;

/* HTTP requests by route and status for /metrics (the route table names
 * each row's group). */
enum http_route {
    ROUTE_FEED, ROUTE_PAGE, ROUTE_AGENT, ROUTE_V1, ROUTE_ADMIN,
    ROUTE_INTAKE, ROUTE_SUBSCRIBE, ROUTE_OPS, ROUTE_OTHER, ROUTE_COUNT_
};
#define HTTP_CODE_SLOTS 16   /* request_code_slot() */

struct collector_metrics {
    struct loop_busy loop_busy;   /* busy time per loop iteration */
    uint64_t http_by_route[ROUTE_COUNT_][HTTP_CODE_SLOTS];
    uint64_t results_ingested;
    uint64_t batches_ingested;
    uint64_t forwarded;           /* writes a follower sent the leader */
    uint64_t recheck_requests;    /* re-checks decided (issue #20) */
    uint64_t recheck_sent;        /* re-check ids sent in acks */
    uint64_t recheck_sent_held;   /* ... through held requests */
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
    uint64_t mass_failures;      /* regions that entered a mass failure */
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
    /* PagerDuty / Opsgenie events (enum hooks_source) by outcome:
     * enum hooks_result, then HUB_HOOK_REJECTED (signature, token,
     * malformed or stale: refused before anything was looked up). */
#define HUB_HOOK_REJECTED 4
    uint64_t hook_events[2][5];
    /* What /metrics shows from the store, as last read (metrics.c:
     * on PostgreSQL refreshed off the loop, one scrape behind). */
    int agents_stale_known;
    uint64_t agents_stale;
    int64_t outbox_backlog;
    int store_read_pending;
    uint64_t store_reads;      /* of the two above: completed reads */
};

/* Who acts on the shared state. Only the wiring (collector.c) writes
 * it, from the leader lease (collector/ha/lease.h); /healthz, /metrics
 * and the services read it. Without `ha:` the collector leads alone. */
struct hub_role {
    int ha;                       /* `ha:` configured */
    int leading;                  /* may act: evaluate, automate, send */
    uint64_t epoch;               /* the lease's fencing epoch (0: none) */
    int64_t since_ms;             /* wall clock of the last change */
    int db_ok;                    /* the lease's database answers */
    int shared_store;             /* every collector writes one database
                                     (store: postgresql): a follower
                                     forwards API writes to the leader */
    /* The documents a follower serves come from the leader through the
     * database (collector/ha/docshare.c): when it last had them, and
     * since when it has been cut off (0: in step). */
    int64_t docs_synced_ms;
    int64_t docs_stale_since_ms;
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
    uint32_t type_mask;           /* 1u << type of each type it holds */
};

/*
 * A transition listener (collector_listen() registers it at start, as
 * collectd's plugin_register_* do). After every evaluation the driver
 * hands each listener, in registration order, the transitions of that
 * evaluation (n may be 0: the evaluation itself is news to the uptime
 * rollup). Listeners may change incidents and request another
 * evaluation; they never run one.
 */
typedef void (*transition_listener_cb)(void *arg,
                                       const struct engine_transition *t,
                                       size_t n, int64_t now_ms);

/* What a module may ask of the driver. */
enum hub_want {
    HUB_EVALUATE,        /* before the current reply, or next iteration */
    HUB_EVALUATE_SOON,   /* within EVALUATE_DELAY_MS, batched */
    HUB_PUBLISH,         /* re-render the public documents (debounced) */
    HUB_REBUILD,         /* components changed in the store: rebuild the
                            configuration (file + store) before the reply */
};
typedef void (*hub_want_cb)(void *arg, enum hub_want what);

/* An API document rendered from the shared state, kept while nothing it
 * shows can have changed (api_v1.c). */
struct hub_doc_cache {
    char *text;                   /* owned; NULL = none */
    size_t len;
    uint64_t gen;                 /* hub->feed_gen it was rendered at */
    int64_t at_ms;                /* time_mono_ms() of the render */
};

struct hub {
    uv_loop_t *loop;              /* for services with I/O (notify) */
    struct pharos_conf conf;      /* replaced whole on reload */
    struct store *store;
    struct store_writer *writer;  /* agent batches, committed off-loop */
    struct engine *engine;
    struct publish *publish;      /* read only here: ops.c serves it */
    struct http_server *http;     /* the wiring's; /metrics reads stats */
    struct notify *notify;        /* subscriptions and delivery */

    struct idmap check_ids;       /* check id -> index in conf.checks */
    struct conf_agent *db_agents; /* added at run time, not revoked */
    size_t ndb_agents;
    struct idmap agent_tokens;    /* conf.agents' token_sha256 -> index */
    struct idmap db_agent_tokens; /* db_agents' token_sha256 -> index */
    struct conf_api_key *db_keys; /* API keys added at run time */
    size_t ndb_keys;
    struct auth_bucket rate[AUTH_RATE_SLOTS]; /* per-key request budget */
    struct region_plan *plans;    /* conf.nregions entries */
    struct recheck *recheck;      /* cross-region re-checks (ingest.c) */
    struct agent_waits *waits;    /* held re-check requests (agent_wait.c) */
    struct feed_component_state *comps; /* conf.ncomponents entries */
    struct rollup *rollup;        /* daily uptime per component */
    struct incident *incidents;   /* newest first, see incidents.h */
    size_t nincidents;
    struct intake *intake;        /* alert groups and rules (intake.c) */
    struct access *access;        /* session key, viewers (access.c) */

    int64_t created_at_ms;        /* first start of this database */
    int64_t started_ms;           /* this process, monotonic clock */
    int shutting_down;
    int eval_requested;           /* a change waits for an evaluation */
    int rebuild_failed;           /* the last HUB_REBUILD kept the old
                                     configuration (pharos.yml has errors) */
    /* The API's components and groups as read with the change that asks
     * for a HUB_REBUILD (off the loop, components.h): the rebuild takes
     * them instead of reading the store. NULL: it reads the store. */
    struct components_rows *rebuild_rows;
    struct hub_role role;         /* leader or follower (collector.c) */
    /* HA: a follower forwards API writes to the leader (forward.c), at
     * the URL the wiring reads from the database (NULL without ha:). */
    struct forward *forward;
    /* Requests parked while their store work runs on the writer thread
     * (collector/api/deferred.h); NULL: everything runs at once. */
    struct deferred *deferred;
    const char *(*leader_url)(void *arg);
    void *leader_url_arg;
    struct collector_metrics metrics;
    struct complain bad_batch_complaint;
    struct complain auth_complaint;
    struct complain rate_complaint;
    struct complain store_complaint;

    hub_want_cb want;             /* the driver's, set before any use */
    void *want_arg;

    /* Bumped by the driver whenever the public documents must be
     * rendered again (every status, component, incident or
     * configuration change asks for that): a document rendered at the
     * same value shows the same state. */
    uint64_t feed_gen;
    struct hub_doc_cache v1_components; /* GET /v1/pages/<id>/components */
};

/* Evaluation and publish requests (see enum hub_want). */
void hub_request_evaluate(struct hub *h);
void hub_request_evaluate_soon(struct hub *h);
void hub_mark_dirty(struct hub *h);

/* Sets (status >= 0) or clears (status -1) the manual override of a
 * component, kept in the store across restarts; expires_ms 0 = until
 * cleared. Takes effect at the next evaluation, which it requests. */
void hub_set_override(struct hub *h, int component, int status,
                      int64_t expires_ms);
/* Only stores the override of component_id (applied by the next
 * hub_restore_overrides: a component that is not loaded yet). */
void hub_keep_override(struct hub *h, const char *component_id, int status,
                       int64_t expires_ms);
/* Re-applies the stored overrides (at start and after a reload). */
void hub_restore_overrides(struct hub *h);

#endif
