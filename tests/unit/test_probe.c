/*
 * test_probe.c - the probe table built from the registry
 * (checks/registry.h): every registered type has its probe, and each
 * type's target op (`watch:` connects there) gives the host and port of
 * its check, or refuses a type or a check without one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ph_err.h"
#include "probe.h"

/* A type without a probe in the table is refused before anything runs. */
static void
test_unknown_type(void **state)
{
    struct check c;
    char host[64];
    uint16_t port = 0;
    struct probe_run *run = NULL;

    (void)state;
    memset(&c, 0, sizeof(c));
    c.type = CHECK_NONE;
    assert_int_equal(probe_start(NULL, &c, NULL, NULL, &run), PH_EINVAL);
    assert_null(run);
    assert_int_equal(probe_target(&c, host, sizeof(host), &port),
                     PH_EINVAL);
}

static void
test_target_http(void **state)
{
    struct check c;
    char host[64];
    uint16_t port = 0;

    (void)state;
    memset(&c, 0, sizeof(c));
    c.type = CHECK_HTTP;
    c.u.http.url = "https://api.example.com/healthz";
    assert_int_equal(probe_target(&c, host, sizeof(host), &port), 0);
    assert_string_equal(host, "api.example.com");
    assert_int_equal(port, 443);
    c.u.http.url = "http://[2001:db8::1]:8080/";
    assert_int_equal(probe_target(&c, host, sizeof(host), &port), 0);
    assert_string_equal(host, "2001:db8::1");
    assert_int_equal(port, 8080);
    /* A host longer than the caller's buffer is refused, not cut. */
    c.u.http.url = "http://a-rather-long-host-name.example.com/";
    assert_int_equal(probe_target(&c, host, 8, &port), PH_EINVAL);
}

static void
test_target_tcp_smtp(void **state)
{
    struct check c;
    char host[64];
    uint16_t port = 0;

    (void)state;
    memset(&c, 0, sizeof(c));
    c.type = CHECK_TCP;
    c.u.tcp.host = "db.example.com";
    c.u.tcp.port = 5432;
    assert_int_equal(probe_target(&c, host, sizeof(host), &port), 0);
    assert_string_equal(host, "db.example.com");
    assert_int_equal(port, 5432);
    c.u.tcp.host = "";
    assert_int_equal(probe_target(&c, host, sizeof(host), &port),
                     PH_EINVAL);

    memset(&c, 0, sizeof(c));
    c.type = CHECK_SMTP;
    c.u.smtp.host = "mx.example.com";
    assert_int_equal(probe_target(&c, host, sizeof(host), &port), 0);
    assert_string_equal(host, "mx.example.com");
    assert_int_equal(port, 25);
    c.u.smtp.implicit_tls = 1;
    assert_int_equal(probe_target(&c, host, sizeof(host), &port), 0);
    assert_int_equal(port, 465);
    c.u.smtp.port = 2525;
    assert_int_equal(probe_target(&c, host, sizeof(host), &port), 0);
    assert_int_equal(port, 2525);
}

static void
test_target_none(void **state)
{
    static const enum check_type none[] = {CHECK_DNS, CHECK_ICMP,
                                           CHECK_GRPC};
    struct check c;
    char host[64];
    uint16_t port = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
        memset(&c, 0, sizeof(c));
        c.type = none[i];
        assert_int_equal(probe_target(&c, host, sizeof(host), &port),
                         PH_EINVAL);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unknown_type),
        cmocka_unit_test(test_target_http),
        cmocka_unit_test(test_target_tcp_smtp),
        cmocka_unit_test(test_target_none),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
