/*
 * access.c - the gate in front of a private page's documents, the viewer
 * session and the viewers of token mode (access.h).
 */
#include "access.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "mem.h"
#include "netaddr.h"
#include "ph_err.h"
#include "session.h"
#include "store.h"
#include "timefmt.h"
#include "token.h"

#define ACCESS_MAX_VIEWERS 4096
#define KV_SESSION_KEY "session_key"

struct viewer {
    char name[64];
    char token_sha256[TOKEN_HASH_HEX];
};

struct access {
    uint8_t key[SESSION_KEY_LEN];
    struct viewer *viewers;
    size_t nviewers;
    struct login_throttle throttle;
};

struct viewers_ctx {
    struct viewer *v;
    size_t n;
};

static int
load_row(const struct store_viewer_row *row, void *arg)
{
    struct viewers_ctx *k = arg;

    if (row->revoked_ms != 0 || k->n >= ACCESS_MAX_VIEWERS) {
        return 0;
    }
    snprintf(k->v[k->n].name, sizeof(k->v[k->n].name), "%s", row->name);
    snprintf(k->v[k->n].token_sha256, sizeof(k->v[k->n].token_sha256), "%s",
             row->token_sha256);
    k->n++;
    return 0;
}

void
access_viewers_drop(void *list)
{
    struct viewers_ctx *k = list;

    if (k != NULL) {
        ph_free(k->v);
        ph_free(k);
    }
}

int
access_viewers_read(struct store *db, void **ret)
{
    struct viewers_ctx *k = ph_calloc(1, sizeof(*k));
    int rc;

    if (k == NULL ||
        (k->v = ph_calloc(ACCESS_MAX_VIEWERS, sizeof(*k->v))) == NULL) {
        ph_free(k);
        return PH_ENOMEM;
    }
    rc = store_list_viewers(db, load_row, k);
    if (rc != 0) {
        access_viewers_drop(k);
        return rc;
    }
    *ret = k;
    return 0;
}

void
access_viewers_install(struct hub *h, void *list)
{
    struct viewers_ctx *k = list;

    ph_free(h->access->viewers);
    h->access->viewers = k->v;
    h->access->nviewers = k->n;
    ph_free(k);
}

int
access_load_viewers(struct hub *h)
{
    void *list = NULL;
    int rc = access_viewers_read(h->store, &list);

    if (rc == 0) {
        access_viewers_install(h, list);
    }
    return rc;
}

/* The session key: kept in the store so sessions survive a restart; a
 * secret made once, the key its SHA-256. */
int
access_load_key(struct hub *h)
{
    char secret[TOKEN_MAX], hex[TOKEN_HASH_HEX];
    int rc;

    rc = store_kv_get(h->store, KV_SESSION_KEY, secret, sizeof(secret));
    if (rc != 0 || secret[0] == '\0') {
        if (token_generate(secret, sizeof(secret)) != 0) {
            return PH_EIO;
        }
        rc = store_kv_set(h->store, KV_SESSION_KEY, secret);
        if (rc != 0) {
            goto out;
        }
    }
    token_hash(secret, strlen(secret), hex);
    for (size_t i = 0; i < SESSION_KEY_LEN; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        h->access->key[i] = (uint8_t)v;
    }
    rc = 0;
out:
    memset(secret, 0, sizeof(secret));
    memset(hex, 0, sizeof(hex));
    return rc;
}

int
access_start(struct hub *h)
{
    int rc;

    h->access = ph_calloc(1, sizeof(*h->access));
    if (h->access == NULL) {
        return PH_ENOMEM;
    }
    rc = access_load_key(h);
    if (rc == 0) {
        rc = access_load_viewers(h);
    }
    return rc;
}

void
access_free(struct hub *h)
{
    if (h->access == NULL) {
        return;
    }
    ph_free(h->access->viewers);
    memset(h->access, 0, sizeof(*h->access));
    ph_free(h->access);
    h->access = NULL;
}

struct login_throttle *
access_throttle(struct hub *h)
{
    return &h->access->throttle;
}

