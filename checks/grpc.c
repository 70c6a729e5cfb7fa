/*
 * grpc.c - the grpc check type: grpc.health.v1.Health/Check over HTTP/2. The
 * whole type in one file, listed in checks/registry.h; in three parts,
 * one per define:
 *
 *   PH_CHECK_DECLARE  struct check_grpc, its part of struct check (u.grpc):
 *                     copied by CMake into the header check.h includes
 *                     (the define is never set; it marks the part)
 *   PH_CHECK_PROBE    probe_grpc_ops, the probe: the agent's probe library
 *   neither           check_grpc_kind, its keys and their rules: lib/ (the
 *                     collector, pharosctl and the agent; the key table
 *                     also carries the check on the wire, lib/wire.c)
 */
#if defined(PH_CHECK_DECLARE)

#define CHECK_GRPC_SERVICE_MAX 200 /* bytes of `service:` */

struct check_grpc {
    char *host;
    int port;
    char *service;                /* NULL: the server as a whole ("") */
    int tls;                      /* HTTP/2 over TLS (ALPN h2) */
    int insecure;                 /* 1 disables TLS verification */
    char *ca_file;
};

#elif defined(PH_CHECK_PROBE)

/*
 * The probe: gRPC health check: grpc.health.v1.Health/Check over
 * HTTP/2 through libcurl (cleartext with prior knowledge, or TLS with
 * ALPN h2), on the agent's curl_uv multi. SERVING is up; any other
 * serving status, a non-zero grpc-status (NOT_FOUND for an unknown
 * service, UNIMPLEMENTED without the health service, ...) or a reply
 * that is not gRPC is down, with the status named.
 *
 * The request and the reply are built and parsed here by hand (one
 * string field out, one enum field back): no protobuf code generation
 * for a 10-byte message. The reply parser (grpc_parse_reply) is pure
 * and fuzzed: tests/fuzz/fuzz_grpc.c includes this file.
 *
 * curl.h is seen here besides http.c (HTTP/2 is what libcurl is
 * for; a second HTTP/2 stack would be worse than a third includer).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "probe_curl.h"
#include "curl_uv.h"
#include "mem.h"
#include "ph_err.h"
#include "probe.h"

/* A health reply is a few bytes; anything larger is not one. */
#define GRPC_BODY_MAX 4096
#define GRPC_MSG_MAX 96

/* grpc.health.v1.HealthCheckResponse.ServingStatus */
static const char *const serving_names[] = {"UNKNOWN", "SERVING",
                                            "NOT_SERVING", "SERVICE_UNKNOWN"};
/* gRPC status codes (grpc/doc/statuscodes.md). */
static const char *const status_names[] = {
    "OK",        "CANCELLED",         "UNKNOWN",        "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
    "UNIMPLEMENTED", "INTERNAL",      "UNAVAILABLE",    "DATA_LOSS",
    "UNAUTHENTICATED"};

struct grpc_run {
    const struct probe_env *env;
    const struct check *c;
    probe_done_cb cb;
    void *arg;
    CURL *easy;
    struct curl_slist *hdrs;
    struct buf body;
    int truncated;
    int grpc_status;              /* -1 until the grpc-status header */
    char grpc_message[GRPC_MSG_MAX];
    char url[320];
    char iface[80];
    uint8_t req[5 + 3 + CHECK_GRPC_SERVICE_MAX];
    size_t req_len;
    char errbuf[CURL_ERROR_SIZE];
    struct check_result res;
};

/* Reads a protobuf varint at *p (< end); returns 0 or -1. */
static int
varint(const uint8_t **p, const uint8_t *end, uint64_t *ret)
{
    uint64_t v = 0;

    for (int shift = 0; shift < 64; shift += 7) {
        if (*p >= end) {
            return -1;
        }
        v |= (uint64_t)(**p & 0x7f) << shift;
        if ((*(*p)++ & 0x80) == 0) {
            *ret = v;
            return 0;
        }
    }
    return -1;
}

/*
 * Pure: the serving status in a gRPC reply body p[0..len) holding one
 * length-prefixed message (flag byte 0, big-endian length, then a
 * HealthCheckResponse). Returns the status (0-3 and anything a newer
 * server sends), or -1 with why in err.
 */
