/*
 * template.c - variables, `{{name}}` substitution and secret masking
 * (template.h).
 */
#include "template.h"

#include <stdio.h>
#include <string.h>

#include "mem.h"
#include "ph_err.h"

#define REDACTED "***"
/* A cut copy of a secret is masked from this many bytes on (anywhere),
 * or from REDACT_TAIL_MIN at the very end of the text. */
#define REDACT_PREFIX_MIN 8
#define REDACT_TAIL_MIN 3

void
tvars_init(struct tvars *vs)
{
    memset(vs, 0, sizeof(*vs));
}

void
tvars_free(struct tvars *vs)
{
    for (size_t i = 0; i < vs->n; i++) {
        ph_free(vs->v[i].value);
    }
    memset(vs, 0, sizeof(*vs));
}

int
template_name_ok(const char *s)
{
    size_t n = 0;

    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_')) {
        return 0;
    }
    for (; s[n] != '\0'; n++) {
        char c = s[n];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_')) {
            return 0;
        }
    }
    return n < TVAR_NAME_MAX;
}

int
tvars_set(struct tvars *vs, const char *name, const char *value, size_t len,
          int secret)
{
    struct tvar *v = NULL;
    char *copy;

    if (!template_name_ok(name)) {
        return PH_EINVAL;
    }
    if (len > TVAR_VALUE_MAX) {
        return PH_ETOOBIG;
    }
    for (size_t i = 0; i < vs->n; i++) {
        if (strcmp(vs->v[i].name, name) == 0) {
            v = &vs->v[i];
        }
    }
    if (v == NULL && vs->n >= TVARS_MAX) {
        return PH_ETOOBIG;
    }
    copy = ph_strndup(value, len);
    if (copy == NULL) {
        return PH_ENOMEM;
    }
    if (v == NULL) {
        v = &vs->v[vs->n++];
        snprintf(v->name, sizeof(v->name), "%s", name);
    }
    ph_free(v->value);
    v->value = copy;
    v->len = len;
    /* Once secret, always secret: a later plain value does not unmask
     * what an earlier one may have revealed. */
    v->secret |= secret;
    return 0;
}

const char *
tvars_get(const struct tvars *vs, const char *name)
{
    for (size_t i = 0; i < vs->n; i++) {
        if (strcmp(vs->v[i].name, name) == 0) {
            return vs->v[i].value;
        }
    }
    return NULL;
}

/* The name between "{{" at text+p and "}}": into name, spaces trimmed.
 * Returns the offset after "}}", or 0 on a bad reference. */
static size_t
reference(const char *text, size_t p, char *name, size_t len)
{
    const char *start = text + p + 2;
    const char *end = strstr(start, "}}");
    size_t n;

    if (end == NULL) {
        return 0;
    }
    while (start < end && *start == ' ') {
        start++;
    }
    n = (size_t)(end - start);
    while (n > 0 && start[n - 1] == ' ') {
        n--;
    }
    if (n == 0 || n >= len) {
        return 0;
    }
    memcpy(name, start, n);
    name[n] = '\0';
    if (!template_name_ok(name)) {
        return 0;
    }
    return (size_t)(end - text) + 2;
}

int
template_each(const char *text, int (*cb)(const char *name, void *arg),
              void *arg, size_t *ret_pos)
{
    char name[TVAR_NAME_MAX];
    const char *p = text;

    while ((p = strstr(p, "{{")) != NULL) {
        size_t at = (size_t)(p - text);
        size_t next = reference(text, at, name, sizeof(name));
        int rc;

        if (next == 0) {
            if (ret_pos != NULL) {
                *ret_pos = at;
            }
            return PH_EPARSE;
        }
        rc = cb(name, arg);
        if (rc != 0) {
            if (ret_pos != NULL) {
                *ret_pos = at;
            }
            return rc;
        }
        p = text + next;
    }
    return 0;
}

int
template_expand(const char *text, const struct tvars *vs, struct buf *out,
                char *err, size_t errlen)
{
    char name[TVAR_NAME_MAX];
    const char *p = text;
    const char *open;
    int rc;

    while ((open = strstr(p, "{{")) != NULL) {
        size_t next =
            reference(text, (size_t)(open - text), name, sizeof(name));
        const char *v;

        rc = buf_append(out, p, (size_t)(open - p));
        if (rc != 0) {
            return rc;
        }
        if (next == 0) {
            snprintf(err, errlen, "bad {{...}} reference");
            return PH_EPARSE;
        }
        v = tvars_get(vs, name);
        if (v == NULL) {
            snprintf(err, errlen, "undefined variable '%s'", name);
            return PH_ENOENT;
        }
        rc = buf_appends(out, v);
        if (rc != 0) {
            return rc;
        }
        p = text + next;
    }
    rc = buf_appends(out, p);
    if (rc == 0 && out->data == NULL) {
        rc = buf_append(out, "", 0);
    }
    return rc;
}

/* How much of secret v starts at p: its whole length when the text holds
 * it all, or a cut copy of it worth masking (a value shown to 40 bytes,
 * a message cut at its end). 0 otherwise. */
static size_t
secret_at(const struct tvar *v, const char *p)
{
    size_t m = 0;

    while (m < v->len && p[m] != '\0' && p[m] == v->value[m]) {
        m++;
    }
    if (m == v->len || m >= REDACT_PREFIX_MIN ||
        (p[m] == '\0' && m >= REDACT_TAIL_MIN)) {
        return m;
    }
    return 0;
}

void
tvars_redact(const struct tvars *vs, char *text, size_t cap)
{
    size_t rlen = strlen(REDACTED);
    size_t at = 0;

    while (text[at] != '\0') {
        size_t m = 0;

        for (size_t i = 0; i < vs->n && m == 0; i++) {
            if (vs->v[i].secret && vs->v[i].len > 0) {
                m = secret_at(&vs->v[i], text + at);
            }
        }
        if (m == 0) {
            at++;
            continue;
        }
        {
            size_t tail = strlen(text + at + m);

            /* The text grows by rlen - m at most; cut the tail when it
             * would overflow, never the mask. */
            if (at + rlen + 1 > cap) {
                text[at] = '\0';
                return;
            }
            if (at + rlen + tail + 1 > cap) {
                tail = cap - at - rlen - 1;
            }
            memmove(text + at + rlen, text + at + m, tail);
            memcpy(text + at, REDACTED, rlen);
            text[at + rlen + tail] = '\0';
            at += rlen;
        }
    }
}
