/*
 * test_wire.c - protobuf encode/decode round trips and every rejection
 * path of the decoders (caps, malformed bytes, bad enums).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"
#include "mem.h"
#include "ph_err.h"
#include "utf8.h"
#include "wire.h"

/* The generated code, to write messages as other versions would. */
#pragma GCC diagnostic ignored "-Wcast-qual"
#include "pharos/v1/agent.pb-c.h"

static void
test_batch_round_trip(void **state)
{
    struct check_result rs[3];
    struct wire_batch in, out;
    uint8_t *bytes = NULL;
    size_t len = 0;
    char err[128];

    (void)state;
    memset(rs, 0, sizeof(rs));
    for (int i = 0; i < 3; i++) {
        snprintf(rs[i].check_id, sizeof(rs[i].check_id), "check-%d", i);
        rs[i].started_at_ms = 1764028800000LL + i;
        rs[i].outcome = (enum outcome)(OUTCOME_UP + i);
        rs[i].latency_ms = 100u * (unsigned)i;
        rs[i].timing.dns_us = 10;
        rs[i].timing.total_us = 1000u + (unsigned)i;
        rs[i].status_code = 200 + i;
        rs[i].cert_not_after = 1800000000LL;
    }
    snprintf(rs[2].error, sizeof(rs[2].error), "connect: connection refused");
    memset(&in, 0, sizeof(in));
    in.seq = 42;
    in.plan_version = 7;
    in.backlog = 3;
    snprintf(in.agent_version, sizeof(in.agent_version), "0.1.0");
    in.results = rs;
    in.nresults = 3;
    assert_int_equal(wire_encode_batch(&in, &bytes, &len), 0);
    assert_int_equal(wire_decode_batch(bytes, len, &out, err, sizeof(err)),
                     0);
    assert_int_equal(out.seq, 42);
    assert_int_equal(out.plan_version, 7);
    assert_int_equal(out.backlog, 3);
    assert_string_equal(out.agent_version, "0.1.0");
    assert_int_equal(out.nresults, 3);
    for (int i = 0; i < 3; i++) {
        assert_string_equal(out.results[i].check_id, rs[i].check_id);
        assert_int_equal(out.results[i].started_at_ms, rs[i].started_at_ms);
        assert_int_equal(out.results[i].outcome, rs[i].outcome);
        assert_int_equal(out.results[i].latency_ms, rs[i].latency_ms);
        assert_int_equal(out.results[i].timing.total_us,
                         rs[i].timing.total_us);
        assert_int_equal(out.results[i].status_code, rs[i].status_code);
        assert_int_equal(out.results[i].cert_not_after, 1800000000LL);
    }
    assert_string_equal(out.results[2].error, "connect: connection refused");
    wire_batch_free(&out);
    ph_free(bytes);
}

static void
test_empty_batch_is_heartbeat(void **state)
{
    struct wire_batch in, out;
    uint8_t *bytes = NULL;
    size_t len = 0;

    (void)state;
    memset(&in, 0, sizeof(in));
    in.seq = 1;
    assert_int_equal(wire_encode_batch(&in, &bytes, &len), 0);
    assert_int_equal(wire_decode_batch(bytes, len, &out, NULL, 0), 0);
    assert_int_equal(out.nresults, 0);
    assert_int_equal(out.seq, 1);
    wire_batch_free(&out);
    ph_free(bytes);
}

static void
test_batch_rejects_garbage(void **state)
{
    static const uint8_t garbage[] = {0xff, 0xff, 0xff, 0xff, 0x01};
    struct wire_batch out;
    char err[128] = "";

    (void)state;
    assert_int_equal(wire_decode_batch(garbage, sizeof(garbage), &out, err,
                                       sizeof(err)),
                     PH_EPROTO);
    assert_non_null(strstr(err, "malformed"));
}

static void
test_batch_rejects_truncated(void **state)
{
    struct check_result r;
    struct wire_batch in, out;
    uint8_t *bytes = NULL;
    size_t len = 0;

    (void)state;
    memset(&r, 0, sizeof(r));
    snprintf(r.check_id, sizeof(r.check_id), "a-long-check-identifier");
    r.outcome = OUTCOME_UP;
    memset(&in, 0, sizeof(in));
    in.seq = 5;
    in.results = &r;
    in.nresults = 1;
    assert_int_equal(wire_encode_batch(&in, &bytes, &len), 0);
    /* Every strict prefix either fails to parse or fails validation;
     * none may crash or yield a result with a wrong id. */
    for (size_t cut = 1; cut < len; cut++) {
        int rc = wire_decode_batch(bytes, cut, &out, NULL, 0);
        if (rc == 0) {
            assert_true(out.nresults == 0 ||
                        strcmp(out.results[0].check_id, r.check_id) == 0);
            wire_batch_free(&out);
        }
    }
    ph_free(bytes);
}

