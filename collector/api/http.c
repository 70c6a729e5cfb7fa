/*
 * http.c - libmicrohttpd driven by the libuv loop.
 *
 * MHD runs without threads in MHD_USE_EPOLL mode: it keeps its sockets in
 * one epoll fd, which we watch with a uv_poll; whenever it is readable, or
 * MHD's own timeout expires (uv_timer), we call MHD_run(). Every callback
 * therefore runs on the loop thread, like the rest of the collector.
 */
#include "http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "buf.h"
#include "log.h"
#include "mem.h"
#include "ph_err.h"

struct http_server {
    uv_loop_t *loop;
    struct MHD_Daemon *daemon;
    uv_poll_t poll;
    uv_timer_t timer;
    int closing;
    int pending_closes;
    http_handler_cb handler;
    void *arg;
    size_t max_body;
    int port;
};

/* Per-request state, lives from the first access-handler call to the
 * completion notification. */
struct http_request {
    struct MHD_Connection *conn;
    const char *method;
    const char *url;
    struct buf body;
    int too_big;
    char client[INET6_ADDRSTRLEN];
};

static void run_mhd(struct http_server *s);

static void
on_timer(uv_timer_t *t)
{
    run_mhd(t->data);
}

static void
on_poll(uv_poll_t *p, int status, int events)
{
    (void)status;
    (void)events;
    run_mhd(p->data);
}

/* Runs MHD and re-arms the timer from MHD's own next timeout. */
static void
run_mhd(struct http_server *s)
{
    MHD_UNSIGNED_LONG_LONG to = 0;

    if (s->closing) {
        return;
    }
    MHD_run(s->daemon);
    if (MHD_get_timeout(s->daemon, &to) == MHD_YES) {
        uv_timer_start(&s->timer, on_timer, to, 0);
    } else {
        uv_timer_stop(&s->timer);
    }
}

static void
mhd_logger(void *cls, const char *fmt, va_list ap)
{
    char msg[256];

    (void)cls;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    log_debug("http: %s", msg);
}

static void
response_free(struct http_response *r)
{
    ph_free(r->body);
    r->body = NULL;
    for (size_t i = 0; i < r->nheaders; i++) {
        ph_free(r->headers[i].value);
    }
    r->nheaders = 0;
}

static int
etag_matches(const char *inm, const char *etag)
{
    /* If-None-Match may list several tags or "*". */
    if (inm == NULL || etag[0] == '\0') {
        return 0;
    }
    if (strcmp(inm, "*") == 0) {
        return 1;
    }
    return strstr(inm, etag) != NULL;
}

/* Behind the shipped nginx site (same host), every request comes from
 * loopback and nginx sets X-Forwarded-For to the reader's address: use
 * that one, so per-client limits and logs see readers, not the proxy.
 * From any other peer the header is ignored (it could be forged). */
static void
forwarded_client(struct MHD_Connection *conn, char *client, size_t len)
{
    const char *xff = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                  "X-Forwarded-For");
    const char *last;
    char ip[INET6_ADDRSTRLEN];
    unsigned char bin[sizeof(struct in6_addr)];
    size_t n;

    if (xff == NULL ||
        !(strncmp(client, "127.", 4) == 0 || strcmp(client, "::1") == 0)) {
        return;
    }
    /* The last hop is the one our proxy wrote. */
    last = strrchr(xff, ',');
    last = last != NULL ? last + 1 : xff;
    while (*last == ' ') {
        last++;
    }
    n = strcspn(last, " ");
    if (n == 0 || n >= sizeof(ip)) {
        return;
    }
    memcpy(ip, last, n);
    ip[n] = '\0';
    if (inet_pton(AF_INET, ip, bin) == 1 || inet_pton(AF_INET6, ip, bin) == 1) {
        snprintf(client, len, "%s", ip);
    }
}

