/*
 * json_assert.h - assertions on response values: a JSON value selected by
 * a JSONPath (jsonpath.h) or a text value such as a header, judged by an
 * operator against an expected text. Pure code (no I/O); the second and
 * last file that uses jansson, behind the opaque struct json_doc.
 *
 * Operators (docs/configuration.md "Assertions"):
 *   ==, !=    numbers compare as numbers, true/false/null by name, strings
 *             as text, arrays and objects as JSON (the value is JSON text)
 *   < <= > >= both sides numbers
 *   contains  a substring of a string, an element of an array (by ==), a
 *             key of an object
 *   exists    the path selects a value (null counts)
 *   length    the length of a string (bytes), array or object equals the
 *             expected integer
 * Failure messages name the subject and both sides, e.g.
 * `$.token: missing`, `$.count: 2, expected >= 3`; values are cut to 40
 * bytes so a message fits a result's error text.
 */
#ifndef PH_JSON_ASSERT_H
#define PH_JSON_ASSERT_H

#include <stddef.h>

enum assert_op {
    AOP_NONE = 0, /* not given: exists without a value, else == */
    AOP_EQ,
    AOP_NE,
    AOP_LT,
    AOP_LE,
    AOP_GT,
    AOP_GE,
    AOP_CONTAINS,
    AOP_EXISTS,
    AOP_LENGTH,
};

/* "==" ... "length"; "" for AOP_NONE. */
const char *assert_op_name(int op);
/* The operator named s, or AOP_NONE. */
int assert_op_parse(const char *s);
/* 1 when op needs an expected value (all but exists). */
int assert_op_needs_value(int op);

struct json_doc;

/* Parses len bytes of body (borrowed) as JSON; returns new, or NULL with
 * the reason in err ("line 1: ..."). Any JSON value may be the top. */
struct json_doc *json_doc_parse(const char *body, size_t len, char *err,
                                size_t errlen);
/* Accepts NULL. */
void json_doc_destroy(struct json_doc *d);

/*
 * Judges the value at path (text, borrowed) in d by op against want
 * (borrowed; ignored by exists). Returns 0 when it holds, 1 when it does
 * not (the reason in err), or PH_EPARSE for a bad path (err says where).
 */
int json_assert(const struct json_doc *d, const char *path, int op,
                const char *want, char *err, size_t errlen);

/*
 * Writes the value at path as text into out[0..len): a string as it is,
 * anything else as compact JSON. Returns 0, 1 when the path selects
 * nothing (err says so), PH_ETOOBIG when the value does not fit, or
 * PH_EPARSE for a bad path.
 */
int json_extract(const struct json_doc *d, const char *path, char *out,
                 size_t len, char *err, size_t errlen);

/*
 * Judges a text value (got: borrowed, NULL when absent) by op against
 * want. subject names it in messages ("header Content-Type"). Numbers
 * compare as numbers for < <= > >= (and == != when both parse as
 * numbers); length is the length in bytes. Returns 0 or 1 as above.
 */
int text_assert(const char *subject, const char *got, int op, const char *want,
                char *err, size_t errlen);

#endif
