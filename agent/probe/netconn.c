/*
 * netconn.c - outbound TCP + TLS for probes. The socket is non-blocking;
 * a uv_poll watches it, and OpenSSL works directly on the fd, so
 * SSL_ERROR_WANT_READ/WRITE just re-arm the poll.
 */
#include "netconn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "mem.h"
#include "ph_err.h"

enum step { ST_IDLE, ST_CONNECT, ST_TLS, ST_WRITE, ST_READ };

struct netconn {
    uv_loop_t *loop;
    uint64_t t0;                 /* uv_hrtime at creation, ns */
    uv_getaddrinfo_t gai;
    int gai_active;
    uv_poll_t poll;
    int poll_init;
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
    enum step step;
    netconn_cb cb;
    void *arg;
    int port;
    char *host;
    char *source;
    uint8_t *wdata;
    size_t wlen, woff;
    struct buf rbuf;
    struct netconn_times times;
    int64_t cert_not_after;
    int closing;
    char err[160];
};

uint64_t
netconn_elapsed_us(const struct netconn *nc)
{
    return (uv_hrtime() - nc->t0) / 1000;
}

struct netconn *
netconn_new(uv_loop_t *loop)
{
    struct netconn *nc = ph_calloc(1, sizeof(*nc));

    if (nc == NULL) {
        return NULL;
    }
    nc->loop = loop;
    nc->t0 = uv_hrtime();
    nc->fd = -1;
    buf_init(&nc->rbuf, NETCONN_READ_MAX);
    return nc;
}

static void
seterr(struct netconn *nc, const char *fmt, const char *detail)
{
    snprintf(nc->err, sizeof(nc->err), fmt, detail);
}

/* Finishes the current step: stops polling and calls its callback. */
static void
finish(struct netconn *nc, int status)
{
    netconn_cb cb = nc->cb;

    nc->step = ST_IDLE;
    nc->cb = NULL;
    if (nc->poll_init) {
        uv_poll_stop(&nc->poll);
    }
    if (cb != NULL) {
        cb(nc, status, nc->arg);
    }
}

static void on_poll(uv_poll_t *p, int status, int events);

static void
arm(struct netconn *nc, int events)
{
    uv_poll_start(&nc->poll, events, on_poll);
}

static void
ssl_errtext(struct netconn *nc, const char *what)
{
    unsigned long e = ERR_get_error();
    char detail[120];

    if (e != 0) {
        ERR_error_string_n(e, detail, sizeof(detail));
    } else {
        snprintf(detail, sizeof(detail), "%s", strerror(errno));
    }
    ERR_clear_error();
    snprintf(nc->err, sizeof(nc->err), "%s: %s", what, detail);
}

static void
do_connect_done(struct netconn *nc)
{
    int soerr = 0;
    socklen_t sl = sizeof(soerr);

    getsockopt(nc->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
    if (soerr != 0) {
        seterr(nc, "%s", soerr == ECONNREFUSED ? "connection refused"
                                               : strerror(soerr));
        finish(nc, soerr == ECONNREFUSED ? PH_ECONNREFUSED : PH_ENET);
        return;
    }
    nc->times.connect_us = netconn_elapsed_us(nc);
    finish(nc, 0);
}

static void
record_cert(struct netconn *nc)
{
    X509 *cert = SSL_get1_peer_certificate(nc->ssl);
    const ASN1_TIME *na;
    struct tm tm;

    if (cert == NULL) {
        return;
    }
    na = X509_get0_notAfter(cert);
    if (na != NULL && ASN1_TIME_to_tm(na, &tm) == 1) {
        nc->cert_not_after = (int64_t)timegm(&tm);
    }
    X509_free(cert);
}

/* Records the leaf certificate's not-after during verification, so an
 * expired or untrusted certificate's date is still reported. */
static int
verify_cb(int ok, X509_STORE_CTX *store)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(
        store, SSL_get_ex_data_X509_STORE_CTX_idx());
    struct netconn *nc = ssl != NULL ? SSL_get_app_data(ssl) : NULL;
    X509 *cert = X509_STORE_CTX_get_current_cert(store);
    struct tm tm;

    if (nc != NULL && cert != NULL &&
        X509_STORE_CTX_get_error_depth(store) == 0 &&
        ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) == 1) {
        nc->cert_not_after = (int64_t)timegm(&tm);
    }
    return ok;
}

