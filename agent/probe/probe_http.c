/*
 * probe_http.c - the HTTP(S) probe on libcurl multi (curl_uv).
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

int
probe_http_target(const struct check *c, char *host, size_t hostlen,
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
};
