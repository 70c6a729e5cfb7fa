/*
 * test_conf.c - pharos.yml parsing: golden files (normalised print or the
 * exact error list), print/re-parse round trips, token sources, and the
 * agent.yml table. The golden-update target rewrites the expected files
 * (golden.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent.h"
#include "golden.h"
#include "mem.h"
#include "ph_err.h"
#include "pharos_conf.h"
#include "token.h"

#define GOLDEN PH_TEST_DATA "/golden/conf/"

/* Errors are reported with the path as given; make them relative so the
 * golden files do not depend on where the tree is. */
static void
errs_text(const struct conf_errs *errs, struct buf *out)
{
    size_t plen = strlen(GOLDEN);

    for (size_t i = 0; i < errs->n; i++) {
        const char *m = errs->msgs[i];
        if (strncmp(m, GOLDEN, plen) == 0) {
            m += plen;
        }
        buf_printf(out, "%s\n", m);
    }
}

/* The golden files show the default web_dir of a /usr install; map this
 * build's default (PH_WEB_DIR, from the install prefix) onto it. */
static void
golden_web_dir(struct buf *out)
{
    static const char golden_dir[] = "\"/usr/share/pharos/web\"";
    const char *dir = "\"" PH_WEB_DIR "\"";
    const char *at = strstr(out->data, dir);
    struct buf tmp;

    if (at == NULL || strcmp(dir, golden_dir) == 0) {
        return;
    }
    buf_init(&tmp, out->max);
    assert_int_equal(buf_printf(&tmp, "%.*s%s%s", (int)(at - out->data),
                                out->data, golden_dir, at + strlen(dir)),
                     0);
    buf_free(out);
    *out = tmp;
}

static void
check_ok_case(const char *name)
{
    char in[512], ok[512];
    struct pharos_conf c, c2;
    struct conf_errs errs;
    struct buf out, out2;

    snprintf(in, sizeof(in), GOLDEN "%s.yml", name);
    snprintf(ok, sizeof(ok), GOLDEN "%s.ok", name);
    memset(&errs, 0, sizeof(errs));
    if (pharos_conf_load(in, &c, &errs) != 0) {
        fail_msg("%s: unexpected error: %s", name,
                 errs.n ? errs.msgs[0] : "?");
    }
    buf_init(&out, 1 << 20);
    assert_int_equal(pharos_conf_print(&c, &out), 0);
    golden_web_dir(&out);
    golden_text(ok, out.data);
    /* The printed form parses back to the same configuration. */
    memset(&errs, 0, sizeof(errs));
    if (pharos_conf_parse(in, out.data, out.len, &c2, &errs) != 0) {
        fail_msg("%s: printed config does not parse: %s", name,
                 errs.n ? errs.msgs[0] : "?");
    }
    buf_init(&out2, 1 << 20);
    assert_int_equal(pharos_conf_print(&c2, &out2), 0);
    assert_string_equal(out.data, out2.data);
    buf_free(&out);
    buf_free(&out2);
    pharos_conf_free(&c);
    pharos_conf_free(&c2);
}

static void
check_err_case(const char *name)
{
    char in[512], errf[512];
    struct pharos_conf c;
    struct conf_errs errs;
    struct buf out;

    snprintf(in, sizeof(in), GOLDEN "%s.yml", name);
    snprintf(errf, sizeof(errf), GOLDEN "%s.err", name);
    memset(&errs, 0, sizeof(errs));
    assert_int_equal(pharos_conf_load(in, &c, &errs), PH_ECONF);
    assert_true(errs.n > 0);
    buf_init(&out, 1 << 16);
    errs_text(&errs, &out);
    golden_text(errf, out.data);
    buf_free(&out);
    /* A failed load leaves nothing to free. */
    assert_null(c.checks);
    assert_null(c.regions);
}

static void
test_golden_full(void **state)
{
    (void)state;
    check_ok_case("full");
}

static void
test_golden_minimal(void **state)
{
    (void)state;
    check_ok_case("minimal");
}

static void
test_golden_errors(void **state)
{
    (void)state;
    check_err_case("errors");
}

static void
test_golden_syntax(void **state)
{
    (void)state;
    check_err_case("syntax");
}

static void
test_golden_alerts(void **state)
{
    (void)state;
    check_ok_case("alerts");
    check_err_case("alerts_errors");
}

/* depends_on and mass_failure: printed back, and every problem (unknown
 * ids, itself, a cycle, a bad share) reported at its line and column. */
static void
test_golden_depends(void **state)
{
    (void)state;
    check_ok_case("depends");
    check_err_case("depends_errors");
}

