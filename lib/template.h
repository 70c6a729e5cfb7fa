/*
 * template.h - variables of a multi-step check and `{{name}}` substitution
 * in its URLs, headers, bodies and expected values; and masking of the
 * secret ones in any text that leaves the probe. Pure code, no I/O.
 *
 * A name is [A-Za-z_][A-Za-z0-9_]*, written `{{name}}` or `{{ name }}`.
 * Text without "{{" is copied as is; "{{" must be closed by "}}".
 */
#ifndef PH_TEMPLATE_H
#define PH_TEMPLATE_H

#include <stddef.h>

#include "buf.h"

#define TVARS_MAX 48
#define TVAR_NAME_MAX 64    /* bytes, including NUL */
#define TVAR_VALUE_MAX 8192 /* bytes, excluding NUL */

struct tvar {
    char name[TVAR_NAME_MAX];
    char *value; /* owned */
    size_t len;
    int secret; /* masked by tvars_redact() */
};

/* Caller-owned; tvars_init() then tvars_free() (frees the values). */
struct tvars {
    size_t n;
    struct tvar v[TVARS_MAX];
};

void tvars_init(struct tvars *vs);
void tvars_free(struct tvars *vs);
/* Sets name (borrowed) to a copy of value[0..len). Returns 0, PH_EINVAL
 * for a bad name, PH_ETOOBIG (value too long or too many variables) or
 * PH_ENOMEM. */
int tvars_set(struct tvars *vs, const char *name, const char *value, size_t len,
              int secret);
/* The value of name (borrowed), or NULL. */
const char *tvars_get(const struct tvars *vs, const char *name);

/* 1 when s is a valid variable name. */
int template_name_ok(const char *s);

/*
 * Calls cb(name, arg) for each `{{name}}` in text (name NUL-terminated,
 * borrowed for the call). Returns 0; PH_EPARSE when a "{{" is not closed
 * or holds a bad name (*ret_pos, when not NULL, is its byte offset); or
 * the first nonzero value cb returns.
 */
int template_each(const char *text, int (*cb)(const char *name, void *arg),
                  void *arg, size_t *ret_pos);

/*
 * Appends text with every `{{name}}` replaced by its value to out (capped
 * by out). Returns 0; PH_ENOENT with the unknown name in err; PH_EPARSE;
 * PH_ETOOBIG or PH_ENOMEM. out may hold a partial result on failure.
 */
int template_expand(const char *text, const struct tvars *vs, struct buf *out,
                    char *err, size_t errlen);

/* Replaces, in place, every occurrence of a secret variable's value in
 * text (NUL-terminated, cap bytes of room) with "***"; also a cut copy of
 * one (its first 8 or more bytes anywhere, as a message shows a long
 * value to 40 bytes; its first 3 or more at the very end, where a message
 * was cut), so no part of a secret that matters is left. */
void tvars_redact(const struct tvars *vs, char *text, size_t cap);

#endif
