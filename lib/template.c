/*
 * template.c - "{{field}}" placeholders of incident templates (see
 * template.h).
 */
#include "template.h"

#include <string.h>

/* The value of field name[0..n), or NULL when it is not a field. */
static const char *
lookup(const char *name, size_t n, const struct template_values *v,
       int *ret_known)
{
    static const struct template_values none = {NULL, NULL, NULL};
    const struct template_values *vals = v != NULL ? v : &none;

    *ret_known = 1;
    if ((n == 9 && memcmp(name, "component", 9) == 0) ||
        (n == 10 && memcmp(name, "components", 10) == 0)) {
        return vals->components;
    }
    if (n == 5 && memcmp(name, "title", 5) == 0) {
        return vals->title;
    }
    if (n == 4 && memcmp(name, "page", 4) == 0) {
        return vals->page;
    }
    *ret_known = 0;
    return NULL;
}

/* At p ("{{"): the field's name start and length (spaces trimmed), and
 * where the placeholder ends; 0 when there is no closing "}}". */
static int
placeholder(const char *p, const char **ret_name, size_t *ret_n,
            const char **ret_end)
{
    const char *close = strstr(p + 2, "}}");
    const char *s = p + 2, *e;

    if (close == NULL) {
        return 0;
    }
    e = close;
    while (s < e && *s == ' ') {
        s++;
    }
    while (e > s && e[-1] == ' ') {
        e--;
    }
    *ret_name = s;
    *ret_n = (size_t)(e - s);
    *ret_end = close + 2;
    return 1;
}

int
template_check(const char *text, char bad[TEMPLATE_FIELD_MAX + 1])
{
    const char *p = text;

    bad[0] = '\0';
    while ((p = strstr(p, "{{")) != NULL) {
        const char *name, *end;
        size_t n;
        int known;

        if (!placeholder(p, &name, &n, &end)) {
            memcpy(bad, "{{ without }}", 14);
            return -1;
        }
        (void)lookup(name, n, NULL, &known);
        if (!known) {
            n = n > TEMPLATE_FIELD_MAX ? TEMPLATE_FIELD_MAX : n;
            memcpy(bad, name, n);
            bad[n] = '\0';
            return -1;
        }
        p = end;
    }
    return 0;
}

static int
put(char *out, size_t outlen, size_t *pos, const char *s, size_t n)
{
    if (*pos + n >= outlen) {
        n = outlen - *pos - 1;
        memcpy(out + *pos, s, n);
        *pos += n;
        return -1;
    }
    memcpy(out + *pos, s, n);
    *pos += n;
    return 0;
}

int
template_render(const char *text, const struct template_values *v,
                char *out, size_t outlen)
{
    const char *p = text;
    size_t pos = 0;
    int rc = 0;

    if (outlen == 0) {
        return -1;
    }
    while (rc == 0 && *p != '\0') {
        const char *open = strstr(p, "{{");
        const char *name, *end, *val;
        size_t n;
        int known;

        if (open == NULL || !placeholder(open, &name, &n, &end)) {
            rc = put(out, outlen, &pos, p, strlen(p));
            break;
        }
        rc = put(out, outlen, &pos, p, (size_t)(open - p));
        if (rc != 0) {
            break;
        }
        val = lookup(name, n, v, &known);
        if (!known) {
            rc = put(out, outlen, &pos, open, (size_t)(end - open));
        } else if (val != NULL) {
            rc = put(out, outlen, &pos, val, strlen(val));
        }
        p = end;
    }
    out[pos] = '\0';
    return rc == 0 ? (int)pos : -1;
}
