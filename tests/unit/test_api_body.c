/*
 * test_api_body.c - management API bodies (api_body.c): JSON sniffed
 * without a Content-Type, Rails bracket forms with nesting, arrays and
 * percent-encoding, t/f booleans, and clean refusals of malformed input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "api_body.h"
#include "ph_err.h"

static json_t *
parse_ok(const char *body)
{
    json_t *doc = NULL;
    char err[256];

    if (api_body_parse(body, strlen(body), &doc, err, sizeof(err)) != 0) {
        fail_msg("refused %s: %s", body, err);
    }
    return doc;
}

static void
parse_bad(const char *body, const char *want)
{
    json_t *doc = NULL;
    char err[256] = "";

    assert_int_equal(api_body_parse(body, strlen(body), &doc, err,
                                    sizeof(err)),
                     PH_EINVAL);
    assert_null(doc);
    if (strstr(err, want) == NULL) {
        fail_msg("message for %s: %s (want %s)", body, err, want);
    }
}

static const char *
path_str(json_t *doc, const char *a, const char *b, const char *c)
{
    json_t *v = json_object_get(doc, a);

    if (b != NULL) {
        v = json_object_get(v, b);
    }
    if (c != NULL) {
        v = json_object_get(v, c);
    }
    return json_string_value(v);
}

static void
test_json(void **state)
{
    json_t *doc;

    (void)state;
    doc = parse_ok("  {\"incident\":{\"name\":\"x\",\"deliver_notifications\":false}}");
    assert_string_equal(path_str(doc, "incident", "name", NULL), "x");
    assert_int_equal(api_body_bool(json_object_get(
                         json_object_get(doc, "incident"),
                         "deliver_notifications")),
                     0);
    json_decref(doc);
    doc = parse_ok("");
    assert_true(json_is_object(doc) && json_object_size(doc) == 0);
    json_decref(doc);
    parse_bad("{\"incident\":", "malformed JSON");
    parse_bad("[1,2]", "must be an object");
    parse_bad("{\"a\":1,\"a\":2}", "malformed JSON");   /* duplicate keys */
}

static void
test_form(void **state)
{
    json_t *doc, *ids;

    (void)state;
    doc = parse_ok("incident%5Bname%5D=DB+is+slow&incident[status]=identified"
                   "&incident[components][api]=major_outage"
                   "&incident[component_ids][]=api&incident[component_ids][]=web"
                   "&incident[body]=50%25+of+requests+%26+more&flag");
    assert_string_equal(path_str(doc, "incident", "name", NULL), "DB is slow");
    assert_string_equal(path_str(doc, "incident", "components", "api"),
                        "major_outage");
    assert_string_equal(path_str(doc, "incident", "body", NULL),
                        "50% of requests & more");
    ids = json_object_get(json_object_get(doc, "incident"), "component_ids");
    assert_int_equal(json_array_size(ids), 2);
    assert_string_equal(json_string_value(json_array_get(ids, 1)), "web");
    assert_string_equal(path_str(doc, "flag", NULL, NULL), "");
    json_decref(doc);
    /* Broken percent escapes are kept as text, not refused. */
    doc = parse_ok("a=%zz%4");
    assert_string_equal(path_str(doc, "a", NULL, NULL), "%zz%4");
    json_decref(doc);

    parse_bad("a[b=1", "malformed form field");
    parse_bad("%5Bx%5D=1", "malformed form field");
    parse_bad("a[b]c=1", "malformed form field");
    parse_bad("a[b][c][d][e]=1", "malformed form field");      /* depth */
    parse_bad("a=1&a[b]=2", "malformed form field");           /* clash */
    parse_bad("a[]=1&a[x]=2", "malformed form field");
}

static void
test_form_limits(void **state)
{
    char body[API_BODY_MAX_FIELDS * 6 + 16];
    size_t n = 0;

    (void)state;
    for (int i = 0; i <= API_BODY_MAX_FIELDS; i++) {
        n += (size_t)snprintf(body + n, sizeof(body) - n, "k%d=1&", i % 10);
    }
    parse_bad(body, "form fields");
}

static void
test_bool(void **state)
{
    json_t *t = json_string("t"), *f = json_string("false");
    json_t *bad = json_string("maybe"), *one = json_integer(1);

    (void)state;
    assert_int_equal(api_body_bool(t), 1);
    assert_int_equal(api_body_bool(f), 0);
    assert_int_equal(api_body_bool(one), 1);
    assert_int_equal(api_body_bool(json_true()), 1);
    assert_int_equal(api_body_bool(NULL), -1);
    assert_int_equal(api_body_bool(json_null()), -1);
    assert_int_equal(api_body_bool(bad), -2);
    json_decref(t);
    json_decref(f);
    json_decref(bad);
    json_decref(one);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_form),
        cmocka_unit_test(test_form_limits),
        cmocka_unit_test(test_bool),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
