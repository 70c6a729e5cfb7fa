/*
 * jsonpath.c - parsing the JSONPath subset (jsonpath.h). Written by hand:
 * jansson has no path queries and the subset is a few lines; the libraries
 * that do JSONPath bring their own JSON trees.
 */
#include "jsonpath.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ph_err.h"

static int
name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '$' ||
           c == '@';
}

static int
fail(char *err, size_t errlen, size_t pos, const char *what)
{
    if (err != NULL && errlen > 0) {
        snprintf(err, errlen, "at character %zu: %s", pos + 1, what);
    }
    return PH_EPARSE;
}

/* A quoted key at p (on the quote); returns the index after the closing
 * quote, or 0 on error (err set). */
static size_t
quoted_key(const char *text, size_t p, struct jsonpath_seg *s, char *err,
           size_t errlen)
{
    char q = text[p];
    size_t n = 0;

    p++;
    while (text[p] != q) {
        char c = text[p];

        if (c == '\0') {
            fail(err, errlen, p, "unterminated quoted key");
            return 0;
        }
        if (c == '\\') {
            if (text[p + 1] != q && text[p + 1] != '\\') {
                fail(err, errlen, p, "only \\' \\\" and \\\\ are escapes");
                return 0;
            }
            c = text[++p];
        }
        if (n + 1 >= sizeof(s->key)) {
            fail(err, errlen, p, "key too long");
            return 0;
        }
        s->key[n++] = c;
        p++;
    }
    s->key[n] = '\0';
    return p + 1;
}

int
jsonpath_parse(const char *text, struct jsonpath *ret, char *err, size_t errlen)
{
    size_t len = strlen(text);
    size_t p = 1;

    memset(ret, 0, sizeof(*ret));
    if (len > JSONPATH_TEXT_MAX) {
        return fail(err, errlen, JSONPATH_TEXT_MAX, "path too long");
    }
    if (text[0] != '$') {
        return fail(err, errlen, 0, "a path starts with '$'");
    }
    while (text[p] != '\0') {
        struct jsonpath_seg *s;

        if (ret->n >= JSONPATH_SEGS_MAX) {
            return fail(err, errlen, p, "too many segments");
        }
        s = &ret->seg[ret->n];
        if (text[p] == '.') {
            size_t n = 0;

            p++;
            while (name_char(text[p + n])) {
                n++;
            }
            if (n == 0) {
                return fail(err, errlen, p, "expected a name after '.'");
            }
            if (n >= sizeof(s->key)) {
                return fail(err, errlen, p, "key too long");
            }
            memcpy(s->key, text + p, n);
            s->key[n] = '\0';
            p += n;
        } else if (text[p] == '[') {
            p++;
            if (text[p] == '\'' || text[p] == '"') {
                p = quoted_key(text, p, s, err, errlen);
                if (p == 0) {
                    return PH_EPARSE;
                }
            } else {
                char *end = NULL;
                long v;

                if (text[p] != '-' && (text[p] < '0' || text[p] > '9')) {
                    return fail(err, errlen, p,
                                "expected an index or a quoted key after '['");
                }
                errno = 0;
                v = strtol(text + p, &end, 10);
                if (errno != 0 || end == text + p || v > 1000000 ||
                    v < -1000000) {
                    return fail(err, errlen, p, "bad index");
                }
                p = (size_t)(end - text);
                s->is_index = 1;
                s->index = v;
            }
            if (text[p] != ']') {
                return fail(err, errlen, p, "expected ']'");
            }
            p++;
        } else {
            return fail(err, errlen, p, "expected '.' or '['");
        }
        ret->n++;
    }
    return 0;
}
