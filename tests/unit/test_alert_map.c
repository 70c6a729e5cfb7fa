/*
 * test_alert_map.c - alerts to component statuses: first matching rule
 * wins, worst status across alerts and groups, resolve restores,
 * idempotent replays, group limits and expiry; and the payload parsers
 * (Alertmanager v4 with endsAt, the generic webhook's field mapping and
 * tag forms, limits and malformed bodies).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alert_map.h"
#include "intake.h"
#include "ph_err.h"

enum { API = 0, WEB = 1, DB = 2, NCOMP = 3 };

static const struct alert_label m_api_crit[] = {{"service", "api"},
                                                {"severity", "critical"}};
static const struct alert_label m_api[] = {{"service", "api"}};
static const struct alert_label m_web[] = {{"service", "web"}};

static const struct alert_rule rules[] = {
    {m_api_crit, 2, API, COMP_MAJOR},
    {m_api, 1, API, COMP_DEGRADED},
    {m_web, 1, WEB, COMP_PARTIAL},
};
#define NRULES (sizeof(rules) / sizeof(rules[0]))

static const struct alert_label l_api_crit[] = {
    {"alertname", "ApiDown"}, {"service", "api"}, {"severity", "critical"}};
static const struct alert_label l_api_warn[] = {
    {"alertname", "ApiSlow"}, {"service", "api"}, {"severity", "warning"}};
static const struct alert_label l_web[] = {{"service", "web"}};
static const struct alert_label l_other[] = {{"service", "mail"}};

static struct alert
al(int firing, const struct alert_label *l, size_t n)
{
    struct alert a;

    a.firing = firing;
    a.labels = l;
    a.nlabels = n;
    return a;
}

static void
test_first_match(void **state)
{
    struct alert_map *m = alert_map_new(NCOMP, rules, NRULES, 10);
    struct alert a;

    (void)state;
    assert_non_null(m);
    a = al(1, l_api_crit, 3);
    assert_int_equal(alert_map_match(m, &a), 0);
    a = al(1, l_api_warn, 3);
    assert_int_equal(alert_map_match(m, &a), 1);
    a = al(1, l_web, 1);
    assert_int_equal(alert_map_match(m, &a), 2);
    a = al(1, l_other, 1);
    assert_int_equal(alert_map_match(m, &a), -1);
    a = al(1, NULL, 0);
    assert_int_equal(alert_map_match(m, &a), -1);
    alert_map_destroy(m);
}

static void
test_worst_in_group(void **state)
{
    struct alert_map *m = alert_map_new(NCOMP, rules, NRULES, 10);
    struct alert a[4];
    size_t mapped = 99;

    (void)state;
    a[0] = al(1, l_api_warn, 3);
    a[1] = al(1, l_api_crit, 3);
    a[2] = al(1, l_other, 1);
    a[3] = al(1, l_web, 1);
    assert_int_equal(alert_map_update(m, "g1", a, 4, 1000, &mapped), 1);
    assert_int_equal(mapped, 3);
    assert_int_equal(alert_map_status(m, API), COMP_MAJOR);
    assert_int_equal(alert_map_status(m, WEB), COMP_PARTIAL);
    assert_int_equal(alert_map_status(m, DB), COMP_OPERATIONAL);
    assert_int_equal(alert_map_ngroups(m), 1);
    alert_map_destroy(m);
}

static void
test_worst_across_groups_and_resolve(void **state)
{
    struct alert_map *m = alert_map_new(NCOMP, rules, NRULES, 10);
    enum comp_status out[NCOMP];
    struct alert crit = al(1, l_api_crit, 3);
    struct alert warn = al(1, l_api_warn, 3);
    struct alert crit_resolved = al(0, l_api_crit, 3);
    size_t mapped;

    (void)state;
    assert_int_equal(alert_map_update(m, "g-warn", &warn, 1, 1, NULL), 1);
    assert_int_equal(alert_map_update(m, "g-crit", &crit, 1, 2, NULL), 1);
    alert_map_statuses(m, out);
    assert_int_equal(out[API], COMP_MAJOR);
    assert_int_equal(out[WEB], COMP_OPERATIONAL);

    /* The critical group resolves: the warning group still holds api. */
    assert_int_equal(
        alert_map_update(m, "g-crit", &crit_resolved, 1, 3, &mapped), 1);
    assert_int_equal(mapped, 1);
    assert_int_equal(alert_map_status(m, API), COMP_DEGRADED);
    assert_int_equal(alert_map_ngroups(m), 1);

    /* An empty group (all alerts gone) also resolves. */
    assert_int_equal(alert_map_update(m, "g-warn", NULL, 0, 4, NULL), 1);
    assert_int_equal(alert_map_status(m, API), COMP_OPERATIONAL);
    assert_int_equal(alert_map_ngroups(m), 0);
    /* Resolving an unknown group changes nothing. */
    assert_int_equal(
        alert_map_update(m, "g-crit", &crit_resolved, 1, 5, NULL), 0);
    alert_map_destroy(m);
}

