/*
 * check_tcp.c - the tcp check type (connect, optional TLS, send/expect):
 * its keys (the struct is in check_tcp.h, the probe
 * agent/probe/probe_tcp.c; the key table also carries the check on the
 * wire, lib/wire.c).
 */
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
