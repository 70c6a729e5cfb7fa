/*
 * curl_uv.c - libcurl multi driven by libuv (the pattern of curl's
 * docs/examples/multi-uv.c): curl tells us which sockets to watch
 * (CURLMOPT_SOCKETFUNCTION) and when to call back (TIMERFUNCTION); we
 * watch with uv_poll and one uv_timer and feed events to
 * curl_multi_socket_action(). Finished transfers are reported through
 * each transfer's done callback.
 */
#include "curl_uv.h"

#include <string.h>

#include "mem.h"
#include "ph_err.h"

struct sock;

/* Idle easy handles kept for reuse: enough for the transfers that start
 * while others end; an idle handle costs a few kB. */
#define EASY_POOL_MAX 16

struct curl_uv {
    uv_loop_t *loop;
    struct sock *socks;     /* every watched socket, to close on exit */
    CURLM *multi;
    uv_timer_t timer;
    int closing;
    int pending_closes;
    curl_uv_closed_cb closed_cb;
    void *closed_arg;
    CURL *pool[EASY_POOL_MAX];
    size_t npool;
};

/* One per easy handle: the done callback. Found via CURLINFO_PRIVATE. */
struct xfer {
    curl_uv_done_cb done;
    void *arg;
};

/* One per socket curl asks us to watch. */
struct sock {
    uv_poll_t poll;
    struct curl_uv *cu;
    curl_socket_t fd;
    struct sock *next;
    struct sock **prevp;
    int counted;            /* closed during curl_uv_close: counted */
};

static void
sock_unlink(struct sock *s)
{
    *s->prevp = s->next;
    if (s->next != NULL) {
        s->next->prevp = s->prevp;
    }
    s->next = NULL;
    s->prevp = &s->next;
}

static void
check_done(struct curl_uv *cu)
{
    CURLMsg *msg;
    int left;

    while ((msg = curl_multi_info_read(cu->multi, &left)) != NULL) {
        CURL *easy;
        struct xfer *x = NULL;
        CURLcode result;

        if (msg->msg != CURLMSG_DONE) {
            continue;
        }
        easy = msg->easy_handle;
        result = msg->data.result;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x);
        curl_multi_remove_handle(cu->multi, easy);
        curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
        if (x != NULL) {
            curl_uv_done_cb done = x->done;
            void *arg = x->arg;
            ph_free(x);
            /* The callback may add new transfers or free easy. */
            done(easy, result, arg);
        }
    }
}

static void
on_poll(uv_poll_t *p, int status, int events)
{
    struct sock *s = p->data;
    int flags = 0;
    int running;

    if (status < 0) {
        flags = CURL_CSELECT_ERR;
    }
    if (events & UV_READABLE) {
        flags |= CURL_CSELECT_IN;
    }
    if (events & UV_WRITABLE) {
        flags |= CURL_CSELECT_OUT;
    }
    curl_multi_socket_action(s->cu->multi, s->fd, flags, &running);
    check_done(s->cu);
}

static void
on_timer(uv_timer_t *t)
{
    struct curl_uv *cu = t->data;
    int running;

    curl_multi_socket_action(cu->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(cu);
}

static int
timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
    struct curl_uv *cu = userp;

    (void)multi;
    if (cu->closing) {
        return 0;
    }
    if (timeout_ms < 0) {
        uv_timer_stop(&cu->timer);
    } else {
        /* 0 means "as soon as possible": a 0 ms uv timer runs on the next
         * loop iteration, never recursively from inside curl. */
        uv_timer_start(&cu->timer, on_timer, (uint64_t)timeout_ms, 0);
    }
    return 0;
}

static void
free_sock(uv_handle_t *h)
{
    struct sock *s = h->data;
    struct curl_uv *cu = s->cu;
    int counted = s->counted;

    ph_free(s);
    if (counted && --cu->pending_closes == 0) {
        curl_uv_closed_cb cb = cu->closed_cb;
        void *arg = cu->closed_arg;
        ph_free(cu);
        if (cb != NULL) {
            cb(arg);
        }
    }
}

