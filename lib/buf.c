#include "buf.h"

#include <stdio.h>
#include <string.h>

#include "mem.h"
#include "ph_err.h"

void
buf_init(struct buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
    b->err = 0;
}

void
buf_free(struct buf *b)
{
    ph_free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->err = 0;
}

void
buf_reset(struct buf *b)
{
    b->len = 0;
    b->err = 0;
    if (b->data != NULL) {
        b->data[0] = '\0';
    }
}

static int
reserve(struct buf *b, size_t extra)
{
    size_t need;
    size_t ncap;
    char *p;

    if (extra > b->max || b->len > b->max - extra) {
        b->err = b->err ? b->err : PH_ETOOBIG;
        return PH_ETOOBIG;
    }
    need = b->len + extra + 1;
    if (need <= b->cap) {
        return 0;
    }
    ncap = b->cap ? b->cap : 64;
    while (ncap < need) {
        ncap *= 2;
    }
    if (ncap > b->max + 1) {
        ncap = b->max + 1;
    }
    p = ph_realloc(b->data, ncap);
    if (p == NULL) {
        b->err = b->err ? b->err : PH_ENOMEM;
        return PH_ENOMEM;
    }
    b->data = p;
    b->cap = ncap;
    return 0;
}

int
buf_append(struct buf *b, const void *p, size_t n)
{
    int rc = reserve(b, n);

    if (rc != 0) {
        return rc;
    }
    if (n > 0) {
        memcpy(b->data + b->len, p, n);
    }
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int
buf_appends(struct buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;
    int rc;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        return PH_EINVAL;
    }
    rc = reserve(b, (size_t)n);
    if (rc != 0) {
        return rc;
    }
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

char *
buf_steal(struct buf *b, size_t *ret_len)
{
    char *d = b->data;

    if (d == NULL) {
        d = ph_strdup("");
    }
    if (ret_len != NULL) {
        *ret_len = b->len;
    }
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return d;
}

int
buf_append_html(struct buf *b, const char *s)
{
    const char *run = s;
    int rc = 0;

    if (s == NULL) {
        return 0;
    }
    for (; *s != '\0' && rc == 0; s++) {
        const char *rep;

        switch (*s) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        default:
            continue;
        }
        rc = buf_append(b, run, (size_t)(s - run));
        if (rc == 0) {
            rc = buf_appends(b, rep);
        }
        run = s + 1;
    }
    if (rc == 0) {
        rc = buf_appends(b, run);
    }
    return rc;
}
