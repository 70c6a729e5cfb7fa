#include "admin.h"

#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "deferred.h"
#include "json.h"
#include "log.h"
#include "mem.h"
#include "ph_err.h"
#include "store.h"
#include "timefmt.h"
#include "token.h"
#include "utf8.h"

#define ADMIN_MAX_AGENTS 10000

void
admin_free_agents(struct hub *h)
{
    for (size_t i = 0; i < h->ndb_agents; i++) {
        ph_free(h->db_agents[i].id);
        ph_free(h->db_agents[i].region);
    }
    ph_free(h->db_agents);
    h->db_agents = NULL;
    h->ndb_agents = 0;
    idmap_free(&h->db_agent_tokens);
}

struct load_ctx {
    struct conf_agent *v;
    size_t n;
    int failed;
};

static int
load_row(const struct store_agent_token_row *row, void *arg)
{
    struct load_ctx *l = arg;

    if (row->revoked_ms != 0) {
        return 0;
    }
    if (l->n >= ADMIN_MAX_AGENTS) {
        return 0;
    }
    l->v[l->n].id = ph_strdup(row->agent_id);
    l->v[l->n].region = ph_strdup(row->region);
    snprintf(l->v[l->n].token_sha256, sizeof(l->v[l->n].token_sha256), "%s",
             row->token_sha256);
    if (l->v[l->n].id == NULL || l->v[l->n].region == NULL) {
        ph_free(l->v[l->n].id);
        ph_free(l->v[l->n].region);
        l->failed = 1;
        return 1;
    }
    l->n++;
    return 0;
}

static void
agents_drop(void *list)
{
    struct load_ctx *l = list;

    if (l == NULL) {
        return;
    }
    for (size_t i = 0; i < l->n; i++) {
        ph_free(l->v[i].id);
        ph_free(l->v[i].region);
    }
    ph_free(l->v);
    ph_free(l);
}

static int
agents_read(struct store *db, void **ret)
{
    struct load_ctx *l = ph_calloc(1, sizeof(*l));
    int rc;

    if (l == NULL || (l->v = ph_calloc(ADMIN_MAX_AGENTS, sizeof(*l->v))) ==
                         NULL) {
        ph_free(l);
        return PH_ENOMEM;
    }
    rc = store_list_agent_tokens(db, load_row, l);
    if (rc != 0 || l->failed) {
        rc = l->failed ? PH_ENOMEM : rc;
        agents_drop(l);
        return rc;
    }
    *ret = l;
    return 0;
}

static void
agents_install(struct hub *h, void *list)
{
    struct load_ctx *l = list;

    admin_free_agents(h);
    h->db_agents = l->v;
    h->ndb_agents = l->n;
    ph_free(l);
    auth_index_agents(h);
}

static int
agents_add(struct store *db, const struct admin_write *w)
{
    return store_agent_token_add(db, w->id, w->extra, w->hash, w->now_ms);
}

static int agent_in_config(const struct hub *h, const char *id);

static const struct admin_kind agent_kind = {
    .noun = "agent",
    .in_config = agent_in_config,
    .revoke = store_agent_token_revoke,
    .add = agents_add,
    .read = agents_read,
    .install = agents_install,
    .drop = agents_drop,
    .exists = "an agent with that id exists (ids are never reused)",
};

int
admin_load(struct hub *h, const struct admin_kind *k)
{
    void *list = NULL;
    int rc = k->read(h->store, &list);

    if (rc == 0) {
        k->install(h, list);
    }
    return rc;
}

int
admin_load_agents(struct hub *h)
{
    return admin_load(h, &agent_kind);
}

struct list_ctx {
    json_t *arr;
    int64_t now;
};

static json_t *
find_in(json_t *arr, const char *id)
{
    size_t i;
    json_t *o;

    json_array_foreach(arr, i, o) {
        if (strcmp(json_string_value(json_object_get(o, "id")), id) == 0) {
            return o;
        }
    }
    return NULL;
}

