#include "auth.h"

#include <string.h>
#include <strings.h>

#include "timefmt.h"
#include "token.h"

static enum auth_scope
scope_of(const char *s)
{
    if (strcmp(s, "admin") == 0) {
        return SCOPE_ADMIN;
    }
    if (strcmp(s, "write") == 0) {
        return SCOPE_WRITE;
    }
    return SCOPE_READ;
}

/* The key text from the request, or NULL. */
static const char *
key_of(struct http_request *req)
{
    const char *h = http_req_header(req, "Authorization");

    if (h != NULL) {
        if (strncasecmp(h, "OAuth ", 6) == 0) {
            return h + 6;
        }
        if (strncasecmp(h, "Bearer ", 7) == 0) {
            return h + 7;
        }
        return h;
    }
    return http_req_query(req, "api_key");
}

const char *
auth_api_key(struct collector *c, struct http_request *req,
             enum auth_scope need, struct http_response *resp)
{
    const char *key = key_of(req);
    const struct conf_api_key *found = NULL;
    char hash[TOKEN_HASH_HEX];
    size_t len;

    if (key != NULL && (len = strlen(key)) > 0 && len <= TOKEN_MAX) {
        token_hash(key, len, hash);
        /* Every key is compared, each in constant time. */
        for (size_t i = 0; i < c->conf.napi_keys; i++) {
            if (token_hash_equal(c->conf.api_keys[i].token_sha256, hash)) {
                found = &c->conf.api_keys[i];
            }
        }
    }
    if (found == NULL) {
        c->metrics.auth_failures++;
        complain(&c->auth_complaint, time_now_ms(),
                 "auth: rejected API request from %s: %s",
                 http_req_client(req), key == NULL ? "no key" : "unknown key");
        http_resp_error(resp, 401, "unauthorized", "Could not authenticate");
        return NULL;
    }
    if (scope_of(found->scope) < need) {
        http_resp_error(resp, 403, "forbidden",
                        "this API key's scope does not allow that");
        return NULL;
    }
    return found->name;
}

const struct conf_agent *
auth_find_agent(const struct collector *c, const char *sha256)
{
    const struct conf_agent *a = pharos_conf_agent_by_hash(&c->conf, sha256);

    for (size_t i = 0; a == NULL && i < c->ndb_agents; i++) {
        if (token_hash_equal(c->db_agents[i].token_sha256, sha256)) {
            a = &c->db_agents[i];
        }
    }
    return a;
}