static void
test_batch_rejects_zero_seq_and_bad_outcome(void **state)
{
    struct check_result r;
    struct wire_batch in, out;
    uint8_t *bytes = NULL;
    size_t len = 0;
    char err[128];

    (void)state;
    memset(&in, 0, sizeof(in));
    in.seq = 0;
    assert_int_equal(wire_encode_batch(&in, &bytes, &len), 0);
    assert_int_equal(wire_decode_batch(bytes, len, &out, err, sizeof(err)),
                     PH_EPROTO);
    assert_non_null(strstr(err, "seq"));
    ph_free(bytes);

    memset(&r, 0, sizeof(r));
    snprintf(r.check_id, sizeof(r.check_id), "x");
    r.outcome = (enum outcome)9;
    in.seq = 1;
    in.results = &r;
    in.nresults = 1;
    assert_int_equal(wire_encode_batch(&in, &bytes, &len), 0);
    assert_int_equal(wire_decode_batch(bytes, len, &out, err, sizeof(err)),
                     PH_EPROTO);
    assert_non_null(strstr(err, "outcome"));
    ph_free(bytes);
}

static void
test_batch_size_cap(void **state)
{
    static uint8_t big[16];
    struct wire_batch out;
    char err[128];

    (void)state;
    assert_int_equal(wire_decode_batch(big, WIRE_BATCH_MAX_BYTES + 1, &out,
                                       err, sizeof(err)),
                     PH_ETOOBIG);
}

static void
test_plan_round_trip(void **state)
{
    struct check cs[2];
    struct check_header hdr[1];
    struct wire_plan pl;
    uint8_t *bytes = NULL;
    size_t len = 0;
    char err[128];

    (void)state;
    memset(cs, 0, sizeof(cs));
    snprintf(cs[0].id, sizeof(cs[0].id), "api-http");
    snprintf(cs[0].component_id, sizeof(cs[0].component_id), "api");
    cs[0].type = CHECK_HTTP;
    cs[0].interval_ms = 10000;
    cs[0].timeout_ms = 2000;
    cs[0].degraded_over_ms = 500;
    cs[0].confirm_after_ms = 2000;
    cs[0].fail_after = 3;
    cs[0].recover_after = 2;
    cs[0].phase_offset_ms = 3333;
    cs[0].watch = 1;
    cs[0].u.http.url = "https://example.test/health";
    cs[0].u.http.method = "HEAD";
    cs[0].u.http.expect_status[0] = 200;
    cs[0].u.http.expect_status[1] = 204;
    cs[0].u.http.nexpect_status = 2;
    hdr[0].name = "X-Probe";
    hdr[0].value = "pharos";
    cs[0].u.http.headers = hdr;
    cs[0].u.http.nheaders = 1;
    cs[0].u.http.json_path = "$.status";
    cs[0].u.http.json_equals = "ok";
    snprintf(cs[1].id, sizeof(cs[1].id), "dns-a");
    cs[1].type = CHECK_DNS;
    cs[1].interval_ms = 30000;
    cs[1].timeout_ms = 1000;
    cs[1].u.dns.name = "www.example.test";
    cs[1].u.dns.rrtype = "AAAA";
    cs[1].u.dns.server = "127.0.0.1";
    cs[1].u.dns.port = 5353;
    /* As decoded from pharos.yml: every key has its value or default
     * (the plan carries what the key table prints). */
    cs[1].u.dns.expect_rcode = "NOERROR";
    cs[1].u.dns.expect_answers[0] = "::1";
    cs[1].u.dns.nexpect_answers = 1;

    assert_int_equal(wire_encode_plan(WIRE_PLAN_GENERIC, 99, "agent-eu", "eu-west", 17, cs, 2,
                                      &bytes, &len),
                     0);
    assert_int_equal(wire_decode_plan(bytes, len, &pl, err, sizeof(err)), 0);
    assert_int_equal(pl.version, 99);
    assert_int_equal(pl.last_acked_seq, 17);
    assert_string_equal(pl.agent_id, "agent-eu");
    assert_string_equal(pl.region, "eu-west");
    assert_int_equal(pl.nchecks, 2);
    /* What the agent runs must survive the trip unchanged. */
    assert_true(check_probe_equal(&pl.checks[0], &cs[0]));
    assert_true(check_probe_equal(&pl.checks[1], &cs[1]));
    assert_null(pl.checks[0].u.http.body); /* empty stays unset */
    assert_int_equal(pl.checks[0].confirm_after_ms, 2000);
    assert_int_equal(pl.checks[0].fail_after, 3);
    assert_int_equal(pl.checks[1].confirm_after_ms, 0); /* off */
    assert_int_equal(pl.checks[0].phase_offset_ms, 3333);
    assert_int_equal(pl.checks[0].watch, 1);
    assert_int_equal(pl.checks[1].phase_offset_ms, 0);
    assert_int_equal(pl.checks[1].watch, 0);
    wire_plan_free(&pl);
    ph_free(bytes);
}

