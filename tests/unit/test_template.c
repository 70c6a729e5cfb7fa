/*
 * test_template.c - {{field}} placeholders of incident templates: known
 * fields filled (spaces inside the braces allowed), unknown ones refused
 * by the check and left alone by the renderer, output caps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "incident_template.h"

static void
test_render(void **state)
{
    const struct template_values v = {"API, Database", "Disk full",
                                      "Acme status"};
    char out[128];

    (void)state;
    assert_int_equal(inc_template_render("{{component}} is slow", &v, out,
                                     sizeof(out)),
                     (int)strlen("API, Database is slow"));
    assert_string_equal(out, "API, Database is slow");
    inc_template_render("{{ components }}: {{title}} on {{page}}", &v, out,
                    sizeof(out));
    assert_string_equal(out, "API, Database: Disk full on Acme status");
    inc_template_render("no fields, {single} braces", &v, out, sizeof(out));
    assert_string_equal(out, "no fields, {single} braces");
    inc_template_render("{{other}} and {{ title", &v, out, sizeof(out));
    assert_string_equal(out, "{{other}} and {{ title");
    inc_template_render("{{title}}", NULL, out, sizeof(out));
    assert_string_equal(out, "");
    assert_int_equal(inc_template_render("{{component}} is slow", &v, out, 8),
                     -1);
    assert_string_equal(out, "API, Da");
}

static void
test_check(void **state)
{
    char bad[TEMPLATE_FIELD_MAX + 1];

    (void)state;
    assert_int_equal(inc_template_check("{{component}} {{ title }} {{page}}",
                                    bad),
                     0);
    assert_int_equal(inc_template_check("plain text", bad), 0);
    assert_int_equal(inc_template_check("{{service}} down", bad), -1);
    assert_string_equal(bad, "service");
    assert_int_equal(inc_template_check("{{title", bad), -1);
    assert_string_equal(bad, "{{ without }}");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render),
        cmocka_unit_test(test_check),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
