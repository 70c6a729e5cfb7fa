/*
 * check_smtp.h - the smtp check type: its part of struct check (u.smtp).
 * Included by check.h through the registry (lib/check_types.h); the key
 * table is in check_smtp.c, the probe in agent/probe/probe_smtp.c.
 */
#ifndef PH_CHECK_SMTP_H
#define PH_CHECK_SMTP_H

#include <stddef.h>

enum smtp_starttls {
    SMTP_STARTTLS_OPTIONAL = 0,
    SMTP_STARTTLS_REQUIRED = 1,
    SMTP_STARTTLS_OFF = 2,
};

struct check_smtp {
    char *host;
    int port;                     /* 0 = 25, or 465 with implicit_tls */
    int implicit_tls;
    enum smtp_starttls starttls;
    int insecure;
    char *ca_file;
    char *ehlo_name;              /* NULL = "pharos-agent" */
};

#endif
