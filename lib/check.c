/*
 * check.c - struct check: the registry of check types, the keys every
 * check has, and freeing, copying and comparing, all driven by the key
 * tables (lib/conf.h) so a field is declared once.
 */
#include "check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "mem.h"
#include "ph_err.h"

/* The kinds of the registry (checks/registry.h), each defined in
 * checks/<name>.c as `const struct check_kind check_<name>_kind`. */
#define DECLARE_KIND(n, N) extern const struct check_kind check_##n##_kind;
CHECK_TYPES(DECLARE_KIND)
#define LIST_KIND(n, N) &check_##n##_kind,
static const struct check_kind *const kinds[] = {CHECK_TYPES(LIST_KIND)};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

const struct check_kind *
check_kind_at(size_t i)
{
    return i < NKINDS ? kinds[i] : NULL;
}

const struct check_kind *
check_kind_of(enum check_type t)
{
    for (size_t i = 0; i < NKINDS; i++) {
        if (kinds[i]->type == t) {
            return kinds[i];
        }
    }
    return NULL;
}

const struct check_kind *
check_kind_named(const char *name)
{
    for (size_t i = 0; i < NKINDS; i++) {
        if (strcmp(kinds[i]->name, name) == 0) {
            return kinds[i];
        }
    }
    return NULL;
}

void
check_type_list(uint32_t mask, char *out, size_t len)
{
    size_t used = 0;

    if (len == 0) {
        return;
    }
    out[0] = '\0';
    for (size_t i = 0; i < NKINDS && used < len; i++) {
        int w;

        if ((mask & (1u << kinds[i]->type)) == 0) {
            continue;
        }
        w = snprintf(out + used, len - used, "%s%s", used ? "," : "",
                     kinds[i]->name);
        if (w < 0) {
            break;
        }
        used += (size_t)w;
    }
}

uint32_t
check_type_mask(const char *list)
{
    uint32_t mask = 0;

    _Static_assert(NKINDS < 32, "check_type_mask: 32 bits");
    while (list != NULL && *list != '\0') {
        size_t n = strcspn(list, ",");
        const char *p = list;

        while (n > 0 && *p == ' ') {
            p++;
            n--;
        }
        while (n > 0 && p[n - 1] == ' ') {
            n--;
        }
        for (size_t i = 0; i < NKINDS; i++) {
            if (strlen(kinds[i]->name) == n &&
                strncmp(kinds[i]->name, p, n) == 0) {
                mask |= 1u << kinds[i]->type;
            }
        }
        list += strcspn(list, ",");
        list += *list == ',';
    }
    return mask;
}

/* ---- the keys every check has ---- */

static int
id_decode(const struct conf_opt *o, const struct conf_node *n, void *base,
          const char *file, struct conf_errs *errs)
{
    struct check *c = base;

    if (n->type != CONF_SCALAR) {
        conf_err(errs, file, n->line, n->col, "'%s': expected a string",
                 o->key);
        return -1;
    }
    snprintf(c->id, sizeof(c->id), "%s", n->value);
    return 0;
}

static void
id_print(const struct conf_opt *o, const void *base, const char *indent,
         struct buf *out)
{
    const struct check *c = base;

    buf_printf(out, "%s%s: ", indent, o->key);
    conf_print_quoted(out, c->id);
    buf_appends(out, "\n");
}

static const struct conf_custom id_custom = {id_decode, id_print, NULL,
                                             NULL, NULL, NULL};

/* The type is checked before decoding (it chooses the keys); this only
 * stores it. */
static int
type_decode(const struct conf_opt *o, const struct conf_node *n, void *base,
            const char *file, struct conf_errs *errs)
{
    struct check *c = base;

    (void)o;
    (void)file;
    (void)errs;
    c->type = n->type == CONF_SCALAR ? check_type_parse(n->value) : 0;
    return 0;
}

static void
type_print(const struct conf_opt *o, const void *base, const char *indent,
           struct buf *out)
{
    const struct check *c = base;

    buf_printf(out, "%s%s: %s\n", indent, o->key, check_type_name(c->type));
}

static const struct conf_custom type_custom = {type_decode, type_print, NULL,
                                               NULL, NULL, NULL};

/* "majority", a number of regions ("2") or a percentage ("50%"). */
static int
quorum_decode(const struct conf_opt *o, const struct conf_node *n,
              void *base, const char *file, struct conf_errs *errs)
{
    struct check *c = base;
    const char *q = n->type == CONF_SCALAR ? n->value : "";
    char *end = NULL;
    long v;

    c->quorum = 0;
    c->quorum_pct = 0;
    if (strcmp(q, "majority") == 0) {
        return 0;
    }
    v = strtol(q, &end, 10);
    if (end != q && strcmp(end, "%") == 0 && v >= 1 && v <= 100) {
        c->quorum_pct = (uint32_t)v;
        return 0;
    }
    if (end != q && *end == '\0' && v >= 1 && v <= CHECK_MAX_REGIONS) {
        c->quorum = (uint32_t)v;
        return 0;
    }
    conf_err(errs, file, n->line, n->col,
             "'%s' must be majority, 1-%d or 1%%-100%%, not '%s'", o->key,
             CHECK_MAX_REGIONS, q);
    return -1;
}

