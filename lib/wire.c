/*
 * wire.c - protobuf-c glue. Everything that touches generated types lives
 * here, so the rest of Pharos works with struct check / check_result.
 */
#include "wire.h"

/* The generated *_INIT macros cast protobuf_c_empty_string's const away;
 * clang reports that inside this file even though the header is a system
 * include. Our own casts here go through uintptr_t on purpose. */
#pragma GCC diagnostic ignored "-Wcast-qual"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "check_http_spec.h"
#include "conf.h"
#include "mem.h"
#include "ph_err.h"
#include "utf8.h"
#include "pharos/v1/agent.pb-c.h"

/* protobuf-c allocator routed through ph_malloc, so allocation-failure
 * tests reach the decoder too. */
static void *
pb_alloc(void *data, size_t size)
{
    (void)data;
    return ph_malloc(size);
}

static void
pb_free(void *data, void *p)
{
    (void)data;
    ph_free(p);
}

static ProtobufCAllocator pb_allocator = {pb_alloc, pb_free, NULL};

static void __attribute__((format(printf, 3, 4)))
seterr(char *errbuf, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (errbuf != NULL && errlen > 0) {
        va_start(ap, fmt);
        vsnprintf(errbuf, errlen, fmt, ap);
        va_end(ap);
    }
}

/* Returns 1 if s is NULL or within max bytes. */
static int
str_ok(const char *s, size_t max)
{
    return s == NULL || strnlen(s, max + 1) <= max;
}

/* Empty protobuf strings mean "unset": map them to NULL. */
static int
dup_opt(char **dst, const char *src)
{
    *dst = NULL;
    if (src == NULL || src[0] == '\0') {
        return 0;
    }
    *dst = ph_strdup(src);
    return *dst == NULL ? PH_ENOMEM : 0;
}

static int
dup_bytes(char **dst, const ProtobufCBinaryData *b)
{
    *dst = NULL;
    if (b->len == 0) {
        return 0;
    }
    *dst = ph_strndup((const char *)b->data, b->len);
    return *dst == NULL ? PH_ENOMEM : 0;
}

static void
copy_id(char *dst, const char *src)
{
    snprintf(dst, CHECK_ID_MAX, "%s", src != NULL ? src : "");
}

/* ---- result batch ---- */

int
wire_encode_batch(const struct wire_batch *b, uint8_t **ret, size_t *ret_len)
{
    Pharos__V1__ResultBatch msg = PHAROS__V1__RESULT_BATCH__INIT;
    Pharos__V1__Result *rs = NULL;
    Pharos__V1__Result **rp = NULL;
    Pharos__V1__Timing *ts = NULL;
    uint8_t *out = NULL;
    size_t len;
    int result;

    if (b->nresults > WIRE_RESULTS_MAX) {
        return PH_ETOOBIG;
    }
    if (b->nresults > 0) {
        rs = ph_calloc(b->nresults, sizeof(*rs));
        rp = ph_calloc(b->nresults, sizeof(*rp));
        ts = ph_calloc(b->nresults, sizeof(*ts));
        if (rs == NULL || rp == NULL || ts == NULL) {
            result = PH_ENOMEM;
            goto out;
        }
    }
    for (size_t i = 0; i < b->nresults; i++) {
        const struct check_result *r = &b->results[i];
        Pharos__V1__Timing t = PHAROS__V1__TIMING__INIT;
        Pharos__V1__Result m = PHAROS__V1__RESULT__INIT;

        t.dns_us = r->timing.dns_us;
        t.connect_us = r->timing.connect_us;
        t.tls_us = r->timing.tls_us;
        t.first_byte_us = r->timing.first_byte_us;
        t.total_us = r->timing.total_us;
        ts[i] = t;
        m.check_id = (char *)(uintptr_t)r->check_id;
        m.started_at_ms = r->started_at_ms;
        m.outcome = (Pharos__V1__Outcome)r->outcome;
        m.latency_ms = r->latency_ms;
        m.timing = &ts[i];
        m.status_code = r->status_code;
        m.cert_not_after = r->cert_not_after;
        m.error = (char *)(uintptr_t)r->error;
        m.kind = r->kind <= PROBE_WATCH ? (Pharos__V1__ProbeKind)r->kind
                                          : PHAROS__V1__PROBE_KIND__PROBE_SCHEDULED;
        rs[i] = m;
        rp[i] = &rs[i];
    }
    msg.seq = b->seq;
    msg.plan_version = b->plan_version;
    msg.backlog = b->backlog;
    msg.accepts_recheck = b->accepts_recheck ? 1 : 0;
    msg.agent_version = (char *)(uintptr_t)b->agent_version;
    msg.n_results = b->nresults;
    msg.results = rp;

    len = pharos__v1__result_batch__get_packed_size(&msg);
    if (len > WIRE_BATCH_MAX_BYTES) {
        result = PH_ETOOBIG;
        goto out;
    }
    out = ph_malloc(len);
    if (out == NULL) {
        result = PH_ENOMEM;
        goto out;
    }
    pharos__v1__result_batch__pack(&msg, out);
    *ret = out;
    *ret_len = len;
    out = NULL;
    result = 0;
out:
    ph_free(out);
    ph_free(rs);
    ph_free(rp);
    ph_free(ts);
    return result;
}

