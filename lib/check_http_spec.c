/*
 * check_http_spec.c - the multi-step and assertion keys of an http check
 * (check_http_spec.h): key tables, list decoding with per-item rules, the
 * rules across steps, and the plan's text form.
 */
#include "check_http_spec.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_assert.h"
#include "jsonpath.h"
#include "mem.h"
#include "ph_err.h"
#include "template.h"

static const struct conf_node *
child(const struct conf_node *map, const char *key)
{
    if (map == NULL || map->type != CONF_MAP) {
        return NULL;
    }
    for (const struct conf_node *n = map->child; n != NULL; n = n->next) {
        if (n->key != NULL && strcmp(n->key, key) == 0) {
            return n;
        }
    }
    return NULL;
}

/* The node of key in map, or map itself: where an error points. */
static const struct conf_node *
at(const struct conf_node *map, const char *key)
{
    const struct conf_node *n = child(map, key);

    return n != NULL ? n : map;
}

/* ---- headers: a mapping of name: value ---- */

static int
kvs_decode(const struct conf_opt *o, const struct conf_node *node, void *base,
           const char *file, struct conf_errs *errs)
{
    struct http_kvs *h = (struct http_kvs *)((char *)base + o->offset);
    size_t n = 0;

    if (node->type != CONF_MAP) {
        conf_err(errs, file, node->line, node->col,
                 "'%s': expected a mapping of name: value", o->key);
        return -1;
    }
    for (const struct conf_node *i = node->child; i; i = i->next) {
        n++;
    }
    if (n > CHECK_MAX_HEADERS) {
        conf_err(errs, file, node->line, node->col, "at most %d headers",
                 CHECK_MAX_HEADERS);
        return -1;
    }
    h->kv = n > 0 ? ph_calloc(n, sizeof(*h->kv)) : NULL;
    if (n > 0 && h->kv == NULL) {
        conf_err(errs, file, node->line, node->col, "out of memory");
        return -1;
    }
    for (const struct conf_node *i = node->child; i; i = i->next) {
        if (i->type != CONF_SCALAR) {
            conf_err(errs, file, i->line, i->col,
                     "header '%s': expected a string", i->key);
            return -1;
        }
        if (i->key[0] == '\0' || strpbrk(i->key, "\r\n: ") ||
            strpbrk(i->value, "\r\n")) {
            conf_err(errs, file, i->line, i->col,
                     "header '%s' contains a forbidden character", i->key);
            return -1;
        }
        h->kv[h->n].name = ph_strdup(i->key);
        h->kv[h->n].value = ph_strdup(i->value);
        h->n++;
        if (h->kv[h->n - 1].name == NULL || h->kv[h->n - 1].value == NULL) {
            conf_err(errs, file, i->line, i->col, "out of memory");
            return -1;
        }
    }
    return 0;
}

static void
kvs_print(const struct conf_opt *o, const void *base, const char *indent,
          struct buf *out)
{
    const struct http_kvs *h =
        (const struct http_kvs *)((const char *)base + o->offset);

    if (h->n == 0) {
        return;
    }
    buf_printf(out, "%s%s:\n", indent, o->key);
    for (size_t i = 0; i < h->n; i++) {
        buf_printf(out, "%s  ", indent);
        conf_print_quoted(out, h->kv[i].name);
        buf_appends(out, ": ");
        conf_print_quoted(out, h->kv[i].value);
        buf_appends(out, "\n");
    }
}

static void
kvs_release(const struct conf_opt *o, void *base)
{
    struct http_kvs *h = (struct http_kvs *)((char *)base + o->offset);

    for (size_t i = 0; i < h->n; i++) {
        ph_free(h->kv[i].name);
        ph_free(h->kv[i].value);
    }
    ph_free(h->kv);
    h->kv = NULL;
    h->n = 0;
}

static int
kvs_copy(const struct conf_opt *o, void *dst, const void *src)
{
    struct http_kvs *d = (struct http_kvs *)((char *)dst + o->offset);
    const struct http_kvs *s =
        (const struct http_kvs *)((const char *)src + o->offset);
    int bad = 0;

    d->kv = NULL;
    d->n = 0;
    if (s->n == 0) {
        return 0;
    }
    d->kv = ph_calloc(s->n, sizeof(*d->kv));
    if (d->kv == NULL) {
        return -1;
    }
    d->n = s->n;
    for (size_t i = 0; i < s->n; i++) {
        d->kv[i].name = ph_strdup(s->kv[i].name);
        d->kv[i].value = ph_strdup(s->kv[i].value);
        bad |= d->kv[i].name == NULL || d->kv[i].value == NULL;
    }
    return bad ? -1 : 0;
}

