/*
 * pharos_conf_print.c - the normalised configuration as YAML (-nv and the
 * golden tests) and the key list of --help-config, both by walking the
 * tables that decode pharos.yml (pc_root_opts and the check tables): every
 * default expanded, durations in milliseconds, secrets only as
 * token_sha256. Printing, re-parsing and printing again gives the same
 * text.
 */
#include <stdio.h>
#include <string.h>

#include "pharos_conf_int.h"

/* A check's keys come from several tables: those every check has, then
 * its type's (the order it was decoded in). */
static void
print_check(struct buf *b, const struct check *c, const char *first,
            const char *rest)
{
    const struct check_kind *k = check_kind_of(c->type);
    const char *indent = first;

    conf_print(check_head_opts, c, &indent, rest, b);
    conf_print(check_common_opts, c, &indent, rest, b);
    conf_print(check_tail_opts, c, &indent, rest, b);
    if (k != NULL) {
        conf_print(k->opts, c, &indent, rest, b);
    }
}

/* A component's checks:, as a list of checks. */
static void
checks_print(const struct conf_opt *o, const void *base, const char *indent,
             struct buf *out)
{
    const struct conf_component *m = base;
    char first[64], rest[64];

    if (m->nchecks == 0) {
        return;
    }
    snprintf(first, sizeof(first), "%s  - ", indent);
    snprintf(rest, sizeof(rest), "%s    ", indent);
    buf_printf(out, "%s%s:\n", indent, o->key);
    for (size_t i = 0; i < m->nchecks; i++) {
        print_check(out, &m->checks[i], first, rest);
    }
}

/* The checks live in pharos_conf.checks (freed there); a component only
 * points at its run of them. */
const struct conf_custom pc_checks_custom = {.print = checks_print};

int
pharos_conf_print(const struct pharos_conf *c, struct buf *b)
{
    const char *indent = "";

    conf_print(pc_store_opts, c, &indent, "", b);
    indent = "";
    conf_print(pc_root_opts, c, &indent, "", b);
    /* A buffer over its cap reports it here. */
    return buf_appends(b, "");
}

void
pharos_conf_help(struct buf *out)
{
    static const char checks[] = "components[].checks[].";
    const struct check_kind *k;
    char prefix[96];

    conf_help(pc_store_opts, "", out);
    conf_help(pc_root_opts, "", out);
    /* The keys of a check: those every check has, then each type's. */
    conf_help(check_head_opts, checks, out);
    conf_help(check_common_opts, checks, out);
    conf_help(check_tail_opts, checks, out);
    for (size_t i = 0; (k = check_kind_at(i)) != NULL; i++) {
        snprintf(prefix, sizeof(prefix), "components[].checks[type=%s].",
                 k->name);
        conf_help(k->opts, prefix, out);
    }
}