static enum MHD_Result
send_response(struct http_request *req, struct http_response *r)
{
    struct MHD_Response *mr;
    const uint8_t *body = r->body != NULL ? r->body : r->static_body;
    size_t len = body != NULL ? r->body_len : 0;
    const char *inm = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
                                                  "If-None-Match");
    int status = r->status;
    enum MHD_Result ret;

    if (r->etag[0] != '\0' && status == 200 && etag_matches(inm, r->etag)) {
        status = 304;
        len = 0;
    }
    if (strcmp(req->method, "HEAD") == 0) {
        /* MHD omits the body for HEAD itself; keep the length right. */
    }
    mr = MHD_create_response_from_buffer(len, (void *)(uintptr_t)body,
                                         MHD_RESPMEM_MUST_COPY);
    if (mr == NULL) {
        return MHD_NO;
    }
    if (r->content_type != NULL && status != 304) {
        MHD_add_response_header(mr, "Content-Type", r->content_type);
    }
    if (r->body_is_gzip && status != 304) {
        MHD_add_response_header(mr, "Content-Encoding", "gzip");
    }
    if (r->etag[0] != '\0') {
        MHD_add_response_header(mr, "ETag", r->etag);
        MHD_add_response_header(mr, "Vary", "Accept-Encoding");
    }
    if (r->cache_control != NULL) {
        MHD_add_response_header(mr, "Cache-Control", r->cache_control);
    }
    if (r->cors) {
        MHD_add_response_header(mr, "Access-Control-Allow-Origin", "*");
    }
    MHD_add_response_header(mr, "X-Content-Type-Options", "nosniff");
    for (size_t i = 0; i < r->nheaders; i++) {
        MHD_add_response_header(mr, r->headers[i].name, r->headers[i].value);
    }
    ret = MHD_queue_response(req->conn, (unsigned)status, mr);
    MHD_destroy_response(mr);
    return ret;
}

static enum MHD_Result
access_handler(void *cls, struct MHD_Connection *conn, const char *url,
               const char *method, const char *version,
               const char *upload_data, size_t *upload_data_size,
               void **req_cls)
{
    struct http_server *s = cls;
    struct http_request *req = *req_cls;
    struct http_response resp;
    enum MHD_Result ret;

    (void)version;
    if (req == NULL) {
        const union MHD_ConnectionInfo *ci;
        const char *cl;

        req = ph_calloc(1, sizeof(*req));
        if (req == NULL) {
            return MHD_NO;
        }
        buf_init(&req->body, s->max_body);
        req->conn = conn;
        req->method = method;
        req->url = url;
        ci = MHD_get_connection_info(conn,
                                     MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        if (ci != NULL && ci->client_addr != NULL) {
            const struct sockaddr *sa = ci->client_addr;
            if (sa->sa_family == AF_INET) {
                inet_ntop(AF_INET,
                          &((const struct sockaddr_in *)(const void *)sa)
                               ->sin_addr,
                          req->client, sizeof(req->client));
            } else if (sa->sa_family == AF_INET6) {
                inet_ntop(AF_INET6,
                          &((const struct sockaddr_in6 *)(const void *)sa)
                               ->sin6_addr,
                          req->client, sizeof(req->client));
            }
        }
        forwarded_client(conn, req->client, sizeof(req->client));
        /* Refuse a declared oversized body before reading any of it. */
        cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                         "Content-Length");
        if (cl != NULL && strtoull(cl, NULL, 10) > s->max_body) {
            req->too_big = 1;
        }
        *req_cls = req;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (!req->too_big &&
            buf_append(&req->body, upload_data, *upload_data_size) != 0) {
            req->too_big = 1;
            buf_free(&req->body);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }

    memset(&resp, 0, sizeof(resp));
    if (req->too_big) {
        char msg[96];
        snprintf(msg, sizeof(msg), "request body over %zu bytes",
                 s->max_body);
        http_resp_error(&resp, 413, "payload_too_large", msg);
    } else {
        s->handler(req, &resp, s->arg);
    }
    if (resp.status == 0) {
        http_resp_error(&resp, 500, "internal", "no response");
    }
    ret = send_response(req, &resp);
    response_free(&resp);
    return ret;
}

static void
request_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                  enum MHD_RequestTerminationCode toe)
{
    struct http_request *req = *req_cls;

    (void)cls;
    (void)conn;
    (void)toe;
    if (req != NULL) {
        buf_free(&req->body);
        ph_free(req);
        *req_cls = NULL;
    }
}

