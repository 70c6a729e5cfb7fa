/*
 * smtp.c - the smtp check type: banner, EHLO, STARTTLS, QUIT. The whole type
 * in one file, listed in checks/registry.h; compiled in three parts, one per
 * define:
 *
 *   PH_CHECK_DECLARE  struct check_smtp, its part of struct check (u.smtp):
 *                     copied by CMake into the header check.h includes
 *                     (the define is never set; it marks the part)
 *   PH_CHECK_PROBE    probe_smtp_ops, the probe: the agent's probe library
 *   neither           check_smtp_kind, its keys and their rules: lib/ (the
 *                     collector, pharosctl and the agent; the key table
 *                     also carries the check on the wire, lib/wire.c)
 */
#if defined(PH_CHECK_DECLARE)

#include <stddef.h>

enum smtp_starttls {
    SMTP_STARTTLS_OPTIONAL = 0,
    SMTP_STARTTLS_REQUIRED = 1,
    SMTP_STARTTLS_OFF = 2,
};

struct check_smtp {
    char *host;
    int port;                     /* 0 = 25, or 465 with implicit_tls */
    int implicit_tls;
    enum smtp_starttls starttls;
    int insecure;
    char *ca_file;
    char *ehlo_name;              /* NULL = "pharos-agent" */
};

#elif defined(PH_CHECK_PROBE)

/*
 * The probe: SMTP: the 220 banner, EHLO, STARTTLS (required,
 * optional or off) with certificate check and expiry, QUIT. Implicit TLS
 * (port 465) does the handshake before the banner. A small state machine
 * over netconn, so it can tell "no STARTTLS offered" from a TLS failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mem.h"
#include "netconn.h"
#include "ph_err.h"
#include "probe.h"

enum smtp_state {
    S_BANNER,
    S_EHLO,
    S_STARTTLS,
    S_EHLO_TLS,
    S_QUIT,
};

struct smtp_run {
    const struct check *c;
    probe_done_cb cb;
    void *arg;
    struct netconn *nc;
    uv_timer_t timer;
    enum smtp_state state;
    size_t consumed;           /* bytes of rbuf already parsed */
    int tls_active;
    int starttls_offered;
    struct check_result res;
};

static void
run_closed(uv_handle_t *h)
{
    ph_free(h->data);
}

static void
finish(struct smtp_run *s, int report)
{
    struct check_result *r = &s->res;

    if (s->nc != NULL) {
        const struct netconn_times *tm = netconn_times(s->nc);
        r->timing.dns_us = tm->dns_us;
        r->timing.connect_us = tm->connect_us;
        r->timing.tls_us = tm->tls_us;
        r->timing.first_byte_us = tm->first_byte_us;
        r->timing.total_us = netconn_elapsed_us(s->nc);
        r->latency_ms = (uint32_t)(r->timing.total_us / 1000);
        if (netconn_cert_not_after(s->nc) != 0) {
            r->cert_not_after = netconn_cert_not_after(s->nc);
        }
        netconn_close(s->nc);
        s->nc = NULL;
    }
    uv_timer_stop(&s->timer);
    if (report) {
        probe_finish(s->c, r, probe_now_ms() / 1000);
        s->cb(s->c, r, s->arg);
    }
    uv_close((uv_handle_t *)&s->timer, run_closed);
}

static void
down(struct smtp_run *s, const char *fmt, const char *detail)
{
    s->res.outcome = OUTCOME_DOWN;
    check_result_seterr(&s->res, fmt, detail);
    finish(s, 1);
}

static void on_read(struct netconn *nc, int status, void *arg);
static void send_cmd(struct smtp_run *s, const char *cmd);

/* The three-digit code at p, or -1. */
static int
reply_code(const char *p)
{
    if (p[0] < '1' || p[0] > '5' || p[1] < '0' || p[1] > '9' || p[2] < '0' ||
        p[2] > '9') {
        return -1;
    }
    return (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
}

/* Parses one complete SMTP reply (possibly multi-line) from the read
 * buffer. Returns its code, 0 if incomplete. Sets *offers_tls when an
 * EHLO line advertises STARTTLS. */
static int
parse_reply(struct smtp_run *s, int *offers_tls, char *first, size_t flen)
{
    struct buf *b = netconn_rbuf(s->nc);
    const char *p = b->data + s->consumed;
    const char *end = b->data + b->len;
    int code = 0;

    first[0] = '\0';
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len;

        if (nl == NULL) {
            return 0;
        }
        len = (size_t)(nl - p);
        if (len < 3) {
            return -1;
        }
        if (first[0] == '\0') {
            size_t n = len < flen - 1 ? len : flen - 1;
            memcpy(first, p, n);
            first[n] = '\0';
            first[strcspn(first, "\r")] = '\0';
        }
        if (len >= 12 && strncasecmp(p + 4, "STARTTLS", 8) == 0) {
            *offers_tls = 1;
        }
        code = reply_code(p);
        if (code < 0) {
            return -1;
        }
        if (len == 3 || p[3] == ' ' || p[3] == '\r') {
            s->consumed = (size_t)(nl + 1 - b->data);
            return code;
        }
        p = nl + 1;
    }
    return 0;
}