int
wire_decode_batch(const uint8_t *p, size_t len, struct wire_batch *ret,
                  char *errbuf, size_t errlen)
{
    Pharos__V1__ResultBatch *msg = NULL;
    struct check_result *rs = NULL;
    int result;

    memset(ret, 0, sizeof(*ret));
    if (len > WIRE_BATCH_MAX_BYTES) {
        seterr(errbuf, errlen, "%s: body of %zu bytes over the cap",
               "batch", len);
        return PH_ETOOBIG;
    }
    msg = pharos__v1__result_batch__unpack(&pb_allocator, len, p);
    if (msg == NULL) {
        seterr(errbuf, errlen, "%s: malformed protobuf (%zu bytes)",
               "batch", len);
        return PH_EPROTO;
    }
    if (msg->n_results > WIRE_RESULTS_MAX) {
        seterr(errbuf, errlen, "%s: %zu results over the cap", "batch",
               msg->n_results);
        result = PH_ETOOBIG;
        goto out;
    }
    if (msg->seq == 0) {
        seterr(errbuf, errlen, "batch: seq must be > 0");
        result = PH_EPROTO;
        goto out;
    }
    if (msg->n_results > 0) {
        rs = ph_calloc(msg->n_results, sizeof(*rs));
        if (rs == NULL) {
            result = PH_ENOMEM;
            goto out;
        }
    }
    for (size_t i = 0; i < msg->n_results; i++) {
        const Pharos__V1__Result *m = msg->results[i];
        struct check_result *r = &rs[i];

        if (m->check_id == NULL || m->check_id[0] == '\0' ||
            strlen(m->check_id) >= CHECK_ID_MAX) {
            seterr(errbuf, errlen, "%s %zu: bad check_id", "result", i);
            result = PH_EPROTO;
            goto out;
        }
        if (m->outcome < PHAROS__V1__OUTCOME__OUTCOME_UP ||
            m->outcome > PHAROS__V1__OUTCOME__OUTCOME_DOWN) {
            seterr(errbuf, errlen, "%s %zu: bad outcome", "result", i);
            result = PH_EPROTO;
            goto out;
        }
        if (!str_ok(m->error, WIRE_STRING_MAX)) {
            seterr(errbuf, errlen, "%s %zu: error string too long",
                   "result", i);
            result = PH_ETOOBIG;
            goto out;
        }
        /* Text from the agent is made valid UTF-8 here, once, and cut
         * on a character boundary: the JSON documents drop any string
         * that is not. */
        utf8_sanitize(r->check_id, sizeof(r->check_id), m->check_id,
                      strlen(m->check_id));
        r->started_at_ms = m->started_at_ms;
        r->outcome = (enum outcome)m->outcome;
        r->latency_ms = m->latency_ms;
        if (m->timing != NULL) {
            r->timing.dns_us = m->timing->dns_us;
            r->timing.connect_us = m->timing->connect_us;
            r->timing.tls_us = m->timing->tls_us;
            r->timing.first_byte_us = m->timing->first_byte_us;
            r->timing.total_us = m->timing->total_us;
        }
        r->status_code = m->status_code;
        r->cert_not_after = m->cert_not_after;
        /* An unknown kind (a newer agent) counts as scheduled. */
        r->kind = m->kind >= PHAROS__V1__PROBE_KIND__PROBE_CONFIRM &&
                          m->kind <= PHAROS__V1__PROBE_KIND__PROBE_WATCH
                      ? (uint8_t)m->kind
                      : PROBE_SCHEDULED;
        /* Longer errors are truncated to our field size, not rejected. */
        if (m->error != NULL) {
            utf8_sanitize(r->error, sizeof(r->error), m->error,
                          strlen(m->error));
        }
    }
    if (!str_ok(msg->agent_version, WIRE_VERSION_MAX - 1)) {
        seterr(errbuf, errlen, "batch: agent_version too long");
        result = PH_ETOOBIG;
        goto out;
    }
    ret->seq = msg->seq;
    ret->plan_version = msg->plan_version;
    ret->backlog = msg->backlog;
    ret->accepts_recheck = msg->accepts_recheck ? 1 : 0;
    if (msg->agent_version != NULL) {
        utf8_sanitize(ret->agent_version, sizeof(ret->agent_version),
                      msg->agent_version, strlen(msg->agent_version));
    }
    ret->results = rs;
    ret->nresults = msg->n_results;
    rs = NULL;
    result = 0;
out:
    ph_free(rs);
    pharos__v1__result_batch__free_unpacked(msg, &pb_allocator);
    return result;
}