static int
socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    struct curl_uv *cu = userp;
    struct sock *s = socketp;
    int events = 0;

    (void)easy;
    if (what == CURL_POLL_REMOVE) {
        if (s != NULL) {
            /* Stop watching now: curl may close and reuse the fd. */
            uv_poll_stop(&s->poll);
            curl_multi_assign(cu->multi, fd, NULL);
            sock_unlink(s);
            if (cu->closing) {
                cu->pending_closes++;
                s->counted = 1;
            }
            uv_close((uv_handle_t *)&s->poll, free_sock);
        }
        return 0;
    }
    if (s == NULL) {
        s = ph_calloc(1, sizeof(*s));
        if (s == NULL) {
            return -1;
        }
        s->cu = cu;
        s->fd = fd;
        if (uv_poll_init_socket(cu->loop, &s->poll, fd) != 0) {
            ph_free(s);
            return -1;
        }
        s->poll.data = s;
        s->next = cu->socks;
        s->prevp = &cu->socks;
        if (cu->socks != NULL) {
            cu->socks->prevp = &s->next;
        }
        cu->socks = s;
        curl_multi_assign(cu->multi, fd, s);
    }
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT) {
        events |= UV_READABLE;
    }
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT) {
        events |= UV_WRITABLE;
    }
    uv_poll_start(&s->poll, events, on_poll);
    return 0;
}

struct curl_uv *
curl_uv_new(uv_loop_t *loop)
{
    struct curl_uv *cu = ph_calloc(1, sizeof(*cu));

    if (cu == NULL) {
        return NULL;
    }
    cu->loop = loop;
    cu->multi = curl_multi_init();
    if (cu->multi == NULL) {
        ph_free(cu);
        return NULL;
    }
    uv_timer_init(loop, &cu->timer);
    cu->timer.data = cu;
    curl_multi_setopt(cu->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
    curl_multi_setopt(cu->multi, CURLMOPT_SOCKETDATA, cu);
    curl_multi_setopt(cu->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(cu->multi, CURLMOPT_TIMERDATA, cu);
    return cu;
}

int
curl_uv_add(struct curl_uv *cu, CURL *easy, curl_uv_done_cb done, void *arg)
{
    struct xfer *x;

    if (cu->closing) {
        return PH_ECANCELED;
    }
    x = ph_malloc(sizeof(*x));
    if (x == NULL) {
        return PH_ENOMEM;
    }
    x->done = done;
    x->arg = arg;
    curl_easy_setopt(easy, CURLOPT_PRIVATE, (char *)x);
    if (curl_multi_add_handle(cu->multi, easy) != CURLM_OK) {
        curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
        ph_free(x);
        return PH_EINTERNAL;
    }
    return 0;
}

CURL *
curl_uv_easy_get(struct curl_uv *cu)
{
    CURL *easy;

    if (cu->npool == 0) {
        return curl_easy_init();
    }
    easy = cu->pool[--cu->npool];
    curl_easy_reset(easy);
    return easy;
}

void
curl_uv_easy_put(struct curl_uv *cu, CURL *easy)
{
    if (easy == NULL) {
        return;
    }
    if (cu->closing || cu->npool == EASY_POOL_MAX) {
        curl_easy_cleanup(easy);
        return;
    }
    cu->pool[cu->npool++] = easy;
}

void
curl_uv_remove(struct curl_uv *cu, CURL *easy)
{
    struct xfer *x = NULL;

    curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x);
    curl_multi_remove_handle(cu->multi, easy);
    curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
    ph_free(x);
}

static void
timer_closed(uv_handle_t *h)
{
    struct curl_uv *cu = h->data;

    if (--cu->pending_closes == 0) {
        curl_uv_closed_cb cb = cu->closed_cb;
        void *arg = cu->closed_arg;
        ph_free(cu);
        if (cb != NULL) {
            cb(arg);
        }
    }
}

void
curl_uv_close(struct curl_uv *cu, curl_uv_closed_cb cb, void *arg)
{
    cu->closing = 1;
    cu->closed_cb = cb;
    cu->closed_arg = arg;
    cu->pending_closes = 1; /* the timer */
    while (cu->npool > 0) {
        curl_easy_cleanup(cu->pool[--cu->npool]);
    }
    uv_timer_stop(&cu->timer);
    /* Cleaning up the multi removes its sockets through socket_cb
     * (CURL_POLL_REMOVE), which counts each poll handle it closes.
     * Transfers still attached belong to their owners, who must have
     * removed them first (curl_uv.h contract). */
    curl_multi_cleanup(cu->multi);
    cu->multi = NULL;
    /* Whatever curl did not remove itself is closed here. */
    while (cu->socks != NULL) {
        struct sock *s = cu->socks;
        sock_unlink(s);
        uv_poll_stop(&s->poll);
        cu->pending_closes++;
        s->counted = 1;
        uv_close((uv_handle_t *)&s->poll, free_sock);
    }
    uv_close((uv_handle_t *)&cu->timer, timer_closed);
}
