/*
 * conf.c - table-driven decoding of a YAML mapping into a C struct
 * (Redis standardConfig / Fluent Bit config_map idea): one row per option
 * with its type, default, bounds, validator and doc. Unknown keys are
 * errors; every error is collected so one run reports them all.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "mem.h"
#include "ph_err.h"

/* A duration in ms, up to 2^32 days' worth; 0 or -1. */
static int
parse_duration64(const char *s, uint64_t *ret_ms)
{
    static const struct {
        const char *suffix;
        uint64_t ms;
    } units[] = {{"ms", 1},         {"s", 1000},       {"m", 60000},
                 {"h", 3600000},    {"d", 86400000},   {"", 1000}};
    char *end = NULL;
    unsigned long long v;

    if (s == NULL || *s < '0' || *s > '9') {
        return -1;
    }
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || v > UINT32_MAX) {
        return -1;
    }
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(end, units[i].suffix) == 0) {
            *ret_ms = (uint64_t)v * units[i].ms;
            return 0;
        }
    }
    return -1;
}

int
conf_parse_duration_ms(const char *s, uint32_t *ret_ms)
{
    uint64_t ms;

    if (parse_duration64(s, &ms) != 0 || ms > UINT32_MAX) {
        return -1;
    }
    *ret_ms = (uint32_t)ms;
    return 0;
}

int
conf_parse_bool(const char *s, int *ret)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};

    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *ret = 1;
            return 0;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *ret = 0;
            return 0;
        }
    }
    return -1;
}

static int
parse_int64(const char *s, int64_t *ret)
{
    char *end = NULL;
    long long v;

    if (s == NULL || *s == '\0') {
        return -1;
    }
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0') {
        return -1;
    }
    *ret = v;
    return 0;
}

/*
 * Optimal string alignment distance (Damerau-Levenshtein where a
 * transposed pair counts once): "stat_dir" -> "state_dir" is 1,
 * "tiemout" -> "timeout" is 1. Keys are short; longer words are not
 * compared.
 */
#define SUGGEST_LEN_MAX 64

static size_t
edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t d[3][SUGGEST_LEN_MAX + 1];
    size_t *pp = d[0], *prev = d[1], *cur = d[2];

    if (la > SUGGEST_LEN_MAX || lb > SUGGEST_LEN_MAX) {
        return SIZE_MAX;
    }
    for (size_t j = 0; j <= lb; j++) {
        prev[j] = j;
    }
    for (size_t i = 1; i <= la; i++) {
        size_t *t;

        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t v = prev[j] + 1;

            if (cur[j - 1] + 1 < v) {
                v = cur[j - 1] + 1;
            }
            if (prev[j - 1] + cost < v) {
                v = prev[j - 1] + cost;
            }
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
                a[i - 2] == b[j - 1] && pp[j - 2] + 1 < v) {
                v = pp[j - 2] + 1;
            }
            cur[j] = v;
        }
        t = pp;
        pp = prev;
        prev = cur;
        cur = t;
    }
    return prev[lb];
}

/* Close enough to be a typo: at most 2 edits, and at most a third of the
 * longer word (so "id" never suggests "ip"). */
static int
close_enough(const char *word, const char *cand, size_t d)
{
    size_t l = strlen(word) > strlen(cand) ? strlen(word) : strlen(cand);

    return d > 0 && d <= 2 && d * 3 <= l;
}

const char *
conf_suggest(const char *word, const char *const *cands, size_t n)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX;

    for (size_t i = 0; i < n; i++) {
        size_t d = edit_distance(word, cands[i]);
        if (d < best_d && close_enough(word, cands[i], d)) {
            best = cands[i];
            best_d = d;
        }
    }
    return best;
}

const char *
conf_suggest_opt(const struct conf_opt *opts, const char *word)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX;

    for (const struct conf_opt *o = opts; o->key != NULL; o++) {
        size_t d = edit_distance(word, o->key);
        if (d < best_d && close_enough(word, o->key, d)) {
            best = o->key;
            best_d = d;
        }
    }
    return best;
}

