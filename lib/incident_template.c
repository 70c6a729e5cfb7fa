/*
 * incident_template.c - incident templates (incident_template.h) on the
 * `{{name}}` reader of template.c.
 */
#include "incident_template.h"

#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "ph_err.h"
#include "template.h"

static const char *const FIELDS[] = {"component", "components", "title",
                                     "page"};

static int
known(const char *name)
{
    for (size_t i = 0; i < sizeof(FIELDS) / sizeof(FIELDS[0]); i++) {
        if (strcmp(name, FIELDS[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

struct check_ctx {
    char *bad;
};

static int
check_one(const char *name, void *arg)
{
    struct check_ctx *c = arg;

    if (known(name)) {
        return 0;
    }
    snprintf(c->bad, TEMPLATE_FIELD_MAX + 1, "%s", name);
    return -1;
}

int
inc_template_check(const char *text, char bad[TEMPLATE_FIELD_MAX + 1])
{
    struct check_ctx c = {bad};
    int rc;

    bad[0] = '\0';
    rc = template_each(text, check_one, &c, NULL);
    if (rc == PH_EPARSE) {
        snprintf(bad, TEMPLATE_FIELD_MAX + 1, "{{ without }}");
    }
    return rc == 0 ? 0 : -1;
}

static int
set(struct tvars *vs, const char *name, const char *value)
{
    value = value != NULL ? value : "";
    return tvars_set(vs, name, value, strlen(value), 0);
}

int
inc_template_render(const char *text, const struct template_values *v,
                    char *out, size_t outlen)
{
    struct tvars vs;
    struct buf b;
    char err[64];
    int rc, result = -1;

    if (outlen == 0) {
        return -1;
    }
    tvars_init(&vs);
    /* Room beyond out, so that a text that does not fit still gives
     * its cut prefix. */
    buf_init(&b, outlen + 4096);
    rc = set(&vs, "component", v != NULL ? v->components : NULL);
    if (rc == 0) {
        rc = set(&vs, "components", v != NULL ? v->components : NULL);
    }
    if (rc == 0) {
        rc = set(&vs, "title", v != NULL ? v->title : NULL);
    }
    if (rc == 0) {
        rc = set(&vs, "page", v != NULL ? v->page : NULL);
    }
    if (rc == 0) {
        rc = template_expand(text, &vs, &b, err, sizeof(err));
    }
    if (rc == PH_EPARSE || rc == PH_ENOENT) {
        /* Not a template the check would pass: the text as written. */
        b.len = 0;
        rc = buf_append(&b, text, strlen(text));
    }
    if (rc == 0 || rc == PH_ETOOBIG) {
        size_t n = b.len < outlen - 1 ? b.len : outlen - 1;

        memcpy(out, b.data != NULL ? b.data : "", n);
        out[n] = '\0';
        result = rc == 0 && n == b.len ? (int)n : -1;
    } else {
        out[0] = '\0';
    }
    buf_free(&b);
    tvars_free(&vs);
    return result;
}
