/*
 * test_session.c - the viewer session cookie and the login throttle
 * (collector/core/session.c): a made session checks, any change to it
 * (expiry, signature, subject, key, page, password) is refused, an
 * expired one is told apart, cookie headers are read, and wrong
 * passwords make the client wait, longer each time, per client.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ph_err.h"
#include "session.h"

static const uint8_t key[SESSION_KEY_LEN] = {1, 2, 3, 4, 5, 6, 7, 8};
static const uint8_t other_key[SESSION_KEY_LEN] = {9};

static enum session_verdict
check(const uint8_t *k, const char *page, const char *bind, const char *v,
      int64_t now, char *subject)
{
    return session_check(k, page, bind, v, strlen(v), now, subject,
                         SESSION_SUBJECT_MAX);
}

static void
test_round_trip(void **state)
{
    char v[SESSION_VALUE_MAX], subject[SESSION_SUBJECT_MAX];

    (void)state;
    assert_int_equal(session_make(key, "page", "pwhash", 2000, "v:alice", v,
                                  sizeof(v)),
                     0);
    assert_int_equal(check(key, "page", "pwhash", v, 1999, subject),
                     SESSION_OK);
    assert_string_equal(subject, "v:alice");
}

static void
test_expired(void **state)
{
    char v[SESSION_VALUE_MAX], subject[SESSION_SUBJECT_MAX];

    (void)state;
    assert_int_equal(session_make(key, "page", "", 2000, "p", v, sizeof(v)),
                     0);
    assert_int_equal(check(key, "page", "", v, 2000, subject),
                     SESSION_EXPIRED);
    assert_int_equal(check(key, "page", "", v, 99999, subject),
                     SESSION_EXPIRED);
}

static void
test_tampering(void **state)
{
    char v[SESSION_VALUE_MAX], t[SESSION_VALUE_MAX + 8];
    char subject[SESSION_SUBJECT_MAX];
    char *dot;

    (void)state;
    assert_int_equal(session_make(key, "page", "h", 2000, "p", v, sizeof(v)),
                     0);
    /* A later expiry with the old signature. */
    snprintf(t, sizeof(t), "3%s", v);
    assert_int_equal(check(key, "page", "h", t, 1000, subject),
                     SESSION_BAD_SIG);
    /* Another subject. */
    snprintf(t, sizeof(t), "%s", v);
    t[strlen(t) - 1] = 'q';
    assert_int_equal(check(key, "page", "h", t, 1000, subject),
                     SESSION_BAD_SIG);
    /* One signature digit changed. */
    snprintf(t, sizeof(t), "%s", v);
    dot = strchr(t, '.');
    dot[1] = dot[1] == '0' ? '1' : '0';
    assert_int_equal(check(key, "page", "h", t, 1000, subject),
                     SESSION_BAD_SIG);
    /* Another key, page or password binding. */
    assert_int_equal(check(other_key, "page", "h", v, 1000, subject),
                     SESSION_BAD_SIG);
    assert_int_equal(check(key, "other", "h", v, 1000, subject),
                     SESSION_BAD_SIG);
    assert_int_equal(check(key, "page", "new-password", v, 1000, subject),
                     SESSION_BAD_SIG);
}

static void
test_malformed(void **state)
{
    static const char *const bad[] = {
        "", ".", "abc", "1000", "1000.", "1000.abc.p", "x.0000.p",
        "1000.0000000000000000000000000000000000000000000000000000000000000000.",
        "1000.0000000000000000000000000000000000000000000000000000000000000000"
        ".a b",
        "99999999999999999999.0000000000000000000000000000000000000000000000"
        "000000000000000000.p",
    };
    char subject[SESSION_SUBJECT_MAX];
    char big[SESSION_VALUE_MAX + 10];

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(check(key, "page", "", bad[i], 1, subject),
                         SESSION_MALFORMED);
    }
    memset(big, '1', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(check(key, "page", "", big, 1, subject),
                     SESSION_MALFORMED);
    assert_int_equal(session_make(key, "page", "", 5, "a;b", big,
                                  sizeof(big)),
                     PH_EINVAL);
    assert_int_equal(session_make(key, "page", "", 5, "", big, sizeof(big)),
                     PH_EINVAL);
}

static void
test_cookie_header(void **state)
{
    size_t n = 0;
    const char *v;

    (void)state;
    v = session_cookie_find("a=1; pharos_session=xyz; b=2", "pharos_session",
                            &n);
    assert_non_null(v);
    assert_int_equal(n, 3);
    assert_memory_equal(v, "xyz", 3);
    v = session_cookie_find("pharos_session=last ", "pharos_session", &n);
    assert_int_equal(n, 4);
    assert_null(session_cookie_find("xpharos_session=1", "pharos_session",
                                    &n));
    assert_null(session_cookie_find("pharos_sessionx=1", "pharos_session",
                                    &n));
    assert_null(session_cookie_find("", "pharos_session", &n));
}

static void
test_throttle(void **state)
{
    static struct login_throttle t;
    int64_t now = 1000000;

    (void)state;
    memset(&t, 0, sizeof(t));
    for (int i = 0; i < LOGIN_FREE_FAILURES - 1; i++) {
        login_throttle_fail(&t, "198.51.100.1", now);
        assert_int_equal(login_throttle_wait(&t, "198.51.100.1", now), 0);
    }
    login_throttle_fail(&t, "198.51.100.1", now);
    assert_int_equal(login_throttle_wait(&t, "198.51.100.1", now), 1);
    login_throttle_fail(&t, "198.51.100.1", now);
    assert_int_equal(login_throttle_wait(&t, "198.51.100.1", now), 2);
    login_throttle_fail(&t, "198.51.100.1", now);
    assert_int_equal(login_throttle_wait(&t, "198.51.100.1", now), 4);
    /* Another client is not slowed; the wait ends. */
    assert_int_equal(login_throttle_wait(&t, "198.51.100.2", now), 0);
    assert_int_equal(login_throttle_wait(&t, "198.51.100.1", now + 4000), 0);
    /* Capped. */
    for (int i = 0; i < 40; i++) {
        login_throttle_fail(&t, "198.51.100.1", now);
    }
    assert_int_equal(login_throttle_wait(&t, "198.51.100.1", now),
                     LOGIN_MAX_WAIT_S);
    /* A success forgets. */
    login_throttle_ok(&t, "198.51.100.1");
    assert_int_equal(login_throttle_wait(&t, "198.51.100.1", now), 0);
    /* More clients than slots: the table recycles the quietest. */
    for (int i = 0; i < LOGIN_SLOTS + 10; i++) {
        char c[32];
        snprintf(c, sizeof(c), "10.0.%d.%d", i / 256, i % 256);
        login_throttle_fail(&t, c, now + i);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_expired),
        cmocka_unit_test(test_tampering),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_cookie_header),
        cmocka_unit_test(test_throttle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