void
wire_batch_free(struct wire_batch *b)
{
    ph_free(b->results);
    b->results = NULL;
    b->nresults = 0;
}

/* ---- plan ---- */

/* Per-check scratch for encoding: the generated structs point into it. */
struct enc_check {
    Pharos__V1__Check c;
    struct buf spec;              /* the type's keys as YAML (owned) */
    char *url;                    /* frozen http url of a steps check */
    int failed;
    Pharos__V1__HttpCheck http;
    Pharos__V1__TcpCheck tcp;
    Pharos__V1__DnsCheck dns;
    Pharos__V1__SmtpCheck smtp;
    Pharos__V1__Header hdr[CHECK_MAX_HEADERS];
    Pharos__V1__Header *hdrp[CHECK_MAX_HEADERS];
    uint32_t status[CHECK_MAX_EXPECT_STATUS];
};

static char *
nn(const char *s)
{
    return (char *)(uintptr_t)(s != NULL ? s : "");
}

static void
enc_http(struct enc_check *e, const struct check *c)
{
    const struct check_http *h = &c->u.http;
    Pharos__V1__HttpCheck hi = PHAROS__V1__HTTP_CHECK__INIT;

    e->http = hi;
    e->http.url = nn(h->url);
    e->http.method = nn(h->method);
    for (size_t i = 0; i < h->nheaders; i++) {
        Pharos__V1__Header hd = PHAROS__V1__HEADER__INIT;
        hd.name = nn(h->headers[i].name);
        hd.value = nn(h->headers[i].value);
        e->hdr[i] = hd;
        e->hdrp[i] = &e->hdr[i];
    }
    e->http.n_headers = h->nheaders;
    e->http.headers = e->hdrp;
    if (h->body != NULL) {
        e->http.body.data = (uint8_t *)(uintptr_t)h->body;
        e->http.body.len = strlen(h->body);
    }
    e->http.follow_redirects = h->follow_redirects;
    for (size_t i = 0; i < h->nexpect_status; i++) {
        e->status[i] = (uint32_t)h->expect_status[i];
    }
    e->http.n_expect_status = h->nexpect_status;
    e->http.expect_status = e->status;
    e->http.body_contains = nn(h->body_contains);
    e->http.body_not_contains = nn(h->body_not_contains);
    e->http.body_regex = nn(h->body_regex);
    e->http.json_path = nn(h->json_path);
    e->http.json_equals = nn(h->json_equals);
    e->http.insecure = h->insecure;
    e->http.ca_file = nn(h->ca_file);
    /* An agent from before multi-step checks would probe the url alone
     * and might call it up: the marked url makes it fail (down) until it
     * is upgraded and reads the steps from the generic form. */
    if (h->nsteps > 0) {
        size_t n = strlen(HTTP_STEPS_URL_PREFIX) + strlen(nn(h->url)) + 1;

        e->url = ph_malloc(n);
        e->failed |= e->url == NULL;
        if (e->url != NULL) {
            snprintf(e->url, n, "%s%s", HTTP_STEPS_URL_PREFIX, nn(h->url));
            e->http.url = e->url;
        }
    }
    e->c.spec_case = PHAROS__V1__CHECK__SPEC_HTTP;
    e->c.http = &e->http;
}

static void
enc_tcp(struct enc_check *e, const struct check *c)
{
    const struct check_tcp *t = &c->u.tcp;
    Pharos__V1__TcpCheck ti = PHAROS__V1__TCP_CHECK__INIT;

    e->tcp = ti;
    e->tcp.host = nn(t->host);
    e->tcp.port = (uint32_t)t->port;
    e->tcp.tls = t->tls;
    e->tcp.insecure = t->insecure;
    e->tcp.ca_file = nn(t->ca_file);
    e->tcp.sni = nn(t->sni);
    if (t->send != NULL) {
        e->tcp.send.data = (uint8_t *)(uintptr_t)t->send;
        e->tcp.send.len = strlen(t->send);
    }
    if (t->expect != NULL) {
        e->tcp.expect.data = (uint8_t *)(uintptr_t)t->expect;
        e->tcp.expect.len = strlen(t->expect);
    }
    e->c.spec_case = PHAROS__V1__CHECK__SPEC_TCP;
    e->c.tcp = &e->tcp;
}