static json_t *
agent_obj(const char *id, const char *region, const char *source)
{
    json_t *o = json_object();

    json_object_set_new(o, "id", json_string(id));
    json_object_set_new(o, "region", json_string(region));
    json_object_set_new(o, "source", json_string(source));
    json_object_set_new(o, "created_at", json_null());
    json_object_set_new(o, "revoked_at", json_null());
    json_object_set_new(o, "last_contact_at", json_null());
    json_object_set_new(o, "version", json_null());
    json_object_set_new(o, "plan_version", json_null());
    json_object_set_new(o, "last_seq", json_integer(0));
    json_object_set_new(o, "backlog", json_integer(0));
    json_object_set_new(o, "results", json_integer(0));
    json_object_set_new(o, "stale", json_true());
    return o;
}

static int
list_token(const struct store_agent_token_row *row, void *arg)
{
    struct list_ctx *l = arg;
    json_t *o = find_in(l->arr, row->agent_id);

    if (o == NULL) {
        o = agent_obj(row->agent_id, row->region, "api");
        json_array_append_new(l->arr, o);
    }
    json_object_set_new(o, "created_at", ph_json_time(row->created_ms));
    json_object_set_new(o, "revoked_at", ph_json_time(row->revoked_ms));
    return 0;
}

static int
list_live(const struct store_agent_row *row, void *arg)
{
    struct list_ctx *l = arg;
    json_t *o = find_in(l->arr, row->agent_id);
    char pv[24];

    if (o == NULL) {
        /* Results from an agent since removed from the config. */
        o = agent_obj(row->agent_id, row->region, "removed");
        json_array_append_new(l->arr, o);
    }
    snprintf(pv, sizeof(pv), "%llx", (unsigned long long)row->plan_version);
    json_object_set_new(o, "last_contact_at", ph_json_time(row->last_contact_ms));
    json_object_set_new(o, "version",
                        row->version[0] ? json_string(row->version)
                                        : json_null());
    json_object_set_new(o, "plan_version",
                        row->plan_version ? json_string(pv) : json_null());
    json_object_set_new(o, "last_seq", json_integer((json_int_t)row->last_seq));
    json_object_set_new(o, "backlog", json_integer((json_int_t)row->backlog));
    json_object_set_new(o, "results", json_integer(row->results));
    json_object_set_new(o, "stale",
                        json_boolean(l->now - row->last_contact_ms >
                                     ADMIN_AGENT_STALE_MS));
    return 0;
}

/* Sets "region_known" on each agent: false for an agent whose region
 * was removed from pharos.yml after it was made (its requests get 409). */
static void
mark_region_known(const struct hub *h, json_t *arr)
{
    size_t i;
    json_t *o;

    json_array_foreach(arr, i, o) {
        const char *r = json_string_value(json_object_get(o, "region"));

        json_object_set_new(
            o, "region_known",
            json_boolean(r != NULL &&
                         pharos_conf_region_index(&h->conf, r) >= 0));
    }
}

/* GET /v1/agents: the file's agents, then the store's rows added on
 * the writer thread (only the list's JSON is touched there). */
static int
list_run(struct store *db, void *arg)
{
    struct list_ctx *l = arg;
    int rc = store_list_agent_tokens(db, list_token, l);

    return rc != 0 ? rc : store_list_agents(db, list_live, l);
}

static void
list_done(struct api_req *rq, struct http_request *req, void *arg,
          int result, struct http_response *resp)
{
    struct list_ctx *l = arg;

    (void)req;
    if (result != 0) {
        deferred_error(resp, result, "cannot read agents");
        return;
    }
    mark_region_known(rq->h, l->arr);
    route_reply_json(resp, 200, PH_JSON_LF, l->arr);
    l->arr = NULL;
}

