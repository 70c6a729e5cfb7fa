/*
 * admin_viewers.c - viewers of a page with access: token (access.h):
 *
 *   GET    /v1/viewers         names, creation and revocation (admin)
 *   POST   /v1/viewers         {"name"}: the viewer's token and link are
 *                              in the reply once; only the SHA-256 is kept
 *   DELETE /v1/viewers/<name>  revoke: the link and every session made
 *                              from it stop working at once
 */
#include <stdio.h>
#include <string.h>

#include "access.h"
#include "admin.h"
#include "api_body.h"
#include "json.h"
#include "log.h"
#include "ph_err.h"
#include "store.h"
#include "timefmt.h"
#include "token.h"

#define VIEWER_NAME_MAX 64

static int
list_row(const struct store_viewer_row *row, void *arg)
{
    json_t *o = json_object();

    json_object_set_new(o, "name", json_string(row->name));
    json_object_set_new(o, "created_at", ph_json_time(row->created_ms));
    json_object_set_new(o, "revoked_at", ph_json_time(row->revoked_ms));
    json_array_append_new(arg, o);
    return 0;
}

void
admin_viewers_list(struct api_req *rq, struct http_request *req,
                   struct http_response *resp)
{
    json_t *arr = json_array();

    (void)req;
    if (store_list_viewers(rq->h->store, list_row, arr) != 0) {
        json_decref(arr);
        http_resp_error(resp, 500, "internal", "cannot read viewers");
        return;
    }
    route_reply_json(resp, 200, 0, arr);
}

static int
valid_name(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n >= VIEWER_NAME_MAX) {
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

/* The base URL of links: page.url, else notify.public_url. */
static const char *
base_url(const struct hub *h)
{
    const char *u = h->conf.page.url != NULL ? h->conf.page.url
                                             : h->conf.notify.public_url;
    return u != NULL ? u : "";
}

void
admin_viewers_create(struct api_req *rq, struct http_request *req,
                     struct http_response *resp)
{
    struct hub *h = rq->h;
    size_t len;
    const char *body = (const char *)http_req_body(req, &len);
    json_t *doc = NULL, *out;
    const char *name;
    char err[160], token[TOKEN_MAX], hash[TOKEN_HASH_HEX], link[512];
    size_t bl;
    int rc;

    if (api_body_parse(body, len, &doc, err, sizeof(err)) != 0) {
        http_resp_error(resp, 400, "bad_request", err);
        return;
    }
    name = json_string_value(json_object_get(doc, "name"));
    if (name == NULL || !valid_name(name)) {
        http_resp_error(resp, 422, "unprocessable_entity",
                        "name must be 1 to 63 of A-Z a-z 0-9 - _ . @");
        goto out;
    }
    if (token_generate(token, sizeof(token)) != 0) {
        http_resp_error(resp, 500, "internal", "no randomness for the token");
        goto out;
    }
    token_hash(token, strlen(token), hash);
    rc = store_viewer_add(h->store, name, hash, time_now_ms());
    if (rc == PH_EEXIST) {
        http_resp_error(resp, 409, "conflict",
                        "a viewer of that name exists (revoked names stay "
                        "taken)");
        goto out;
    }
    if (rc != 0 || access_load_viewers(h) != 0) {
        http_resp_error(resp, 500, "internal", "cannot store the viewer");
        goto out;
    }
    bl = strlen(base_url(h));
    while (bl > 0 && base_url(h)[bl - 1] == '/') {
        bl--;
    }
    snprintf(link, sizeof(link), "%.*s/?viewer=%s", (int)bl, base_url(h),
             token);
    log_info("admin: %s added viewer %s", rq->actor, name);
    out = json_object();
    json_object_set_new(out, "name", json_string(name));
    json_object_set_new(out, "token", json_string(token));
    json_object_set_new(out, "link", json_string(link));
    if (h->conf.page.access != PAGE_ACCESS_TOKEN) {
        json_object_set_new(out, "warning",
                            json_string("page.access is not token: the "
                                        "link opens the page only once it "
                                        "is"));
    }
    route_reply_json(resp, 201, 0, out);
out:
    memset(token, 0, sizeof(token));
    json_decref(doc);
}

static int
never_in_config(const struct hub *h, const char *id)
{
    (void)h;
    (void)id;
    return 0;
}

static const struct admin_kind viewer_kind = {
    .noun = "viewer",
    .in_config = never_in_config,
    .revoke = store_viewer_revoke,
    .reload = access_load_viewers,
};

void
admin_viewers_revoke(struct api_req *rq, struct http_request *req,
                     struct http_response *resp)
{
    (void)req;
    admin_revoke(rq->h, &viewer_kind, rq->param[0], rq->actor, resp);
}
