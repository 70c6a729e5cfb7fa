/*
 * pharos_conf_checks.c - the check part of pharos.yml: one table per check
 * type (keys of another type are unknown keys), defaults from the
 * `defaults:` section, then cross-field validation (timeout < interval,
 * quorum <= regions, references exist, regexes compile) before a check is
 * moved into a struct check.
 */
#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mem.h"
#include "ph_err.h"
#include "pharos_conf_int.h"

/* ---- checks ---- */



static int
v_string_list(const struct conf_node *node, char **out, size_t max,
              size_t *ret_n, const char *what, const char *file,
              struct conf_errs *errs)
{
    size_t n = 0;

    if (node->type == CONF_SCALAR) {
        out[0] = ph_strdup(node->value);
        *ret_n = out[0] != NULL;
        return 0;
    }
    if (node->type != CONF_SEQ) {
        conf_err(errs, file, node->line, node->col,
                 "'%s': expected a list", what);
        return -1;
    }
    for (const struct conf_node *i = node->child; i; i = i->next) {
        if (i->type != CONF_SCALAR) {
            conf_err(errs, file, i->line, i->col,
                     "'%s': expected a list of strings", what);
            return -1;
        }
        if (n >= max) {
            conf_err(errs, file, i->line, i->col,
                     "'%s': at most %zu entries", what, max);
            return -1;
        }
        out[n++] = ph_strdup(i->value);
    }
    *ret_n = n;
    return 0;
}

static int
v_regions(const struct conf_opt *o, const struct conf_node *node, void *base,
          const char *file, struct conf_errs *errs)
{
    struct check_stage *s = base;

    return v_string_list(node, s->regions, CHECK_MAX_REGIONS, &s->nregions,
                         o->key, file, errs);
}

static int
v_answers(const struct conf_opt *o, const struct conf_node *node, void *base,
          const char *file, struct conf_errs *errs)
{
    struct check_stage *s = base;

    return v_string_list(node, s->expect_answers, CHECK_MAX_ANSWERS,
                         &s->nexpect_answers, o->key, file, errs);
}

static int
v_expect_status(const struct conf_opt *o, const struct conf_node *node,
                void *base, const char *file, struct conf_errs *errs)
{
    struct check_stage *s = base;
    char *items[CHECK_MAX_EXPECT_STATUS];
    size_t n = 0;
    int bad = 0;

    memset(items, 0, sizeof(items));
    if (v_string_list(node, items, CHECK_MAX_EXPECT_STATUS, &n, o->key, file,
                      errs) != 0) {
        bad = 1;
    }
    for (size_t i = 0; i < n; i++) {
        char *end = NULL;
        long v = items[i] ? strtol(items[i], &end, 10) : 0;
        if (!bad && (items[i] == NULL || *end != '\0' || v < 100 ||
                     v > 599)) {
            conf_err(errs, file, node->line, node->col,
                     "'%s': '%s' is not an HTTP status (100-599)", o->key,
                     items[i] ? items[i] : "");
            bad = 1;
        }
        s->expect_status[i] = (int)v;
        ph_free(items[i]);
    }
    s->nexpect_status = bad ? 0 : n;
    return bad ? -1 : 0;
}

static int
v_headers(const struct conf_opt *o, const struct conf_node *node, void *base,
          const char *file, struct conf_errs *errs)
{
    struct check_stage *s = base;

    if (node->type != CONF_MAP) {
        conf_err(errs, file, node->line, node->col,
                 "'%s': expected a mapping of name: value", o->key);
        return -1;
    }
    for (const struct conf_node *h = node->child; h; h = h->next) {
        if (h->type != CONF_SCALAR) {
            conf_err(errs, file, h->line, h->col,
                     "header '%s': expected a string", h->key);
            return -1;
        }
        if (s->nheaders >= CHECK_MAX_HEADERS) {
            conf_err(errs, file, h->line, h->col, "at most %d headers",
                     CHECK_MAX_HEADERS);
            return -1;
        }
        if (strpbrk(h->key, "\r\n:") || strpbrk(h->value, "\r\n")) {
            conf_err(errs, file, h->line, h->col,
                     "header '%s' contains a forbidden character", h->key);
            return -1;
        }
        s->headers[s->nheaders].name = ph_strdup(h->key);
        s->headers[s->nheaders].value = ph_strdup(h->value);
        s->nheaders++;
    }
    return 0;
}

