/*
 * api_body.c - JSON or Rails-form request bodies as JSON (api_body.h).
 */
#include "api_body.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "mem.h"
#include "ph_err.h"

static int
hexval(int ch)
{
    if (ch >= '0' && ch <= '9') {
        return ch - '0';
    }
    ch = tolower(ch);
    return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* URL-decodes [p, end) into a new NUL-terminated string. */
static char *
decode(const char *p, const char *end)
{
    char *out = ph_malloc((size_t)(end - p) + 1);
    size_t o = 0;

    if (out == NULL) {
        return NULL;
    }
    for (; p < end; p++) {
        if (*p == '%' && end - p > 2 && hexval(p[1]) >= 0 &&
            hexval(p[2]) >= 0) {
            out[o++] = (char)(hexval(p[1]) * 16 + hexval(p[2]));
            p += 2;
        } else {
            out[o++] = *p == '+' ? ' ' : *p;
        }
    }
    out[o] = '\0';
    return out;
}

/* Splits "a[b][]" into parts {"a", "b", ""}. Returns the count or -1. */
static int
split_key(char *key, char *parts[API_BODY_MAX_DEPTH])
{
    char *p = strchr(key, '[');
    int n = 1;

    parts[0] = key;
    if (p == NULL) {
        return key[0] != '\0' ? 1 : -1;
    }
    if (p == key) {
        return -1;
    }
    while (p != NULL && *p == '[') {
        char *close = strchr(p, ']');

        if (close == NULL || n == API_BODY_MAX_DEPTH) {
            return -1;
        }
        *p = '\0';
        *close = '\0';
        parts[n++] = p + 1;
        p = close + 1;
        if (*p != '\0' && *p != '[') {
            return -1;
        }
    }
    return n;
}

/* Stores value at parts in root (objects created on the way; "" appends
 * to an array). Returns 0 or -1 on a type clash. */
static int
put(json_t *root, char *parts[], int n, const char *value)
{
    json_t *cur = root;

    for (int i = 0; i < n; i++) {
        int last = i == n - 1;
        int next_is_array = !last && parts[i + 1][0] == '\0';

        if (parts[i][0] == '\0') {
            /* a[]=x: arrays hold strings only. */
            if (!json_is_array(cur) || !last) {
                return -1;
            }
            return json_array_append_new(cur, json_string(value)) == 0 ? 0
                                                                       : -1;
        }
        if (!json_is_object(cur)) {
            return -1;
        }
        if (last) {
            return json_object_set_new(cur, parts[i], json_string(value)) == 0
                       ? 0
                       : -1;
        }
        {
            json_t *child = json_object_get(cur, parts[i]);
            if (child == NULL) {
                child = next_is_array ? json_array() : json_object();
                if (json_object_set_new(cur, parts[i], child) != 0) {
                    return -1;
                }
            }
            cur = child;
        }
    }
    return 0;
}

static int
parse_form(const char *body, size_t len, json_t *root, char *err,
           size_t errlen)
{
    const char *p = body;
    const char *end = body + len;
    int nfields = 0;

    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *pe = amp != NULL ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(pe - p));
        char *key = NULL, *value = NULL;
        char *parts[API_BODY_MAX_DEPTH];
        int n, rc = 0;

        if (pe == p) {
            p = pe + 1;
            continue;
        }
        if (++nfields > API_BODY_MAX_FIELDS) {
            snprintf(err, errlen, "more than %d form fields",
                     API_BODY_MAX_FIELDS);
            return PH_EINVAL;
        }
        key = decode(p, eq != NULL ? eq : pe);
        value = decode(eq != NULL ? eq + 1 : pe, pe);
        if (key == NULL || value == NULL) {
            ph_free(key);
            ph_free(value);
            snprintf(err, errlen, "out of memory");
            return PH_ENOMEM;
        }
        if (strlen(key) >= API_BODY_KEY_MAX ||
            (n = split_key(key, parts)) < 0 ||
            put(root, parts, n, value) != 0) {
            snprintf(err, errlen, "malformed form field near byte %zu",
                     (size_t)(p - body));
            rc = PH_EINVAL;
        }
        ph_free(key);
        ph_free(value);
        if (rc != 0) {
            return rc;
        }
        p = pe + 1;
    }
    return 0;
}

int
api_body_parse(const char *body, size_t len, json_t **ret, char *err,
               size_t errlen)
{
    size_t i = 0;
    json_t *root;
    int rc;

    while (i < len && isspace((unsigned char)body[i])) {
        i++;
    }
    if (i < len && (body[i] == '{' || body[i] == '[')) {
        struct ph_json_err jerr;

        root = ph_json_parse(body, len, PH_JSON_REJECT_DUPS, &jerr);
        if (root == NULL) {
            snprintf(err, errlen, "malformed JSON body: %s at line %d",
                     jerr.text, jerr.line);
            return PH_EINVAL;
        }
        if (!json_is_object(root)) {
            json_decref(root);
            snprintf(err, errlen, "the JSON body must be an object");
            return PH_EINVAL;
        }
        *ret = root;
        return 0;
    }
    root = json_object();
    if (root == NULL) {
        snprintf(err, errlen, "out of memory");
        return PH_ENOMEM;
    }
    rc = parse_form(body + i, len - i, root, err, errlen);
    if (rc != 0) {
        json_decref(root);
        return rc;
    }
    *ret = root;
    return 0;
}

int
api_body_bool(const json_t *v)
{
    const char *s;

    if (v == NULL || json_is_null(v)) {
        return -1;
    }
    if (json_is_boolean(v)) {
        return json_is_true(v);
    }
    if (json_is_integer(v)) {
        return json_integer_value(v) != 0;
    }
    if (!json_is_string(v)) {
        return -2;
    }
    s = json_string_value(v);
    if (strcmp(s, "t") == 0 || strcmp(s, "true") == 0 ||
        strcmp(s, "1") == 0) {
        return 1;
    }
    if (strcmp(s, "f") == 0 || strcmp(s, "false") == 0 ||
        strcmp(s, "0") == 0) {
        return 0;
    }
    return -2;
}