static void
do_tls(struct netconn *nc)
{
    int rc = SSL_connect(nc->ssl);
    int e;

    if (rc == 1) {
        nc->times.tls_us = netconn_elapsed_us(nc);
        record_cert(nc);
        finish(nc, 0);
        return;
    }
    e = SSL_get_error(nc->ssl, rc);
    if (e == SSL_ERROR_WANT_READ) {
        arm(nc, UV_READABLE);
        return;
    }
    if (e == SSL_ERROR_WANT_WRITE) {
        arm(nc, UV_WRITABLE);
        return;
    }
    record_cert(nc);
    if (SSL_get_verify_result(nc->ssl) != X509_V_OK) {
        snprintf(nc->err, sizeof(nc->err), "certificate verify failed: %s",
                 X509_verify_cert_error_string(
                     SSL_get_verify_result(nc->ssl)));
        ERR_clear_error();
        finish(nc, PH_ETLS);
        return;
    }
    ssl_errtext(nc, "handshake failed");
    finish(nc, PH_ETLS);
}

static void
do_write(struct netconn *nc)
{
    while (nc->woff < nc->wlen) {
        ssize_t n;

        if (nc->ssl != NULL) {
            int rc = SSL_write(nc->ssl, nc->wdata + nc->woff,
                               (int)(nc->wlen - nc->woff));
            if (rc <= 0) {
                int e = SSL_get_error(nc->ssl, rc);
                if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
                    arm(nc, e == SSL_ERROR_WANT_READ ? UV_READABLE
                                                     : UV_WRITABLE);
                    return;
                }
                ssl_errtext(nc, "tls write");
                finish(nc, PH_EIO);
                return;
            }
            n = rc;
        } else {
            n = send(nc->fd, nc->wdata + nc->woff, nc->wlen - nc->woff,
                     MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EAGAIN || errno == EINTR) {
                    arm(nc, UV_WRITABLE);
                    return;
                }
                seterr(nc, "write: %s", strerror(errno));
                finish(nc, PH_EIO);
                return;
            }
        }
        nc->woff += (size_t)n;
    }
    ph_free(nc->wdata);
    nc->wdata = NULL;
    finish(nc, 0);
}

static void
do_read(struct netconn *nc)
{
    char tmp[4096];
    ssize_t n;

    if (nc->ssl != NULL) {
        int rc = SSL_read(nc->ssl, tmp, sizeof(tmp));
        if (rc <= 0) {
            int e = SSL_get_error(nc->ssl, rc);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
                arm(nc, e == SSL_ERROR_WANT_READ ? UV_READABLE
                                                 : UV_WRITABLE);
                return;
            }
            if (e == SSL_ERROR_ZERO_RETURN) {
                seterr(nc, "%s", "connection closed by peer");
            } else {
                ssl_errtext(nc, "tls read");
            }
            finish(nc, PH_EIO);
            return;
        }
        n = rc;
    } else {
        n = recv(nc->fd, tmp, sizeof(tmp), 0);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) {
                arm(nc, UV_READABLE);
                return;
            }
            seterr(nc, "read: %s", strerror(errno));
            finish(nc, PH_EIO);
            return;
        }
        if (n == 0) {
            seterr(nc, "%s", "connection closed by peer");
            finish(nc, PH_EIO);
            return;
        }
    }
    if (nc->times.first_byte_us == 0) {
        nc->times.first_byte_us = netconn_elapsed_us(nc);
    }
    if (buf_append(&nc->rbuf, tmp, (size_t)n) != 0) {
        seterr(nc, "%s", "reply too large");
        finish(nc, PH_ETOOBIG);
        return;
    }
    finish(nc, 0);
}

static void
on_poll(uv_poll_t *p, int status, int events)
{
    struct netconn *nc = p->data;

    (void)events;
    if (nc->closing) {
        return;
    }
    if (status < 0 && nc->step != ST_CONNECT) {
        seterr(nc, "socket: %s", uv_strerror(status));
        finish(nc, PH_ENET);
        return;
    }
    switch (nc->step) {
    case ST_CONNECT:
        do_connect_done(nc);
        break;
    case ST_TLS:
        do_tls(nc);
        break;
    case ST_WRITE:
        do_write(nc);
        break;
    case ST_READ:
        do_read(nc);
        break;
    case ST_IDLE:
        uv_poll_stop(&nc->poll);
        break;
    }
}

