/*
 * test_hook.c - incidents driven by PagerDuty and Opsgenie, the pure
 * parts: X-PagerDuty-Signature checks (one secret, several during a
 * rotation, case, malformed headers), the vendors' documented payloads
 * (tests/fixtures) parsed into events, malformed and overlong payloads
 * refused with a message, rule matching, and the decision table
 * including out-of-order events.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine.h"
#include "hook.h"
#include "incident.h"
#include "opsgenie_map.h"
#include "pagerduty_map.h"
#include "ph_err.h"
#include "sign.h"

static char *
fixture(const char *tool, const char *name, size_t *ret_len)
{
    char path[512];
    static char buf[65536];
    FILE *f;
    size_t n;

    snprintf(path, sizeof(path), "%s/fixtures/%s/%s", PH_TEST_DATA, tool,
             name);
    f = fopen(path, "rb");
    assert_non_null(f);
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    *ret_len = n;
    return buf;
}

static void
hex_sig(const char *secret, const char *body, size_t len, char out[68])
{
    uint8_t mac[32];

    assert_int_equal(sign_hmac_sha256(secret, strlen(secret), body, len,
                                      mac),
                     0);
    memcpy(out, "v1=", 3);
    for (int i = 0; i < 32; i++) {
        snprintf(out + 3 + 2 * i, 3, "%02x", mac[i]);
    }
}

static void
test_verify(void **state)
{
    const char *secrets[] = {"first-secret-0123456789",
                             "second-secret-abcdefghij"};
    const char *body = "{\"event\":{}}";
    char s1[68], s2[68], other[68], header[400];

    (void)state;
    hex_sig(secrets[0], body, strlen(body), s1);
    hex_sig(secrets[1], body, strlen(body), s2);
    hex_sig("not-configured-secret-xx", body, strlen(body), other);
    assert_int_equal(pagerduty_verify(s1, body, strlen(body), secrets, 2), 0);
    assert_int_equal(pagerduty_verify(s2, body, strlen(body), secrets, 2), 1);
    /* Rotation: several signatures, one of them ours, with spaces. */
    snprintf(header, sizeof(header), "%s, %s", other, s2);
    assert_int_equal(pagerduty_verify(header, body, strlen(body), secrets, 2),
                     1);
    /* Upper-case hex is the same signature. */
    for (char *p = s1 + 3; *p; p++) {
        if (*p >= 'a' && *p <= 'f') {
            *p = (char)(*p - 32);
        }
    }
    assert_int_equal(pagerduty_verify(s1, body, strlen(body), secrets, 2), 0);
    assert_int_equal(pagerduty_verify(other, body, strlen(body), secrets, 2),
                     -1);
    assert_int_equal(pagerduty_verify(NULL, body, strlen(body), secrets, 2),
                     -1);
    assert_int_equal(pagerduty_verify("", body, strlen(body), secrets, 2), -1);
    assert_int_equal(pagerduty_verify("v1=", body, strlen(body), secrets, 2),
                     -1);
    /* A different body, or a v0 signature, does not verify. */
    assert_int_equal(pagerduty_verify(s2, "{}", 2, secrets, 2), -1);
    s2[1] = '0';
    assert_int_equal(pagerduty_verify(s2, body, strlen(body), secrets, 2),
                     -1);
    assert_int_equal(pagerduty_verify(s2, body, strlen(body), secrets, 0),
                     -1);
}