/* ha: absent = the collector leads alone; present = database required,
 * lease bounded, node_id checked or taken from the host name. */
static void
test_ha_section(void **state)
{
    static const char base[] = "page: {id: p, name: P}\n"
                               "regions: [{id: a}]\n"
                               "components: [{id: x, name: X}]\n";
    static const struct {
        const char *ha;
        int ok;
        const char *err;
    } cases[] = {
        {"", 1, NULL},
        {"ha: {database: 'host=db', lease: 15s, node_id: c-1.eu}\n", 1,
         NULL},
        {"ha: {database: 'host=db'}\n", 1, NULL},
        {"ha: {lease: 10s}\n", 0, "missing required key 'database'"},
        {"ha: {database: 'host=db', lease: 500ms}\n", 0, "lease"},
        {"ha: {database: 'host=db', node_id: 'a b'}\n", 0, "node_id"},
        {"ha: {database: 'host=db', nodeid: c1}\n", 0, "nodeid"},
        {"ha: [1]\n", 0, "mapping"},
        /* With a PostgreSQL store, the lease lives there by default. */
        {"store: 'postgresql://pharos@db/pharos'\nha: {lease: 10s}\n", 1,
         NULL},
        {"store: 'postgresql://pharos@db/pharos'\n"
         "ha: {database: 'host=other'}\n", 1, NULL},
    };
    char host[256];

    (void)state;
    assert_int_equal(gethostname(host, sizeof(host)), 0);
    host[63] = '\0';
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct pharos_conf c;
        struct conf_errs errs;
        char text[1024];
        int rc;

        memset(&errs, 0, sizeof(errs));
        snprintf(text, sizeof(text), "%s%s", cases[i].ha, base);
        rc = pharos_conf_parse("/tmp/t.yml", text, strlen(text), &c, &errs);
        if (!cases[i].ok) {
            assert_int_not_equal(rc, 0);
            assert_true(errs.n > 0);
            if (strstr(errs.msgs[0], cases[i].err) == NULL) {
                fail_msg("case %zu: '%s' lacks '%s'", i, errs.msgs[0],
                         cases[i].err);
            }
            continue;
        }
        assert_int_equal(rc, 0);
        if (i == 0) {
            assert_int_equal(c.ha.enabled, 0);
            assert_null(c.ha.database);
        } else if (i == 1) {
            assert_int_equal(c.ha.enabled, 1);
            assert_string_equal(c.ha.database, "host=db");
            assert_int_equal(c.ha.lease_ms, 15000);
            assert_string_equal(c.ha.node_id, "c-1.eu");
        } else {
            assert_int_equal(c.ha.enabled, 1);
            assert_int_equal(c.ha.lease_ms, 10000);
            assert_string_equal(c.ha.node_id, host);
        }
        if (i == 8) {
            assert_null(c.ha.database);
            assert_string_equal(c.store, "postgresql://pharos@db/pharos");
        } else if (i == 9) {
            assert_string_equal(c.ha.database, "host=other");
        }
        pharos_conf_free(&c);
    }
}

static void
test_golden_integrations(void **state)
{
    (void)state;
    check_ok_case("integrations");
    check_err_case("integrations_errors");
}

static void
test_defaults_and_lookup(void **state)
{
    static const char text[] =
        "page: {id: p, name: P}\n"
        "regions: [{id: a}, {id: b}, {id: c}]\n"
        "defaults: {interval: 1m, timeout: 2s, recover_after: 5}\n"
        "components:\n"
        "  - id: x\n"
        "    name: X\n"
        "    checks:\n"
        "      - {id: x1, type: http, url: 'http://h/', timeout: 3s}\n"
        "      - {id: x2, type: dns, name: h.test, regions: [b]}\n";
    struct pharos_conf c;
    struct conf_errs errs;

    (void)state;
    memset(&errs, 0, sizeof(errs));
    assert_int_equal(pharos_conf_parse("/tmp/t.yml", text, strlen(text), &c,
                                       &errs),
                     0);
    assert_int_equal(c.nchecks, 2);
    assert_int_equal(c.checks[0].interval_ms, 60000);
    assert_int_equal(c.checks[0].timeout_ms, 3000);
    assert_int_equal(c.checks[0].recover_after, 5);
    assert_int_equal(c.checks[0].fail_after, 2);
    assert_int_equal(c.checks[0].nregions, 0);
    assert_int_equal(c.checks[1].timeout_ms, 2000);
    assert_string_equal(c.checks[1].u.dns.rrtype, "A");
    assert_string_equal(c.checks[1].u.dns.expect_rcode, "NOERROR");
    assert_int_equal(c.checks[1].nregions, 1);
    assert_string_equal(c.checks[1].component_id, "x");
    assert_string_equal(c.state_dir, "/var/lib/pharos");
    assert_string_equal(c.publish_dir, "/var/lib/pharos/public");
    assert_int_equal(c.max_body_bytes, 1048576);
    assert_int_equal(pharos_conf_region_index(&c, "c"), 2);
    assert_int_equal(pharos_conf_region_index(&c, "zz"), -1);
    assert_int_equal(pharos_conf_component_index(&c, "x"), 0);
    pharos_conf_free(&c);
}