int
access_private(const struct hub *h)
{
    return h->conf.page.access != PAGE_ACCESS_PUBLIC;
}

int
access_password_ok(const struct hub *h, const char *password)
{
    char hash[TOKEN_HASH_HEX];
    size_t n = strlen(password);

    if (n == 0 || n > TOKEN_MAX ||
        h->conf.page.password_sha256[0] == '\0') {
        return 0;
    }
    token_hash(password, n, hash);
    return token_hash_equal(hash, h->conf.page.password_sha256);
}

/* The viewer whose token is tok, or NULL. */
static const struct viewer *
viewer_by_token(const struct hub *h, const char *tok)
{
    const struct viewer *found = NULL;
    char hash[TOKEN_HASH_HEX];
    size_t n = strlen(tok);

    if (n == 0 || n > TOKEN_MAX) {
        return NULL;
    }
    token_hash(tok, n, hash);
    for (size_t i = 0; i < h->access->nviewers; i++) {
        if (token_hash_equal(h->access->viewers[i].token_sha256, hash)) {
            found = &h->access->viewers[i];
        }
    }
    return found;
}

static int
viewer_active(const struct hub *h, const char *name)
{
    for (size_t i = 0; i < h->access->nviewers; i++) {
        if (strcmp(h->access->viewers[i].name, name) == 0) {
            return 1;
        }
    }
    return 0;
}

int
access_set_session(struct hub *h, struct http_response *resp,
                   const char *subject)
{
    const struct conf_page *pg = &h->conf.page;
    char value[SESSION_VALUE_MAX], cookie[SESSION_VALUE_MAX + 160];
    int64_t ttl_s = pg->session_ttl_ms / 1000;
    int secure = pg->url != NULL && strncmp(pg->url, "https://", 8) == 0;
    int rc;

    rc = session_make(h->access->key, pg->id, pg->password_sha256,
                      time_now_ms() / 1000 + ttl_s, subject, value,
                      sizeof(value));
    if (rc != 0) {
        return rc;
    }
    snprintf(cookie, sizeof(cookie),
             "%s=%s; Path=/; Max-Age=%lld; HttpOnly; SameSite=Lax%s",
             SESSION_COOKIE, value, (long long)ttl_s,
             secure ? "; Secure" : "");
    return http_resp_header(resp, "Set-Cookie", cookie);
}

void
access_clear_session(struct http_response *resp)
{
    http_resp_header(resp, "Set-Cookie",
                     SESSION_COOKIE "=; Path=/; Max-Age=0; HttpOnly; "
                                    "SameSite=Lax");
}

/* The cookie's session, valid for the page's current mode. */
static int
session_valid(struct hub *h, struct http_request *req)
{
    const struct conf_page *pg = &h->conf.page;
    const char *hdr = http_req_header(req, "Cookie");
    const char *v;
    char subject[SESSION_SUBJECT_MAX];
    size_t len;
    enum session_verdict sv;

    if (hdr == NULL ||
        (v = session_cookie_find(hdr, SESSION_COOKIE, &len)) == NULL) {
        return 0;
    }
    sv = session_check(h->access->key, pg->id, pg->password_sha256, v, len,
                       time_now_ms() / 1000, subject, sizeof(subject));
    if (sv != SESSION_OK) {
        if (sv != SESSION_EXPIRED) {
            h->metrics.auth_failures++;
            complain(&h->auth_complaint, time_mono_ms(),
                     "access: refused a %s session cookie from %s",
                     sv == SESSION_BAD_SIG ? "tampered" : "malformed",
                     http_req_client(req));
        }
        return 0;
    }
    if (pg->access == PAGE_ACCESS_PASSWORD) {
        return strcmp(subject, "p") == 0;
    }
    if (pg->access == PAGE_ACCESS_TOKEN) {
        return strncmp(subject, "v:", 2) == 0 &&
               viewer_active(h, subject + 2);
    }
    return 0;
}

