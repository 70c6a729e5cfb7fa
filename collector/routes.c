#include "routes.h"

#include <stdio.h>
#include <string.h>

#include "admin.h"
#include "audit.h"
#include "api_v1.h"
#include "collector.h"
#include "ingest.h"
#include "intake.h"
#include "mem.h"
#include "metrics.h"
#include "ph_err.h"
#include "publish.h"
#include "subscribers.h"

#define METRICS_MAX (1024 * 1024)

static void
serve_health(struct collector *c, struct http_request *req,
             struct http_response *resp)
{
    (void)req;
    if (c->shutting_down) {
        http_resp_text(resp, 503, "text/plain", "shutting down\n");
        return;
    }
    http_resp_text(resp, 200, "text/plain", "ok\n");
    resp->cache_control = "no-store";
}

static void
serve_metrics(struct collector *c, struct http_request *req,
              struct http_response *resp)
{
    struct buf b;
    size_t len;
    char *text;

    (void)req;
    buf_init(&b, METRICS_MAX);
    if (metrics_render(c, &b) != 0) {
        buf_free(&b);
        http_resp_error(resp, 500, "internal", "metrics too large");
        return;
    }
    text = buf_steal(&b, &len);
    if (text == NULL) {
        http_resp_error(resp, 500, "internal", "out of memory");
        return;
    }
    http_resp_take(resp, 200, "text/plain; version=0.0.4", (uint8_t *)text,
                   len);
    resp->cache_control = "no-store";
}

/* Serves a published document from memory. */
static int
serve_doc(struct collector *c, struct http_request *req,
          struct http_response *resp, const char *path)
{
    char key[PUBLISH_PATH_MAX];
    const struct publish_doc *d;

    while (*path == '/') {
        path++;
    }
    if (*path == '\0') {
        path = "index.html";
    }
    if (snprintf(key, sizeof(key), "%s", path) >= (int)sizeof(key)) {
        return 0;
    }
    d = publish_get(c->publish, key);
    if (d == NULL) {
        return 0;
    }
    if (d->gz != NULL && http_req_accepts_gzip(req)) {
        resp->static_body = d->gz;
        resp->body_len = d->gzlen;
        resp->body_is_gzip = 1;
    } else {
        resp->static_body = d->data;
        resp->body_len = d->len;
    }
    resp->status = 200;
    resp->content_type = d->content_type;
    snprintf(resp->etag, sizeof(resp->etag), "%s", d->etag);
    if (strncmp(key, "api/", 4) == 0 || strstr(key, ".atom") != NULL ||
        strstr(key, ".rss") != NULL || strncmp(key, "badge/", 6) == 0) {
        /* Statuspage's widget caches 30 s; keep ours shorter so a change
         * shows up quickly, and let caches serve stale during a spike. */
        resp->cors = 1;
        resp->cache_control =
            "public, max-age=10, stale-while-revalidate=30";
    } else {
        resp->cache_control = "public, max-age=60";
    }
    return 1;
}

static enum http_route
route_of(struct http_request *req)
{
    const char *p = http_req_path(req);

    if (strncmp(p, "/api/v2/subscribers", 19) == 0 ||
        strncmp(p, "/subscriptions/", 15) == 0) {
        return ROUTE_SUBSCRIBE;
    }
    if (strncmp(p, "/api/", 5) == 0 || strncmp(p, "/history.", 9) == 0 ||
        strncmp(p, "/badge/", 7) == 0) {
        return ROUTE_FEED;
    }
    if (strncmp(p, "/v1/agent/", 10) == 0) {
        return ROUTE_AGENT;
    }
    if (strncmp(p, "/v1/pages/", 10) == 0) {
        return ROUTE_V1;
    }
    if (strncmp(p, "/v1/agents", 10) == 0 || strncmp(p, "/v1/keys", 8) == 0) {
        return ROUTE_ADMIN;
    }
    if (strncmp(p, "/v1/integrations/", 17) == 0) {
        return ROUTE_INTAKE;
    }
    if (strcmp(p, "/healthz") == 0 || strcmp(p, "/metrics") == 0) {
        return ROUTE_OPS;
    }
    if (strncmp(p, "/v1/", 4) == 0) {
        return ROUTE_OTHER;
    }
    return ROUTE_PAGE;
}

static void
dispatch(struct collector *c, struct http_request *req,
         struct http_response *resp)
{
    const char *method = http_req_method(req);
    const char *path = http_req_path(req);
    int is_get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;

    if (strcmp(path, "/v1/agent/plan") == 0) {
        if (!is_get) {
            http_resp_error(resp, 405, "method_not_allowed", "use GET");
            return;
        }
        ingest_plan(c, req, resp);
        return;
    }
    if (strcmp(path, "/v1/agent/results") == 0) {
        if (strcmp(method, "POST") != 0) {
            http_resp_error(resp, 405, "method_not_allowed", "use POST");
            return;
        }
        ingest_results(c, req, resp);
        return;
    }
    if (strcmp(path, "/v1/integrations/alertmanager") == 0) {
        intake_alertmanager(c, req, resp);
        return;
    }
    if (strcmp(path, "/v1/integrations/webhook") == 0) {
        intake_webhook(c, req, resp);
        return;
    }
    if (strncmp(path, "/v1/agents", 10) == 0 && admin_handle(c, req, resp)) {
        return;
    }
    if (strncmp(path, "/v1/keys", 8) == 0 &&
        admin_keys_handle(c, req, resp)) {
        return;
    }
    if (strncmp(path, "/v1/pages/", 10) == 0 && api_v1_handle(c, req, resp)) {
        return;
    }
    if (strcmp(path, "/api/v2/subscribers.json") == 0 &&
        strcmp(method, "OPTIONS") != 0) {
        subscribers_public(c, req, resp);
        return;
    }
    if (strcmp(path, "/subscriptions/confirm") == 0) {
        subscribers_link(c, req, resp, 0);
        return;
    }
    if (strcmp(path, "/subscriptions/unsubscribe") == 0) {
        subscribers_link(c, req, resp, 1);
        return;
    }
    if (strcmp(path, "/healthz") == 0 && is_get) {
        serve_health(c, req, resp);
        return;
    }
    if (strcmp(path, "/metrics") == 0 && is_get) {
        serve_metrics(c, req, resp);
        return;
    }
    if (strcmp(method, "OPTIONS") == 0 && strncmp(path, "/api/", 5) == 0) {
        resp->status = 204;
        resp->cors = 1;
        http_resp_header(resp, "Access-Control-Allow-Methods",
                         "GET, HEAD, POST, OPTIONS");
        http_resp_header(resp, "Access-Control-Allow-Headers",
                         "Content-Type");
        return;
    }
    if (is_get && serve_doc(c, req, resp, path)) {
        return;
    }
    http_resp_error(resp, 404, "not_found", "no such resource");
}

void
routes_handle(struct http_request *req, struct http_response *resp,
              void *arg)
{
    struct collector *c = arg;

    c->metrics.http_requests++;
    c->req_actor = NULL;
    dispatch(c, req, resp);
    audit_request(c, req, resp);
    c->metrics.http_by_route[route_of(req)][metrics_code_slot(resp->status)]++;
    c->req_actor = NULL;
}
