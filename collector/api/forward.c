/*
 * forward.c - a follower's API writes, forwarded to the leader
 * (forward.h).
 */
#include "forward.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "curl_uv.h"
#include "log.h"
#include "mem.h"
#include "ph_err.h"

#define URL_MAX 4096
#define QUERY_MAX 2048

/* Request headers handlers read, passed on as received. */
static const char *const REQ_HEADERS[] = {
    "Authorization", "Content-Type", "Cookie", "X-PagerDuty-Signature",
    "If-None-Match",
};
/* Reply headers relayed back (static names for http_resp_header). */
static const char *const REPLY_HEADERS[] = {
    "Retry-After", "Location", "WWW-Authenticate", "Set-Cookie", "ETag",
};
#define NREPLY (sizeof(REPLY_HEADERS) / sizeof(REPLY_HEADERS[0]))

struct fwd {
    struct forward *f;
    struct fwd *prev, *next;
    CURL *easy;
    struct curl_slist *hdrs;
    struct http_pending *pending;
    uint8_t *req_body;
    struct buf reply;
    const char *ctype;            /* static */
    char relay[NREPLY][512];      /* "" = not sent */
};

struct forward {
    struct curl_uv *cu;
    char node[64];
    struct fwd *inflight;
    int closing;
};

static void
fwd_free(struct fwd *w)
{
    if (w == NULL) {
        return;
    }
    if (w->easy != NULL) {
        curl_easy_cleanup(w->easy);
    }
    curl_slist_free_all(w->hdrs);
    ph_free(w->req_body);
    buf_free(&w->reply);
    ph_free(w);
}

static void
unlink_fwd(struct fwd *w)
{
    if (w->prev != NULL) {
        w->prev->next = w->next;
    } else {
        w->f->inflight = w->next;
    }
    if (w->next != NULL) {
        w->next->prev = w->prev;
    }
}

static void
answer_503(struct http_response *resp, const char *why)
{
    http_resp_error(resp, 503, "no_leader", why);
    http_resp_header(resp, "Retry-After", "2");
}

/* The content types the collector answers with, as static strings. */
static const char *
static_ctype(const char *v)
{
    static const char *const known[] = {
        "application/json", "text/plain", "text/html",
        "application/problem+json", "application/x-protobuf",
    };

    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        size_t n = strlen(known[i]);

        if (strncasecmp(v, known[i], n) == 0) {
            return strncasecmp(v, "text/", 5) == 0
                       ? (strcmp(known[i], "text/html") == 0
                              ? "text/html; charset=utf-8"
                              : "text/plain; charset=utf-8")
                       : known[i];
        }
    }
    return "application/octet-stream";
}

static size_t
on_header(char *data, size_t size, size_t n, void *arg)
{
    struct fwd *w = arg;
    size_t len = size * n;
    char line[640];
    char *colon, *v, *end;

    if (len == 0 || len >= sizeof(line)) {
        return len;            /* status line or a header too long: skip */
    }
    memcpy(line, data, len);
    line[len] = '\0';
    colon = strchr(line, ':');
    if (colon == NULL) {
        return len;
    }
    *colon = '\0';
    v = colon + 1;
    while (*v == ' ' || *v == '\t') {
        v++;
    }
    end = v + strlen(v);
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' ||
                       end[-1] == ' ')) {
        *--end = '\0';
    }
    if (strcasecmp(line, "Content-Type") == 0) {
        w->ctype = static_ctype(v);
        return len;
    }
    for (size_t i = 0; i < NREPLY; i++) {
        if (strcasecmp(line, REPLY_HEADERS[i]) == 0) {
            snprintf(w->relay[i], sizeof(w->relay[i]), "%s", v);
        }
    }
    return len;
}

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
    struct fwd *w = arg;

    if (buf_append(&w->reply, data, size * n) != 0) {
        return 0;              /* over FORWARD_REPLY_MAX: abort */
    }
    return size * n;
}

static void
on_done(CURL *easy, CURLcode result, void *arg)
{
    struct fwd *w = arg;
    struct http_response resp;
    long status = 0;

    memset(&resp, 0, sizeof(resp));
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    unlink_fwd(w);
    if (result != CURLE_OK || status < 100 || status > 599) {
        char why[200];

        snprintf(why, sizeof(why), "the leader did not answer (%s); retry",
                 curl_easy_strerror(result));
        log_warnx("forward: %s", why);
        answer_503(&resp, why);
    } else {
        size_t len = 0;
        uint8_t *body = (uint8_t *)buf_steal(&w->reply, &len);

        http_resp_take(&resp, (int)status, w->ctype, body, len);
        for (size_t i = 0; i < NREPLY; i++) {
            if (w->relay[i][0] != '\0') {
                http_resp_header(&resp, REPLY_HEADERS[i], w->relay[i]);
            }
        }
        resp.cache_control = "no-store";
    }
    http_pending_finish(w->pending, &resp);
    w->pending = NULL;
    fwd_free(w);
}

static int
add_header(struct curl_slist **list, const char *name, const char *value)
{
    char line[8192];
    struct curl_slist *n;

    if (snprintf(line, sizeof(line), "%s: %s", name, value) >=
        (int)sizeof(line)) {
        return PH_ETOOBIG;
    }
    n = curl_slist_append(*list, line);
    if (n == NULL) {
        return PH_ENOMEM;
    }
    *list = n;
    return 0;
}