static int
kvs_equal(const struct conf_opt *o, const void *a, const void *b)
{
    const struct http_kvs *x =
        (const struct http_kvs *)((const char *)a + o->offset);
    const struct http_kvs *y =
        (const struct http_kvs *)((const char *)b + o->offset);

    if (x->n != y->n) {
        return 0;
    }
    for (size_t i = 0; i < x->n; i++) {
        if (strcmp(x->kv[i].name, y->kv[i].name) != 0 ||
            strcmp(x->kv[i].value, y->kv[i].value) != 0) {
            return 0;
        }
    }
    return 1;
}

static const struct conf_custom kvs_custom = {
    kvs_decode, kvs_print, kvs_release, kvs_copy, kvs_equal, NULL};

/* ---- expect_status: a list of HTTP statuses ---- */

static int
statuses_decode(const struct conf_opt *o, const struct conf_node *node,
                void *base, const char *file, struct conf_errs *errs)
{
    struct http_statuses *s =
        (struct http_statuses *)((char *)base + o->offset);
    char *items[CHECK_MAX_EXPECT_STATUS];
    size_t n = 0;
    int bad = 0;

    if (conf_string_list(node, items, CHECK_MAX_EXPECT_STATUS, &n, o->key, file,
                         errs) != 0) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        char *end = NULL;
        long v = strtol(items[i], &end, 10);

        if (!bad && (*end != '\0' || v < 100 || v > 599)) {
            conf_err(errs, file, node->line, node->col,
                     "'%s': '%s' is not an HTTP status (100-599)", o->key,
                     items[i]);
            bad = 1;
        }
        s->v[i] = (int)v;
        ph_free(items[i]);
    }
    s->n = bad ? 0 : n;
    return bad ? -1 : 0;
}

static void
statuses_print(const struct conf_opt *o, const void *base, const char *indent,
               struct buf *out)
{
    const struct http_statuses *s =
        (const struct http_statuses *)((const char *)base + o->offset);

    if (s->n == 0) {
        return;
    }
    buf_printf(out, "%s%s: [", indent, o->key);
    for (size_t i = 0; i < s->n; i++) {
        buf_printf(out, "%s%d", i ? ", " : "", s->v[i]);
    }
    buf_appends(out, "]\n");
}

static int
statuses_equal(const struct conf_opt *o, const void *a, const void *b)
{
    const struct http_statuses *x =
        (const struct http_statuses *)((const char *)a + o->offset);
    const struct http_statuses *y =
        (const struct http_statuses *)((const char *)b + o->offset);

    return x->n == y->n && memcmp(x->v, y->v, x->n * sizeof(x->v[0])) == 0;
}

static const struct conf_custom statuses_custom = {
    statuses_decode, statuses_print, NULL, NULL, statuses_equal, NULL};

/* ---- op: ==, !=, <, <=, >, >=, contains, exists, length ---- */

static int
op_decode(const struct conf_opt *o, const struct conf_node *node, void *base,
          const char *file, struct conf_errs *errs)
{
    int op =
        node->type == CONF_SCALAR ? assert_op_parse(node->value) : AOP_NONE;

    if (op == AOP_NONE) {
        conf_err(errs, file, node->line, node->col,
                 "'%s' must be ==, !=, <, <=, >, >=, contains, exists or "
                 "length, not '%s'",
                 o->key, node->type == CONF_SCALAR ? node->value : "(list)");
        return -1;
    }
    memcpy((char *)base + o->offset, &op, sizeof(op));
    return 0;
}

static void
op_print(const struct conf_opt *o, const void *base, const char *indent,
         struct buf *out)
{
    int op;

    memcpy(&op, (const char *)base + o->offset, sizeof(op));
    if (op != AOP_NONE) {
        /* Quoted: a plain ">=" would start a YAML block scalar. */
        buf_printf(out, "%s%s: \"%s\"\n", indent, o->key, assert_op_name(op));
    }
}

