/*
 * api_body.h - request bodies of the management API as one JSON object,
 * whatever the client sent: JSON (with or without a Content-Type; a body
 * starting with '{' is JSON) or an x-www-form-urlencoded body in Rails
 * bracket form (incident[name]=x, incident[components][api]=major_outage,
 * incident[component_ids][]=api), whose values are all strings.
 *
 * The handlers read the tree with jansson's API (ph_json, json.h): a
 * request body is the one tree that crosses from one module to another,
 * because every management endpoint reads its own fields from it.
 *
 * Untrusted input: sizes are capped and the parser is fuzzed
 * (tests/fuzz/fuzz_api_body.c).
 */
#ifndef PH_API_BODY_H
#define PH_API_BODY_H

#include <stddef.h>

#include "json.h"

#define API_BODY_MAX_FIELDS 512   /* form pairs */
#define API_BODY_MAX_DEPTH 4      /* a[b][c][d] */
#define API_BODY_KEY_MAX 256      /* bytes of one decoded key */

/* Returns 0 and a new object in *ret (an empty body gives {}), or
 * PH_EINVAL with a message for the client in err. */
int api_body_parse(const char *body, size_t len, ph_json **ret, char *err,
                   size_t errlen);

/* Reads a boolean: JSON true/false, or the strings t/f, true/false, 1/0.
 * Returns 1/0, -1 when absent or null, -2 when not a boolean. */
int api_body_bool(const ph_json *v);

#endif