static void
on_tls(struct netconn *nc, int status, void *arg)
{
    struct smtp_run *s = arg;

    if (status != 0) {
        s->res.cert_not_after = netconn_cert_not_after(nc);
        down(s, "tls: %s", netconn_error(nc));
        return;
    }
    s->tls_active = 1;
    buf_reset(netconn_rbuf(nc));
    s->consumed = 0;
    if (s->state == S_BANNER) {
        /* Implicit TLS: the banner comes over TLS. */
        if (netconn_read(nc, on_read, s) != 0) {
            down(s, "smtp: %s", netconn_error(nc));
        }
        return;
    }
    s->state = S_EHLO_TLS;
    send_cmd(s, "EHLO");
}

static void
start_tls(struct smtp_run *s)
{
    const struct check_smtp *sc = &s->c->u.smtp;

    if (netconn_tls(s->nc, NULL, !sc->insecure, sc->ca_file, on_tls, s) !=
        0) {
        down(s, "tls: %s", netconn_error(s->nc));
    }
}

static void
on_written(struct netconn *nc, int status, void *arg)
{
    struct smtp_run *s = arg;

    if (status != 0) {
        down(s, "smtp: %s", netconn_error(nc));
        return;
    }
    if (netconn_read(nc, on_read, s) != 0) {
        down(s, "smtp: %s", netconn_error(nc));
    }
}

static void
send_cmd(struct smtp_run *s, const char *cmd)
{
    char line[320];
    const char *name = s->c->u.smtp.ehlo_name ? s->c->u.smtp.ehlo_name
                                              : "pharos-agent";

    if (strcmp(cmd, "EHLO") == 0) {
        snprintf(line, sizeof(line), "EHLO %s\r\n", name);
    } else {
        snprintf(line, sizeof(line), "%s\r\n", cmd);
    }
    if (netconn_write(s->nc, line, strlen(line), on_written, s) != 0) {
        down(s, "smtp: %s", netconn_error(s->nc));
    }
}

/* Acts on one complete reply. */
static void
on_reply(struct smtp_run *s, int code, int offers_tls, const char *first)
{
    const struct check_smtp *sc = &s->c->u.smtp;
    char detail[140];

    s->res.status_code = code;
    snprintf(detail, sizeof(detail), "%.130s", first);
    switch (s->state) {
    case S_BANNER:
        if (code != 220) {
            down(s, "smtp: banner %s", detail);
            return;
        }
        s->state = S_EHLO;
        send_cmd(s, "EHLO");
        return;
    case S_EHLO:
    case S_EHLO_TLS:
        if (code != 250) {
            down(s, "smtp: EHLO refused: %s", detail);
            return;
        }
        if (s->state == S_EHLO && !s->tls_active &&
            sc->starttls != SMTP_STARTTLS_OFF) {
            s->starttls_offered = offers_tls;
            if (offers_tls) {
                s->state = S_STARTTLS;
                send_cmd(s, "STARTTLS");
                return;
            }
            if (sc->starttls == SMTP_STARTTLS_REQUIRED) {
                down(s, "smtp: no STARTTLS offered%s", "");
                return;
            }
        }
        s->state = S_QUIT;
        send_cmd(s, "QUIT");
        return;
    case S_STARTTLS:
        if (code != 220) {
            down(s, "smtp: STARTTLS refused: %s", detail);
            return;
        }
        start_tls(s);
        return;
    case S_QUIT:
        /* 221 is polite; any reply after a good session is fine. */
        s->res.outcome = OUTCOME_UP;
        s->res.error[0] = '\0';
        finish(s, 1);
        return;
    }
}

static void
on_read(struct netconn *nc, int status, void *arg)
{
    struct smtp_run *s = arg;
    int offers_tls = 0;
    char first[160];
    int code;

    if (status != 0) {
        if (s->state == S_QUIT) {
            /* Server closed right after QUIT: the session was good. */
            s->res.outcome = OUTCOME_UP;
            s->res.error[0] = '\0';
            finish(s, 1);
            return;
        }
        down(s, "smtp: %s", netconn_error(nc));
        return;
    }
    code = parse_reply(s, &offers_tls, first, sizeof(first));
    if (code < 0) {
        down(s, "smtp: malformed reply%s", "");
        return;
    }
    if (code == 0) {
        if (netconn_read(nc, on_read, s) != 0) {
            down(s, "smtp: %s", netconn_error(nc));
        }
        return;
    }
    on_reply(s, code, offers_tls, first);
}

