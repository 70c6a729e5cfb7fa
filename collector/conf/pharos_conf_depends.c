/*
 * pharos_conf_depends.c - a component's `depends_on:` and the top-level
 * `mass_failure:` section (issue #16 item 6): their rows, and the checks
 * run once every component is decoded (unknown ids, a component naming
 * itself, cycles), each reported as file:line:col.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "depends.h"
#include "mem.h"
#include "pharos_conf_int.h"

static int
depends_decode(const struct conf_opt *o, const struct conf_node *n,
               void *base, const char *file, struct conf_errs *errs)
{
    struct conf_component *c = base;
    char *items[DEPENDS_MAX];
    size_t count = 0;

    if (conf_string_list(n, items, DEPENDS_MAX, &count, o->key, file,
                         errs) != 0) {
        return -1;
    }
    if (count > 0) {
        c->depends_on = ph_calloc(count, sizeof(*c->depends_on));
        if (c->depends_on == NULL) {
            for (size_t i = 0; i < count; i++) {
                ph_free(items[i]);
            }
            conf_err(errs, file, n->line, n->col, "out of memory");
            return -1;
        }
        memcpy(c->depends_on, items, count * sizeof(*items));
    }
    c->ndepends_on = count;
    return 0;
}

static void
depends_print(const struct conf_opt *o, const void *base, const char *indent,
              struct buf *out)
{
    const struct conf_component *c = base;

    conf_print_list(out, indent, o->key,
                    (const char *const *)c->depends_on, c->ndepends_on);
}

static void
depends_release(const struct conf_opt *o, void *base)
{
    struct conf_component *c = base;

    (void)o;
    for (size_t i = 0; i < c->ndepends_on; i++) {
        ph_free(c->depends_on[i]);
    }
    ph_free(c->depends_on);
    c->depends_on = NULL;
    c->ndepends_on = 0;
}

static int
depends_copy(const struct conf_opt *o, void *dst, const void *src)
{
    struct conf_component *d = dst;
    const struct conf_component *s = src;

    (void)o;
    d->depends_on = NULL;
    d->ndepends_on = 0;
    if (s->ndepends_on == 0) {
        return 0;
    }
    d->depends_on = ph_calloc(s->ndepends_on, sizeof(*d->depends_on));
    if (d->depends_on == NULL) {
        return -1;
    }
    for (size_t i = 0; i < s->ndepends_on; i++) {
        d->depends_on[i] = ph_strdup(s->depends_on[i]);
        if (d->depends_on[i] == NULL) {
            return -1;
        }
        d->ndepends_on = i + 1;
    }
    return 0;
}

static int
depends_equal(const struct conf_opt *o, const void *a, const void *b)
{
    const struct conf_component *x = a, *y = b;

    (void)o;
    if (x->ndepends_on != y->ndepends_on) {
        return 0;
    }
    for (size_t i = 0; i < x->ndepends_on; i++) {
        if (strcmp(x->depends_on[i], y->depends_on[i]) != 0) {
            return 0;
        }
    }
    return 1;
}

const struct conf_custom pc_depends_custom = {
    depends_decode, depends_print, depends_release, depends_copy,
    depends_equal, NULL};

/* share: a number above 0 and below 1 ("0.5"), or a percentage ("50%"). */
static int
share_decode(const struct conf_opt *o, const struct conf_node *n,
             void *base, const char *file, struct conf_errs *errs)
{
    struct conf_mass_failure *m = base;
    const char *v = n->type == CONF_SCALAR ? n->value : "";
    char *end = NULL;
    double d;

    d = strtod(v, &end);
    if (end != v && strcmp(end, "%") == 0) {
        d /= 100.0;
        end++;
    }
    if (end == v || *end != '\0' || !isfinite(d) || d <= 0.0 || d >= 1.0) {
        conf_err(errs, file, n->line, n->col,
                 "'%s' must be a share above 0 and below 1 (0.5 or 50%%), "
                 "not '%s'",
                 o->key, v);
        return -1;
    }
    m->share = d;
    return 0;
}

static void
share_print(const struct conf_opt *o, const void *base, const char *indent,
            struct buf *out)
{
    const struct conf_mass_failure *m = base;

    buf_printf(out, "%s%s: %g\n", indent, o->key, m->share);
}

static int
share_equal(const struct conf_opt *o, const void *a, const void *b)
{
    const struct conf_mass_failure *x = a, *y = b;

    (void)o;
    return x->share == y->share;
}

static const struct conf_custom share_custom = {
    share_decode, share_print, NULL, NULL, share_equal, NULL};

static const struct conf_opt mass_failure_opts[] = {
    {"share", CONF_T_CUSTOM, 0, NULL, 0, 0, 1, &share_custom,
     "more than this share of a region's checks failing at once makes "
     "the region suspect (0.5 or 50%)"},
    {"min_checks", CONF_T_UINT32,
     offsetof(struct conf_mass_failure, min_checks), "10", 1, 100000, 0,
     NULL, "and at least this many of them failing"},
    {NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL},
};

/* Printed only when present: configurations without it print as
 * before. */
const struct conf_sub pc_mass_failure_sub = {
    .opts = mass_failure_opts,
    .size = sizeof(struct conf_mass_failure),
    .flags = CONF_SUB_OMIT_DEFAULT,
};

