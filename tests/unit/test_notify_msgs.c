/*
 * test_notify_msgs.c - the notifications' catalogue: every shipped
 * language complete with the same placeholders as English, the fallback,
 * the filling, and the email formats in another language.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "lang.h"
#include "notify_fmt.h"
#include "notify_msgs.h"

static int
count(const char *s, const char *needle)
{
    int n = 0;

    for (const char *p = s; (p = strstr(p, needle)) != NULL; p++) {
        n++;
    }
    return n;
}

static void
test_complete_and_same_placeholders(void **state)
{
    const char *missing[NMSG_COUNT];

    (void)state;
    for (int l = 0; l < PH_LANG_COUNT; l++) {
        size_t n = notify_msgs_missing(l, missing, NMSG_COUNT);
        if (n > 0) {
            fail_msg("%s lacks %zu strings, first %s", lang_code(l), n,
                     missing[0]);
        }
        for (int i = 0; i < NMSG_COUNT; i++) {
            const char *en = notify_msg(PH_LANG_EN, (enum notify_msg)i);
            const char *s = notify_msg(l, (enum notify_msg)i);
            if (count(en, "{1}") != count(s, "{1}") ||
                count(en, "{2}") != count(s, "{2}") || s[0] == '\0') {
                fail_msg("%s %s: '%s' vs '%s'", lang_code(l),
                         notify_msg_key((enum notify_msg)i), s, en);
            }
            assert_null(strchr(s, '%'));   /* never a printf format */
        }
    }
}

static void
test_fallback_and_keys(void **state)
{
    (void)state;
    assert_string_equal(notify_msg(-1, NMSG_CONFIRM_LINK),
                        "Confirm the subscription");
    assert_string_equal(notify_msg(PH_LANG_COUNT, NMSG_KIND_INCIDENT),
                        "Incident");
    assert_string_equal(notify_msg(PH_LANG_DE, NMSG_KIND_INCIDENT),
                        "Störung");
    assert_string_equal(notify_msg(PH_LANG_EN, NMSG_COUNT), "");
    assert_string_equal(notify_msg_key(NMSG_CONFIRM_SUBJECT),
                        "confirm.subject");
    assert_int_equal(notify_msgs_missing(-1, NULL, 0), 0);
}

static void
test_fill(void **state)
{
    struct buf b;

    (void)state;
    buf_init(&b, 1024);
    assert_int_equal(notify_msg_fill(&b, PH_LANG_FR, NMSG_WINDOW, "A", "B"),
                     0);
    assert_string_equal(b.data, "du A au B");
    buf_free(&b);
    buf_init(&b, 1024);
    notify_msg_fill(&b, PH_LANG_JA, NMSG_STARTS_IN_OTHER, "15", NULL);
    assert_string_equal(b.data, "あと 15 分で開始");
    buf_free(&b);
    /* a value that looks like a placeholder is not expanded again */
    buf_init(&b, 1024);
    notify_msg_fill(&b, PH_LANG_EN, NMSG_WINDOW, "{2}", "x");
    assert_string_equal(b.data, "{2} to x");
    buf_free(&b);
    buf_init(&b, 1024);
    notify_msg_fill(&b, PH_LANG_EN, NMSG_CONFIRM_ASKED, NULL, NULL);
    assert_non_null(strstr(b.data, "notifications of  at this"));
    buf_free(&b);
}

static void
test_email_in_german(void **state)
{
    struct notify_text t;
    struct buf b;

    (void)state;
    memset(&t, 0, sizeof(t));
    t.lang = PH_LANG_DE;
    t.page_name = "Acme <Status>";
    t.kind_label = notify_msg(PH_LANG_DE, NMSG_KIND_INCIDENT);
    t.title = "API langsam";
    t.status = notify_msg(PH_LANG_DE, NMSG_ST_INVESTIGATING);
    t.components = "API";
    t.link = "https://status.example/";
    t.unsubscribe = "https://status.example/u?t=1";
    t.impact = "major";
    buf_init(&b, 65536);
    notify_text_plain(&t, &b);
    assert_non_null(strstr(b.data, "Störung: API langsam\n"));
    assert_non_null(strstr(b.data, "Status: Wird untersucht\n"));
    assert_non_null(strstr(b.data, "Betroffen: API\n"));
    assert_non_null(strstr(b.data, "Statusseite: https://status.example/\n"));
    assert_non_null(strstr(b.data, "Abbestellen: https://status.example/u"));
    assert_null(strstr(b.data, "Affected"));
    buf_free(&b);
    buf_init(&b, 65536);
    notify_text_html(&t, &b);
    assert_non_null(strstr(b.data, "<html lang=\"de\">"));
    assert_non_null(strstr(b.data, "<b>Betroffen:</b> API"));
    assert_non_null(strstr(b.data, ">Statusseite öffnen</a>"));
    assert_non_null(
        strstr(b.data, ">Diese Benachrichtigungen abbestellen</a>"));
    assert_non_null(strstr(b.data, "Acme &lt;Status&gt;"));
    buf_free(&b);
    buf_init(&b, 65536);
    assert_int_equal(notify_slack_body(&t, &b), 0);
    assert_non_null(strstr(b.data, "\"Betroffen\""));
    assert_non_null(strstr(b.data, "|Abbestellen>"));
    buf_free(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_complete_and_same_placeholders),
        cmocka_unit_test(test_fallback_and_keys),
        cmocka_unit_test(test_fill),
        cmocka_unit_test(test_email_in_german),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
