/*
 * auth.h - API key checks for the management and admin endpoints.
 *
 * A key is accepted as "Authorization: OAuth <key>", "Bearer <key>", a
 * bare key in Authorization (Statuspage clients send all three), or the
 * api_key query parameter. Keys come from the config's api_keys (only
 * their SHA-256 is held) and from pharosctl key add (h->db_keys); scopes
 * are ordered read < write < admin. Each key may make api_rate_limit
 * requests per minute (token bucket); beyond that it gets 429 with
 * Retry-After.
 */
#ifndef PH_AUTH_H
#define PH_AUTH_H

#include "hub.h"
#include "http.h"

/* SCOPE_NONE: no API key needed (public, or the handler checks its own
 * kind of token). */
enum auth_scope {
    SCOPE_NONE = 0,
    SCOPE_READ = 1,
    SCOPE_WRITE = 2,
    SCOPE_ADMIN = 3
};

/*
 * Returns the key's name (borrowed from the config) when the request
 * carries a key with at least scope need; otherwise fills resp with 401
 * (no or unknown key), 429 (over the rate limit) or 403 (scope too low)
 * and returns NULL. *ret_known (may be NULL) is set to the name of the
 * key presented, even when it was refused (the audit log names it), or
 * NULL when no known key was presented.
 */
const char *auth_api_key(struct hub *h, struct http_request *req,
                         enum auth_scope need, struct http_response *resp,
                         const char **ret_known);

/* Takes one request from bucket's budget (api_rate_limit per minute; a
 * key's name, or "alert token <name>" for intake tokens). Returns 0, or
 * -1 after filling resp with 429 and Retry-After. */
int auth_rate_check(struct hub *h, const char *bucket,
                    struct http_response *resp);

/* Finds the agent whose token hashes to sha256 among config agents and
 * agents added at run time (not revoked). Returns NULL if none. One
 * hash lookup per list (auth_index_agents), then a constant-time
 * comparison of the entry found: looking a SHA-256 up by its value tells
 * a caller nothing about any token, and a linear scan of every agent for
 * every batch was a third of the loop's time with 400 agents. */
const struct conf_agent *auth_find_agent(const struct hub *h,
                                         const char *sha256);
/* (Re)builds the token-hash indexes of h->conf.agents and h->db_agents:
 * call after either changes. Without an index (out of memory, or two
 * agents with one token) the lookup scans the list. */
void auth_index_agents(struct hub *h);
void auth_index_free(struct hub *h);

/* Authenticates an agent request (Bearer token) and finds its region:
 * returns the agent (borrowed) with *ret_region, or NULL after filling
 * resp with a 401 or 409 (ingest.c, agent_wait.c). */
const struct conf_agent *auth_agent_request(struct hub *h,
                                            struct http_request *req,
                                            struct http_response *resp,
                                            int *ret_region);

#endif
