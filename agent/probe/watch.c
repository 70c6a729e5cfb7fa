/*
 * watch.c - see watch.h. One uv_tcp_t (re-made for every attempt), one
 * timer (connect deadline, or the wait before the next attempt) and one
 * getaddrinfo request. The struct is freed when all three are done.
 */
#include "watch.h"

#include <stdio.h>
#include <string.h>

#include "mem.h"
#include "ph_err.h"

/* The first retry after a loss; then x1.5 per failure. */
#define RETRY_FIRST_MS 1000
/* A connection held less than this is not re-made at once. */
#define SHORT_HOLD_MS 1000

struct watch {
    uv_loop_t *loop;
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_getaddrinfo_t gai;
    uv_connect_t conn;
    char *host;
    char *source;
    char port[8];
    uint32_t timeout_ms;
    uint32_t max_retry_ms;
    uint32_t retry_ms;       /* the next wait after a failure */
    uint64_t held_since;     /* loop time the connection was made */
    watch_cb cb;
    void *arg;
    int tcp_open;            /* tcp initialised and not yet closed */
    int gai_busy;            /* getaddrinfo in flight */
    int timer_open;
    int lost;                /* LOST reported, BACK not yet */
    int closing;
    char buf[512];           /* what the target sends, discarded */
};

static void attempt(struct watch *w);

static void
maybe_free(struct watch *w)
{
    if (w->closing && !w->tcp_open && !w->gai_busy && !w->timer_open) {
        ph_free(w->host);
        ph_free(w->source);
        ph_free(w);
    }
}

static void
on_retry_timer(uv_timer_t *t)
{
    attempt(t->data);
}

static void
schedule(struct watch *w, uint32_t delay_ms)
{
    uv_timer_start(&w->timer, on_retry_timer, delay_ms, 0);
}

/* The attempt failed: report the loss once, wait, try again. */
static void
failed(struct watch *w)
{
    if (!w->lost) {
        w->lost = 1;
        w->retry_ms = RETRY_FIRST_MS;
        w->cb(WATCH_LOST, w->arg);
        if (w->closing) {
            return;
        }
    }
    schedule(w, w->retry_ms);
    w->retry_ms = w->retry_ms + w->retry_ms / 2;
    if (w->retry_ms > w->max_retry_ms) {
        w->retry_ms = w->max_retry_ms;
    }
}

static void
on_tcp_closed(uv_handle_t *h)
{
    struct watch *w = h->data;

    w->tcp_open = 0;
    maybe_free(w);
}

/* Closes the connection; then, unless closing, next(w). */
static void
drop(struct watch *w)
{
    uv_timer_stop(&w->timer);
    if (w->tcp_open && !uv_is_closing((uv_handle_t *)&w->tcp)) {
        uv_close((uv_handle_t *)&w->tcp, on_tcp_closed);
    }
}

static void
on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    struct watch *w = h->data;

    (void)hint;
    *buf = uv_buf_init(w->buf, sizeof(w->buf));
}

static void
on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct watch *w = s->data;
    uint64_t held;

    (void)buf;
    if (nread >= 0 || w->closing) {
        return; /* data is discarded; 0 is "try again" */
    }
    /* EOF, reset or error: the connection is over. Make a new one at
     * once (the idle close of a healthy server), unless this one was
     * short-lived; the new attempt decides whether the target is gone. */
    held = uv_now(w->loop) - w->held_since;
    drop(w);
    schedule(w, held < SHORT_HOLD_MS ? RETRY_FIRST_MS : 0);
}

static void
on_connect(uv_connect_t *req, int status)
{
    struct watch *w = req->data;

    if (w->closing) {
        return;
    }
    uv_timer_stop(&w->timer);
    if (status < 0 || uv_read_start((uv_stream_t *)&w->tcp, on_alloc,
                                    on_read) != 0) {
        drop(w);
        failed(w);
        return;
    }
    w->held_since = uv_now(w->loop);
    w->retry_ms = RETRY_FIRST_MS;
    if (w->lost) {
        w->lost = 0;
        w->cb(WATCH_BACK, w->arg);
    }
}

