#include "auth.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "complain.h"
#include "log.h"
#include "ph_err.h"
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

/* Takes one request from the key's bucket. Returns 0, or the seconds to
 * wait when the budget is spent. */
static int
rate_take(struct hub *h, const char *name)
{
    double per_ms = (double)h->conf.api_rate_limit / 60000.0;
    double cap = (double)h->conf.api_rate_limit;
    int64_t now = time_mono_ms();
    struct auth_bucket *b = NULL, *oldest = &h->rate[0];

    if (h->conf.api_rate_limit == 0) {
        return 0;
    }
    for (size_t i = 0; i < AUTH_RATE_SLOTS && b == NULL; i++) {
        if (strcmp(h->rate[i].key, name) == 0) {
            b = &h->rate[i];
        } else if (h->rate[i].last_ms < oldest->last_ms) {
            oldest = &h->rate[i];
        }
    }
    if (b == NULL) {
        /* A new key (or a slot reused): starts with a full budget. */
        b = oldest;
        snprintf(b->key, sizeof(b->key), "%s", name);
        b->tokens = cap;
        b->last_ms = now;
    }
    b->tokens += (double)(now - b->last_ms) * per_ms;
    if (b->tokens > cap) {
        b->tokens = cap;
    }
    b->last_ms = now;
    if (b->tokens < 1.0) {
        return (int)((1.0 - b->tokens) / per_ms / 1000.0) + 1;
    }
    b->tokens -= 1.0;
    return 0;
}

int
auth_rate_check(struct hub *h, const char *bucket,
                struct http_response *resp)
{
    int wait = rate_take(h, bucket);
    char secs[16];

    if (wait <= 0) {
        return 0;
    }
    h->metrics.rate_limited++;
    complain(&h->rate_complaint, time_mono_ms(),
             "auth: %s is over its rate limit (%u/min)", bucket,
             h->conf.api_rate_limit);
    http_resp_error(resp, 429, "too_many_requests",
                    "rate limit exceeded: retry later");
    snprintf(secs, sizeof(secs), "%d", wait);
    http_resp_header(resp, "Retry-After", secs);
    return -1;
}

const char *
auth_api_key(struct hub *h, struct http_request *req,
             enum auth_scope need, struct http_response *resp,
             const char **ret_known)
{
    const char *key = key_of(req);
    const struct conf_api_key *found = NULL;
    char hash[TOKEN_HASH_HEX];
    size_t len;

    if (key != NULL && (len = strlen(key)) > 0 && len <= TOKEN_MAX) {
        token_hash(key, len, hash);
        /* Every key is compared, each in constant time. */
        for (size_t i = 0; i < h->conf.napi_keys; i++) {
            if (token_hash_equal(h->conf.api_keys[i].token_sha256, hash)) {
                found = &h->conf.api_keys[i];
            }
        }
        for (size_t i = 0; i < h->ndb_keys; i++) {
            if (token_hash_equal(h->db_keys[i].token_sha256, hash)) {
                found = &h->db_keys[i];
            }
        }
    }
    if (ret_known != NULL) {
        *ret_known = found != NULL ? found->name : NULL;
    }
    if (found == NULL) {
        h->metrics.auth_failures++;
        complain(&h->auth_complaint, time_mono_ms(),
                 "auth: rejected API request from %s: %s",
                 http_req_client(req), key == NULL ? "no key" : "unknown key");
        http_resp_error(resp, 401, "unauthorized", "Could not authenticate");
        return NULL;
    }
    if (auth_rate_check(h, found->name, resp) != 0) {
        return NULL;
    }
    if (scope_of(found->scope) < need) {
        http_resp_error(resp, 403, "forbidden",
                        "this API key's scope does not allow that");
        return NULL;
    }
    return found->name;
}

/* The agent of list[0..n) whose token hash is sha256, by the index when
 * there is one. */
