/*
 * json.h - the one place that serialises with jansson, and the only
 * header that names its types.
 *
 * Trees are built and read with jansson's own API in the .c files that
 * include this header; text comes out only through ph_json_dump() and
 * ph_json_dump_buf() (compact, object members in insertion order, always
 * under a caller's size cap) and goes in through ph_json_parse().
 *
 * Between modules, functions exchange serialised text or plain structs.
 * ph_json is the tree type for the few internal headers that must hand a
 * tree from one file of a module to another (feed_int.h, pharosctl.h) or
 * a parsed request body to its handlers (api_body.h).
 *
 * Pure functions, no globals: any thread may call them on trees it owns.
 */
#ifndef PH_JSON_H
#define PH_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "buf.h"

typedef json_t ph_json;

/* Dump flags; 0 is compact. */
#define PH_JSON_PRETTY 0x1       /* two-space indentation */
#define PH_JSON_SHORT_REALS 0x2  /* reals with 6 significant digits */
#define PH_JSON_LF 0x4           /* a newline after the text */

/* ph_json_parse() flags. */
#define PH_JSON_REJECT_DUPS 0x1  /* an object with a key twice is an error */
#define PH_JSON_ANY_TOP 0x2      /* any value may be the top, not only an
                                    object or an array */

/* Where and why text did not parse (text is jansson's message). */
struct ph_json_err {
    int line;
    int column;
    char text[160];
};

/*
 * Serialises root into a new NUL-terminated buffer (*ret, free with
 * ph_free; *ret_len excludes the NUL). Takes root (NULL, as a failed
 * builder returns, gives PH_ENOMEM). Returns 0, PH_ETOOBIG when the text
 * would be longer than max bytes, or PH_ENOMEM; *ret is untouched then.
 */
int ph_json_dump(ph_json *root, unsigned flags, size_t max, char **ret,
                 size_t *ret_len);

/*
 * Appends v (borrowed; any value, not only objects and arrays) as text to
 * out, within out's cap. Returns 0, PH_ETOOBIG or PH_ENOMEM; on failure
 * out is left as it was.
 */
int ph_json_dump_buf(const ph_json *v, unsigned flags, struct buf *out);

/*
 * Parses len bytes of text (borrowed; need not be NUL-terminated) into a
 * new tree (json_decref() it), or returns NULL and, if err is not NULL,
 * fills it. The top must be an object or an array, unless flags has
 * PH_JSON_ANY_TOP.
 */
ph_json *ph_json_parse(const char *text, size_t len, unsigned flags,
                       struct ph_json_err *err);

/* Returns new: an ISO 8601 UTC time string, or null for ms <= 0. */
ph_json *ph_json_time(int64_t ms);
/* Returns new: a copy of s (borrowed), or null for NULL. */
ph_json *ph_json_str(const char *s);

#endif