static void
test_token_file_and_env(void **state)
{
    char dir[] = "/tmp/pharos-conf-XXXXXX";
    char path[256], tok[256];
    char text[1024];
    char want[TOKEN_HASH_HEX];
    struct pharos_conf c;
    struct conf_errs errs;
    FILE *f;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(tok, sizeof(tok), "%s/agent.token", dir);
    f = fopen(tok, "w");
    assert_non_null(f);
    fputs("ph_file_token_0123456789abcdef\n", f);
    fclose(f);
    setenv("PH_TEST_TOKEN", "ph_env_token_0123456789abcdef", 1);
    snprintf(text, sizeof(text),
             "page: {id: p, name: P}\n"
             "regions: [{id: r}]\n"
             "agents:\n"
             "  - {id: a1, region: r, token_file: agent.token}\n"
             "  - {id: a2, region: r, token_env: PH_TEST_TOKEN}\n"
             "components: [{id: w, name: W}]\n");
    snprintf(path, sizeof(path), "%s/pharos.yml", dir);
    memset(&errs, 0, sizeof(errs));
    assert_int_equal(pharos_conf_parse(path, text, strlen(text), &c, &errs),
                     0);
    token_hash("ph_file_token_0123456789abcdef", 30, want);
    assert_string_equal(c.agents[0].token_sha256, want);
    assert_ptr_equal(pharos_conf_agent_by_hash(&c, want), &c.agents[0]);
    token_hash("ph_env_token_0123456789abcdef", 29, want);
    assert_string_equal(c.agents[1].token_sha256, want);
    assert_ptr_equal(pharos_conf_agent_by_hash(&c, want), &c.agents[1]);
    token_hash("wrong", 5, want);
    assert_null(pharos_conf_agent_by_hash(&c, want));
    pharos_conf_free(&c);

    unsetenv("PH_TEST_TOKEN");
    memset(&errs, 0, sizeof(errs));
    assert_int_equal(pharos_conf_parse(path, text, strlen(text), &c, &errs),
                     PH_ECONF);
    assert_int_equal(errs.n, 1);
    assert_non_null(strstr(errs.msgs[0], "PH_TEST_TOKEN is not set"));
    assert_non_null(strstr(errs.msgs[0], ":5:5:"));
    unlink(tok);
    rmdir(dir);
}

/* Parses text, prints it, re-parses the print and prints again: the two
 * prints are the same. Returns the first print (caller frees). */
static char *
print_round_trip(const char *text)
{
    struct pharos_conf c, c2;
    struct conf_errs errs;
    struct buf out, out2;
    char *s;

    memset(&errs, 0, sizeof(errs));
    if (pharos_conf_parse("/tmp/t.yml", text, strlen(text), &c, &errs) !=
        0) {
        fail_msg("unexpected error: %s", errs.n ? errs.msgs[0] : "?");
    }
    buf_init(&out, 1 << 20);
    assert_int_equal(pharos_conf_print(&c, &out), 0);
    if (pharos_conf_parse("/tmp/t.yml", out.data, out.len, &c2, &errs) !=
        0) {
        fail_msg("printed config does not parse: %s\n%s",
                 errs.n ? errs.msgs[0] : "?", out.data);
    }
    buf_init(&out2, 1 << 20);
    assert_int_equal(pharos_conf_print(&c2, &out2), 0);
    assert_string_equal(out.data, out2.data);
    s = ph_strdup(out.data);
    assert_non_null(s);
    buf_free(&out);
    buf_free(&out2);
    pharos_conf_free(&c);
    pharos_conf_free(&c2);
    return s;
}

/* Sections the golden files leave at their defaults print from the same
 * tables: notify (once a key differs), notify.smtp without its password,
 * enums by name, days, trusted_proxies as CIDRs. */