static void
test_parse_pagerduty(void **state)
{
    struct hook_doc d;
    char err[PAGERDUTY_ERR_MAX];
    size_t len;
    char *body;

    (void)state;
    body = fixture("pagerduty", "triggered.json", &len);
    assert_int_equal(pagerduty_parse(body, len, &d, err, sizeof(err)), 0);
    assert_int_equal(d.ev.action, HOOK_OPEN);
    assert_string_equal(d.ev.event_id, "01CS1U3GNLS33QW1JDOFW4PCIG");
    assert_string_equal(d.ev.external_id, "PGR0VU2");
    assert_string_equal(d.ev.title, "A little bump in the road");
    assert_string_equal(d.ev.service_id, "PF9KMXH");
    assert_string_equal(d.ev.service, "API Service");
    assert_string_equal(d.ev.priority, "P1");
    assert_string_equal(d.ev.urgency, "high");
    assert_string_equal(d.ev.url,
                        "https://acme.pagerduty.com/incidents/PGR0VU2");
    assert_true(d.ev.occurred_ms == 1601664322169LL);
    hook_doc_free(&d);

    body = fixture("pagerduty", "annotated.json", &len);
    assert_int_equal(pagerduty_parse(body, len, &d, err, sizeof(err)), 0);
    assert_int_equal(d.ev.action, HOOK_NOTE);
    assert_string_equal(d.ev.external_id, "PGR0VU2");
    assert_string_equal(d.ev.note, "I sure am glad we are using PagerDuty!");
    assert_null(d.ev.service_id);
    hook_doc_free(&d);

    body = fixture("pagerduty", "resolved.json", &len);
    assert_int_equal(pagerduty_parse(body, len, &d, err, sizeof(err)), 0);
    assert_int_equal(d.ev.action, HOOK_RESOLVE);
    hook_doc_free(&d);
    body = fixture("pagerduty", "priority_updated.json", &len);
    assert_int_equal(pagerduty_parse(body, len, &d, err, sizeof(err)), 0);
    assert_int_equal(d.ev.action, HOOK_PRIORITY);
    hook_doc_free(&d);
    body = fixture("pagerduty", "service_updated.json", &len);
    assert_int_equal(pagerduty_parse(body, len, &d, err, sizeof(err)), 0);
    assert_int_equal(d.ev.action, HOOK_OTHER);
    hook_doc_free(&d);
}

static void
expect_error(const char *body, int rc, const char *words)
{
    struct hook_doc d;
    char err[PAGERDUTY_ERR_MAX];

    assert_int_equal(pagerduty_parse(body, strlen(body), &d, err,
                                     sizeof(err)),
                     rc);
    assert_non_null(strstr(err, words));
}

static void
test_parse_pagerduty_errors(void **state)
{
    char big[2048];
    struct hook_doc d;
    char err[PAGERDUTY_ERR_MAX];

    (void)state;
    expect_error("{nope", PH_EPARSE, "malformed JSON");
    expect_error("[]", PH_EPARSE, "JSON object");
    expect_error("{}", PH_EPARSE, "no \"event\"");
    expect_error("{\"event\":{\"event_type\":\"incident.triggered\"}}",
                 PH_EPARSE, "event.id");
    expect_error("{\"event\":{\"id\":\"e\",\"event_type\":\"incident."
                 "triggered\",\"occurred_at\":\"yesterday\"}}",
                 PH_EPARSE, "ISO 8601");
    expect_error("{\"event\":{\"id\":\"e\",\"event_type\":\"incident."
                 "triggered\",\"occurred_at\":\"2020-10-02T18:45:22Z\","
                 "\"data\":{\"id\":\"P\",\"title\":\"t\"}}}",
                 PH_EPARSE, "event.data.service");
    expect_error("{\"event\":{\"id\":\"e\",\"id\":\"f\"}}", PH_EPARSE,
                 "malformed JSON");
    /* An id over the cap is refused; an overlong title is cut. */
    memset(big, 'x', 300);
    snprintf(big + 300, sizeof(big) - 300,
             "\",\"event_type\":\"incident.triggered\",\"occurred_at\":"
             "\"2020-10-02T18:45:22Z\"}}");
    {
        char doc[2200];
        snprintf(doc, sizeof(doc), "{\"event\":{\"id\":\"%s", big);
        expect_error(doc, PH_ETOOBIG, "event.id");
    }
    {
        char doc[2048], title[600];
        memset(title, 'T', 599);
        title[599] = '\0';
        snprintf(doc, sizeof(doc),
                 "{\"event\":{\"id\":\"e\",\"event_type\":\"incident."
                 "triggered\",\"occurred_at\":\"2020-10-02T18:45:22Z\","
                 "\"data\":{\"id\":\"P\",\"title\":\"%s\",\"service\":"
                 "{\"id\":\"S\"},\"priority\":null}}}",
                 title);
        assert_int_equal(pagerduty_parse(doc, strlen(doc), &d, err,
                                         sizeof(err)),
                         0);
        assert_int_equal(strlen(d.ev.title), HOOK_TITLE_MAX);
        assert_null(d.ev.priority);
        hook_doc_free(&d);
    }
}