static void
test_plan_rejects_invalid_check(void **state)
{
    struct check c;
    struct wire_plan pl;
    uint8_t *bytes = NULL;
    size_t len = 0;
    char err[128];

    (void)state;
    memset(&c, 0, sizeof(c));
    snprintf(c.id, sizeof(c.id), "tcp-no-port");
    c.type = CHECK_TCP;
    c.interval_ms = 1000;
    c.timeout_ms = 500;
    c.u.tcp.host = "127.0.0.1";
    c.u.tcp.port = 0;
    assert_int_equal(wire_encode_plan(WIRE_PLAN_GENERIC, 1, "a", "r", 0, &c,
                                      1, &bytes, &len),
                     0);
    assert_int_equal(wire_decode_plan(bytes, len, &pl, err, sizeof(err)),
                     PH_EPROTO);
    assert_null(pl.checks);
    ph_free(bytes);
}

/* A plan of one check (msg built by the caller) packed and decoded. */
static int
decode_one(Pharos__V1__Check *m, struct wire_plan *pl, char *err,
           size_t errlen)
{
    Pharos__V1__CheckPlan plan = PHAROS__V1__CHECK_PLAN__INIT;
    Pharos__V1__Check *cp[1] = {m};
    uint8_t buf[4096];
    size_t len;

    plan.version = 1;
    plan.n_checks = 1;
    plan.checks = cp;
    len = pharos__v1__check_plan__get_packed_size(&plan);
    assert_true(len <= sizeof(buf));
    pharos__v1__check_plan__pack(&plan, buf);
    return wire_decode_plan(buf, len, pl, err, errlen);
}

/* A collector deployed before spec_yaml sends only the frozen per-type
 * message: still read. */
static void
test_plan_from_old_collector(void **state)
{
    Pharos__V1__Check m = PHAROS__V1__CHECK__INIT;
    Pharos__V1__TcpCheck t = PHAROS__V1__TCP_CHECK__INIT;
    struct wire_plan pl;
    char err[256];

    (void)state;
    m.id = "old-tcp";
    m.interval_ms = 1000;
    m.timeout_ms = 500;
    t.host = "db.example.test";
    t.port = 5432;
    t.tls = 1;
    m.spec_case = PHAROS__V1__CHECK__SPEC_TCP;
    m.tcp = &t;
    assert_int_equal(decode_one(&m, &pl, err, sizeof(err)), 0);
    assert_int_equal(pl.checks[0].type, CHECK_TCP);
    assert_string_equal(pl.checks[0].u.tcp.host, "db.example.test");
    assert_int_equal(pl.checks[0].u.tcp.port, 5432);
    assert_int_equal(pl.checks[0].u.tcp.tls, 1);
    wire_plan_free(&pl);
}

/* What an agent deployed before spec_yaml gets from a new collector
 * (WIRE_PLAN_FROZEN): the frozen message of the first four types, no
 * generic form; other types cannot go that way. A current agent gets
 * only the generic form. */
