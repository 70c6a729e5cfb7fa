#include "check.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mem.h"
#include "ph_err.h"

static void
free_http(struct check_http *h)
{
    ph_free(h->url);
    ph_free(h->method);
    for (size_t i = 0; i < h->nheaders; i++) {
        ph_free(h->headers[i].name);
        ph_free(h->headers[i].value);
    }
    ph_free(h->headers);
    ph_free(h->body);
    ph_free(h->body_contains);
    ph_free(h->body_not_contains);
    ph_free(h->body_regex);
    ph_free(h->json_path);
    ph_free(h->json_equals);
    ph_free(h->ca_file);
}

void
check_free(struct check *c)
{
    if (c == NULL) {
        return;
    }
    ph_free(c->source_address);
    for (size_t i = 0; i < c->nregions; i++) {
        ph_free(c->regions[i]);
    }
    ph_free(c->regions);
    switch (c->type) {
    case CHECK_HTTP:
        free_http(&c->u.http);
        break;
    case CHECK_TCP:
        ph_free(c->u.tcp.host);
        ph_free(c->u.tcp.ca_file);
        ph_free(c->u.tcp.sni);
        ph_free(c->u.tcp.send);
        ph_free(c->u.tcp.expect);
        break;
    case CHECK_DNS:
        ph_free(c->u.dns.name);
        ph_free(c->u.dns.rrtype);
        ph_free(c->u.dns.server);
        ph_free(c->u.dns.expect_rcode);
        for (size_t i = 0; i < c->u.dns.nexpect_answers; i++) {
            ph_free(c->u.dns.expect_answers[i]);
        }
        break;
    case CHECK_SMTP:
        ph_free(c->u.smtp.host);
        ph_free(c->u.smtp.ca_file);
        ph_free(c->u.smtp.ehlo_name);
        break;
    }
    memset(c, 0, sizeof(*c));
}

/* Duplicates *p in place; returns -1 on failure (then *p is NULL). */
static int
dup_in_place(char **p)
{
    if (*p == NULL) {
        return 0;
    }
    *p = ph_strdup(*p);
    return *p == NULL ? -1 : 0;
}

int
check_copy(struct check *dst, const struct check *src)
{
    int bad = 0;

    /* Shallow copy, then replace every pointer with its own copy. Pointers
     * whose copy failed become NULL so check_free() stays safe. */
    *dst = *src;
    bad |= dup_in_place(&dst->source_address);
    if (src->nregions > 0) {
        dst->regions = ph_calloc(src->nregions, sizeof(*dst->regions));
        if (dst->regions == NULL) {
            dst->nregions = 0;
            bad = 1;
        }
        for (size_t i = 0; i < dst->nregions; i++) {
            dst->regions[i] = src->regions[i];
            bad |= dup_in_place(&dst->regions[i]);
        }
    } else {
        dst->regions = NULL;
    }
    switch (dst->type) {
    case CHECK_HTTP: {
        struct check_http *h = &dst->u.http;
        bad |= dup_in_place(&h->url);
        bad |= dup_in_place(&h->method);
        if (h->nheaders > 0) {
            h->headers = ph_calloc(h->nheaders, sizeof(*h->headers));
            if (h->headers == NULL) {
                h->nheaders = 0;
                bad = 1;
            }
            for (size_t i = 0; i < h->nheaders; i++) {
                h->headers[i] = src->u.http.headers[i];
                bad |= dup_in_place(&h->headers[i].name);
                bad |= dup_in_place(&h->headers[i].value);
            }
        } else {
            h->headers = NULL;
        }
        bad |= dup_in_place(&h->body);
        bad |= dup_in_place(&h->body_contains);
        bad |= dup_in_place(&h->body_not_contains);
        bad |= dup_in_place(&h->body_regex);
        bad |= dup_in_place(&h->json_path);
        bad |= dup_in_place(&h->json_equals);
        bad |= dup_in_place(&h->ca_file);
        break;
    }
    case CHECK_TCP:
        bad |= dup_in_place(&dst->u.tcp.host);
        bad |= dup_in_place(&dst->u.tcp.ca_file);
        bad |= dup_in_place(&dst->u.tcp.sni);
        bad |= dup_in_place(&dst->u.tcp.send);
        bad |= dup_in_place(&dst->u.tcp.expect);
        break;
    case CHECK_DNS:
        bad |= dup_in_place(&dst->u.dns.name);
        bad |= dup_in_place(&dst->u.dns.rrtype);
        bad |= dup_in_place(&dst->u.dns.server);
        bad |= dup_in_place(&dst->u.dns.expect_rcode);
        for (size_t i = 0; i < dst->u.dns.nexpect_answers; i++) {
            bad |= dup_in_place(&dst->u.dns.expect_answers[i]);
        }
        break;
    case CHECK_SMTP:
        bad |= dup_in_place(&dst->u.smtp.host);
        bad |= dup_in_place(&dst->u.smtp.ca_file);
        bad |= dup_in_place(&dst->u.smtp.ehlo_name);
        break;
    }
    if (bad) {
        check_free(dst);
        return PH_ENOMEM;
    }
    return 0;
}