#define CS(field) offsetof(struct check_stage, field)
#define END_ROW {NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL}
/* Keys every check accepts. Defaults come from `defaults:`, so the rows
 * carry no default text. */
#define COMMON_ROWS                                                         \
    {"id", CONF_T_STR, CS(id), NULL, 0, 0, 1, NULL, "check id"},            \
    {"type", CONF_T_STR, CS(type), NULL, 0, 0, 1, NULL,                     \
     "http, tcp, dns or smtp"},                                             \
    {"interval", CONF_T_DURATION, CS(interval_ms), NULL, 1000, 86400000, 0, \
     NULL, "time between runs"},                                            \
    {"timeout", CONF_T_DURATION, CS(timeout_ms), NULL, 100, 300000, 0,      \
     NULL, "time limit of a run"},                                          \
    {"degraded_over", CONF_T_DURATION, CS(degraded_over_ms), NULL, 0,       \
     300000, 0, NULL, "latency above which a result is slow (0 = off)"},    \
    {"fail_after", CONF_T_UINT32, CS(fail_after), NULL, 1, 100, 0, NULL,    \
     "consecutive failures before a region is down"},                       \
    {"recover_after", CONF_T_UINT32, CS(recover_after), NULL, 1, 100, 0,    \
     NULL, "consecutive successes before a region is up"},                  \
    {"quorum", CONF_T_STR, CS(quorum), NULL, 0, 0, 0, NULL,                 \
     "majority, a number of regions, or a percentage"},                     \
    {"minority", CONF_T_STR, CS(minority), NULL, 0, 0, 0, NULL,             \
     "operational or degraded: effect of a minority failure"},              \
    {"impact", CONF_T_STR, CS(impact), NULL, 0, 0, 0, NULL,                 \
     "major or partial: what a full outage of this check means"},           \
    {"cert_expiry_days", CONF_T_UINT32, CS(cert_expiry_days), NULL, 0,      \
     3650, 0, NULL, "certificate expiring sooner makes the result slow"},   \
    {"source_address", CONF_T_STR, CS(source_address), NULL, 0, 0, 0,       \
     NULL, "local address to probe from"},                                  \
    {"regions", CONF_T_CUSTOM, 0, NULL, 0, 0, 0, v_regions,                 \
     "regions that run the check (default all)"}

static const struct conf_opt http_opts[] = {
    COMMON_ROWS,
    {"url", CONF_T_STR, CS(url), NULL, 0, 0, 1, NULL, "http:// or https://"},
    {"method", CONF_T_STR, CS(method), NULL, 0, 0, 0, NULL, "default GET"},
    {"headers", CONF_T_CUSTOM, 0, NULL, 0, 0, 0, v_headers,
     "request headers"},
    {"body", CONF_T_STR, CS(body), NULL, 0, 0, 0, NULL, "request body"},
    {"follow_redirects", CONF_T_BOOL, CS(follow_redirects), "false", 0, 0, 0,
     NULL, "follow 3xx responses"},
    {"expect_status", CONF_T_CUSTOM, 0, NULL, 0, 0, 0, v_expect_status,
     "accepted statuses (default 200-399)"},
    {"body_contains", CONF_T_STR, CS(body_contains), NULL, 0, 0, 0, NULL,
     "text the body must contain"},
    {"body_not_contains", CONF_T_STR, CS(body_not_contains), NULL, 0, 0, 0,
     NULL, "text the body must not contain"},
    {"body_regex", CONF_T_STR, CS(body_regex), NULL, 0, 0, 0, NULL,
     "POSIX extended regex the body must match"},
    {"json_path", CONF_T_STR, CS(json_path), NULL, 0, 0, 0, NULL,
     "$.field.path in a JSON body"},
    {"json_equals", CONF_T_STR, CS(json_equals), NULL, 0, 0, 0, NULL,
     "value json_path must have"},
    {"insecure", CONF_T_BOOL, CS(insecure), "false", 0, 0, 0, NULL,
     "skip TLS verification"},
    {"ca_file", CONF_T_STR, CS(ca_file), NULL, 0, 0, 0, NULL,
     "CA bundle for TLS verification"},
    END_ROW,
};

