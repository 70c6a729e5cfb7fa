/*
 * netaddr.c - IP address classes for the SSRF guard (netaddr.h).
 */
#include "netaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static enum netaddr_class
classify4(uint32_t a)
{
    if ((a >> 24) == 0) {
        return NETADDR_UNSPECIFIED;
    }
    if ((a >> 24) == 127) {
        return NETADDR_LOOPBACK;
    }
    if ((a >> 24) == 10 || (a >> 20) == ((172u << 4) | 1) ||
        (a >> 16) == ((192u << 8) | 168) ||
        (a >> 22) == ((100u << 2) | 1)) { /* 100.64/10: carrier NAT */
        return NETADDR_PRIVATE;
    }
    if ((a >> 16) == ((169u << 8) | 254)) {
        return NETADDR_LINK_LOCAL;
    }
    if ((a >> 28) >= 14 ||                  /* multicast, 240/4, broadcast */
        (a >> 8) == ((192u << 16) | 0) ||   /* 192.0.0/24 protocol assignments */
        (a >> 8) == ((192u << 16) | 2) ||   /* TEST-NET-1 */
        (a >> 17) == ((198u << 7) | 9) ||   /* 198.18/15 benchmarking */
        (a >> 8) == ((198u << 16) | (51u << 8) | 100) ||
        (a >> 8) == ((203u << 16) | (0u << 8) | 113)) {
        return NETADDR_RESERVED;
    }
    return NETADDR_PUBLIC;
}

static enum netaddr_class
classify6(const uint8_t *b)
{
    static const uint8_t zero[16];
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

    if (memcmp(b, zero, 16) == 0) {
        return NETADDR_UNSPECIFIED;
    }
    if (memcmp(b, zero, 15) == 0 && b[15] == 1) {
        return NETADDR_LOOPBACK;
    }
    if (memcmp(b, mapped, 12) == 0 || memcmp(b, zero, 12) == 0 ||
        /* NAT64 well-known prefix 64:ff9b::/96 carries an IPv4 address */
        (b[0] == 0 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b &&
         memcmp(b + 4, zero, 8) == 0)) {
        uint32_t a = (uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 |
                     (uint32_t)b[14] << 8 | b[15];
        return classify4(a);
    }
    if ((b[0] & 0xfe) == 0xfc) {
        return NETADDR_PRIVATE;
    }
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) {
        return NETADDR_LINK_LOCAL;
    }
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) {
        return NETADDR_PRIVATE; /* deprecated site-local */
    }
    if (b[0] == 0xff || (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d &&
                         b[3] == 0xb8)) {
        return NETADDR_RESERVED; /* multicast, documentation */
    }
    return NETADDR_PUBLIC;
}

enum netaddr_class
netaddr_classify(const struct sockaddr *sa)
{
    if (sa == NULL) {
        return NETADDR_RESERVED;
    }
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
        return classify4(ntohl(s4->sin_addr.s_addr));
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
        return classify6(s6->sin6_addr.s6_addr);
    }
    return NETADDR_RESERVED;
}

int
netaddr_classify_text(const char *text)
{
    struct in_addr a4;
    struct in6_addr a6;
    char tmp[64];
    size_t n = strlen(text);

    if (n >= 2 && text[0] == '[' && text[n - 1] == ']') {
        if (n - 2 >= sizeof(tmp)) {
            return -1;
        }
        memcpy(tmp, text + 1, n - 2);
        tmp[n - 2] = '\0';
        text = tmp;
    }
    /* Zone ids ("fe80::1%eth0") are link-local by definition. */
    if (strchr(text, '%') != NULL && strchr(text, ':') != NULL) {
        return NETADDR_LINK_LOCAL;
    }
    if (inet_pton(AF_INET6, text, &a6) == 1) {
        return (int)classify6(a6.s6_addr);
    }
    /* inet_aton, like the resolver, takes "127.1" and "2130706433". */
    if (inet_aton(text, &a4) != 0) {
        return (int)classify4(ntohl(a4.s_addr));
    }
    return -1;
}

const char *
netaddr_class_name(enum netaddr_class c)
{
    switch (c) {
    case NETADDR_PUBLIC:
        return "public";
    case NETADDR_LOOPBACK:
        return "loopback";
    case NETADDR_PRIVATE:
        return "private";
    case NETADDR_LINK_LOCAL:
        return "link-local";
    case NETADDR_UNSPECIFIED:
        return "unspecified";
    case NETADDR_RESERVED:
        return "reserved";
    }
    return "reserved";
}

