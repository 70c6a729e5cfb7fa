/*
 * admin_keys.c - API keys created at run time (see admin.h):
 *
 *   GET    /v1/keys          names, scopes, creation and revocation (admin)
 *   POST   /v1/keys          {"name","scope"}: the key is in the reply once,
 *                            only its SHA-256 is kept (admin)
 *   DELETE /v1/keys/<name>   revoke: its next request gets 401 (admin)
 *
 * Keys from the config file are listed too (source "config") and can only
 * be removed there.
 */
#include <stdio.h>
#include <string.h>

#include "admin.h"
#include "deferred.h"
#include "api_body.h"
#include "auth.h"
#include "json.h"
#include "log.h"
#include "mem.h"
#include "ph_err.h"
#include "store.h"
#include "timefmt.h"
#include "token.h"

#define ADMIN_MAX_KEYS 1024

struct keys_ctx {
    struct conf_api_key *v;
    size_t n;
    int failed;
};

static int
load_row(const struct store_api_key_row *row, void *arg)
{
    struct keys_ctx *k = arg;
    struct conf_api_key *ck;

    if (row->revoked_ms != 0 || k->n >= ADMIN_MAX_KEYS) {
        return 0;
    }
    ck = &k->v[k->n];
    ck->name = ph_strdup(row->name);
    ck->scope = ph_strdup(row->scope);
    if (ck->name == NULL || ck->scope == NULL) {
        ph_free(ck->name);
        ph_free(ck->scope);
        k->failed = 1;
        return PH_ENOMEM;
    }
    snprintf(ck->token_sha256, sizeof(ck->token_sha256), "%s",
             row->token_sha256);
    k->n++;
    return 0;
}

static void
free_keys(struct conf_api_key *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        ph_free(v[i].name);
        ph_free(v[i].scope);
    }
    ph_free(v);
}

static void
keys_drop(void *list)
{
    struct keys_ctx *k = list;

    if (k != NULL) {
        free_keys(k->v, k->n);
        ph_free(k);
    }
}

static int
keys_read(struct store *db, void **ret)
{
    struct keys_ctx *k = ph_calloc(1, sizeof(*k));
    int rc;

    if (k == NULL ||
        (k->v = ph_calloc(ADMIN_MAX_KEYS, sizeof(*k->v))) == NULL) {
        ph_free(k);
        return PH_ENOMEM;
    }
    rc = store_list_api_keys(db, load_row, k);
    if (rc != 0 || k->failed) {
        rc = k->failed ? PH_ENOMEM : rc;
        keys_drop(k);
        return rc;
    }
    *ret = k;
    return 0;
}

static void
keys_install(struct hub *h, void *list)
{
    struct keys_ctx *k = list;

    admin_free_keys(h);
    h->db_keys = k->v;
    h->ndb_keys = k->n;
    ph_free(k);
}

static int
keys_add(struct store *db, const struct admin_write *w)
{
    return store_api_key_add(db, w->id, w->extra, w->hash, w->now_ms);
}

static int name_taken(const struct hub *h, const char *name);

static const struct admin_kind key_kind = {
    .noun = "key",
    .in_config = name_taken,
    .revoke = store_api_key_revoke,
    .add = keys_add,
    .read = keys_read,
    .install = keys_install,
    .drop = keys_drop,
    .exists = "a key of that name exists (revoked names stay taken)",
};

int
admin_load_keys(struct hub *h)
{
    return admin_load(h, &key_kind);
}

void
admin_free_keys(struct hub *h)
{
    free_keys(h->db_keys, h->ndb_keys);
    h->db_keys = NULL;
    h->ndb_keys = 0;
}

static int
list_row(const struct store_api_key_row *row, void *arg)
{
    json_t *o = json_object();

    json_object_set_new(o, "name", json_string(row->name));
    json_object_set_new(o, "scope", json_string(row->scope));
    json_object_set_new(o, "source", json_string("api"));
    json_object_set_new(o, "created_at", ph_json_time(row->created_ms));
    json_object_set_new(o, "revoked_at", ph_json_time(row->revoked_ms));
    json_array_append_new(arg, o);
    return 0;
}