static void
enc_dns(struct enc_check *e, const struct check *c)
{
    const struct check_dns *d = &c->u.dns;
    Pharos__V1__DnsCheck di = PHAROS__V1__DNS_CHECK__INIT;

    e->dns = di;
    e->dns.name = nn(d->name);
    e->dns.rrtype = nn(d->rrtype);
    e->dns.server = nn(d->server);
    e->dns.port = (uint32_t)d->port;
    e->dns.expect_rcode = nn(d->expect_rcode);
    e->dns.n_expect_answers = d->nexpect_answers;
    e->dns.expect_answers = (char **)(uintptr_t)d->expect_answers;
    e->c.spec_case = PHAROS__V1__CHECK__SPEC_DNS;
    e->c.dns = &e->dns;
}

static void
enc_smtp(struct enc_check *e, const struct check *c)
{
    const struct check_smtp *s = &c->u.smtp;
    Pharos__V1__SmtpCheck si = PHAROS__V1__SMTP_CHECK__INIT;

    e->smtp = si;
    e->smtp.host = nn(s->host);
    e->smtp.port = (uint32_t)s->port;
    e->smtp.implicit_tls = s->implicit_tls;
    e->smtp.starttls = (Pharos__V1__SmtpCheck__StartTls)s->starttls;
    e->smtp.insecure = s->insecure;
    e->smtp.ca_file = nn(s->ca_file);
    e->smtp.ehlo_name = nn(s->ehlo_name);
    e->c.spec_case = PHAROS__V1__CHECK__SPEC_SMTP;
    e->c.smtp = &e->smtp;
}

static int
dec_http(struct check_http *h, const Pharos__V1__HttpCheck *m)
{
    int bad = 0;

    if (m->n_headers > CHECK_MAX_HEADERS ||
        m->n_expect_status > CHECK_MAX_EXPECT_STATUS ||
        m->body.len > WIRE_BODY_MAX || !str_ok(m->url, WIRE_URL_MAX) ||
        m->url == NULL || m->url[0] == '\0') {
        return PH_EPROTO;
    }
    bad |= dup_opt(&h->url, m->url);
    bad |= dup_opt(&h->method, m->method);
    if (m->n_headers > 0) {
        h->headers = ph_calloc(m->n_headers, sizeof(*h->headers));
        if (h->headers == NULL) {
            return PH_ENOMEM;
        }
    }
    for (size_t i = 0; i < m->n_headers; i++) {
        bad |= dup_opt(&h->headers[i].name, m->headers[i]->name);
        bad |= dup_opt(&h->headers[i].value, m->headers[i]->value);
        h->nheaders = i + 1;
    }
    bad |= dup_bytes(&h->body, &m->body);
    h->follow_redirects = m->follow_redirects;
    for (size_t i = 0; i < m->n_expect_status; i++) {
        if (m->expect_status[i] < 100 || m->expect_status[i] > 599) {
            return PH_EPROTO;
        }
        h->expect_status[i] = (int)m->expect_status[i];
    }
    h->nexpect_status = m->n_expect_status;
    bad |= dup_opt(&h->body_contains, m->body_contains);
    bad |= dup_opt(&h->body_not_contains, m->body_not_contains);
    bad |= dup_opt(&h->body_regex, m->body_regex);
    bad |= dup_opt(&h->json_path, m->json_path);
    bad |= dup_opt(&h->json_equals, m->json_equals);
    h->insecure = m->insecure;
    bad |= dup_opt(&h->ca_file, m->ca_file);
    return bad ? PH_ENOMEM : 0;
}

static int
dec_tcp(struct check *c, const Pharos__V1__Check *m)
{
    int bad = 0;

    if (m->tcp->port == 0 || m->tcp->port > 65535 ||
        m->tcp->host == NULL || m->tcp->host[0] == '\0' ||
        m->tcp->send.len > WIRE_BODY_MAX ||
        m->tcp->expect.len > WIRE_BODY_MAX) {
        return PH_EPROTO;
    }
    bad |= dup_opt(&c->u.tcp.host, m->tcp->host);
    c->u.tcp.port = (int)m->tcp->port;
    c->u.tcp.tls = m->tcp->tls;
    c->u.tcp.insecure = m->tcp->insecure;
    bad |= dup_opt(&c->u.tcp.ca_file, m->tcp->ca_file);
    bad |= dup_opt(&c->u.tcp.sni, m->tcp->sni);
    bad |= dup_bytes(&c->u.tcp.send, &m->tcp->send);
    bad |= dup_bytes(&c->u.tcp.expect, &m->tcp->expect);
    return bad ? PH_ENOMEM : 0;
}

