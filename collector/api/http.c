/*
 * http.c - libmicrohttpd driven by the libuv loop.
 *
 * MHD runs without threads in MHD_USE_EPOLL mode: it keeps its sockets in
 * one epoll fd, which we watch with a uv_poll; whenever it is readable, or
 * MHD's own timeout expires (uv_timer), we call MHD_run(). Every callback
 * therefore runs on the loop thread, like the rest of the collector.
 *
 * Connection budgets (http.h): each listener is its own daemon; an
 * accept policy callback refuses a client's connection over its limit
 * before MHD allocates anything, and MHD_OPTION_NOTIFY_CONNECTION keeps
 * a small record per connection (its client key, when its current
 * request started). A sweep timer shuts down the socket of every request
 * still arriving after the deadline: MHD then reads EOF and closes the
 * connection itself, through its normal path. MHD's own timeout is an
 * idle timeout only, which a client trickling a byte every few seconds
 * never hits.
 */
#include "http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "buf.h"
#include "log.h"
#include "mem.h"
#include "ph_err.h"
#include "timefmt.h"

#define CLIENT_BUCKETS 1024
#define HTTP_CONN_MEMORY (32 * 1024) /* per connection, cleared per request */

/* Open connections of one client key on one listener. */
struct client_count {
    struct client_count *next;
    uint8_t key[16];
    unsigned n;
};

/* One open connection (MHD's socket context). */
struct http_conn {
    struct http_conn *prev, *next;
    struct http_listener *l;
    uint8_t key[16];
    int counted;          /* holds a slot in its client's count */
    int fd;
    int64_t start_ms;     /* current request arriving since; 0: none */
};

struct http_listener {
    struct http_server *s;
    enum http_listener_kind kind;
    struct MHD_Daemon *daemon;
    uv_poll_t poll;
    uv_timer_t timer;
    int port;
    unsigned nconns;
    struct http_conn *conns;
    struct client_count *buckets[CLIENT_BUCKETS];
};

struct http_server {
    uv_loop_t *loop;
    struct http_listener lst[2];
    size_t nlst;
    uv_timer_t sweep;
    int closing;
    int pending_closes;
    http_handler_cb handler;
    void *arg;
    size_t max_body;
    unsigned max_per_client;
    int64_t request_timeout_ms;
    struct netaddr_cidr *proxies;
    size_t nproxies;
    uint64_t refused_per_client;
    uint64_t cut_deadline;
    struct http_pending *pending;   /* deferred replies, for stop */
};

/* A reply promised for later (http_defer): its connection suspended. */
struct http_pending {
    struct http_pending *prev, *next;
    struct http_server *s;
    struct http_request *req;       /* NULL once the request is gone */
};

/* Per-request state, lives from the first access-handler call to the
 * completion notification. */
struct http_request {
    struct MHD_Connection *conn;
    struct http_listener *l;
    const char *method;
    const char *url;
    struct buf body;
    int too_big;
    /* The client (X-Forwarded-For from a trusted proxy, else the peer);
     * its text forms are made when first asked for (most requests never
     * need them). */
    uint8_t addr[16];
    int has_addr;
    int client_done;
    char client[INET6_ADDRSTRLEN];
    char client_key[INET6_ADDRSTRLEN + 4];
    int peer_loopback;              /* the TCP peer, not X-Forwarded-For */
    struct http_pending *pending;   /* deferred, waiting for its reply */
    struct http_response late;      /* the deferred reply, once has_late */
    int has_late;
};

static void run_mhd(struct http_listener *l);

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
run_mhd(struct http_listener *l)
{
    MHD_UNSIGNED_LONG_LONG to = 0;

    if (l->s->closing) {
        return;
    }
    MHD_run(l->daemon);
    if (MHD_get_timeout(l->daemon, &to) == MHD_YES) {
        uv_timer_start(&l->timer, on_timer, to, 0);
    } else {
        uv_timer_stop(&l->timer);
    }
}

/* ---- connection budgets ---- */

static unsigned
bucket_of(const uint8_t key[16])
{
    uint32_t h = 2166136261u;

    for (int i = 0; i < 16; i++) {
        h ^= key[i];
        h *= 16777619u;
    }
    return h % CLIENT_BUCKETS;
}

