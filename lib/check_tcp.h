/*
 * check_tcp.h - the tcp check type: its part of struct check (u.tcp).
 * Included by check.h through the registry (lib/check_types.h); the key
 * table is in check_tcp.c, the probe in agent/probe/probe_tcp.c.
 */
#ifndef PH_CHECK_TCP_H
#define PH_CHECK_TCP_H

#include <stddef.h>

struct check_tcp {
    char *host;
    int port;
    int tls;
    int insecure;
    char *ca_file;
    char *sni;                    /* NULL means host */
    char *send;                   /* optional payload */
    char *expect;                 /* optional substring of the reply */
};

#endif
