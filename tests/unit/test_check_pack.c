/*
 * test_check_pack.c - a packed check unpacks to the same bytes (checks of
 * several types, with strings, with every byte set), is much smaller
 * than the struct for a typical check, gives its id alone, and a
 * truncated or corrupt form is refused, never read past.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "check_pack.h"
#include "ph_err.h"

static void
round_trip(const struct check *c, size_t *ret_len)
{
    uint8_t packed[CHECK_PACK_MAX];
    struct check out;
    size_t len = check_pack_size(c);

    assert_true(len <= CHECK_PACK_MAX);
    assert_int_equal(check_pack(c, packed), len);
    memset(&out, 0xa5, sizeof(out));
    assert_int_equal(check_unpack(packed, len, &out), 0);
    assert_memory_equal(&out, c, sizeof(out));
    /* Every shorter form is refused. */
    for (size_t l = 0; l < len; l++) {
        assert_int_equal(check_unpack(packed, l, &out), PH_EINVAL);
    }
    if (ret_len != NULL) {
        *ret_len = len;
    }
}

static void
test_round_trip(void **state)
{
    struct check c;
    static char url[] = "https://api.example.com/healthz";
    static char host[] = "db.example.com";
    size_t len;

    (void)state;
    memset(&c, 0, sizeof(c));
    round_trip(&c, &len);
    assert_true(len < 16);

    memset(&c, 0, sizeof(c));
    snprintf(c.id, sizeof(c.id), "api-eu-http-%d", 1234);
    snprintf(c.component_id, sizeof(c.component_id), "api");
    c.type = CHECK_HTTP;
    c.interval_ms = 30000;
    c.timeout_ms = 5000;
    c.fail_after = 2;
    c.recover_after = 2;
    c.u.http.url = url;
    c.u.http.expect_status[0] = 200;
    c.u.http.expect_status[1] = 204;
    c.u.http.nexpect_status = 2;
    round_trip(&c, &len);
    /* The point: a typical check in a fraction of its 440 bytes. */
    assert_true(len < 100);

    memset(&c, 0, sizeof(c));
    snprintf(c.id, sizeof(c.id), "db");
    c.type = CHECK_TCP;
    c.u.tcp.host = host;
    c.u.tcp.port = 5432;
    round_trip(&c, NULL);

    /* No zero anywhere: all literals, in tokens of at most 255. */
    memset(&c, 0x7f, sizeof(c));
    round_trip(&c, &len);
    assert_true(len > sizeof(c));

    /* Zeros in ones and twos between literals, and a zero at the end. */
    for (size_t i = 0; i < sizeof(c); i++) {
        ((uint8_t *)&c)[i] = (i % 3 == 0 || i % 7 == 0) ? 0 : (uint8_t)i;
    }
    ((uint8_t *)&c)[sizeof(c) - 1] = 0;
    round_trip(&c, NULL);
}

static void
test_prefix_and_corrupt(void **state)
{
    struct check c;
    uint8_t packed[CHECK_PACK_MAX];
    char id[CHECK_ID_MAX];
    uint8_t bad[4];
    size_t len;

    (void)state;
    memset(&c, 0, sizeof(c));
    snprintf(c.id, sizeof(c.id), "web");
    c.type = CHECK_DNS;
    c.interval_ms = 10000;
    len = check_pack_size(&c);
    check_pack(&c, packed);
    memset(id, 'x', sizeof(id));
    assert_int_equal(check_unpack_prefix(packed, len, id, sizeof(id)), 0);
    assert_string_equal(id, "web");
    /* Asking for more than a check is refused. */
    assert_int_equal(check_unpack_prefix(packed, len, id, sizeof(c) + 1),
                     PH_EINVAL);
    /* Tokens describing more bytes than a check are refused. */
    bad[0] = 255;
    bad[1] = 0;
    bad[2] = 255;
    bad[3] = 0;
    assert_int_equal(check_unpack(bad, sizeof(bad), &c), PH_EINVAL);
    /* A literal count past the end of the form is refused. */
    bad[0] = 0;
    bad[1] = 200;
    assert_int_equal(check_unpack(bad, sizeof(bad), &c), PH_EINVAL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_prefix_and_corrupt),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
