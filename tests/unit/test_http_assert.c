/*
 * test_http_assert.c - the JSONPath subset (jsonpath.c), the assertion
 * operators (json_assert.c), {{variables}} and secret masking
 * (template.c), and the steps' text form in the agent plan
 * (check_http_spec.c through wire.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"
#include "check_http_spec.h"
#include "json_assert.h"
#include "jsonpath.h"
#include "mem.h"
#include "ph_err.h"
#include "template.h"
#include "wire.h"

static void
test_jsonpath_parse(void **state)
{
    static const struct {
        const char *path;
        size_t nseg; /* 0 with err: must fail */
        const char *err;
    } cases[] = {
        {"$", 0, NULL},
        {"$.a", 1, NULL},
        {"$.data.items[0].id", 4, NULL},
        {"$.items[-1]", 2, NULL},
        {"$['a key'][\"x.y\"]", 2, NULL},
        {"$['it\\'s']", 1, NULL},
        {"$.a-b_c$@", 1, NULL},
        {"a.b", 0, "at character 1: a path starts with '$'"},
        {"$.", 0, "at character 3: expected a name after '.'"},
        {"$..a", 0, "at character 3: expected a name after '.'"},
        {"$.a[", 0, "at character 5: expected an index"},
        {"$.a[x]", 0, "at character 5: expected an index"},
        {"$.a[1", 0, "at character 6: expected ']'"},
        {"$['abc", 0, "unterminated quoted key"},
        {"$['a\\b']", 0, "are escapes"},
        {"$.a b", 0, "at character 4: expected '.' or '['"},
        {"$[99999999999]", 0, "bad index"},
        {"$.*", 0, "expected a name"},
    };
    struct jsonpath p;
    char err[128];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc = jsonpath_parse(cases[i].path, &p, err, sizeof(err));

        if (cases[i].err == NULL) {
            if (rc != 0 || p.n != cases[i].nseg) {
                fail_msg("%s: rc %d n %zu (want %zu): %s", cases[i].path, rc,
                         p.n, cases[i].nseg, err);
            }
        } else if (rc != PH_EPARSE || strstr(err, cases[i].err) == NULL) {
            fail_msg("%s: rc %d err '%s', want '%s'", cases[i].path, rc, err,
                     cases[i].err);
        }
    }
    assert_int_equal(jsonpath_parse("$['it\\'s'].b[-2]", &p, err, sizeof(err)),
                     0);
    assert_string_equal(p.seg[0].key, "it's");
    assert_string_equal(p.seg[1].key, "b");
    assert_int_equal(p.seg[2].is_index, 1);
    assert_int_equal(p.seg[2].index, -2);
}

static const char doc_text[] =
    "{\"token\":\"abc\",\"count\":2,\"ratio\":0.5,\"ok\":true,\"none\":null,"
    "\"items\":[1,\"two\",{\"k\":3}],\"user\":{\"name\":\"ada\","
    "\"roles\":[\"admin\",\"ops\"]},\"a key\":\"spaced\",\"empty\":[]}";

