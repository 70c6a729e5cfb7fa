/*
 * http.c - the http check type: one request (or `steps:`) over HTTP(S). The
 * whole type in one file, listed in checks/registry.h; in three parts,
 * one per define:
 *
 *   PH_CHECK_DECLARE  struct check_http, its part of struct check (u.http):
 *                     copied by CMake into the header check.h includes
 *                     (the define is never set; it marks the part)
 *   PH_CHECK_PROBE    probe_http_ops, the probe: the agent's probe library
 *   neither           check_http_kind, its keys and their rules: lib/ (the
 *                     collector, pharosctl and the agent; the key table
 *                     also carries the check on the wire, lib/wire.c)
 */
#if defined(PH_CHECK_DECLARE)

#include <stddef.h>

#define CHECK_MAX_EXPECT_STATUS 16
#define CHECK_MAX_HEADERS 32

struct http_secret;
struct http_step;
struct http_assert;

struct check_header {
    char *name;
    char *value;
};

struct check_http {
    char *url;
    char *method;                 /* NULL means GET */
    struct check_header *headers; /* nheaders entries, owned */
    size_t nheaders;
    char *body;                   /* request body or NULL */
    int follow_redirects;         /* default 0 */
    int expect_status[CHECK_MAX_EXPECT_STATUS];
    size_t nexpect_status;        /* 0 means 200-399 */
    char *body_contains;
    char *body_not_contains;
    char *body_regex;             /* POSIX extended regex */
    char *json_path;              /* "$.a.b" */
    char *json_equals;            /* compared with the value as text */
    int insecure;                 /* 1 disables TLS verification */
    char *ca_file;
    /* Multi-step checks and assertions (check_http_spec.h), owned. */
    struct http_secret *secrets;
    size_t nsecrets;
    struct http_step *steps;      /* nsteps > 0: run these, not url */
    size_t nsteps;
    struct http_assert *asserts;  /* on the single request */
    size_t nasserts;
};

#elif defined(PH_CHECK_PROBE)

/*
 * The probe: HTTP(S) on libcurl multi (curl_uv).
 *
 * One fresh connection per run (no reuse), so every run measures DNS,
 * connect and TLS for real. Assertions: status in expect_status (default
 * 200-399), body contains / does not contain / matches a POSIX ERE, a
 * JSON value at a simple path ($.a.b[0]) equals a text, and the `assert:`
 * list (probe_http_assert()); a check with `steps:` is handed to
 * probe_http_steps.c. Timing phases are
 * libcurl's *_TIME_T values; the certificate's not-after comes from
 * CURLINFO_CERTINFO.
 */
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "probe_curl.h"
#include "curl_uv.h"
#include "json.h"
#include "mem.h"
#include "ph_err.h"
#include "probe.h"
#include "probe_http_steps.h"

#define HTTP_BODY_MAX (1024 * 1024)
#define CONN_CLOSE "Connection: close"

/* The header list of a check without headers of its own; libcurl only
 * reads it. */
static char conn_close_text[] = CONN_CLOSE;
static struct curl_slist conn_close = {conn_close_text, NULL};

struct http_run {
    void *steps;                  /* a run of steps:, or NULL */
    const struct probe_env *env;
    const struct check *c;
    probe_done_cb cb;
    void *arg;
    CURL *easy;
    struct curl_slist *hdrs;
    struct buf body;
    int truncated;
    char iface[80];
    char errbuf[CURL_ERROR_SIZE];
    struct check_result res;
};

static size_t
on_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct http_run *h = userdata;
    size_t n = size * nmemb;
    size_t room = HTTP_BODY_MAX - h->body.len;

    /* Keep the first HTTP_BODY_MAX bytes and evaluate those; stop the
     * transfer rather than read an unbounded body. */
    if (n > room) {
        buf_append(&h->body, ptr, room);
        h->truncated = 1;
        return 0;
    }
    buf_append(&h->body, ptr, n);
    return n;
}