int
forward_wanted(const struct http_request *req)
{
    const char *m = http_req_method(req);

    if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0 ||
        strcmp(m, "OPTIONS") == 0) {
        return 0;
    }
    /* Agents' result batches too: the leader evaluates what it commits
     * itself, so a batch taken by a follower reaches it this way and is
     * acked after the leader's commit (exactly once per agent and seq in
     * the shared store, also when an agent replays it elsewhere). */
    return 1;
}

void
forward_request(struct forward *f, const char *leader_url,
                struct http_request *req, struct http_response *resp)
{
    struct fwd *w = NULL;
    char url[URL_MAX], query[QUERY_MAX], xff[512];
    const char *prev_xff;
    const uint8_t *body;
    size_t blen;
    int rc = 0;

    if (http_req_header(req, FORWARD_HEADER) != NULL) {
        answer_503(resp, "this collector is not the leader (the request "
                         "was forwarded to it); retry");
        return;
    }
    if (f == NULL || f->closing || leader_url == NULL ||
        leader_url[0] == '\0') {
        answer_503(resp, "no leader at the moment (a takeover is under "
                         "way); retry");
        return;
    }
    if (http_req_query_string(req, query, sizeof(query)) != 0 ||
        snprintf(url, sizeof(url), "%s%s%s", leader_url, http_req_path(req),
                 query) >= (int)sizeof(url)) {
        http_resp_error(resp, 414, "uri_too_long", "request too long");
        return;
    }
    w = ph_calloc(1, sizeof(*w));
    if (w == NULL) {
        goto fail;
    }
    w->f = f;
    w->ctype = "application/octet-stream";
    buf_init(&w->reply, FORWARD_REPLY_MAX);
    w->easy = curl_easy_init();
    if (w->easy == NULL) {
        goto fail;
    }
    for (size_t i = 0; rc == 0 && i < sizeof(REQ_HEADERS) /
                                          sizeof(REQ_HEADERS[0]); i++) {
        const char *v = http_req_header(req, REQ_HEADERS[i]);

        if (v != NULL) {
            rc = add_header(&w->hdrs, REQ_HEADERS[i], v);
        }
    }
    prev_xff = http_req_header(req, "X-Forwarded-For");
    snprintf(xff, sizeof(xff), "%s%s%s", prev_xff != NULL ? prev_xff : "",
             prev_xff != NULL ? ", " : "", http_req_client(req));
    if (rc == 0) {
        rc = add_header(&w->hdrs, "X-Forwarded-For", xff);
    }
    if (rc == 0) {
        rc = add_header(&w->hdrs, FORWARD_HEADER, f->node);
    }
    /* No "Expect: 100-continue" round trip. */
    if (rc == 0) {
        rc = add_header(&w->hdrs, "Expect", "");
    }
    if (rc != 0) {
        goto fail;
    }
    body = http_req_body(req, &blen);
    w->req_body = ph_malloc(blen + 1);
    if (w->req_body == NULL) {
        goto fail;
    }
    memcpy(w->req_body, body, blen);
    curl_easy_setopt(w->easy, CURLOPT_URL, url);
    curl_easy_setopt(w->easy, CURLOPT_CUSTOMREQUEST, http_req_method(req));
    if (blen > 0 || strcmp(http_req_method(req), "DELETE") != 0) {
        curl_easy_setopt(w->easy, CURLOPT_POSTFIELDS, w->req_body);
        curl_easy_setopt(w->easy, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)blen);
    }
    curl_easy_setopt(w->easy, CURLOPT_HTTPHEADER, w->hdrs);
    curl_easy_setopt(w->easy, CURLOPT_TIMEOUT_MS, (long)FORWARD_TIMEOUT_MS);
    curl_easy_setopt(w->easy, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
    curl_easy_setopt(w->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(w->easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(w->easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(w->easy, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(w->easy, CURLOPT_HEADERDATA, w);
    curl_easy_setopt(w->easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(w->easy, CURLOPT_WRITEDATA, w);
    w->pending = http_defer(req);
    if (w->pending == NULL) {
        goto fail;
    }
    if (curl_uv_add(f->cu, w->easy, on_done, w) != 0) {
        http_undefer(w->pending);
        w->pending = NULL;
        goto fail;
    }
    w->next = f->inflight;
    if (w->next != NULL) {
        w->next->prev = w;
    }
    f->inflight = w;
    return;
fail:
    fwd_free(w);
    answer_503(resp, "cannot forward the request to the leader; retry");
}

struct forward *
forward_new(uv_loop_t *loop, const char *node)
{
    struct forward *f = ph_calloc(1, sizeof(*f));

    if (f == NULL) {
        return NULL;
    }
    f->cu = curl_uv_new(loop);
    if (f->cu == NULL) {
        ph_free(f);
        return NULL;
    }
    snprintf(f->node, sizeof(f->node), "%s", node != NULL ? node : "");
    return f;
}

static void
closed(void *arg)
{
    ph_free(arg);
}

void
forward_close(struct forward *f)
{
    if (f == NULL || f->closing) {
        return;
    }
    f->closing = 1;
    while (f->inflight != NULL) {
        struct fwd *w = f->inflight;
        struct http_response resp;

        curl_uv_remove(f->cu, w->easy);
        unlink_fwd(w);
        memset(&resp, 0, sizeof(resp));
        answer_503(&resp, "the collector is stopping; retry");
        http_pending_finish(w->pending, &resp);
        w->pending = NULL;
        fwd_free(w);
    }
    curl_uv_close(f->cu, closed, f);
}
