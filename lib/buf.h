/*
 * buf.h - a growable byte buffer with a hard cap (curl dynbuf idea).
 *
 * buf_init() sets the cap; appends beyond it fail with PH_ETOOBIG and leave
 * the buffer unchanged, and b->err keeps the first such error so a writer
 * of many appends (conf_print) can be checked once at the end. The data is always NUL-terminated for convenience.
 * A struct buf is caller-owned; buf_free() frees its contents only.
 */
#ifndef PH_BUF_H
#define PH_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max;
    int err;      /* first failed append's error, kept until buf_reset */
};

void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);
int buf_append(struct buf *b, const void *p, size_t n);
int buf_appends(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Hands the data to the caller (returns new; free with ph_free) and resets. */
char *buf_steal(struct buf *b, size_t *ret_len);

/* Appends s (NULL appends nothing) escaped for HTML and XML text and
 * attribute values: & < > " ' become entities. Returns 0 or PH_E*. */
int buf_append_html(struct buf *b, const char *s);

#endif