static void
test_json_operators(void **state)
{
    static const struct {
        const char *path;
        int op;
        const char *want;
        int rc;
        const char *err;
    } cases[] = {
        {"$.token", AOP_EXISTS, NULL, 0, NULL},
        {"$.none", AOP_EXISTS, NULL, 0, NULL},
        {"$.nope", AOP_EXISTS, NULL, 1, "$.nope: missing"},
        {"$.token", AOP_NONE, NULL, 0, NULL},
        {"$.nope", AOP_NONE, NULL, 1, "$.nope: missing"},
        {"$.token", AOP_NONE, "abc", 0, NULL},
        {"$.token", AOP_EQ, "abc", 0, NULL},
        {"$.token", AOP_EQ, "abd", 1, "$.token: \"abc\", expected == \"abd\""},
        {"$.token", AOP_NE, "abd", 0, NULL},
        {"$.token", AOP_NE, "abc", 1, "expected != \"abc\""},
        {"$.count", AOP_EQ, "2", 0, NULL},
        {"$.count", AOP_EQ, "2.0", 0, NULL},
        {"$.count", AOP_EQ, "two", 1, "$.count: 2, expected =="},
        {"$.ok", AOP_EQ, "true", 0, NULL},
        {"$.ok", AOP_EQ, "1", 1, NULL},
        {"$.none", AOP_EQ, "null", 0, NULL},
        {"$.user.roles", AOP_EQ, "[\"admin\", \"ops\"]", 0, NULL},
        {"$.items[2]", AOP_EQ, "{\"k\": 3}", 0, NULL},
        {"$.count", AOP_LT, "3", 0, NULL},
        {"$.count", AOP_LT, "2", 1, "$.count: 2, expected < 2"},
        {"$.count", AOP_LE, "2", 0, NULL},
        {"$.count", AOP_GT, "1.5", 0, NULL},
        {"$.count", AOP_GT, "2", 1, "expected > 2"},
        {"$.ratio", AOP_GE, "0.5", 0, NULL},
        {"$.ratio", AOP_GE, "0.6", 1, "$.ratio: 0.5, expected >= 0.6"},
        {"$.token", AOP_GT, "1", 1, "$.token: \"abc\" is not a number"},
        {"$.count", AOP_GT, "x", 1, "expected value \"x\" is not a number"},
        {"$.token", AOP_CONTAINS, "bc", 0, NULL},
        {"$.token", AOP_CONTAINS, "z", 1, "does not contain \"z\""},
        {"$.items", AOP_CONTAINS, "two", 0, NULL},
        {"$.items", AOP_CONTAINS, "1", 0, NULL},
        {"$.items", AOP_CONTAINS, "3", 1, "does not contain"},
        {"$.user", AOP_CONTAINS, "name", 0, NULL},
        {"$.count", AOP_CONTAINS, "2", 1, "not a string, array or object"},
        {"$.items", AOP_LENGTH, "3", 0, NULL},
        {"$.items", AOP_LENGTH, "2", 1, "$.items: length 3, expected 2"},
        {"$.empty", AOP_LENGTH, "0", 0, NULL},
        {"$.token", AOP_LENGTH, "3", 0, NULL},
        {"$.user", AOP_LENGTH, "2", 0, NULL},
        {"$.count", AOP_LENGTH, "1", 1, "has no length"},
        {"$.items", AOP_LENGTH, "1.5", 1, "not a whole number"},
        {"$.items[-1].k", AOP_EQ, "3", 0, NULL},
        {"$.items[5]", AOP_EXISTS, NULL, 1, "missing"},
        {"$.items[-4]", AOP_EXISTS, NULL, 1, "missing"},
        {"$.token.x", AOP_EXISTS, NULL, 1, "missing"},
        {"$.items.x", AOP_EXISTS, NULL, 1, "missing"},
        {"$.user[0]", AOP_EXISTS, NULL, 1, "missing"},
        {"$['a key']", AOP_EQ, "spaced", 0, NULL},
        {"$..x", AOP_EXISTS, NULL, PH_EPARSE, "bad JSONPath"},
    };
    char err[CHECK_ERROR_MAX];
    struct json_doc *d =
        json_doc_parse(doc_text, strlen(doc_text), err, sizeof(err));

    (void)state;
    assert_non_null(d);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc;

        err[0] = '\0';
        rc = json_assert(d, cases[i].path, cases[i].op, cases[i].want, err,
                         sizeof(err));
        if (rc != cases[i].rc ||
            (cases[i].err != NULL && strstr(err, cases[i].err) == NULL)) {
            fail_msg("case %zu %s %s %s: rc %d (want %d) err '%s' (want "
                     "'%s')",
                     i, cases[i].path, assert_op_name(cases[i].op),
                     cases[i].want ? cases[i].want : "-", rc, cases[i].rc, err,
                     cases[i].err ? cases[i].err : "");
        }
    }
    json_doc_destroy(d);
}