static void
test_print_sections(void **state)
{
    static const char text[] =
        "server: {trusted_proxies: [10.0.0.0/8, \"::1\"]}\n"
        "retention: {raw: 36h}\n"
        "incidents: {auto: 'off'}\n"
        "notify:\n"
        "  coalesce: 5s\n"
        "  smtp:\n"
        "    url: smtp://relay.test:587\n"
        "    starttls: optional\n"
        "    username: u\n"
        "    password_env: PH_TEST_SMTP_PASSWORD\n"
        "    from: Status <s@example.org>\n"
        "page: {id: p, name: P}\n"
        "regions: [{id: r1}]\n"
        "components: [{id: web, name: Web}]\n";
    static const char quiet[] =
        "notify: {coalesce: 10s}\n"
        "page: {id: p, name: P}\n"
        "regions: [{id: r1}]\n"
        "components: [{id: web, name: Web}]\n";
    char *got;

    (void)state;
    setenv("PH_TEST_SMTP_PASSWORD", "s3cret-password", 1);
    got = print_round_trip(text);
    assert_non_null(strstr(got, "  trusted_proxies:\n"
                                "    - \"10.0.0.0/8\"\n"
                                "    - \"::1/128\"\n"
                                "retention:\n  raw: 1d\n  latency_5m: 2d\n"
                                "  latency_1h: 90d\n"
                                "incidents:\n  auto: off\n"));
    assert_non_null(strstr(got, "notify:\n  allow_private_targets: false\n"
                                "  coalesce: 5000ms\n"));
    assert_non_null(strstr(got, "  smtp:\n"
                                "    url: \"smtp://relay.test:587\"\n"
                                "    starttls: optional\n"
                                "    username: \"u\"\n"
                                "    from: \"Status <s@example.org>\"\n"
                                "    insecure: false\n"
                                "page:\n"));
    assert_null(strstr(got, "password"));
    assert_null(strstr(got, "s3cret"));
    ph_free(got);
    unsetenv("PH_TEST_SMTP_PASSWORD");
    /* All defaults: no notify: section. */
    got = print_round_trip(quiet);
    assert_null(strstr(got, "notify"));
    ph_free(got);
}

/* Retention in days beyond what a uint32_t of ms holds (49 days); out
 * of range and unknown keys are file:line:col errors. */
static void
test_retention_days(void **state)
{
    static const char ok[] =
        "retention: {raw: 90d, latency_5m: 7d, latency_1h: 400d}\n"
        "page: {id: p, name: P}\n"
        "regions: [{id: r1}]\n"
        "components: [{id: web, name: Web}]\n";
    static const char bad[] =
        "retention: {latency_5m: 8d, latency_1h: 401d, latency: 1d}\n"
        "page: {id: p, name: P}\n"
        "regions: [{id: r1}]\n"
        "components: [{id: web, name: Web}]\n";
    struct pharos_conf c;
    struct conf_errs errs;

    (void)state;
    memset(&errs, 0, sizeof(errs));
    assert_int_equal(pharos_conf_parse("t.yml", ok, strlen(ok), &c, &errs),
                     0);
    assert_int_equal(c.retention_raw_days, 90);
    assert_int_equal(c.retention_latency_5m_days, 7);
    assert_int_equal(c.retention_latency_1h_days, 400);
    pharos_conf_free(&c);
    memset(&errs, 0, sizeof(errs));
    assert_int_equal(pharos_conf_parse("t.yml", bad, strlen(bad), &c, &errs),
                     PH_ECONF);
    assert_int_equal(errs.n, 3);
    assert_string_equal(errs.msgs[0], "t.yml:1:47: unknown key 'latency'");
    assert_non_null(strstr(errs.msgs[1], "t.yml:1:25: 'latency_5m': 8d is "
                                         "out of range"));
    assert_non_null(strstr(errs.msgs[2], "t.yml:1:41: 'latency_1h': 401d "
                                         "is out of range"));
}

/* The enums reject other names at the value, through the engine. */
static void
test_enum_errors(void **state)
{
    static const char text[] =
        "incidents: {auto: later}\n"
        "notify: {smtp: {url: 'smtp://h', from: a@b.test, starttls: maybe}}\n"
        "page: {id: p, name: P}\n"
        "regions: [{id: r1}]\n"
        "components: [{id: web, name: Web}]\n";
    struct pharos_conf c;
    struct conf_errs errs;

    (void)state;
    memset(&errs, 0, sizeof(errs));
    assert_int_equal(pharos_conf_parse("t.yml", text, strlen(text), &c,
                                       &errs),
                     PH_ECONF);
    assert_int_equal(errs.n, 2);
    assert_string_equal(errs.msgs[0], "t.yml:1:19: 'auto' must be draft, "
                                      "publish or off, not 'later'");
    assert_string_equal(errs.msgs[1], "t.yml:2:60: 'starttls' must be "
                                      "required, optional or off, not "
                                      "'maybe'");
}

