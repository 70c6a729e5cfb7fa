/*
 * check_grpc.h - the grpc check type: its part of struct check (u.grpc).
 * Included by check.h through the registry (lib/check_types.h); the key
 * table is in check_grpc.c, the probe in agent/probe/probe_grpc.c.
 */
#ifndef PH_CHECK_GRPC_H
#define PH_CHECK_GRPC_H

#define CHECK_GRPC_SERVICE_MAX 200 /* bytes of `service:` */

struct check_grpc {
    char *host;
    int port;
    char *service;                /* NULL: the server as a whole ("") */
    int tls;                      /* HTTP/2 over TLS (ALPN h2) */
    int insecure;                 /* 1 disables TLS verification */
    char *ca_file;
};

#endif
