/*
 * netaddr.h - classification of IP addresses for the SSRF guard of
 * webhook and Slack deliveries (ARCHITECTURE.md, Notifications): targets
 * that resolve to loopback, private, link-local or unspecified addresses
 * are refused unless the operator allows them. Pure functions.
 */
#ifndef PH_NETADDR_H
#define PH_NETADDR_H

#include <sys/socket.h>

enum netaddr_class {
    NETADDR_PUBLIC = 0,
    NETADDR_LOOPBACK,      /* 127/8, ::1 */
    NETADDR_PRIVATE,       /* 10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7 */
    NETADDR_LINK_LOCAL,    /* 169.254/16, fe80::/10 */
    NETADDR_UNSPECIFIED,   /* 0/8, :: */
    NETADDR_RESERVED,      /* multicast, broadcast, 240/4, documentation.. */
};

/* The class of sa (AF_INET or AF_INET6; IPv4-mapped and IPv4-compatible
 * IPv6 addresses are classified as their IPv4 address). Anything else is
 * NETADDR_RESERVED. */
enum netaddr_class netaddr_classify(const struct sockaddr *sa);
/* The class of a literal address: dotted IPv4 in any form inet_aton
 * takes ("127.1", "0x7f000001"), or IPv6 with or without brackets.
 * Returns -1 when text is not an IP literal. */
int netaddr_classify_text(const char *text);
/* "public", "loopback", ... */
const char *netaddr_class_name(enum netaddr_class c);

#endif
