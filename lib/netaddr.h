/*
 * netaddr.h - classification of IP addresses for the SSRF guard of
 * webhook and Slack deliveries (ARCHITECTURE.md, Notifications): targets
 * that resolve to loopback, private, link-local or unspecified addresses
 * are refused unless the operator allows them; networks (trusted proxies)
 * and the per-client key of connection and sign-up limits. Pure
 * functions.
 */
#ifndef PH_NETADDR_H
#define PH_NETADDR_H

#include <stddef.h>
#include <stdint.h>
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

/*
 * Networks and client keys, for trusted proxies and per-client limits.
 * Addresses are kept as 16 bytes: IPv4 as IPv4-mapped IPv6
 * (::ffff:a.b.c.d), so one comparison serves both families.
 */
struct netaddr_cidr {
    uint8_t addr[16];   /* network address, host bits zero */
    unsigned bits;      /* prefix length over the 16 bytes (96 + v4 bits) */
};

/* Parses "a.b.c.d[/n]" or "v6[/n]" (no prefix: one host). Returns 0 or
 * -1. */
int netaddr_cidr_parse(const char *text, struct netaddr_cidr *ret);
/* Writes the network as text ("10.0.0.0/8", "2001:db8::/32"). */
void netaddr_cidr_format(const struct netaddr_cidr *c, char *out,
                         size_t len);
/* The 16-byte form of sa (AF_INET or AF_INET6); 0, or -1 for other
 * families. */
int netaddr_bytes(const struct sockaddr *sa, uint8_t ret[16]);
/* Same from a literal address; 0 or -1. */
int netaddr_bytes_text(const char *text, uint8_t ret[16]);
/* The text form of a (dotted quad for a v4-mapped address) into out. */
void netaddr_format(const uint8_t a[16], char *out, size_t len);
/* 1 if the 16-byte address a is inside one of the n networks. */
int netaddr_in_list(const uint8_t a[16], const struct netaddr_cidr *list,
                    size_t n);
/*
 * The key under which a client is counted and rate-limited: an IPv4
 * address as itself, an IPv6 address by its /64 (one subscriber line or
 * host gets a whole /64, so per-address keys would give it 2^64 budgets).
 * ret is 16 bytes; text (may be NULL) gets "198.51.100.7" or
 * "2001:db8:1:2::/64".
 */
void netaddr_client_key(const uint8_t a[16], uint8_t ret[16], char *text,
                        size_t len);

#endif
