/*
 * dns.c - the dns check type: one query, its rcode and answers. The whole
 * type in one file, listed in checks/registry.h; compiled in three parts,
 * one per define:
 *
 *   PH_CHECK_DECLARE  struct check_dns, its part of struct check (u.dns):
 *                     copied by CMake into the header check.h includes
 *                     (the define is never set; it marks the part)
 *   PH_CHECK_PROBE    probe_dns_ops, the probe: the agent's probe library
 *   neither           check_dns_kind, its keys and their rules: lib/ (the
 *                     collector, pharosctl and the agent; the key table
 *                     also carries the check on the wire, lib/wire.c)
 */
#if defined(PH_CHECK_DECLARE)

#include <stddef.h>

#define CHECK_MAX_ANSWERS 16

struct check_dns {
    char *name;
    char *rrtype;                 /* A AAAA CNAME MX TXT NS SOA */
    char *server;                 /* resolver IP; NULL = system */
    int port;                     /* 0 = 53 */
    char *expect_rcode;           /* NULL = NOERROR */
    char *expect_answers[CHECK_MAX_ANSWERS];
    size_t nexpect_answers;
};

#elif defined(PH_CHECK_PROBE)

/*
 * The probe: DNS via c-ares on the agent's loop.
 *
 * One channel per run (servers are per channel), one try, and
 * ARES_FLAG_NOCHECKRESP so SERVFAIL and REFUSED replies reach us instead
 * of being retried away: the probe reports the real rcode, read from the
 * reply header. Answers are decoded with a small RR walker over the raw
 * reply (ares_expand_name for names), so every record type compares as
 * text: "192.0.2.1", "2001:db8::1", "alias.example.com",
 * "10 mail.example.com", the TXT strings joined.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ares_uv.h"
#include "mem.h"
#include "ph_err.h"
#include "probe.h"

#define DNS_MAX_ANSWERS 32
#define DNS_ANSWER_MAX 256

struct dns_run {
    const struct check *c;
    probe_done_cb cb;
    void *arg;
    struct ares_uv *au;
    uv_timer_t timer;
    uint64_t t0;
    int done;
    int starting;        /* inside dns_start: never report from there */
    struct check_result res;
};

static const struct {
    const char *name;
    int type;
} rrtypes[] = {{"A", 1},   {"NS", 2},   {"CNAME", 5}, {"SOA", 6},
               {"MX", 15}, {"TXT", 16}, {"AAAA", 28}};

static const char *const rcode_names[] = {"NOERROR", "FORMERR", "SERVFAIL",
                                          "NXDOMAIN", "NOTIMP", "REFUSED"};

static int
rrtype_of(const char *name)
{
    for (size_t i = 0; i < sizeof(rrtypes) / sizeof(rrtypes[0]); i++) {
        if (strcasecmp(rrtypes[i].name, name) == 0) {
            return rrtypes[i].type;
        }
    }
    return 0;
}

static const char *
rcode_name(int rcode)
{
    return rcode >= 0 && rcode < 6 ? rcode_names[rcode] : "rcode?";
}

