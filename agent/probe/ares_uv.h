/*
 * ares_uv.h - one c-ares channel driven by the libuv loop: its sockets
 * are watched with uv_poll (via ARES_OPT_SOCK_STATE_CB) and its timeouts
 * with a uv_timer. Only this file and checks/dns.c see ares.h.
 * Loop thread only.
 */
#ifndef PH_ARES_UV_H
#define PH_ARES_UV_H

#include <ares.h>
#include <uv.h>

struct ares_uv;

typedef void (*ares_uv_closed_cb)(void *arg);

/*
 * Creates a channel with opts/optmask (ARES_OPT_SOCK_STATE_CB is added
 * here). Returns 0 and a new object, or PH_E*.
 */
int ares_uv_new(uv_loop_t *loop, struct ares_options *opts, int optmask,
                struct ares_uv **ret);
ares_channel ares_uv_channel(struct ares_uv *au);
/* Re-arms the timeout timer after queries were added. */
void ares_uv_kick(struct ares_uv *au);
/* Cancels pending queries (their callbacks run with ARES_ECANCELLED or
 * ARES_EDESTRUCTION), destroys the channel, closes the uv handles, frees
 * au, then calls cb(arg). */
void ares_uv_close(struct ares_uv *au, ares_uv_closed_cb cb, void *arg);

#endif