/* The node of depends_on entry k of the component node named id. */
static const struct conf_node *
entry_node(const struct conf_node *seq, const char *id, size_t k)
{
    for (const struct conf_node *i = seq->child; i; i = i->next) {
        const struct conf_node *idn = pc_find_key(i, "id");
        const struct conf_node *d;

        if (idn == NULL || idn->type != CONF_SCALAR ||
            strcmp(idn->value, id) != 0) {
            continue;
        }
        d = pc_find_key(i, "depends_on");
        if (d == NULL) {
            return i;
        }
        if (d->type != CONF_SEQ) {
            return d;
        }
        for (const struct conf_node *e = d->child; e; e = e->next) {
            if (k-- == 0) {
                return e;
            }
        }
        return d;
    }
    return seq;
}

/* Resolves every depends_on to indices into idx/nidx (ncomponents lists
 * of at most DEPENDS_MAX); reports unknown and self references. */
static void
resolve(const struct conf_node *seq, const char *file, struct pharos_conf *cf,
        int (*idx)[DEPENDS_MAX], size_t *nidx, struct conf_errs *errs)
{
    for (size_t ci = 0; ci < cf->ncomponents; ci++) {
        const struct conf_component *c = &cf->components[ci];

        for (size_t k = 0; k < c->ndepends_on; k++) {
            int di = pharos_conf_component_index(cf, c->depends_on[k]);
            const struct conf_node *at = entry_node(seq, c->id, k);

            if (di < 0) {
                conf_err(errs, file, at->line, at->col,
                         "component '%s': depends_on names unknown "
                         "component '%s'",
                         c->id, c->depends_on[k]);
            } else if ((size_t)di == ci) {
                conf_err(errs, file, at->line, at->col,
                         "component '%s' cannot depend on itself", c->id);
            } else {
                idx[ci][nidx[ci]++] = di;
            }
        }
    }
}

void
pc_validate_depends(const struct conf_node *root, const char *file,
                    struct pharos_conf *cf, struct conf_errs *errs)
{
    const struct conf_node *seq = pc_find_key(root, "components");
    int (*idx)[DEPENDS_MAX] = NULL;
    const int **rows = NULL;
    size_t *nidx = NULL;
    int path[8];
    long len;
    int any = 0;

    for (size_t ci = 0; ci < cf->ncomponents; ci++) {
        any |= cf->components[ci].ndepends_on > 0;
    }
    if (!any || seq == NULL) {
        return;
    }
    idx = ph_calloc(cf->ncomponents, sizeof(*idx));
    nidx = ph_calloc(cf->ncomponents, sizeof(*nidx));
    rows = ph_calloc(cf->ncomponents, sizeof(*rows));
    if (idx == NULL || nidx == NULL || rows == NULL) {
        conf_err(errs, file, seq->line, seq->col, "out of memory");
        goto out;
    }
    resolve(seq, file, cf, idx, nidx, errs);
    for (size_t ci = 0; ci < cf->ncomponents; ci++) {
        rows[ci] = idx[ci];
    }
    {
        struct dep_graph g = {cf->ncomponents, rows, nidx};
        char chain[512];
        size_t off = 0;
        const struct conf_node *at;
        size_t k = 0;

        len = depends_find_cycle(&g, path, sizeof(path) / sizeof(path[0]));
        if (len < 0) {
            conf_err(errs, file, seq->line, seq->col, "out of memory");
            goto out;
        }
        if (len == 0) {
            goto out;
        }
        /* "a -> b -> c -> a", reported at a's entry naming b. */
        for (long i = 0; i <= len && off < sizeof(chain); i++) {
            int n;

            if (i >= (long)(sizeof(path) / sizeof(path[0])) && i < len) {
                n = snprintf(chain + off, sizeof(chain) - off, " -> ...");
                i = len - 1;
            } else {
                const char *id =
                    cf->components[path[i < len ? i : 0]].id;

                n = snprintf(chain + off, sizeof(chain) - off, "%s%s",
                             i > 0 ? " -> " : "", id);
            }
            if (n < 0) {
                break;
            }
            off += (size_t)n;
        }
        for (size_t d = 0; d < cf->components[path[0]].ndepends_on; d++) {
            if (len > 1 &&
                strcmp(cf->components[path[0]].depends_on[d],
                       cf->components[path[1]].id) == 0) {
                k = d;
                break;
            }
        }
        at = entry_node(seq, cf->components[path[0]].id, k);
        conf_err(errs, file, at->line, at->col,
                 "depends_on makes a cycle: %s", chain);
    }
out:
    ph_free(idx);
    ph_free(nidx);
    ph_free(rows);
}

void
pc_decode_mass_failure(const struct conf_node *root, const char *file,
                       struct pharos_conf *cf, struct conf_errs *errs)
{
    const struct conf_node *n = pc_find_key(root, "mass_failure");

    /* Off (share 0) with the row defaults, so that it is not printed. */
    memset(&cf->mass_failure, 0, sizeof(cf->mass_failure));
    cf->mass_failure.min_checks = 10;
    if (n == NULL) {
        return;
    }
    if (n->type != CONF_MAP) {
        conf_err(errs, file, n->line, n->col,
                 "'mass_failure' must be a mapping (share, min_checks)");
        return;
    }
    if (conf_decode(mass_failure_opts, n, &cf->mass_failure, file, errs) !=
        0) {
        cf->mass_failure.share = 0.0;
    }
}