static void
run_free(struct http_run *h)
{
    curl_uv_easy_put(h->env->curl, h->easy);
    curl_slist_free_all(h->hdrs);
    buf_free(&h->body);
    ph_free(h);
}

/* Parses OpenSSL's "Expire date" text ("Jan  1 00:00:00 2027 GMT"). */
/* Walks "$.a.b[2].c" in doc; returns the borrowed value or NULL. */
static json_t *
json_walk(json_t *doc, const char *path)
{
    json_t *cur = doc;
    const char *p = path;
    char key[256];

    if (*p != '$') {
        return NULL;
    }
    p++;
    while (*p != '\0' && cur != NULL) {
        if (*p == '.') {
            size_t n = strcspn(p + 1, ".[");
            if (n == 0 || n >= sizeof(key)) {
                return NULL;
            }
            memcpy(key, p + 1, n);
            key[n] = '\0';
            cur = json_object_get(cur, key);
            p += 1 + n;
        } else if (*p == '[') {
            char *end = NULL;
            long idx = strtol(p + 1, &end, 10);
            if (end == p + 1 || *end != ']' || idx < 0) {
                return NULL;
            }
            cur = json_array_get(cur, (size_t)idx);
            p = end + 1;
        } else {
            return NULL;
        }
    }
    return cur;
}

/* The JSON value as text: strings bare, others as compact JSON. */
static int
json_text(json_t *v, char *out, size_t len)
{
    if (json_is_string(v)) {
        snprintf(out, len, "%s", json_string_value(v));
        return 0;
    }
    struct buf b;
    int rc;

    buf_init(&b, len - 1);
    rc = ph_json_dump_buf(v, 0, &b);
    if (rc == 0) {
        memcpy(out, b.data, b.len + 1);
    }
    buf_free(&b);
    return rc == 0 ? 0 : -1;
}

static void
format_expect(const struct check_http *hc, char *out, size_t len)
{
    size_t off = 0;

    if (hc->nexpect_status == 0) {
        snprintf(out, len, "200-399");
        return;
    }
    out[0] = '\0';
    for (size_t i = 0; i < hc->nexpect_status && off + 8 < len; i++) {
        off += (size_t)snprintf(out + off, len - off, "%s%d", i ? "," : "",
                                hc->expect_status[i]);
    }
}

/* Evaluates the assertions on a completed response. */
static void
evaluate(struct http_run *h, long code)
{
    const struct check_http *hc = &h->c->u.http;
    struct check_result *r = &h->res;
    const char *body = h->body.data != NULL ? h->body.data : "";
    int status_ok = 0;

    r->status_code = (int32_t)code;
    if (hc->nexpect_status == 0) {
        status_ok = code >= 200 && code <= 399;
    }
    for (size_t i = 0; i < hc->nexpect_status; i++) {
        if (hc->expect_status[i] == code) {
            status_ok = 1;
        }
    }
    if (!status_ok) {
        char exp[96];
        format_expect(hc, exp, sizeof(exp));
        check_result_seterr(r, "http: status %ld not in [%s]", code, exp);
        return;
    }
    if (hc->body_contains != NULL && strstr(body, hc->body_contains) == NULL) {
        check_result_seterr(r, "http: body does not contain \"%.60s\"",
                            hc->body_contains);
        return;
    }
    if (hc->body_not_contains != NULL &&
        strstr(body, hc->body_not_contains) != NULL) {
        check_result_seterr(r, "http: body contains \"%.60s\"",
                            hc->body_not_contains);
        return;
    }
    if (hc->body_regex != NULL) {
        regex_t re;
        int m;

        if (regcomp(&re, hc->body_regex, REG_EXTENDED | REG_NOSUB) != 0) {
            check_result_seterr(r, "http: body_regex does not compile");
            return;
        }
        m = regexec(&re, body, 0, NULL, 0);
        regfree(&re);
        if (m != 0) {
            check_result_seterr(r, "http: body does not match /%.60s/",
                                hc->body_regex);
            return;
        }
    }
    if (hc->nasserts > 0) {
        struct json_doc *doc = NULL;
        char why[CHECK_ERROR_MAX];
        int failed = probe_http_assert(h->easy, hc->asserts, hc->nasserts,
                                       NULL, body, h->body.len, &doc, why,
                                       sizeof(why));

        json_doc_destroy(doc);
        if (failed) {
            check_result_seterr(r, "http: %s", why);
            return;
        }
    }
    if (hc->json_path != NULL) {
        struct ph_json_err jerr;
        json_t *doc = ph_json_parse(body, h->body.len, 0, &jerr);
        json_t *v;
        char got[128];

        if (doc == NULL) {
            check_result_seterr(r, "http: body is not JSON: %.60s",
                                jerr.text);
            return;
        }
        v = json_walk(doc, hc->json_path);
        if (v == NULL) {
            check_result_seterr(r, "http: %s not found in JSON",
                                hc->json_path);
            json_decref(doc);
            return;
        }
        if (json_text(v, got, sizeof(got)) != 0 ||
            strcmp(got, hc->json_equals != NULL ? hc->json_equals : "") !=
                0) {
            check_result_seterr(r, "http: %s is \"%.40s\", expected \"%.40s\"",
                                hc->json_path, got,
                                hc->json_equals ? hc->json_equals : "");
            json_decref(doc);
            return;
        }
        json_decref(doc);
    }
    r->outcome = OUTCOME_UP;
    r->error[0] = '\0';
}