static const struct conf_opt tcp_opts[] = {
    COMMON_ROWS,
    {"host", CONF_T_STR, CS(host), NULL, 0, 0, 1, NULL, "host to connect to"},
    {"port", CONF_T_INT, CS(port), NULL, 1, 65535, 1, NULL, "TCP port"},
    {"tls", CONF_T_BOOL, CS(tls), "false", 0, 0, 0, NULL, "TLS handshake"},
    {"insecure", CONF_T_BOOL, CS(insecure), "false", 0, 0, 0, NULL,
     "skip TLS verification"},
    {"ca_file", CONF_T_STR, CS(ca_file), NULL, 0, 0, 0, NULL, "CA bundle"},
    {"sni", CONF_T_STR, CS(sni), NULL, 0, 0, 0, NULL, "TLS server name"},
    {"send", CONF_T_STR, CS(send), NULL, 0, 0, 0, NULL, "bytes to send"},
    {"expect", CONF_T_STR, CS(expect), NULL, 0, 0, 0, NULL,
     "text the reply must contain"},
    END_ROW,
};

static const struct conf_opt dns_opts[] = {
    COMMON_ROWS,
    {"name", CONF_T_STR, CS(name), NULL, 0, 0, 1, NULL, "name to resolve"},
    {"record_type", CONF_T_STR, CS(record_type), "A", 0, 0, 0, NULL,
     "A AAAA CNAME MX TXT NS SOA"},
    {"server", CONF_T_STR, CS(server), NULL, 0, 0, 0, NULL,
     "resolver IP (default: system)"},
    {"port", CONF_T_INT, CS(port), "53", 1, 65535, 0, NULL, "resolver port"},
    {"expect_rcode", CONF_T_STR, CS(expect_rcode), "NOERROR", 0, 0, 0, NULL,
     "expected response code"},
    {"expect_answers", CONF_T_CUSTOM, 0, NULL, 0, 0, 0, v_answers,
     "answers that must be present"},
    END_ROW,
};

static const struct conf_opt smtp_opts[] = {
    COMMON_ROWS,
    {"host", CONF_T_STR, CS(host), NULL, 0, 0, 1, NULL, "mail server"},
    {"port", CONF_T_INT, CS(port), NULL, 1, 65535, 0, NULL,
     "default 25, or 465 with implicit_tls"},
    {"implicit_tls", CONF_T_BOOL, CS(implicit_tls), "false", 0, 0, 0, NULL,
     "TLS from the first byte (port 465)"},
    {"starttls", CONF_T_STR, CS(starttls), "optional", 0, 0, 0, NULL,
     "required, optional or off"},
    {"insecure", CONF_T_BOOL, CS(insecure), "false", 0, 0, 0, NULL,
     "skip TLS verification"},
    {"ca_file", CONF_T_STR, CS(ca_file), NULL, 0, 0, 0, NULL, "CA bundle"},
    {"ehlo_name", CONF_T_STR, CS(ehlo_name), NULL, 0, 0, 0, NULL,
     "name sent in EHLO"},
    END_ROW,
};

/* `defaults:` decodes into the same staging struct. */
const struct conf_opt pc_defaults_opts[] = {
    {"interval", CONF_T_DURATION, CS(interval_ms), "30s", 1000, 86400000, 0,
     NULL, "time between runs"},
    {"timeout", CONF_T_DURATION, CS(timeout_ms), "10s", 100, 300000, 0, NULL,
     "time limit of a run"},
    {"degraded_over", CONF_T_DURATION, CS(degraded_over_ms), "0", 0, 300000,
     0, NULL, "slow above this latency (0 = off)"},
    {"fail_after", CONF_T_UINT32, CS(fail_after), "2", 1, 100, 0, NULL,
     "consecutive failures before a region is down"},
    {"recover_after", CONF_T_UINT32, CS(recover_after), "2", 1, 100, 0, NULL,
     "consecutive successes before a region is up"},
    {"quorum", CONF_T_STR, CS(quorum), "majority", 0, 0, 0, NULL,
     "majority, a number of regions, or a percentage"},
    {"minority", CONF_T_STR, CS(minority), "operational", 0, 0, 0, NULL,
     "operational or degraded"},
    {"impact", CONF_T_STR, CS(impact), "major", 0, 0, 0, NULL,
     "major or partial"},
    {"cert_expiry_days", CONF_T_UINT32, CS(cert_expiry_days), "14", 0, 3650,
     0, NULL, "certificate expiring sooner makes the result slow"},
    {"source_address", CONF_T_STR, CS(source_address), NULL, 0, 0, 0, NULL,
     "local address to probe from"},
    END_ROW,
};

