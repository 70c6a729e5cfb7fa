/*
 * hook_parse.h - what the PagerDuty and Opsgenie parsers share: loading
 * a JSON object, typed and capped field reads with messages naming the
 * field, and a fixed arena for the texts they cut to size. Internal to
 * pagerduty_map.c and opsgenie_map.c; json_t stays in the .c files.
 */
#ifndef PH_HOOK_PARSE_H
#define PH_HOOK_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* Writes the message into err and returns rc. */
int hook_fail(char *err, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Parses body[0..len) as a JSON object (duplicate keys refused) into
 * *ret_doc (returns new json_t *, freed with json_decref). Returns 0 or
 * PH_EPARSE with a message. */
int hook_load(const char *body, size_t len, void *ret_doc, char *err,
              size_t errlen);

/* The string member key of object obj into *ret (borrowed from obj, NULL
 * when absent and optional). A member that is not a string, is empty
 * while required, holds a NUL or is longer than max bytes is an error
 * naming what. Returns 0, PH_EPARSE or PH_ETOOBIG. */
int hook_str(const void *obj, const char *key, int required, size_t max,
             const char *what, const char **ret, char *err, size_t errlen);

/* Bytes to keep texts cut to size (in struct hook_doc). */
struct hook_arena {
    char *base;
    size_t len;
    size_t used;
};
void hook_arena_init(struct hook_arena *a, char *base, size_t len);
/* A copy of s cut at a character boundary to at most max bytes, or s
 * itself when it fits; "" if the arena is full. */
const char *hook_arena_cut(struct hook_arena *a, const char *s, size_t max);
/* A formatted string in the arena, or NULL when it does not fit. */
const char *hook_arena_printf(struct hook_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