static void
test_idempotent(void **state)
{
    struct alert_map *m = alert_map_new(NCOMP, rules, NRULES, 10);
    struct alert a[2];

    (void)state;
    a[0] = al(1, l_api_crit, 3);
    a[1] = al(1, l_web, 1);
    assert_int_equal(alert_map_update(m, "g", a, 2, 1, NULL), 1);
    assert_int_equal(alert_map_update(m, "g", a, 2, 2, NULL), 0);
    /* Same state in another order: still no change. */
    a[0] = al(1, l_web, 1);
    a[1] = al(1, l_api_crit, 3);
    assert_int_equal(alert_map_update(m, "g", a, 2, 3, NULL), 0);
    /* An unmapped extra alert does not change the state either. */
    {
        struct alert b[3] = {a[0], a[1], al(1, l_other, 1)};
        assert_int_equal(alert_map_update(m, "g", b, 3, 4, NULL), 0);
    }
    assert_int_equal(alert_map_status(m, API), COMP_MAJOR);
    assert_int_equal(alert_map_status(m, WEB), COMP_PARTIAL);
    alert_map_destroy(m);
}

static void
test_limits_and_expiry(void **state)
{
    struct alert_map *m = alert_map_new(NCOMP, rules, NRULES, 2);
    struct alert a = al(1, l_api_warn, 3);
    struct alert w = al(1, l_web, 1);
    char longkey[ALERT_GROUP_KEY_MAX + 2];

    (void)state;
    assert_int_equal(alert_map_update(m, "a", &a, 1, 1000, NULL), 1);
    assert_int_equal(alert_map_update(m, "b", &w, 1, 5000, NULL), 1);
    assert_int_equal(alert_map_update(m, "c", &a, 1, 6000, NULL),
                     PH_ETOOBIG);
    /* A group with nothing firing is not held, so it is not refused. */
    assert_int_equal(alert_map_update(m, "c", NULL, 0, 6000, NULL), 0);
    assert_int_equal(alert_map_update(m, "", &a, 1, 1, NULL), PH_EINVAL);
    memset(longkey, 'k', sizeof(longkey) - 1);
    longkey[sizeof(longkey) - 1] = '\0';
    assert_int_equal(alert_map_update(m, longkey, &a, 1, 1, NULL),
                     PH_EINVAL);

    assert_int_equal(alert_map_expire(m, 10000, 0), 0);
    assert_int_equal(alert_map_expire(m, 10000, 6000), 1);
    assert_int_equal(alert_map_status(m, API), COMP_OPERATIONAL);
    assert_int_equal(alert_map_status(m, WEB), COMP_PARTIAL);
    alert_map_destroy(m);
}

static void
test_set_group(void **state)
{
    struct alert_map *m = alert_map_new(NCOMP, rules, NRULES, 10);
    const struct alert_entry in[] = {
        {API, COMP_DEGRADED}, {API, COMP_MAJOR}, {7, COMP_MAJOR},
        {WEB, COMP_MAINTENANCE}, {DB, COMP_PARTIAL}};
    const struct alert_entry *e;
    size_t n;

    (void)state;
    assert_int_equal(alert_map_set_group(m, "restored", in, 5, 1), 1);
    assert_string_equal(alert_map_group(m, 0, &e, &n), "restored");
    assert_int_equal(n, 2);
    assert_int_equal(e[0].component, API);
    assert_int_equal(e[0].status, COMP_MAJOR);
    assert_int_equal(e[1].component, DB);
    assert_int_equal(alert_map_status(m, WEB), COMP_OPERATIONAL);
    assert_null(alert_map_group(m, 1, &e, &n));
    alert_map_destroy(m);
}

/* ---- parsers ---- */

#define NOW 1800000000000LL /* 2027-01-15T08:00:00Z */