static int
op_equal(const struct conf_opt *o, const void *a, const void *b)
{
    return memcmp((const char *)a + o->offset, (const char *)b + o->offset,
                  sizeof(int)) == 0;
}

static const struct conf_custom op_custom = {op_decode, op_print, NULL,
                                             NULL,      op_equal, NULL};

/* ---- lists ---- */

static int
list_decode(const struct conf_opt *o, const struct conf_node *node, void *base,
            const char *file, struct conf_errs *errs)
{
    const struct http_spec_sub *s = (const struct http_spec_sub *)o->custom;
    size_t n = 0, i = 0;
    char *items;

    if (node->type != CONF_SEQ) {
        conf_err(errs, file, node->line, node->col, "'%s': expected a list",
                 o->key);
        return -1;
    }
    for (const struct conf_node *it = node->child; it; it = it->next) {
        if (n == s->max) {
            conf_err(errs, file, it->line, it->col, "at most %zu %s", s->max,
                     s->what);
            return -1;
        }
        n++;
    }
    if (n == 0) {
        return 0;
    }
    items = ph_calloc(n, s->sub.size);
    if (items == NULL) {
        conf_err(errs, file, node->line, node->col, "out of memory");
        return -1;
    }
    /* Stored first, so what is decoded is freed with the check even when
     * an item has errors. */
    memcpy((char *)base + o->offset, &items, sizeof(items));
    memcpy((char *)base + s->sub.count_offset, &n, sizeof(n));
    for (const struct conf_node *it = node->child; it; it = it->next, i++) {
        void *item = items + i * s->sub.size;

        if (it->type != CONF_MAP) {
            conf_err(errs, file, it->line, it->col,
                     "'%s': each item is a mapping", o->key);
            continue;
        }
        if (conf_decode(s->sub.opts, it, item, file, errs) == 0 &&
            s->item_check != NULL) {
            s->item_check(item, i, it, file, errs);
        }
    }
    return 0;
}

/* Errors for a JSONPath at node that does not parse. */
static void
check_path(const char *path, const struct conf_node *node, const char *file,
           struct conf_errs *errs)
{
    struct jsonpath p;
    char why[96];

    if (jsonpath_parse(path, &p, why, sizeof(why)) != 0) {
        conf_err(errs, file, node->line, node->col, "bad JSONPath '%s': %s",
                 path, why);
    }
}

static void
check_regex(const char *key, const char *re, const struct conf_node *node,
            const char *file, struct conf_errs *errs)
{
    regex_t r;

    if (regcomp(&r, re, REG_EXTENDED) != 0) {
        conf_err(errs, file, node->line, node->col,
                 "'%s' does not compile as a POSIX extended regex", key);
        return;
    }
    regfree(&r);
}

static int
has_template(const char *s)
{
    return s != NULL && strstr(s, "{{") != NULL;
}

static void
assert_check(void *item, size_t index, const struct conf_node *node,
             const char *file, struct conf_errs *errs)
{
    struct http_assert *a = item;
    double d;
    char *end = NULL;

    (void)index;
    if ((a->json == NULL) == (a->header == NULL)) {
        conf_err(errs, file, node->line, node->col,
                 "an assertion has one of 'json' (a JSONPath) or 'header'");
        return;
    }
    if (a->json != NULL) {
        check_path(a->json, at(node, "json"), file, errs);
    }
    if (a->op == AOP_NONE) {
        a->op = a->value != NULL ? AOP_EQ : AOP_EXISTS;
    }
    if (a->op == AOP_EXISTS && a->value != NULL) {
        conf_err(errs, file, at(node, "value")->line, at(node, "value")->col,
                 "'exists' takes no value");
    }
    if (assert_op_needs_value(a->op) && a->value == NULL) {
        conf_err(errs, file, at(node, "op")->line, at(node, "op")->col,
                 "'%s' needs a value", assert_op_name(a->op));
        return;
    }
    if ((a->op == AOP_LT || a->op == AOP_LE || a->op == AOP_GT ||
         a->op == AOP_GE || a->op == AOP_LENGTH) &&
        !has_template(a->value)) {
        d = strtod(a->value, &end);
        if (end == a->value || *end != '\0' ||
            (a->op == AOP_LENGTH && (d < 0 || d != (double)(long)d))) {
            conf_err(errs, file, at(node, "value")->line,
                     at(node, "value")->col, "'%s' needs a %s, not '%s'",
                     assert_op_name(a->op),
                     a->op == AOP_LENGTH ? "whole number" : "number", a->value);
        }
    }
}