static void
test_plan_readable_by_old_agent(void **state)
{
    struct check c;
    Pharos__V1__CheckPlan *msg;
    uint8_t *bytes = NULL;
    size_t len = 0;

    (void)state;
    memset(&c, 0, sizeof(c));
    snprintf(c.id, sizeof(c.id), "smtp-mx");
    c.type = CHECK_SMTP;
    c.interval_ms = 1000;
    c.timeout_ms = 500;
    c.u.smtp.host = "mx.example.test";
    c.u.smtp.port = 587;
    c.u.smtp.starttls = SMTP_STARTTLS_REQUIRED;
    assert_int_equal(wire_encode_plan(WIRE_PLAN_FROZEN, 1, "a", "r", 0, &c,
                                      1, &bytes, &len),
                     0);
    msg = pharos__v1__check_plan__unpack(NULL, len, bytes);
    assert_non_null(msg);
    assert_int_equal(msg->checks[0]->spec_case, PHAROS__V1__CHECK__SPEC_SMTP);
    assert_string_equal(msg->checks[0]->smtp->host, "mx.example.test");
    assert_int_equal(msg->checks[0]->smtp->port, 587);
    assert_int_equal(msg->checks[0]->smtp->starttls,
                     PHAROS__V1__SMTP_CHECK__START_TLS__STARTTLS_REQUIRED);
    assert_string_equal(msg->checks[0]->type, "");
    assert_int_equal(msg->checks[0]->spec_yaml.len, 0);
    pharos__v1__check_plan__free_unpacked(msg, NULL);
    ph_free(bytes);

    /* The generic form only. */
    assert_int_equal(wire_encode_plan(WIRE_PLAN_GENERIC, 1, "a", "r", 0, &c,
                                      1, &bytes, &len),
                     0);
    msg = pharos__v1__check_plan__unpack(NULL, len, bytes);
    assert_non_null(msg);
    assert_int_equal(msg->checks[0]->spec_case,
                     PHAROS__V1__CHECK__SPEC__NOT_SET);
    assert_string_equal(msg->checks[0]->type, "smtp");
    assert_non_null(strstr((const char *)msg->checks[0]->spec_yaml.data,
                           "starttls: required"));
    pharos__v1__check_plan__free_unpacked(msg, NULL);
    ph_free(bytes);

    /* A newer type has no frozen message. */
    memset(&c, 0, sizeof(c));
    snprintf(c.id, sizeof(c.id), "ping");
    c.type = CHECK_ICMP;
    c.interval_ms = 1000;
    c.timeout_ms = 500;
    c.u.icmp.host = "192.0.2.1";
    assert_int_equal(wire_encode_plan(WIRE_PLAN_FROZEN, 1, "a", "r", 0, &c,
                                      1, &bytes, &len),
                     PH_EINVAL);
}

/* The generic form wins over the frozen message, is checked by the
 * type's own rules, and a type this agent does not know is named. */
static void
test_plan_generic_spec(void **state)
{
    Pharos__V1__Check m = PHAROS__V1__CHECK__INIT;
    Pharos__V1__TcpCheck t = PHAROS__V1__TCP_CHECK__INIT;
    static const char good[] = "host: \"a.example.test\"\nport: 443\n"
                               "tls: true\n";
    static const char bad[] = "host: \"a.example.test\"\nport: 70000\n";
    static const char unknown_key[] = "host: \"a\"\nport: 1\nhots: x\n";
    struct wire_plan pl;
    char err[512];

    (void)state;
    m.id = "gen";
    m.interval_ms = 1000;
    m.timeout_ms = 500;
    m.type = "tcp";
    m.spec_yaml.data = (uint8_t *)(uintptr_t)good;
    m.spec_yaml.len = sizeof(good) - 1;
    t.host = "frozen.example.test";
    t.port = 1;
    m.spec_case = PHAROS__V1__CHECK__SPEC_TCP;
    m.tcp = &t;
    assert_int_equal(decode_one(&m, &pl, err, sizeof(err)), 0);
    assert_string_equal(pl.checks[0].u.tcp.host, "a.example.test");
    assert_int_equal(pl.checks[0].u.tcp.port, 443);
    assert_int_equal(pl.checks[0].u.tcp.tls, 1);
    wire_plan_free(&pl);

    m.spec_yaml.data = (uint8_t *)(uintptr_t)bad;
    m.spec_yaml.len = sizeof(bad) - 1;
    assert_int_equal(decode_one(&m, &pl, err, sizeof(err)), PH_EPROTO);
    assert_non_null(strstr(err, "check 'gen' (tcp): plan:2:7:"));
    assert_null(pl.checks);

    m.spec_yaml.data = (uint8_t *)(uintptr_t)unknown_key;
    m.spec_yaml.len = sizeof(unknown_key) - 1;
    assert_int_equal(decode_one(&m, &pl, err, sizeof(err)), PH_EPROTO);
    assert_non_null(strstr(err, "hots"));

    m.type = "carrier-pigeon";
    assert_int_equal(decode_one(&m, &pl, err, sizeof(err)), PH_EPROTO);
    assert_non_null(
        strstr(err, "type 'carrier-pigeon' unknown to this agent"));

    m.type = "tcp";
    m.spec_yaml.data = (uint8_t *)(uintptr_t)"[1, 2";
    m.spec_yaml.len = 5;
    assert_int_equal(decode_one(&m, &pl, err, sizeof(err)), PH_EPROTO);
}

