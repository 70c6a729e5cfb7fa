/*
 * test_probe.c - the probe table built from the registry
 * (checks/registry.h; a registered type without its probe_<name>_ops
 * does not link): a type outside it is refused, and each type's target
 * op (`watch:` connects there) gives the host and port of its check, or
 * refuses a type or a check without one.
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

/* One row per case: the check's type and target keys, and what
 * probe_target() answers (rc; host and port when rc is 0). */
struct target_case {
    enum check_type type;
    const char *url_or_host;      /* http: url; tcp, smtp: host */
    int port;                     /* tcp, smtp */
    int implicit_tls;             /* smtp */
    size_t hostlen;               /* the caller's buffer */
    int rc;
    const char *host;
    uint16_t want_port;
};

static const struct target_case target_cases[] = {
    {CHECK_HTTP, "https://api.example.com/healthz", 0, 0, 64, 0,
     "api.example.com", 443},
    /* An IPv6 literal comes back bare, as getaddrinfo wants it. */
    {CHECK_HTTP, "http://[2001:db8::1]:8080/", 0, 0, 64, 0, "2001:db8::1",
     8080},
    /* A host longer than the caller's buffer is refused, not cut. */
    {CHECK_HTTP, "http://a-rather-long-host-name.example.com/", 0, 0, 8,
     PH_EINVAL, NULL, 0},
    {CHECK_TCP, "db.example.com", 5432, 0, 64, 0, "db.example.com", 5432},
    {CHECK_TCP, "", 5432, 0, 64, PH_EINVAL, NULL, 0},
    {CHECK_SMTP, "mx.example.com", 0, 0, 64, 0, "mx.example.com", 25},
    {CHECK_SMTP, "mx.example.com", 0, 1, 64, 0, "mx.example.com", 465},
    {CHECK_SMTP, "mx.example.com", 2525, 1, 64, 0, "mx.example.com", 2525},
    /* Types without a target: watch refuses them. */
    {CHECK_DNS, NULL, 0, 0, 64, PH_EINVAL, NULL, 0},
    {CHECK_ICMP, NULL, 0, 0, 64, PH_EINVAL, NULL, 0},
    {CHECK_GRPC, NULL, 0, 0, 64, PH_EINVAL, NULL, 0},
};

static void
test_targets(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(target_cases) / sizeof(target_cases[0]);
         i++) {
        const struct target_case *tc = &target_cases[i];
        char *h = (char *)(uintptr_t)tc->url_or_host;
        struct check c;
        char host[64] = "";
        uint16_t port = 0;

        memset(&c, 0, sizeof(c));
        c.type = tc->type;
        if (tc->type == CHECK_HTTP) {
            c.u.http.url = h;
        } else if (tc->type == CHECK_TCP) {
            c.u.tcp.host = h;
            c.u.tcp.port = tc->port;
        } else if (tc->type == CHECK_SMTP) {
            c.u.smtp.host = h;
            c.u.smtp.port = tc->port;
            c.u.smtp.implicit_tls = tc->implicit_tls;
        }
        print_message("case %zu: %s\n", i,
                      tc->url_or_host != NULL ? tc->url_or_host : "-");
        assert_int_equal(probe_target(&c, host, tc->hostlen, &port), tc->rc);
        if (tc->rc == 0) {
            assert_string_equal(host, tc->host);
            assert_int_equal(port, tc->want_port);
        }
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unknown_type),
        cmocka_unit_test(test_targets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