static void
list_free(void *arg)
{
    struct list_ctx *l = arg;

    json_decref(l->arr);
    ph_free(l);
}

static void
list_agents(struct api_req *rq, struct http_request *req,
            struct http_response *resp)
{
    struct hub *h = rq->h;
    struct list_ctx *l = ph_calloc(1, sizeof(*l));

    if (l == NULL || (l->arr = json_array()) == NULL) {
        ph_free(l);
        http_resp_error(resp, 503, "unavailable", "out of memory");
        return;
    }
    l->now = time_now_ms();
    for (size_t i = 0; i < h->conf.nagents; i++) {
        json_array_append_new(l->arr, agent_obj(h->conf.agents[i].id,
                                                h->conf.agents[i].region,
                                                "config"));
    }
    deferred_store(rq, req, resp, list_run, list_done, list_free, l);
}

static int
valid_agent_id(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n >= CHECK_ID_MAX) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_')) {
            return 0;
        }
    }
    return 1;
}

static int
agent_in_config(const struct hub *h, const char *id)
{
    for (size_t i = 0; i < h->conf.nagents; i++) {
        if (strcmp(h->conf.agents[i].id, id) == 0) {
            return 1;
        }
    }
    return 0;
}

static void
create_agent(struct api_req *rq, struct http_request *req,
             struct http_response *resp)
{
    struct hub *h = rq->h;
    size_t len;
    const uint8_t *body = http_req_body(req, &len);
    struct ph_json_err jerr;
    json_t *doc = ph_json_parse((const char *)body, len, 0, &jerr);
    json_t *obj;
    const char *id, *region;
    char token[TOKEN_MAX];
    char msg[160];
    struct admin_write *w = NULL;

    if (doc == NULL || !json_is_object(doc)) {
        snprintf(msg, sizeof(msg), "body must be a JSON object: %.100s",
                 doc == NULL ? jerr.text : "not an object");
        json_decref(doc);
        http_resp_error(resp, 400, "bad_request", msg);
        return;
    }
    obj = json_object_get(doc, "agent");
    if (!json_is_object(obj)) {
        obj = doc;
    }
    id = json_string_value(json_object_get(obj, "id"));
    region = json_string_value(json_object_get(obj, "region"));
    if (id == NULL || region == NULL) {
        json_decref(doc);
        http_resp_error(resp, 422, "unprocessable_entity",
                        "both 'id' and 'region' are required");
        return;
    }
    if (!valid_agent_id(id)) {
        json_decref(doc);
        http_resp_error(resp, 422, "unprocessable_entity",
                        "id must be 1-63 of [a-z0-9_-]");
        return;
    }
    if (pharos_conf_region_index(&h->conf, region) < 0 ||
        strlen(region) >= sizeof(w->extra)) {
        snprintf(msg, sizeof(msg), "unknown region '%.*s'",
                 (int)utf8_cut(region, strlen(region), 60), region);
        json_decref(doc);
        http_resp_error(resp, 422, "unprocessable_entity", msg);
        return;
    }
    if (agent_in_config(h, id)) {
        json_decref(doc);
        http_resp_error(resp, 409, "conflict",
                        "an agent with that id is in the config file");
        return;
    }
    w = ph_calloc(1, sizeof(*w));
    if (w == NULL || token_generate(token, sizeof(token)) != 0) {
        ph_free(w);
        json_decref(doc);
        http_resp_error(resp, 500, "internal", "no randomness");
        return;
    }
    w->k = &agent_kind;
    snprintf(w->id, sizeof(w->id), "%s", id);
    snprintf(w->extra, sizeof(w->extra), "%s", region);
    token_hash(token, strlen(token), w->hash);
    w->now_ms = time_now_ms();
    snprintf(w->logline, sizeof(w->logline),
             "admin: %s created agent %s in region %s",
             rq->actor != NULL ? rq->actor : "?", id, region);
    w->reply = json_object();
    json_object_set_new(w->reply, "id", json_string(id));
    json_object_set_new(w->reply, "region", json_string(region));
    json_object_set_new(w->reply, "token", json_string(token));
    memset(token, 0, sizeof(token));
    json_decref(doc);
    admin_write_run(rq, req, resp, w);
}