void
conf_err_unknown(struct conf_errs *errs, const char *file, int line, int col,
                 const char *what, const char *word, const char *suggestion)
{
    if (suggestion != NULL) {
        conf_err(errs, file, line, col, "unknown %s '%s'; did you mean '%s'?",
                 what, word, suggestion);
    } else {
        conf_err(errs, file, line, col, "unknown %s '%s'", what, word);
    }
}

static const char *
type_name(enum conf_type t)
{
    switch (t) {
    case CONF_T_STR:
        return "string";
    case CONF_T_INT:
    case CONF_T_UINT32:
        return "integer";
    case CONF_T_BOOL:
        return "boolean";
    case CONF_T_DURATION:
    case CONF_T_DAYS:
        return "duration";
    case CONF_T_ENUM:
        return "name";
    case CONF_T_CUSTOM:
        return "value";
    case CONF_T_MAP:
        return "mapping";
    case CONF_T_LIST:
        return "list";
    }
    return "value";
}

/* Stores the text value v (from the file or the default) into base. */
static int
store_value(const struct conf_opt *o, const char *v, int line, int col,
            void *base, const char *file, struct conf_errs *errs)
{
    char *field = (char *)base + o->offset;
    int64_t n;
    uint32_t ms;
    int b;

    switch (o->type) {
    case CONF_T_STR: {
        char *copy = ph_strdup(v);
        char *old;
        if (copy == NULL) {
            conf_err(errs, file, line, col, "out of memory");
            return -1;
        }
        memcpy(&old, field, sizeof(old));
        ph_free(old);
        memcpy(field, &copy, sizeof(copy));
        return 0;
    }
    case CONF_T_INT:
    case CONF_T_UINT32:
        if (parse_int64(v, &n) != 0) {
            conf_err(errs, file, line, col,
                     "'%s': expected an integer, got '%s'", o->key, v);
            return -1;
        }
        if ((o->min != 0 || o->max != 0) && (n < o->min || n > o->max)) {
            conf_err(errs, file, line, col,
                     "'%s': %" PRId64 " is out of range [%" PRId64
                     ", %" PRId64 "]",
                     o->key, n, o->min, o->max);
            return -1;
        }
        if (o->type == CONF_T_INT) {
            int iv = (int)n;
            memcpy(field, &iv, sizeof(iv));
        } else {
            uint32_t uv;
            if (n < 0 || n > UINT32_MAX) {
                conf_err(errs, file, line, col,
                         "'%s': %" PRId64 " is out of range", o->key, n);
                return -1;
            }
            uv = (uint32_t)n;
            memcpy(field, &uv, sizeof(uv));
        }
        return 0;
    case CONF_T_BOOL:
        if (conf_parse_bool(v, &b) != 0) {
            conf_err(errs, file, line, col,
                     "'%s': expected true or false, got '%s'", o->key, v);
            return -1;
        }
        memcpy(field, &b, sizeof(b));
        return 0;
    case CONF_T_DURATION:
    case CONF_T_DAYS: {
        /* 64-bit: more than 49 days do not fit a uint32_t of ms. */
        uint64_t ms64 = 0;

        ms = 0;
        if ((o->type == CONF_T_DAYS ? parse_duration64(v, &ms64)
                                    : conf_parse_duration_ms(v, &ms)) != 0) {
            conf_err(errs, file, line, col,
                     "'%s': expected a duration like 500ms, 5s, 2m, 1h or "
                     "7d, got '%s'",
                     o->key, v);
            return -1;
        }
        if (o->type == CONF_T_DURATION) {
            ms64 = ms;
        }
        if ((o->min != 0 || o->max != 0) &&
            ((int64_t)ms64 < o->min || (int64_t)ms64 > o->max)) {
            conf_err(errs, file, line, col,
                     "'%s': %s is out of range [%" PRId64 "ms, %" PRId64
                     "ms]",
                     o->key, v, o->min, o->max);
            return -1;
        }
        if (o->type == CONF_T_DAYS) {
            ms = (uint32_t)(ms64 / 86400000u);
        }
        memcpy(field, &ms, sizeof(ms));
        return 0;
    }
    case CONF_T_ENUM: {
        const char *const *names = o->custom->names;
        struct buf list;

        for (int i = 0; names[i] != NULL; i++) {
            if (strcmp(v, names[i]) == 0) {
                memcpy(field, &i, sizeof(i));
                return 0;
            }
        }
        buf_init(&list, CONF_ERR_MSG_MAX);
        for (size_t i = 0; names[i] != NULL; i++) {
            buf_printf(&list, "%s%s",
                       i == 0                ? ""
                       : names[i + 1] == NULL ? " or "
                                              : ", ",
                       names[i]);
        }
        conf_err(errs, file, line, col, "'%s' must be %s, not '%s'", o->key,
                 list.data != NULL ? list.data : "", v);
        buf_free(&list);
        return -1;
    }
    case CONF_T_CUSTOM:
    case CONF_T_MAP:
    case CONF_T_LIST:
        return 0;
    }
    return -1;
}