void
pc_stage_free(struct check_stage *s)
{
    conf_free_strings(http_opts, s);
    conf_free_strings(tcp_opts, s);
    conf_free_strings(dns_opts, s);
    conf_free_strings(smtp_opts, s);
    for (size_t i = 0; i < s->nregions; i++) {
        ph_free(s->regions[i]);
    }
    for (size_t i = 0; i < s->nexpect_answers; i++) {
        ph_free(s->expect_answers[i]);
    }
    for (size_t i = 0; i < s->nheaders; i++) {
        ph_free(s->headers[i].name);
        ph_free(s->headers[i].value);
    }
    memset(s, 0, sizeof(*s));
}

static char *
dup_or_null(const char *s)
{
    return s != NULL ? ph_strdup(s) : NULL;
}

/* Fills quorum fields from "majority", "2" or "50%". */
static int
parse_quorum(const char *q, struct check *c)
{
    char *end = NULL;
    long v;

    c->quorum = 0;
    c->quorum_pct = 0;
    if (q == NULL || strcmp(q, "majority") == 0) {
        return 0;
    }
    v = strtol(q, &end, 10);
    if (end == q) {
        return -1;
    }
    if (strcmp(end, "%") == 0 && v >= 1 && v <= 100) {
        c->quorum_pct = (uint32_t)v;
        return 0;
    }
    if (*end == '\0' && v >= 1 && v <= CHECK_MAX_REGIONS) {
        c->quorum = (uint32_t)v;
        return 0;
    }
    return -1;
}

static const char *const rrtypes[] = {"A",  "AAAA", "CNAME", "MX",
                                      "TXT", "NS",  "SOA"};
static const char *const rcodes[] = {"NOERROR", "FORMERR", "SERVFAIL",
                                     "NXDOMAIN", "NOTIMP", "REFUSED"};