/* Short, specific error text for a transport failure. */
static void
transport_error(struct http_run *h, CURLcode cc)
{
    struct check_result *r = &h->res;
    const char *detail = h->errbuf[0] ? h->errbuf : curl_easy_strerror(cc);

    switch (cc) {
    case CURLE_COULDNT_RESOLVE_HOST:
        check_result_seterr(r, "dns: could not resolve host");
        break;
    case CURLE_COULDNT_CONNECT: {
        long oserr = 0;
        curl_easy_getinfo(h->easy, CURLINFO_OS_ERRNO, &oserr);
        check_result_seterr(r, "connect: %s",
                            oserr == ECONNREFUSED ? "connection refused"
                            : oserr != 0          ? strerror((int)oserr)
                                                  : detail);
        break;
    }
    case CURLE_OPERATION_TIMEDOUT:
        check_result_seterr(r, "timeout after %u ms", h->c->timeout_ms);
        break;
    case CURLE_PEER_FAILED_VERIFICATION:
        check_result_seterr(r, "tls: certificate verify failed: %s", detail);
        break;
    case CURLE_SSL_CONNECT_ERROR:
        check_result_seterr(r, "tls: handshake failed: %s", detail);
        break;
    case CURLE_TOO_MANY_REDIRECTS:
        check_result_seterr(r, "http: too many redirects");
        break;
    default:
        check_result_seterr(r, "http: %s", detail);
        break;
    }
}

static void
on_done(CURL *easy, CURLcode cc, void *arg)
{
    struct http_run *h = arg;
    struct check_result *r = &h->res;
    long code = 0;

    probe_curl_timing(easy, &r->timing);
    r->latency_ms = (uint32_t)(r->timing.total_us / 1000);
    r->cert_not_after = probe_curl_cert_not_after(easy);
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
    r->outcome = OUTCOME_DOWN;
    if (cc == CURLE_OK || (cc == CURLE_WRITE_ERROR && h->truncated)) {
        evaluate(h, code);
    } else {
        transport_error(h, cc);
    }
    probe_finish(h->c, r, probe_now_ms() / 1000);
    h->cb(h->c, r, h->arg);
    run_free(h);
}

/* The end of a run of steps: h only carried it. */
static void
steps_done(const struct check *c, const struct check_result *r, void *arg)
{
    struct http_run *h = arg;
    probe_done_cb cb = h->cb;
    void *cb_arg = h->arg;

    ph_free(h);
    cb(c, r, cb_arg);
}