/* Every registered type survives the trip through its own table. */
static void
test_plan_every_type_round_trips(void **state)
{
    const struct check_kind *k;

    (void)state;
    for (size_t i = 0; (k = check_kind_at(i)) != NULL; i++) {
        static const struct conf_node empty = {CONF_MAP, 1, 1, NULL, 0, 0,
                                               NULL, NULL, NULL};
        struct conf_errs errs;
        struct check c;
        struct wire_plan pl;
        uint8_t *bytes = NULL;
        size_t len = 0;
        char err[512];

        memset(&c, 0, sizeof(c));
        memset(&errs, 0, sizeof(errs));
        snprintf(c.id, sizeof(c.id), "t-%s", k->name);
        c.type = k->type;
        c.interval_ms = 1000;
        c.timeout_ms = 500;
        /* Defaults of every key (required ones are reported missing, and
         * stay unset: NULL strings, 0 numbers). */
        conf_decode(k->opts, &empty, &c, "t", &errs);
        assert_int_equal(wire_encode_plan(WIRE_PLAN_GENERIC, 1, "a", "r", 0,
                                          &c, 1, &bytes, &len),
                         0);
        /* Required keys missing: the agent says so and names the type. */
        if (wire_decode_plan(bytes, len, &pl, err, sizeof(err)) == 0) {
            assert_true(check_probe_equal(&pl.checks[0], &c));
            wire_plan_free(&pl);
        } else {
            assert_non_null(strstr(err, k->name));
        }
        check_free(&c);
        ph_free(bytes);
    }
}

/* The list an agent sends and the mask the collector filters with. */
static void
test_check_type_list_and_mask(void **state)
{
    char list[CHECK_TYPES_LIST_MAX];
    uint32_t all = 0;
    const struct check_kind *k;

    (void)state;
    check_type_list(UINT32_MAX, list, sizeof(list));
    assert_string_equal(list, "http,tcp,dns,smtp,icmp,grpc");
    for (size_t i = 0; (k = check_kind_at(i)) != NULL; i++) {
        all |= 1u << k->type;
    }
    assert_int_equal(check_type_mask(list), all);
    check_type_list(1u << CHECK_DNS | 1u << CHECK_GRPC, list, sizeof(list));
    assert_string_equal(list, "dns,grpc");
    check_type_list(0, list, sizeof(list));
    assert_string_equal(list, "");
    assert_int_equal(check_type_mask(CHECK_TYPES_FROZEN),
                     1u << CHECK_HTTP | 1u << CHECK_TCP | 1u << CHECK_DNS |
                         1u << CHECK_SMTP);
    /* Spaces, unknown names, empty items and prefixes do not count. */
    assert_int_equal(check_type_mask(" icmp , carrier-pigeon,,htt,grpcx"),
                     1u << CHECK_ICMP);
    assert_int_equal(check_type_mask(""), 0);
    assert_int_equal(check_type_mask(NULL), 0);
}

static void
test_ack_round_trip(void **state)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    uint64_t seq = 0, pv = 0;

    (void)state;
    assert_int_equal(wire_encode_ack(123456789012ULL, 5, &bytes, &len), 0);
    assert_int_equal(wire_decode_ack(bytes, len, &seq, &pv), 0);
    assert_int_equal(seq, 123456789012ULL);
    assert_int_equal(pv, 5);
    ph_free(bytes);
}

/* Issue #20: re-check ids ride in the Ack; an old agent's decoder (the
 * 64-byte cap) still reads an Ack without them, and a batch says whether
 * the agent accepts them; results say why they ran. */
