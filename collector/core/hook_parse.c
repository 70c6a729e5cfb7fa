/*
 * hook_parse.c - shared pieces of the PagerDuty and Opsgenie payload
 * parsers (see hook_parse.h).
 */
#include "hook_parse.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "ph_err.h"
#include "utf8.h"

int
hook_fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return rc;
}

int
hook_load(const char *body, size_t len, void *ret_doc, char *err,
          size_t errlen)
{
    struct ph_json_err jerr;
    json_t *doc;

    memset(ret_doc, 0, sizeof(json_t *));
    doc = ph_json_parse(body, len, PH_JSON_REJECT_DUPS, &jerr);
    if (doc == NULL) {
        return hook_fail(err, errlen, PH_EPARSE,
                         "malformed JSON at line %d column %d: %s", jerr.line,
                         jerr.column, jerr.text);
    }
    if (!json_is_object(doc)) {
        json_decref(doc);
        return hook_fail(err, errlen, PH_EPARSE,
                         "the body must be a JSON object");
    }
    memcpy(ret_doc, &doc, sizeof(doc));
    return 0;
}

int
hook_str(const void *obj, const char *key, int required, size_t max,
         const char *what, const char **ret, char *err, size_t errlen)
{
    json_t *v = json_object_get((const json_t *)obj, key);
    size_t n;

    *ret = NULL;
    if (v == NULL || json_is_null(v)) {
        return required ? hook_fail(err, errlen, PH_EPARSE, "%s is missing",
                                    what)
                        : 0;
    }
    if (!json_is_string(v)) {
        return hook_fail(err, errlen, PH_EPARSE, "%s must be a string", what);
    }
    n = json_string_length(v);
    if (strlen(json_string_value(v)) != n) {
        return hook_fail(err, errlen, PH_EPARSE, "%s holds a NUL", what);
    }
    if (required && n == 0) {
        return hook_fail(err, errlen, PH_EPARSE, "%s is empty", what);
    }
    if (n > max) {
        return hook_fail(err, errlen, PH_ETOOBIG,
                         "%s is longer than %zu bytes", what, max);
    }
    *ret = json_string_value(v);
    return 0;
}

void
hook_arena_init(struct hook_arena *a, char *base, size_t len)
{
    a->base = base;
    a->len = len;
    a->used = 0;
}

const char *
hook_arena_cut(struct hook_arena *a, const char *s, size_t max)
{
    size_t n = strlen(s);
    char *out;

    if (n <= max) {
        return s;
    }
    n = utf8_cut(s, n, max);
    if (a->len - a->used < n + 1) {
        return "";
    }
    out = a->base + a->used;
    memcpy(out, s, n);
    out[n] = '\0';
    a->used += n + 1;
    return out;
}

const char *
hook_arena_printf(struct hook_arena *a, const char *fmt, ...)
{
    va_list ap;
    char *out = a->base + a->used;
    size_t room = a->len - a->used;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(out, room, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= room) {
        return NULL;
    }
    a->used += (size_t)n + 1;
    return out;
}
