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
#include "deferred.h"
#include "api_body.h"
#include "json.h"
#include "log.h"
#include "mem.h"
#include "ph_err.h"
#include "store.h"
#include "timefmt.h"
#include "token.h"


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

static int
list_fill(struct store *db, json_t *arr, const void *ctx)
{
    (void)ctx;
    return store_list_viewers(db, list_row, arr);
}

void
admin_viewers_list(struct api_req *rq, struct http_request *req,
                   struct http_response *resp)
{
    deferred_list(rq, req, resp, json_array(), list_fill, NULL, 0,
                  "cannot read viewers");
}

/* The base URL of links: page.url, else notify.public_url. */
static const char *
base_url(const struct hub *h)
{
    const char *u = h->conf.page.url != NULL ? h->conf.page.url
                                             : h->conf.notify.public_url;
    return u != NULL ? u : "";
}

static int
viewers_add(struct store *db, const struct admin_write *w)
{
    return store_viewer_add(db, w->id, w->hash, w->now_ms);
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
    .add = viewers_add,
    .read = access_viewers_read,
    .install = access_viewers_install,
    .drop = access_viewers_drop,
    .exists = "a viewer of that name exists (revoked names stay taken)",
};

void
admin_viewers_create(struct api_req *rq, struct http_request *req,
                     struct http_response *resp)
{
    struct hub *h = rq->h;
    size_t len;
    const char *body = (const char *)http_req_body(req, &len);
    json_t *doc = NULL;
    const char *name;
    char err[160], token[TOKEN_MAX], link[512];
    struct admin_write *w = NULL;
    size_t bl;

    if (api_body_parse(body, len, &doc, err, sizeof(err)) != 0) {
        http_resp_error(resp, 400, "bad_request", err);
        return;
    }
    name = json_string_value(json_object_get(doc, "name"));
    if (name == NULL || !admin_name_valid(name)) {
        http_resp_error(resp, 422, "unprocessable_entity",
                        "name must be 1 to 63 of A-Z a-z 0-9 - _ . @");
        goto out;
    }
    w = ph_calloc(1, sizeof(*w));
    if (w == NULL || token_generate(token, sizeof(token)) != 0) {
        http_resp_error(resp, 500, "internal", "no randomness for the token");
        goto out;
    }
    w->k = &viewer_kind;
    snprintf(w->id, sizeof(w->id), "%s", name);
    token_hash(token, strlen(token), w->hash);
    w->now_ms = time_now_ms();
    snprintf(w->logline, sizeof(w->logline), "admin: %s added viewer %s",
             rq->actor != NULL ? rq->actor : "?", name);
    bl = strlen(base_url(h));
    while (bl > 0 && base_url(h)[bl - 1] == '/') {
        bl--;
    }
    snprintf(link, sizeof(link), "%.*s/?viewer=%s", (int)bl, base_url(h),
             token);
    w->reply = json_object();
    json_object_set_new(w->reply, "name", json_string(name));
    json_object_set_new(w->reply, "token", json_string(token));
    json_object_set_new(w->reply, "link", json_string(link));
    if (h->conf.page.access != PAGE_ACCESS_TOKEN) {
        json_object_set_new(w->reply, "warning",
                            json_string("page.access is not token: the "
                                        "link opens the page only once it "
                                        "is"));
    }
    admin_write_run(rq, req, resp, w);
    w = NULL;
out:
    ph_free(w);
    memset(token, 0, sizeof(token));
    memset(link, 0, sizeof(link));
    json_decref(doc);
}

void
admin_viewers_revoke(struct api_req *rq, struct http_request *req,
                     struct http_response *resp)
{
    admin_revoke(rq, req, &viewer_kind, resp);
}
