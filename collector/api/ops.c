/*
 * ops.c - health, metrics, preflight and published documents (ops.h).
 */
#include "ops.h"

#include <stdio.h>
#include <string.h>

#include "access.h"
#include "auth.h"
#include "buf.h"
#include "hub.h"
#include "metrics.h"
#include "publish.h"
#include "timefmt.h"

#define METRICS_MAX (1024 * 1024)

void
ops_health(struct api_req *rq, struct http_request *req,
           struct http_response *resp)
{
    (void)req;
    if (rq->h->shutting_down) {
        http_resp_text(resp, 503, "text/plain", "shutting down\n");
        return;
    }
    if (rq->h->role.ha) {
        const struct hub_role *r = &rq->h->role;
        char since[ISO8601_MAX], stale[ISO8601_MAX], docs[96];
        char text[384];

        /* Followers answer 200 too: they serve the page and the API,
         * and say when what they serve is stale (cut off from the
         * database: the last documents the leader shared). */
        time_iso8601(r->since_ms, since);
        if (r->leading) {
            snprintf(docs, sizeof(docs), "rendered here");
        } else if (r->docs_stale_since_ms != 0) {
            time_iso8601(r->docs_stale_since_ms, stale);
            snprintf(docs, sizeof(docs), "stale since %s", stale);
        } else if (r->docs_synced_ms != 0) {
            snprintf(docs, sizeof(docs), "in step with the leader");
        } else {
            snprintf(docs, sizeof(docs), "not yet shared, rendered here");
        }
        snprintf(text, sizeof(text),
                 "ok\nrole: %s\nepoch: %llu\nsince: %s\nnode: %s\n"
                 "lease database: %s\ndocuments: %s\n",
                 r->leading ? "leader" : "follower",
                 (unsigned long long)r->epoch, since,
                 rq->h->conf.ha.node_id, r->db_ok ? "up" : "down", docs);
        http_resp_text(resp, 200, "text/plain", text);
    } else {
        http_resp_text(resp, 200, "text/plain", "ok\n");
    }
    resp->cache_control = "no-store";
}

void
ops_metrics(struct api_req *rq, struct http_request *req,
            struct http_response *resp)
{
    struct buf b;
    size_t len;
    char *text;

    /* Metrics name agents, components and error counts: they are for
     * this host's scraper or a key holder, not for every reader (through
     * a proxy the request carries X-Forwarded-For and needs a key). */
    if (!http_req_direct_loopback(req) &&
        auth_api_key(rq->h, req, SCOPE_READ, resp, NULL) == NULL) {
        return;
    }
    metrics_refresh(rq->h);
    buf_init(&b, METRICS_MAX);
    if (metrics_render(rq->h, &b) != 0) {
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

void
ops_preflight(struct api_req *rq, struct http_request *req,
              struct http_response *resp)
{
    (void)req;
    resp->status = 204;
    /* A private page's documents are for its viewers, not other sites. */
    resp->cors = !access_private(rq->h);
    http_resp_header(resp, "Access-Control-Allow-Methods",
                     "GET, HEAD, POST, OPTIONS");
    http_resp_header(resp, "Access-Control-Allow-Headers", "Content-Type");
}

void
ops_document(struct api_req *rq, struct http_request *req,
             struct http_response *resp)
{
    const char *path = http_req_path(req);
    char key[PUBLISH_PATH_MAX];
    const struct publish_doc *d = NULL;

    while (*path == '/') {
        path++;
    }
    if (*path == '\0') {
        path = "index.html";
    }
    if (snprintf(key, sizeof(key), "%s", path) < (int)sizeof(key)) {
        d = publish_get(rq->h->publish, key);
    }
    if (d == NULL) {
        http_resp_error(resp, 404, "not_found", "no such resource");
        resp->cors = !access_private(rq->h);
        return;
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
    if (access_private(rq->h)) {
        /* Only for this viewer; never cached by a shared cache, never
         * offered to other origins. */
        resp->cache_control = "private, no-cache";
    } else if (strncmp(key, "api/", 4) == 0 || strstr(key, ".atom") != NULL ||
        strstr(key, ".rss") != NULL || strncmp(key, "badge/", 6) == 0) {
        /* Statuspage's widget caches 30 s; keep ours shorter so a change
         * shows up quickly, and let caches serve stale during a spike. */
        resp->cors = 1;
        resp->cache_control =
            "public, max-age=10, stale-while-revalidate=30";
    } else {
        resp->cache_control = "public, max-age=60";
    }
}