static void
extract_check(void *item, size_t index, const struct conf_node *node,
              const char *file, struct conf_errs *errs)
{
    struct http_extract *x = item;

    (void)index;
    if (!template_name_ok(x->var)) {
        conf_err(errs, file, at(node, "var")->line, at(node, "var")->col,
                 "'var': '%s' is not a variable name ([A-Za-z_][A-Za-z0-9_]*)",
                 x->var);
    }
    if (x->json != NULL && (x->header != NULL || x->regex != NULL)) {
        conf_err(errs, file, node->line, node->col,
                 "extract '%s': 'json' goes alone; 'regex' applies to the "
                 "body or to a 'header'",
                 x->var);
    }
    if (x->json == NULL && x->header == NULL && x->regex == NULL) {
        conf_err(errs, file, node->line, node->col,
                 "extract '%s': needs 'json', 'header' or 'regex'", x->var);
    }
    if (x->json != NULL) {
        check_path(x->json, at(node, "json"), file, errs);
    }
    if (x->regex != NULL) {
        check_regex("regex", x->regex, at(node, "regex"), file, errs);
    }
}

static int
method_ok(const char *m)
{
    if (*m == '\0') {
        return 0;
    }
    for (; *m; m++) {
        if (*m < 'A' || *m > 'Z') {
            return 0;
        }
    }
    return 1;
}

static void
step_check(void *item, size_t index, const struct conf_node *node,
           const char *file, struct conf_errs *errs)
{
    struct http_step *s = item;

    (void)index;
    if (s->method != NULL && !method_ok(s->method)) {
        conf_err(errs, file, at(node, "method")->line, at(node, "method")->col,
                 "'method': '%s' is not an HTTP method (GET, POST, ...)",
                 s->method);
    }
    if (s->url != NULL && strncmp(s->url, "http://", 7) != 0 &&
        strncmp(s->url, "https://", 8) != 0 && strncmp(s->url, "{{", 2)) {
        conf_err(errs, file, at(node, "url")->line, at(node, "url")->col,
                 "'url' must start with http://, https:// or a {{variable}}");
    }
    if (s->body_regex != NULL) {
        check_regex("body_regex", s->body_regex, at(node, "body_regex"), file,
                    errs);
    }
}

static void
secret_check(void *item, size_t index, const struct conf_node *node,
             const char *file, struct conf_errs *errs)
{
    struct http_secret *s = item;

    (void)index;
    if (!template_name_ok(s->name)) {
        conf_err(errs, file, at(node, "name")->line, at(node, "name")->col,
                 "'name': '%s' is not a variable name", s->name);
    }
    if ((s->env == NULL) == (s->file == NULL)) {
        conf_err(errs, file, node->line, node->col,
                 "secret '%s': give one of 'env' or 'file'", s->name);
    }
}

#define A(f) offsetof(struct http_assert, f)
#define X(f) offsetof(struct http_extract, f)
#define S(f) offsetof(struct http_step, f)
#define K(f) offsetof(struct http_secret, f)
#define END_ROW                                                                \
    {                                                                          \
        NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL                                  \
    }

static const struct conf_opt assert_opts[] = {
    {"json", CONF_T_STR, A(json), NULL, 0, 0, 0, NULL,
     "JSONPath of the value to judge ($.data.items[0].id)"},
    {"header", CONF_T_STR, A(header), NULL, 0, 0, 0, NULL,
     "response header to judge (instead of json)"},
    {"op", CONF_T_CUSTOM, A(op), NULL, 0, 0, 0, &op_custom,
     "==, !=, <, <=, >, >=, contains, exists, length (default == with a "
     "value, exists without)"},
    {"value", CONF_T_STR, A(value), NULL, 0, 0, 0, NULL,
     "expected value; may use {{variables}}"},
    END_ROW,
};