static int
str_eq(const char *a, const char *b)
{
    if (a == NULL || b == NULL) {
        return a == b;
    }
    return strcmp(a, b) == 0;
}

int
check_probe_equal(const struct check *a, const struct check *b)
{
    if (strcmp(a->id, b->id) != 0 || a->type != b->type ||
        strcmp(a->component_id, b->component_id) != 0 ||
        a->interval_ms != b->interval_ms || a->timeout_ms != b->timeout_ms ||
        a->degraded_over_ms != b->degraded_over_ms ||
        a->cert_expiry_days != b->cert_expiry_days ||
        !str_eq(a->source_address, b->source_address)) {
        return 0;
    }
    switch (a->type) {
    case CHECK_HTTP: {
        const struct check_http *x = &a->u.http, *y = &b->u.http;
        if (!str_eq(x->url, y->url) || !str_eq(x->method, y->method) ||
            x->nheaders != y->nheaders || !str_eq(x->body, y->body) ||
            x->follow_redirects != y->follow_redirects ||
            x->nexpect_status != y->nexpect_status ||
            !str_eq(x->body_contains, y->body_contains) ||
            !str_eq(x->body_not_contains, y->body_not_contains) ||
            !str_eq(x->body_regex, y->body_regex) ||
            !str_eq(x->json_path, y->json_path) ||
            !str_eq(x->json_equals, y->json_equals) ||
            x->insecure != y->insecure || !str_eq(x->ca_file, y->ca_file)) {
            return 0;
        }
        for (size_t i = 0; i < x->nheaders; i++) {
            if (!str_eq(x->headers[i].name, y->headers[i].name) ||
                !str_eq(x->headers[i].value, y->headers[i].value)) {
                return 0;
            }
        }
        for (size_t i = 0; i < x->nexpect_status; i++) {
            if (x->expect_status[i] != y->expect_status[i]) {
                return 0;
            }
        }
        return 1;
    }
    case CHECK_TCP: {
        const struct check_tcp *x = &a->u.tcp, *y = &b->u.tcp;
        return str_eq(x->host, y->host) && x->port == y->port &&
               x->tls == y->tls && x->insecure == y->insecure &&
               str_eq(x->ca_file, y->ca_file) && str_eq(x->sni, y->sni) &&
               str_eq(x->send, y->send) && str_eq(x->expect, y->expect);
    }
    case CHECK_DNS: {
        const struct check_dns *x = &a->u.dns, *y = &b->u.dns;
        if (!str_eq(x->name, y->name) || !str_eq(x->rrtype, y->rrtype) ||
            !str_eq(x->server, y->server) || x->port != y->port ||
            !str_eq(x->expect_rcode, y->expect_rcode) ||
            x->nexpect_answers != y->nexpect_answers) {
            return 0;
        }
        for (size_t i = 0; i < x->nexpect_answers; i++) {
            if (!str_eq(x->expect_answers[i], y->expect_answers[i])) {
                return 0;
            }
        }
        return 1;
    }
    case CHECK_SMTP: {
        const struct check_smtp *x = &a->u.smtp, *y = &b->u.smtp;
        return str_eq(x->host, y->host) && x->port == y->port &&
               x->implicit_tls == y->implicit_tls &&
               x->starttls == y->starttls && x->insecure == y->insecure &&
               str_eq(x->ca_file, y->ca_file) &&
               str_eq(x->ehlo_name, y->ehlo_name);
    }
    }
    return 0;
}

const char *
check_type_name(enum check_type t)
{
    switch (t) {
    case CHECK_HTTP:
        return "http";
    case CHECK_TCP:
        return "tcp";
    case CHECK_DNS:
        return "dns";
    case CHECK_SMTP:
        return "smtp";
    }
    return "unknown";
}

enum check_type
check_type_parse(const char *s)
{
    static const enum check_type all[] = {CHECK_HTTP, CHECK_TCP, CHECK_DNS,
                                          CHECK_SMTP};

    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        if (strcmp(s, check_type_name(all[i])) == 0) {
            return all[i];
        }
    }
    return 0;
}

const char *
outcome_name(enum outcome o)
{
    switch (o) {
    case OUTCOME_UP:
        return "up";
    case OUTCOME_SLOW:
        return "slow";
    case OUTCOME_DOWN:
        return "down";
    }
    return "none";
}

void
check_result_seterr(struct check_result *r, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(r->error, sizeof(r->error), fmt, ap);
    va_end(ap);
}
