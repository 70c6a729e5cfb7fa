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

struct http_server_opts {
    const char *listen;          /* "127.0.0.1:8080", "[::1]:8080", ":8080" */
    size_t max_body_bytes;
    unsigned max_connections;
    unsigned idle_timeout_s;
};

/* Starts listening. Returns 0 and a new server, or PH_E* with a message
 * in errbuf. handler and arg are borrowed for the server's lifetime. */
int http_server_start(uv_loop_t *loop, const struct http_server_opts *opts,
                      http_handler_cb handler, void *arg,
                      struct http_server **ret, char *errbuf, size_t errlen);
/* Stops accepting, closes every connection and the uv handles; frees the
 * server once libuv has closed them. Accepts NULL. */
void http_server_stop(struct http_server *s);
/* The bound port (useful with port 0). */
int http_server_port(const struct http_server *s);

/* Request accessors; returned strings are borrowed for the call. */
const char *http_req_method(const struct http_request *req);
const char *http_req_path(const struct http_request *req);
const char *http_req_header(const struct http_request *req,
                            const char *name);
const char *http_req_query(const struct http_request *req, const char *key);
const uint8_t *http_req_body(const struct http_request *req, size_t *len);
/* Client IP as text. */
const char *http_req_client(const struct http_request *req);
/* 1 if the client accepts gzip. */
int http_req_accepts_gzip(const struct http_request *req);

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
