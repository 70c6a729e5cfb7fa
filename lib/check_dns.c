/*
 * check_dns.c - the dns check type: one query, its rcode and answers
 * (the struct is in check_dns.h, the probe agent/probe/probe_dns.c; the
 * key table also carries the check on the wire, lib/wire.c).
 */
#include <string.h>

#include "check.h"
#include "conf.h"
#include "mem.h"

static int
answers_decode(const struct conf_opt *o, const struct conf_node *node,
               void *base, const char *file, struct conf_errs *errs)
{
    struct check_dns *d = &((struct check *)base)->u.dns;

    return conf_string_list(node, d->expect_answers, CHECK_MAX_ANSWERS,
                            &d->nexpect_answers, o->key, file, errs);
}

static void
answers_print(const struct conf_opt *o, const void *base, const char *indent,
              struct buf *out)
{
    const struct check_dns *d = &((const struct check *)base)->u.dns;

    conf_print_list(out, indent, o->key,
                    (const char *const *)d->expect_answers,
                    d->nexpect_answers);
}

static void
answers_free(const struct conf_opt *o, void *base)
{
    struct check_dns *d = &((struct check *)base)->u.dns;

    (void)o;
    for (size_t i = 0; i < d->nexpect_answers; i++) {
        ph_free(d->expect_answers[i]);
        d->expect_answers[i] = NULL;
    }
    d->nexpect_answers = 0;
}

static int
answers_copy(const struct conf_opt *o, void *dst, const void *src)
{
    struct check_dns *d = &((struct check *)dst)->u.dns;
    const struct check_dns *s = &((const struct check *)src)->u.dns;
    int bad = 0;

    (void)o;
    for (size_t i = 0; i < s->nexpect_answers; i++) {
        d->expect_answers[i] = ph_strdup(s->expect_answers[i]);
        bad |= d->expect_answers[i] == NULL;
    }
    return bad ? -1 : 0;
}

static int
answers_equal(const struct conf_opt *o, const void *a, const void *b)
{
    const struct check_dns *x = &((const struct check *)a)->u.dns;
    const struct check_dns *y = &((const struct check *)b)->u.dns;

    (void)o;
    if (x->nexpect_answers != y->nexpect_answers) {
        return 0;
    }
    for (size_t i = 0; i < x->nexpect_answers; i++) {
        if (strcmp(x->expect_answers[i], y->expect_answers[i]) != 0) {
            return 0;
        }
    }
    return 1;
}

static const struct conf_custom answers_custom = {
    answers_decode, answers_print, answers_free,
    answers_copy,   answers_equal, NULL};

#define D(field) offsetof(struct check, u.dns.field)

static const struct conf_opt dns_opts[] = {
    {"name", CONF_T_STR, D(name), NULL, 0, 0, 1, NULL, "name to resolve"},
    {"record_type", CONF_T_STR, D(rrtype), "A", 0, 0, 0, NULL,
     "A AAAA CNAME MX TXT NS SOA"},
    {"server", CONF_T_STR, D(server), NULL, 0, 0, 0, NULL,
     "resolver IP (default: system)"},
    {"port", CONF_T_INT, D(port), "53", 1, 65535, 0, NULL, "resolver port"},
    {"expect_rcode", CONF_T_STR, D(expect_rcode), "NOERROR", 0, 0, 0, NULL,
     "expected response code"},
    {"expect_answers", CONF_T_CUSTOM, 0, NULL, 0, 0, 0, &answers_custom,
     "answers that must be present"},
    {NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL},
};

static int
in_list(const char *s, const char *const *list)
{
    if (s == NULL) {
        return 1; /* not a string: reported when it was decoded */
    }
    for (size_t i = 0; list[i] != NULL; i++) {
        if (strcmp(s, list[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

static int
dns_finish(struct check *c, const struct conf_node *node, const char *file,
           struct conf_errs *errs)
{
    static const char *const rrtypes[] = {"A",  "AAAA", "CNAME", "MX",
                                          "TXT", "NS",  "SOA",   NULL};
    static const char *const rcodes[] = {"NOERROR",  "FORMERR", "SERVFAIL",
                                         "NXDOMAIN", "NOTIMP",  "REFUSED",
                                         NULL};
    int rc = 0;

    if (!in_list(c->u.dns.rrtype, rrtypes)) {
        conf_err(errs, file, node->line, node->col,
                 "check '%s': record_type must be one of A AAAA CNAME MX "
                 "TXT NS SOA",
                 c->id);
        rc = -1;
    }
    if (!in_list(c->u.dns.expect_rcode, rcodes)) {
        conf_err(errs, file, node->line, node->col,
                 "check '%s': unknown expect_rcode '%s'", c->id,
                 c->u.dns.expect_rcode);
        rc = -1;
    }
    if (c->watch) {
        conf_err(errs, file, node->line, node->col,
                 "check '%s': watch needs a TCP target (http, tcp or smtp), "
                 "not dns",
                 c->id);
        rc = -1;
    }
    return rc;
}

const struct check_kind check_dns_kind = {"dns", CHECK_DNS, dns_opts,
                                          dns_finish};
