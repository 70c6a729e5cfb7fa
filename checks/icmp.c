/*
 * icmp.c - the icmp check type: N echo requests, loss and RTT thresholds.
 * The whole type in one file, listed in checks/registry.h; in three parts,
 * one per define:
 *
 *   PH_CHECK_DECLARE  struct check_icmp, its part of struct check (u.icmp):
 *                     copied by CMake into the header check.h includes
 *                     (the define is never set; it marks the part)
 *   PH_CHECK_PROBE    probe_icmp_ops, the probe: the agent's probe library
 *   neither           check_icmp_kind, its keys and their rules: lib/ (the
 *                     collector, pharosctl and the agent; the key table
 *                     also carries the check on the wire, lib/wire.c)
 */
#if defined(PH_CHECK_DECLARE)

#include <stdint.h>

#define CHECK_ICMP_MAX_COUNT 20
#define CHECK_ICMP_MAX_SIZE 1400

/* Indexed by the names in the key table below. */
enum icmp_family { ICMP_FAMILY_ANY = 0, ICMP_FAMILY_IPV4, ICMP_FAMILY_IPV6 };
enum icmp_socket { ICMP_SOCKET_AUTO = 0, ICMP_SOCKET_DGRAM, ICMP_SOCKET_RAW };

struct check_icmp {
    char *host;                   /* name or address */
    int count;                    /* echo requests per run */
    uint32_t packet_interval_ms;  /* between two requests */
    int max_loss;                 /* percent lost above which it is down */
    uint32_t max_rtt_ms;          /* average RTT above which slow; 0 off */
    int size;                     /* payload bytes */
    enum icmp_family family;
    enum icmp_socket socket;
};

#elif defined(PH_CHECK_PROBE)

/*
 * The probe: ICMP echo (ping) over IPv4 and IPv6: `count` requests
 * `packet_interval` apart, replies awaited until all are in or the
 * check's timeout; loss and RTT min/avg/max in the result's message.
 *
 * Sockets: an unprivileged ICMP datagram socket (SOCK_DGRAM, IPPROTO_ICMP
 * or IPPROTO_ICMPV6) where net.ipv4.ping_group_range includes the agent's
 * group (the kernel then matches replies to the socket and fills in the
 * identifier), else a raw socket where the agent has CAP_NET_RAW (then we
 * choose the identifier and match replies by it and by their source).
 * `socket: dgram` or `raw` forces one. When neither can be opened the
 * result says which setting to change.
 *
 * The reply parser (icmp_parse_reply) is pure and fuzzed: the fuzz target
 * tests/fuzz/fuzz_icmp.c includes this file.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mem.h"
#include "ph_err.h"
#include "probe.h"

#define ICMP_ECHO_REQUEST 8
#define ICMP_ECHO_REPLY 0
#define ICMP6_ECHO_REQUEST 128
#define ICMP6_ECHO_REPLY 129
#define ICMP_HDR 8
#define ICMP_PKT_MAX (ICMP_HDR + CHECK_ICMP_MAX_SIZE)
/* A reply is read whole: an IPv4 header (up to 60 bytes) may precede it
 * on a raw socket; anything longer is not ours. */
#define ICMP_RECV_MAX (60 + ICMP_PKT_MAX + 64)

struct icmp_run {
    const struct check *c;
    probe_done_cb cb;
    void *arg;
    uv_loop_t *loop;
    uv_getaddrinfo_t gai;
    uv_timer_t send_timer;
    uv_timer_t deadline;
    uv_poll_t poll;
    int gai_active;
    int poll_init;
    int open_handles;             /* closes still to come before free */
    int done;                     /* reported or cancelled */
    int fd;
    const char *source;           /* local address to bind, or NULL */
    int raw;                      /* the socket is a raw one */
    int family;
    struct sockaddr_storage dst;
    socklen_t dstlen;
    char addr[INET6_ADDRSTRLEN];
    uint16_t ident;
    int sent;
    int received;
    uint64_t start_ns;
    uint64_t dns_ns;
    uint64_t sent_ns[CHECK_ICMP_MAX_COUNT];
    uint8_t got[CHECK_ICMP_MAX_COUNT];
    uint64_t rtt_min_ns;
    uint64_t rtt_max_ns;
    uint64_t rtt_sum_ns;
    struct check_result res;
};