static int
dec_dns(struct check *c, const Pharos__V1__Check *m)
{
    int bad = 0;

    if (m->dns->name == NULL || m->dns->name[0] == '\0' ||
        m->dns->port > 65535 ||
        m->dns->n_expect_answers > CHECK_MAX_ANSWERS) {
        return PH_EPROTO;
    }
    bad |= dup_opt(&c->u.dns.name, m->dns->name);
    bad |= dup_opt(&c->u.dns.rrtype, m->dns->rrtype);
    bad |= dup_opt(&c->u.dns.server, m->dns->server);
    c->u.dns.port = (int)m->dns->port;
    bad |= dup_opt(&c->u.dns.expect_rcode, m->dns->expect_rcode);
    for (size_t i = 0; i < m->dns->n_expect_answers; i++) {
        bad |= dup_opt(&c->u.dns.expect_answers[i],
                       m->dns->expect_answers[i]);
        c->u.dns.nexpect_answers = i + 1;
    }
    return bad ? PH_ENOMEM : 0;
}

static int
dec_smtp(struct check *c, const Pharos__V1__Check *m)
{
    int bad = 0;

    if (m->smtp->host == NULL || m->smtp->host[0] == '\0' ||
        m->smtp->port > 65535 ||
        m->smtp->starttls > PHAROS__V1__SMTP_CHECK__START_TLS__STARTTLS_OFF) {
        return PH_EPROTO;
    }
    bad |= dup_opt(&c->u.smtp.host, m->smtp->host);
    c->u.smtp.port = (int)m->smtp->port;
    c->u.smtp.implicit_tls = m->smtp->implicit_tls;
    c->u.smtp.starttls = (enum smtp_starttls)m->smtp->starttls;
    c->u.smtp.insecure = m->smtp->insecure;
    bad |= dup_opt(&c->u.smtp.ca_file, m->smtp->ca_file);
    bad |= dup_opt(&c->u.smtp.ehlo_name, m->smtp->ehlo_name);
    return bad ? PH_ENOMEM : 0;
}

static int
dec_http_check(struct check *c, const Pharos__V1__Check *m)
{
    return dec_http(&c->u.http, m->http);
}

/* The frozen mapping of the first four types to their own messages (the
 * proto's oneof spec): still written for agents deployed before the
 * generic form (WIRE_PLAN_FROZEN), still read from collectors deployed
 * before it. Never extended: a new type or key travels only as
 * spec_yaml. */
static const struct wire_kind {
    enum check_type type;
    Pharos__V1__Check__SpecCase spec;
    void (*enc)(struct enc_check *e, const struct check *c);
    int (*dec)(struct check *c, const Pharos__V1__Check *m);
} wire_kinds[] = {
    {CHECK_HTTP, PHAROS__V1__CHECK__SPEC_HTTP, enc_http, dec_http_check},
    {CHECK_TCP, PHAROS__V1__CHECK__SPEC_TCP, enc_tcp, dec_tcp},
    {CHECK_DNS, PHAROS__V1__CHECK__SPEC_DNS, enc_dns, dec_dns},
    {CHECK_SMTP, PHAROS__V1__CHECK__SPEC_SMTP, enc_smtp, dec_smtp},
};
#define NWIRE_KINDS (sizeof(wire_kinds) / sizeof(wire_kinds[0]))

/* Each type's keys at their defaults (what an agent fills in for a key
 * the plan leaves out), decoded once per plan; indexed like
 * check_kind_at(). */
struct enc_defaults {
    struct check *defs;
    size_t n;
};

static int
defaults_init(struct enc_defaults *d)
{
    static const struct conf_node empty = {CONF_MAP, 1, 1, NULL, 0, 0,
                                           NULL, NULL, NULL};
    const struct check_kind *k;

    d->n = 0;
    while (check_kind_at(d->n) != NULL) {
        d->n++;
    }
    d->defs = ph_calloc(d->n, sizeof(*d->defs));
    if (d->defs == NULL) {
        return PH_ENOMEM;
    }
    for (size_t i = 0; (k = check_kind_at(i)) != NULL; i++) {
        d->defs[i].type = k->type;
        /* Required keys are missing here: no errors wanted. */
        conf_decode(k->opts, &empty, &d->defs[i], "", NULL);
    }
    return 0;
}

static void
defaults_free(struct enc_defaults *d)
{
    for (size_t i = 0; d->defs != NULL && i < d->n; i++) {
        check_free(&d->defs[i]);
    }
    ph_free(d->defs);
    d->defs = NULL;
}

static const struct check *
defaults_of(const struct enc_defaults *d, enum check_type t)
{
    for (size_t i = 0; i < d->n; i++) {
        if (d->defs[i].type == t) {
            return &d->defs[i];
        }
    }
    return NULL;
}

/* The generic form of every type: its name and its own keys printed by
 * its key table as `pharos-collector -n` shows them, less the plain
 * values (strings, numbers, flags, enums) equal to their default: the
 * agent's decode puts those back. Lists and maps are always printed
 * (they print nothing when empty). */