static int
start_socket(struct netconn *nc, const struct sockaddr *sa, socklen_t salen)
{
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    0);

    if (fd < 0) {
        seterr(nc, "socket: %s", strerror(errno));
        return PH_ENET;
    }
    nc->fd = fd;
    if (nc->source != NULL) {
        struct sockaddr_storage src;
        socklen_t slen;

        memset(&src, 0, sizeof(src));
        if (sa->sa_family == AF_INET6) {
            struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&src;
            s6->sin6_family = AF_INET6;
            slen = sizeof(*s6);
            if (inet_pton(AF_INET6, nc->source, &s6->sin6_addr) != 1) {
                seterr(nc, "bad source address %s", nc->source);
                return PH_EINVAL;
            }
        } else {
            struct sockaddr_in *s4 = (struct sockaddr_in *)&src;
            s4->sin_family = AF_INET;
            slen = sizeof(*s4);
            if (inet_pton(AF_INET, nc->source, &s4->sin_addr) != 1) {
                seterr(nc, "bad source address %s", nc->source);
                return PH_EINVAL;
            }
        }
        if (bind(fd, (struct sockaddr *)&src, slen) != 0) {
            seterr(nc, "bind: %s", strerror(errno));
            return PH_ENET;
        }
    }
    if (connect(fd, sa, salen) != 0 && errno != EINPROGRESS) {
        seterr(nc, "%s", errno == ECONNREFUSED ? "connection refused"
                                               : strerror(errno));
        return errno == ECONNREFUSED ? PH_ECONNREFUSED : PH_ENET;
    }
    if (uv_poll_init_socket(nc->loop, &nc->poll, fd) != 0) {
        seterr(nc, "%s", "poll init failed");
        return PH_EINTERNAL;
    }
    nc->poll_init = 1;
    nc->poll.data = nc;
    nc->step = ST_CONNECT;
    arm(nc, UV_WRITABLE);
    return 0;
}

static void
on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    struct netconn *nc = req->data;
    int rc;

    nc->gai_active = 0;
    if (nc->closing) {
        uv_freeaddrinfo(res);
        ph_free(nc);   /* close was deferred until the lookup ended */
        return;
    }
    nc->times.dns_us = netconn_elapsed_us(nc);
    if (status < 0 || res == NULL) {
        seterr(nc, "could not resolve %s", nc->host);
        uv_freeaddrinfo(res);
        finish(nc, PH_EDNS);
        return;
    }
    rc = start_socket(nc, res->ai_addr, res->ai_addrlen);
    uv_freeaddrinfo(res);
    if (rc != 0) {
        finish(nc, rc);
    }
}

int
netconn_connect(struct netconn *nc, const char *host, int port,
                const char *source, netconn_cb cb, void *arg)
{
    struct addrinfo hints;
    char service[8];
    int rc;

    nc->host = ph_strdup(host);
    nc->source = source != NULL ? ph_strdup(source) : NULL;
    if (nc->host == NULL || (source != NULL && nc->source == NULL)) {
        return PH_ENOMEM;
    }
    nc->port = port;
    nc->cb = cb;
    nc->arg = arg;
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    /* With a source address, resolve in its family so bind() fits. */
    hints.ai_family = source == NULL           ? AF_UNSPEC
                      : strchr(source, ':') != NULL ? AF_INET6
                                                    : AF_INET;
    snprintf(service, sizeof(service), "%d", port);
    nc->gai.data = nc;
    rc = uv_getaddrinfo(nc->loop, &nc->gai, on_resolved, host, service,
                        &hints);
    if (rc != 0) {
        seterr(nc, "resolve: %s", uv_strerror(rc));
        nc->cb = NULL;
        return PH_EDNS;
    }
    nc->gai_active = 1;
    return 0;
}

