/*
 * check_icmp.c - the icmp check type: N echo requests, loss and RTT
 * thresholds (the struct is in check_icmp.h, the probe
 * agent/probe/probe_icmp.c; the key table also carries the check on the
 * wire, lib/wire.c).
 */
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