static int
grpc_parse_reply(const uint8_t *p, size_t len, char *err, size_t errlen)
{
    const uint8_t *end;
    uint64_t status = 0;
    uint32_t mlen;

    if (len < 5) {
        snprintf(err, errlen, "reply of %zu bytes, no gRPC message", len);
        return -1;
    }
    if (p[0] != 0) {
        snprintf(err, errlen, "compressed or unknown message flag %u",
                 p[0]);
        return -1;
    }
    mlen = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 8 | p[4];
    if (mlen != len - 5) {
        snprintf(err, errlen, "message of %u bytes in %zu", mlen, len - 5);
        return -1;
    }
    p += 5;
    end = p + mlen;
    while (p < end) {
        uint64_t key, v;

        if (varint(&p, end, &key) != 0) {
            goto bad;
        }
        switch (key & 7) {
        case 0: /* varint */
            if (varint(&p, end, &v) != 0) {
                goto bad;
            }
            if (key >> 3 == 1) {
                status = v;
            }
            break;
        case 1: /* 64-bit */
            if (end - p < 8) {
                goto bad;
            }
            p += 8;
            break;
        case 2: /* length-delimited */
            if (varint(&p, end, &v) != 0 || v > (uint64_t)(end - p)) {
                goto bad;
            }
            p += v;
            break;
        case 5: /* 32-bit */
            if (end - p < 4) {
                goto bad;
            }
            p += 4;
            break;
        default:
            goto bad;
        }
    }
    if (status > 0x7fffffff) {
        snprintf(err, errlen, "serving status %llu out of range",
                 (unsigned long long)status);
        return -1;
    }
    return (int)status;
bad:
    snprintf(err, errlen, "malformed HealthCheckResponse");
    return -1;
}

/* The request: one message holding HealthCheckRequest{service}. */
static size_t
grpc_build_request(uint8_t *out, const char *service)
{
    size_t n = service != NULL ? strlen(service) : 0;
    size_t m = 0;

    /* n <= CHECK_GRPC_SERVICE_MAX (200): a varint of one or two bytes. */
    if (n > 0) {
        out[5 + m++] = 0x0a; /* field 1, length-delimited */
        if (n < 0x80) {
            out[5 + m++] = (uint8_t)n;
        } else {
            out[5 + m++] = (uint8_t)(n | 0x80);
            out[5 + m++] = (uint8_t)(n >> 7);
        }
        memcpy(out + 5 + m, service, n);
        m += n;
    }
    out[0] = 0;
    out[1] = (uint8_t)(m >> 24);
    out[2] = (uint8_t)(m >> 16);
    out[3] = (uint8_t)(m >> 8);
    out[4] = (uint8_t)m;
    return 5 + m;
}

static size_t
on_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct grpc_run *g = userdata;
    size_t n = size * nmemb;

    if (buf_append(&g->body, ptr, n) != 0) {
        g->truncated = 1;
        return 0;
    }
    return n;
}

/* grpc-status and grpc-message arrive as headers, or as trailers after
 * the body (libcurl passes both here). */
static size_t
on_header(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct grpc_run *g = userdata;
    size_t n = size * nmemb;
    char line[GRPC_MSG_MAX + 32];
    size_t l = n < sizeof(line) - 1 ? n : sizeof(line) - 1;

    memcpy(line, ptr, l);
    line[l] = '\0';
    line[strcspn(line, "\r\n")] = '\0';
    if (strncasecmp(line, "grpc-status:", 12) == 0) {
        char *end = NULL;
        long v = strtol(line + 12, &end, 10);
        g->grpc_status = end != line + 12 && v >= 0 && v < 1000 ? (int)v
                                                                : 999;
    } else if (strncasecmp(line, "grpc-message:", 13) == 0) {
        const char *v = line + 13;
        while (*v == ' ') {
            v++;
        }
        snprintf(g->grpc_message, sizeof(g->grpc_message), "%.*s",
                 (int)sizeof(g->grpc_message) - 1, v);
    }
    return n;
}

static void
run_free(struct grpc_run *g)
{
    if (g->easy != NULL) {
        curl_easy_cleanup(g->easy);
    }
    curl_slist_free_all(g->hdrs);
    buf_free(&g->body);
    ph_free(g);
}