/* Parses "host:port", "[v6]:port" or ":port". */
static int
parse_listen(const char *listen, struct sockaddr_storage *ss, int *ret_v6)
{
    char host[64];
    const char *colon;
    const char *port_s;
    size_t hlen;
    char *end = NULL;
    long port;

    memset(ss, 0, sizeof(*ss));
    if (listen[0] == '[') {
        const char *rb = strchr(listen, ']');
        if (rb == NULL || rb[1] != ':') {
            return PH_EINVAL;
        }
        hlen = (size_t)(rb - listen - 1);
        if (hlen >= sizeof(host)) {
            return PH_EINVAL;
        }
        memcpy(host, listen + 1, hlen);
        host[hlen] = '\0';
        port_s = rb + 2;
    } else {
        colon = strrchr(listen, ':');
        if (colon == NULL) {
            return PH_EINVAL;
        }
        hlen = (size_t)(colon - listen);
        if (hlen >= sizeof(host)) {
            return PH_EINVAL;
        }
        memcpy(host, listen, hlen);
        host[hlen] = '\0';
        port_s = colon + 1;
    }
    port = strtol(port_s, &end, 10);
    if (end == port_s || *end != '\0' || port < 0 || port > 65535) {
        return PH_EINVAL;
    }
    if (host[0] == '\0') {
        snprintf(host, sizeof(host), "0.0.0.0");
    }
    if (strchr(host, ':') != NULL) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1) {
            return PH_EINVAL;
        }
        *ret_v6 = 1;
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, host, &s4->sin_addr) != 1) {
            return PH_EINVAL;
        }
        *ret_v6 = 0;
    }
    return 0;
}

int
http_server_start(uv_loop_t *loop, const struct http_server_opts *opts,
                  http_handler_cb handler, void *arg,
                  struct http_server **ret, char *errbuf, size_t errlen)
{
    struct http_server *s = NULL;
    struct sockaddr_storage ss;
    const union MHD_DaemonInfo *di;
    unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    int v6 = 0;
    int result;

    if (parse_listen(opts->listen, &ss, &v6) != 0) {
        snprintf(errbuf, errlen, "bad listen address '%s'", opts->listen);
        return PH_EINVAL;
    }
    if (v6) {
        flags |= MHD_USE_IPv6;
    }
    s = ph_calloc(1, sizeof(*s));
    if (s == NULL) {
        return PH_ENOMEM;
    }
    s->loop = loop;
    s->handler = handler;
    s->arg = arg;
    s->max_body = opts->max_body_bytes;
    s->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, access_handler, s, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&ss, MHD_OPTION_NOTIFY_COMPLETED,
        request_completed, s, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)(opts->max_connections ? opts->max_connections : 1024),
        MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)(opts->idle_timeout_s ? opts->idle_timeout_s : 30),
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
        MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, NULL, MHD_OPTION_END);
    if (s->daemon == NULL) {
        snprintf(errbuf, errlen, "cannot listen on %s", opts->listen);
        result = PH_EIO;
        goto out;
    }
    di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di != NULL ? di->port : 0;
    di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_EPOLL_FD);
    if (di == NULL) {
        snprintf(errbuf, errlen, "libmicrohttpd has no epoll support");
        result = PH_EIO;
        goto out;
    }
    uv_poll_init(loop, &s->poll, di->epoll_fd);
    s->poll.data = s;
    uv_timer_init(loop, &s->timer);
    s->timer.data = s;
    uv_poll_start(&s->poll, UV_READABLE, on_poll);
    run_mhd(s);
    *ret = s;
    s = NULL;
    result = 0;
