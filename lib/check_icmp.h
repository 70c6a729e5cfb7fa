/*
 * check_icmp.h - the icmp check type: its part of struct check (u.icmp).
 * Included by check.h through the registry (lib/check_types.h); the key
 * table is in check_icmp.c, the probe in agent/probe/probe_icmp.c.
 */
#ifndef PH_CHECK_ICMP_H
#define PH_CHECK_ICMP_H

#include <stdint.h>

#define CHECK_ICMP_MAX_COUNT 20
#define CHECK_ICMP_MAX_SIZE 1400

/* Indexed by the names in check_icmp.c. */
enum icmp_family { ICMP_FAMILY_ANY = 0, ICMP_FAMILY_IPV4, ICMP_FAMILY_IPV6 };
enum icmp_socket { ICMP_SOCKET_AUTO = 0, ICMP_SOCKET_DGRAM, ICMP_SOCKET_RAW };

struct check_icmp {
    char *host;                   /* name or address */
    int count;                    /* echo requests per run */
    uint32_t packet_interval_ms;  /* between two requests */
    int max_loss;                 /* percent lost above which it is down */
    uint32_t max_rtt_ms;          /* average RTT above which slow; 0 off */
    int size;                     /* payload bytes */
    enum icmp_family family;
    enum icmp_socket socket;
};

#endif
