/*
 * http.h - the collector's HTTP server: libmicrohttpd in external-select
 * epoll mode, its epoll fd polled by the collector's libuv loop, so every
 * handler runs on the loop thread and needs no locks.
 *
 * Only http.c includes microhttpd.h. Handlers see struct http_request
 * (borrowed for the call) and fill struct http_response.
 * Request bodies are collected up to a cap before the handler runs;
 * anything larger gets 413 without reaching the handler.
 */
#ifndef PH_HTTP_H
#define PH_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "netaddr.h"

#define HTTP_MAX_EXTRA_HEADERS 8

struct http_request;

struct http_header {
    const char *name;    /* static or owned by the response (see below) */
    char *value;         /* owned: freed after sending */
};

struct http_response {
    int status;
    const char *content_type;        /* static string */
    /* The body is either owned (body, freed after sending) or borrowed
     * (static_body, must stay valid until the response is sent: use it
     * only for data that lives as long as the server, like published
     * documents that are replaced by swapping, see publish.c). */
    uint8_t *body;
    const uint8_t *static_body;
    size_t body_len;
    int body_is_gzip;                /* adds Content-Encoding: gzip */
    char etag[48];                   /* "" = none; enables 304 handling */
    const char *cache_control;       /* static, or NULL */
    int cors;                        /* adds Access-Control-Allow-Origin: * */
    struct http_header headers[HTTP_MAX_EXTRA_HEADERS];
    size_t nheaders;
};

/* Handles one request synchronously on the loop. */
typedef void (*http_handler_cb)(struct http_request *req,
                                struct http_response *resp, void *arg);

struct http_server;

/*
 * Connection budgets. Each listener (the public one, and agent_listen
 * when set) has its own libmicrohttpd daemon with its own connection
 * limit, so a flood of anonymous readers cannot take the agents' and
 * API clients' connections. On each listener a client (an IPv4 address
 * or an IPv6 /64) may hold at most max_per_client connections; trusted
 * proxies are exempt (they carry many readers; the proxy limits each).
 * Every request must arrive whole (headers and body) within
 * request_timeout_ms of the connection's opening or of the end of the
 * previous response on it, however slowly it trickles in; a connection
 * silent for idle_timeout_ms is closed too.
 */
struct http_server_opts {
    const char *listen;          /* "127.0.0.1:8080", "[::1]:8080", ":8080" */
    const char *agent_listen;    /* NULL: none */
    size_t max_body_bytes;
    unsigned max_connections;        /* public listener (0: 1000) */
    unsigned agent_max_connections;  /* agent listener (0: 256) */
    unsigned max_per_client;         /* 0: no per-client limit */
    unsigned request_timeout_ms;     /* 0: 30 s */
    unsigned idle_timeout_ms;        /* 0: 15 s */
    const struct netaddr_cidr *proxies; /* copied */
    size_t nproxies;
};

enum http_listener_kind { HTTP_PUBLIC = 0, HTTP_AGENT = 1 };

struct http_server_stats {
    uint64_t refused_per_client;  /* connections over a client's limit */
    uint64_t cut_deadline;        /* requests cut at request_timeout */
    unsigned open[2];             /* open connections per listener */
};

/* Starts listening. Returns 0 and a new server, or PH_E* with a message
 * in errbuf. handler and arg are borrowed for the server's lifetime. */
int http_server_start(uv_loop_t *loop, const struct http_server_opts *opts,
                      http_handler_cb handler, void *arg,
                      struct http_server **ret, char *errbuf, size_t errlen);
/* Applies what can change while running: trusted proxies, the
 * per-client limit and the request deadline (addresses and budgets need
 * a restart). Returns 0 or PH_ENOMEM (then nothing changed). */
int http_server_update(struct http_server *s,
                       const struct http_server_opts *opts);
/* Stops accepting, closes every connection and the uv handles; frees the
 * server once libuv has closed them. Accepts NULL. */
void http_server_stop(struct http_server *s);
/* The bound port of a listener (useful with port 0); 0 when absent. */
int http_server_port(const struct http_server *s);
int http_server_agent_port(const struct http_server *s);
void http_server_stats(const struct http_server *s,
                       struct http_server_stats *ret);

/* Request accessors; returned strings are borrowed for the call. */
const char *http_req_method(const struct http_request *req);
const char *http_req_path(const struct http_request *req);
const char *http_req_header(const struct http_request *req,
                            const char *name);
const char *http_req_query(const struct http_request *req, const char *key);
const uint8_t *http_req_body(const struct http_request *req, size_t *len);
/* The query as "?k=v&..." (percent-encoded again), "" when none, into
 * buf; PH_ETOOBIG when it does not fit. */
int http_req_query_string(const struct http_request *req, char *buf,
                          size_t len);
/* Client IP as text (from X-Forwarded-For when the peer is a trusted
 * proxy). */
const char *http_req_client(struct http_request *req);
/* The key per-client limits use: the IPv4 address, or the IPv6 /64
 * ("2001:db8:1:2::/64"). */
const char *http_req_client_key(struct http_request *req);
/* The listener the request came in on. */
enum http_listener_kind http_req_listener(const struct http_request *req);
/* 1 when the request comes straight from this host: the TCP peer is a
 * loopback address and no proxy forwarded it (no X-Forwarded-For). */
int http_req_direct_loopback(const struct http_request *req);
/* 1 if the client accepts gzip. */
int http_req_accepts_gzip(const struct http_request *req);

/*
 * Deferred replies. A handler that cannot answer before it returns (it
 * waits for a commit) calls http_defer() and leaves resp empty; the
 * connection is parked until http_pending_finish() hands over the reply
 * (moved from resp, which is left empty). Returns new, or NULL when the
 * server is stopping or out of memory (then answer at once). The
 * pending object is the caller's until http_pending_finish(), which
 * always frees it; if the request went away meanwhile (the server
 * stopped and answered 503 itself), the reply is dropped. Loop thread
 * only.
 */
struct http_pending;
struct http_pending *http_defer(struct http_request *req);
void http_pending_finish(struct http_pending *p, struct http_response *resp);
/* Takes a deferral back while the handler still runs (it answers in
 * resp after all); frees p. */
void http_undefer(struct http_pending *p);
/* The parked request of p, or NULL when it went away (the server
 * stopped, the connection closed). */
struct http_request *http_pending_req(const struct http_pending *p);

/* Response helpers. */
/* Sets an owned copy of text as the body. Returns 0 or PH_ENOMEM (then
 * the response becomes a 500). */
int http_resp_text(struct http_response *resp, int status,
                   const char *content_type, const char *text);
/* Takes body (allocated with ph_malloc). */
void http_resp_take(struct http_response *resp, int status,
                    const char *content_type, uint8_t *body, size_t len);
/* {"error": <short>, "message": <message>} with the given status. */
void http_resp_error(struct http_response *resp, int status,
                     const char *error, const char *message);
/* Adds a header (value copied). Returns 0, PH_ETOOBIG or PH_ENOMEM. */
int http_resp_header(struct http_response *resp, const char *name,
                     const char *value);

#endif
