#include "ares_uv.h"

#include "mem.h"
#include "ph_err.h"

#define ARES_UV_MAX_SOCKS 16

struct au_sock {
    uv_poll_t poll;
    struct ares_uv *au;
    ares_socket_t fd;
    int used;
};

struct ares_uv {
    uv_loop_t *loop;
    ares_channel channel;
    uv_timer_t timer;
    struct au_sock socks[ARES_UV_MAX_SOCKS];
    int closing;
    int pending_closes;
    ares_uv_closed_cb closed_cb;
    void *closed_arg;
};

static void rearm(struct ares_uv *au);

static void
on_timer(uv_timer_t *t)
{
    struct ares_uv *au = t->data;

    ares_process_fd(au->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    rearm(au);
}

static void
rearm(struct ares_uv *au)
{
    struct timeval tv;

    if (au->closing || au->channel == NULL) {
        return;
    }
    if (ares_timeout(au->channel, NULL, &tv) == NULL) {
        uv_timer_stop(&au->timer);
        return;
    }
    uv_timer_start(&au->timer, on_timer,
                   (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000,
                   0);
}

static void
on_poll(uv_poll_t *p, int status, int events)
{
    struct au_sock *s = p->data;
    struct ares_uv *au = s->au;

    if (status < 0) {
        events = UV_READABLE | UV_WRITABLE; /* let c-ares see the error */
    }
    ares_process_fd(au->channel,
                    (events & UV_READABLE) ? s->fd : ARES_SOCKET_BAD,
                    (events & UV_WRITABLE) ? s->fd : ARES_SOCKET_BAD);
    rearm(au);
}

static void
close_done(struct ares_uv *au)
{
    if (--au->pending_closes == 0 && au->closing) {
        ares_uv_closed_cb cb = au->closed_cb;
        void *arg = au->closed_arg;
        ph_free(au);
        if (cb != NULL) {
            cb(arg);
        }
    }
}

static void
sock_closed(uv_handle_t *h)
{
    struct au_sock *s = h->data;

    s->used = 0;
    close_done(s->au);
}

static void
timer_closed(uv_handle_t *h)
{
    close_done(h->data);
}

static void
sock_state_cb(void *data, ares_socket_t fd, int readable, int writable)
{
    struct ares_uv *au = data;
    struct au_sock *s = NULL;
    struct au_sock *free_slot = NULL;

    for (int i = 0; i < ARES_UV_MAX_SOCKS; i++) {
        if (au->socks[i].used == 1 && au->socks[i].fd == fd) {
            s = &au->socks[i];
        } else if (au->socks[i].used == 0 && free_slot == NULL) {
            free_slot = &au->socks[i];
        }
    }
    if (readable || writable) {
        if (s == NULL) {
            if (free_slot == NULL) {
                return; /* capped; c-ares times the query out */
            }
            s = free_slot;
            if (uv_poll_init_socket(au->loop, &s->poll, fd) != 0) {
                return;
            }
            s->used = 1;
            s->fd = fd;
            s->au = au;
            s->poll.data = s;
        }
        uv_poll_start(&s->poll,
                      (readable ? UV_READABLE : 0) |
                          (writable ? UV_WRITABLE : 0),
                      on_poll);
    } else if (s != NULL) {
        /* c-ares closes the fd next: stop and close our watcher now. */
        uv_poll_stop(&s->poll);
        s->used = 2; /* closing */
        au->pending_closes++;
        uv_close((uv_handle_t *)&s->poll, sock_closed);
    }
}

int
ares_uv_new(uv_loop_t *loop, struct ares_options *opts, int optmask,
            struct ares_uv **ret)
{
    struct ares_uv *au = ph_calloc(1, sizeof(*au));

    if (au == NULL) {
        return PH_ENOMEM;
    }
    au->loop = loop;
    opts->sock_state_cb = sock_state_cb;
    opts->sock_state_cb_data = au;
    if (ares_init_options(&au->channel, opts,
                          optmask | ARES_OPT_SOCK_STATE_CB) != ARES_SUCCESS) {
        ph_free(au);
        return PH_EDNS;
    }
    uv_timer_init(loop, &au->timer);
    au->timer.data = au;
    *ret = au;
    return 0;
}

ares_channel
ares_uv_channel(struct ares_uv *au)
{
    return au->channel;
}

void
ares_uv_kick(struct ares_uv *au)
{
    rearm(au);
}

void
ares_uv_close(struct ares_uv *au, ares_uv_closed_cb cb, void *arg)
{
    au->closed_cb = cb;
    au->closed_arg = arg;
    /* Destroying the channel reports every socket closed through
     * sock_state_cb, which closes their polls. */
    ares_destroy(au->channel);
    au->channel = NULL;
    au->closing = 1;
    for (int i = 0; i < ARES_UV_MAX_SOCKS; i++) {
        if (au->socks[i].used == 1) {
            uv_poll_stop(&au->socks[i].poll);
            au->socks[i].used = 2;
            au->pending_closes++;
            uv_close((uv_handle_t *)&au->socks[i].poll, sock_closed);
        }
    }
    uv_timer_stop(&au->timer);
    au->pending_closes++;
    uv_close((uv_handle_t *)&au->timer, timer_closed);
}