/* Validates a decoded stage and moves it into *c. Returns 0 or -1. */
static int
stage_to_check(struct check_stage *s, const struct conf_node *node,
               const char *component, const struct pharos_conf *cf,
               const char *file, struct check *c, struct conf_errs *errs)
{
    size_t nerr = errs->n + errs->dropped;
    size_t nassigned;

    memset(c, 0, sizeof(*c));
    if (!pc_valid_id(s->id, 1)) {
        conf_err(errs, file, node->line, node->col,
                 "check id '%s' must be 1-63 of [A-Za-z0-9_.-]", s->id);
    }
    snprintf(c->id, sizeof(c->id), "%s", s->id);
    snprintf(c->component_id, sizeof(c->component_id), "%s", component);
    c->type = check_type_parse(s->type);
    c->interval_ms = s->interval_ms;
    c->timeout_ms = s->timeout_ms;
    c->degraded_over_ms = s->degraded_over_ms;
    c->cert_expiry_days = s->cert_expiry_days;
    c->fail_after = s->fail_after;
    c->recover_after = s->recover_after;
    if (c->timeout_ms >= c->interval_ms) {
        conf_err(errs, file, node->line, node->col,
                 "check '%s': timeout (%u ms) must be shorter than interval "
                 "(%u ms)",
                 s->id, c->timeout_ms, c->interval_ms);
    }
    if (parse_quorum(s->quorum, c) != 0) {
        conf_err(errs, file, node->line, node->col,
                 "check '%s': quorum must be majority, 1-%d or 1%%-100%%, "
                 "got '%s'",
                 s->id, CHECK_MAX_REGIONS, s->quorum);
    }
    if (strcmp(s->minority, "operational") == 0) {
        c->minority = MINORITY_OPERATIONAL;
    } else if (strcmp(s->minority, "degraded") == 0) {
        c->minority = MINORITY_DEGRADED;
    } else {
        conf_err(errs, file, node->line, node->col,
                 "check '%s': minority must be operational or degraded",
                 s->id);
    }
    if (strcmp(s->impact, "major") == 0) {
        c->impact = IMPACT_MAJOR;
    } else if (strcmp(s->impact, "partial") == 0) {
        c->impact = IMPACT_PARTIAL;
    } else {
        conf_err(errs, file, node->line, node->col,
                 "check '%s': impact must be major or partial", s->id);
    }
    if (s->nregions > 0) {
        c->regions = ph_calloc(s->nregions, sizeof(*c->regions));
        if (c->regions == NULL) {
            conf_err(errs, file, node->line, node->col, "out of memory");
            s->nregions = 0;
        }
    }
    for (size_t i = 0; i < s->nregions; i++) {
        if (pharos_conf_region_index(cf, s->regions[i]) < 0) {
            conf_err(errs, file, node->line, node->col,
                     "check '%s': unknown region '%s'", s->id,
                     s->regions[i]);
        }
        c->regions[i] = s->regions[i];
        s->regions[i] = NULL;
    }
    c->nregions = s->nregions;
    s->nregions = 0;
    nassigned = c->nregions ? c->nregions : cf->nregions;
    if (c->quorum > nassigned) {
        conf_err(errs, file, node->line, node->col,
                 "check '%s': quorum %u exceeds its %zu regions", s->id,
                 c->quorum, nassigned);
    }
    c->source_address = s->source_address;
    s->source_address = NULL;

    switch (c->type) {
    case CHECK_HTTP: {
        struct check_http *h = &c->u.http;
        if (strncmp(s->url, "http://", 7) != 0 &&
            strncmp(s->url, "https://", 8) != 0) {
            conf_err(errs, file, node->line, node->col,
                     "check '%s': url must start with http:// or https://",
                     s->id);
        }
        if (s->body_regex != NULL) {
            regex_t re;
            if (regcomp(&re, s->body_regex, REG_EXTENDED | REG_NOSUB) != 0) {
                conf_err(errs, file, node->line, node->col,
                         "check '%s': body_regex does not compile", s->id);
            } else {
                regfree(&re);
            }
        }
        if (s->json_path != NULL && strncmp(s->json_path, "$", 1) != 0) {
            conf_err(errs, file, node->line, node->col,
                     "check '%s': json_path must start with '$'", s->id);
        }
        if ((s->json_path == NULL) != (s->json_equals == NULL)) {
            conf_err(errs, file, node->line, node->col,
                     "check '%s': json_path and json_equals go together",
                     s->id);
        }
        h->url = s->url;
        h->method = s->method;
        h->body = s->body;
        h->follow_redirects = s->follow_redirects;
        memcpy(h->expect_status, s->expect_status, sizeof(h->expect_status));
        h->nexpect_status = s->nexpect_status;
        if (s->nheaders > 0) {
            h->headers = ph_calloc(s->nheaders, sizeof(*h->headers));
            if (h->headers == NULL) {
                conf_err(errs, file, node->line, node->col, "out of memory");
            } else {
                memcpy(h->headers, s->headers,
                       s->nheaders * sizeof(*h->headers));
                h->nheaders = s->nheaders;
                s->nheaders = 0;
            }
        }
        h->body_contains = s->body_contains;
        h->body_not_contains = s->body_not_contains;
        h->body_regex = s->body_regex;
        h->json_path = s->json_path;
        h->json_equals = s->json_equals;
        h->insecure = s->insecure;
        h->ca_file = s->ca_file;
        s->url = s->method = s->body = s->body_contains = NULL;
        s->body_not_contains = s->body_regex = s->json_path = NULL;
        s->json_equals = s->ca_file = NULL;
        break;
    }
    case CHECK_TCP:
        c->u.tcp.host = s->host;
        c->u.tcp.port = s->port;
        c->u.tcp.tls = s->tls;
        c->u.tcp.insecure = s->insecure;
        c->u.tcp.ca_file = s->ca_file;
        c->u.tcp.sni = s->sni;
        c->u.tcp.send = s->send;
        c->u.tcp.expect = s->expect;
        s->host = s->ca_file = s->sni = s->send = s->expect = NULL;
        break;
    case CHECK_DNS:
        if (!pc_in_list(s->record_type, rrtypes, 7)) {
            conf_err(errs, file, node->line, node->col,
                     "check '%s': record_type must be one of A AAAA CNAME MX "
                     "TXT NS SOA",
                     s->id);
        }
        if (!pc_in_list(s->expect_rcode, rcodes, 6)) {
            conf_err(errs, file, node->line, node->col,
                     "check '%s': unknown expect_rcode '%s'", s->id,
                     s->expect_rcode);
        }
        c->u.dns.name = s->name;
        c->u.dns.rrtype = s->record_type;
        c->u.dns.server = s->server;
        c->u.dns.port = s->port;
        c->u.dns.expect_rcode = s->expect_rcode;
        for (size_t i = 0; i < s->nexpect_answers; i++) {
            c->u.dns.expect_answers[i] = s->expect_answers[i];
            s->expect_answers[i] = NULL;
        }
        c->u.dns.nexpect_answers = s->nexpect_answers;
        s->nexpect_answers = 0;
        s->name = s->record_type = s->server = s->expect_rcode = NULL;
        break;
    case CHECK_SMTP:
        c->u.smtp.host = s->host;
        c->u.smtp.implicit_tls = s->implicit_tls;
        c->u.smtp.port = s->port ? s->port : (s->implicit_tls ? 465 : 25);
        if (strcmp(s->starttls, "required") == 0) {
            c->u.smtp.starttls = SMTP_STARTTLS_REQUIRED;
        } else if (strcmp(s->starttls, "optional") == 0) {
            c->u.smtp.starttls = SMTP_STARTTLS_OPTIONAL;
        } else if (strcmp(s->starttls, "off") == 0) {
            c->u.smtp.starttls = SMTP_STARTTLS_OFF;
        } else {
            conf_err(errs, file, node->line, node->col,
                     "check '%s': starttls must be required, optional or "
                     "off",
                     s->id);
        }
        c->u.smtp.insecure = s->insecure;
        c->u.smtp.ca_file = s->ca_file;
        c->u.smtp.ehlo_name = s->ehlo_name;
        s->host = s->ca_file = s->ehlo_name = NULL;
        break;
    }
    return errs->n + errs->dropped > nerr ? -1 : 0;
}