static const struct conf_opt extract_opts[] = {
    {"var", CONF_T_STR, X(var), NULL, 0, 0, 1, NULL,
     "variable name later steps use as {{name}}"},
    {"json", CONF_T_STR, X(json), NULL, 0, 0, 0, NULL,
     "JSONPath of the value in the JSON body"},
    {"header", CONF_T_STR, X(header), NULL, 0, 0, 0, NULL,
     "response header whose value to take"},
    {"regex", CONF_T_STR, X(regex), NULL, 0, 0, 0, NULL,
     "POSIX ERE on the body (or the header): first group, or the match"},
    {"secret", CONF_T_BOOL, X(secret), "false", 0, 0, 0, NULL,
     "mask the value in results like a secret"},
    END_ROW,
};

static const struct http_spec_sub extract_sub = {
    {{list_decode, NULL, NULL, NULL, NULL, NULL},
     extract_opts,
     sizeof(struct http_extract),
     offsetof(struct http_step, nextract),
     0},
    HTTP_EXTRACTS_MAX,
    "extractions in a step",
    extract_check};

static const struct http_spec_sub step_asserts_sub = {
    {{list_decode, NULL, NULL, NULL, NULL, NULL},
     assert_opts,
     sizeof(struct http_assert),
     offsetof(struct http_step, nasserts),
     0},
    HTTP_ASSERTS_MAX,
    "assertions",
    assert_check};

static const struct conf_opt step_opts[] = {
    {"name", CONF_T_STR, S(name), NULL, 0, 0, 0, NULL,
     "name shown in results (default step N)"},
    {"method", CONF_T_STR, S(method), NULL, 0, 0, 0, NULL,
     "default GET, or POST with a body"},
    {"url", CONF_T_STR, S(url), NULL, 0, 0, 0, NULL,
     "default the check's url; may use {{variables}}"},
    {"headers", CONF_T_CUSTOM, S(headers), NULL, 0, 0, 0, &kvs_custom,
     "request headers; values may use {{variables}}"},
    {"body", CONF_T_STR, S(body), NULL, 0, 0, 0, NULL,
     "request body; may use {{variables}}"},
    {"timeout", CONF_T_DURATION, S(timeout_ms), "0", 0, 300000, 0, NULL,
     "time limit of this request (0 = what is left of the check's)"},
    {"expect_status", CONF_T_CUSTOM, S(expect_status), NULL, 0, 0, 0,
     &statuses_custom, "accepted statuses (default 200-399)"},
    {"body_regex", CONF_T_STR, S(body_regex), NULL, 0, 0, 0, NULL,
     "POSIX extended regex the body must match"},
    {"max_latency", CONF_T_DURATION, S(max_latency_ms), "0", 0, 300000, 0, NULL,
     "the step fails when its request takes longer (0 = off)"},
    {"extract", CONF_T_LIST, S(extract), NULL, 0, 0, 0, &extract_sub.sub.custom,
     "variables taken from the response"},
    {"assert", CONF_T_LIST, S(asserts), NULL, 0, 0, 0,
     &step_asserts_sub.sub.custom, "assertions on the response"},
    END_ROW,
};

static const struct conf_opt secret_opts[] = {
    {"name", CONF_T_STR, K(name), NULL, 0, 0, 1, NULL,
     "variable name, used as {{name}}"},
    {"env", CONF_T_STR, K(env), NULL, 0, 0, 0, NULL,
     "environment variable of the agent holding the value"},
    {"file", CONF_T_STR, K(file), NULL, 0, 0, 0, NULL,
     "file on the agent holding the value (first line)"},
    END_ROW,
};

#define HS(f) offsetof(struct check, u.http.f)

const struct http_spec_sub http_secrets_spec = {
    {{list_decode, NULL, NULL, NULL, NULL, NULL},
     secret_opts,
     sizeof(struct http_secret),
     HS(nsecrets),
     0},
    HTTP_SECRETS_MAX,
    "secrets",
    secret_check};
const struct http_spec_sub http_steps_spec = {
    {{list_decode, NULL, NULL, NULL, NULL, NULL},
     step_opts,
     sizeof(struct http_step),
     HS(nsteps),
     0},
    HTTP_STEPS_MAX,
    "steps",
    step_check};
const struct http_spec_sub http_asserts_spec = {
    {{list_decode, NULL, NULL, NULL, NULL, NULL},
     assert_opts,
     sizeof(struct http_assert),
     HS(nasserts),
     0},
    HTTP_ASSERTS_MAX,
    "assertions",
    assert_check};

