/*
 * notify_int.h - what notify.c (events, subscriptions) and notify_send.c
 * (the libcurl worker) share. curl.h stays inside notify_send.c.
 */
#ifndef PH_NOTIFY_INT_H
#define PH_NOTIFY_INT_H

#include <uv.h>

#include "complain.h"
#include "notify.h"
#include "notify_rules.h"
#include "token.h"

struct delivery;

struct notify {
    struct hub *h;
    struct curl_uv *cu;
    uv_timer_t timer;              /* polls the outbox for due messages */
    struct delivery *inflight;     /* list of running deliveries */
    size_t ninflight;
    int timer_started;
    int stopping;
    int held;                 /* not the leader: deliver nothing */
    int polling;              /* a read of due rows is under way */
    char link_key[TOKEN_MAX];             /* HMAC key of unsubscribe tokens (hex) */
    struct ratelimit rl;
    struct complain send_complaint;
    struct complain store_complaint;
};

/* notify_send.c: worker lifecycle. */
int notify_worker_start(struct notify *n, uv_loop_t *loop);
void notify_worker_stop(struct notify *n);

#endif