static int
enc_spec(struct enc_check *e, const struct check *c,
         const struct enc_defaults *d)
{
    const struct check_kind *k = check_kind_of(c->type);
    const struct check *def = defaults_of(d, c->type);
    const char *indent = "";

    if (k == NULL || def == NULL) {
        return PH_EINVAL;
    }
    for (const struct conf_opt *o = k->opts; o->key != NULL; o++) {
        const struct conf_opt row[2] = {*o, {NULL, 0, 0, NULL, 0, 0, 0,
                                             NULL, NULL}};
        int plain = o->type == CONF_T_STR || o->type == CONF_T_INT ||
                    o->type == CONF_T_UINT32 || o->type == CONF_T_BOOL ||
                    o->type == CONF_T_DURATION || o->type == CONF_T_ENUM ||
                    o->type == CONF_T_DAYS;

        if (plain && conf_equal_fields(row, c, def)) {
            continue;
        }
        conf_print(row, c, &indent, "", &e->spec);
    }
    if (e->spec.err != 0) {
        return e->spec.err;
    }
    e->c.type = (char *)(uintptr_t)k->name;
    e->c.spec_yaml.data = (uint8_t *)e->spec.data;
    e->c.spec_yaml.len = e->spec.len;
    return 0;
}

static int
enc_one(struct enc_check *e, const struct check *c, enum wire_plan_form form,
        const struct enc_defaults *d)
{
    Pharos__V1__Check init = PHAROS__V1__CHECK__INIT;

    e->c = init;
    e->c.id = nn(c->id);
    e->c.component_id = nn(c->component_id);
    e->c.interval_ms = c->interval_ms;
    e->c.timeout_ms = c->timeout_ms;
    e->c.degraded_over_ms = c->degraded_over_ms;
    e->c.cert_expiry_days = c->cert_expiry_days;
    e->c.source_address = nn(c->source_address);
    e->c.confirm_after_ms = c->confirm_after_ms;
    e->c.fail_after = c->fail_after;
    e->c.recover_after = c->recover_after;
    e->c.phase_offset_ms = c->phase_offset_ms;
    e->c.watch = c->watch != 0;
    buf_init(&e->spec, WIRE_SPEC_MAX);
    if (form == WIRE_PLAN_GENERIC) {
        return enc_spec(e, c, d);
    }
    for (size_t i = 0; i < NWIRE_KINDS; i++) {
        if (wire_kinds[i].type == c->type) {
            wire_kinds[i].enc(e, c);
            return 0;
        }
    }
    return PH_EINVAL;
}

int
wire_encode_plan(enum wire_plan_form form, uint64_t version,
                 const char *agent_id, const char *region,
                 uint64_t last_acked_seq, const struct check *checks,
                 size_t n, uint8_t **ret, size_t *ret_len)
{
    Pharos__V1__CheckPlan msg = PHAROS__V1__CHECK_PLAN__INIT;
    struct enc_defaults defs = {NULL, 0};
    struct enc_check *ec = NULL;
    Pharos__V1__Check **cp = NULL;
    uint8_t *out = NULL;
    size_t len;
    int result;

    if (n > WIRE_CHECKS_MAX) {
        return PH_ETOOBIG;
    }
    if (n > 0) {
        ec = ph_calloc(n, sizeof(*ec));
        cp = ph_calloc(n, sizeof(*cp));
        if (ec == NULL || cp == NULL ||
            (form == WIRE_PLAN_GENERIC && defaults_init(&defs) != 0)) {
            result = PH_ENOMEM;
            goto out;
        }
    }
    for (size_t i = 0; i < n; i++) {
        result = enc_one(&ec[i], &checks[i], form, &defs);
        if (result == 0 && ec[i].failed) {
            result = PH_ENOMEM;
        }
        if (result != 0) {
            goto out;
        }
        cp[i] = &ec[i].c;
    }
    msg.version = version;
    msg.agent_id = nn(agent_id);
    msg.region = nn(region);
    msg.last_acked_seq = last_acked_seq;
    msg.n_checks = n;
    msg.checks = cp;
    len = pharos__v1__check_plan__get_packed_size(&msg);
    if (len > WIRE_PLAN_MAX_BYTES) {
        result = PH_ETOOBIG;
        goto out;
    }
    out = ph_malloc(len);
    if (out == NULL) {
        result = PH_ENOMEM;
        goto out;
    }
    pharos__v1__check_plan__pack(&msg, out);
    *ret = out;
    *ret_len = len;
    out = NULL;
    result = 0;
out:
    ph_free(out);
    for (size_t i = 0; ec != NULL && i < n; i++) {
        buf_free(&ec[i].spec);
        ph_free(ec[i].url);
    }
    defaults_free(&defs);
    ph_free(ec);
    ph_free(cp);
    return result;
}

/* The generic form: the type by name, its keys decoded by its key table
 * and checked by its rules, exactly as from pharos.yml (positions are in
 * the check's spec_yaml, named "plan"). errs is scratch. */