static void
on_connected(struct netconn *nc, int status, void *arg)
{
    struct smtp_run *s = arg;

    if (status != 0) {
        down(s, status == PH_EDNS ? "dns: %s" : "connect: %s",
             netconn_error(nc));
        return;
    }
    if (s->c->u.smtp.implicit_tls) {
        start_tls(s);
        return;
    }
    if (netconn_read(nc, on_read, s) != 0) {
        down(s, "smtp: %s", netconn_error(nc));
    }
}

static void
on_timeout(uv_timer_t *tm)
{
    struct smtp_run *s = tm->data;

    s->res.outcome = OUTCOME_DOWN;
    check_result_seterr(&s->res, "timeout after %u ms", s->c->timeout_ms);
    finish(s, 1);
}

static int
smtp_start(const struct probe_env *env, const struct check *c,
           probe_done_cb cb, void *arg, void **ret_run)
{
    struct smtp_run *s = ph_calloc(1, sizeof(*s));
    int port = c->u.smtp.port ? c->u.smtp.port
                              : (c->u.smtp.implicit_tls ? 465 : 25);
    int rc;

    if (s == NULL) {
        return PH_ENOMEM;
    }
    s->c = c;
    s->cb = cb;
    s->arg = arg;
    snprintf(s->res.check_id, sizeof(s->res.check_id), "%s", c->id);
    s->res.started_at_ms = probe_now_ms();
    s->nc = netconn_new(env->loop);
    if (s->nc == NULL) {
        ph_free(s);
        return PH_ENOMEM;
    }
    rc = netconn_connect(s->nc, c->u.smtp.host, port,
                         probe_source_address(env, c), on_connected, s);
    if (rc != 0) {
        netconn_close(s->nc);
        ph_free(s);
        return rc;
    }
    uv_timer_init(env->loop, &s->timer);
    s->timer.data = s;
    uv_timer_start(&s->timer, on_timeout, c->timeout_ms, 0);
    *ret_run = s;
    return 0;
}

static void
smtp_cancel(void *run)
{
    finish(run, 0);
}

static int
smtp_target(const struct check *c, char *host, size_t hostlen,
            uint16_t *ret_port)
{
    const struct check_smtp *s = &c->u.smtp;

    return probe_target_set(s->host,
                            s->port != 0 ? s->port
                                         : (s->implicit_tls ? 465 : 25),
                            host, hostlen, ret_port);
}

const struct probe_ops probe_smtp_ops = {
    "smtp",
    CHECK_SMTP,
    smtp_start,
    smtp_cancel,
    smtp_target,
};

#else /* the check kind */

#include "check.h"
#include "conf.h"

/* Indexed by enum smtp_starttls. */
static const char *const starttls_names[] = {"optional", "required", "off",
                                             NULL};
static const struct conf_custom starttls_enum = {NULL, NULL, NULL,
                                                 NULL, NULL, starttls_names};

#define S(field) offsetof(struct check, u.smtp.field)

static const struct conf_opt smtp_opts[] = {
    {"host", CONF_T_STR, S(host), NULL, 0, 0, 1, NULL, "mail server"},
    {"port", CONF_T_INT, S(port), NULL, 1, 65535, 0, NULL,
     "default 25, or 465 with implicit_tls"},
    {"implicit_tls", CONF_T_BOOL, S(implicit_tls), "false", 0, 0, 0, NULL,
     "TLS from the first byte (port 465)"},
    {"starttls", CONF_T_ENUM, S(starttls), "optional", 0, 0, 0,
     &starttls_enum, "required, optional or off"},
    {"insecure", CONF_T_BOOL, S(insecure), "false", 0, 0, 0, NULL,
     "skip TLS verification"},
    {"ca_file", CONF_T_STR, S(ca_file), NULL, 0, 0, 0, NULL, "CA bundle"},
    {"ehlo_name", CONF_T_STR, S(ehlo_name), NULL, 0, 0, 0, NULL,
     "name sent in EHLO"},
    {NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL},
};

static int
smtp_finish(struct check *c, const struct conf_node *node, const char *file,
            struct conf_errs *errs)
{
    (void)node;
    (void)file;
    (void)errs;
    if (c->u.smtp.port == 0) {
        c->u.smtp.port = c->u.smtp.implicit_tls ? 465 : 25;
    }
    return 0;
}

const struct check_kind check_smtp_kind = {"smtp", CHECK_SMTP, smtp_opts,
                                           smtp_finish};

#endif