static const struct conf_opt *
find_opt(const struct conf_part *parts, size_t nparts, const char *key)
{
    for (size_t p = 0; p < nparts; p++) {
        for (const struct conf_opt *o = parts[p].opts; o->key != NULL; o++) {
            if (strcmp(o->key, key) == 0) {
                return o;
            }
        }
    }
    return NULL;
}

static const char *
suggest_parts(const struct conf_part *parts, size_t nparts, const char *word)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX;

    for (size_t p = 0; p < nparts; p++) {
        const char *s = conf_suggest_opt(parts[p].opts, word);
        size_t d = s != NULL ? edit_distance(word, s) : SIZE_MAX;
        if (d < best_d) {
            best = s;
            best_d = d;
        }
    }
    return best;
}

/* Rows whose value only their custom hooks (or their sub-table) know. */
static int
is_custom(const struct conf_opt *o)
{
    return o->type == CONF_T_CUSTOM || o->type == CONF_T_MAP ||
           o->type == CONF_T_LIST;
}

/* The struct conf_sub of a MAP or LIST row (its custom is the first
 * member), or NULL for any other row. */
static const struct conf_sub *
sub_of(const struct conf_opt *o)
{
    if (o->type != CONF_T_MAP && o->type != CONF_T_LIST) {
        return NULL;
    }
    return (const struct conf_sub *)(const void *)o->custom;
}

/* A LIST row's items and their count in base. */
static void *
list_items(const struct conf_opt *o, const void *base, size_t *ret_n)
{
    const struct conf_sub *sub = sub_of(o);
    void *items;

    memcpy(&items, (const char *)base + o->offset, sizeof(items));
    memcpy(ret_n, (const char *)base + sub->count_offset, sizeof(*ret_n));
    return items;
}

/* Sets a LIST row's items and count in base. */
static void
list_set(const struct conf_opt *o, void *base, void *items, size_t n)
{
    memcpy((char *)base + o->offset, &items, sizeof(items));
    memcpy((char *)base + sub_of(o)->count_offset, &n, sizeof(n));
}

