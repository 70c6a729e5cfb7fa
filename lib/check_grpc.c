/*
 * check_grpc.c - the grpc check type: grpc.health.v1.Health/Check over
 * HTTP/2, with or without TLS (the struct is in check_grpc.h, the probe
 * agent/probe/probe_grpc.c; the key table also carries the check on the
 * wire, lib/wire.c).
 */
#include <string.h>

#include "check.h"
#include "conf.h"

#define G(field) offsetof(struct check, u.grpc.field)

static const struct conf_opt grpc_opts[] = {
    {"host", CONF_T_STR, G(host), NULL, 0, 0, 1, NULL, "gRPC server"},
    {"port", CONF_T_INT, G(port), NULL, 1, 65535, 1, NULL, "its port"},
    {"service", CONF_T_STR, G(service), NULL, 0, 0, 0, NULL,
     "service name asked about (default: the server as a whole)"},
    {"tls", CONF_T_BOOL, G(tls), "false", 0, 0, 0, NULL,
     "HTTP/2 over TLS (else cleartext HTTP/2)"},
    {"insecure", CONF_T_BOOL, G(insecure), "false", 0, 0, 0, NULL,
     "skip TLS verification"},
    {"ca_file", CONF_T_STR, G(ca_file), NULL, 0, 0, 0, NULL,
     "CA bundle for TLS verification"},
    {NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL},
};

static int
grpc_finish(struct check *c, const struct conf_node *node, const char *file,
            struct conf_errs *errs)
{
    const struct check_grpc *g = &c->u.grpc;
    int rc = 0;

    if (g->service != NULL &&
        (strlen(g->service) > CHECK_GRPC_SERVICE_MAX ||
         strpbrk(g->service, "\r\n") != NULL)) {
        conf_err(errs, file, node->line, node->col,
                 "check '%s': service must be at most %d bytes on one line",
                 c->id, CHECK_GRPC_SERVICE_MAX);
        rc = -1;
    }
    if (strpbrk(g->host, "/?#@ ") != NULL) {
        conf_err(errs, file, node->line, node->col,
                 "check '%s': host must be a name or an address, not '%s'",
                 c->id, g->host);
        rc = -1;
    }
    if (!g->tls && (g->insecure || g->ca_file != NULL)) {
        conf_err(errs, file, node->line, node->col,
                 "check '%s': insecure and ca_file need tls: true", c->id);
        rc = -1;
    }
    return rc;
}

const struct check_kind check_grpc_kind = {"grpc", CHECK_GRPC, grpc_opts,
                                           grpc_finish};
