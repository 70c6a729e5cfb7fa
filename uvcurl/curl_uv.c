/*
 * curl_uv.c - libcurl multi driven by libuv (the pattern of curl's
 * docs/examples/multi-uv.c, with one change): curl tells us which
 * sockets to watch (CURLMOPT_SOCKETFUNCTION) and when to call back
 * (TIMERFUNCTION). We keep its sockets in an epoll set of our own and
 * watch that one descriptor with a uv_poll, and the timeout with one
 * uv_timer, feeding events to curl_multi_socket_action(). A uv_poll per
 * socket cost each transfer eight epoll_ctl calls (libuv checks every
 * new descriptor with an add and a delete), an allocation and a handle
 * close; the set costs three calls (add, change, delete) and nothing
 * else (issue #15). Finished transfers are reported through each
 * transfer's done callback.
 */
#include "curl_uv.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "mem.h"
#include "ph_err.h"

/* Events taken from the set per wake-up; more wait for the next. */
#define EVENTS_MAX 256

/* Idle easy handles kept for reuse: enough for the transfers that start
 * while others end; an idle handle costs a few kB. */
#define EASY_POOL_MAX 16

struct curl_uv {
    uv_loop_t *loop;
    CURLM *multi;
    int epfd;               /* curl's sockets */
    uv_poll_t poll;         /* on epfd */
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

static void handle_closed(uv_handle_t *h);

/* The socketp curl keeps for a socket in the set (any non-NULL). */
static char in_set;

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
    struct curl_uv *cu = p->data;
    struct epoll_event ev[EVENTS_MAX];
    int n, running;

    (void)status;
    (void)events;
    n = epoll_wait(cu->epfd, ev, EVENTS_MAX, 0);
    for (int i = 0; i < n && !cu->closing; i++) {
        int flags = 0;

        if (ev[i].events & (EPOLLERR | EPOLLHUP)) {
            flags |= CURL_CSELECT_ERR;
        }
        if (ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
            flags |= CURL_CSELECT_IN;
        }
        if (ev[i].events & EPOLLOUT) {
            flags |= CURL_CSELECT_OUT;
        }
        /* A socket curl dropped while handling an earlier event is
         * unknown to it now, and ignored. */
        curl_multi_socket_action(cu->multi, ev[i].data.fd, flags, &running);
    }
    check_done(cu);
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

static int
socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    struct curl_uv *cu = userp;
    struct epoll_event ev;

    (void)easy;
    if (what == CURL_POLL_REMOVE) {
        /* Out of the set now: curl may close and reuse the fd. */
        if (socketp != NULL) {
            epoll_ctl(cu->epfd, EPOLL_CTL_DEL, fd, NULL);
            curl_multi_assign(cu->multi, fd, NULL);
        }
        return 0;
    }
    memset(&ev, 0, sizeof(ev));
    ev.data.fd = fd;
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT) {
        ev.events |= EPOLLIN;
    }
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT) {
        ev.events |= EPOLLOUT;
    }
    if (socketp == NULL) {
        if (epoll_ctl(cu->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
            return -1;
        }
        curl_multi_assign(cu->multi, fd, &in_set);
    } else if (epoll_ctl(cu->epfd, EPOLL_CTL_MOD, fd, &ev) != 0) {
        return -1;
    }
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
    cu->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (cu->epfd < 0) {
        ph_free(cu);
        return NULL;
    }
    if (uv_poll_init(loop, &cu->poll, cu->epfd) != 0) {
        close(cu->epfd);
        ph_free(cu);
        return NULL;
    }
    cu->poll.data = cu;
    cu->multi = curl_multi_init();
    if (cu->multi == NULL) {
        /* The poll handle must be closed: freed in its callback. */
        cu->closing = 1;
        cu->pending_closes = 1;
        uv_close((uv_handle_t *)&cu->poll, handle_closed);
        return NULL;
    }
    uv_poll_start(&cu->poll, UV_READABLE, on_poll);
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
handle_closed(uv_handle_t *h)
{
    struct curl_uv *cu = h->data;

    if (--cu->pending_closes == 0) {
        close(cu->epfd);
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
    cu->pending_closes = 2; /* the timer and the poll handle */
    while (cu->npool > 0) {
        curl_easy_cleanup(cu->pool[--cu->npool]);
    }
    uv_timer_stop(&cu->timer);
    /* Cleaning up the multi removes its sockets from the set through
     * socket_cb (CURL_POLL_REMOVE); the set itself is closed with the
     * last handle. Transfers still attached belong to their owners, who
     * must have removed them first (curl_uv.h contract). */
    curl_multi_cleanup(cu->multi);
    cu->multi = NULL;
    uv_poll_stop(&cu->poll);
    uv_close((uv_handle_t *)&cu->poll, handle_closed);
    uv_close((uv_handle_t *)&cu->timer, handle_closed);
}
