/*
 * check_http.c - the http check type: its keys and their rules (the
 * struct is in check_http.h, the probe agent/probe/probe_http.c; the key
 * table also carries the check on the wire, lib/wire.c).
 */
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "check_http_spec.h"
#include "conf.h"
#include "mem.h"

static int
headers_decode(const struct conf_opt *o, const struct conf_node *node,
               void *base, const char *file, struct conf_errs *errs)
{
    struct check_http *h = &((struct check *)base)->u.http;
    size_t n = 0;

    if (node->type != CONF_MAP) {
        conf_err(errs, file, node->line, node->col,
                 "'%s': expected a mapping of name: value", o->key);
        return -1;
    }
    for (const struct conf_node *i = node->child; i; i = i->next) {
        n++;
    }
    h->headers = n > 0 ? ph_calloc(n, sizeof(*h->headers)) : NULL;
    for (const struct conf_node *i = node->child; i && h->headers;
         i = i->next) {
        if (i->type != CONF_SCALAR) {
            conf_err(errs, file, i->line, i->col,
                     "header '%s': expected a string", i->key);
            return -1;
        }
        if (h->nheaders >= CHECK_MAX_HEADERS) {
            conf_err(errs, file, i->line, i->col, "at most %d headers",
                     CHECK_MAX_HEADERS);
            return -1;
        }
        if (strpbrk(i->key, "\r\n:") || strpbrk(i->value, "\r\n")) {
            conf_err(errs, file, i->line, i->col,
                     "header '%s' contains a forbidden character", i->key);
            return -1;
        }
        h->headers[h->nheaders].name = ph_strdup(i->key);
        h->headers[h->nheaders].value = ph_strdup(i->value);
        h->nheaders++;
    }
    return 0;
}

static void
headers_print(const struct conf_opt *o, const void *base, const char *indent,
              struct buf *out)
{
    const struct check_http *h = &((const struct check *)base)->u.http;

    if (h->nheaders == 0) {
        return;
    }
    buf_printf(out, "%s%s:\n", indent, o->key);
    for (size_t i = 0; i < h->nheaders; i++) {
        buf_printf(out, "%s  ", indent);
        conf_print_quoted(out, h->headers[i].name);
        buf_appends(out, ": ");
        conf_print_quoted(out, h->headers[i].value);
        buf_appends(out, "\n");
    }
}

static void
headers_free(const struct conf_opt *o, void *base)
{
    struct check_http *h = &((struct check *)base)->u.http;

    (void)o;
    for (size_t i = 0; i < h->nheaders; i++) {
        ph_free(h->headers[i].name);
        ph_free(h->headers[i].value);
    }
    ph_free(h->headers);
    h->headers = NULL;
    h->nheaders = 0;
}

static int
headers_copy(const struct conf_opt *o, void *dst, const void *src)
{
    struct check_http *d = &((struct check *)dst)->u.http;
    const struct check_http *s = &((const struct check *)src)->u.http;
    int bad = 0;

    (void)o;
    d->headers = NULL;
    d->nheaders = 0;
    if (s->nheaders == 0) {
        return 0;
    }
    d->headers = ph_calloc(s->nheaders, sizeof(*d->headers));
    if (d->headers == NULL) {
        return -1;
    }
    d->nheaders = s->nheaders;
    for (size_t i = 0; i < s->nheaders; i++) {
        d->headers[i].name = ph_strdup(s->headers[i].name);
        d->headers[i].value = ph_strdup(s->headers[i].value);
        bad |= d->headers[i].name == NULL || d->headers[i].value == NULL;
    }
    return bad ? -1 : 0;
}

static int
headers_equal(const struct conf_opt *o, const void *a, const void *b)
{
    const struct check_http *x = &((const struct check *)a)->u.http;
    const struct check_http *y = &((const struct check *)b)->u.http;

    (void)o;
    if (x->nheaders != y->nheaders) {
        return 0;
    }
    for (size_t i = 0; i < x->nheaders; i++) {
        if (strcmp(x->headers[i].name, y->headers[i].name) != 0 ||
            strcmp(x->headers[i].value, y->headers[i].value) != 0) {
            return 0;
        }
    }
    return 1;
}

static const struct conf_custom headers_custom = {
    headers_decode, headers_print, headers_free,
    headers_copy,   headers_equal, NULL};

static int
status_decode(const struct conf_opt *o, const struct conf_node *node,
              void *base, const char *file, struct conf_errs *errs)
{
    struct check_http *h = &((struct check *)base)->u.http;
    char *items[CHECK_MAX_EXPECT_STATUS];
    size_t n = 0;
    int bad = 0;

    if (conf_string_list(node, items, CHECK_MAX_EXPECT_STATUS, &n, o->key,
                         file, errs) != 0) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        char *end = NULL;
        long v = strtol(items[i], &end, 10);
        if (!bad && (*end != '\0' || v < 100 || v > 599)) {
            conf_err(errs, file, node->line, node->col,
                     "'%s': '%s' is not an HTTP status (100-599)", o->key,
                     items[i]);
            bad = 1;
        }
        h->expect_status[i] = (int)v;
        ph_free(items[i]);
    }
    h->nexpect_status = bad ? 0 : n;
    return bad ? -1 : 0;
}