static const char am_body[] =
    "{\"receiver\":\"statuspage\",\"status\":\"firing\",\"alerts\":["
    "{\"status\":\"firing\",\"labels\":{\"alertname\":\"ApiDown\","
    "\"service\":\"api\",\"severity\":\"critical\"},\"annotations\":{},"
    "\"startsAt\":\"2027-01-15T07:40:35.123456789Z\","
    "\"endsAt\":\"0001-01-01T00:00:00Z\",\"generatorURL\":\"\","
    "\"fingerprint\":\"5b1165f49767cdef\"},"
    "{\"status\":\"firing\",\"labels\":{\"service\":\"web\"},"
    "\"endsAt\":\"2027-01-15T07:59:00Z\"},"
    "{\"status\":\"resolved\",\"labels\":{\"service\":\"web\"},"
    "\"endsAt\":\"2027-01-15T07:59:00Z\"},"
    "{\"status\":\"firing\",\"labels\":{\"service\":\"db\"},"
    "\"endsAt\":\"2027-01-15T09:00:00+01:00\"}],"
    "\"groupLabels\":{},\"commonLabels\":{},\"commonAnnotations\":{},"
    "\"externalURL\":\"http://am\",\"version\":\"4\","
    "\"groupKey\":\"{}:{alertname=\\\"ApiDown\\\"}\","
    "\"truncatedAlerts\":2}\n";

static void
test_parse_alertmanager(void **state)
{
    struct intake_payload p;
    struct alert_map *m = alert_map_new(NCOMP, rules, NRULES, 10);
    char err[INTAKE_ERR_MAX];
    size_t mapped;

    (void)state;
    assert_int_equal(intake_parse_alertmanager(am_body, strlen(am_body), NOW,
                                               1000, &p, err, sizeof(err)),
                     0);
    assert_string_equal(p.group_key, "{}:{alertname=\"ApiDown\"}");
    assert_int_equal(p.nalerts, 4);
    assert_int_equal(p.truncated, 2);
    assert_int_equal(p.alerts[0].firing, 1);
    assert_int_equal(p.alerts[0].nlabels, 3);
    /* endsAt in the past: resolved even though status says firing. */
    assert_int_equal(p.alerts[1].firing, 0);
    assert_int_equal(p.alerts[2].firing, 0);
    /* 09:00+01:00 is 08:00Z: at now, so ended. */
    assert_int_equal(p.alerts[3].firing, 0);
    assert_int_equal(alert_map_update(m, p.group_key, p.alerts, p.nalerts,
                                      NOW, &mapped),
                     1);
    assert_int_equal(mapped, 3);
    assert_int_equal(alert_map_status(m, API), COMP_MAJOR);
    assert_int_equal(alert_map_status(m, WEB), COMP_OPERATIONAL);
    intake_payload_free(&p);
    /* Fewer alerts allowed than sent: refused as too big. */
    assert_int_equal(intake_parse_alertmanager(am_body, strlen(am_body), NOW,
                                               3, &p, err, sizeof(err)),
                     PH_ETOOBIG);
    assert_non_null(strstr(err, "max_alerts"));
    alert_map_destroy(m);
}

static void
expect_am_error(const char *body, int rc, const char *needle)
{
    struct intake_payload p;
    char err[INTAKE_ERR_MAX] = "";

    assert_int_equal(intake_parse_alertmanager(body, strlen(body), NOW, 1000,
                                               &p, err, sizeof(err)),
                     rc);
    if (strstr(err, needle) == NULL) {
        fail_msg("error '%s' does not mention '%s'", err, needle);
    }
    assert_null(p.doc);
}

static void
test_parse_alertmanager_errors(void **state)
{
    char big[ALERT_LABEL_VALUE_MAX + 200];
    char many[8192];
    size_t off;

    (void)state;
    expect_am_error("{not json", PH_EPARSE, "malformed JSON");
    expect_am_error("[]", PH_EPARSE, "object");
    expect_am_error("{\"version\":\"3\",\"groupKey\":\"g\",\"alerts\":[]}",
                    PH_EPARSE, "version");
    expect_am_error("{\"version\":\"4\",\"alerts\":[]}", PH_EPARSE,
                    "groupKey");
    expect_am_error("{\"version\":\"4\",\"groupKey\":\"g\"}", PH_EPARSE,
                    "alerts");
    expect_am_error("{\"version\":\"4\",\"groupKey\":\"g\",\"alerts\":"
                    "[{\"status\":\"firing\"}]}",
                    PH_EPARSE, "labels");
    expect_am_error("{\"version\":\"4\",\"groupKey\":\"g\",\"alerts\":"
                    "[{\"status\":\"on\",\"labels\":{}}]}",
                    PH_EPARSE, "status");
    expect_am_error("{\"version\":\"4\",\"groupKey\":\"g\",\"alerts\":"
                    "[{\"status\":\"firing\",\"labels\":{\"a\":1}}]}",
                    PH_EPARSE, "strings");
    snprintf(big, sizeof(big),
             "{\"version\":\"4\",\"groupKey\":\"g\",\"alerts\":[{\"status\":"
             "\"firing\",\"labels\":{\"a\":\"%0*d\"}}]}",
             ALERT_LABEL_VALUE_MAX + 1, 0);
    expect_am_error(big, PH_ETOOBIG, "longer");
    off = (size_t)snprintf(many, sizeof(many),
                           "{\"version\":\"4\",\"groupKey\":\"g\",\"alerts\":"
                           "[{\"status\":\"firing\",\"labels\":{");
    for (int i = 0; i <= ALERT_LABELS_MAX; i++) {
        off += (size_t)snprintf(many + off, sizeof(many) - off,
                                "%s\"l%d\":\"v\"", i ? "," : "", i);
    }
    snprintf(many + off, sizeof(many) - off, "}}]}");
    expect_am_error(many, PH_ETOOBIG, "labels");
}