static void
transport_error(struct grpc_run *g, CURLcode cc)
{
    struct check_result *r = &g->res;
    const char *detail = g->errbuf[0] ? g->errbuf : curl_easy_strerror(cc);
    long oserr = 0;

    switch (cc) {
    case CURLE_COULDNT_RESOLVE_HOST:
        check_result_seterr(r, "dns: could not resolve %s",
                            g->c->u.grpc.host);
        break;
    case CURLE_COULDNT_CONNECT:
        curl_easy_getinfo(g->easy, CURLINFO_OS_ERRNO, &oserr);
        check_result_seterr(r, "connect: %s",
                            oserr == ECONNREFUSED ? "connection refused"
                            : oserr != 0          ? strerror((int)oserr)
                                                  : detail);
        break;
    case CURLE_OPERATION_TIMEDOUT:
        check_result_seterr(r, "timeout after %u ms", g->c->timeout_ms);
        break;
    case CURLE_PEER_FAILED_VERIFICATION:
        check_result_seterr(r, "tls: certificate verify failed: %s", detail);
        break;
    case CURLE_SSL_CONNECT_ERROR:
        check_result_seterr(r, "tls: handshake failed: %s", detail);
        break;
    default:
        check_result_seterr(r, "grpc: %s", detail);
        break;
    }
}

static void
evaluate(struct grpc_run *g, long code, long version)
{
    struct check_result *r = &g->res;
    char why[96];
    int st;

    r->outcome = OUTCOME_DOWN;
    if (version != CURL_HTTP_VERSION_2_0) {
        check_result_seterr(r, "grpc: the server did not speak HTTP/2");
        return;
    }
    if (code != 200) {
        check_result_seterr(r, "grpc: HTTP status %ld", code);
        return;
    }
    if (g->grpc_status < 0) {
        check_result_seterr(r, "grpc: no grpc-status in the reply");
        return;
    }
    if (g->grpc_status != 0) {
        int s = g->grpc_status;
        check_result_seterr(
            r, "grpc: status %s (%d)%s%s",
            s < (int)(sizeof(status_names) / sizeof(status_names[0]))
                ? status_names[s]
                : "?",
            s, g->grpc_message[0] ? ": " : "", g->grpc_message);
        return;
    }
    if (g->truncated) {
        check_result_seterr(r, "grpc: reply over %d bytes", GRPC_BODY_MAX);
        return;
    }
    st = grpc_parse_reply((const uint8_t *)g->body.data, g->body.len, why,
                          sizeof(why));
    if (st < 0) {
        check_result_seterr(r, "grpc: %s", why);
        return;
    }
    r->status_code = st;
    if (st != 1) {
        check_result_seterr(r, "grpc: health %s (%d)",
                            st < 4 ? serving_names[st] : "?", st);
        return;
    }
    r->outcome = OUTCOME_UP;
    r->error[0] = '\0';
}

static void
on_done(CURL *easy, CURLcode cc, void *arg)
{
    struct grpc_run *g = arg;
    struct check_result *r = &g->res;
    long code = 0, version = 0;

    probe_curl_timing(easy, &r->timing);
    r->latency_ms = (uint32_t)(r->timing.total_us / 1000);
    r->cert_not_after = probe_curl_cert_not_after(easy);
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_getinfo(easy, CURLINFO_HTTP_VERSION, &version);
    if (cc == CURLE_OK || (cc == CURLE_WRITE_ERROR && g->truncated)) {
        evaluate(g, code, version);
    } else {
        r->outcome = OUTCOME_DOWN;
        transport_error(g, cc);
    }
    probe_finish(g->c, r, probe_now_ms() / 1000);
    g->cb(g->c, r, g->arg);
    run_free(g);
}

