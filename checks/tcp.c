/*
 * tcp.c - the tcp check type: TCP connect, optional TLS, send/expect. The
 * whole type in one file, listed in checks/registry.h; in three parts,
 * one per define:
 *
 *   PH_CHECK_DECLARE  struct check_tcp, its part of struct check (u.tcp):
 *                     copied by CMake into the header check.h includes
 *                     (the define is never set; it marks the part)
 *   PH_CHECK_PROBE    probe_tcp_ops, the probe: the agent's probe library
 *   neither           check_tcp_kind, its keys and their rules: lib/ (the
 *                     collector, pharosctl and the agent; the key table
 *                     also carries the check on the wire, lib/wire.c)
 */
#if defined(PH_CHECK_DECLARE)

#include <stddef.h>

struct check_tcp {
    char *host;
    int port;
    int tls;
    int insecure;
    char *ca_file;
    char *sni;                    /* NULL means host */
    char *send;                   /* optional payload */
    char *expect;                 /* optional substring of the reply */
};

#elif defined(PH_CHECK_PROBE)

/*
 * The probe: TCP connect, optional TLS handshake (certificate check
 * and expiry), optional send/expect exchange.
 */
#include <stdio.h>
#include <string.h>

#include "mem.h"
#include "netconn.h"
#include "ph_err.h"
#include "probe.h"

struct tcp_run {
    const struct check *c;
    probe_done_cb cb;
    void *arg;
    struct netconn *nc;
    uv_timer_t timer;
    struct check_result res;
};

static void
run_closed(uv_handle_t *h)
{
    ph_free(h->data);
}

/* Ends the run: reports r (unless cancelled), releases everything. */
static void
finish(struct tcp_run *t, int report)
{
    struct check_result *r = &t->res;

    if (t->nc != NULL) {
        const struct netconn_times *tm = netconn_times(t->nc);
        r->timing.dns_us = tm->dns_us;
        r->timing.connect_us = tm->connect_us;
        r->timing.tls_us = tm->tls_us;
        r->timing.first_byte_us = tm->first_byte_us;
        r->timing.total_us = netconn_elapsed_us(t->nc);
        r->latency_ms = (uint32_t)(r->timing.total_us / 1000);
        if (r->cert_not_after == 0) {
            r->cert_not_after = netconn_cert_not_after(t->nc);
        }
        netconn_close(t->nc);
        t->nc = NULL;
    }
    uv_timer_stop(&t->timer);
    if (report) {
        probe_finish(t->c, r, probe_now_ms() / 1000);
        t->cb(t->c, r, t->arg);
    }
    uv_close((uv_handle_t *)&t->timer, run_closed);
}

static void
fail(struct tcp_run *t, const char *prefix, struct netconn *nc)
{
    t->res.outcome = OUTCOME_DOWN;
    check_result_seterr(&t->res, "%s: %s", prefix, netconn_error(nc));
    finish(t, 1);
}

static void
succeed(struct tcp_run *t)
{
    t->res.outcome = OUTCOME_UP;
    t->res.error[0] = '\0';
    finish(t, 1);
}

static void
on_read(struct netconn *nc, int status, void *arg)
{
    struct tcp_run *t = arg;
    struct buf *b = netconn_rbuf(nc);

    if (b->data != NULL && strstr(b->data, t->c->u.tcp.expect) != NULL) {
        succeed(t);
        return;
    }
    if (status != 0) {
        t->res.outcome = OUTCOME_DOWN;
        check_result_seterr(&t->res, "tcp: expected \"%.40s\" not in reply",
                            t->c->u.tcp.expect);
        finish(t, 1);
        return;
    }
    if (netconn_read(nc, on_read, t) != 0) {
        fail(t, "tcp", nc);
    }
}

static void
exchange(struct tcp_run *t)
{
    if (t->c->u.tcp.expect != NULL) {
        if (netconn_read(t->nc, on_read, t) != 0) {
            fail(t, "tcp", t->nc);
        }
        return;
    }
    succeed(t);
}

static void
on_written(struct netconn *nc, int status, void *arg)
{
    struct tcp_run *t = arg;

    if (status != 0) {
        fail(t, "tcp", nc);
        return;
    }
    exchange(t);
}