static void
status_print(const struct conf_opt *o, const void *base, const char *indent,
             struct buf *out)
{
    const struct check_http *h = &((const struct check *)base)->u.http;

    if (h->nexpect_status == 0) {
        return;
    }
    buf_printf(out, "%s%s: [", indent, o->key);
    for (size_t i = 0; i < h->nexpect_status; i++) {
        buf_printf(out, "%s%d", i ? ", " : "", h->expect_status[i]);
    }
    buf_appends(out, "]\n");
}

static int
status_equal(const struct conf_opt *o, const void *a, const void *b)
{
    const struct check_http *x = &((const struct check *)a)->u.http;
    const struct check_http *y = &((const struct check *)b)->u.http;

    (void)o;
    return x->nexpect_status == y->nexpect_status &&
           memcmp(x->expect_status, y->expect_status,
                  x->nexpect_status * sizeof(x->expect_status[0])) == 0;
}

static const struct conf_custom status_custom = {
    status_decode, status_print, NULL, NULL, status_equal, NULL};

#define H(field) offsetof(struct check, u.http.field)

static const struct conf_opt http_opts[] = {
    {"url", CONF_T_STR, H(url), NULL, 0, 0, 1, NULL, "http:// or https://"},
    {"method", CONF_T_STR, H(method), NULL, 0, 0, 0, NULL, "default GET"},
    {"headers", CONF_T_CUSTOM, 0, NULL, 0, 0, 0, &headers_custom,
     "request headers"},
    {"body", CONF_T_STR, H(body), NULL, 0, 0, 0, NULL, "request body"},
    {"follow_redirects", CONF_T_BOOL, H(follow_redirects), "false", 0, 0, 0,
     NULL, "follow 3xx responses"},
    {"expect_status", CONF_T_CUSTOM, 0, NULL, 0, 0, 0, &status_custom,
     "accepted statuses (default 200-399)"},
    {"body_contains", CONF_T_STR, H(body_contains), NULL, 0, 0, 0, NULL,
     "text the body must contain"},
    {"body_not_contains", CONF_T_STR, H(body_not_contains), NULL, 0, 0, 0,
     NULL, "text the body must not contain"},
    {"body_regex", CONF_T_STR, H(body_regex), NULL, 0, 0, 0, NULL,
     "POSIX extended regex the body must match"},
    {"json_path", CONF_T_STR, H(json_path), NULL, 0, 0, 0, NULL,
     "$.field.path in a JSON body"},
    {"json_equals", CONF_T_STR, H(json_equals), NULL, 0, 0, 0, NULL,
     "value json_path must have"},
    {"insecure", CONF_T_BOOL, H(insecure), "false", 0, 0, 0, NULL,
     "skip TLS verification"},
    {"ca_file", CONF_T_STR, H(ca_file), NULL, 0, 0, 0, NULL,
     "CA bundle for TLS verification"},
    {"assert", CONF_T_LIST, H(asserts), NULL, 0, 0, 0,
     &http_asserts_spec.sub.custom,
     "assertions on the response: json or header, op, value"},
    {"secrets", CONF_T_LIST, H(secrets), NULL, 0, 0, 0,
     &http_secrets_spec.sub.custom,
     "values the agent reads from its environment or a file"},
    {"steps", CONF_T_LIST, H(steps), NULL, 0, 0, 0,
     &http_steps_spec.sub.custom,
     "up to 10 requests run in order, sharing variables"},
    {NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL},
};

static int
http_finish(struct check *c, const struct conf_node *node, const char *file,
            struct conf_errs *errs)
{
    const struct check_http *h = &c->u.http;
    size_t nerr = errs->n + errs->dropped;

    /* url NULL: it was not a string, and that error is reported. */
    if (h->url != NULL && strncmp(h->url, "http://", 7) != 0 &&
        strncmp(h->url, "https://", 8) != 0) {
        conf_err(errs, file, node->line, node->col,
                 "check '%s': url must start with http:// or https://",
                 c->id);
    }
    if (h->body_regex != NULL) {
        regex_t re;
        if (regcomp(&re, h->body_regex, REG_EXTENDED | REG_NOSUB) != 0) {
            conf_err(errs, file, node->line, node->col,
                     "check '%s': body_regex does not compile", c->id);
        } else {
            regfree(&re);
        }
    }
    if (h->json_path != NULL && strncmp(h->json_path, "$", 1) != 0) {
        conf_err(errs, file, node->line, node->col,
                 "check '%s': json_path must start with '$'", c->id);
    }
    if ((h->json_path == NULL) != (h->json_equals == NULL)) {
        conf_err(errs, file, node->line, node->col,
                 "check '%s': json_path and json_equals go together", c->id);
    }
    check_http_spec_finish(c, node, file, errs);
    return errs->n + errs->dropped > nerr ? -1 : 0;
}

const struct check_kind check_http_kind = {"http", CHECK_HTTP, http_opts,
                                           http_finish};