/* The rows as they appear in the http check's table (checks/http.c), for
 * the plan's text form. */
static const struct conf_opt spec_opts[] = {
    {"secrets", CONF_T_LIST, HS(secrets), NULL, 0, 0, 0,
     &http_secrets_spec.sub.custom, ""},
    {"steps", CONF_T_LIST, HS(steps), NULL, 0, 0, 0,
     &http_steps_spec.sub.custom, ""},
    {"assert", CONF_T_LIST, HS(asserts), NULL, 0, 0, 0,
     &http_asserts_spec.sub.custom, ""},
    END_ROW,
};

/* ---- variables defined before use ---- */

#define DEFINED_MAX (HTTP_SECRETS_MAX + HTTP_STEPS_MAX * HTTP_EXTRACTS_MAX)

struct defined {
    const char *names[DEFINED_MAX];
    size_t n;
    char missing[TVAR_NAME_MAX];
};

static int
is_defined(const char *name, void *arg)
{
    struct defined *d = arg;

    for (size_t i = 0; i < d->n; i++) {
        if (strcmp(d->names[i], name) == 0) {
            return 0;
        }
    }
    snprintf(d->missing, sizeof(d->missing), "%s", name);
    return PH_ENOENT;
}

static void
define(struct defined *d, const char *name)
{
    if (name != NULL && d->n < DEFINED_MAX) {
        d->names[d->n++] = name;
    }
}

/* Errors for the {{references}} of text (at node) not in d. */
static void
check_refs(const char *id, const char *where, const char *text,
           struct defined *d, const struct conf_node *node, const char *file,
           struct conf_errs *errs)
{
    int rc;

    if (text == NULL) {
        return;
    }
    rc = template_each(text, is_defined, d, NULL);
    if (rc == PH_EPARSE) {
        conf_err(errs, file, node->line, node->col,
                 "check '%s': %s: a '{{' without a matching '}}' or with a "
                 "bad variable name",
                 id, where);
    } else if (rc != 0) {
        conf_err(errs, file, node->line, node->col,
                 "check '%s': %s: undefined variable '%s' (define it in "
                 "secrets: or in an extract: of an earlier step)",
                 id, where, d->missing);
    }
}

static void
check_assert_refs(const char *id, const char *where,
                  const struct http_assert *as, size_t n, struct defined *d,
                  const struct conf_node *list, const char *file,
                  struct conf_errs *errs)
{
    const struct conf_node *it = list != NULL ? list->child : NULL;

    for (size_t i = 0; i < n; i++, it = it != NULL ? it->next : NULL) {
        check_refs(id, where, as[i].value, d,
                   it != NULL ? at(it, "value") : list, file, errs);
    }
}

/* Keys of a single request that steps replace. */
static void
check_single_keys(const struct check *c, const struct conf_node *node,
                  const char *file, struct conf_errs *errs)
{
    const struct check_http *h = &c->u.http;
    const char *key = NULL;

    if (h->method != NULL) {
        key = "method";
    } else if (h->body != NULL) {
        key = "body";
    } else if (h->nheaders > 0) {
        key = "headers";
    } else if (h->nexpect_status > 0) {
        key = "expect_status";
    } else if (h->body_contains != NULL) {
        key = "body_contains";
    } else if (h->body_not_contains != NULL) {
        key = "body_not_contains";
    } else if (h->body_regex != NULL) {
        key = "body_regex";
    } else if (h->json_path != NULL) {
        key = "json_path";
    } else if (h->nasserts > 0) {
        key = "assert";
    }
    if (key != NULL) {
        conf_err(errs, file, at(node, key)->line, at(node, key)->col,
                 "check '%s': '%s' is for a single request; with steps, "
                 "give it in each step",
                 c->id, key);
    }
}