static void
test_json_doc_and_extract(void **state)
{
    char err[128], out[16];
    struct json_doc *d;

    (void)state;
    assert_null(json_doc_parse("<html>", 6, err, sizeof(err)));
    assert_non_null(strstr(err, "line 1"));
    assert_null(json_doc_parse(NULL, 0, err, sizeof(err)));
    /* Any value may be the top. */
    d = json_doc_parse("42", 2, err, sizeof(err));
    assert_non_null(d);
    assert_int_equal(json_assert(d, "$", AOP_EQ, "42", err, sizeof(err)), 0);
    json_doc_destroy(d);
    json_doc_destroy(NULL);

    d = json_doc_parse(doc_text, strlen(doc_text), err, sizeof(err));
    assert_non_null(d);
    assert_int_equal(
        json_extract(d, "$.token", out, sizeof(out), err, sizeof(err)), 0);
    assert_string_equal(out, "abc");
    assert_int_equal(
        json_extract(d, "$.count", out, sizeof(out), err, sizeof(err)), 0);
    assert_string_equal(out, "2");
    assert_int_equal(
        json_extract(d, "$.items[2]", out, sizeof(out), err, sizeof(err)), 0);
    assert_string_equal(out, "{\"k\":3}");
    assert_int_equal(
        json_extract(d, "$.gone", out, sizeof(out), err, sizeof(err)), 1);
    assert_string_equal(err, "$.gone: missing");
    /* Longer than the room: refused, not cut. */
    assert_int_equal(
        json_extract(d, "$.user", out, sizeof(out), err, sizeof(err)),
        PH_ETOOBIG);
    assert_int_equal(json_extract(d, "$.user.roles", out, 4, err, sizeof(err)),
                     PH_ETOOBIG);
    json_doc_destroy(d);
}

static void
test_text_operators(void **state)
{
    char err[128];

    (void)state;
    assert_int_equal(
        text_assert("header X", NULL, AOP_EXISTS, NULL, err, sizeof(err)), 1);
    assert_string_equal(err, "header X: missing");
    assert_int_equal(
        text_assert("header X", "", AOP_EXISTS, NULL, err, sizeof(err)), 0);
    assert_int_equal(text_assert("h", "application/json; charset=utf-8",
                                 AOP_CONTAINS, "json", err, sizeof(err)),
                     0);
    assert_int_equal(
        text_assert("h", "text/html", AOP_CONTAINS, "json", err, sizeof(err)),
        1);
    assert_string_equal(err, "h: \"text/html\" does not contain \"json\"");
    assert_int_equal(
        text_assert("h", "max-age=60", AOP_EQ, "max-age=60", err, sizeof(err)),
        0);
    assert_int_equal(text_assert("h", "10", AOP_EQ, "10.0", err, sizeof(err)),
                     0);
    assert_int_equal(text_assert("h", "a", AOP_NE, "a", err, sizeof(err)), 1);
    assert_string_equal(err, "h: \"a\", expected != \"a\"");
    assert_int_equal(text_assert("h", "10", AOP_LT, "9", err, sizeof(err)), 1);
    assert_int_equal(text_assert("h", "10", AOP_GE, "9", err, sizeof(err)), 0);
    assert_int_equal(text_assert("h", "x", AOP_GT, "9", err, sizeof(err)), 1);
    assert_non_null(strstr(err, "is not a number"));
    assert_int_equal(text_assert("h", "abc", AOP_LENGTH, "3", err, sizeof(err)),
                     0);
    assert_int_equal(text_assert("h", "abc", AOP_LENGTH, "2", err, sizeof(err)),
                     1);
    assert_string_equal(err, "h: length 3, expected 2");
    assert_int_equal(assert_op_parse(">="), AOP_GE);
    assert_int_equal(assert_op_parse("~="), AOP_NONE);
    assert_string_equal(assert_op_name(AOP_LENGTH), "length");
}

