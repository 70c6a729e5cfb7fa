/*
 * url.h - splits a webhook or Slack URL with libcurl's URL API, the parser
 * that later connects to it (CURLOPT_URL in notify_send.c), so a check of
 * the host and the connection can never disagree about what the host is.
 * The parts come back as plain C strings; no libcurl type leaves url.c.
 */
#ifndef PH_URL_H
#define PH_URL_H

#include <stddef.h>

#define URL_SCHEME_MAX 16
#define URL_HOST_MAX 256
#define URL_ZONE_MAX 64

struct url_parts {
    char scheme[URL_SCHEME_MAX]; /* lower case, as libcurl reads it */
    /* The host libcurl resolves: percent-decoded, IPv4 normalised
     * ("0x7f.1" -> "127.0.0.1"), IPv6 without brackets or zone id. Case
     * and trailing dots as written. */
    char host[URL_HOST_MAX];
    char zoneid[URL_ZONE_MAX];   /* IPv6 zone id ("eth0"), or "" */
    int ipv6;                    /* host is an IPv6 literal */
    int userinfo;                /* a user, password or options part */
    unsigned port;               /* explicit, or the scheme's default */
};

/*
 * Splits url (borrowed, NUL-terminated) into *ret. The URL must name its
 * scheme followed by exactly "//" and a host (libcurl would also take one
 * or three slashes; those forms are refused). Any scheme libcurl knows
 * parses; the caller decides which it accepts. Returns 0, or PH_EINVAL
 * with a message for the client in err (errlen bytes), or PH_ENOMEM.
 * Pure: no I/O; safe from any thread.
 */
int url_split(const char *url, struct url_parts *ret, char *err,
              size_t errlen);

#endif