/* An error reply of the gate: never cached, no CORS for other sites. */
static void
refuse(struct http_response *resp, int status, const char *message)
{
    http_resp_error(resp, status,
                    status == 401 ? "unauthorized" : "forbidden", message);
    resp->cors = 0;
    resp->cache_control = "no-store";
}

int
access_client_allowed(struct hub *h, struct http_request *req,
                      struct http_response *resp)
{
    const struct conf_page *pg = &h->conf.page;
    uint8_t a[16];

    if (pg->nallow_ips == 0) {
        return 1;
    }
    if (netaddr_bytes_text(http_req_client(req), a) == 0 &&
        netaddr_in_list(a, pg->allow_ips, pg->nallow_ips)) {
        return 1;
    }
    refuse(resp, 403, "this page cannot be read from your address");
    resp->cors = pg->access == PAGE_ACCESS_PUBLIC;
    return 0;
}

static void
redirect(struct http_response *resp, const char *location)
{
    resp->status = 303;
    resp->cache_control = "no-store";
    http_resp_header(resp, "Location", location);
}

const char *
access_safe_next(const char *p)
{
    size_t n = p != NULL ? strlen(p) : 0;

    if (n == 0 || n > 512 || p[0] != '/' || p[1] == '/') {
        return "/";
    }
    for (size_t i = 0; i < n; i++) {
        char ch = p[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || ch == '/' || ch == '.' ||
              ch == '-' || ch == '_' || ch == '~')) {
            return "/";
        }
    }
    if (strstr(p, "..") != NULL) {
        return "/";
    }
    return p;
}

/* The path of req, safe as a redirect target ("/" otherwise). */
static const char *
local_path(struct http_request *req)
{
    return access_safe_next(http_req_path(req));
}

/* A viewer link: ?viewer=<token>. 1 when it names an active viewer (on
 * the page, resp then sets the cookie and redirects past the link). */
static int
viewer_link(struct hub *h, struct http_request *req,
            struct http_response *resp, int page)
{
    const char *tok = http_req_query(req, "viewer");
    const struct viewer *v;
    char subject[SESSION_SUBJECT_MAX];

    if (tok == NULL || h->conf.page.access != PAGE_ACCESS_TOKEN) {
        return 0;
    }
    v = viewer_by_token(h, tok);
    if (v == NULL) {
        h->metrics.auth_failures++;
        complain(&h->auth_complaint, time_mono_ms(),
                 "access: unknown or revoked viewer link from %s",
                 http_req_client(req));
        return 0;
    }
    if (page) {
        snprintf(subject, sizeof(subject), "v:%s", v->name);
        if (access_set_session(h, resp, subject) != 0) {
            http_resp_error(resp, 500, "internal", "cannot sign a session");
            return 1;
        }
        redirect(resp, local_path(req));
    }
    return 1;
}

int
access_allow(struct hub *h, struct http_request *req,
             struct http_response *resp, int page)
{
    const struct conf_page *pg = &h->conf.page;
    char next[600];

    if (pg->access == PAGE_ACCESS_PUBLIC && pg->nallow_ips == 0) {
        return 0;
    }
    /* Tools read with an API key, from anywhere. */
    if (http_req_header(req, "Authorization") != NULL ||
        http_req_query(req, "api_key") != NULL) {
        if (auth_api_key(h, req, SCOPE_READ, resp, NULL) != NULL) {
            return 0;
        }
        resp->cors = pg->access == PAGE_ACCESS_PUBLIC;
        return -1;
    }
    if (!access_client_allowed(h, req, resp)) {
        return -1;
    }
    if (pg->access == PAGE_ACCESS_PUBLIC || session_valid(h, req)) {
        return 0;
    }
    if (viewer_link(h, req, resp, page)) {
        return page ? -1 : 0;
    }
    if (page) {
        snprintf(next, sizeof(next), "/login?next=%s", local_path(req));
        redirect(resp, next);
        return -1;
    }
    refuse(resp, 401, pg->access == PAGE_ACCESS_PASSWORD
                        ? "this page is private: sign in at /login or send "
                          "an API key"
                        : "this page is private: open your viewer link or "
                          "send an API key");
    return -1;
}