static void
decode_row(const struct conf_opt *o, int keep, const struct conf_node *map,
           void *base, const char *file, struct conf_errs *errs)
{
    const struct conf_node *v = NULL;

    for (const struct conf_node *n = map->child; n != NULL; n = n->next) {
        if (strcmp(o->key, n->key) == 0) {
            v = n;
            break;
        }
    }
    if (v == NULL) {
        if (o->required) {
            conf_err(errs, file, map->line, map->col,
                     "missing required key '%s'", o->key);
        } else if (o->def != NULL && !keep) {
            store_value(o, o->def, map->line, map->col, base, file, errs);
        }
        return;
    }
    if (!is_custom(o) && v->type != CONF_SCALAR) {
        conf_err(errs, file, v->line, v->col, "'%s': expected a %s", o->key,
                 type_name(o->type));
        return;
    }
    if (!is_custom(o) &&
        store_value(o, v->value, v->line, v->col, base, file, errs) != 0) {
        return;
    }
    if (is_custom(o) && o->custom != NULL && o->custom->decode != NULL) {
        o->custom->decode(o, v, base, file, errs);
    }
}

int
conf_decode_parts(const struct conf_part *parts, size_t nparts,
                  const struct conf_node *map, void *base, const char *file,
                  struct conf_errs *errs)
{
    size_t nerr = errs != NULL ? errs->n + errs->dropped : 0;

    if (map == NULL || map->type != CONF_MAP) {
        conf_err(errs, file, map ? map->line : 0, map ? map->col : 0,
                 "expected a mapping");
        return PH_ECONF;
    }
    /* Unknown keys first, so typos are reported even when a required key
     * is also missing. */
    for (const struct conf_node *n = map->child; n != NULL; n = n->next) {
        if (find_opt(parts, nparts, n->key) == NULL) {
            conf_err_unknown(errs, file, n->key_line, n->key_col, "key",
                             n->key, suggest_parts(parts, nparts, n->key));
        }
    }
    for (size_t p = 0; p < nparts; p++) {
        for (const struct conf_opt *o = parts[p].opts; o->key != NULL; o++) {
            decode_row(o, parts[p].keep, map, base, file, errs);
        }
    }
    if (errs != NULL && errs->n + errs->dropped > nerr) {
        return PH_ECONF;
    }
    return 0;
}

int
conf_decode(const struct conf_opt *opts, const struct conf_node *map,
            void *base, const char *file, struct conf_errs *errs)
{
    const struct conf_part part = {opts, 0};

    return conf_decode_parts(&part, 1, map, base, file, errs);
}

int
conf_has_required(const struct conf_part *parts, size_t nparts,
                  const struct conf_node *map)
{
    for (size_t p = 0; p < nparts; p++) {
        for (const struct conf_opt *o = parts[p].opts; o->key != NULL; o++) {
            const struct conf_node *n = map->child;
            while (o->required && n != NULL && strcmp(n->key, o->key) != 0) {
                n = n->next;
            }
            if (o->required && n == NULL) {
                return 0;
            }
        }
    }
    return 1;
}

void
conf_free_strings(const struct conf_opt *opts, void *base)
{
    for (const struct conf_opt *o = opts; o->key != NULL; o++) {
        if (o->type == CONF_T_STR) {
            char *field = (char *)base + o->offset;
            char *p;
            memcpy(&p, field, sizeof(p));
            ph_free(p);
            p = NULL;
            memcpy(field, &p, sizeof(p));
        }
    }
}

void
conf_help(const struct conf_opt *opts, const char *prefix, struct buf *out)
{
    for (const struct conf_opt *o = opts; o->key != NULL; o++) {
        const struct conf_sub *sub = sub_of(o);
        char inner[256];

        buf_printf(out, "%s%s (%s%s%s%s): %s\n", prefix, o->key,
                   type_name(o->type), o->required ? ", required" : "",
                   o->def != NULL ? ", default " : "",
                   o->def != NULL ? o->def : "", o->doc ? o->doc : "");
        if (sub != NULL) {
            snprintf(inner, sizeof(inner), "%s%s%s.", prefix, o->key,
                     o->type == CONF_T_LIST ? "[]" : "");
            conf_help(sub->opts, inner, out);
        }
    }
}