static int
grpc_start(const struct probe_env *env, const struct check *c,
           probe_done_cb cb, void *arg, void **ret_run)
{
    const struct check_grpc *gc = &c->u.grpc;
    struct grpc_run *g;
    const char *src;
    CURL *e;
    int result;

    if (gc->host == NULL ||
        (gc->service != NULL &&
         strlen(gc->service) > CHECK_GRPC_SERVICE_MAX)) {
        return PH_EINVAL;
    }
    g = ph_calloc(1, sizeof(*g));
    if (g == NULL) {
        return PH_ENOMEM;
    }
    g->env = env;
    g->c = c;
    g->cb = cb;
    g->arg = arg;
    g->grpc_status = -1;
    buf_init(&g->body, GRPC_BODY_MAX);
    snprintf(g->res.check_id, sizeof(g->res.check_id), "%s", c->id);
    g->res.started_at_ms = probe_now_ms();
    /* An IPv6 literal goes in brackets. */
    snprintf(g->url, sizeof(g->url), "%s://%s%s%s:%d/grpc.health.v1.Health/Check",
             gc->tls ? "https" : "http", strchr(gc->host, ':') ? "[" : "",
             gc->host, strchr(gc->host, ':') ? "]" : "", gc->port);
    g->req_len = grpc_build_request(g->req, gc->service);
    e = g->easy = curl_easy_init();
    if (e == NULL) {
        result = PH_ENOMEM;
        goto out;
    }
    curl_easy_setopt(e, CURLOPT_URL, g->url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
                     gc->tls ? (long)CURL_HTTP_VERSION_2TLS
                             : (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)c->timeout_ms);
    curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, (const char *)g->req);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)g->req_len);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, g);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, g);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, g->errbuf);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "pharos-agent/" PH_VERSION);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, gc->insecure ? 0L : 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, gc->insecure ? 0L : 2L);
    curl_easy_setopt(e, CURLOPT_CERTINFO, 1L);
    if (gc->ca_file != NULL) {
        curl_easy_setopt(e, CURLOPT_CAINFO, gc->ca_file);
    }
    src = probe_source_address(env, c);
    if (src != NULL) {
        snprintf(g->iface, sizeof(g->iface), "host!%s", src);
        curl_easy_setopt(e, CURLOPT_INTERFACE, g->iface);
    }
    {
        static const char *const hdrs[] = {
            "Content-Type: application/grpc", "TE: trailers",
            "grpc-accept-encoding: identity", "Expect:"};
        for (size_t i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
            struct curl_slist *n = curl_slist_append(g->hdrs, hdrs[i]);
            if (n == NULL) {
                result = PH_ENOMEM;
                goto out;
            }
            g->hdrs = n;
        }
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, g->hdrs);
    result = curl_uv_add(env->curl, e, on_done, g);
    if (result != 0) {
        goto out;
    }
    *ret_run = g;
    g = NULL;
    result = 0;
out:
    if (g != NULL) {
        run_free(g);
    }
    return result;
}

static void
grpc_cancel(void *run)
{
    struct grpc_run *g = run;

    curl_uv_remove(g->env->curl, g->easy);
    run_free(g);
}

const struct probe_ops probe_grpc_ops = {
    "grpc",
    CHECK_GRPC,
    grpc_start,
    grpc_cancel,
    NULL,
};

#else /* the check kind */

#include <string.h>

#include "check.h"
#include "conf.h"

#define G(field) offsetof(struct check, u.grpc.field)

static const struct conf_opt grpc_opts[] = {
    {"host", CONF_T_STR, G(host), NULL, 0, 0, 1, NULL, "gRPC server"},
    {"port", CONF_T_INT, G(port), NULL, 1, 65535, 1, NULL, "its port"},
    {"service", CONF_T_STR, G(service), NULL, 0, 0, 0, NULL,
     "service name asked about (default: the server as a whole)"},
    {"tls", CONF_T_BOOL, G(tls), "false", 0, 0, 0, NULL,
     "HTTP/2 over TLS (else cleartext HTTP/2)"},
    {"insecure", CONF_T_BOOL, G(insecure), "false", 0, 0, 0, NULL,
     "skip TLS verification"},
    {"ca_file", CONF_T_STR, G(ca_file), NULL, 0, 0, 0, NULL,
     "CA bundle for TLS verification"},
    {NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL},
};

static int
grpc_finish(struct check *c, const struct conf_node *node, const char *file,
            struct conf_errs *errs)
{
    const struct check_grpc *g = &c->u.grpc;
    int rc = 0;

    if (g->service != NULL &&
        (strlen(g->service) > CHECK_GRPC_SERVICE_MAX ||
         strpbrk(g->service, "\r\n") != NULL)) {
        conf_err(errs, file, node->line, node->col,
                 "check '%s': service must be at most %d bytes on one line",
                 c->id, CHECK_GRPC_SERVICE_MAX);
        rc = -1;
    }
    if (strpbrk(g->host, "/?#@ ") != NULL) {
        conf_err(errs, file, node->line, node->col,
                 "check '%s': host must be a name or an address, not '%s'",
                 c->id, g->host);
        rc = -1;
    }
    if (!g->tls && (g->insecure || g->ca_file != NULL)) {
        conf_err(errs, file, node->line, node->col,
                 "check '%s': insecure and ca_file need tls: true", c->id);
        rc = -1;
    }
    return rc;
}

const struct check_kind check_grpc_kind = {"grpc", CHECK_GRPC, grpc_opts,
                                           grpc_finish};

#endif