static int
list_fill(struct store *db, json_t *arr, const void *ctx)
{
    (void)ctx;
    return store_list_api_keys(db, list_row, arr);
}

static void
list_keys(struct api_req *rq, struct http_request *req,
          struct http_response *resp)
{
    struct hub *h = rq->h;
    json_t *arr = json_array();

    if (arr == NULL) {
        http_resp_error(resp, 503, "unavailable", "out of memory");
        return;
    }
    for (size_t i = 0; i < h->conf.napi_keys; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(h->conf.api_keys[i].name));
        json_object_set_new(o, "scope",
                            json_string(h->conf.api_keys[i].scope));
        json_object_set_new(o, "source", json_string("config"));
        json_object_set_new(o, "created_at", json_null());
        json_object_set_new(o, "revoked_at", json_null());
        json_array_append_new(arr, o);
    }
    deferred_list(rq, req, resp, arr, list_fill, NULL, 0, "cannot read keys");
}

static int
name_taken(const struct hub *h, const char *name)
{
    for (size_t i = 0; i < h->conf.napi_keys; i++) {
        if (strcmp(h->conf.api_keys[i].name, name) == 0) {
            return 1;
        }
    }
    return 0;
}

static void
create_key(struct api_req *rq, struct http_request *req,
           struct http_response *resp)
{
    size_t len;
    const char *body = (const char *)http_req_body(req, &len);
    json_t *doc = NULL;
    const char *name, *scope;
    char err[160], token[TOKEN_MAX];
    struct admin_write *w = NULL;

    if (api_body_parse(body, len, &doc, err, sizeof(err)) != 0) {
        http_resp_error(resp, 400, "bad_request", err);
        return;
    }
    name = json_string_value(json_object_get(doc, "name"));
    scope = json_string_value(json_object_get(doc, "scope"));
    if (scope == NULL) {
        scope = "read";
    }
    if (name == NULL || !admin_name_valid(name)) {
        http_resp_error(resp, 422, "unprocessable_entity",
                        "name must be 1 to 63 of A-Z a-z 0-9 - _ . @");
        goto out;
    }
    if (strcmp(scope, "read") != 0 && strcmp(scope, "write") != 0 &&
        strcmp(scope, "admin") != 0) {
        http_resp_error(resp, 422, "unprocessable_entity",
                        "scope must be read, write or admin");
        goto out;
    }
    if (name_taken(rq->h, name)) {
        http_resp_error(resp, 409, "conflict",
                        "a key of that name is in the config file");
        goto out;
    }
    w = ph_calloc(1, sizeof(*w));
    if (w == NULL || token_generate(token, sizeof(token)) != 0) {
        http_resp_error(resp, 500, "internal", "no randomness for the key");
        goto out;
    }
    w->k = &key_kind;
    snprintf(w->id, sizeof(w->id), "%s", name);
    snprintf(w->extra, sizeof(w->extra), "%s", scope);
    token_hash(token, strlen(token), w->hash);
    w->now_ms = time_now_ms();
    snprintf(w->logline, sizeof(w->logline),
             "admin: %s created API key %s (%s)",
             rq->actor != NULL ? rq->actor : "?", name, scope);
    w->reply = json_object();
    json_object_set_new(w->reply, "name", json_string(name));
    json_object_set_new(w->reply, "scope", json_string(scope));
    json_object_set_new(w->reply, "key", json_string(token));
    admin_write_run(rq, req, resp, w);
    w = NULL;
out:
    ph_free(w);
    memset(token, 0, sizeof(token));
    json_decref(doc);
}

void
admin_keys_list(struct api_req *rq, struct http_request *req,
                struct http_response *resp)
{
    list_keys(rq, req, resp);
}

void
admin_keys_create(struct api_req *rq, struct http_request *req,
                  struct http_response *resp)
{
    create_key(rq, req, resp);
}

void
admin_keys_revoke(struct api_req *rq, struct http_request *req,
                  struct http_response *resp)
{
    admin_revoke(rq, req, &key_kind, resp);
}