static int
dec_spec(struct check *c, const Pharos__V1__Check *m,
         struct conf_errs *errs, char *errbuf, size_t errlen)
{
    static const struct conf_node empty = {CONF_MAP, 1, 1, NULL, 0, 0,
                                           NULL, NULL, NULL};
    const struct check_kind *k = check_kind_named(m->type);
    struct conf_node *root = NULL;
    const struct conf_node *map = &empty;
    int result;

    if (k == NULL) {
        seterr(errbuf, errlen,
               "check '%s': type '%.32s' unknown to this agent (upgrade "
               "it)", c->id, m->type);
        return PH_EPROTO;
    }
    if (m->spec_yaml.len > WIRE_SPEC_MAX) {
        seterr(errbuf, errlen, "check '%s': spec of %zu bytes over the cap",
               c->id, m->spec_yaml.len);
        return PH_ETOOBIG;
    }
    c->type = k->type;
    memset(errs, 0, sizeof(*errs));
    if (m->spec_yaml.len > 0) {
        root = conf_yaml_parse("plan", (const char *)m->spec_yaml.data,
                               m->spec_yaml.len, errs);
        if (root == NULL || root->type != CONF_MAP) {
            result = PH_EPROTO;
            goto out;
        }
        map = root;
    }
    if (conf_decode(k->opts, map, c, "plan", errs) == 0 &&
        k->finish != NULL) {
        k->finish(c, map, "plan", errs);
    }
    result = errs->n + errs->dropped > 0 ? PH_EPROTO : 0;
out:
    if (result != 0) {
        seterr(errbuf, errlen, "check '%s' (%s): %s", c->id, k->name,
               errs->n > 0 ? errs->msgs[0] : "spec is not a mapping");
    }
    conf_node_free(root);
    return result;
}

static int
dec_check(struct check *c, const Pharos__V1__Check *m,
          struct conf_errs *errs, char *errbuf, size_t errlen)
{
    int bad = 0;

    if (m->id == NULL || m->id[0] == '\0' || strlen(m->id) >= CHECK_ID_MAX ||
        !str_ok(m->component_id, CHECK_ID_MAX - 1) ||
        !str_ok(m->source_address, 64) || m->interval_ms == 0 ||
        m->timeout_ms == 0) {
        return PH_EPROTO;
    }
    copy_id(c->id, m->id);
    copy_id(c->component_id, m->component_id);
    c->interval_ms = m->interval_ms;
    c->timeout_ms = m->timeout_ms;
    c->degraded_over_ms = m->degraded_over_ms;
    c->cert_expiry_days = m->cert_expiry_days;
    /* Absent (an older collector): no confirmations. Capped like the
     * config keys, so a plan cannot make the agent probe in a loop. */
    c->confirm_after_ms = m->confirm_after_ms;
    if (c->confirm_after_ms != 0 && c->confirm_after_ms < 100) {
        c->confirm_after_ms = 100;
    }
    c->fail_after = m->fail_after > 100 ? 100 : m->fail_after;
    c->recover_after = m->recover_after > 100 ? 100 : m->recover_after;
    c->phase_offset_ms = m->phase_offset_ms % m->interval_ms;
    c->watch = m->watch != 0;
    bad |= dup_opt(&c->source_address, m->source_address);
    if (bad) {
        return PH_ENOMEM;
    }
    if (m->type != NULL && m->type[0] != '\0') {
        return dec_spec(c, m, errs, errbuf, errlen);
    }
    /* A collector from before spec_yaml: the frozen messages. */
    for (size_t i = 0; i < NWIRE_KINDS; i++) {
        if (wire_kinds[i].spec == m->spec_case) {
            c->type = wire_kinds[i].type;
            return wire_kinds[i].dec(c, m);
        }
    }
    return PH_EPROTO;
}

/* Every string field of the plan is checked against WIRE_STRING_MAX
 * by protobuf size first: a plan is trusted more than a batch (it comes
 * from our collector), but the agent still never crashes on it. */