static void
on_connect_timeout(uv_timer_t *t)
{
    struct watch *w = t->data;

    /* Closing the handle cancels the connect (on_connect sees
     * UV_ECANCELED, after which nothing is pending). */
    drop(w);
    failed(w);
}

static int
bind_source(struct watch *w, const struct sockaddr *to)
{
    struct sockaddr_storage ss;

    if (w->source == NULL) {
        return 0;
    }
    memset(&ss, 0, sizeof(ss));
    if (to->sa_family == AF_INET6) {
        if (uv_ip6_addr(w->source, 0, (struct sockaddr_in6 *)&ss) != 0) {
            return -1;
        }
    } else if (uv_ip4_addr(w->source, 0, (struct sockaddr_in *)&ss) != 0) {
        return -1;
    }
    return uv_tcp_bind(&w->tcp, (const struct sockaddr *)&ss, 0);
}

static void
on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    struct watch *w = req->data;

    w->gai_busy = 0;
    if (w->closing || status < 0 || res == NULL) {
        uv_freeaddrinfo(res);
        if (w->closing) {
            maybe_free(w);
        } else {
            failed(w);
        }
        return;
    }
    if (uv_tcp_init(w->loop, &w->tcp) != 0) {
        uv_freeaddrinfo(res);
        failed(w);
        return;
    }
    w->tcp.data = w;
    w->tcp_open = 1;
    w->conn.data = w;
    if (bind_source(w, res->ai_addr) != 0 ||
        uv_tcp_connect(&w->conn, &w->tcp, res->ai_addr, on_connect) != 0) {
        uv_freeaddrinfo(res);
        drop(w);
        failed(w);
        return;
    }
    uv_freeaddrinfo(res);
    uv_timer_start(&w->timer, on_connect_timeout, w->timeout_ms, 0);
}

static void
attempt(struct watch *w)
{
    struct addrinfo hints;

    if (w->closing || w->tcp_open || w->gai_busy) {
        /* The old handle is still closing: come back in a moment. */
        if (!w->closing) {
            schedule(w, 10);
        }
        return;
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    w->gai.data = w;
    if (uv_getaddrinfo(w->loop, &w->gai, on_resolved, w->host, w->port,
                       &hints) != 0) {
        failed(w);
        return;
    }
    w->gai_busy = 1;
}

int
watch_new(uv_loop_t *loop, const char *host, uint16_t port,
          const char *source, uint32_t timeout_ms, uint32_t max_retry_ms,
          watch_cb cb, void *arg, struct watch **ret)
{
    struct watch *w;

    if (host == NULL || host[0] == '\0' || port == 0 || cb == NULL) {
        return PH_EINVAL;
    }
    w = ph_calloc(1, sizeof(*w));
    if (w == NULL) {
        return PH_ENOMEM;
    }
    w->host = ph_strdup(host);
    w->source = source != NULL && source[0] != '\0' ? ph_strdup(source)
                                                    : NULL;
    if (w->host == NULL ||
        (source != NULL && source[0] != '\0' && w->source == NULL)) {
        ph_free(w->host);
        ph_free(w->source);
        ph_free(w);
        return PH_ENOMEM;
    }
    snprintf(w->port, sizeof(w->port), "%u", (unsigned)port);
    w->loop = loop;
    w->timeout_ms = timeout_ms > 0 ? timeout_ms : 10000;
    w->max_retry_ms = max_retry_ms > RETRY_FIRST_MS ? max_retry_ms
                                                    : RETRY_FIRST_MS;
    w->retry_ms = RETRY_FIRST_MS;
    w->cb = cb;
    w->arg = arg;
    uv_timer_init(loop, &w->timer);
    w->timer.data = w;
    w->timer_open = 1;
    attempt(w);
    *ret = w;
    return 0;
}

static void
on_timer_closed(uv_handle_t *h)
{
    struct watch *w = h->data;

    w->timer_open = 0;
    maybe_free(w);
}

void
watch_close(struct watch *w)
{
    if (w == NULL || w->closing) {
        return;
    }
    w->closing = 1;
    uv_timer_stop(&w->timer);
    uv_close((uv_handle_t *)&w->timer, on_timer_closed);
    if (w->gai_busy) {
        /* Freed in on_resolved if the lookup already runs. */
        uv_cancel((uv_req_t *)&w->gai);
    }
    drop(w);
}
