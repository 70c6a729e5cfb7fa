/*
 * jsonpath.h - the JSONPath subset Pharos understands, parsed into
 * segments. Pure code: no I/O, no allocation, no JSON library (the
 * evaluation against a document is in json_assert.c).
 *
 * Grammar (docs/configuration.md "JSONPath subset"):
 *   path    = "$" segment*
 *   segment = "." name              $.data.token
 *           | "[" integer "]"       $.items[0], $.items[-1] (from the end)
 *           | "[" quoted "]"        $['a key with spaces'], $["x.y"]
 *   name    = 1*( ALPHA / DIGIT / "_" / "-" / "$" / "@" )
 *   quoted  = "'" chars "'" or '"' chars '"' (backslash escapes the quote
 *             and the backslash)
 * A path selects at most one value: no wildcards, slices, filters or
 * recursive descent, so an assertion always has one value to judge.
 */
#ifndef PH_JSONPATH_H
#define PH_JSONPATH_H

#include <stddef.h>

#define JSONPATH_TEXT_MAX 256 /* bytes of path text, excluding NUL */
#define JSONPATH_SEGS_MAX 16
#define JSONPATH_KEY_MAX 128 /* bytes of one key, including NUL */

struct jsonpath_seg {
    int is_index; /* 1: index, 0: key */
    long index;   /* negative counts from the end */
    char key[JSONPATH_KEY_MAX];
};

struct jsonpath {
    size_t n;
    struct jsonpath_seg seg[JSONPATH_SEGS_MAX];
};

/*
 * Parses text (borrowed, NUL-terminated) into *ret. Returns 0, or
 * PH_EPARSE and writes a message naming the character position into
 * err[0..errlen) ("at character 4: expected a name after '.'").
 */
int jsonpath_parse(const char *text, struct jsonpath *ret, char *err,
                   size_t errlen);

#endif