void
conf_free_fields(const struct conf_opt *opts, void *base)
{
    conf_free_strings(opts, base);
    for (const struct conf_opt *o = opts; o->key != NULL; o++) {
        const struct conf_sub *sub = sub_of(o);
        char *field = (char *)base + o->offset;

        if (sub != NULL && (sub->flags & CONF_SUB_UNSTORED)) {
            continue;
        }
        if (o->type == CONF_T_MAP) {
            conf_free_fields(sub->opts, field);
        } else if (o->type == CONF_T_LIST) {
            size_t n;
            char *items = list_items(o, base, &n);

            for (size_t i = 0; i < n; i++) {
                conf_free_fields(sub->opts, items + i * sub->size);
            }
            ph_free(items);
            list_set(o, base, NULL, 0);
        }
        if (is_custom(o) && o->custom != NULL && o->custom->release != NULL) {
            o->custom->release(o, base);
        }
    }
}

/* dst's LIST row o holds src's array: give dst its own array and items.
 * On failure dst's list is left empty. */
static int
copy_list(const struct conf_opt *o, void *dst)
{
    const struct conf_sub *sub = sub_of(o);
    size_t n;
    const char *from = list_items(o, dst, &n);
    char *items = n > 0 ? ph_calloc(n, sub->size) : NULL;
    size_t done = 0;
    int bad = n > 0 && items == NULL;

    for (; !bad && done < n; done++) {
        memcpy(items + done * sub->size, from + done * sub->size, sub->size);
        bad = conf_copy_fields(sub->opts, items + done * sub->size,
                               from + done * sub->size) != 0;
    }
    if (bad) {
        /* The failed item is freeable; free it and those before it. */
        for (size_t i = 0; items != NULL && i < done; i++) {
            conf_free_fields(sub->opts, items + i * sub->size);
        }
        ph_free(items);
        items = NULL;
        n = 0;
    }
    list_set(o, dst, items, n);
    return bad ? -1 : 0;
}

int
conf_copy_fields(const struct conf_opt *opts, void *dst, const void *src)
{
    int bad = 0;

    for (const struct conf_opt *o = opts; o->key != NULL; o++) {
        const struct conf_sub *sub = sub_of(o);
        char *field = (char *)dst + o->offset;

        if (sub != NULL && (sub->flags & CONF_SUB_UNSTORED)) {
            continue;
        }
        if (o->type == CONF_T_STR) {
            char *p;
            memcpy(&p, field, sizeof(p));
            if (p != NULL) {
                p = ph_strdup(p);
                bad |= p == NULL;
                memcpy(field, &p, sizeof(p));
            }
        } else if (o->type == CONF_T_MAP) {
            bad |= conf_copy_fields(sub->opts, field,
                                    (const char *)src + o->offset) != 0;
        } else if (o->type == CONF_T_LIST) {
            bad |= copy_list(o, dst) != 0;
        }
        if (is_custom(o) && o->custom != NULL && o->custom->copy != NULL) {
            bad |= o->custom->copy(o, dst, src) != 0;
        }
    }
    return bad ? PH_ENOMEM : 0;
}

static int
str_field_equal(const void *a, const void *b)
{
    const char *x, *y;

    memcpy(&x, a, sizeof(x));
    memcpy(&y, b, sizeof(y));
    if (x == NULL || y == NULL) {
        return x == y;
    }
    return strcmp(x, y) == 0;
}

static int
list_equal(const struct conf_opt *o, const void *a, const void *b)
{
    const struct conf_sub *sub = sub_of(o);
    size_t na, nb;
    const char *ia = list_items(o, a, &na);
    const char *ib = list_items(o, b, &nb);

    if (na != nb) {
        return 0;
    }
    for (size_t i = 0; i < na; i++) {
        if (!conf_equal_fields(sub->opts, ia + i * sub->size,
                               ib + i * sub->size)) {
            return 0;
        }
    }
    return 1;
}

