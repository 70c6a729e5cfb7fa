/*
 * json_assert.c - JSONPath evaluation and assertion operators
 * (json_assert.h). Parsing and dumping go through json.c; this file only
 * walks and compares the tree.
 */
#include "json_assert.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "jsonpath.h"
#include "mem.h"
#include "ph_err.h"

#define SHOW_MAX 40 /* bytes of a value shown in a message */

struct json_doc {
    json_t *root;
};

static const char *const op_names[] = {
    "", "==", "!=", "<", "<=", ">", ">=", "contains", "exists", "length",
};

const char *
assert_op_name(int op)
{
    if (op < 0 || (size_t)op >= sizeof(op_names) / sizeof(op_names[0])) {
        return "";
    }
    return op_names[op];
}

int
assert_op_parse(const char *s)
{
    for (size_t i = 1; i < sizeof(op_names) / sizeof(op_names[0]); i++) {
        if (strcmp(s, op_names[i]) == 0) {
            return (int)i;
        }
    }
    return AOP_NONE;
}

int
assert_op_needs_value(int op)
{
    return op != AOP_EXISTS;
}

struct json_doc *
json_doc_parse(const char *body, size_t len, char *err, size_t errlen)
{
    struct ph_json_err jerr;
    struct json_doc *d;
    json_t *root;

    root = ph_json_parse(body, len, PH_JSON_ANY_TOP, &jerr);
    if (root == NULL) {
        snprintf(err, errlen, "line %d: %s", jerr.line, jerr.text);
        return NULL;
    }
    d = ph_calloc(1, sizeof(*d));
    if (d == NULL) {
        json_decref(root);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    d->root = root;
    return d;
}

void
json_doc_destroy(struct json_doc *d)
{
    if (d == NULL) {
        return;
    }
    json_decref(d->root);
    ph_free(d);
}

/* The value p selects in root (borrowed), or NULL. */
static json_t *
walk(json_t *root, const struct jsonpath *p)
{
    json_t *cur = root;

    for (size_t i = 0; i < p->n && cur != NULL; i++) {
        const struct jsonpath_seg *s = &p->seg[i];

        if (s->is_index) {
            long idx = s->index;
            size_t n;

            if (!json_is_array(cur)) {
                return NULL;
            }
            n = json_array_size(cur);
            if (idx < 0) {
                idx += (long)n;
            }
            cur = idx >= 0 ? json_array_get(cur, (size_t)idx) : NULL;
        } else {
            cur = json_is_object(cur) ? json_object_get(cur, s->key) : NULL;
        }
    }
    return cur;
}

/* The value as text: strings bare, others compact JSON. Returns 0 or
 * PH_ETOOBIG / PH_ENOMEM. */
static int
value_text(const json_t *v, char *out, size_t len)
{
    struct buf b;
    int rc;

    if (json_is_string(v)) {
        if (json_string_length(v) >= len) {
            return PH_ETOOBIG;
        }
        memcpy(out, json_string_value(v), json_string_length(v) + 1);
        return 0;
    }
    buf_init(&b, len - 1);
    rc = ph_json_dump_buf(v, 0, &b);
    if (rc == 0) {
        if (b.data != NULL) {
            memcpy(out, b.data, b.len + 1);
        } else {
            out[0] = '\0';
        }
    }
    buf_free(&b);
    return rc;
}

/* The value for a message: strings quoted, all cut to SHOW_MAX bytes. */
static void
show(const json_t *v, char *out, size_t len)
{
    char text[SHOW_MAX + 1];
    struct buf b;

    if (json_is_string(v)) {
        snprintf(out, len, "\"%.*s%s\"", SHOW_MAX, json_string_value(v),
                 json_string_length(v) > SHOW_MAX ? "..." : "");
        return;
    }
    buf_init(&b, 64 * 1024);
    if (ph_json_dump_buf(v, 0, &b) != 0 || b.data == NULL) {
        snprintf(out, len, "(value)");
    } else {
        snprintf(text, sizeof(text), "%s", b.data);
        snprintf(out, len, "%s%s", text, b.len > SHOW_MAX ? "..." : "");
    }
    buf_free(&b);
}

/* Parses the whole of s as a finite number. */
static int
parse_number(const char *s, double *ret)
{
    char *end = NULL;

    if (s == NULL || *s == '\0') {
        return -1;
    }
    errno = 0;
    *ret = strtod(s, &end);
    if (errno != 0 || *end != '\0' || !isfinite(*ret)) {
        return -1;
    }
    return 0;
}

/* v == want, as the header describes. */
static int
equal_text(const json_t *v, const char *want)
{
    double a, b;

    switch (json_typeof(v)) {
    case JSON_STRING:
        return strcmp(json_string_value(v), want) == 0;
    case JSON_INTEGER:
    case JSON_REAL:
        if (parse_number(want, &b) != 0) {
            return 0;
        }
        a = json_number_value(v);
        return a == b;
    case JSON_TRUE:
        return strcmp(want, "true") == 0;
    case JSON_FALSE:
        return strcmp(want, "false") == 0;
    case JSON_NULL:
        return strcmp(want, "null") == 0;
    case JSON_OBJECT:
    case JSON_ARRAY: {
        json_t *w = ph_json_parse(want, strlen(want), PH_JSON_ANY_TOP, NULL);
        int eq = w != NULL && json_equal(v, w);
        json_decref(w);
        return eq;
    }
    }
    return 0;
}

static int
compare(double a, int op, double b)
{
    switch (op) {
    case AOP_LT:
        return a < b;
    case AOP_LE:
        return a <= b;
    case AOP_GT:
        return a > b;
    case AOP_GE:
        return a >= b;
    }
    return 0;
}

/* 1 when want is a whole non-negative number that fits a size_t. */
static int
parse_length(const char *want, size_t *ret)
{
    double d;

    if (parse_number(want, &d) != 0 || d < 0 || d > 1e15 || d != floor(d)) {
        return 0;
    }
    *ret = (size_t)d;
    return 1;
}

static int
judge_json(const char *path, const json_t *v, int op, const char *want,
           char *err, size_t errlen)
{
    char got[SHOW_MAX + 8];
    double a, b;
    size_t n, len;

    if (op == AOP_NONE) {
        op = want != NULL ? AOP_EQ : AOP_EXISTS;
    }
    if (v == NULL) {
        snprintf(err, errlen, "%s: missing", path);
        return 1;
    }
    if (op == AOP_EXISTS) {
        return 0;
    }
    if (want == NULL) {
        want = "";
    }
    show(v, got, sizeof(got));
    switch (op) {
    case AOP_EQ:
    case AOP_NE:
        if (equal_text(v, want) == (op == AOP_EQ)) {
            return 0;
        }
        snprintf(err, errlen, "%s: %s, expected %s \"%.*s\"", path, got,
                 assert_op_name(op), SHOW_MAX, want);
        return 1;
    case AOP_LT:
    case AOP_LE:
    case AOP_GT:
    case AOP_GE:
        if (!json_is_number(v)) {
            snprintf(err, errlen, "%s: %s is not a number", path, got);
            return 1;
        }
        if (parse_number(want, &b) != 0) {
            snprintf(err, errlen,
                     "%s: expected value \"%.*s\" is not a "
                     "number",
                     path, SHOW_MAX, want);
            return 1;
        }
        a = json_number_value(v);
        if (compare(a, op, b)) {
            return 0;
        }
        snprintf(err, errlen, "%s: %s, expected %s %.*s", path, got,
                 assert_op_name(op), SHOW_MAX, want);
        return 1;
    case AOP_CONTAINS:
        if (json_is_string(v)) {
            if (strstr(json_string_value(v), want) != NULL) {
                return 0;
            }
        } else if (json_is_array(v)) {
            for (size_t i = 0; i < json_array_size(v); i++) {
                if (equal_text(json_array_get(v, i), want)) {
                    return 0;
                }
            }
        } else if (json_is_object(v)) {
            if (json_object_get(v, want) != NULL) {
                return 0;
            }
        } else {
            snprintf(err, errlen, "%s: %s is not a string, array or object",
                     path, got);
            return 1;
        }
        snprintf(err, errlen, "%s: %s does not contain \"%.*s\"", path, got,
                 SHOW_MAX, want);
        return 1;
    case AOP_LENGTH:
        if (json_is_string(v)) {
            len = json_string_length(v);
        } else if (json_is_array(v)) {
            len = json_array_size(v);
        } else if (json_is_object(v)) {
            len = json_object_size(v);
        } else {
            snprintf(err, errlen, "%s: %s has no length", path, got);
            return 1;
        }
        if (!parse_length(want, &n)) {
            snprintf(err, errlen,
                     "%s: expected length \"%.*s\" is not a "
                     "whole number",
                     path, SHOW_MAX, want);
            return 1;
        }
        if (len == n) {
            return 0;
        }
        snprintf(err, errlen, "%s: length %zu, expected %zu", path, len, n);
        return 1;
    }
    snprintf(err, errlen, "%s: unknown operator", path);
    return 1;
}

int
json_assert(const struct json_doc *d, const char *path, int op,
            const char *want, char *err, size_t errlen)
{
    struct jsonpath p;
    char why[96];

    if (jsonpath_parse(path, &p, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "bad JSONPath %.60s: %s", path, why);
        return PH_EPARSE;
    }
    return judge_json(path, walk(d->root, &p), op, want, err, errlen);
}

int
json_extract(const struct json_doc *d, const char *path, char *out, size_t len,
             char *err, size_t errlen)
{
    struct jsonpath p;
    char why[96];
    json_t *v;
    int rc;

    if (jsonpath_parse(path, &p, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "bad JSONPath %.60s: %s", path, why);
        return PH_EPARSE;
    }
    v = walk(d->root, &p);
    if (v == NULL) {
        snprintf(err, errlen, "%s: missing", path);
        return 1;
    }
    rc = value_text(v, out, len);
    if (rc != 0) {
        snprintf(err, errlen, "%s: value longer than %zu bytes", path, len - 1);
    }
    return rc;
}

int
text_assert(const char *subject, const char *got, int op, const char *want,
            char *err, size_t errlen)
{
    double a, b;
    size_t n;
    int num;

    if (op == AOP_NONE) {
        op = want != NULL ? AOP_EQ : AOP_EXISTS;
    }
    if (got == NULL) {
        snprintf(err, errlen, "%s: missing", subject);
        return 1;
    }
    if (op == AOP_EXISTS) {
        return 0;
    }
    if (want == NULL) {
        want = "";
    }
    num = parse_number(got, &a) == 0 && parse_number(want, &b) == 0;
    switch (op) {
    case AOP_EQ:
        if (num ? a == b : strcmp(got, want) == 0) {
            return 0;
        }
        break;
    case AOP_NE:
        if (num ? a != b : strcmp(got, want) != 0) {
            return 0;
        }
        break;
    case AOP_LT:
    case AOP_LE:
    case AOP_GT:
    case AOP_GE:
        if (!num) {
            snprintf(err, errlen, "%s: \"%.*s\" or \"%.*s\" is not a number",
                     subject, SHOW_MAX, got, SHOW_MAX, want);
            return 1;
        }
        if (compare(a, op, b)) {
            return 0;
        }
        break;
    case AOP_CONTAINS:
        if (strstr(got, want) != NULL) {
            return 0;
        }
        snprintf(err, errlen, "%s: \"%.*s\" does not contain \"%.*s\"", subject,
                 SHOW_MAX, got, SHOW_MAX, want);
        return 1;
    case AOP_LENGTH:
        if (!parse_length(want, &n)) {
            snprintf(err, errlen,
                     "%s: expected length \"%.*s\" is not a "
                     "whole number",
                     subject, SHOW_MAX, want);
            return 1;
        }
        if (strlen(got) == n) {
            return 0;
        }
        snprintf(err, errlen, "%s: length %zu, expected %zu", subject,
                 strlen(got), n);
        return 1;
    default:
        snprintf(err, errlen, "%s: unknown operator", subject);
        return 1;
    }
    snprintf(err, errlen, "%s: \"%.*s\", expected %s \"%.*s\"", subject,
             SHOW_MAX, got, assert_op_name(op), SHOW_MAX, want);
    return 1;
}
