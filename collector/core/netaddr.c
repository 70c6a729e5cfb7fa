/*
 * netaddr.c - IP address classes for the SSRF guard (netaddr.h).
 */
#include "netaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
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
