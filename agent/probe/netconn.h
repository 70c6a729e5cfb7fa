/*
 * netconn.h - one outbound TCP connection on the agent's loop, with
 * optional TLS (OpenSSL on the non-blocking socket, driven by uv_poll),
 * for the TCP and SMTP probes. The only includer of OpenSSL's ssl.h.
 *
 * Every step takes a callback, called once with 0 or a negative PH_E*
 * (the detail is in netconn_error()); if the step returns an error the
 * callback is never called. netconn_close() may be called at any time,
 * also from a callback; no callback fires after it. Loop thread only.
 */
#ifndef PH_NETCONN_H
#define PH_NETCONN_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "buf.h"

#define NETCONN_READ_MAX (64 * 1024)

struct netconn;

typedef void (*netconn_cb)(struct netconn *nc, int status, void *arg);

/* Timestamps in microseconds since netconn_new(); 0 = did not happen. */
struct netconn_times {
    uint64_t dns_us;
    uint64_t connect_us;
    uint64_t tls_us;
    uint64_t first_byte_us;
};

/* Returns new or NULL. */
struct netconn *netconn_new(uv_loop_t *loop);
/* Resolves host, binds source (if not NULL) and connects. */
int netconn_connect(struct netconn *nc, const char *host, int port,
                    const char *source, netconn_cb cb, void *arg);
/* TLS handshake on the connection. verify=0 skips chain and name
 * checks; ca_file NULL uses the system store; sni NULL uses host. The
 * certificate's not-after is recorded even when verification fails. */
int netconn_tls(struct netconn *nc, const char *sni, int verify,
                const char *ca_file, netconn_cb cb, void *arg);
/* Writes all of data (copied). */
int netconn_write(struct netconn *nc, const void *data, size_t len,
                  netconn_cb cb, void *arg);
/* Waits for more bytes and appends them to netconn_rbuf(); cb gets
 * PH_EIO on EOF or error, PH_ETOOBIG when the buffer is full. */
int netconn_read(struct netconn *nc, netconn_cb cb, void *arg);
struct buf *netconn_rbuf(struct netconn *nc);
const struct netconn_times *netconn_times(const struct netconn *nc);
/* Certificate not-after (unix seconds) of the peer, 0 if none. */
int64_t netconn_cert_not_after(const struct netconn *nc);
/* The last error as short text ("connection refused"). */
const char *netconn_error(const struct netconn *nc);
/* Microseconds since netconn_new(). */
uint64_t netconn_elapsed_us(const struct netconn *nc);
/* Closes and frees asynchronously; accepts NULL. */
void netconn_close(struct netconn *nc);

#endif