static int
http_start(const struct probe_env *env, const struct check *c,
           probe_done_cb cb, void *arg, void **ret_run)
{
    const struct check_http *hc = &c->u.http;
    struct http_run *h = ph_calloc(1, sizeof(*h));
    const char *src;
    int conn_hdr = 0;
    CURL *e;
    int result;

    if (h == NULL) {
        return PH_ENOMEM;
    }
    if (hc->nsteps > 0) {
        h->cb = cb;
        h->arg = arg;
        result = probe_http_steps_start(env, c, steps_done, h, &h->steps);
        if (result != 0) {
            ph_free(h);
            return result;
        }
        *ret_run = h;
        return 0;
    }
    h->env = env;
    h->c = c;
    h->cb = cb;
    h->arg = arg;
    buf_init(&h->body, HTTP_BODY_MAX);
    snprintf(h->res.check_id, sizeof(h->res.check_id), "%s", c->id);
    h->res.started_at_ms = probe_now_ms();
    e = h->easy = curl_uv_easy_get(env->curl);
    if (e == NULL) {
        result = PH_ENOMEM;
        goto out;
    }
    curl_easy_setopt(e, CURLOPT_URL, hc->url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)c->timeout_ms);
    curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
    /* The handle may have run a probe before: no TLS session resumed. */
    curl_easy_setopt(e, CURLOPT_SSL_SESSIONID_CACHE, 0L);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, h);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, h->errbuf);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "pharos-agent/" PH_VERSION);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, hc->follow_redirects ? 1L : 0L);
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, hc->insecure ? 0L : 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, hc->insecure ? 0L : 2L);
    curl_easy_setopt(e, CURLOPT_CERTINFO, 1L);
    if (hc->ca_file != NULL) {
        curl_easy_setopt(e, CURLOPT_CAINFO, hc->ca_file);
    }
    src = probe_source_address(env, c);
    if (src != NULL) {
        snprintf(h->iface, sizeof(h->iface), "host!%s", src);
        curl_easy_setopt(e, CURLOPT_INTERFACE, h->iface);
    }
    if (hc->method != NULL) {
        if (strcmp(hc->method, "HEAD") == 0) {
            curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
        } else if (strcmp(hc->method, "GET") != 0) {
            curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, hc->method);
        }
    }
    if (hc->body != NULL) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, hc->body);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(hc->body));
        if (hc->method == NULL) {
            curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "POST");
        }
    }
    for (size_t i = 0; i < hc->nheaders; i++) {
        char line[1024];
        struct curl_slist *n;

        if (strcasecmp(hc->headers[i].name, "Connection") == 0) {
            conn_hdr = 1;
        }
        snprintf(line, sizeof(line), "%s: %s", hc->headers[i].name,
                 hc->headers[i].value);
        n = curl_slist_append(h->hdrs, line);
        if (n == NULL) {
            result = PH_ENOMEM;
            goto out;
        }
        h->hdrs = n;
    }
    /* The connection is not reused (FORBID_REUSE): say so, as HTTP/1.1
     * asks of such a client, so the server closes first and keeps the
     * TIME_WAIT, not the agent's ephemeral ports (curl leaves it out of
     * HTTP/2). Unless the check sets its own. */
    if (!conn_hdr && h->hdrs != NULL) {
        struct curl_slist *n = curl_slist_append(h->hdrs, CONN_CLOSE);

        if (n == NULL) {
            result = PH_ENOMEM;
            goto out;
        }
        h->hdrs = n;
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER,
                     h->hdrs != NULL ? h->hdrs : &conn_close);
    result = curl_uv_add(env->curl, e, on_done, h);
    if (result != 0) {
        goto out;
    }
    *ret_run = h;
    h = NULL;
    result = 0;