/* ---- networks and client keys ---- */

static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static int
is_v4(const uint8_t a[16])
{
    return memcmp(a, v4mapped, 12) == 0;
}

int
netaddr_bytes_text(const char *text, uint8_t ret[16])
{
    struct in_addr a4;
    struct in6_addr a6;

    if (inet_pton(AF_INET, text, &a4) == 1) {
        memcpy(ret, v4mapped, 12);
        memcpy(ret + 12, &a4, 4);
        return 0;
    }
    if (inet_pton(AF_INET6, text, &a6) == 1) {
        memcpy(ret, a6.s6_addr, 16);
        return 0;
    }
    return -1;
}

int
netaddr_bytes(const struct sockaddr *sa, uint8_t ret[16])
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const void *)sa;
        memcpy(ret, v4mapped, 12);
        memcpy(ret + 12, &s4->sin_addr, 4);
        return 0;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const void *)sa;
        memcpy(ret, s6->sin6_addr.s6_addr, 16);
        return 0;
    }
    return -1;
}

static void
mask(uint8_t a[16], unsigned bits)
{
    for (unsigned i = 0; i < 16; i++) {
        unsigned keep = bits > i * 8 ? bits - i * 8 : 0;
        if (keep < 8) {
            a[i] &= (uint8_t)(0xff00u >> keep);
        }
    }
}

int
netaddr_cidr_parse(const char *text, struct netaddr_cidr *ret)
{
    char host[INET6_ADDRSTRLEN];
    const char *slash = strchr(text, '/');
    size_t n = slash != NULL ? (size_t)(slash - text) : strlen(text);
    unsigned long bits;
    char *end = NULL;
    unsigned max;

    if (n == 0 || n >= sizeof(host)) {
        return -1;
    }
    memcpy(host, text, n);
    host[n] = '\0';
    if (netaddr_bytes_text(host, ret->addr) != 0) {
        return -1;
    }
    max = strchr(host, ':') == NULL ? 32 : 128;
    if (slash == NULL) {
        bits = max;
    } else {
        if (slash[1] < '0' || slash[1] > '9') {
            return -1;
        }
        bits = strtoul(slash + 1, &end, 10);
        if (*end != '\0' || bits > max) {
            return -1;
        }
    }
    ret->bits = (unsigned)bits + (max == 32 ? 96 : 0);
    mask(ret->addr, ret->bits);
    return 0;
}

void
netaddr_format(const uint8_t a[16], char *out, size_t len)
{
    if (len == 0) {
        return;
    }
    out[0] = '\0';
    if (is_v4(a)) {
        inet_ntop(AF_INET, a + 12, out, (socklen_t)len);
    } else {
        inet_ntop(AF_INET6, a, out, (socklen_t)len);
    }
}

void
netaddr_cidr_format(const struct netaddr_cidr *c, char *out, size_t len)
{
    char host[INET6_ADDRSTRLEN] = "";

    if (is_v4(c->addr) && c->bits >= 96) {
        inet_ntop(AF_INET, c->addr + 12, host, sizeof(host));
        snprintf(out, len, "%s/%u", host, c->bits - 96);
    } else {
        inet_ntop(AF_INET6, c->addr, host, sizeof(host));
        snprintf(out, len, "%s/%u", host, c->bits);
    }
}

int
netaddr_in_list(const uint8_t a[16], const struct netaddr_cidr *list,
                size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t m[16];

        memcpy(m, a, 16);
        mask(m, list[i].bits);
        if (memcmp(m, list[i].addr, 16) == 0) {
            return 1;
        }
    }
    return 0;
}

void
netaddr_client_key(const uint8_t a[16], uint8_t ret[16], char *text,
                   size_t len)
{
    memcpy(ret, a, 16);
    if (!is_v4(a)) {
        mask(ret, 64);
    }
    if (text == NULL) {
        return;
    }
    if (is_v4(a)) {
        inet_ntop(AF_INET, ret + 12, text, (socklen_t)len);
    } else {
        char host[INET6_ADDRSTRLEN] = "";
        inet_ntop(AF_INET6, ret, host, sizeof(host));
        snprintf(text, len, "%s/64", host);
    }
}