static char *firing[] = {"alerting", "Alerting"};
static char *resolved[] = {"Recovered"};

static void
test_parse_webhook(void **state)
{
    struct conf_alert_webhook grafana, datadog;
    struct intake_payload p;
    char err[INTAKE_ERR_MAX];
    const char *g = "{\"state\":\"alerting\",\"ruleName\":\"API 5xx\","
                    "\"tags\":{\"service\":\"api\",\"n\":3}}";
    const char *d = "{\"alert_transition\":\"Triggered\",\"id\":12345,"
                    "\"title\":\"web\",\"tags\":\"monitor, service:web, "
                    "url:http://x:8080/\"}";
    const char *dr = "{\"alert_transition\":\"Recovered\",\"id\":\"12345\","
                     "\"tags\":[\"service:web\"]}";

    (void)state;
    memset(&grafana, 0, sizeof(grafana));
    grafana.enabled = 1;
    grafana.key_field = "$.ruleName";
    grafana.status_field = "$.state";
    grafana.labels_field = "$.tags";
    memcpy(grafana.firing_values, firing, sizeof(firing));
    grafana.nfiring_values = 2;

    assert_int_equal(
        intake_parse_webhook(&grafana, g, strlen(g), &p, err, sizeof(err)),
        0);
    assert_string_equal(p.group_key, "webhook:API 5xx");
    assert_int_equal(p.nalerts, 1);
    assert_int_equal(p.alerts[0].firing, 1);
    /* service (the number is not a label) + alertname. */
    assert_int_equal(p.alerts[0].nlabels, 2);
    assert_string_equal(p.labels[0].name, "service");
    assert_string_equal(p.labels[1].name, "alertname");
    assert_string_equal(p.labels[1].value, "API 5xx");
    intake_payload_free(&p);

    memset(&datadog, 0, sizeof(datadog));
    datadog.enabled = 1;
    datadog.key_field = "id";
    datadog.status_field = "$.alert_transition";
    datadog.labels_field = "$.tags";
    memcpy(datadog.resolved_values, resolved, sizeof(resolved));
    datadog.nresolved_values = 1;
    assert_int_equal(
        intake_parse_webhook(&datadog, d, strlen(d), &p, err, sizeof(err)),
        0);
    assert_string_equal(p.group_key, "webhook:12345");
    assert_int_equal(p.alerts[0].firing, 1);
    assert_int_equal(p.nlabels, 4);
    assert_string_equal(p.labels[0].name, "monitor");
    assert_string_equal(p.labels[0].value, "");
    assert_string_equal(p.labels[1].name, "service");
    assert_string_equal(p.labels[1].value, "web");
    assert_string_equal(p.labels[2].name, "url");
    assert_string_equal(p.labels[2].value, "http://x:8080/");
    intake_payload_free(&p);
    assert_int_equal(
        intake_parse_webhook(&datadog, dr, strlen(dr), &p, err, sizeof(err)),
        0);
    assert_string_equal(p.group_key, "webhook:12345");
    assert_int_equal(p.alerts[0].firing, 0);
    intake_payload_free(&p);

    assert_int_equal(intake_parse_webhook(&grafana, "{\"state\":\"ok\"}", 14,
                                          &p, err, sizeof(err)),
                     PH_EPARSE);
    assert_non_null(strstr(err, "ruleName"));
    assert_int_equal(intake_parse_webhook(&grafana, "{\"ruleName\":\"x\"}",
                                          16, &p, err, sizeof(err)),
                     PH_EPARSE);
    assert_non_null(strstr(err, "state"));
    assert_int_equal(
        intake_parse_webhook(&grafana, "nope", 4, &p, err, sizeof(err)),
        PH_EPARSE);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_match),
        cmocka_unit_test(test_worst_in_group),
        cmocka_unit_test(test_worst_across_groups_and_resolve),
        cmocka_unit_test(test_idempotent),
        cmocka_unit_test(test_limits_and_expiry),
        cmocka_unit_test(test_set_group),
        cmocka_unit_test(test_parse_alertmanager),
        cmocka_unit_test(test_parse_alertmanager_errors),
        cmocka_unit_test(test_parse_webhook),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