static void
quorum_print(const struct conf_opt *o, const void *base, const char *indent,
             struct buf *out)
{
    const struct check *c = base;

    if (c->quorum > 0) {
        buf_printf(out, "%s%s: \"%u\"\n", indent, o->key, c->quorum);
    } else if (c->quorum_pct > 0) {
        buf_printf(out, "%s%s: \"%u%%\"\n", indent, o->key, c->quorum_pct);
    } else {
        buf_printf(out, "%s%s: majority\n", indent, o->key);
    }
}

static int
quorum_equal(const struct conf_opt *o, const void *a, const void *b)
{
    const struct check *x = a, *y = b;

    (void)o;
    return x->quorum == y->quorum && x->quorum_pct == y->quorum_pct;
}

static const struct conf_custom quorum_custom = {
    quorum_decode, quorum_print, NULL, NULL, quorum_equal, NULL};

static int
regions_decode(const struct conf_opt *o, const struct conf_node *n,
               void *base, const char *file, struct conf_errs *errs)
{
    struct check *c = base;
    char *items[CHECK_MAX_REGIONS];
    size_t count = 0;

    if (conf_string_list(n, items, CHECK_MAX_REGIONS, &count, o->key, file,
                         errs) != 0) {
        return -1;
    }
    if (count > 0) {
        c->regions = ph_calloc(count, sizeof(*c->regions));
        if (c->regions == NULL) {
            for (size_t i = 0; i < count; i++) {
                ph_free(items[i]);
            }
            conf_err(errs, file, n->line, n->col, "out of memory");
            return -1;
        }
        memcpy(c->regions, items, count * sizeof(*items));
    }
    c->nregions = count;
    return 0;
}

static void
regions_print(const struct conf_opt *o, const void *base, const char *indent,
              struct buf *out)
{
    const struct check *c = base;

    conf_print_list(out, indent, o->key, (const char *const *)c->regions,
                    c->nregions);
}

static void
regions_free(const struct conf_opt *o, void *base)
{
    struct check *c = base;

    (void)o;
    for (size_t i = 0; i < c->nregions; i++) {
        ph_free(c->regions[i]);
    }
    ph_free(c->regions);
    c->regions = NULL;
    c->nregions = 0;
}

static int
regions_copy(const struct conf_opt *o, void *dst, const void *src)
{
    struct check *d = dst;
    const struct check *s = src;

    (void)o;
    d->regions = NULL;
    d->nregions = 0;
    if (s->nregions == 0) {
        return 0;
    }
    d->regions = ph_calloc(s->nregions, sizeof(*d->regions));
    if (d->regions == NULL) {
        return -1;
    }
    d->nregions = s->nregions;
    for (size_t i = 0; i < s->nregions; i++) {
        d->regions[i] = ph_strdup(s->regions[i]);
        if (d->regions[i] == NULL) {
            return -1;
        }
    }
    return 0;
}

static const struct conf_custom regions_custom = {
    regions_decode, regions_print, regions_free, regions_copy, NULL, NULL};

static const char *const minority_names[] = {"operational", "degraded", NULL};
static const struct conf_custom minority_enum = {NULL, NULL, NULL,
                                                 NULL, NULL, minority_names};
static const char *const impact_names[] = {"major", "partial", NULL};
static const struct conf_custom impact_enum = {NULL, NULL, NULL,
                                               NULL, NULL, impact_names};

#define C(field) offsetof(struct check, field)
#define END_ROW {NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL}

const struct conf_opt check_head_opts[] = {
    {"id", CONF_T_CUSTOM, 0, NULL, 0, 0, 1, &id_custom,
     "check id, 1-63 of [A-Za-z0-9_.-]"},
    {"type", CONF_T_CUSTOM, 0, NULL, 0, 0, 1, &type_custom,
     "the probe: one of the registered types (checks/registry.h)"},
    END_ROW,
};

