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

/* What /v1/agents and /v1/keys share: a credential made at run time,
 * which may also be defined in the config file. */
struct admin_kind {
    const char *noun;                               /* "agent", "key" */
    int (*in_config)(const struct hub *h, const char *id);
    int (*revoke)(struct store *s, const char *id, int64_t now_ms);
    int (*reload)(struct hub *h);                   /* re-read the store */
};
/* Revokes id: 409 if the config defines it, 404 if not active, else 204
 * (and the in-memory list re-read). */
void admin_revoke(struct hub *h, const struct admin_kind *k, const char *id,
                  const char *who, struct http_response *resp);

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
