/*
 * pharos_conf_proxies.c - server.trusted_proxies in pharos.yml: a list of
 * addresses or CIDR networks (a custom row of server_opts: decode, print,
 * release, copy, compare).
 */
#include <stdio.h>
#include <string.h>

#include "mem.h"
#include "netaddr.h"
#include "ph_err.h"
#include "pharos_conf_int.h"

#define MAX_PROXIES 64

/* server.trusted_proxies: a list of addresses or CIDR networks. */
static int
proxies_validate(const struct conf_opt *opt, const struct conf_node *node,
                 void *base, const char *file, struct conf_errs *errs)
{
    struct pharos_conf *cf = base;
    const struct conf_node *it;
    size_t n = 0;

    (void)opt;
    if (node->type != CONF_SEQ) {
        conf_err(errs, file, node->line, node->col,
                 "trusted_proxies must be a list of addresses or networks");
        return -1;
    }
    for (it = node->child; it != NULL; it = it->next) {
        n++;
    }
    if (n > MAX_PROXIES) {
        conf_err(errs, file, node->line, node->col,
                 "at most %d trusted_proxies", MAX_PROXIES);
        return -1;
    }
    ph_free(cf->trusted_proxies);
    cf->ntrusted_proxies = 0;
    cf->trusted_proxies =
        n > 0 ? ph_calloc(n, sizeof(*cf->trusted_proxies)) : NULL;
    if (n > 0 && cf->trusted_proxies == NULL) {
        conf_err(errs, file, node->line, node->col, "out of memory");
        return -1;
    }
    for (it = node->child; it != NULL; it = it->next) {
        if (it->type != CONF_SCALAR ||
            netaddr_cidr_parse(it->value,
                               &cf->trusted_proxies[cf->ntrusted_proxies]) !=
                0) {
            conf_err(errs, file, it->line, it->col,
                     "not an address or network: %s",
                     it->type == CONF_SCALAR ? it->value : "(not a string)");
            continue;
        }
        cf->ntrusted_proxies++;
    }
    return 0;
}

/* One "- "address/bits"" line per network, nothing when there are none. */
static void
proxies_print(const struct conf_opt *o, const void *base, const char *indent,
              struct buf *out)
{
    const struct pharos_conf *cf = base;

    if (cf->ntrusted_proxies > 0) {
        buf_printf(out, "%s%s:\n", indent, o->key);
    }
    for (size_t i = 0; i < cf->ntrusted_proxies; i++) {
        char net[64];

        netaddr_cidr_format(&cf->trusted_proxies[i], net, sizeof(net));
        buf_printf(out, "%s  - ", indent);
        conf_print_quoted(out, net);
        buf_appends(out, "\n");
    }
}

static void
proxies_release(const struct conf_opt *o, void *base)
{
    struct pharos_conf *cf = base;

    (void)o;
    ph_free(cf->trusted_proxies);
    cf->trusted_proxies = NULL;
    cf->ntrusted_proxies = 0;
}

static int
proxies_copy(const struct conf_opt *o, void *dst, const void *src)
{
    struct pharos_conf *d = dst;
    const struct pharos_conf *sc = src;
    size_t len = sc->ntrusted_proxies * sizeof(*sc->trusted_proxies);

    (void)o;
    d->trusted_proxies = len > 0 ? ph_malloc(len) : NULL;
    if (len > 0 && d->trusted_proxies == NULL) {
        d->ntrusted_proxies = 0;
        return -1;
    }
    if (len > 0) {
        memcpy(d->trusted_proxies, sc->trusted_proxies, len);
    }
    return 0;
}

static int
proxies_equal(const struct conf_opt *o, const void *a, const void *b)
{
    const struct pharos_conf *x = a, *y = b;

    (void)o;
    return x->ntrusted_proxies == y->ntrusted_proxies &&
           (x->ntrusted_proxies == 0 ||
            memcmp(x->trusted_proxies, y->trusted_proxies,
                   x->ntrusted_proxies * sizeof(*x->trusted_proxies)) == 0);
}

const struct conf_custom pc_proxies_custom = {
    .decode = proxies_validate,
    .print = proxies_print,
    .release = proxies_release,
    .copy = proxies_copy,
    .equal = proxies_equal,
};