/* --help-config lists every key of every section, nested ones by path,
 * from the tables that decode them. */
static void
test_help_config(void **state)
{
    static const char *const want[] = {
        "server.listen (string, default 127.0.0.1:8080): ",
        "server.trusted_proxies (value): ",
        "retention.raw (duration, default 2d): ",
        "retention.latency_5m (duration, default 2d): ",
        "retention.latency_1h (duration, default 90d): ",
        "incidents.auto (name, default draft): ",
        "notify.smtp (mapping): ",
        "notify.smtp.starttls (name, default required): ",
        "page (mapping, required): ",
        "page.id (string, required): ",
        "regions[].name (string): ",
        "agents[].token_file (string): ",
        "api_keys[].scope (string, default admin): ",
        "defaults.interval (duration",
        "groups[].description (string): ",
        "components[].only_show_if_degraded (boolean, default false): ",
        "components[].checks (value): ",
        "components[].checks[].quorum (",
        "components[].checks[type=http].url (",
        "components[].checks[type=smtp].starttls (",
        "alerts.tokens[].token_sha256 (value): ",
        "alerts.rules[].match (value, required): ",
        "alerts.webhook.firing_values (value): ",
    };
    struct buf out;

    (void)state;
    buf_init(&out, 1 << 20);
    pharos_conf_help(&out);
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        char line[160];

        snprintf(line, sizeof(line), "\n%s", want[i]);
        if (strstr(out.data, line) == NULL) {
            fail_msg("--help-config lacks '%s':\n%s", want[i], out.data);
        }
    }
    buf_free(&out);
}