/* Decodes one check node with the defaults in d. */
int
pc_decode_check(const struct conf_node *node, const struct check_stage *d,
             const char *component, struct pharos_conf *cf,
             const char *file, struct check *ret, struct conf_errs *errs)
{
    const struct conf_node *tn = pc_find_key(node, "type");
    const struct conf_opt *table = NULL;
    struct check_stage s;
    int rc;

    if (node->type != CONF_MAP) {
        conf_err(errs, file, node->line, node->col,
                 "a check must be a mapping");
        return -1;
    }
    if (tn == NULL || tn->type != CONF_SCALAR) {
        conf_err(errs, file, node->line, node->col,
                 "check needs a 'type' (http, tcp, dns or smtp)");
        return -1;
    }
    switch (check_type_parse(tn->value)) {
    case CHECK_HTTP:
        table = http_opts;
        break;
    case CHECK_TCP:
        table = tcp_opts;
        break;
    case CHECK_DNS:
        table = dns_opts;
        break;
    case CHECK_SMTP:
        table = smtp_opts;
        break;
    default:
        conf_err(errs, file, tn->line, tn->col,
                 "unknown check type '%s' (http, tcp, dns or smtp)",
                 tn->value);
        return -1;
    }
    memset(&s, 0, sizeof(s));
    s.interval_ms = d->interval_ms;
    s.timeout_ms = d->timeout_ms;
    s.degraded_over_ms = d->degraded_over_ms;
    s.fail_after = d->fail_after;
    s.recover_after = d->recover_after;
    s.cert_expiry_days = d->cert_expiry_days;
    s.quorum = dup_or_null(d->quorum);
    s.minority = dup_or_null(d->minority);
    s.impact = dup_or_null(d->impact);
    s.source_address = dup_or_null(d->source_address);
    rc = conf_decode(table, node, &s, file, errs);
    /* Validate across fields even after a key error, so one run reports
     * everything; required keys must be there to do so. */
    if (s.id != NULL && s.type != NULL &&
        (table != http_opts || s.url != NULL) &&
        ((table != tcp_opts && table != smtp_opts) || s.host != NULL) &&
        (table != dns_opts || s.name != NULL)) {
        if (stage_to_check(&s, node, component, cf, file, ret, errs) != 0) {
            rc = -1;
        }
        if (rc != 0) {
            check_free(ret);
        }
    } else {
        rc = -1;
    }
    pc_stage_free(&s);
    return rc == 0 ? 0 : -1;
}