const struct conf_opt check_common_opts[] = {
    {"interval", CONF_T_DURATION, C(interval_ms), "30s", 1000, 86400000, 0,
     NULL, "time between runs"},
    {"timeout", CONF_T_DURATION, C(timeout_ms), "10s", 100, 300000, 0, NULL,
     "time limit of a run"},
    {"degraded_over", CONF_T_DURATION, C(degraded_over_ms), "0", 0, 300000,
     0, NULL, "latency above which a result is slow (0 = off)"},
    {"fail_after", CONF_T_UINT32, C(fail_after), "2", 1, 100, 0, NULL,
     "consecutive failures before a region is down"},
    {"recover_after", CONF_T_UINT32, C(recover_after), "2", 1, 100, 0, NULL,
     "consecutive successes before a region is up"},
    {"quorum", CONF_T_CUSTOM, 0, "majority", 0, 0, 0, &quorum_custom,
     "majority, a number of regions, or a percentage"},
    {"minority", CONF_T_ENUM, C(minority), "operational", 0, 0, 0,
     &minority_enum, "operational or degraded: effect of a minority failure"},
    {"impact", CONF_T_ENUM, C(impact), "major", 0, 0, 0, &impact_enum,
     "major or partial: what a full outage of this check means"},
    {"cert_expiry_days", CONF_T_UINT32, C(cert_expiry_days), "14", 0, 3650,
     0, NULL, "certificate expiring sooner makes the result slow"},
    {"confirm_after", CONF_T_DURATION, C(confirm_after_ms), "2s", 0,
     3600000, 0, NULL,
     "after a changed outcome, re-probe after this long until fail_after "
     "or recover_after decides (0 = off)"},
    {"watch", CONF_T_BOOL, C(watch), "false", 0, 0, 0, NULL,
     "hold an idle TCP connection to the target; when it is lost and a "
     "new one is refused, probe at once (http, tcp, smtp)"},
    {"source_address", CONF_T_STR, C(source_address), NULL, 0, 0, 0, NULL,
     "local address to probe from"},
    END_ROW,
};

const struct conf_opt check_tail_opts[] = {
    {"regions", CONF_T_CUSTOM, 0, NULL, 0, 0, 0, &regions_custom,
     "regions that run the check (default all)"},
    END_ROW,
};

/* ---- free, copy, compare ---- */

void
check_free(struct check *c)
{
    const struct check_kind *k;

    if (c == NULL) {
        return;
    }
    k = check_kind_of(c->type);
    conf_free_fields(check_head_opts, c);
    conf_free_fields(check_common_opts, c);
    conf_free_fields(check_tail_opts, c);
    if (k != NULL) {
        conf_free_fields(k->opts, c);
    }
    memset(c, 0, sizeof(*c));
}

int
check_copy(struct check *dst, const struct check *src)
{
    const struct check_kind *k = check_kind_of(src->type);
    int bad = 0;

    /* Shallow copy, then replace every pointer with its own copy; a failed
     * copy leaves NULL so check_free() stays safe. */
    *dst = *src;
    bad |= conf_copy_fields(check_head_opts, dst, src) != 0;
    bad |= conf_copy_fields(check_common_opts, dst, src) != 0;
    bad |= conf_copy_fields(check_tail_opts, dst, src) != 0;
    if (k != NULL) {
        bad |= conf_copy_fields(k->opts, dst, src) != 0;
    }
    if (bad) {
        check_free(dst);
        return PH_ENOMEM;
    }
    return 0;
}

static int
str_eq(const char *a, const char *b)
{
    if (a == NULL || b == NULL) {
        return a == b;
    }
    return strcmp(a, b) == 0;
}

int
check_probe_equal(const struct check *a, const struct check *b)
{
    const struct check_kind *k = check_kind_of(a->type);

    /* Only what the agent runs: the state-engine keys do not count,
     * except the counts its confirmations go up to. */
    if (strcmp(a->id, b->id) != 0 || a->type != b->type ||
        strcmp(a->component_id, b->component_id) != 0 ||
        a->interval_ms != b->interval_ms || a->timeout_ms != b->timeout_ms ||
        a->degraded_over_ms != b->degraded_over_ms ||
        a->cert_expiry_days != b->cert_expiry_days ||
        a->confirm_after_ms != b->confirm_after_ms ||
        a->watch != b->watch || a->phase_offset_ms != b->phase_offset_ms ||
        a->fail_after != b->fail_after ||
        a->recover_after != b->recover_after ||
        !str_eq(a->source_address, b->source_address) || k == NULL) {
        return 0;
    }
    return conf_equal_fields(k->opts, a, b);
}

uint32_t
check_region_offset(uint32_t interval_ms, size_t idx, size_t n)
{
    if (n < 2 || idx >= n) {
        return 0;
    }
    return (uint32_t)((uint64_t)interval_ms * idx / n);
}

const char *
check_type_name(enum check_type t)
{
    const struct check_kind *k = check_kind_of(t);

    return k != NULL ? k->name : "unknown";
}

enum check_type
check_type_parse(const char *s)
{
    const struct check_kind *k = check_kind_named(s);

    return k != NULL ? k->type : 0;
}

const char *
outcome_name(enum outcome o)
{
    switch (o) {
    case OUTCOME_UP:
        return "up";
    case OUTCOME_SLOW:
        return "slow";
    case OUTCOME_DOWN:
        return "down";
    }
    return "none";
}

const char *
probe_kind_name(unsigned kind)
{
    switch (kind) {
    case PROBE_CONFIRM:
        return "confirm";
    case PROBE_RECHECK:
        return "recheck";
    case PROBE_WATCH:
        return "watch";
    }
    return "scheduled";
}

/* The spool stores struct check_result as is: kind must stay in the
 * padding after status_code. */
_Static_assert(sizeof(struct check_result) == 296,
               "struct check_result changed size: the spool format too");

void
check_result_seterr(struct check_result *r, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(r->error, sizeof(r->error), fmt, ap);
    va_end(ap);
}