static unsigned
u16(const unsigned char *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

/* Expands the name at p into out (trailing dot dropped). Returns the
 * encoded length, or -1. */
static long
name_at(const unsigned char *p, const unsigned char *abuf, int alen,
        char *out, size_t len)
{
    char *s = NULL;
    long enc = 0;

    if (ares_expand_name(p, abuf, alen, &s, &enc) != ARES_SUCCESS) {
        return -1;
    }
    snprintf(out, len, "%s", s);
    ares_free_string(s);
    return enc;
}

/* Decodes the answer section of records of qtype into text. Returns the
 * number of answers, or -1 on a malformed reply. */
static int
decode_answers(const unsigned char *abuf, int alen, int qtype,
               char out[][DNS_ANSWER_MAX], int max)
{
    const unsigned char *p = abuf + 12;
    const unsigned char *end = abuf + alen;
    unsigned qd, an;
    int n = 0;
    char name[DNS_ANSWER_MAX];

    if (alen < 12) {
        return -1;
    }
    qd = u16(abuf + 4);
    an = u16(abuf + 6);
    for (unsigned i = 0; i < qd; i++) {
        long enc = name_at(p, abuf, alen, name, sizeof(name));
        if (enc < 0 || p + enc + 4 > end) {
            return -1;
        }
        p += enc + 4;
    }
    for (unsigned i = 0; i < an; i++) {
        long enc = name_at(p, abuf, alen, name, sizeof(name));
        unsigned type, rdlen;
        const unsigned char *rd;

        if (enc < 0 || p + enc + 10 > end) {
            return -1;
        }
        p += enc;
        type = u16(p);
        rdlen = u16(p + 8);
        rd = p + 10;
        if (rd + rdlen > end) {
            return -1;
        }
        p = rd + rdlen;
        if ((int)type != qtype || n >= max) {
            continue;
        }
        switch (type) {
        case 1:
            if (rdlen == 4) {
                inet_ntop(AF_INET, rd, out[n++], DNS_ANSWER_MAX);
            }
            break;
        case 28:
            if (rdlen == 16) {
                inet_ntop(AF_INET6, rd, out[n++], DNS_ANSWER_MAX);
            }
            break;
        case 2:
        case 5:
            if (name_at(rd, abuf, alen, out[n], DNS_ANSWER_MAX) >= 0) {
                n++;
            }
            break;
        case 15:
            if (rdlen > 2 &&
                name_at(rd + 2, abuf, alen, name, sizeof(name)) >= 0) {
                snprintf(out[n++], DNS_ANSWER_MAX, "%u %.200s", u16(rd), name);
            }
            break;
        case 6: {
            char rname[DNS_ANSWER_MAX];
            long e1 = name_at(rd, abuf, alen, name, sizeof(name));
            long e2 = e1 < 0 ? -1
                             : name_at(rd + e1, abuf, alen, rname,
                                       sizeof(rname));
            if (e2 >= 0 && rd + e1 + e2 + 4 <= p) {
                const unsigned char *q = rd + e1 + e2;
                unsigned long serial = (unsigned long)q[0] << 24 |
                                       (unsigned long)q[1] << 16 |
                                       (unsigned long)q[2] << 8 | q[3];
                snprintf(out[n++], DNS_ANSWER_MAX, "%.100s %.100s %lu",
                         name, rname, serial);
            }
            break;
        }
        case 16: {
            size_t off = 0;
            const unsigned char *t = rd;
            out[n][0] = '\0';
            while (t < rd + rdlen) {
                unsigned l = *t++;
                if (t + l > rd + rdlen) {
                    break;
                }
                if (off + l < DNS_ANSWER_MAX) {
                    memcpy(out[n] + off, t, l);
                    off += l;
                    out[n][off] = '\0';
                }
                t += l;
            }
            n++;
            break;
        }
        default:
            break;
        }
    }
    return n;
}

/* Canonical text of an expected answer (IP literals normalised). */
static void
canonical(const char *s, int qtype, char *out, size_t len)
{
    unsigned char addr[16];

    if (qtype == 1 && inet_pton(AF_INET, s, addr) == 1) {
        inet_ntop(AF_INET, addr, out, (socklen_t)len);
    } else if (qtype == 28 && inet_pton(AF_INET6, s, addr) == 1) {
        inet_ntop(AF_INET6, addr, out, (socklen_t)len);
    } else {
        size_t l = strlen(s);
        while (l > 1 && s[l - 1] == '.') {
            l--;
        }
        snprintf(out, len, "%.*s", (int)l, s);
    }
}

static void
run_closed(void *arg)
{
    ph_free(arg);
}

static void
timer_closed(uv_handle_t *h)
{
    struct dns_run *d = h->data;

    ares_uv_close(d->au, run_closed, d);
}

static void finish(struct dns_run *d, int report);

static void
on_deferred(uv_timer_t *t)
{
    finish(t->data, 1);
}

static void
finish(struct dns_run *d, int report)
{
    struct check_result *r = &d->res;

    if (d->done) {
        return;
    }
    if (d->starting) {
        /* c-ares failed synchronously inside ares_query(): report from
         * the loop instead, keeping the probe contract. */
        uv_timer_start(&d->timer, on_deferred, 0, 0);
        return;
    }
    d->done = 1;
    r->timing.total_us = (uv_hrtime() - d->t0) / 1000;
    r->timing.dns_us = r->timing.total_us;
    r->latency_ms = (uint32_t)(r->timing.total_us / 1000);
    uv_timer_stop(&d->timer);
    if (report) {
        probe_finish(d->c, r, probe_now_ms() / 1000);
        d->cb(d->c, r, d->arg);
    }
    /* Close the timer first, then the channel (whose destruction calls
     * on_answer once more with ARES_EDESTRUCTION, ignored as done). */
    uv_close((uv_handle_t *)&d->timer, timer_closed);
}

static void
on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
    struct dns_run *d = arg;
    const struct check_dns *dc = &d->c->u.dns;
    struct check_result *r = &d->res;
    const char *want = dc->expect_rcode ? dc->expect_rcode : "NOERROR";
    char (*answers)[DNS_ANSWER_MAX] = NULL;
    int qtype = rrtype_of(dc->rrtype ? dc->rrtype : "A");
    int rcode, n;

    (void)timeouts;
    if (d->done) {
        return;
    }
    r->outcome = OUTCOME_DOWN;
    if (abuf == NULL || alen < 12) {
        if (status == ARES_ETIMEOUT) {
            check_result_seterr(r, "timeout after %u ms", d->c->timeout_ms);
        } else if (status == ARES_ECONNREFUSED) {
            check_result_seterr(r, "dns: connection refused");
        } else {
            check_result_seterr(r, "dns: %s", ares_strerror(status));
        }
        finish(d, 1);
        return;
    }
    rcode = abuf[3] & 0x0f;
    r->status_code = rcode;
    if (strcasecmp(rcode_name(rcode), want) != 0) {
        if (strcmp(want, "NOERROR") == 0) {
            check_result_seterr(r, "dns: rcode %s", rcode_name(rcode));
        } else {
            check_result_seterr(r, "dns: rcode %s (expected %s)",
                                rcode_name(rcode), want);
        }
        finish(d, 1);
        return;
    }
    answers = ph_calloc(DNS_MAX_ANSWERS, sizeof(*answers));
    if (answers == NULL) {
        check_result_seterr(r, "dns: out of memory");
        finish(d, 1);
        return;
    }
    n = decode_answers(abuf, alen, qtype, answers, DNS_MAX_ANSWERS);
    if (n < 0) {
        check_result_seterr(r, "dns: malformed reply");
        ph_free(answers);
        finish(d, 1);
        return;
    }
    for (size_t i = 0; i < dc->nexpect_answers; i++) {
        char want_a[DNS_ANSWER_MAX];
        int found = 0;

        canonical(dc->expect_answers[i], qtype, want_a, sizeof(want_a));
        for (int k = 0; k < n; k++) {
            char got[DNS_ANSWER_MAX];
            canonical(answers[k], qtype, got, sizeof(got));
            if (strcasecmp(got, want_a) == 0) {
                found = 1;
                break;
            }
        }
        if (!found) {
            check_result_seterr(r, "dns: answer %.100s missing (got %d "
                                   "answer%s%s%.60s)",
                                want_a, n, n == 1 ? "" : "s",
                                n > 0 ? ": " : "", n > 0 ? answers[0] : "");
            ph_free(answers);
            finish(d, 1);
            return;
        }
    }
    ph_free(answers);
    r->outcome = OUTCOME_UP;
    r->error[0] = '\0';
    finish(d, 1);
}