int
conf_equal_fields(const struct conf_opt *opts, const void *a, const void *b)
{
    for (const struct conf_opt *o = opts; o->key != NULL; o++) {
        const struct conf_sub *sub = sub_of(o);
        const char *fa = (const char *)a + o->offset;
        const char *fb = (const char *)b + o->offset;

        switch (o->type) {
        case CONF_T_STR:
            if (!str_field_equal(fa, fb)) {
                return 0;
            }
            break;
        case CONF_T_INT:
        case CONF_T_BOOL:
        case CONF_T_ENUM:
            if (memcmp(fa, fb, sizeof(int)) != 0) {
                return 0;
            }
            break;
        case CONF_T_UINT32:
        case CONF_T_DURATION:
        case CONF_T_DAYS:
            if (memcmp(fa, fb, sizeof(uint32_t)) != 0) {
                return 0;
            }
            break;
        case CONF_T_MAP:
        case CONF_T_LIST:
            if (sub->flags & CONF_SUB_UNSTORED) {
                break;
            }
            if (o->type == CONF_T_MAP ? !conf_equal_fields(sub->opts, fa, fb)
                                      : !list_equal(o, a, b)) {
                return 0;
            }
            /* Then the row's own equal, if any. */
            /* FALLTHROUGH */
        case CONF_T_CUSTOM:
            if (o->custom != NULL && o->custom->equal != NULL &&
                !o->custom->equal(o, a, b)) {
                return 0;
            }
            break;
        }
    }
    return 1;
}

void
conf_print_quoted(struct buf *b, const char *s)
{
    buf_appends(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            buf_printf(b, "\\%c", *p);
        } else if (*p == '\n') {
            buf_appends(b, "\\n");
        } else if (*p < 0x20) {
            buf_printf(b, "\\x%02x", *p);
        } else {
            buf_append(b, p, 1);
        }
    }
    buf_appends(b, "\"");
}

/* 1 when the MAP at field holds only its rows' defaults (what an absent
 * mapping decodes to). */
static int
map_is_default(const struct conf_sub *sub, const void *field)
{
    static const struct conf_node empty = {CONF_MAP, 1, 1, NULL, 0, 0,
                                           NULL, NULL, NULL};
    void *def = ph_calloc(1, sub->size);
    int same;

    if (def == NULL) {
        return 0; /* print it: showing a default is harmless */
    }
    conf_decode(sub->opts, &empty, def, "", NULL);
    same = conf_equal_fields(sub->opts, field, def);
    conf_free_fields(sub->opts, def);
    ph_free(def);
    return same;
}

/* A MAP or LIST row without its own print: "key:" at indent, then its
 * keys (or its items, each "- " first) two columns further in than
 * next. */
static void
print_sub(const struct conf_opt *o, const void *base, const char *indent,
          const char *next, struct buf *out)
{
    const struct conf_sub *sub = sub_of(o);
    const char *field = (const char *)base + o->offset;
    char first[128], rest[128];
    const char *in;

    if (sub->flags & CONF_SUB_UNSTORED) {
        return;
    }
    snprintf(rest, sizeof(rest), "%s%s", next,
             o->type == CONF_T_LIST ? "    " : "  ");
    if (o->type == CONF_T_MAP) {
        if ((sub->flags & CONF_SUB_OMIT_DEFAULT) &&
            map_is_default(sub, field)) {
            return;
        }
        buf_printf(out, "%s%s:\n", indent, o->key);
        in = rest;
        conf_print(sub->opts, field, &in, rest, out);
    } else {
        size_t n;
        const char *items = list_items(o, base, &n);

        if (n == 0) {
            return;
        }
        snprintf(first, sizeof(first), "%s  - ", next);
        buf_printf(out, "%s%s:\n", indent, o->key);
        for (size_t i = 0; i < n; i++) {
            in = first;
            conf_print(sub->opts, items + i * sub->size, &in, rest, out);
        }
    }
}