static int
count_name(const char *name, void *arg)
{
    (void)name;
    (*(int *)arg)++;
    return 0;
}

static void
test_template(void **state)
{
    struct tvars vs;
    struct buf out;
    char err[96];
    size_t pos = 0;
    int n = 0;

    (void)state;
    tvars_init(&vs);
    assert_int_equal(tvars_set(&vs, "token", "t-1", 3, 0), 0);
    assert_int_equal(tvars_set(&vs, "pw", "hunter2", 7, 1), 0);
    assert_int_equal(tvars_set(&vs, "1bad", "x", 1, 0), PH_EINVAL);
    assert_int_equal(tvars_set(&vs, "big", "x", TVAR_VALUE_MAX + 1, 0),
                     PH_ETOOBIG);
    buf_init(&out, 1024);
    assert_int_equal(template_expand("Bearer {{token}}/{{ pw }}{{token}}", &vs,
                                     &out, err, sizeof(err)),
                     0);
    assert_string_equal(out.data, "Bearer t-1/hunter2t-1");
    buf_reset(&out);
    assert_int_equal(template_expand("plain", &vs, &out, err, sizeof(err)), 0);
    assert_string_equal(out.data, "plain");
    buf_reset(&out);
    assert_int_equal(template_expand("{{nope}}", &vs, &out, err, sizeof(err)),
                     PH_ENOENT);
    assert_string_equal(err, "undefined variable 'nope'");
    buf_reset(&out);
    assert_int_equal(template_expand("a {{token", &vs, &out, err, sizeof(err)),
                     PH_EPARSE);
    buf_free(&out);
    /* Capped output. */
    buf_init(&out, 4);
    assert_int_equal(template_expand("{{pw}}", &vs, &out, err, sizeof(err)),
                     PH_ETOOBIG);
    buf_free(&out);

    assert_int_equal(template_each("{{a}} {{ b }} {{c}}", count_name, &n, &pos),
                     0);
    assert_int_equal(n, 3);
    assert_int_equal(template_each("ok {{a b}}", count_name, &n, &pos),
                     PH_EPARSE);
    assert_int_equal(pos, 3);

    /* Masking: every occurrence, the text grows within its room. */
    {
        char t[32] = "pw=hunter2, again hunter2";
        char small[12] = "x hunter2 y";

        tvars_redact(&vs, t, sizeof(t));
        assert_string_equal(t, "pw=***, again ***");
        tvars_redact(&vs, small, sizeof(small));
        assert_string_equal(small, "x *** y");
    }
    {
        /* A secret value shorter than the mask: the text grows; cut at
         * the room, never past it. */
        struct tvars v2;
        char t[8] = "a1b1c1";

        tvars_init(&v2);
        assert_int_equal(tvars_set(&v2, "s", "1", 1, 1), 0);
        tvars_redact(&v2, t, sizeof(t));
        assert_true(strlen(t) < sizeof(t));
        assert_int_equal(strncmp(t, "a***b", 5), 0);
        assert_null(strchr(t, '1'));
        tvars_free(&v2);
    }
    {
        /* A long secret shown cut to 40 bytes, and one cut by the end of
         * the message: both masked. Short common prefixes are not. */
        struct tvars v3;
        const char *jwt =
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwcm9iZSJ9.c2lnbmF0dXJl";
        char t[128];

        tvars_init(&v3);
        assert_int_equal(tvars_set(&v3, "t", jwt, strlen(jwt), 1), 0);
        snprintf(t, sizeof(t), "$.t: \"%.40s...\", expected == \"x\"", jwt);
        tvars_redact(&v3, t, sizeof(t));
        assert_string_equal(t, "$.t: \"***...\", expected == \"x\"");
        snprintf(t, sizeof(t), "got eyJh");
        tvars_redact(&v3, t, sizeof(t));
        assert_string_equal(t, "got ***");
        snprintf(t, sizeof(t), "eyJ is a prefix, eyJhbGc too");
        tvars_redact(&v3, t, sizeof(t));
        assert_string_equal(t, "eyJ is a prefix, eyJhbGc too");
        tvars_free(&v3);
    }
    /* A secret stays secret when set again without the flag. */
    assert_int_equal(tvars_set(&vs, "pw", "other", 5, 0), 0);
    {
        char t[32] = "other";
        tvars_redact(&vs, t, sizeof(t));
        assert_string_equal(t, "***");
    }
    tvars_free(&vs);
}