out:
    if (s != NULL) {
        if (s->daemon != NULL) {
            MHD_stop_daemon(s->daemon);
        }
        ph_free(s);
    }
    return result;
}

static void
on_closed(uv_handle_t *h)
{
    struct http_server *s = h->data;

    if (--s->pending_closes == 0) {
        ph_free(s);
    }
}

void
http_server_stop(struct http_server *s)
{
    if (s == NULL) {
        return;
    }
    s->closing = 1;
    /* Stop polling before MHD closes its epoll fd. */
    uv_poll_stop(&s->poll);
    s->pending_closes = 2;
    uv_close((uv_handle_t *)&s->poll, on_closed);
    uv_close((uv_handle_t *)&s->timer, on_closed);
    MHD_stop_daemon(s->daemon);
    s->daemon = NULL;
}

int
http_server_port(const struct http_server *s)
{
    return s->port;
}

const char *
http_req_method(const struct http_request *req)
{
    return req->method;
}

const char *
http_req_path(const struct http_request *req)
{
    return req->url;
}

const char *
http_req_header(const struct http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *
http_req_query(const struct http_request *req, const char *key)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND,
                                       key);
}

const uint8_t *
http_req_body(const struct http_request *req, size_t *len)
{
    *len = req->body.len;
    return (const uint8_t *)(req->body.data != NULL ? req->body.data : "");
}

const char *
http_req_client(const struct http_request *req)
{
    return req->client;
}

int
http_req_accepts_gzip(const struct http_request *req)
{
    const char *ae = http_req_header(req, "Accept-Encoding");

    return ae != NULL && strstr(ae, "gzip") != NULL;
}

int
http_resp_text(struct http_response *resp, int status,
               const char *content_type, const char *text)
{
    size_t len = strlen(text);
    uint8_t *b = ph_malloc(len + 1);

    if (b == NULL) {
        resp->status = 500;
        resp->content_type = "text/plain";
        resp->static_body = (const uint8_t *)"out of memory\n";
        resp->body_len = strlen("out of memory\n");
        return PH_ENOMEM;
    }
    memcpy(b, text, len + 1);
    http_resp_take(resp, status, content_type, b, len);
    return 0;
}

void
http_resp_take(struct http_response *resp, int status,
               const char *content_type, uint8_t *body, size_t len)
{
    ph_free(resp->body);
    resp->status = status;
    resp->content_type = content_type;
    resp->body = body;
    resp->static_body = NULL;
    resp->body_len = len;
}

void
http_resp_error(struct http_response *resp, int status, const char *error,
                const char *message)
{
    struct buf b;
    char *text;

    /* Error strings are ours, but messages may quote input: escape. */
    buf_init(&b, 4096);
    buf_appends(&b, "{\"error\":\"");
    for (const char *p = error; *p; p++) {
        buf_append(&b, p, 1);
    }
    buf_appends(&b, "\",\"message\":\"");
    for (const unsigned char *p = (const unsigned char *)message; *p; p++) {
        if (*p == '"' || *p == '\\') {
            buf_printf(&b, "\\%c", *p);
        } else if (*p < 0x20) {
            buf_printf(&b, "\\u%04x", *p);
        } else {
            buf_append(&b, p, 1);
        }
    }
    buf_appends(&b, "\"}\n");
    text = buf_steal(&b, NULL);
    if (text == NULL) {
        resp->status = status;
        return;
    }
    http_resp_take(resp, status, "application/json", (uint8_t *)text,
                   strlen(text));
    resp->cors = 1;
}

int
http_resp_header(struct http_response *resp, const char *name,
                 const char *value)
{
    if (resp->nheaders >= HTTP_MAX_EXTRA_HEADERS) {
        return PH_ETOOBIG;
    }
    resp->headers[resp->nheaders].value = ph_strdup(value);
    if (resp->headers[resp->nheaders].value == NULL) {
        return PH_ENOMEM;
    }
    resp->headers[resp->nheaders].name = name;
    resp->nheaders++;
    return 0;
}