static void
test_parse_opsgenie(void **state)
{
    struct hook_doc d;
    char err[200];
    size_t len;
    char *body;

    (void)state;
    body = fixture("opsgenie", "create.json", &len);
    assert_int_equal(opsgenie_parse(body, len, &d, err, sizeof(err)), 0);
    assert_int_equal(d.ev.action, HOOK_OPEN);
    assert_string_equal(d.ev.external_id,
                        "052652ac-5d1c-464a-812a-7dd18bbfba8c");
    assert_string_equal(d.ev.event_id,
                        "052652ac-5d1c-464a-812a-7dd18bbfba8c:Create:"
                        "1420452193166002000");
    assert_int_equal(d.ev.ntags, 2);
    assert_string_equal(d.ev.tags[0], "tag1");
    assert_int_equal(d.ev.nteams, 2);
    assert_null(d.ev.entity); /* "" means none */
    hook_doc_free(&d);
    body = fixture("opsgenie", "addnote.json", &len);
    assert_int_equal(opsgenie_parse(body, len, &d, err, sizeof(err)), 0);
    assert_int_equal(d.ev.action, HOOK_NOTE);
    assert_string_equal(d.ev.note, "Failover to the standby is done.");
    hook_doc_free(&d);
    body = fixture("opsgenie", "close.json", &len);
    assert_int_equal(opsgenie_parse(body, len, &d, err, sizeof(err)), 0);
    assert_int_equal(d.ev.action, HOOK_RESOLVE);
    hook_doc_free(&d);
    /* Without updatedAt the replay key is the body's hash. */
    body = "{\"action\":\"Escalate\",\"alert\":{\"alertId\":\"a\"}}";
    assert_int_equal(opsgenie_parse(body, strlen(body), &d, err,
                                    sizeof(err)),
                     0);
    assert_int_equal(d.ev.action, HOOK_OTHER);
    assert_true(strncmp(d.ev.event_id, "body:", 5) == 0);
    hook_doc_free(&d);
    body = "{\"action\":\"Create\",\"alert\":{\"alertId\":\"a\",\"tags\":"
           "[1]}}";
    assert_int_equal(opsgenie_parse(body, strlen(body), &d, err,
                                    sizeof(err)),
                     PH_EPARSE);
    assert_non_null(strstr(err, "alert.tags"));
    body = "{\"action\":\"Create\"}";
    assert_int_equal(opsgenie_parse(body, strlen(body), &d, err,
                                    sizeof(err)),
                     PH_EPARSE);
    assert_non_null(strstr(err, "alert"));
}

static const char *const api[] = {"api"};
static const struct hook_rule rules[] = {
    {.service_id = "PF9KMXH", .priority = "P1", .components = api,
     .ncomponents = 1, .status = COMP_MAJOR, .publish = 1,
     .identify_on_ack = 1, .public_notes = 1},
    {.tag = "db", .team = "ops", .components = api, .ncomponents = 1,
     .status = COMP_PARTIAL},
    {.urgency = "low", .components = api, .ncomponents = 1, .status = -1,
     .name = "Degraded service", .body = "Looking into it."},
};

static void
test_match(void **state)
{
    struct hook_event ev;

    (void)state;
    memset(&ev, 0, sizeof(ev));
    ev.service_id = "PF9KMXH";
    ev.priority = "P1";
    assert_int_equal(hook_match(rules, 3, &ev), 0);
    ev.priority = "P2";
    assert_int_equal(hook_match(rules, 3, &ev), -1);
    ev.urgency = "low";
    assert_int_equal(hook_match(rules, 3, &ev), 2);
    memset(&ev, 0, sizeof(ev));
    ev.tags[0] = "web";
    ev.tags[1] = "db";
    ev.ntags = 2;
    assert_int_equal(hook_match(rules, 3, &ev), -1); /* team missing */
    ev.teams[0] = "ops";
    ev.nteams = 1;
    assert_int_equal(hook_match(rules, 3, &ev), 1);
}

static void
decide(const struct hook_rule *r, enum hook_action a,
       enum hook_link_state cur, unsigned flags, struct hook_plan *p)
{
    struct hook_event ev;

    memset(&ev, 0, sizeof(ev));
    ev.action = a;
    ev.title = "Title";
    ev.note = "a note";
    hook_decide(r, &ev, cur, flags, p);
}

