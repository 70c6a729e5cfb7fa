/*
 * pharos_conf_access.c - page.access and its keys: who may read the page
 * (public, password, token), the page password (only its SHA-256 is
 * kept), the session lifetime and the address allowlist.
 *
 * A page that is not public is served by the collector only: its
 * documents are never written into publish_dir (plain files nginx or a
 * CDN would hand to anyone), so an explicit server.publish_dir is
 * refused at config check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "token.h"
#include "pharos_conf_int.h"

#define MAX_ALLOW_IPS 256
#define PASSWORD_MIN 8

/* In the order of enum page_access. */
static const char *const access_names[] = {"public", "password", "token",
                                           NULL};
const struct conf_custom pc_access_custom = {.names = access_names};

static int
allow_decode(const struct conf_opt *opt, const struct conf_node *node,
             void *base, const char *file, struct conf_errs *errs)
{
    struct conf_page *pg = base;
    const struct conf_node *it;
    size_t n = 0;

    (void)opt;
    if (node->type != CONF_SEQ) {
        conf_err(errs, file, node->line, node->col,
                 "allow_ips must be a list of addresses or networks");
        return -1;
    }
    for (it = node->child; it != NULL; it = it->next) {
        n++;
    }
    if (n > MAX_ALLOW_IPS) {
        conf_err(errs, file, node->line, node->col, "at most %d allow_ips",
                 MAX_ALLOW_IPS);
        return -1;
    }
    ph_free(pg->allow_ips);
    pg->nallow_ips = 0;
    pg->allow_ips = n > 0 ? ph_calloc(n, sizeof(*pg->allow_ips)) : NULL;
    if (n > 0 && pg->allow_ips == NULL) {
        conf_err(errs, file, node->line, node->col, "out of memory");
        return -1;
    }
    for (it = node->child; it != NULL; it = it->next) {
        if (it->type != CONF_SCALAR ||
            netaddr_cidr_parse(it->value, &pg->allow_ips[pg->nallow_ips]) !=
                0) {
            conf_err(errs, file, it->line, it->col,
                     "not an address or network: %s",
                     it->type == CONF_SCALAR ? it->value : "(not a string)");
            continue;
        }
        pg->nallow_ips++;
    }
    return 0;
}

static void
allow_print(const struct conf_opt *o, const void *base, const char *indent,
            struct buf *out)
{
    const struct conf_page *pg = base;

    if (pg->nallow_ips > 0) {
        buf_printf(out, "%s%s:\n", indent, o->key);
    }
    for (size_t i = 0; i < pg->nallow_ips; i++) {
        char net[64];

        netaddr_cidr_format(&pg->allow_ips[i], net, sizeof(net));
        buf_printf(out, "%s  - ", indent);
        conf_print_quoted(out, net);
        buf_appends(out, "\n");
    }
}

static void
allow_release(const struct conf_opt *o, void *base)
{
    struct conf_page *pg = base;

    (void)o;
    ph_free(pg->allow_ips);
    pg->allow_ips = NULL;
    pg->nallow_ips = 0;
}

static int
allow_copy(const struct conf_opt *o, void *dst, const void *src)
{
    struct conf_page *d = dst;
    const struct conf_page *sc = src;
    size_t len = sc->nallow_ips * sizeof(*sc->allow_ips);

    (void)o;
    d->allow_ips = len > 0 ? ph_malloc(len) : NULL;
    if (len > 0 && d->allow_ips == NULL) {
        d->nallow_ips = 0;
        return -1;
    }
    if (len > 0) {
        memcpy(d->allow_ips, sc->allow_ips, len);
    }
    return 0;
}

static int
allow_equal(const struct conf_opt *o, const void *a, const void *b)
{
    const struct conf_page *x = a, *y = b;

    (void)o;
    return x->nallow_ips == y->nallow_ips &&
           (x->nallow_ips == 0 ||
            memcmp(x->allow_ips, y->allow_ips,
                   x->nallow_ips * sizeof(*x->allow_ips)) == 0);
}

const struct conf_custom pc_allow_ips_custom = {
    .decode = allow_decode,
    .print = allow_print,
    .release = allow_release,
    .copy = allow_copy,
    .equal = allow_equal,
};

/* Reads the password from password_file or password_env into its hash.
 * Returns 0 or -1 after reporting at node. */
static int
resolve_password(struct conf_page *pg, const struct conf_node *node,
                 const char *file, struct conf_errs *errs)
{
    char pw[TOKEN_MAX + 2];
    int result = -1;

    pw[0] = '\0';
    if (pg->password_file != NULL) {
        char *path = pc_relative_path(file, pg->password_file);
        FILE *f = path != NULL ? fopen(path, "r") : NULL;

        if (f == NULL || fgets(pw, sizeof(pw), f) == NULL) {
            conf_err(errs, file, node->line, node->col,
                     "cannot read password_file %s",
                     path != NULL ? path : pg->password_file);
            if (f != NULL) {
                fclose(f);
            }
            ph_free(path);
            goto out;
        }
        fclose(f);
        ph_free(path);
        pw[strcspn(pw, "\r\n")] = '\0';
    } else {
        const char *v = getenv(pg->password_env);

        if (v == NULL || v[0] == '\0' || strlen(v) > TOKEN_MAX) {
            conf_err(errs, file, node->line, node->col,
                     "environment variable %s is not set", pg->password_env);
            goto out;
        }
        snprintf(pw, sizeof(pw), "%s", v);
    }
    if (strlen(pw) < PASSWORD_MIN || strlen(pw) > TOKEN_MAX) {
        conf_err(errs, file, node->line, node->col,
                 "the page password must be %d to %d characters",
                 PASSWORD_MIN, TOKEN_MAX);
        goto out;
    }
    token_hash(pw, strlen(pw), pg->password_sha256);
    result = 0;
out:
    memset(pw, 0, sizeof(pw));
    return result;
}

void
pc_validate_access(const struct conf_node *page_node,
                   const struct conf_node *server_node, const char *file,
                   struct pharos_conf *cf, struct conf_errs *errs)
{
    struct conf_page *pg = &cf->page;
    int given = (pg->password_sha256[0] != '\0') +
                (pg->password_file != NULL) + (pg->password_env != NULL);
    const struct conf_node *pd;

    if (pg->access == PAGE_ACCESS_PASSWORD && given != 1) {
        conf_err(errs, file, page_node->line, page_node->col,
                 "access: password needs exactly one of password_sha256, "
                 "password_file or password_env");
    } else if (pg->access != PAGE_ACCESS_PASSWORD && given > 0) {
        conf_err(errs, file, page_node->line, page_node->col,
                 "a page password is set but access is not password");
    } else if (given == 1 && pg->password_sha256[0] == '\0') {
        resolve_password(pg, page_node, file, errs);
    }
    ph_free(pg->password_file);
    ph_free(pg->password_env);
    pg->password_file = NULL;
    pg->password_env = NULL;
    if (pg->access == PAGE_ACCESS_PUBLIC) {
        return;
    }
    /* The documents of a private page are never written as plain
     * files: publish_dir is refused, and the default one is not used. */
    pd = server_node != NULL ? pc_find_key(server_node, "publish_dir")
                             : NULL;
    if (pd != NULL) {
        conf_err(errs, file, pd->line, pd->col,
                 "publish_dir cannot be used with page.access: %s (its "
                 "files would be readable without credentials); remove it "
                 "and serve the page through the collector",
                 access_names[pg->access]);
    }
    ph_free(cf->publish_dir);
    cf->publish_dir = NULL;
}