out:
    if (h != NULL) {
        run_free(h);
    }
    return result;
}

static void
http_cancel(void *run)
{
    struct http_run *h = run;

    if (h->steps != NULL) {
        probe_http_steps_cancel(h->steps);
        ph_free(h);
        return;
    }
    curl_uv_remove(h->env->curl, h->easy);
    run_free(h);
}

/* The URL's host and port (libcurl's URL parser is seen only here). */
static int
http_target(const struct check *c, char *host, size_t hostlen,
            uint16_t *ret_port)
{
    CURLU *u = curl_url();
    char *h = NULL, *port = NULL;
    long p;
    int result = PH_EINVAL;

    if (u == NULL) {
        return PH_ENOMEM;
    }
    if (c->type != CHECK_HTTP || c->u.http.url == NULL ||
        curl_url_set(u, CURLUPART_URL, c->u.http.url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
            CURLUE_OK) {
        goto out;
    }
    p = strtol(port, NULL, 10);
    /* An IPv6 literal comes bracketed: getaddrinfo wants it bare. */
    if (h[0] == '[') {
        size_t n = strlen(h);
        if (n < 3 || h[n - 1] != ']') {
            goto out;
        }
        h[n - 1] = '\0';
        memmove(h, h + 1, n - 1);
    }
    if (p <= 0 || p > 65535 ||
        snprintf(host, hostlen, "%s", h) >= (int)hostlen) {
        goto out;
    }
    *ret_port = (uint16_t)p;
    result = 0;
out:
    curl_free(h);
    curl_free(port);
    curl_url_cleanup(u);
    return result;
}

const struct probe_ops probe_http_ops = {
    "http",
    CHECK_HTTP,
    http_start,
    http_cancel,
    http_target,
};

#else /* the check kind */

#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "check_http_spec.h"
#include "conf.h"
#include "mem.h"

static int
headers_decode(const struct conf_opt *o, const struct conf_node *node,
               void *base, const char *file, struct conf_errs *errs)
{
    struct check_http *h = &((struct check *)base)->u.http;
    size_t n = 0;

    if (node->type != CONF_MAP) {
        conf_err(errs, file, node->line, node->col,
                 "'%s': expected a mapping of name: value", o->key);
        return -1;
    }
    for (const struct conf_node *i = node->child; i; i = i->next) {
        n++;
    }
    h->headers = n > 0 ? ph_calloc(n, sizeof(*h->headers)) : NULL;
    for (const struct conf_node *i = node->child; i && h->headers;
         i = i->next) {
        if (i->type != CONF_SCALAR) {
            conf_err(errs, file, i->line, i->col,
                     "header '%s': expected a string", i->key);
            return -1;
        }
        if (h->nheaders >= CHECK_MAX_HEADERS) {
            conf_err(errs, file, i->line, i->col, "at most %d headers",
                     CHECK_MAX_HEADERS);
            return -1;
        }
        if (strpbrk(i->key, "\r\n:") || strpbrk(i->value, "\r\n")) {
            conf_err(errs, file, i->line, i->col,
                     "header '%s' contains a forbidden character", i->key);
            return -1;
        }
        h->headers[h->nheaders].name = ph_strdup(i->key);
        h->headers[h->nheaders].value = ph_strdup(i->value);
        h->nheaders++;
    }
    return 0;
}

static void
headers_print(const struct conf_opt *o, const void *base, const char *indent,
              struct buf *out)
{
    const struct check_http *h = &((const struct check *)base)->u.http;

    if (h->nheaders == 0) {
        return;
    }
    buf_printf(out, "%s%s:\n", indent, o->key);
    for (size_t i = 0; i < h->nheaders; i++) {
        buf_printf(out, "%s  ", indent);
        conf_print_quoted(out, h->headers[i].name);
        buf_appends(out, ": ");
        conf_print_quoted(out, h->headers[i].value);
        buf_appends(out, "\n");
    }
}

static void
headers_free(const struct conf_opt *o, void *base)
{
    struct check_http *h = &((struct check *)base)->u.http;

    (void)o;
    for (size_t i = 0; i < h->nheaders; i++) {
        ph_free(h->headers[i].name);
        ph_free(h->headers[i].value);
    }
    ph_free(h->headers);
    h->headers = NULL;
    h->nheaders = 0;
}

static int
headers_copy(const struct conf_opt *o, void *dst, const void *src)
{
    struct check_http *d = &((struct check *)dst)->u.http;
    const struct check_http *s = &((const struct check *)src)->u.http;
    int bad = 0;

    (void)o;
    d->headers = NULL;
    d->nheaders = 0;
    if (s->nheaders == 0) {
        return 0;
    }
    d->headers = ph_calloc(s->nheaders, sizeof(*d->headers));
    if (d->headers == NULL) {
        return -1;
    }
    d->nheaders = s->nheaders;
    for (size_t i = 0; i < s->nheaders; i++) {
        d->headers[i].name = ph_strdup(s->headers[i].name);
        d->headers[i].value = ph_strdup(s->headers[i].value);
        bad |= d->headers[i].name == NULL || d->headers[i].value == NULL;
    }
    return bad ? -1 : 0;
}

static int
headers_equal(const struct conf_opt *o, const void *a, const void *b)
{
    const struct check_http *x = &((const struct check *)a)->u.http;
    const struct check_http *y = &((const struct check *)b)->u.http;

    (void)o;
    if (x->nheaders != y->nheaders) {
        return 0;
    }
    for (size_t i = 0; i < x->nheaders; i++) {
        if (strcmp(x->headers[i].name, y->headers[i].name) != 0 ||
            strcmp(x->headers[i].value, y->headers[i].value) != 0) {
            return 0;
        }
    }
    return 1;
}

static const struct conf_custom headers_custom = {
    headers_decode, headers_print, headers_free,
    headers_copy,   headers_equal, NULL};

static int
status_decode(const struct conf_opt *o, const struct conf_node *node,
              void *base, const char *file, struct conf_errs *errs)
{
    struct check_http *h = &((struct check *)base)->u.http;
    char *items[CHECK_MAX_EXPECT_STATUS];
    size_t n = 0;
    int bad = 0;

    if (conf_string_list(node, items, CHECK_MAX_EXPECT_STATUS, &n, o->key,
                         file, errs) != 0) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        char *end = NULL;
        long v = strtol(items[i], &end, 10);
        if (!bad && (*end != '\0' || v < 100 || v > 599)) {
            conf_err(errs, file, node->line, node->col,
                     "'%s': '%s' is not an HTTP status (100-599)", o->key,
                     items[i]);
            bad = 1;
        }
        h->expect_status[i] = (int)v;
        ph_free(items[i]);
    }
    h->nexpect_status = bad ? 0 : n;
    return bad ? -1 : 0;
}

