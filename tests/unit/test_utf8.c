/*
 * test_utf8.c - validation, repair with U+FFFD (maximal subparts) and
 * cutting on character boundaries.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "utf8.h"

#define R UTF8_REPLACEMENT

static void
test_valid(void **state)
{
    static const char *const good[] = {
        "", "plain ascii", "caf\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
        "\xed\x9f\xbf", "\xf4\x8f\xbf\xbf", "\xee\x80\x80",
    };
    static const char *const bad[] = {
        "\x80", "\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf", "\xed\xa0\x80",
        "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xff", "caf\xc3",
        "\xe2\x82", "\xf0\x9f\x98", "\xc3\x28",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        assert_int_equal(utf8_valid(good[i], strlen(good[i])), 1);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(utf8_valid(bad[i], strlen(bad[i])), 0);
    }
}

static void
test_sanitize_replaces_maximal_subparts(void **state)
{
    static const struct {
        const char *in;
        const char *out;
    } cases[] = {
        {"ok", "ok"},
        {"caf\xc3\xa9", "caf\xc3\xa9"},
        {"a\xff" "b", "a" R "b"},
        /* A truncated sequence is one replacement, not one per byte. */
        {"a\xe2\x82" "b", "a" R "b"},
        {"\xf0\x9f\x98", R},
        /* An overlong form and a surrogate: every byte is replaced, as
         * no prefix of them can start a valid character. */
        {"\xc0\xaf", R R},
        {"\xed\xa0\x80", R R R},
        {"\xf4\x90\x80\x80", R R R R},
        /* A lead followed by a new lead: the first is replaced alone. */
        {"\xc3\xc3\xa9", R "\xc3\xa9"},
        {"x\x80\x80y", "x" R R "y"},
    };
    char out[64];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = utf8_sanitize(out, sizeof(out), cases[i].in,
                                 strlen(cases[i].in));

        assert_string_equal(out, cases[i].out);
        assert_int_equal(n, strlen(cases[i].out));
        assert_int_equal(utf8_valid(out, n), 1);
    }
}

static void
test_sanitize_never_cuts_a_character(void **state)
{
    /* "ab" + euro sign (3 bytes) into 5 bytes (4 + NUL): the euro sign
     * does not fit whole and is left out. */
    char out[5];

    (void)state;
    assert_int_equal(utf8_sanitize(out, sizeof(out), "ab\xe2\x82\xac", 5), 2);
    assert_string_equal(out, "ab");
    /* A replacement character is 3 bytes: it does not fit in 2 either. */
    assert_int_equal(utf8_sanitize(out, 3, "a\xff", 2), 1);
    assert_string_equal(out, "a");
    assert_int_equal(utf8_sanitize(out, 1, "abc", 3), 0);
    assert_string_equal(out, "");
    /* A NUL byte ends the copy. */
    assert_int_equal(utf8_sanitize(out, sizeof(out), "a\0b", 3), 1);
    assert_string_equal(out, "a");
}

static void
test_cut_on_boundaries(void **state)
{
    const char *s = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"; /* 1+2+3+4 */
    size_t len = strlen(s);
    static const size_t want[] = {0, 1, 1, 3, 3, 3, 6, 6, 6, 6, 10, 10};

    (void)state;
    for (size_t max = 0; max < sizeof(want) / sizeof(want[0]); max++) {
        size_t cut = utf8_cut(s, len, max);

        assert_int_equal(cut, want[max]);
        assert_int_equal(utf8_valid(s, cut), 1);
        assert_int_equal(utf8_trim_partial(s, max < len ? max : len),
                         want[max]);
    }
    /* Invalid text (a run of continuation bytes) is cut where asked. */
    assert_int_equal(utf8_cut("\x80\x80\x80\x80\x80\x80", 6, 5), 5);
    assert_int_equal(utf8_trim_partial("\x80\x80\x80\x80\x80", 5), 5);
    assert_int_equal(utf8_trim_partial("ab", 2), 2);
    assert_int_equal(utf8_trim_partial("", 0), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_sanitize_replaces_maximal_subparts),
        cmocka_unit_test(test_sanitize_never_cuts_a_character),
        cmocka_unit_test(test_cut_on_boundaries),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