/*
 * Pure: the sequence number of an echo reply in p[0..len), or -1 when it
 * is anything else. ip_header: p starts with an IPv4 header (raw IPv4
 * sockets). check_id: the identifier must be ident (raw sockets; a
 * datagram socket's replies are matched by the kernel).
 */
static int
icmp_parse_reply(const uint8_t *p, size_t len, int v6, int ip_header,
                 int check_id, uint16_t ident)
{
    uint16_t id, seq;

    if (ip_header) {
        size_t ihl;

        if (len < 20 || (p[0] >> 4) != 4) {
            return -1;
        }
        ihl = (size_t)(p[0] & 0x0f) * 4;
        if (ihl < 20 || ihl > len || p[9] != IPPROTO_ICMP) {
            return -1;
        }
        p += ihl;
        len -= ihl;
    }
    if (len < ICMP_HDR || p[1] != 0 ||
        p[0] != (v6 ? ICMP6_ECHO_REPLY : ICMP_ECHO_REPLY)) {
        return -1;
    }
    id = (uint16_t)(p[4] << 8 | p[5]);
    seq = (uint16_t)(p[6] << 8 | p[7]);
    if (check_id && id != ident) {
        return -1;
    }
    return seq;
}

/* The Internet checksum (RFC 1071) of p[0..len). */
static uint16_t
inet_csum(const uint8_t *p, size_t len)
{
    uint32_t sum = 0;

    for (size_t i = 0; i + 1 < len; i += 2) {
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    }
    if (len & 1) {
        sum += (uint32_t)p[len - 1] << 8;
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return (uint16_t)~sum;
}

/* Writes an echo request of size payload bytes into out (ICMP_HDR + size
 * bytes). The checksum is ours for IPv4; the kernel fills it for ICMPv6
 * (and overwrites it, and the identifier, on a datagram socket). */
static size_t
icmp_build_echo(uint8_t *out, size_t size, int v6, uint16_t ident,
                uint16_t seq)
{
    uint16_t sum;

    out[0] = v6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO_REQUEST;
    out[1] = 0;
    out[2] = out[3] = 0;
    out[4] = (uint8_t)(ident >> 8);
    out[5] = (uint8_t)ident;
    out[6] = (uint8_t)(seq >> 8);
    out[7] = (uint8_t)seq;
    for (size_t i = 0; i < size; i++) {
        out[ICMP_HDR + i] = (uint8_t)('a' + i % 26);
    }
    if (!v6) {
        sum = inet_csum(out, ICMP_HDR + size);
        out[2] = (uint8_t)(sum >> 8);
        out[3] = (uint8_t)sum;
    }
    return ICMP_HDR + size;
}

static void
on_closed(uv_handle_t *h)
{
    struct icmp_run *t = h->data;

    if (--t->open_handles == 0 && !t->gai_active) {
        ph_free(t);
    }
}

/* "rtt min/avg/max 0.031/0.052/0.080 ms" or "" when no reply came. */
static void
rtt_text(const struct icmp_run *t, char *out, size_t len)
{
    if (t->received == 0) {
        out[0] = '\0';
        return;
    }
    snprintf(out, len, ", rtt min/avg/max %.3f/%.3f/%.3f ms",
             (double)t->rtt_min_ns / 1e6,
             (double)t->rtt_sum_ns / t->received / 1e6,
             (double)t->rtt_max_ns / 1e6);
}

/* Fills the result from what came back. */
static void
judge(struct icmp_run *t)
{
    const struct check_icmp *ic = &t->c->u.icmp;
    struct check_result *r = &t->res;
    int loss = (ic->count - t->received) * 100 / ic->count;
    uint64_t avg_ns = t->received ? t->rtt_sum_ns / t->received : 0;
    const char *kind = t->raw ? "raw" : "dgram";
    char rtt[96];

    rtt_text(t, rtt, sizeof(rtt));
    r->latency_ms = (uint32_t)((avg_ns + 999999) / 1000000);
    if (t->received == 0) {
        r->outcome = OUTCOME_DOWN;
        check_result_seterr(r, "icmp: no reply from %s (0/%d, loss 100%%)",
                            t->addr, ic->count);
    } else if (loss > ic->max_loss) {
        r->outcome = OUTCOME_DOWN;
        check_result_seterr(r, "icmp: loss %d%% over %d%% (%d/%d replies)%s",
                            loss, ic->max_loss, t->received, ic->count, rtt);
    } else if (ic->max_rtt_ms > 0 &&
               avg_ns > (uint64_t)ic->max_rtt_ms * 1000000) {
        r->outcome = OUTCOME_SLOW;
        check_result_seterr(r, "slow: icmp rtt avg %.3f ms over %u ms "
                            "(%d/%d replies, loss %d%%)%s",
                            (double)avg_ns / 1e6, ic->max_rtt_ms,
                            t->received, ic->count, loss, rtt);
    } else {
        /* Up: the message is the run's summary (ping's last lines). */
        r->outcome = OUTCOME_UP;
        check_result_seterr(r, "%s: %d/%d replies, loss %d%%%s (%s socket)",
                            t->addr, t->received, ic->count, loss, rtt,
                            kind);
    }
}

/* Ends the run: judges and reports (unless cancelled or already set),
 * releases everything; the struct is freed by the last close. */
static void
finish(struct icmp_run *t, int report, int judged)
{
    if (t->done) {
        return;
    }
    t->done = 1;
    if (report) {
        if (!judged) {
            judge(t);
        }
        t->res.timing.dns_us = t->dns_ns / 1000;
        t->res.timing.total_us = (uv_hrtime() - t->start_ns) / 1000;
        if (t->res.outcome == OUTCOME_UP) {
            /* Keeps our summary unless a common rule (degraded_over)
             * replaces it. */
            probe_finish(t->c, &t->res, probe_now_ms() / 1000);
        }
        t->cb(t->c, &t->res, t->arg);
    }
    if (t->gai_active) {
        uv_cancel((uv_req_t *)&t->gai); /* on_resolved frees if last */
    }
    if (t->poll_init) {
        t->open_handles++;
        uv_close((uv_handle_t *)&t->poll, on_closed);
    }
    if (t->fd >= 0) {
        close(t->fd);
        t->fd = -1;
    }
    uv_close((uv_handle_t *)&t->send_timer, on_closed);
    uv_close((uv_handle_t *)&t->deadline, on_closed);
}

static void
fail(struct icmp_run *t, const char *fmt, const char *detail)
{
    t->res.outcome = OUTCOME_DOWN;
    check_result_seterr(&t->res, fmt, detail);
    finish(t, 1, 1);
}

static void
send_one(struct icmp_run *t)
{
    const struct check_icmp *ic = &t->c->u.icmp;
    uint8_t pkt[ICMP_PKT_MAX];
    size_t n = icmp_build_echo(pkt, (size_t)ic->size,
                               t->family == AF_INET6, t->ident,
                               (uint16_t)t->sent);
    ssize_t w;

    t->sent_ns[t->sent] = uv_hrtime();
    w = sendto(t->fd, pkt, n, 0, (struct sockaddr *)&t->dst, t->dstlen);
    /* A request the kernel refused (no route, buffer full) is a lost
     * one: it counts in the loss, the run goes on. */
    (void)w;
    t->sent++;
}

static void
on_send_timer(uv_timer_t *tm)
{
    struct icmp_run *t = tm->data;

    send_one(t);
    if (t->sent >= t->c->u.icmp.count) {
        uv_timer_stop(tm);
    }
}

static void
on_readable(uv_poll_t *p, int status, int events)
{
    struct icmp_run *t = p->data;
    uint8_t buf[ICMP_RECV_MAX];

    (void)events;
    if (status < 0) {
        return;
    }
    for (;;) {
        struct sockaddr_storage from;
        socklen_t fromlen = sizeof(from);
        ssize_t n = recvfrom(t->fd, buf, sizeof(buf), 0,
                             (struct sockaddr *)&from, &fromlen);
        uint64_t now = uv_hrtime();
        int seq;

        if (n < 0) {
            return; /* EAGAIN, or an ICMP error queued for us: wait on */
        }
        /* A raw socket sees every echo reply: only our target's count. */
        if (t->raw && !(from.ss_family == t->dst.ss_family &&
                        (t->family == AF_INET
                             ? ((struct sockaddr_in *)&from)->sin_addr.s_addr ==
                                   ((struct sockaddr_in *)&t->dst)
                                       ->sin_addr.s_addr
                             : memcmp(&((struct sockaddr_in6 *)&from)
                                           ->sin6_addr,
                                      &((struct sockaddr_in6 *)&t->dst)
                                           ->sin6_addr,
                                      sizeof(struct in6_addr)) == 0))) {
            continue;
        }
        seq = icmp_parse_reply(buf, (size_t)n, t->family == AF_INET6,
                               t->raw && t->family == AF_INET, t->raw,
                               t->ident);
        if (seq < 0 || seq >= t->sent || t->got[seq]) {
            continue; /* not ours, or a duplicate */
        }
        t->got[seq] = 1;
        {
            uint64_t rtt = now - t->sent_ns[seq];
            if (t->received == 0 || rtt < t->rtt_min_ns) {
                t->rtt_min_ns = rtt;
            }
            if (rtt > t->rtt_max_ns) {
                t->rtt_max_ns = rtt;
            }
            t->rtt_sum_ns += rtt;
        }
        t->received++;
        if (t->received == t->c->u.icmp.count) {
            finish(t, 1, 0);
            return;
        }
    }
}

/* gid in net.ipv4.ping_group_range? The range as text into out. */
static void
ping_range(char *out, size_t len)
{
    FILE *f = fopen("/proc/sys/net/ipv4/ping_group_range", "r");
    unsigned long lo = 1, hi = 0;

    if (f == NULL || fscanf(f, "%lu %lu", &lo, &hi) != 2) {
        snprintf(out, len, "unreadable");
    } else {
        snprintf(out, len, "%lu %lu", lo, hi);
    }
    if (f != NULL) {
        fclose(f);
    }
}

static int
open_socket(struct icmp_run *t, const char *source)
{
    int mode = t->c->u.icmp.socket;
    int proto = t->family == AF_INET6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
    int flags = SOCK_NONBLOCK | SOCK_CLOEXEC;
    int derr = 0, rerr = 0;
    char range[48];

    t->fd = -1;
    if (mode != ICMP_SOCKET_RAW) {
        t->fd = socket(t->family, SOCK_DGRAM | flags, proto);
        derr = t->fd < 0 ? errno : 0;
    }
    if (t->fd < 0 && mode != ICMP_SOCKET_DGRAM) {
        t->fd = socket(t->family, SOCK_RAW | flags, proto);
        rerr = t->fd < 0 ? errno : 0;
        t->raw = t->fd >= 0;
    }
    if (t->fd < 0) {
        ping_range(range, sizeof(range));
        if (mode == ICMP_SOCKET_RAW) {
            check_result_seterr(&t->res, "icmp: raw socket: %s (needs "
                                "CAP_NET_RAW)", strerror(rerr));
        } else if (mode == ICMP_SOCKET_DGRAM) {
            check_result_seterr(&t->res, "icmp: ICMP socket: %s (gid %u not "
                                "in net.ipv4.ping_group_range %s)",
                                strerror(derr), (unsigned)getgid(), range);
        } else {
            check_result_seterr(&t->res, "icmp: no socket: gid %u not in "
                                "net.ipv4.ping_group_range (%s) and no "
                                "CAP_NET_RAW; widen the range or grant "
                                "CAP_NET_RAW",
                                (unsigned)getgid(), range);
        }
        return PH_ENET;
    }
    if (source != NULL) {
        struct sockaddr_storage src;
        socklen_t slen;
        int ok;

        memset(&src, 0, sizeof(src));
        src.ss_family = (sa_family_t)t->family;
        if (t->family == AF_INET6) {
            ok = inet_pton(AF_INET6, source,
                           &((struct sockaddr_in6 *)&src)->sin6_addr);
            slen = sizeof(struct sockaddr_in6);
        } else {
            ok = inet_pton(AF_INET, source,
                           &((struct sockaddr_in *)&src)->sin_addr);
            slen = sizeof(struct sockaddr_in);
        }
        if (ok != 1 || bind(t->fd, (struct sockaddr *)&src, slen) != 0) {
            check_result_seterr(&t->res, "icmp: cannot bind source address "
                                "%s", source);
            return PH_ENET;
        }
    }
    return 0;
}

/* The address is known: open the socket and start sending. */
static void
start_pinging(struct icmp_run *t, const struct sockaddr *sa, socklen_t len,
              const char *source)
{
    memmove(&t->dst, sa, len); /* sa may be &t->dst (on_kick) */
    t->dstlen = len;
    t->family = sa->sa_family;
    if (t->family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
                  t->addr, sizeof(t->addr));
    } else {
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr,
                  t->addr, sizeof(t->addr));
    }
    if (open_socket(t, source) != 0) {
        t->res.outcome = OUTCOME_DOWN;
        finish(t, 1, 1);
        return;
    }
    if (uv_poll_init_socket(t->loop, &t->poll, t->fd) != 0) {
        fail(t, "icmp: %s", "poll init failed");
        return;
    }
    t->poll_init = 1;
    t->poll.data = t;
    uv_poll_start(&t->poll, UV_READABLE, on_readable);
    send_one(t);
    if (t->sent < t->c->u.icmp.count) {
        uv_timer_start(&t->send_timer, on_send_timer,
                       t->c->u.icmp.packet_interval_ms,
                       t->c->u.icmp.packet_interval_ms);
    }
}