static const struct conf_agent *
find_in(const struct idmap *idx, const struct conf_agent *list, size_t n,
        const char *sha256)
{
    const struct conf_agent *a = NULL;
    int i;

    if (idx->cap == 0) {
        for (size_t k = 0; k < n; k++) {
            if (token_hash_equal(list[k].token_sha256, sha256)) {
                a = &list[k];
            }
        }
        return a;
    }
    i = idmap_get(idx, sha256);
    if (i >= 0 && (size_t)i < n &&
        token_hash_equal(list[i].token_sha256, sha256)) {
        a = &list[i];
    }
    return a;
}

const struct conf_agent *
auth_find_agent(const struct hub *h, const char *sha256)
{
    const struct conf_agent *a;

    if (!token_hash_valid(sha256)) {
        return NULL;
    }
    a = find_in(&h->agent_tokens, h->conf.agents, h->conf.nagents, sha256);
    if (a == NULL) {
        a = find_in(&h->db_agent_tokens, h->db_agents, h->ndb_agents,
                    sha256);
    }
    return a;
}

static void
index_list(struct idmap *idx, const struct conf_agent *list, size_t n)
{
    int rc;

    idmap_free(idx);
    if (n == 0) {
        return;
    }
    rc = idmap_init_stride(idx, list, n, sizeof(list[0]),
                           offsetof(struct conf_agent, token_sha256), 0);
    if (rc != 0) {
        log_warnx("auth: agent tokens not indexed (%s); looking them up "
                  "one by one", ph_strerror(rc));
    }
}

void
auth_index_agents(struct hub *h)
{
    index_list(&h->agent_tokens, h->conf.agents, h->conf.nagents);
    index_list(&h->db_agent_tokens, h->db_agents, h->ndb_agents);
}

void
auth_index_free(struct hub *h)
{
    idmap_free(&h->agent_tokens);
    idmap_free(&h->db_agent_tokens);
}

/* Authenticates the Bearer token; returns the agent or NULL after
 * filling a 401 response. */
static const struct conf_agent *
authenticate(struct hub *h, struct http_request *req,
             struct http_response *resp)
{
    const char *hdr = http_req_header(req, "Authorization");
    const struct conf_agent *a = NULL;
    char hash[TOKEN_HASH_HEX];
    size_t len;

    if (hdr != NULL && strncasecmp(hdr, "Bearer ", 7) == 0) {
        hdr += 7;
        len = strlen(hdr);
        if (len > 0 && len <= TOKEN_MAX) {
            token_hash(hdr, len, hash);
            a = auth_find_agent(h, hash);
        }
    }
    if (a == NULL) {
        h->metrics.auth_failures++;
        complain(&h->auth_complaint, time_mono_ms(),
                 "ingest: rejected agent request from %s: %s",
                 http_req_client(req),
                 h == NULL ? "no bearer token" : "unknown token");
        http_resp_error(resp, 401, "unauthorized",
                        "missing or invalid agent token");
        http_resp_header(resp, "WWW-Authenticate", "Bearer");
    }
    return a;
}

/* Returns the index of the agent's region, or -1 after filling a 409.
 * An agent made through POST /v1/agents keeps its region after that
 * region is removed from pharos.yml; such an agent must be refused
 * before anything is committed, and its region never used as an
 * index. */
static int
agent_region(struct hub *h, const struct conf_agent *a,
             struct http_response *resp)
{
    int r = pharos_conf_region_index(&h->conf, a->region);
    char msg[256];

    if (r >= 0 && (size_t)r < h->conf.nregions) {
        return r;
    }
    h->metrics.agent_region_unknown++;
    complain(&h->bad_batch_complaint, time_mono_ms(),
             "ingest: refused agent %s: its region '%s' is not in the "
             "configuration", a->id, a->region);
    snprintf(msg, sizeof(msg),
             "region '%s' of agent '%s' is not in the collector's "
             "configuration; add the region back or re-create the agent "
             "in an existing region", a->region, a->id);
    http_resp_error(resp, 409, "region_unknown", msg);
    return -1;
}

const struct conf_agent *
auth_agent_request(struct hub *h, struct http_request *req,
                   struct http_response *resp, int *ret_region)
{
    const struct conf_agent *a = authenticate(h, req, resp);

    *ret_region = -1;
    if (a == NULL) {
        return NULL;
    }
    *ret_region = agent_region(h, a, resp);
    return *ret_region >= 0 ? a : NULL;
}
