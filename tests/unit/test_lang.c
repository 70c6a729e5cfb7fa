/*
 * test_lang.c - shipped languages and Accept-Language negotiation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lang.h"

static void
test_find_and_code(void **state)
{
    (void)state;
    assert_int_equal(PH_LANG_COUNT, 7);
    assert_int_equal(lang_find("en"), PH_LANG_EN);
    assert_int_equal(lang_find("pt-br"), PH_LANG_PT_BR);
    assert_int_equal(lang_find("ZH-cn"), PH_LANG_ZH_CN);
    assert_int_equal(lang_find("pt"), -1);
    assert_int_equal(lang_find("auto"), -1);
    assert_int_equal(lang_find(NULL), -1);
    assert_string_equal(lang_code(PH_LANG_JA), "ja");
    assert_string_equal(lang_code(99), "en");
    assert_string_equal(lang_name(PH_LANG_DE), "Deutsch");
}

static int
match(const char *tag)
{
    return lang_match_tag(tag, strlen(tag));
}

static void
test_match_tag(void **state)
{
    (void)state;
    assert_int_equal(match("de-AT"), PH_LANG_DE);
    assert_int_equal(match("fr-CA"), PH_LANG_FR);
    assert_int_equal(match("es-419"), PH_LANG_ES);
    assert_int_equal(match("pt"), PH_LANG_PT_BR);
    assert_int_equal(match("pt-PT"), PH_LANG_PT_BR);
    assert_int_equal(match("zh"), PH_LANG_ZH_CN);
    assert_int_equal(match("zh-Hans-SG"), PH_LANG_ZH_CN);
    assert_int_equal(match("zh-TW"), -1);
    assert_int_equal(match("zh-Hant"), -1);
    assert_int_equal(match("ja-JP"), PH_LANG_JA);
    assert_int_equal(match("nl"), -1);
    assert_int_equal(match("*"), -1);
    assert_int_equal(match("english"), -1);
    assert_int_equal(match(""), -1);
}

static void
test_negotiate(void **state)
{
    (void)state;
    assert_int_equal(lang_negotiate(NULL, PH_LANG_FR), PH_LANG_FR);
    assert_int_equal(lang_negotiate("", PH_LANG_FR), PH_LANG_FR);
    assert_int_equal(lang_negotiate("de-DE,de;q=0.9,en;q=0.8", 0),
                     PH_LANG_DE);
    /* highest q wins, not the first written */
    assert_int_equal(lang_negotiate("en;q=0.5, ja;q=0.9", 0), PH_LANG_JA);
    /* ties keep the order written */
    assert_int_equal(lang_negotiate("fr, es", 0), PH_LANG_FR);
    /* unshipped languages are skipped */
    assert_int_equal(lang_negotiate("nl-NL, nl;q=0.9, es;q=0.1", 0),
                     PH_LANG_ES);
    /* q=0 means "not this one" */
    assert_int_equal(lang_negotiate("de;q=0, fr;q=0.1", 0), PH_LANG_FR);
    assert_int_equal(lang_negotiate("de;q=0", PH_LANG_JA), PH_LANG_JA);
    assert_int_equal(lang_negotiate("*", PH_LANG_ES), PH_LANG_ES);
    assert_int_equal(lang_negotiate("zh-TW, zh-CN;q=0.5", 0), PH_LANG_ZH_CN);
    /* malformed entries are skipped, the rest still counts */
    assert_int_equal(lang_negotiate("de;q=abc, ja", 0), PH_LANG_JA);
    assert_int_equal(lang_negotiate("de;q=1.5, ja;q=0.2", 0), PH_LANG_JA);
    assert_int_equal(lang_negotiate("de junk, fr", 0), PH_LANG_FR);
    assert_int_equal(lang_negotiate(" ,, ;q=1, es ; q=0.7 ", 0), PH_LANG_ES);
    assert_int_equal(lang_negotiate("DE-ch;Q=0.30", 0), PH_LANG_DE);
}

static void
test_negotiate_long(void **state)
{
    char hdr[LANG_ACCEPT_MAX * 2];

    (void)state;
    /* only the first LANG_ACCEPT_MAX bytes count */
    memset(hdr, ',', sizeof(hdr) - 1);
    hdr[sizeof(hdr) - 1] = '\0';
    memcpy(hdr + sizeof(hdr) - 4, "de", 2);
    assert_int_equal(lang_negotiate(hdr, PH_LANG_EN), PH_LANG_EN);
    memcpy(hdr, "ja", 2);
    assert_int_equal(lang_negotiate(hdr, PH_LANG_EN), PH_LANG_JA);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find_and_code),
        cmocka_unit_test(test_match_tag),
        cmocka_unit_test(test_negotiate),
        cmocka_unit_test(test_negotiate_long),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