int
check_http_spec_finish(struct check *c, const struct conf_node *node,
                       const char *file, struct conf_errs *errs)
{
    const struct check_http *h = &c->u.http;
    size_t nerr = errs->n + errs->dropped;
    struct defined *d = ph_calloc(1, sizeof(*d));
    const struct conf_node *steps = child(node, "steps");
    const struct conf_node *it = steps != NULL ? steps->child : NULL;
    char where[96];

    if (d == NULL) {
        conf_err(errs, file, node->line, node->col, "out of memory");
        return -1;
    }
    if (h->nsteps > 0) {
        check_single_keys(c, node, file, errs);
    } else if (h->nsecrets > 0) {
        conf_err(errs, file, at(node, "secrets")->line,
                 at(node, "secrets")->col,
                 "check '%s': secrets are used by steps: write the request "
                 "as a step",
                 c->id);
    }
    for (size_t i = 0; i < h->nsecrets; i++) {
        define(d, h->secrets[i].name);
    }
    check_assert_refs(c->id, "assert", h->asserts, h->nasserts, d,
                      child(node, "assert"), file, errs);
    for (size_t i = 0; i < h->nsteps; i++, it = it != NULL ? it->next : NULL) {
        const struct http_step *s = &h->steps[i];
        const struct conf_node *sn = it != NULL ? it : node;
        const struct conf_node *hn = child(sn, "headers");

        snprintf(where, sizeof(where), "step %zu", i + 1);
        check_refs(c->id, where, s->url, d, at(sn, "url"), file, errs);
        check_refs(c->id, where, s->body, d, at(sn, "body"), file, errs);
        for (size_t k = 0; k < s->headers.n; k++) {
            if (s->headers.kv[k].name == NULL) {
                continue; /* out of memory, already reported */
            }
            check_refs(c->id, where, s->headers.kv[k].value, d,
                       at(hn, s->headers.kv[k].name), file, errs);
        }
        check_assert_refs(c->id, where, s->asserts, s->nasserts, d,
                          child(sn, "assert"), file, errs);
        for (size_t k = 0; k < s->nextract; k++) {
            define(d, s->extract[k].var);
        }
    }
    ph_free(d);
    if (check_http_spec_present(c)) {
        char *text = NULL;
        size_t len = 0;
        int rc = check_http_spec_print(c, &text, &len);

        if (rc != 0) {
            conf_err(errs, file, node->line, node->col,
                     "check '%s': steps, assert and secrets take more than "
                     "%d bytes",
                     c->id, HTTP_SPEC_TEXT_MAX);
        }
        ph_free(text);
    }
    return errs->n + errs->dropped > nerr ? -1 : 0;
}

int
check_http_spec_present(const struct check *c)
{
    const struct check_http *h = &c->u.http;

    return c->type == CHECK_HTTP &&
           (h->nsteps > 0 || h->nasserts > 0 || h->nsecrets > 0);
}

int
check_http_spec_print(const struct check *c, char **ret, size_t *ret_len)
{
    const char *indent = "";
    struct buf b;

    /* conf_print does not report a full buffer, it skips what does not
     * fit. One printed line is at most a 64 KiB scalar with every byte
     * escaped (256 KiB), so with twice the limit of room a skipped line
     * leaves the text over the limit, which is refused. */
    buf_init(&b, 2 * HTTP_SPEC_TEXT_MAX);
    conf_print(spec_opts, c, &indent, "", &b);
    if (b.len > HTTP_SPEC_TEXT_MAX) {
        buf_free(&b);
        return PH_ETOOBIG;
    }
    *ret = buf_steal(&b, ret_len);
    return *ret != NULL ? 0 : PH_ENOMEM;
}

int
check_http_spec_load(struct check *c, const char *text, size_t len, char *err,
                     size_t errlen)
{
    struct conf_errs *errs = ph_calloc(1, sizeof(*errs));
    struct conf_node *root = NULL;
    int result = PH_EPROTO;

    if (errs == NULL) {
        snprintf(err, errlen, "out of memory");
        return PH_ENOMEM;
    }
    if (len > HTTP_SPEC_TEXT_MAX) {
        snprintf(err, errlen, "spec text over %d bytes", HTTP_SPEC_TEXT_MAX);
        goto out;
    }
    root = conf_yaml_parse("plan", text, len, errs);
    if (root == NULL) {
        goto out;
    }
    if (conf_decode(spec_opts, root, c, "plan", errs) != 0 ||
        check_http_spec_finish(c, root, "plan", errs) != 0) {
        goto out;
    }
    result = 0;
out:
    if (result != 0) {
        snprintf(err, errlen, "%s",
                 errs->n > 0 ? errs->msgs[0] : "spec text does not parse");
    }
    conf_node_free(root);
    ph_free(errs);
    return result;
}
