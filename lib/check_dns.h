/*
 * check_dns.h - the dns check type: its part of struct check (u.dns).
 * Included by check.h through the registry (lib/check_types.h); the key
 * table is in check_dns.c, the probe in agent/probe/probe_dns.c.
 */
#ifndef PH_CHECK_DNS_H
#define PH_CHECK_DNS_H

#include <stddef.h>

#define CHECK_MAX_ANSWERS 16

struct check_dns {
    char *name;
    char *rrtype;                 /* A AAAA CNAME MX TXT NS SOA */
    char *server;                 /* resolver IP; NULL = system */
    int port;                     /* 0 = 53 */
    char *expect_rcode;           /* NULL = NOERROR */
    char *expect_answers[CHECK_MAX_ANSWERS];
    size_t nexpect_answers;
};

#endif
