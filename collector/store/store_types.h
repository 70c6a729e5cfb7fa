/*
 * store_types.h - the types of the store's interface (rows, callbacks,
 * limits), apart from its functions (store.h), so that the backends'
 * headers (store_sq.h, store_pg.h) need not include the interface they
 * sit behind.
 */
#ifndef PH_STORE_TYPES_H
#define PH_STORE_TYPES_H

#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "incident.h"
#include "uptime.h"

struct store;

/* store_open flags. */
#define STORE_OPEN_INIT_EMPTY 0x1 /* an existing empty file is a new database */
/* A second connection for the writer thread (store_writer.c): no file
 * checks, no migrations, no acked record (the first connection did them). */
#define STORE_OPEN_WRITER 0x2

struct store_writer;

/* One agent batch on its way to the writer thread (store_writer.h):
 * what store_insert_batch() and store_agent_touch() take, owned. */
struct store_batch {
    struct store_batch *next;
    char agent_id[CHECK_ID_MAX];
    char region[CHECK_ID_MAX];
    char version[64];
    uint64_t seq;
    uint64_t plan_version;
    uint64_t backlog;
    struct check_result *results;  /* owned (ph_malloc) */
    size_t n;
    int64_t now_ms;
    int result;                    /* 0, PH_EEXIST (replay) or PH_EDB */
    void (*done)(struct store_batch *b, void *arg); /* on the loop */
    void *arg;
};

struct store_agent_row {
    const char *agent_id;
    const char *region;
    const char *version;
    uint64_t last_seq;
    uint64_t plan_version;
    uint64_t backlog;
    int64_t last_contact_ms;
    int64_t results;
};
typedef int (*store_agent_cb)(const struct store_agent_row *row, void *arg);

struct store_transition_row {
    const char *component_id;
    const char *old_status;
    const char *new_status;
    const char *source;
    const char *reason;
    int64_t at_ms;
};
typedef int (*store_transition_cb)(const struct store_transition_row *row,
                                   void *arg);

/*
 * Response-time rollups (store_latency.c; migration 0012). Each
 * connection that stores result batches keeps what they added since its
 * last flush (per check, region and bucket of LAT_PERIOD_FINE and
 * LAT_PERIOD_HOURLY seconds, up and slow results only: a down result's
 * latency is a timeout or an error, not a response time) and merges it
 * into the stored rows inside a later batch's transaction, at most every
 * STORE_LATENCY_FLUSH_MS, so the rollups cost a row write per (check,
 * region, period) touched in that time, not per result. A kill -9 loses
 * nothing: the last flushed result row is recorded with the flush, and
 * the writer connection adds the rows after it when it opens.
 */
#define STORE_LATENCY_FLUSH_MS 10000

struct store_latency_row {
    const char *region;       /* borrowed for the callback */
    int64_t bucket_ms;        /* start of the bucket */
    uint32_t n;               /* up and slow results in it */
    uint32_t p50_ms, p95_ms, max_ms;
};
typedef int (*store_latency_cb)(const struct store_latency_row *row,
                                void *arg);
struct store_agent_token_row {
    const char *agent_id;
    const char *region;
    const char *token_sha256;
    int64_t created_ms;
    int64_t revoked_ms;       /* 0 when active */
};
typedef int (*store_agent_token_cb)(const struct store_agent_token_row *row,
                                    void *arg);
/* Calls cb with each of the newest max incidents, newest first; cb takes
 * ownership of what *inc holds (it may move the struct). A non-zero return
 * from cb stops the walk and is returned. */
typedef int (*store_incident_cb)(struct incident *inc, void *arg);
struct store_api_key_row {
    const char *name;
    const char *scope;
    const char *token_sha256;
    int64_t created_ms;
    int64_t revoked_ms;       /* 0 when active */
};
typedef int (*store_api_key_cb)(const struct store_api_key_row *row,
                                void *arg);
struct store_viewer_row {
    const char *name;
    const char *token_sha256;
    int64_t created_ms;
    int64_t revoked_ms;       /* 0 when active */
};
typedef int (*store_viewer_cb)(const struct store_viewer_row *row,
                               void *arg);

/* Components and groups created through the v1 API
 * (store_components.c). put inserts or replaces the whole row (created_ms
 * is kept on replace); delete gives PH_ENOENT for an unknown id. Lists
 * are in creation order; strings are borrowed for the callback. */
struct store_component_row {
    const char *id;
    const char *name;
    const char *description;  /* may be NULL */
    const char *group_id;     /* may be NULL */
    int showcase;
    int only_show_if_degraded;
    const char *start_date;   /* may be NULL */
    int internal;
    int64_t created_ms;
    int64_t updated_ms;
};
typedef int (*store_component_cb)(const struct store_component_row *row,
                                  void *arg);
struct store_group_row {
    const char *id;
    const char *name;
    const char *description;  /* may be NULL */
    int64_t created_ms;
    int64_t updated_ms;
};
typedef int (*store_group_cb)(const struct store_group_row *row, void *arg);

/* Links of PagerDuty / Opsgenie incidents to Pharos incidents and the
 * event ids seen recently (store_hooks.c, migrations/0010). */
struct store_hook_link {
    char incident_id[13];     /* INC_ID_LEN + 1; "" for a tombstone */
    char url[520];            /* the tool's page; audit only */
    int state;                /* enum hook_link_state */
    unsigned flags;           /* HOOK_FLAG_* */
};
struct store_audit_row {
    int64_t id;
    int64_t at_ms;
    const char *actor;
    const char *action;
    const char *target;
    const char *detail;
    int status;
};
typedef int (*store_audit_cb)(const struct store_audit_row *row, void *arg);

/* ---- Subscribers and the notification outbox (store_notify.c) ---- */

#define STORE_SUB_ID_MAX 16
#define STORE_SUB_COMPONENTS_MAX 4096
#define STORE_SUB_SECRET_MAX 96
#define STORE_SUB_ADDRESS_MAX 2048

struct store_subscriber {
    char id[STORE_SUB_ID_MAX];
    char kind[12];                 /* email | webhook | slack */
    char address[STORE_SUB_ADDRESS_MAX + 1];
    char components[STORE_SUB_COMPONENTS_MAX]; /* space-separated; "" all */
    char secret[STORE_SUB_SECRET_MAX];         /* webhook only */
    char state[16];                /* pending|active|quarantined|unsubscribed */
    int64_t created_ms;
    int64_t updated_ms;
    int64_t confirmed_ms;
    uint32_t fails;                /* consecutive failed deliveries */
    int64_t failing_since_ms;
    char last_error[256];
};
typedef int (*store_sub_cb)(const struct store_subscriber *sub, void *arg);

struct store_outbox_new {
    const char *idem_key;          /* "<event id>:<subscriber id>" */
    const char *msg_id;
    const char *subscriber_id;
    const char *event;
    const char *coalesce_key;      /* NULL: never coalesced */
    const char *payload;
    int64_t now_ms;
    int64_t due_ms;
};

struct store_outbox_row {
    int64_t id;
    const char *msg_id;
    const char *event;
    const char *payload;
    uint32_t attempts;
    int64_t created_ms;
    const char *sub_id;
    const char *kind;
    const char *address;
    const char *secret;
};
typedef int (*store_outbox_cb)(const struct store_outbox_row *row,
                               void *arg);


#endif