static const char spec_yaml[] =
    "secrets:\n"
    "  - {name: pw, env: API_PW}\n"
    "steps:\n"
    "  - name: login\n"
    "    method: POST\n"
    "    url: http://127.0.0.1:1/login\n"
    "    headers: {Content-Type: application/json}\n"
    "    body: '{\"pw\": \"{{pw}}\"}'\n"
    "    timeout: 2s\n"
    "    expect_status: [200, 201]\n"
    "    extract:\n"
    "      - {var: token, json: $.token, secret: true}\n"
    "      - {var: sid, header: Set-Cookie, regex: 'sid=([a-z]+)'}\n"
    "    assert:\n"
    "      - {json: $.n, op: '>=', value: 3}\n"
    "      - {header: Content-Type, op: contains, value: json}\n"
    "  - url: 'http://127.0.0.1:1/me?s={{sid}}'\n"
    "    headers: {Authorization: 'Bearer {{token}}'}\n"
    "    max_latency: 500ms\n"
    "    body_regex: '^\\{'\n";

static void
make_check(struct check *c)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->id, sizeof(c->id), "flow");
    snprintf(c->component_id, sizeof(c->component_id), "api");
    c->type = CHECK_HTTP;
    c->interval_ms = 30000;
    c->timeout_ms = 5000;
    c->u.http.url = ph_strdup("http://127.0.0.1:1/");
}

static void
test_spec_load_and_plan(void **state)
{
    struct check c, back;
    struct wire_plan pl;
    char err[CONF_ERR_MSG_MAX];
    uint8_t *bytes = NULL;
    size_t len = 0;
    const struct http_step *s;

    (void)state;
    make_check(&c);
    assert_int_equal(check_http_spec_load(&c, spec_yaml, strlen(spec_yaml), err,
                                          sizeof(err)),
                     0);
    assert_int_equal(c.u.http.nsecrets, 1);
    assert_int_equal(c.u.http.nsteps, 2);
    s = &c.u.http.steps[0];
    assert_string_equal(s->name, "login");
    assert_int_equal(s->timeout_ms, 2000);
    assert_int_equal(s->expect_status.n, 2);
    assert_int_equal(s->headers.n, 1);
    assert_int_equal(s->nextract, 2);
    assert_int_equal(s->extract[0].secret, 1);
    assert_int_equal(s->nasserts, 2);
    assert_int_equal(s->asserts[0].op, AOP_GE);
    assert_int_equal(s->asserts[1].op, AOP_CONTAINS);
    assert_int_equal(c.u.http.steps[1].max_latency_ms, 500);
    assert_true(check_http_spec_present(&c));

    /* In the frozen form (agents from before the generic one) the url
     * is marked, so such an agent reports the check down. */
    assert_int_equal(wire_encode_plan(WIRE_PLAN_FROZEN, 1, "a", "r", 0, &c,
                                      1, &bytes, &len),
                     0);
    assert_non_null(memmem(bytes, len, "pharos-steps+http://", 20));
    ph_free(bytes);
    /* Through the plan and back: the same probe. */
    assert_int_equal(wire_encode_plan(WIRE_PLAN_GENERIC, 1, "a", "r", 0, &c,
                                      1, &bytes, &len),
                     0);
    /* PH_WRITE_SEED=1 rewrites the wire fuzzer's seed with this plan
     * (test_spec_fuzz_seed reads it back). */
    if (getenv("PH_WRITE_SEED") != NULL) {
        char path[512];
        FILE *f;

        snprintf(path, sizeof(path), "%s/fuzz/corpus/wire/plan_steps",
                 PH_TEST_DATA);
        f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(bytes, 1, len, f), len);
        fclose(f);
    }
    assert_int_equal(wire_decode_plan(bytes, len, &pl, err, sizeof(err)), 0);
    assert_int_equal(pl.nchecks, 1);
    assert_true(check_probe_equal(&c, &pl.checks[0]));
    assert_int_equal(pl.checks[0].u.http.nsteps, 2);
    assert_string_equal(pl.checks[0].u.http.secrets[0].env, "API_PW");
    wire_plan_free(&pl);
    ph_free(bytes);

    /* A copy is equal and independent; a changed assertion is not. */
    assert_int_equal(check_copy(&back, &c), 0);
    assert_true(check_probe_equal(&c, &back));
    ph_free(back.u.http.steps[0].asserts[0].value);
    back.u.http.steps[0].asserts[0].value = ph_strdup("4");
    assert_false(check_probe_equal(&c, &back));
    check_free(&back);
    check_free(&c);
}

