/*
 * test_json.c - the JSON module: dumps under a cap, ownership, parse
 * errors and the small builders.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"
#include "mem.h"
#include "ph_err.h"

static void
test_dump_compact_in_order(void **state)
{
    ph_json *o = json_object();
    char *text = NULL;
    size_t len = 0;

    (void)state;
    json_object_set_new(o, "z", json_integer(1));
    json_object_set_new(o, "a", json_pack("[s,n,b]", "x", 1));
    assert_int_equal(ph_json_dump(o, 0, 100, &text, &len), 0);
    assert_string_equal(text, "{\"z\":1,\"a\":[\"x\",null,true]}");
    assert_int_equal(len, strlen(text));
    ph_free(text);
    /* A failed builder's NULL is out of memory. */
    assert_int_equal(ph_json_dump(NULL, 0, 100, &text, &len), PH_ENOMEM);
}

static void
test_dump_cap(void **state)
{
    ph_json *o = json_pack("{s:s}", "k", "0123456789");
    char *text = NULL;
    size_t len = 0;
    struct buf b;

    (void)state;
    /* {"k":"0123456789"} is 18 bytes. */
    assert_int_equal(ph_json_dump(json_incref(o), 0, 17, &text, &len),
                     PH_ETOOBIG);
    assert_null(text);
    assert_int_equal(ph_json_dump(json_incref(o), 0, 18, &text, &len), 0);
    assert_int_equal(len, 18);
    ph_free(text);
    /* The newline counts. */
    text = NULL;
    assert_int_equal(ph_json_dump(json_incref(o), PH_JSON_LF, 18, &text,
                                  &len),
                     PH_ETOOBIG);
    assert_null(text);
    assert_int_equal(ph_json_dump(json_incref(o), PH_JSON_LF, 19, &text,
                                  &len),
                     0);
    assert_string_equal(text, "{\"k\":\"0123456789\"}\n");
    ph_free(text);

    buf_init(&b, 19);
    assert_int_equal(buf_appends(&b, "ab"), 0);
    assert_int_equal(ph_json_dump_buf(o, 0, &b), PH_ETOOBIG);
    /* The buffer is as it was. */
    assert_int_equal(b.len, 2);
    assert_string_equal(b.data, "ab");
    assert_int_equal(buf_appends(&b, "\n"), 0);
    json_decref(o);
    o = json_string("s");
    assert_int_equal(ph_json_dump_buf(o, 0, &b), 0);
    assert_string_equal(b.data, "ab\n\"s\"");
    buf_free(&b);
    json_decref(o);
}

static void
test_dump_any_and_flags(void **state)
{
    ph_json *v = json_string("a\"b");
    ph_json *r = json_pack("{s:f}", "ms", 12.3456789);
    struct buf b;

    (void)state;
    buf_init(&b, 1000);
    assert_int_equal(ph_json_dump_buf(v, 0, &b), 0);
    assert_string_equal(b.data, "\"a\\\"b\"");
    buf_reset(&b);
    assert_int_equal(ph_json_dump_buf(r, PH_JSON_SHORT_REALS, &b), 0);
    assert_string_equal(b.data, "{\"ms\":12.3457}");
    buf_reset(&b);
    assert_int_equal(ph_json_dump_buf(r, PH_JSON_PRETTY, &b), 0);
    assert_string_equal(b.data, "{\n  \"ms\": 12.345678899999999\n}");
    buf_free(&b);
    json_decref(v);
    json_decref(r);
}

static void
test_parse(void **state)
{
    struct ph_json_err err;
    ph_json *v;

    (void)state;
    v = ph_json_parse("{\"a\":1}xx", 7, 0, &err);
    assert_non_null(v);
    assert_int_equal(json_integer_value(json_object_get(v, "a")), 1);
    json_decref(v);

    memset(&err, 0, sizeof(err));
    assert_null(ph_json_parse("{\"a\":\n", 6, 0, &err));
    assert_int_equal(err.line, 2);
    assert_true(err.text[0] != '\0');

    v = ph_json_parse("{\"a\":1,\"a\":2}", 13, 0, NULL);
    assert_non_null(v);
    json_decref(v);
    assert_null(ph_json_parse("{\"a\":1,\"a\":2}", 13, PH_JSON_REJECT_DUPS,
                              &err));
    /* Only objects and arrays at the top. */
    assert_null(ph_json_parse("5", 1, 0, NULL));
    assert_null(ph_json_parse(NULL, 0, 0, NULL));
}

static void
test_builders(void **state)
{
    ph_json *t = ph_json_time(1768046400000);
    ph_json *n = ph_json_time(0);
    ph_json *s = ph_json_str("x");
    ph_json *z = ph_json_str(NULL);

    (void)state;
    assert_string_equal(json_string_value(t), "2026-01-10T12:00:00.000Z");
    assert_true(json_is_null(n));
    assert_string_equal(json_string_value(s), "x");
    assert_true(json_is_null(z));
    json_decref(t);
    json_decref(s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dump_compact_in_order),
        cmocka_unit_test(test_dump_cap),
        cmocka_unit_test(test_dump_any_and_flags),
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_builders),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