static void
test_decide(void **state)
{
    const unsigned all = HOOK_FLAG_IDENTIFY | HOOK_FLAG_PUBLIC_NOTES;
    struct hook_plan p;

    (void)state;
    decide(&rules[0], HOOK_OPEN, HOOK_LINK_NONE, 0, &p);
    assert_int_equal(p.what, HOOK_DO_CREATE);
    assert_int_equal(p.inc_status, INC_INVESTIGATING);
    assert_int_equal(p.comp_status, COMP_MAJOR);
    assert_int_equal(p.draft, 0);
    assert_string_equal(p.name, "Title");
    assert_int_equal(p.next, HOOK_LINK_OPEN);
    assert_int_equal(p.flags, all);
    decide(&rules[2], HOOK_OPEN, HOOK_LINK_NONE, 0, &p);
    assert_int_equal(p.draft, 1);
    assert_string_equal(p.name, "Degraded service");
    assert_string_equal(p.body, "Looking into it.");
    /* No rule: nothing opens. */
    decide(NULL, HOOK_OPEN, HOOK_LINK_NONE, 0, &p);
    assert_int_equal(p.what, HOOK_DO_NOTHING);
    assert_int_equal(p.next, HOOK_LINK_NONE);
    /* Acknowledged first: opens identified when the rule says so. */
    decide(&rules[0], HOOK_ACK, HOOK_LINK_NONE, 0, &p);
    assert_int_equal(p.what, HOOK_DO_CREATE);
    assert_int_equal(p.inc_status, INC_IDENTIFIED);
    assert_int_equal(p.next, HOOK_LINK_ACKED);
    decide(&rules[1], HOOK_ACK, HOOK_LINK_NONE, 0, &p);
    assert_int_equal(p.inc_status, INC_INVESTIGATING);
    /* Open: ack identifies once; notes per flag; resolve. */
    decide(&rules[0], HOOK_ACK, HOOK_LINK_OPEN, all, &p);
    assert_int_equal(p.what, HOOK_DO_UPDATE);
    assert_int_equal(p.inc_status, INC_IDENTIFIED);
    decide(&rules[0], HOOK_ACK, HOOK_LINK_ACKED, all, &p);
    assert_int_equal(p.what, HOOK_DO_NOTHING);
    decide(&rules[0], HOOK_ACK, HOOK_LINK_OPEN, 0, &p);
    assert_int_equal(p.what, HOOK_DO_NOTHING);
    assert_int_equal(p.next, HOOK_LINK_ACKED);
    decide(NULL, HOOK_NOTE, HOOK_LINK_OPEN, 0, &p);
    assert_int_equal(p.what, HOOK_DO_NOTHING);
    decide(NULL, HOOK_NOTE, HOOK_LINK_OPEN, HOOK_FLAG_PUBLIC_NOTES, &p);
    assert_int_equal(p.what, HOOK_DO_UPDATE);
    assert_string_equal(p.body, "a note");
    assert_int_equal(p.inc_status, -1);
    decide(&rules[1], HOOK_PRIORITY, HOOK_LINK_OPEN, 0, &p);
    assert_int_equal(p.what, HOOK_DO_UPDATE);
    assert_int_equal(p.comp_status, COMP_PARTIAL);
    decide(NULL, HOOK_OPEN, HOOK_LINK_OPEN, 0, &p);
    assert_int_equal(p.what, HOOK_DO_NOTHING);
    decide(NULL, HOOK_RESOLVE, HOOK_LINK_ACKED, 0, &p);
    assert_int_equal(p.what, HOOK_DO_UPDATE);
    assert_int_equal(p.inc_status, INC_RESOLVED);
    assert_int_equal(p.comp_status, COMP_OPERATIONAL);
    assert_int_equal(p.next, HOOK_LINK_RESOLVED);
    /* Out of order: resolved first leaves a tombstone; nothing after. */
    decide(&rules[0], HOOK_RESOLVE, HOOK_LINK_NONE, 0, &p);
    assert_int_equal(p.what, HOOK_DO_NOTHING);
    assert_int_equal(p.next, HOOK_LINK_RESOLVED);
    for (int a = HOOK_OPEN; a <= HOOK_RESOLVE; a++) {
        decide(&rules[0], (enum hook_action)a, HOOK_LINK_RESOLVED, all, &p);
        assert_int_equal(p.what, HOOK_DO_NOTHING);
        assert_int_equal(p.next, HOOK_LINK_RESOLVED);
    }
    decide(&rules[0], HOOK_OTHER, HOOK_LINK_NONE, 0, &p);
    assert_int_equal(p.what, HOOK_DO_NOTHING);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verify),
        cmocka_unit_test(test_parse_pagerduty),
        cmocka_unit_test(test_parse_pagerduty_errors),
        cmocka_unit_test(test_parse_opsgenie),
        cmocka_unit_test(test_match),
        cmocka_unit_test(test_decide),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