/* A spec over its limit is refused, not sent cut short. */
static void
test_spec_too_big(void **state)
{
    static const char yaml[] = "steps:\n  - {name: a, body: x}\n";
    size_t big = HTTP_SPEC_TEXT_MAX + 10;
    struct check c;
    char err[CONF_ERR_MSG_MAX];
    char *text = NULL;
    uint8_t *bytes = NULL;
    size_t len = 0;

    (void)state;
    make_check(&c);
    assert_int_equal(
        check_http_spec_load(&c, yaml, strlen(yaml), err, sizeof(err)), 0);
    assert_int_equal(check_http_spec_print(&c, &text, &len), 0);
    assert_non_null(strstr(text, "body: \"x\""));
    ph_free(text);
    ph_free(c.u.http.steps[0].body);
    c.u.http.steps[0].body = ph_malloc(big + 1);
    assert_non_null(c.u.http.steps[0].body);
    memset(c.u.http.steps[0].body, 'a', big);
    c.u.http.steps[0].body[big] = '\0';
    assert_int_equal(check_http_spec_print(&c, &text, &len), PH_ETOOBIG);
    /* In a plan it is refused whole, never taken cut short: by the
     * encoder, or by the agent's decoder (the spec's own cap). */
    if (wire_encode_plan(WIRE_PLAN_GENERIC, 1, "a", "r", 0, &c, 1, &bytes,
                         &len) == 0) {
        struct wire_plan pl;

        assert_int_not_equal(
            wire_decode_plan(bytes, len, &pl, err, sizeof(err)), 0);
        ph_free(bytes);
    }
    check_free(&c);
}

/* The fuzz corpus seed of a plan with steps decodes (so the wire fuzzer
 * starts inside check_http_spec_load()). */