static void
on_timeout(uv_timer_t *t)
{
    struct dns_run *d = t->data;

    d->res.outcome = OUTCOME_DOWN;
    check_result_seterr(&d->res, "timeout after %u ms", d->c->timeout_ms);
    finish(d, 1);
}

static int
set_source(ares_channel ch, const char *src)
{
    unsigned char a6[16];
    struct in_addr a4;

    if (src == NULL) {
        return 0;
    }
    if (inet_pton(AF_INET, src, &a4) == 1) {
        ares_set_local_ip4(ch, ntohl(a4.s_addr));
        return 0;
    }
    if (inet_pton(AF_INET6, src, a6) == 1) {
        ares_set_local_ip6(ch, a6);
        return 0;
    }
    return PH_EINVAL;
}

static int
dns_start(const struct probe_env *env, const struct check *c,
          probe_done_cb cb, void *arg, void **ret_run)
{
    const struct check_dns *dc = &c->u.dns;
    struct ares_options opts;
    struct dns_run *d;
    int qtype = rrtype_of(dc->rrtype ? dc->rrtype : "A");
    int rc;

    if (qtype == 0) {
        return PH_EINVAL;
    }
    d = ph_calloc(1, sizeof(*d));
    if (d == NULL) {
        return PH_ENOMEM;
    }
    d->c = c;
    d->cb = cb;
    d->arg = arg;
    d->t0 = uv_hrtime();
    snprintf(d->res.check_id, sizeof(d->res.check_id), "%s", c->id);
    d->res.started_at_ms = probe_now_ms();
    memset(&opts, 0, sizeof(opts));
    opts.flags = ARES_FLAG_NOCHECKRESP | ARES_FLAG_NOSEARCH;
    opts.tries = 1;
    opts.timeout = (int)c->timeout_ms;
    rc = ares_uv_new(env->loop, &opts,
                     ARES_OPT_FLAGS | ARES_OPT_TRIES | ARES_OPT_TIMEOUTMS,
                     &d->au);
    if (rc != 0) {
        ph_free(d);
        return rc;
    }
    if (dc->server != NULL) {
        char csv[96];
        if (strchr(dc->server, ':') != NULL) {
            snprintf(csv, sizeof(csv), "[%s]:%d", dc->server,
                     dc->port ? dc->port : 53);
        } else {
            snprintf(csv, sizeof(csv), "%s:%d", dc->server,
                     dc->port ? dc->port : 53);
        }
        if (ares_set_servers_ports_csv(ares_uv_channel(d->au), csv) !=
            ARES_SUCCESS) {
            ares_uv_close(d->au, run_closed, d);
            return PH_EINVAL;
        }
    }
    if (set_source(ares_uv_channel(d->au), probe_source_address(env, c)) !=
        0) {
        ares_uv_close(d->au, run_closed, d);
        return PH_EINVAL;
    }
    uv_timer_init(env->loop, &d->timer);
    d->timer.data = d;
    /* c-ares has its own timeout; ours is the hard limit of the run. */
    uv_timer_start(&d->timer, on_timeout, c->timeout_ms + 50, 0);
    d->starting = 1;
    ares_query(ares_uv_channel(d->au), dc->name, 1 /* C_IN */, qtype,
               on_answer, d);
    d->starting = 0;
    ares_uv_kick(d->au);
    *ret_run = d;
    return 0;
}

static void
dns_cancel(void *run)
{
    finish(run, 0);
}

const struct probe_ops probe_dns_ops = {
    "dns",
    CHECK_DNS,
    dns_start,
    dns_cancel,
    NULL,
};

#else /* the check kind */

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

#endif