static void
test_ack_recheck_and_kind(void **state)
{
    struct wire_ack a, got;
    struct wire_batch in, out;
    struct check_result r[2];
    uint8_t *bytes = NULL;
    size_t len = 0;
    uint64_t seq = 0, pv = 0;
    char err[128];

    (void)state;
    memset(&a, 0, sizeof(a));
    a.acked_seq = 7;
    a.plan_version = 9;
    a.recheck[0] = "api-http";
    a.recheck[1] = "db-tcp";
    a.nrecheck = 2;
    assert_int_equal(wire_encode_ack_full(&a, &bytes, &len), 0);
    assert_int_equal(wire_decode_ack_full(bytes, len, &got), 0);
    assert_int_equal(got.acked_seq, 7);
    assert_int_equal(got.plan_version, 9);
    assert_int_equal(got.nrecheck, 2);
    assert_string_equal(got.recheck[0], "api-http");
    assert_string_equal(got.recheck[1], "db-tcp");
    ph_free(bytes);
    a.nrecheck = 0;
    assert_int_equal(wire_encode_ack_full(&a, &bytes, &len), 0);
    assert_int_equal(wire_decode_ack(bytes, len, &seq, &pv), 0);
    assert_int_equal(seq, 7);
    ph_free(bytes);
    a.nrecheck = WIRE_RECHECK_MAX + 1;
    assert_int_equal(wire_encode_ack_full(&a, &bytes, &len), PH_ETOOBIG);

    memset(r, 0, sizeof(r));
    memset(&in, 0, sizeof(in));
    snprintf(r[0].check_id, sizeof(r[0].check_id), "a");
    r[0].outcome = OUTCOME_DOWN;
    r[0].kind = PROBE_CONFIRM;
    snprintf(r[1].check_id, sizeof(r[1].check_id), "b");
    r[1].outcome = OUTCOME_UP;
    r[1].kind = 200; /* garbage from an old spool record */
    in.seq = 3;
    in.accepts_recheck = 1;
    in.results = r;
    in.nresults = 2;
    assert_int_equal(wire_encode_batch(&in, &bytes, &len), 0);
    assert_int_equal(wire_decode_batch(bytes, len, &out, err, sizeof(err)),
                     0);
    assert_int_equal(out.accepts_recheck, 1);
    assert_int_equal(out.results[0].kind, PROBE_CONFIRM);
    assert_int_equal(out.results[1].kind, PROBE_SCHEDULED);
    wire_batch_free(&out);
    ph_free(bytes);
}

/* Text an agent sends is made valid UTF-8 at decode: invalid bytes
 * become U+FFFD, so the JSON documents never drop the field. */
static void
test_batch_text_made_valid_utf8(void **state)
{
    struct check_result r;
    struct wire_batch in, out;
    uint8_t *bytes = NULL;
    size_t len = 0;
    char err[128];

    (void)state;
    memset(&r, 0, sizeof(r));
    memset(&in, 0, sizeof(in));
    snprintf(r.check_id, sizeof(r.check_id), "api-http");
    r.outcome = OUTCOME_DOWN;
    r.started_at_ms = 1000;
    snprintf(r.error, sizeof(r.error), "bad \xff\xfe byte, cut \xe2\x82");
    in.seq = 1;
    snprintf(in.agent_version, sizeof(in.agent_version), "0.1\xc3");
    in.results = &r;
    in.nresults = 1;
    assert_int_equal(wire_encode_batch(&in, &bytes, &len), 0);
    assert_int_equal(wire_decode_batch(bytes, len, &out, err, sizeof(err)),
                     0);
    assert_string_equal(out.results[0].error,
                        "bad " UTF8_REPLACEMENT UTF8_REPLACEMENT
                        " byte, cut " UTF8_REPLACEMENT);
    assert_string_equal(out.agent_version, "0.1" UTF8_REPLACEMENT);
    assert_string_equal(out.results[0].check_id, "api-http");
    wire_batch_free(&out);
    ph_free(bytes);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch_round_trip),
        cmocka_unit_test(test_batch_text_made_valid_utf8),
        cmocka_unit_test(test_empty_batch_is_heartbeat),
        cmocka_unit_test(test_batch_rejects_garbage),
        cmocka_unit_test(test_batch_rejects_truncated),
        cmocka_unit_test(test_batch_rejects_zero_seq_and_bad_outcome),
        cmocka_unit_test(test_batch_size_cap),
        cmocka_unit_test(test_plan_round_trip),
        cmocka_unit_test(test_plan_rejects_invalid_check),
        cmocka_unit_test(test_plan_from_old_collector),
        cmocka_unit_test(test_plan_readable_by_old_agent),
        cmocka_unit_test(test_plan_generic_spec),
        cmocka_unit_test(test_plan_every_type_round_trips),
        cmocka_unit_test(test_check_type_list_and_mask),
        cmocka_unit_test(test_ack_round_trip),
        cmocka_unit_test(test_ack_recheck_and_kind),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