static void
test_spec_fuzz_seed(void **state)
{
    char path[512], err[CONF_ERR_MSG_MAX];
    static uint8_t bytes[8192];
    struct wire_plan pl;
    size_t len;
    FILE *f;

    (void)state;
    snprintf(path, sizeof(path), "%s/fuzz/corpus/wire/plan_steps",
             PH_TEST_DATA);
    f = fopen(path, "rb");
    assert_non_null(f);
    len = fread(bytes, 1, sizeof(bytes), f);
    fclose(f);
    assert_int_equal(wire_decode_plan(bytes, len, &pl, err, sizeof(err)), 0);
    assert_int_equal(pl.nchecks, 1);
    assert_int_equal(pl.checks[0].u.http.nsteps, 2);
    assert_int_equal(pl.checks[0].u.http.steps[0].asserts[1].op, AOP_CONTAINS);
    assert_string_equal(pl.checks[0].u.http.url, "http://127.0.0.1:1/");
    wire_plan_free(&pl);
    /* A spec that breaks the rules is a protocol error, not a check. */
    {
        static const char bad[] = "steps:\n  - {url: 'http://x/{{nope}}'}\n";
        struct check c;

        memset(&c, 0, sizeof(c));
        c.type = CHECK_HTTP;
        assert_int_equal(
            check_http_spec_load(&c, bad, strlen(bad), err, sizeof(err)),
            PH_EPROTO);
        check_free(&c);
    }
}

static void
test_spec_errors(void **state)
{
    static const struct {
        const char *yaml;
        const char *err;
    } cases[] = {
        {"steps:\n  - {url: 'http://x/{{tok}}'}\n",
         "plan:2:11: check 'flow': step 1: undefined variable 'tok'"},
        {"steps:\n  - {name: a, extract: [{var: t, json: $.t}]}\n"
         "  - {headers: {A: '{{t}}'}, assert: [{json: $.x, value: '{{u}}'}]}\n",
         "undefined variable 'u'"},
        {"steps:\n  - {nmae: a}\n", "unknown key 'nmae'; did you mean 'name'?"},
        {"steps:\n  - {assert: [{json: $.a, op: '=~', value: 1}]}\n",
         "'op' must be ==, !=, <, <=, >, >=, contains, exists or length"},
        {"steps:\n  - {assert: [{json: '$.a[', op: exists}]}\n",
         "bad JSONPath '$.a[': at character 5"},
        {"steps:\n  - {assert: [{json: $.a, op: length, value: x}]}\n",
         "'length' needs a whole number, not 'x'"},
        {"steps:\n  - {method: get}\n", "is not an HTTP method"},
        {"steps:\n  - {url: 'ftp://x/'}\n", "'url' must start with"},
        {"steps:\n  - {body_regex: '('}\n", "does not compile"},
        {"steps:\n  - {extract: [{var: 1x, json: $.a}]}\n",
         "'1x' is not a variable name"},
        {"steps:\n  - {extract: [{var: x}]}\n",
         "needs 'json', 'header' or 'regex'"},
        {"secrets:\n  - {name: p}\nsteps:\n  - {}\n",
         "secret 'p': give one of 'env' or 'file'"},
        {"secrets:\n  - {name: p, env: P}\n", "secrets are used by steps"},
        {"steps: {a: 1}\n", "'steps': expected a list"},
        {"steps:\n"
         "  - {}\n  - {}\n  - {}\n  - {}\n  - {}\n  - {}\n  - {}\n  - {}\n"
         "  - {}\n  - {}\n  - {}\n",
         "plan:12:5: at most 10 steps"},
    };
    char err[CONF_ERR_MSG_MAX];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct check c;
        int rc;

        make_check(&c);
        err[0] = '\0';
        rc = check_http_spec_load(&c, cases[i].yaml, strlen(cases[i].yaml), err,
                                  sizeof(err));
        if (rc != PH_EPROTO || strstr(err, cases[i].err) == NULL) {
            fail_msg("case %zu: rc %d err '%s', want '%s'", i, rc, err,
                     cases[i].err);
        }
        check_free(&c);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jsonpath_parse),
        cmocka_unit_test(test_json_operators),
        cmocka_unit_test(test_json_doc_and_extract),
        cmocka_unit_test(test_text_operators),
        cmocka_unit_test(test_template),
        cmocka_unit_test(test_spec_load_and_plan),
        cmocka_unit_test(test_spec_too_big),
        cmocka_unit_test(test_spec_fuzz_seed),
        cmocka_unit_test(test_spec_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