void
conf_print(const struct conf_opt *opts, const void *base, const char **indent,
           const char *next, struct buf *out)
{
    for (const struct conf_opt *o = opts; o->key != NULL; o++) {
        const char *field = (const char *)base + o->offset;
        size_t before = out->len;
        const char *s;
        uint32_t u;
        int i;

        switch (o->type) {
        case CONF_T_STR:
            memcpy(&s, field, sizeof(s));
            if (s != NULL) {
                buf_printf(out, "%s%s: ", *indent, o->key);
                conf_print_quoted(out, s);
                buf_appends(out, "\n");
            }
            break;
        case CONF_T_INT:
            memcpy(&i, field, sizeof(i));
            buf_printf(out, "%s%s: %d\n", *indent, o->key, i);
            break;
        case CONF_T_BOOL:
            memcpy(&i, field, sizeof(i));
            buf_printf(out, "%s%s: %s\n", *indent, o->key,
                       i ? "true" : "false");
            break;
        case CONF_T_ENUM:
            memcpy(&i, field, sizeof(i));
            buf_printf(out, "%s%s: %s\n", *indent, o->key,
                       o->custom->names[i]);
            break;
        case CONF_T_UINT32:
            memcpy(&u, field, sizeof(u));
            buf_printf(out, "%s%s: %u\n", *indent, o->key, u);
            break;
        case CONF_T_DURATION:
            memcpy(&u, field, sizeof(u));
            buf_printf(out, "%s%s: %ums\n", *indent, o->key, u);
            break;
        case CONF_T_DAYS:
            memcpy(&u, field, sizeof(u));
            buf_printf(out, "%s%s: %ud\n", *indent, o->key, u);
            break;
        case CONF_T_MAP:
        case CONF_T_LIST:
            if (o->custom->print == NULL) {
                print_sub(o, base, *indent, next, out);
                break;
            }
            /* FALLTHROUGH */
        case CONF_T_CUSTOM:
            if (o->custom != NULL && o->custom->print != NULL) {
                o->custom->print(o, base, *indent, out);
            }
            break;
        }
        if (out->len != before) {
            *indent = next;
        }
    }
}

int
conf_string_list(const struct conf_node *node, char **out, size_t max,
                 size_t *ret_n, const char *what, const char *file,
                 struct conf_errs *errs)
{
    size_t n = 0;

    *ret_n = 0;
    if (node->type == CONF_SCALAR) {
        out[0] = ph_strdup(node->value);
        if (out[0] == NULL) {
            conf_err(errs, file, node->line, node->col, "out of memory");
            return -1;
        }
        *ret_n = 1;
        return 0;
    }
    if (node->type != CONF_SEQ) {
        conf_err(errs, file, node->line, node->col,
                 "'%s': expected a list", what);
        return -1;
    }
    for (const struct conf_node *i = node->child; i; i = i->next) {
        const char *msg = NULL;

        if (i->type != CONF_SCALAR) {
            msg = "expected a list of strings";
        } else if (n >= max) {
            msg = "too many entries";
        } else if ((out[n] = ph_strdup(i->value)) == NULL) {
            msg = "out of memory";
        }
        if (msg != NULL) {
            if (n >= max) {
                conf_err(errs, file, i->line, i->col,
                         "'%s': at most %zu entries", what, max);
            } else {
                conf_err(errs, file, i->line, i->col, "'%s': %s", what, msg);
            }
            while (n > 0) {
                ph_free(out[--n]);
            }
            return -1;
        }
        n++;
    }
    *ret_n = n;
    return 0;
}

void
conf_print_list(struct buf *out, const char *indent, const char *key,
                const char *const *items, size_t n)
{
    if (n == 0) {
        return;
    }
    buf_printf(out, "%s%s: [", indent, key);
    for (size_t i = 0; i < n; i++) {
        if (i > 0) {
            buf_appends(out, ", ");
        }
        conf_print_quoted(out, items[i]);
    }
    buf_appends(out, "]\n");
}