int
wire_decode_plan(const uint8_t *p, size_t len, struct wire_plan *ret,
                 char *errbuf, size_t errlen)
{
    Pharos__V1__CheckPlan *msg = NULL;
    struct conf_errs *errs = NULL;
    char why[CONF_ERR_MSG_MAX + 96];
    int result;

    memset(ret, 0, sizeof(*ret));
    if (len > WIRE_PLAN_MAX_BYTES) {
        seterr(errbuf, errlen, "%s: %zu bytes over the cap", "plan", len);
        return PH_ETOOBIG;
    }
    msg = pharos__v1__check_plan__unpack(&pb_allocator, len, p);
    if (msg == NULL) {
        seterr(errbuf, errlen, "%s: malformed protobuf (%zu bytes)", "plan",
               len);
        return PH_EPROTO;
    }
    if (msg->n_checks > WIRE_CHECKS_MAX) {
        seterr(errbuf, errlen, "%s: %zu checks over the cap", "plan",
               msg->n_checks);
        result = PH_ETOOBIG;
        goto out;
    }
    if (msg->n_checks > 0) {
        ret->checks = ph_calloc(msg->n_checks, sizeof(*ret->checks));
        errs = ph_malloc(sizeof(*errs));
        if (ret->checks == NULL || errs == NULL) {
            result = PH_ENOMEM;
            goto out;
        }
    }
    for (size_t i = 0; i < msg->n_checks; i++) {
        ret->nchecks = i + 1;
        why[0] = '\0';
        result = dec_check(&ret->checks[i], msg->checks[i], errs, why,
                           sizeof(why));
        if (result != 0) {
            seterr(errbuf, errlen, "%s %zu: invalid check%s%s", "plan", i,
                   why[0] ? ": " : "", why);
            goto out;
        }
    }
    ret->version = msg->version;
    ret->last_acked_seq = msg->last_acked_seq;
    copy_id(ret->agent_id, msg->agent_id);
    copy_id(ret->region, msg->region);
    result = 0;
out:
    if (result != 0) {
        wire_plan_free(ret);
    }
    ph_free(errs);
    pharos__v1__check_plan__free_unpacked(msg, &pb_allocator);
    return result;
}

void
wire_plan_free(struct wire_plan *pl)
{
    for (size_t i = 0; i < pl->nchecks; i++) {
        check_free(&pl->checks[i]);
    }
    ph_free(pl->checks);
    pl->checks = NULL;
    pl->nchecks = 0;
}

/* ---- ack ---- */

int
wire_encode_ack(uint64_t acked_seq, uint64_t plan_version, uint8_t **ret,
                size_t *ret_len)
{
    struct wire_ack a;

    memset(&a, 0, sizeof(a));
    a.acked_seq = acked_seq;
    a.plan_version = plan_version;
    return wire_encode_ack_full(&a, ret, ret_len);
}

int
wire_encode_ack_full(const struct wire_ack *a, uint8_t **ret,
                     size_t *ret_len)
{
    Pharos__V1__Ack msg = PHAROS__V1__ACK__INIT;
    char *ids[WIRE_RECHECK_MAX];
    uint8_t *out;
    size_t len;

    if (a->nrecheck > WIRE_RECHECK_MAX) {
        return PH_ETOOBIG;
    }
    for (size_t i = 0; i < a->nrecheck; i++) {
        ids[i] = (char *)(uintptr_t)a->recheck[i];
    }
    msg.acked_seq = a->acked_seq;
    msg.plan_version = a->plan_version;
    msg.n_recheck = a->nrecheck;
    msg.recheck = a->nrecheck > 0 ? ids : NULL;
    len = pharos__v1__ack__get_packed_size(&msg);
    out = ph_malloc(len > 0 ? len : 1);
    if (out == NULL) {
        return PH_ENOMEM;
    }
    pharos__v1__ack__pack(&msg, out);
    *ret = out;
    *ret_len = len;
    return 0;
}

int
wire_decode_ack(const uint8_t *p, size_t len, uint64_t *ret_acked_seq,
                uint64_t *ret_plan_version)
{
    struct wire_ack a;
    int rc;

    /* The old cap: an Ack without re-check requests is a few bytes. */
    if (len > 64) {
        return PH_ETOOBIG;
    }
    rc = wire_decode_ack_full(p, len, &a);
    if (rc == 0) {
        *ret_acked_seq = a.acked_seq;
        *ret_plan_version = a.plan_version;
    }
    return rc;
}

int
wire_decode_ack_full(const uint8_t *p, size_t len, struct wire_ack *ret)
{
    Pharos__V1__Ack *msg;
    int result = 0;

    memset(ret, 0, sizeof(*ret));
    if (len > WIRE_ACK_MAX_BYTES) {
        return PH_ETOOBIG;
    }
    msg = pharos__v1__ack__unpack(&pb_allocator, len, p);
    if (msg == NULL) {
        return PH_EPROTO;
    }
    ret->acked_seq = msg->acked_seq;
    ret->plan_version = msg->plan_version;
    /* Ids over the caps are dropped, not an error: the ack itself must
     * still count, and a re-check is only an optimisation. */
    for (size_t i = 0; i < msg->n_recheck && ret->nrecheck < WIRE_RECHECK_MAX;
         i++) {
        const char *id = msg->recheck[i];
        if (id != NULL && id[0] != '\0' && strlen(id) < CHECK_ID_MAX) {
            copy_id(ret->recheck_ids[ret->nrecheck], id);
            ret->recheck[ret->nrecheck] = ret->recheck_ids[ret->nrecheck];
            ret->nrecheck++;
        }
    }
    pharos__v1__ack__free_unpacked(msg, &pb_allocator);
    return result;
}
