/*
 * json.c - serialising and parsing with jansson (json.h).
 */
#include "json.h"

#include <stdio.h>

#include "mem.h"
#include "ph_err.h"
#include "timefmt.h"

/* jansson keeps insertion order since 2.8; PRESERVE_ORDER says it for
 * older ones. ENCODE_ANY lets a bare string or number be written. */
#define BASE_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY)

struct sink {
    struct buf *out;
    int error;
};

/* jansson hands the text over in pieces; each goes straight into the
 * capped buffer, so there is one pass and no scratch copy. */
static int
sink_write(const char *p, size_t n, void *arg)
{
    struct sink *s = arg;
    int rc = buf_append(s->out, p, n);

    if (rc != 0) {
        s->error = rc;
        return -1;
    }
    return 0;
}

int
ph_json_dump_buf(const ph_json *v, unsigned flags, struct buf *out)
{
    size_t jflags = BASE_FLAGS;
    size_t start = out->len;
    struct sink s = {out, 0};

    if (v == NULL) {
        return PH_EINVAL;
    }
    if (flags & PH_JSON_PRETTY) {
        jflags = (jflags & ~(size_t)JSON_COMPACT) | JSON_INDENT(2);
    }
    if (flags & PH_JSON_SHORT_REALS) {
        jflags |= JSON_REAL_PRECISION(6);
    }
    if (json_dump_callback(v, sink_write, &s, jflags) != 0 ||
        ((flags & PH_JSON_LF) && sink_write("\n", 1, &s) != 0)) {
        /* Undo a partial write: the buffer is as the caller left it. */
        out->len = start;
        if (out->data != NULL) {
            out->data[start] = '\0';
        }
        return s.error != 0 ? s.error : PH_ENOMEM;
    }
    return 0;
}

int
ph_json_dump(ph_json *root, unsigned flags, size_t max, char **ret,
             size_t *ret_len)
{
    struct buf b;
    int rc;

    if (root == NULL) {
        return PH_ENOMEM;
    }
    buf_init(&b, max);
    rc = ph_json_dump_buf(root, flags, &b);
    json_decref(root);
    if (rc == 0 && b.data == NULL) {
        rc = PH_ENOMEM;   /* jansson wrote nothing: cannot happen */
    }
    if (rc != 0) {
        buf_free(&b);
        return rc;
    }
    *ret = buf_steal(&b, ret_len);
    return 0;
}

ph_json *
ph_json_parse(const char *text, size_t len, unsigned flags,
              struct ph_json_err *err)
{
    size_t jflags = 0;
    json_error_t jerr;
    json_t *v;

    if (flags & PH_JSON_REJECT_DUPS) {
        jflags |= JSON_REJECT_DUPLICATES;
    }
    if (flags & PH_JSON_ANY_TOP) {
        jflags |= JSON_DECODE_ANY;
    }
    v = json_loadb(text != NULL ? text : "", text != NULL ? len : 0, jflags,
                   &jerr);
    if (v == NULL && err != NULL) {
        err->line = jerr.line;
        err->column = jerr.column;
        snprintf(err->text, sizeof(err->text), "%s", jerr.text);
    }
    return v;
}

ph_json *
ph_json_time(int64_t ms)
{
    char iso[ISO8601_MAX];

    if (ms <= 0) {
        return json_null();
    }
    time_iso8601(ms, iso);
    return json_string(iso);
}

ph_json *
ph_json_str(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}