int
netconn_tls(struct netconn *nc, const char *sni, int verify,
            const char *ca_file, netconn_cb cb, void *arg)
{
    const char *name = sni != NULL ? sni : nc->host;

    nc->ctx = SSL_CTX_new(TLS_client_method());
    if (nc->ctx == NULL) {
        return PH_ENOMEM;
    }
    if (verify) {
        SSL_CTX_set_verify(nc->ctx, SSL_VERIFY_PEER, verify_cb);
        if (ca_file != NULL) {
            if (SSL_CTX_load_verify_locations(nc->ctx, ca_file, NULL) != 1) {
                ssl_errtext(nc, "cannot load ca_file");
                return PH_ETLS;
            }
        } else {
            SSL_CTX_set_default_verify_paths(nc->ctx);
        }
    } else {
        SSL_CTX_set_verify(nc->ctx, SSL_VERIFY_NONE, NULL);
    }
    nc->ssl = SSL_new(nc->ctx);
    if (nc->ssl == NULL || SSL_set_fd(nc->ssl, nc->fd) != 1) {
        return PH_ENOMEM;
    }
    SSL_set_app_data(nc->ssl, nc);
    {
        /* The OpenSSL macro takes a non-const pointer. */
        char sni_name[256];
        snprintf(sni_name, sizeof(sni_name), "%s", name);
        SSL_set_tlsext_host_name(nc->ssl, sni_name);
    }
    if (verify) {
        /* Check the name too: an IP literal against the SAN IPs. */
        X509_VERIFY_PARAM *vp = SSL_get0_param(nc->ssl);
        if (X509_VERIFY_PARAM_set1_ip_asc(vp, name) != 1) {
            SSL_set1_host(nc->ssl, name);
        }
    }
    nc->cb = cb;
    nc->arg = arg;
    nc->step = ST_TLS;
    do_tls(nc);
    return 0;
}

int
netconn_write(struct netconn *nc, const void *data, size_t len,
              netconn_cb cb, void *arg)
{
    nc->wdata = ph_malloc(len ? len : 1);
    if (nc->wdata == NULL) {
        return PH_ENOMEM;
    }
    memcpy(nc->wdata, data, len);
    nc->wlen = len;
    nc->woff = 0;
    nc->cb = cb;
    nc->arg = arg;
    nc->step = ST_WRITE;
    arm(nc, UV_WRITABLE);
    return 0;
}

int
netconn_read(struct netconn *nc, netconn_cb cb, void *arg)
{
    nc->cb = cb;
    nc->arg = arg;
    nc->step = ST_READ;
    /* OpenSSL may already hold decrypted bytes the socket won't signal. */
    if (nc->ssl != NULL && SSL_pending(nc->ssl) > 0) {
        do_read(nc);
        return 0;
    }
    arm(nc, UV_READABLE);
    return 0;
}

struct buf *
netconn_rbuf(struct netconn *nc)
{
    return &nc->rbuf;
}

const struct netconn_times *
netconn_times(const struct netconn *nc)
{
    return &nc->times;
}

int64_t
netconn_cert_not_after(const struct netconn *nc)
{
    return nc->cert_not_after;
}

const char *
netconn_error(const struct netconn *nc)
{
    return nc->err;
}

static void
on_closed(uv_handle_t *h)
{
    struct netconn *nc = h->data;

    if (nc->fd >= 0) {
        close(nc->fd);
    }
    ph_free(nc);
}

void
netconn_close(struct netconn *nc)
{
    if (nc == NULL || nc->closing) {
        return;
    }
    nc->closing = 1;
    nc->cb = NULL;
    if (nc->ssl != NULL) {
        SSL_free(nc->ssl);
        nc->ssl = NULL;
    }
    if (nc->ctx != NULL) {
        SSL_CTX_free(nc->ctx);
        nc->ctx = NULL;
    }
    ph_free(nc->host);
    ph_free(nc->source);
    ph_free(nc->wdata);
    buf_free(&nc->rbuf);
    nc->host = nc->source = NULL;
    nc->wdata = NULL;
    if (nc->poll_init) {
        uv_poll_stop(&nc->poll);
        uv_close((uv_handle_t *)&nc->poll, on_closed);
        return;
    }
    if (nc->fd >= 0) {
        close(nc->fd);
        nc->fd = -1;
    }
    if (nc->gai_active) {
        /* uv_cancel may fail if the lookup already runs; on_resolved
         * frees nc either way. */
        uv_cancel((uv_req_t *)&nc->gai);
        return;
    }
    ph_free(nc);
}
