/*
 * admin.h - Pharos's own admin endpoints (beside the Statuspage API):
 *
 *   GET    /v1/agents          list agents with liveness (read scope)
 *   POST   /v1/agents          create {"id","region"}; the token is in the
 *                              reply once and only its hash is kept (admin)
 *   DELETE /v1/agents/<id>     revoke: its next request gets 401 (admin)
 *
 * and, in admin_keys.c, the API keys created at run time:
 *
 *   GET    /v1/keys            names and scopes, never the keys (admin)
 *   POST   /v1/keys            {"name","scope"}: the key in the reply once
 *   DELETE /v1/keys/<name>     revoke: its next request gets 401
 */
#ifndef PH_ADMIN_H
#define PH_ADMIN_H

#include "hub.h"
#include "request.h"
#include "token.h"

/* Agents with no contact for this long are listed as stale. */
#define ADMIN_AGENT_STALE_MS 60000

/* Route handlers of /v1/agents (routes.c: scopes and methods). */
void admin_agents_list(struct api_req *rq, struct http_request *req,
                       struct http_response *resp);
void admin_agents_create(struct api_req *rq, struct http_request *req,
                         struct http_response *resp);
void admin_agents_revoke(struct api_req *rq, struct http_request *req,
                         struct http_response *resp);

/* Loads the run-time agents (not revoked) from the store into
 * h->db_agents. Returns 0 or PH_E*. */
int admin_load_agents(struct hub *h);
void admin_free_agents(struct hub *h);

/* What /v1/agents, /v1/keys and /v1/viewers share: a credential made
 * at run time, which may also be defined in the config file. Writes run
 * their store work through deferred.h: the write, then the active list
 * read again (read, on the writer thread on PostgreSQL: it touches only
 * db and what it returns), then installed on the loop. */
struct admin_write;
struct admin_kind {
    const char *noun;                               /* "agent", "key" */
    int (*in_config)(const struct hub *h, const char *id);
    int (*revoke)(struct store *s, const char *id, int64_t now_ms);
    int (*add)(struct store *s, const struct admin_write *w);
    /* The active ones into a new list (*ret), given to install (takes
     * it) or drop. */
    int (*read)(struct store *s, void **ret);
    void (*install)(struct hub *h, void *list);
    void (*drop)(void *list);
    const char *exists;                             /* 409 text of add */
};

/* One write: add (id, extra, hash) or revoke id. */
struct admin_write {
    const struct admin_kind *k;
    int revoke;
    char id[128];            /* agent id, key or viewer name */
    char extra[64];          /* agent region, key scope */
    char hash[TOKEN_HASH_HEX];
    int64_t now_ms;
    json_t *reply;           /* add: the 201 body (holds the secret) */
    char logline[256];       /* logged once stored */
    void *list;              /* read after the write */
};

/* Runs w (taken): 409 with k->exists for a name taken, 404 for no such
 * active one to revoke, 503/500 when the store fails, else the list
 * installed and 201 with w->reply or 204. */
void admin_write_run(struct api_req *rq, struct http_request *req,
                     struct http_response *resp, struct admin_write *w);
/* Revokes id: 409 if the config defines it, 404 if not active, else 204
 * (and the in-memory list re-read). */
void admin_revoke(struct api_req *rq, struct http_request *req,
                  const struct admin_kind *k, struct http_response *resp);
/* k->read then k->install on the loop's connection (at start). */
int admin_load(struct hub *h, const struct admin_kind *k);

/* Names of keys and viewers: 1 to ADMIN_NAME_MAX - 1 characters of
 * [A-Za-z0-9._@-]. */
#define ADMIN_NAME_MAX 64
int admin_name_valid(const char *s);

/* Route handlers of /v1/keys (admin_keys.c). */
void admin_keys_list(struct api_req *rq, struct http_request *req,
                     struct http_response *resp);
void admin_keys_create(struct api_req *rq, struct http_request *req,
                       struct http_response *resp);
void admin_keys_revoke(struct api_req *rq, struct http_request *req,
                       struct http_response *resp);
/* Loads the run-time API keys (not revoked) into h->db_keys. */
int admin_load_keys(struct hub *h);
void admin_free_keys(struct hub *h);

#endif