static void
on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    struct icmp_run *t = req->data;

    t->gai_active = 0;
    if (t->done) {
        uv_freeaddrinfo(res);
        if (t->open_handles == 0) {
            ph_free(t);
        }
        return;
    }
    t->dns_ns = uv_hrtime() - t->start_ns;
    if (status < 0 || res == NULL) {
        uv_freeaddrinfo(res);
        fail(t, "dns: could not resolve %s", t->c->u.icmp.host);
        return;
    }
    start_pinging(t, res->ai_addr, res->ai_addrlen, t->source);
    uv_freeaddrinfo(res);
}

/* A literal address: start on the next loop turn, so the callback never
 * runs inside icmp_start (probe.h's contract). */
static void
on_kick(uv_timer_t *tm)
{
    struct icmp_run *t = tm->data;

    start_pinging(t, (struct sockaddr *)&t->dst, t->dstlen, t->source);
}

static void
on_deadline(uv_timer_t *tm)
{
    struct icmp_run *t = tm->data;

    if (t->gai_active) {
        t->res.outcome = OUTCOME_DOWN;
        check_result_seterr(&t->res, "timeout after %u ms (resolving %s)",
                            t->c->timeout_ms, t->c->u.icmp.host);
        finish(t, 1, 1);
        return;
    }
    finish(t, 1, 0); /* what came back in time */
}