/* ---- writes through deferred.h ---- */

static void
write_free(void *arg)
{
    struct admin_write *w = arg;

    if (w->list != NULL) {
        w->k->drop(w->list);
    }
    json_decref(w->reply);
    memset(w->hash, 0, sizeof(w->hash));
    ph_free(w);
}

static int
write_run(struct store *db, void *arg)
{
    struct admin_write *w = arg;
    int rc = w->revoke ? w->k->revoke(db, w->id, w->now_ms)
                       : w->k->add(db, w);

    if (rc != 0) {
        return rc;
    }
    /* Written: a failed read-back is a 500, the write stays. */
    return w->k->read(db, &w->list) != 0 ? PH_EINTERNAL : 0;
}

static void
write_done(struct api_req *rq, struct http_request *req, void *arg,
           int result, struct http_response *resp)
{
    struct admin_write *w = arg;
    char msg[160];

    (void)req;
    if (result == PH_EEXIST && !w->revoke) {
        http_resp_error(resp, 409, "conflict", w->k->exists);
        return;
    }
    if (result == PH_ENOENT && w->revoke) {
        snprintf(msg, sizeof(msg), "no such active %s", w->k->noun);
        http_resp_error(resp, 404, "not_found", msg);
        return;
    }
    if (result != 0) {
        snprintf(msg, sizeof(msg), "cannot %s the %s",
                 w->revoke ? "revoke" : "store", w->k->noun);
        deferred_error(resp, result, msg);
        return;
    }
    w->k->install(rq->h, w->list);
    w->list = NULL;
    log_info("%s", w->logline);
    if (w->revoke) {
        resp->status = 204;
        return;
    }
    route_reply_json(resp, 201, PH_JSON_LF, w->reply);
    w->reply = NULL;
}

void
admin_write_run(struct api_req *rq, struct http_request *req,
                struct http_response *resp, struct admin_write *w)
{
    deferred_store(rq, req, resp, write_run, write_done, write_free, w);
}

void
admin_revoke(struct api_req *rq, struct http_request *req,
             const struct admin_kind *k, struct http_response *resp)
{
    const char *id = rq->param[0];
    struct admin_write *w;
    char msg[160];

    if (k->in_config(rq->h, id)) {
        snprintf(msg, sizeof(msg),
                 "this %s is defined in the config file: remove it there "
                 "and reload",
                 k->noun);
        http_resp_error(resp, 409, "conflict", msg);
        return;
    }
    w = ph_calloc(1, sizeof(*w));
    if (w == NULL) {
        http_resp_error(resp, 503, "unavailable", "out of memory");
        return;
    }
    w->k = k;
    w->revoke = 1;
    snprintf(w->id, sizeof(w->id), "%s", id);
    w->now_ms = time_now_ms();
    snprintf(w->logline, sizeof(w->logline), "admin: %s revoked %s %s",
             rq->actor != NULL ? rq->actor : "?", k->noun, id);
    admin_write_run(rq, req, resp, w);
}

void
admin_agents_list(struct api_req *rq, struct http_request *req,
                  struct http_response *resp)
{
    list_agents(rq, req, resp);
}

void
admin_agents_create(struct api_req *rq, struct http_request *req,
                    struct http_response *resp)
{
    create_agent(rq, req, resp);
}

void
admin_agents_revoke(struct api_req *rq, struct http_request *req,
                    struct http_response *resp)
{
    admin_revoke(rq, req, &agent_kind, resp);
}

int
admin_name_valid(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n >= ADMIN_NAME_MAX) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
              ch == '.' || ch == '@')) {
            return 0;
        }
    }
    return 1;
}