static void
status_print(const struct conf_opt *o, const void *base, const char *indent,
             struct buf *out)
{
    const struct check_http *h = &((const struct check *)base)->u.http;

    if (h->nexpect_status == 0) {
        return;
    }
    buf_printf(out, "%s%s: [", indent, o->key);
    for (size_t i = 0; i < h->nexpect_status; i++) {
        buf_printf(out, "%s%d", i ? ", " : "", h->expect_status[i]);
    }
    buf_appends(out, "]\n");
}

static int
status_equal(const struct conf_opt *o, const void *a, const void *b)
{
    const struct check_http *x = &((const struct check *)a)->u.http;
    const struct check_http *y = &((const struct check *)b)->u.http;

    (void)o;
    return x->nexpect_status == y->nexpect_status &&
           memcmp(x->expect_status, y->expect_status,
                  x->nexpect_status * sizeof(x->expect_status[0])) == 0;
}

static const struct conf_custom status_custom = {
    status_decode, status_print, NULL, NULL, status_equal, NULL};

#define H(field) offsetof(struct check, u.http.field)

static const struct conf_opt http_opts[] = {
    {"url", CONF_T_STR, H(url), NULL, 0, 0, 1, NULL, "http:// or https://"},
    {"method", CONF_T_STR, H(method), NULL, 0, 0, 0, NULL, "default GET"},
    {"headers", CONF_T_CUSTOM, 0, NULL, 0, 0, 0, &headers_custom,
     "request headers"},
    {"body", CONF_T_STR, H(body), NULL, 0, 0, 0, NULL, "request body"},
    {"follow_redirects", CONF_T_BOOL, H(follow_redirects), "false", 0, 0, 0,
     NULL, "follow 3xx responses"},
    {"expect_status", CONF_T_CUSTOM, 0, NULL, 0, 0, 0, &status_custom,
     "accepted statuses (default 200-399)"},
    {"body_contains", CONF_T_STR, H(body_contains), NULL, 0, 0, 0, NULL,
     "text the body must contain"},
    {"body_not_contains", CONF_T_STR, H(body_not_contains), NULL, 0, 0, 0,
     NULL, "text the body must not contain"},
    {"body_regex", CONF_T_STR, H(body_regex), NULL, 0, 0, 0, NULL,
     "POSIX extended regex the body must match"},
    {"json_path", CONF_T_STR, H(json_path), NULL, 0, 0, 0, NULL,
     "$.field.path in a JSON body"},
    {"json_equals", CONF_T_STR, H(json_equals), NULL, 0, 0, 0, NULL,
     "value json_path must have"},
    {"insecure", CONF_T_BOOL, H(insecure), "false", 0, 0, 0, NULL,
     "skip TLS verification"},
    {"ca_file", CONF_T_STR, H(ca_file), NULL, 0, 0, 0, NULL,
     "CA bundle for TLS verification"},
    {"assert", CONF_T_LIST, H(asserts), NULL, 0, 0, 0,
     &http_asserts_spec.sub.custom,
     "assertions on the response: json or header, op, value"},
    {"secrets", CONF_T_LIST, H(secrets), NULL, 0, 0, 0,
     &http_secrets_spec.sub.custom,
     "values the agent reads from its environment or a file"},
    {"steps", CONF_T_LIST, H(steps), NULL, 0, 0, 0,
     &http_steps_spec.sub.custom,
     "up to 10 requests run in order, sharing variables"},
    {NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL},
};

