/*
 * pharos_conf_checks.c - the check part of pharos.yml: a check's keys are
 * those every check has (common/check.c) and its type's (common/check_*.c);
 * keys of another type are unknown keys. Defaults come from the
 * `defaults:` section; then the rules across fields (timeout < interval,
 * quorum <= regions, references exist) and the type's own.
 */
#include <stdio.h>
#include <string.h>

#include "mem.h"
#include "ph_err.h"
#include "pharos_conf_int.h"

void
pc_decode_defaults(const struct conf_node *node, const char *file,
                   struct check *ret, struct conf_errs *errs)
{
    static const struct conf_node empty = {CONF_MAP, 1, 1, NULL, 0, 0,
                                           NULL, NULL, NULL};

    memset(ret, 0, sizeof(*ret));
    conf_decode(check_common_opts, node != NULL ? node : &empty, ret, file,
                errs);
}

/* "http, tcp, dns or smtp" from the registry. */
static const char *
type_list(char *out, size_t len)
{
    const struct check_kind *k;
    size_t used = 0;

    out[0] = '\0';
    for (size_t i = 0; (k = check_kind_at(i)) != NULL && used < len; i++) {
        const char *sep = i == 0                       ? ""
                          : check_kind_at(i + 1) == NULL ? " or "
                                                         : ", ";
        int n = snprintf(out + used, len - used, "%s%s", sep, k->name);
        used += n > 0 ? (size_t)n : 0;
    }
    return out;
}

/* The rules every check follows. */
static void
check_common(struct check *c, const struct conf_node *node,
             const struct pharos_conf *cf, const char *file,
             struct conf_errs *errs)
{
    size_t nassigned;

    if (!pc_valid_id(c->id, 1)) {
        conf_err(errs, file, node->line, node->col,
                 "check id '%s' must be 1-63 of [A-Za-z0-9_.-]", c->id);
    }
    if (c->timeout_ms >= c->interval_ms) {
        conf_err(errs, file, node->line, node->col,
                 "check '%s': timeout (%u ms) must be shorter than interval "
                 "(%u ms)",
                 c->id, c->timeout_ms, c->interval_ms);
    }
    for (size_t i = 0; i < c->nregions; i++) {
        if (pharos_conf_region_index(cf, c->regions[i]) < 0) {
            conf_err(errs, file, node->line, node->col,
                     "check '%s': unknown region '%s'", c->id,
                     c->regions[i]);
        }
    }
    nassigned = c->nregions ? c->nregions : cf->nregions;
    if (c->quorum > nassigned) {
        conf_err(errs, file, node->line, node->col,
                 "check '%s': quorum %u exceeds its %zu regions", c->id,
                 c->quorum, nassigned);
    }
}

int
pc_decode_check(const struct conf_node *node, const struct check *d,
                const char *component, struct pharos_conf *cf,
                const char *file, struct check *ret, struct conf_errs *errs)
{
    const struct conf_node *tn = pc_find_key(node, "type");
    const struct check_kind *kind;
    size_t nerr = errs->n + errs->dropped;
    char types[128];

    memset(ret, 0, sizeof(*ret));
    if (node->type != CONF_MAP) {
        conf_err(errs, file, node->line, node->col,
                 "a check must be a mapping");
        return -1;
    }
    if (tn == NULL || tn->type != CONF_SCALAR) {
        conf_err(errs, file, node->line, node->col, "check needs a 'type' (%s)",
                 type_list(types, sizeof(types)));
        return -1;
    }
    kind = check_kind_named(tn->value);
    if (kind == NULL) {
        conf_err(errs, file, tn->line, tn->col, "unknown check type '%s' (%s)",
                 tn->value, type_list(types, sizeof(types)));
        return -1;
    }
    if (check_copy(ret, d) != 0) {
        conf_err(errs, file, node->line, node->col, "out of memory");
        return -1;
    }
    ret->type = kind->type;
    snprintf(ret->component_id, sizeof(ret->component_id), "%s", component);
    {
        /* The defaults are in *ret already: keep them for missing keys. */
        const struct conf_part parts[] = {
            {check_head_opts, 0},
            {check_common_opts, 1},
            {check_tail_opts, 0},
            {kind->opts, 0},
        };
        const size_t nparts = sizeof(parts) / sizeof(parts[0]);

        conf_decode_parts(parts, nparts, node, ret, file, errs);
        /* The rules across fields run even after a key error, so one run
         * reports everything; the required keys must be there to do so. */
        if (conf_has_required(parts, nparts, node)) {
            check_common(ret, node, cf, file, errs);
            if (kind->finish != NULL) {
                kind->finish(ret, node, file, errs);
            }
        } else if (errs->n + errs->dropped == nerr) {
            conf_err(errs, file, node->line, node->col, "invalid check");
        }
    }
    if (errs->n + errs->dropped > nerr) {
        check_free(ret);
        return -1;
    }
    return 0;
}