static struct client_count **
count_slot(struct http_listener *l, const uint8_t key[16])
{
    struct client_count **pp = &l->buckets[bucket_of(key)];

    while (*pp != NULL && memcmp((*pp)->key, key, 16) != 0) {
        pp = &(*pp)->next;
    }
    return pp;
}

static int
trusted_proxy(const struct http_server *s, const uint8_t a[16])
{
    return netaddr_in_list(a, s->proxies, s->nproxies);
}

/* Before MHD accepts: refuse a client already at its limit. */
static enum MHD_Result
accept_policy(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    struct http_listener *l = cls;
    struct http_server *s = l->s;
    struct client_count **pp;
    uint8_t a[16], key[16];

    (void)addrlen;
    if (s->max_per_client == 0 || netaddr_bytes(addr, a) != 0 ||
        trusted_proxy(s, a)) {
        return MHD_YES;
    }
    netaddr_client_key(a, key, NULL, 0);
    pp = count_slot(l, key);
    if (*pp != NULL && (*pp)->n >= s->max_per_client) {
        s->refused_per_client++;
        return MHD_NO;
    }
    return MHD_YES;
}

static void
conn_started(struct http_listener *l, struct MHD_Connection *conn,
             void **socket_context)
{
    struct http_server *s = l->s;
    const union MHD_ConnectionInfo *ci;
    struct http_conn *hc = ph_calloc(1, sizeof(*hc));
    uint8_t a[16];

    if (hc == NULL) {
        return; /* not tracked: MHD's idle timeout still applies */
    }
    hc->l = l;
    hc->fd = -1;
    hc->start_ms = time_mono_ms();
    ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (ci != NULL) {
        hc->fd = ci->connect_fd;
    }
    ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci != NULL && ci->client_addr != NULL &&
        netaddr_bytes(ci->client_addr, a) == 0 && !trusted_proxy(s, a)) {
        struct client_count **pp;

        netaddr_client_key(a, hc->key, NULL, 0);
        pp = count_slot(l, hc->key);
        if (*pp == NULL) {
            *pp = ph_calloc(1, sizeof(**pp));
        }
        if (*pp != NULL) {
            memcpy((*pp)->key, hc->key, 16);
            (*pp)->n++;
            hc->counted = 1;
        }
    }
    hc->next = l->conns;
    if (l->conns != NULL) {
        l->conns->prev = hc;
    }
    l->conns = hc;
    l->nconns++;
    *socket_context = hc;
}

static void
conn_closed(struct http_listener *l, void **socket_context)
{
    struct http_conn *hc = *socket_context;

    if (hc == NULL) {
        return;
    }
    if (hc->counted) {
        struct client_count **pp = count_slot(l, hc->key);

        if (*pp != NULL && --(*pp)->n == 0) {
            struct client_count *dead = *pp;
            *pp = dead->next;
            ph_free(dead);
        }
    }
    if (hc->prev != NULL) {
        hc->prev->next = hc->next;
    } else {
        l->conns = hc->next;
    }
    if (hc->next != NULL) {
        hc->next->prev = hc->prev;
    }
    l->nconns--;
    ph_free(hc);
    *socket_context = NULL;
}

static void
notify_connection(void *cls, struct MHD_Connection *conn,
                  void **socket_context, enum MHD_ConnectionNotificationCode toe)
{
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        conn_started(cls, conn, socket_context);
    } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        conn_closed(cls, socket_context);
    }
}

static struct http_conn *
conn_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

    return ci != NULL ? ci->socket_context : NULL;
}

/* Cuts every request still arriving past the deadline. shutdown() makes
 * the socket readable at EOF, so MHD closes it on its next run (and
 * calls conn_closed); closing the fd ourselves would pull it from under
 * MHD. */