static int
http_finish(struct check *c, const struct conf_node *node, const char *file,
            struct conf_errs *errs)
{
    const struct check_http *h = &c->u.http;
    size_t nerr = errs->n + errs->dropped;

    /* url NULL: it was not a string, and that error is reported. */
    if (h->url != NULL && strncmp(h->url, "http://", 7) != 0 &&
        strncmp(h->url, "https://", 8) != 0) {
        conf_err(errs, file, node->line, node->col,
                 "check '%s': url must start with http:// or https://",
                 c->id);
    }
    if (h->body_regex != NULL) {
        regex_t re;
        if (regcomp(&re, h->body_regex, REG_EXTENDED | REG_NOSUB) != 0) {
            conf_err(errs, file, node->line, node->col,
                     "check '%s': body_regex does not compile", c->id);
        } else {
            regfree(&re);
        }
    }
    if (h->json_path != NULL && strncmp(h->json_path, "$", 1) != 0) {
        conf_err(errs, file, node->line, node->col,
                 "check '%s': json_path must start with '$'", c->id);
    }
    if ((h->json_path == NULL) != (h->json_equals == NULL)) {
        conf_err(errs, file, node->line, node->col,
                 "check '%s': json_path and json_equals go together", c->id);
    }
    check_http_spec_finish(c, node, file, errs);
    return errs->n + errs->dropped > nerr ? -1 : 0;
}

const struct check_kind check_http_kind = {"http", CHECK_HTTP, http_opts,
                                           http_finish};

#endif