static void
after_handshake(struct tcp_run *t)
{
    const struct check_tcp *tc = &t->c->u.tcp;

    if (tc->send != NULL) {
        if (netconn_write(t->nc, tc->send, strlen(tc->send), on_written, t) !=
            0) {
            fail(t, "tcp", t->nc);
        }
        return;
    }
    exchange(t);
}

static void
on_tls(struct netconn *nc, int status, void *arg)
{
    struct tcp_run *t = arg;

    if (status != 0) {
        t->res.cert_not_after = netconn_cert_not_after(nc);
        fail(t, "tls", nc);
        return;
    }
    after_handshake(t);
}

static void
on_connected(struct netconn *nc, int status, void *arg)
{
    struct tcp_run *t = arg;
    const struct check_tcp *tc = &t->c->u.tcp;

    if (status != 0) {
        fail(t, status == PH_EDNS ? "dns" : "connect", nc);
        return;
    }
    if (tc->tls) {
        int rc = netconn_tls(nc, tc->sni, !tc->insecure, tc->ca_file, on_tls,
                             t);
        if (rc != 0) {
            fail(t, "tls", nc);
        }
        return;
    }
    after_handshake(t);
}

static void
on_timeout(uv_timer_t *tm)
{
    struct tcp_run *t = tm->data;

    t->res.outcome = OUTCOME_DOWN;
    check_result_seterr(&t->res, "timeout after %u ms", t->c->timeout_ms);
    finish(t, 1);
}

static int
tcp_start(const struct probe_env *env, const struct check *c,
          probe_done_cb cb, void *arg, void **ret_run)
{
    struct tcp_run *t = ph_calloc(1, sizeof(*t));
    int rc;

    if (t == NULL) {
        return PH_ENOMEM;
    }
    t->c = c;
    t->cb = cb;
    t->arg = arg;
    snprintf(t->res.check_id, sizeof(t->res.check_id), "%s", c->id);
    t->res.started_at_ms = probe_now_ms();
    t->nc = netconn_new(env->loop);
    if (t->nc == NULL) {
        ph_free(t);
        return PH_ENOMEM;
    }
    rc = netconn_connect(t->nc, c->u.tcp.host, c->u.tcp.port,
                         probe_source_address(env, c), on_connected, t);
    if (rc != 0) {
        netconn_close(t->nc);
        ph_free(t);
        return rc;
    }
    uv_timer_init(env->loop, &t->timer);
    t->timer.data = t;
    uv_timer_start(&t->timer, on_timeout, c->timeout_ms, 0);
    *ret_run = t;
    return 0;
}

static void
tcp_cancel(void *run)
{
    finish(run, 0);
}

static int
tcp_target(const struct check *c, char *host, size_t hostlen,
           uint16_t *ret_port)
{
    return probe_target_set(c->u.tcp.host, c->u.tcp.port, host, hostlen,
                            ret_port);
}

const struct probe_ops probe_tcp_ops = {
    "tcp",
    CHECK_TCP,
    tcp_start,
    tcp_cancel,
    tcp_target,
};

#else /* the check kind */

#include "check.h"
#include "conf.h"

#define T(field) offsetof(struct check, u.tcp.field)

static const struct conf_opt tcp_opts[] = {
    {"host", CONF_T_STR, T(host), NULL, 0, 0, 1, NULL, "host to connect to"},
    {"port", CONF_T_INT, T(port), NULL, 1, 65535, 1, NULL, "TCP port"},
    {"tls", CONF_T_BOOL, T(tls), "false", 0, 0, 0, NULL, "TLS handshake"},
    {"insecure", CONF_T_BOOL, T(insecure), "false", 0, 0, 0, NULL,
     "skip TLS verification"},
    {"ca_file", CONF_T_STR, T(ca_file), NULL, 0, 0, 0, NULL, "CA bundle"},
    {"sni", CONF_T_STR, T(sni), NULL, 0, 0, 0, NULL, "TLS server name"},
    {"send", CONF_T_STR, T(send), NULL, 0, 0, 0, NULL, "bytes to send"},
    {"expect", CONF_T_STR, T(expect), NULL, 0, 0, 0, NULL,
     "text the reply must contain"},
    {NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL},
};

const struct check_kind check_tcp_kind = {"tcp", CHECK_TCP, tcp_opts, NULL};

#endif