/* host as an address of an allowed family into t->dst: 1, else 0. */
static int
literal_address(struct icmp_run *t, const struct check_icmp *ic)
{
    struct sockaddr_in *s4 = (struct sockaddr_in *)&t->dst;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&t->dst;

    memset(&t->dst, 0, sizeof(t->dst));
    if (ic->family != ICMP_FAMILY_IPV6 &&
        inet_pton(AF_INET, ic->host, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        t->dstlen = sizeof(*s4);
        return 1;
    }
    if (ic->family != ICMP_FAMILY_IPV4 &&
        inet_pton(AF_INET6, ic->host, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        t->dstlen = sizeof(*s6);
        return 1;
    }
    return 0;
}

static int
icmp_start(const struct probe_env *env, const struct check *c,
           probe_done_cb cb, void *arg, void **ret_run)
{
    const struct check_icmp *ic = &c->u.icmp;
    const char *source = probe_source_address(env, c);
    struct icmp_run *t;
    struct addrinfo hints;
    int rc;

    if (ic->host == NULL || ic->count < 1 ||
        ic->count > CHECK_ICMP_MAX_COUNT || ic->size < 0 ||
        ic->size > CHECK_ICMP_MAX_SIZE) {
        return PH_EINVAL;
    }
    t = ph_calloc(1, sizeof(*t));
    if (t == NULL) {
        return PH_ENOMEM;
    }
    t->c = c;
    t->cb = cb;
    t->arg = arg;
    t->loop = env->loop;
    t->fd = -1;
    t->start_ns = uv_hrtime();
    /* Raw sockets see every reply: our identifier tells ours apart. */
    t->ident = (uint16_t)((uintptr_t)t >> 4 ^ (uint16_t)t->start_ns);
    snprintf(t->res.check_id, sizeof(t->res.check_id), "%s", c->id);
    t->res.started_at_ms = probe_now_ms();
    uv_timer_init(env->loop, &t->send_timer);
    uv_timer_init(env->loop, &t->deadline);
    t->send_timer.data = t;
    t->deadline.data = t;
    t->open_handles = 2;
    t->source = source;
    uv_timer_start(&t->deadline, on_deadline, c->timeout_ms, 0);

    if (literal_address(t, ic)) {
        uv_timer_start(&t->send_timer, on_kick, 0, 0);
        *ret_run = t;
        return 0;
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_RAW;
    hints.ai_family = ic->family == ICMP_FAMILY_IPV4   ? AF_INET
                      : ic->family == ICMP_FAMILY_IPV6 ? AF_INET6
                                                       : AF_UNSPEC;
    t->gai.data = t;
    rc = uv_getaddrinfo(env->loop, &t->gai, on_resolved, ic->host, NULL,
                        &hints);
    if (rc != 0) {
        finish(t, 0, 0); /* an error return: cb is never called */
        return PH_EDNS;
    }
    t->gai_active = 1;
    *ret_run = t;
    return 0;
}

static void
icmp_cancel(void *run)
{
    finish(run, 0, 0);
}

const struct probe_ops probe_icmp_ops = {
    "icmp",
    CHECK_ICMP,
    icmp_start,
    icmp_cancel,
    NULL,
};

#else /* the check kind */

#include "check.h"
#include "conf.h"

static const char *const family_names[] = {"any", "ipv4", "ipv6", NULL};
static const struct conf_custom family_enum = {NULL, NULL, NULL,
                                               NULL, NULL, family_names};
static const char *const socket_names[] = {"auto", "dgram", "raw", NULL};
static const struct conf_custom socket_enum = {NULL, NULL, NULL,
                                               NULL, NULL, socket_names};

#define I(field) offsetof(struct check, u.icmp.field)

static const struct conf_opt icmp_opts[] = {
    {"host", CONF_T_STR, I(host), NULL, 0, 0, 1, NULL,
     "host name or IP address to ping"},
    {"count", CONF_T_INT, I(count), "3", 1, CHECK_ICMP_MAX_COUNT, 0, NULL,
     "echo requests per run"},
    {"packet_interval", CONF_T_DURATION, I(packet_interval_ms), "200ms", 10,
     5000, 0, NULL, "time between two echo requests"},
    {"max_loss", CONF_T_INT, I(max_loss), "0", 0, 99, 0, NULL,
     "percent of requests without reply above which the run is down"},
    {"max_rtt", CONF_T_DURATION, I(max_rtt_ms), "0", 0, 60000, 0, NULL,
     "average round-trip time above which the run is slow (0 = off)"},
    {"size", CONF_T_INT, I(size), "56", 16, CHECK_ICMP_MAX_SIZE, 0, NULL,
     "payload bytes of each request"},
    {"family", CONF_T_ENUM, I(family), "any", 0, 0, 0, &family_enum,
     "any, ipv4 or ipv6: the address family of host"},
    {"socket", CONF_T_ENUM, I(socket), "auto", 0, 0, 0, &socket_enum,
     "auto, dgram (unprivileged ICMP socket) or raw (needs CAP_NET_RAW)"},
    {NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL},
};

static int
icmp_finish(struct check *c, const struct conf_node *node, const char *file,
            struct conf_errs *errs)
{
    const struct check_icmp *p = &c->u.icmp;

    /* Every request must have been sent before the run's time is up. */
    if (p->count >= 1 &&
        (uint64_t)(p->count - 1) * p->packet_interval_ms >= c->timeout_ms) {
        conf_err(errs, file, node->line, node->col,
                 "check '%s': count %d x packet_interval %u ms does not fit "
                 "in timeout %u ms",
                 c->id, p->count, p->packet_interval_ms, c->timeout_ms);
        return -1;
    }
    return 0;
}

const struct check_kind check_icmp_kind = {"icmp", CHECK_ICMP, icmp_opts,
                                           icmp_finish};

#endif