static void
on_sweep(uv_timer_t *t)
{
    struct http_server *s = t->data;
    int64_t now = time_mono_ms(); /* a deadline: never the wall clock */

    for (size_t i = 0; i < s->nlst; i++) {
        struct http_listener *l = &s->lst[i];
        int cut = 0;

        for (struct http_conn *hc = l->conns; hc != NULL; hc = hc->next) {
            if (hc->start_ms != 0 && hc->fd >= 0 &&
                now - hc->start_ms > s->request_timeout_ms) {
                shutdown(hc->fd, SHUT_RDWR);
                hc->start_ms = 0;
                s->cut_deadline++;
                cut = 1;
            }
        }
        if (cut) {
            run_mhd(l);
        }
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

/* From a trusted proxy, the client is the rightmost X-Forwarded-For
 * entry that is not itself a trusted proxy (entries to its left could
 * be forged by the client). From any other peer the header is ignored.
 * A malformed entry ends the walk: the last good hop stands. */
static void
forwarded_client(const struct http_server *s, struct MHD_Connection *conn,
                 uint8_t a[16])
{
    const char *xff = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                  "X-Forwarded-For");
    const char *end;

    if (xff == NULL || !trusted_proxy(s, a)) {
        return;
    }
    end = xff + strlen(xff);
    while (end > xff) {
        const char *start = end;
        char ip[INET6_ADDRSTRLEN];
        uint8_t hop[16];
        const char *p;
        size_t n;

        while (start > xff && start[-1] != ',') {
            start--;
        }
        p = start;
        while (p < end && (*p == ' ' || *p == '\t')) {
            p++;
        }
        n = (size_t)(end - p);
        while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t')) {
            n--;
        }
        if (n == 0 || n >= sizeof(ip)) {
            return;
        }
        memcpy(ip, p, n);
        ip[n] = '\0';
        if (netaddr_bytes_text(ip, hop) != 0) {
            return;
        }
        memcpy(a, hop, 16);
        if (!trusted_proxy(s, hop)) {
            return;
        }
        end = start > xff ? start - 1 : xff;
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
    struct http_listener *l = cls;
    struct http_server *s = l->s;
    struct http_request *req = *req_cls;
    struct http_response resp;
    struct http_conn *hc;
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
        req->l = l;
        req->method = method;
        req->url = url;
        ci = MHD_get_connection_info(conn,
                                     MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        if (ci != NULL && ci->client_addr != NULL &&
            netaddr_bytes(ci->client_addr, req->addr) == 0) {
            req->has_addr = 1;
            req->peer_loopback =
                netaddr_classify(ci->client_addr) == NETADDR_LOOPBACK;
            forwarded_client(s, conn, req->addr);
        }
        /* Refuse a declared oversized body before reading any of it. */
        cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                         "Content-Length");
        if (cl != NULL && strtoull(cl, NULL, 10) > s->max_body) {
            req->too_big = 1;
        }
        *req_cls = req;
        return MHD_YES;
    }
    if (req->has_late) {
        /* Resumed with the deferred reply. */
        req->has_late = 0;
        ret = send_response(req, &req->late);
        response_free(&req->late);
        return ret;
    }
    if (req->pending != NULL) {
        return MHD_YES; /* still waiting (a spurious call) */
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

    /* The whole request is in: the deadline stops here. */
    hc = conn_of(conn);
    if (hc != NULL) {
        hc->start_ms = 0;
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
    if (resp.status == 0 && req->pending != NULL) {
        /* The handler will answer later: park the connection. */
        response_free(&resp);
        MHD_suspend_connection(conn);
        return MHD_YES;
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
    struct http_conn *hc = conn_of(conn);

    (void)cls;
    (void)toe;
    /* A kept-alive connection has until the deadline for its next
     * request. */
    if (hc != NULL) {
        hc->start_ms = time_mono_ms();
    }
    if (req != NULL) {
        if (req->pending != NULL) {
            req->pending->req = NULL; /* its owner finishes into nothing */
        }
        if (req->has_late) {
            response_free(&req->late);
        }
        buf_free(&req->body);
        ph_free(req);
        *req_cls = NULL;
    }
}

static void
pending_unlink(struct http_pending *p)
{
    struct http_server *s = p->s;

    if (p->prev != NULL) {
        p->prev->next = p->next;
    } else if (s->pending == p) {
        s->pending = p->next;
    }
    if (p->next != NULL) {
        p->next->prev = p->prev;
    }
    p->prev = p->next = NULL;
}

struct http_pending *
http_defer(struct http_request *req)
{
    struct http_server *s = req->l->s;
    struct http_pending *p;

    if (req->pending != NULL || s->closing) {
        return NULL;
    }
    p = ph_calloc(1, sizeof(*p));
    if (p == NULL) {
        return NULL;
    }
    p->s = s;
    p->req = req;
    p->next = s->pending;
    if (s->pending != NULL) {
        s->pending->prev = p;
    }
    s->pending = p;
    req->pending = p;
    return p;
}

/* Moves resp into the suspended request and resumes its connection. */
static void
deliver(struct http_request *req, struct http_response *resp)
{
    req->pending = NULL;
    req->late = *resp;
    req->has_late = 1;
    memset(resp, 0, sizeof(*resp));
    if (req->late.status == 0) {
        http_resp_error(&req->late, 500, "internal", "no response");
    }
    MHD_resume_connection(req->conn);
    uv_timer_start(&req->l->timer, on_timer, 0, 0);
}

void
http_undefer(struct http_pending *p)
{
    if (p->req != NULL) {
        p->req->pending = NULL;
    }
    pending_unlink(p);
    ph_free(p);
}

struct http_request *
http_pending_req(const struct http_pending *p)
{
    return p->req;
}

void
http_pending_finish(struct http_pending *p, struct http_response *resp)
{
    if (p != NULL && p->req != NULL) {
        pending_unlink(p);
        deliver(p->req, resp);
    } else {
        response_free(resp);
    }
    ph_free(p);
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

/* Copies the proxy list of opts into s. */
static int
set_proxies(struct http_server *s, const struct http_server_opts *opts)
{
    struct netaddr_cidr *p = NULL;

    if (opts->nproxies > 0) {
        p = ph_calloc(opts->nproxies, sizeof(*p));
        if (p == NULL) {
            return PH_ENOMEM;
        }
        memcpy(p, opts->proxies, opts->nproxies * sizeof(*p));
    }
    ph_free(s->proxies);
    s->proxies = p;
    s->nproxies = opts->nproxies;
    return 0;
}

/* Each connection is a descriptor: make room for both budgets (the
 * systemd unit sets LimitNOFILE; a shell's soft 1024 would otherwise cut
 * the public budget short with EMFILE on accept). */
static void
raise_fd_limit(rlim_t want)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want) {
        return;
    }
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want
                      ? want
                      : rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < want) {
        log_warnx("http: open files limited to %llu, fewer than the "
                  "%llu the connection budgets need (raise LimitNOFILE)",
                  (unsigned long long)rl.rlim_cur,
                  (unsigned long long)want);
    }
}

static int
start_listener(struct http_server *s, struct http_listener *l,
               enum http_listener_kind kind, const char *listen,
               unsigned limit, unsigned idle_s, char *errbuf, size_t errlen)
{
    struct sockaddr_storage ss;
    const union MHD_DaemonInfo *di;
    unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
                     MHD_ALLOW_SUSPEND_RESUME;
    int v6 = 0;

    if (parse_listen(listen, &ss, &v6) != 0) {
        snprintf(errbuf, errlen, "bad listen address '%s'", listen);
        return PH_EINVAL;
    }
    if (v6) {
        flags |= MHD_USE_IPv6;
    }
    l->s = s;
    l->kind = kind;
    l->daemon = MHD_start_daemon(
        flags, 0, accept_policy, l, access_handler, l, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&ss, MHD_OPTION_NOTIFY_COMPLETED,
        request_completed, l, MHD_OPTION_NOTIFY_CONNECTION,
        notify_connection, l, MHD_OPTION_CONNECTION_LIMIT, limit,
        MHD_OPTION_CONNECTION_TIMEOUT, idle_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONN_MEMORY,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, NULL, MHD_OPTION_END);
    if (l->daemon == NULL) {
        snprintf(errbuf, errlen, "cannot listen on %s", listen);
        return PH_EIO;
    }
    di = MHD_get_daemon_info(l->daemon, MHD_DAEMON_INFO_BIND_PORT);
    l->port = di != NULL ? di->port : 0;
    di = MHD_get_daemon_info(l->daemon, MHD_DAEMON_INFO_EPOLL_FD);
    if (di == NULL) {
        snprintf(errbuf, errlen, "libmicrohttpd has no epoll support");
        MHD_stop_daemon(l->daemon);
        l->daemon = NULL;
        return PH_EIO;
    }
    uv_poll_init(s->loop, &l->poll, di->epoll_fd);
    l->poll.data = l;
    uv_timer_init(s->loop, &l->timer);
    l->timer.data = l;
    uv_poll_start(&l->poll, UV_READABLE, on_poll);
    return 0;
}

int
http_server_start(uv_loop_t *loop, const struct http_server_opts *opts,
                  http_handler_cb handler, void *arg,
                  struct http_server **ret, char *errbuf, size_t errlen)
{
    struct http_server *s = NULL;
    unsigned limit = opts->max_connections ? opts->max_connections : 1000;
    unsigned alimit = opts->agent_max_connections
                          ? opts->agent_max_connections
                          : 256;
    unsigned idle_ms = opts->idle_timeout_ms ? opts->idle_timeout_ms : 15000;
    unsigned idle_s = (idle_ms + 999) / 1000;
    uint64_t sweep_ms;
    int result;

    s = ph_calloc(1, sizeof(*s));
    if (s == NULL) {
        return PH_ENOMEM;
    }
    s->loop = loop;
    uv_timer_init(loop, &s->sweep);
    s->sweep.data = s;
    s->handler = handler;
    s->arg = arg;
    s->max_body = opts->max_body_bytes;
    s->max_per_client = opts->max_per_client;
    s->request_timeout_ms =
        opts->request_timeout_ms ? opts->request_timeout_ms : 30000;
    if (set_proxies(s, opts) != 0) {
        result = PH_ENOMEM;
        goto out;
    }
    raise_fd_limit((rlim_t)limit +
                   (opts->agent_listen != NULL ? alimit : 0) + 256);
    result = start_listener(s, &s->lst[0], HTTP_PUBLIC, opts->listen, limit,
                            idle_s, errbuf, errlen);
    if (result != 0) {
        goto out;
    }
    s->nlst = 1;
    if (opts->agent_listen != NULL) {
        result = start_listener(s, &s->lst[1], HTTP_AGENT, opts->agent_listen,
                                alimit, idle_s, errbuf, errlen);
        if (result != 0) {
            goto out;
        }
        s->nlst = 2;
    }
    /* A quarter of the deadline, at most a second: a request is cut at
     * most that late. */
    sweep_ms = (uint64_t)s->request_timeout_ms / 4;
    sweep_ms = sweep_ms > 1000 ? 1000 : sweep_ms < 100 ? 100 : sweep_ms;
    uv_timer_start(&s->sweep, on_sweep, sweep_ms, sweep_ms);
    for (size_t i = 0; i < s->nlst; i++) {
        run_mhd(&s->lst[i]);
    }
    *ret = s;
    s = NULL;
    result = 0;
out:
    if (s != NULL) {
        /* The sweep timer and the listeners started so far are live uv
         * handles: close through the normal path (frees s later). */
        http_server_stop(s);
    }
    return result;
}

int
http_server_update(struct http_server *s,
                   const struct http_server_opts *opts)
{
    if (set_proxies(s, opts) != 0) {
        return PH_ENOMEM;
    }
    s->max_per_client = opts->max_per_client;
    s->request_timeout_ms =
        opts->request_timeout_ms ? opts->request_timeout_ms : 30000;
    return 0;
}

static void
on_closed(uv_handle_t *h)
{
    struct http_server *s = h->data;

    if (--s->pending_closes == 0) {
        ph_free(s->proxies);
        ph_free(s);
    }
}

static void
on_listener_closed(uv_handle_t *h)
{
    struct http_listener *l = h->data;

    h->data = l->s;
    on_closed(h);
}

void
http_server_stop(struct http_server *s)
{
    if (s == NULL) {
        return;
    }
    s->closing = 1;
    /* Deferred replies owed: 503 now (their owners find them gone). */
    while (s->pending != NULL) {
        struct http_pending *p = s->pending;
        struct http_response r;

        pending_unlink(p);
        memset(&r, 0, sizeof(r));
        http_resp_error(&r, 503, "unavailable", "shutting down");
        if (p->req != NULL) {
            struct http_request *req = p->req;

            p->req = NULL;
            deliver(req, &r);
        }
        response_free(&r);
    }
    for (size_t i = 0; i < s->nlst; i++) {
        if (s->lst[i].daemon != NULL) {
            MHD_run(s->lst[i].daemon); /* send what was resumed */
        }
    }
    s->pending_closes = 1 + 2 * (int)s->nlst;
    for (size_t i = 0; i < s->nlst; i++) {
        struct http_listener *l = &s->lst[i];

        /* Stop polling before MHD closes its epoll fd. */
        uv_poll_stop(&l->poll);
        uv_close((uv_handle_t *)&l->poll, on_listener_closed);
        uv_close((uv_handle_t *)&l->timer, on_listener_closed);
        MHD_stop_daemon(l->daemon); /* conn_closed frees the records */
        l->daemon = NULL;
    }
    uv_close((uv_handle_t *)&s->sweep, on_closed);
}

int
http_server_port(const struct http_server *s)
{
    return s->lst[0].port;
}

int
http_server_agent_port(const struct http_server *s)
{
    return s->nlst > 1 ? s->lst[1].port : 0;
}

void
http_server_stats(const struct http_server *s, struct http_server_stats *ret)
{
    memset(ret, 0, sizeof(*ret));
    ret->refused_per_client = s->refused_per_client;
    ret->cut_deadline = s->cut_deadline;
    for (size_t i = 0; i < s->nlst; i++) {
        ret->open[s->lst[i].kind] = s->lst[i].nconns;
    }
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

struct qs_ctx {
    char *buf;
    size_t len, pos;
    int overflow;
};

static void
qs_put(struct qs_ctx *q, const char *s, int encode)
{
    static const char hex[] = "0123456789ABCDEF";

    for (; s != NULL && *s != '\0'; s++) {
        unsigned char ch = (unsigned char)*s;
        int plain = !encode || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                    ch == '-' || ch == '_' || ch == '.' || ch == '~';

        if (q->pos + (plain ? 1 : 3) >= q->len) {
            q->overflow = 1;
            return;
        }
        if (plain) {
            q->buf[q->pos++] = (char)ch;
        } else {
            q->buf[q->pos++] = '%';
            q->buf[q->pos++] = hex[ch >> 4];
            q->buf[q->pos++] = hex[ch & 15];
        }
    }
}

static enum MHD_Result
qs_each(void *cls, enum MHD_ValueKind kind, const char *key,
        const char *value)
{
    struct qs_ctx *q = cls;

    (void)kind;
    qs_put(q, q->pos == 0 ? "?" : "&", 0);
    qs_put(q, key, 1);
    if (value != NULL) {
        qs_put(q, "=", 0);
        qs_put(q, value, 1);
    }
    return q->overflow ? MHD_NO : MHD_YES;
}

int
http_req_query_string(const struct http_request *req, char *buf, size_t len)
{
    struct qs_ctx q = {buf, len, 0, 0};

    if (len == 0) {
        return PH_ETOOBIG;
    }
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, qs_each, &q);
    buf[q.pos] = '\0';
    return q.overflow ? PH_ETOOBIG : 0;
}

const uint8_t *
http_req_body(const struct http_request *req, size_t *len)
{
    *len = req->body.len;
    return (const uint8_t *)(req->body.data != NULL ? req->body.data : "");
}

int
http_req_direct_loopback(const struct http_request *req)
{
    return req->peer_loopback &&
           MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
                                       "X-Forwarded-For") == NULL;
}

/* The text forms of the client, made once when first asked for. */
static void
client_texts(struct http_request *req)
{
    uint8_t key[16];

    if (req->client_done) {
        return;
    }
    req->client_done = 1;
    if (!req->has_addr) {
        return; /* "" for both, as before */
    }
    netaddr_format(req->addr, req->client, sizeof(req->client));
    netaddr_client_key(req->addr, key, req->client_key,
                       sizeof(req->client_key));
}

const char *
http_req_client(struct http_request *req)
{
    client_texts(req);
    return req->client;
}

const char *
http_req_client_key(struct http_request *req)
{
    client_texts(req);
    return req->client_key;
}

enum http_listener_kind
http_req_listener(const struct http_request *req)
{
    return req->l->kind;
}

int
http_req_accepts_gzip(const struct http_request *req)
{
    const char *ae = http_req_header(req, "Accept-Encoding");

    return ae != NULL && strstr(ae, "gzip") != NULL;
}