static void
test_agent_conf(void **state)
{
    char dir[] = "/tmp/pharos-agentconf-XXXXXX";
    char path[256], tok[256];
    struct agent_conf c;
    struct conf_errs errs;
    FILE *f;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(tok, sizeof(tok), "%s/t", dir);
    f = fopen(tok, "w");
    fputs("ph_agent_secret_token\n", f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/agent.yml", dir);
    f = fopen(path, "w");
    fputs("collector: http://127.0.0.1:8080\ntoken_file: t\n"
          "batch_delay: 50ms\n",
          f);
    fclose(f);
    memset(&errs, 0, sizeof(errs));
    assert_int_equal(agent_conf_load(path, &c, &errs), 0);
    assert_string_equal(c.token, "ph_agent_secret_token");
    assert_int_equal(c.batch_delay_ms, 50);
    assert_int_equal(c.plan_refresh_ms, 30000);
    assert_int_equal(c.max_queue, 100000);
    agent_conf_free(&c);

    f = fopen(path, "w");
    fputs("collector: ftp://x\ntoken_file: t\nmax_batch: 0\nbogus: 1\n", f);
    fclose(f);
    memset(&errs, 0, sizeof(errs));
    assert_int_equal(agent_conf_load(path, &c, &errs), PH_ECONF);
    /* Every error in one run, the URL's at its own position. */
    assert_int_equal(errs.n, 3);
    assert_non_null(strstr(errs.msgs[0], ":4:1: unknown key 'bogus'"));
    assert_non_null(strstr(errs.msgs[1], ":1:12: collector must be an "
                                         "http:// or https:// URL"));
    assert_non_null(strstr(errs.msgs[2], ":3:12: 'max_batch': 0 is out of"));
    unlink(tok);
    unlink(path);
    rmdir(dir);
}

/* Writes text to dir/agent.yml and loads it into c. */
static int
load_agent_yml(const char *dir, const char *text, struct agent_conf *c,
               struct conf_errs *errs)
{
    char path[256];
    FILE *f;

    snprintf(path, sizeof(path), "%s/agent.yml", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    memset(errs, 0, sizeof(*errs));
    return agent_conf_load(path, c, errs);
}

/* collector: one URL (as before) or a list, the first preferred; each
 * entry checked where it stands. */
static void
test_agent_conf_collectors(void **state)
{
    char dir[] = "/tmp/pharos-agentconf-XXXXXX";
    char path[256];
    struct agent_conf c;
    struct conf_errs errs;
    FILE *f;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/t", dir);
    f = fopen(path, "w");
    fputs("tok\n", f);
    fclose(f);

    assert_int_equal(load_agent_yml(dir, "collector: http://a:8080\n"
                                         "token_file: t\n", &c, &errs), 0);
    assert_int_equal(c.ncollectors, 1);
    assert_string_equal(c.collectors[0], "http://a:8080");
    assert_int_equal(c.collector_retry_ms, 30000);
    agent_conf_free(&c);
    assert_int_equal(c.ncollectors, 0);

    assert_int_equal(load_agent_yml(dir, "collector:\n"
                                         "  - http://a:8080\n"
                                         "  - https://b.example/\n"
                                         "collector_retry: 5s\n"
                                         "token_file: t\n", &c, &errs), 0);
    assert_int_equal(c.ncollectors, 2);
    assert_string_equal(c.collectors[0], "http://a:8080");
    assert_string_equal(c.collectors[1], "https://b.example/");
    assert_int_equal(c.collector_retry_ms, 5000);
    agent_conf_free(&c);

    assert_int_equal(load_agent_yml(dir, "collector: [http://a, ftp://b]\n"
                                         "token_file: t\n", &c, &errs),
                     PH_ECONF);
    assert_int_equal(errs.n, 1);
    assert_non_null(strstr(errs.msgs[0], ":1:12: collector must be an "
                                         "http:// or https:// URL"));

    assert_int_equal(load_agent_yml(dir, "collector: [http://a, http://a]\n"
                                         "token_file: t\n", &c, &errs),
                     PH_ECONF);
    assert_int_equal(errs.n, 1);
    assert_non_null(strstr(errs.msgs[0], "the same URL is listed twice"));

    assert_int_equal(load_agent_yml(dir, "collector: []\ntoken_file: t\n",
                                    &c, &errs),
                     PH_ECONF);
    assert_int_equal(errs.n, 1);
    assert_non_null(strstr(errs.msgs[0], "at least one URL"));

    assert_int_equal(load_agent_yml(dir, "collector: {a: b}\n"
                                         "token_file: t\n", &c, &errs),
                     PH_ECONF);
    assert_int_equal(errs.n, 1);
    assert_non_null(strstr(errs.msgs[0], "'collector': expected a list"));

    assert_int_equal(load_agent_yml(dir, "collector: [http://a, http://b, "
                                         "http://c, http://d, http://e, "
                                         "http://f, http://g, http://h, "
                                         "http://i]\ntoken_file: t\n",
                                    &c, &errs),
                     PH_ECONF);
    assert_int_equal(errs.n, 1);
    assert_non_null(strstr(errs.msgs[0], "at most 8 entries"));

    assert_int_equal(load_agent_yml(dir, "token_file: t\n", &c, &errs),
                     PH_ECONF);
    assert_non_null(strstr(errs.msgs[0], "missing required key "
                                         "'collector'"));

    assert_int_equal(load_agent_yml(dir, "collector: http://a\n"
                                         "collector_retry: 10ms\n"
                                         "token_file: t\n", &c, &errs),
                     PH_ECONF);
    assert_non_null(strstr(errs.msgs[0], "'collector_retry'"));

    unlink(path);
    snprintf(path, sizeof(path), "%s/agent.yml", dir);
    unlink(path);
    rmdir(dir);
}

/* Unknown keys name the nearest known one when it is a likely typo. */
static void
test_suggest_pharos(void **state)
{
    static const char yml[] =
        "server:\n"
        "  stat_dir: /tmp/x\n"
        "page: {id: p, name: P}\n"
        "regions: [{id: r1}]\n"
        "componets: []\n"
        "components:\n"
        "  - id: web\n"
        "    name: Web\n"
        "    checks:\n"
        "      - id: w1\n"
        "        type: http\n"
        "        url: http://x/\n"
        "        tiemout: 1s\n"
        "        bogus: 1\n";
    struct pharos_conf c;
    struct conf_errs errs;

    (void)state;
    memset(&errs, 0, sizeof(errs));
    assert_int_equal(pharos_conf_parse("t.yml", yml, strlen(yml), &c, &errs),
                     PH_ECONF);
    assert_int_equal(errs.n, 4);
    assert_string_equal(errs.msgs[0], "t.yml:5:1: unknown section "
                                      "'componets'; did you mean "
                                      "'components'?");
    assert_string_equal(errs.msgs[1], "t.yml:2:3: unknown key 'stat_dir'; "
                                      "did you mean 'state_dir'?");
    assert_string_equal(errs.msgs[2], "t.yml:13:9: unknown key 'tiemout'; "
                                      "did you mean 'timeout'?");
    assert_string_equal(errs.msgs[3], "t.yml:14:9: unknown key 'bogus'");

    /* The helper itself: close words only, the nearest wins. */
    {
        static const char *const keys[] = {"id", "ip", "interval",
                                           "timeout"};
        assert_string_equal(conf_suggest("intervall", keys, 4), "interval");
        assert_string_equal(conf_suggest("timeuot", keys, 4), "timeout");
        assert_null(conf_suggest("ic", keys, 4));
        assert_null(conf_suggest("retries", keys, 4));
        assert_null(conf_suggest("timeout", keys, 4)); /* not unknown */
    }
}

/* store: and store_password_file: (the PostgreSQL store): file:line:col
 * errors, no password in the URI or in any message, the password read
 * from its file and never printed. */
static void
test_store_keys(void **state)
{
    static const char base[] =
        "page: {id: p, name: P}\n"
        "regions: [{id: r1}]\n"
        "components: [{id: web, name: Web}]\n";
    static const struct {
        const char *yml;
        const char *want;
    } bad[] = {
        {"store: \"mysql://db/x\"\n",
         "t.yml:1:8: store must be a postgresql:// URI (leave it out to "
         "keep sqlite in server.state_dir)"},
        {"store: \"postgresql://pharos:s3cret@db/x\"\n",
         "t.yml:1:8: store: put the password in store_password_file or the "
         "PGPASSWORD environment variable, not in the URI"},
        {"store: \"postgres://db/x?password=s3cret\"\n",
         "t.yml:1:8: store: put the password in store_password_file or the "
         "PGPASSWORD environment variable, not in the URI"},
        {"store_password_file: /nonexistent\n",
         "t.yml:1:22: store_password_file needs store: postgresql://..."},
        {"store: \"postgresql://db/x\"\nstore_password_file: /nonexistent\n",
         "t.yml:2:22: cannot read store_password_file /nonexistent"},
        {"stroe: \"postgresql://db/x\"\n",
         "t.yml:1:1: unknown section 'stroe'; did you mean 'store'?"},
        {"store: [a, b]\n", NULL},
    };
    char dir[] = "/tmp/ph_conf_store_XXXXXX";
    char pw[128], yml[1024];
    struct pharos_conf c;
    struct conf_errs errs;
    struct buf out;
    FILE *f;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(yml, sizeof(yml), "%s%s", bad[i].yml, base);
        memset(&errs, 0, sizeof(errs));
        assert_int_equal(pharos_conf_parse("t.yml", yml, strlen(yml), &c,
                                           &errs),
                         PH_ECONF);
        assert_int_equal(errs.n, 1);
        if (bad[i].want != NULL) {
            assert_string_equal(errs.msgs[0], bad[i].want);
        } else {
            assert_non_null(strstr(errs.msgs[0], "t.yml:1:8:"));
        }
        assert_null(strstr(errs.msgs[0], "s3cret"));
    }

    /* A good one: the password comes from its file, -nv shows the URI
     * and the file, never the password. */
    assert_non_null(mkdtemp(dir));
    snprintf(pw, sizeof(pw), "%s/pg.pw", dir);
    f = fopen(pw, "w");
    assert_non_null(f);
    fputs("s3cret-pw\n", f);
    fclose(f);
    snprintf(yml, sizeof(yml),
             "store: \"postgresql://pharos@db:5432/x?sslmode=verify-full\"\n"
             "store_password_file: %s\n%s", pw, base);
    memset(&errs, 0, sizeof(errs));
    assert_int_equal(pharos_conf_parse("t.yml", yml, strlen(yml), &c, &errs),
                     0);
    assert_string_equal(c.store,
                        "postgresql://pharos@db:5432/x?sslmode=verify-full");
    assert_string_equal(c.store_password, "s3cret-pw");
    buf_init(&out, 1 << 20);
    assert_int_equal(pharos_conf_print(&c, &out), 0);
    assert_non_null(strstr(out.data, "store: \"postgresql://pharos@db:5432/"
                                     "x?sslmode=verify-full\"\n"));
    assert_null(strstr(out.data, "s3cret-pw"));
    buf_free(&out);
    pharos_conf_free(&c);
    unlink(pw);
    rmdir(dir);
}

static void
test_suggest_agent(void **state)
{
    char dir[] = "/tmp/ph_conf_XXXXXX";
    char path[256];
    struct agent_conf c;
    struct conf_errs errs;
    FILE *f;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/agent.yml", dir);
    f = fopen(path, "w");
    fputs("collector: http://127.0.0.1:8080\ntoken_env: PH_NOPE\n"
          "stat_dir: /tmp\nheartbeet: 5s\nlog: debug\n",
          f);
    fclose(f);
    memset(&errs, 0, sizeof(errs));
    assert_int_equal(agent_conf_load(path, &c, &errs), PH_ECONF);
    assert_int_equal(errs.n, 3);
    assert_non_null(strstr(errs.msgs[0], ":3:1: unknown key 'stat_dir'; "
                                         "did you mean 'state_dir'?"));
    assert_non_null(strstr(errs.msgs[1], ":4:1: unknown key 'heartbeet'; "
                                         "did you mean 'heartbeat'?"));
    assert_non_null(strstr(errs.msgs[2], ":5:1: unknown key 'log'"));
    assert_null(strstr(errs.msgs[2], "did you mean"));
    unlink(path);
    rmdir(dir);
}

static void
test_durations(void **state)
{
    uint32_t ms = 0;

    (void)state;
    assert_int_equal(conf_parse_duration_ms("500ms", &ms), 0);
    assert_int_equal(ms, 500);
    assert_int_equal(conf_parse_duration_ms("5s", &ms), 0);
    assert_int_equal(ms, 5000);
    assert_int_equal(conf_parse_duration_ms("2m", &ms), 0);
    assert_int_equal(ms, 120000);
    assert_int_equal(conf_parse_duration_ms("7d", &ms), 0);
    assert_int_equal(ms, 604800000u);
    assert_int_equal(conf_parse_duration_ms("30", &ms), 0);
    assert_int_equal(ms, 30000);
    assert_int_equal(conf_parse_duration_ms("-1s", &ms), -1);
    assert_int_equal(conf_parse_duration_ms("5 s", &ms), -1);
    assert_int_equal(conf_parse_duration_ms("60d", &ms), -1); /* > u32 */
    assert_int_equal(conf_parse_duration_ms("", &ms), -1);
}

static void
test_hostile_yaml(void **state)
{
    static const char *const inputs[] = {
        "a: &x [1]\nb: *x\n",                 /* aliases refused */
        "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
        "--- 1\n--- 2\n",                      /* two documents */
        "\xff\xfe\x00garbage",
        "",
        "page: {id: p, name: P}\npage: {id: q, name: Q}\n",
        /* A refused optional value left NULL for the checks after the
         * table (found by fuzz-deep.sh: a crash before the fix). */
        "page:\n  id: acme\n  name: A\n  time_zone: [x]\n",
        "page:\n  id: acme\n  name: A\n  brand_color: {a: 1}\n",
        /* The same in a check's finish (fuzz-deep.sh, url: [...]). */
        "page: {id: p, name: P}\nregions: [{id: r}]\ncomponents:\n"
        "  - id: c\n    name: C\n    checks:\n"
        "      - {id: h, type: http, url: [x]}\n",
        "page: {id: p, name: P}\nregions: [{id: r}]\ncomponents:\n"
        "  - id: c\n    name: C\n    checks:\n"
        "      - {id: d, type: dns, name: a.test, rrtype: [x]}\n",
        "page: {id: p, name: P}\nregions: [{id: r}]\ncomponents:\n"
        "  - id: c\n    name: C\n    checks:\n"
        "      - {id: t, type: tcp, host: [x], port: 1}\n",
        "page: {id: p, name: P}\nregions: [{id: r}]\ncomponents:\n"
        "  - id: c\n    name: C\n    checks:\n"
        "      - {id: s, type: smtp, host: {a: b}}\n",
    };
    struct pharos_conf c;
    struct conf_errs errs;

    (void)state;
    for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
        memset(&errs, 0, sizeof(errs));
        assert_int_equal(pharos_conf_parse("h.yml", inputs[i],
                                           strlen(inputs[i]), &c, &errs),
                         PH_ECONF);
        assert_true(errs.n > 0);
        assert_non_null(strstr(errs.msgs[0], "h.yml:"));
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_full),
        cmocka_unit_test(test_golden_minimal),
        cmocka_unit_test(test_golden_errors),
        cmocka_unit_test(test_golden_syntax),
        cmocka_unit_test(test_golden_alerts),
        cmocka_unit_test(test_golden_depends),
        cmocka_unit_test(test_ha_section),
        cmocka_unit_test(test_golden_integrations),
        cmocka_unit_test(test_defaults_and_lookup),
        cmocka_unit_test(test_token_file_and_env),
        cmocka_unit_test(test_print_sections),
        cmocka_unit_test(test_enum_errors),
        cmocka_unit_test(test_retention_days),
        cmocka_unit_test(test_help_config),
        cmocka_unit_test(test_agent_conf),
        cmocka_unit_test(test_agent_conf_collectors),
        cmocka_unit_test(test_suggest_pharos),
        cmocka_unit_test(test_suggest_agent),
        cmocka_unit_test(test_store_keys),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_hostile_yaml),
    };

    return golden_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
