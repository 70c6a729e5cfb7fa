/*
 * test_notify.c - the pure parts of notifications: the Standard Webhooks
 * signature against the vector in shared/reference/integrations.md 4.3,
 * base64, address classes of the SSRF guard, URL and email validation,
 * the retry schedule, the sign-up rate limit, email formatting (headers,
 * MIME parts, escaping, RFC 2047 subject), Slack JSON, and the subscriber
 * body parser.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "api_body.h"
#include "buf.h"
#include "json.h"
#include "netaddr.h"
#include "notify_fmt.h"
#include "notify_rules.h"
#include "ph_err.h"
#include "pharos_conf.h"
#include "sign.h"
#include "subscribers.h"
#include "url.h"

static void
test_signature_vector(void **state)
{
    const char *body = "{\"test\": 2432232314}";
    char sig[SIGN_HEADER_MAX];

    (void)state;
    assert_int_equal(sign_webhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                                  "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                                  body, strlen(body), sig),
                     0);
    assert_string_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    /* Without the prefix the key is the same. */
    assert_int_equal(sign_webhook("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                                  "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                                  body, strlen(body), sig),
                     0);
    assert_string_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    /* Ids with a dot would make the signed content ambiguous. */
    assert_int_equal(sign_webhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                                  "msg.1", 1, "x", 1, sig),
                     PH_EINVAL);
    assert_int_equal(sign_webhook("whsec_!!!", "m", 1, "x", 1, sig),
                     PH_EINVAL);
}

static void
test_hmac_github_vector(void **state)
{
    static const char want[] =
        "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    const char *key = "It's a Secret to Everybody";
    uint8_t mac[32];
    char hex[65];

    (void)state;
    assert_int_equal(sign_hmac_sha256(key, strlen(key), "Hello, World!", 13,
                                      mac),
                     0);
    for (int i = 0; i < 32; i++) {
        snprintf(hex + 2 * i, 3, "%02x", mac[i]);
    }
    assert_string_equal(hex, want);
}

static void
test_base64(void **state)
{
    char out[64];
    uint8_t raw[64];

    (void)state;
    assert_int_equal(sign_base64("foobar", 6, out, sizeof(out)), 8);
    assert_string_equal(out, "Zm9vYmFy");
    assert_int_equal(sign_base64("fo", 2, out, sizeof(out)), 4);
    assert_string_equal(out, "Zm8=");
    assert_int_equal(sign_base64url("\xfb\xff", 2, out, sizeof(out)), 3);
    assert_string_equal(out, "-_8");
    assert_int_equal(sign_unbase64("Zm8=", 4, raw, sizeof(raw)), 2);
    assert_memory_equal(raw, "fo", 2);
    assert_int_equal(sign_unbase64("Zm8", 3, raw, sizeof(raw)), 2);
    assert_int_equal(sign_unbase64("Z", 1, raw, sizeof(raw)), -1);
    assert_int_equal(sign_unbase64("Zm$=", 4, raw, sizeof(raw)), -1);
    assert_int_equal(sign_base64("foobar", 6, out, 8), -1);

    /* Exact lengths, not OpenSSL's padded ones, and only what the
     * caller's buffer is sized for. */
    assert_int_equal(sign_unbase64("Zg==", 4, raw, 1), 1);
    assert_int_equal(raw[0], 'f');
    assert_int_equal(sign_unbase64("Zg", 2, raw, 1), 1);
    assert_int_equal(sign_unbase64("Zm9v", 4, raw, 2), -1);
    assert_int_equal(sign_unbase64("", 0, raw, 0), 0);
    assert_int_equal(sign_base64url("\xfb\xff", 2, out, 4), 3);
    assert_string_equal(out, "-_8");
    assert_int_equal(sign_base64url("\xfb\xff", 2, out, 3), -1);
    assert_int_equal(sign_base64("", 0, out, 1), 0);
    assert_string_equal(out, "");
    /* What EVP_DecodeBlock alone would take: an inner '=' (a zero digit
     * to it), whitespace at either end, a NUL. */
    assert_int_equal(sign_unbase64("Zm8=Zm8=", 8, raw, sizeof(raw)), -1);
    assert_int_equal(sign_unbase64(" Zm8=", 5, raw, sizeof(raw)), -1);
    assert_int_equal(sign_unbase64("Zm8=\n", 5, raw, sizeof(raw)), -1);
    assert_int_equal(sign_unbase64("Zm9v\n", 5, raw, sizeof(raw)), -1);
    assert_int_equal(sign_unbase64("Zm\0v", 4, raw, sizeof(raw)), -1);
    assert_int_equal(sign_unbase64("Zm9vY", 5, raw, sizeof(raw)), -1);
    assert_int_equal(sign_unbase64("-_8", 3, raw, sizeof(raw)), -1);

    /* Every length round-trips, padded or not. */
    for (size_t n = 0; n <= 40; n++) {
        uint8_t in[40];
        int len;

        for (size_t i = 0; i < n; i++) {
            in[i] = (uint8_t)(i * 37 + n);
        }
        len = sign_base64(in, n, out, sizeof(out));
        assert_int_equal(len, (int)((n + 2) / 3 * 4));
        assert_int_equal(sign_unbase64(out, (size_t)len, raw, n), (int)n);
        assert_memory_equal(raw, in, n);
        while (len > 0 && out[len - 1] == '=') {
            len--;
        }
        assert_int_equal(sign_unbase64(out, (size_t)len, raw, n), (int)n);
        assert_memory_equal(raw, in, n);
        assert_int_equal(sign_base64url(in, n, out, (n * 4 + 2) / 3 + 1),
                         len);
    }
}

static void
test_secret(void **state)
{
    char s1[SIGN_SECRET_MAX], s2[SIGN_SECRET_MAX];
    uint8_t raw[64];

    (void)state;
    assert_int_equal(sign_secret_generate(s1), 0);
    assert_int_equal(sign_secret_generate(s2), 0);
    assert_true(strncmp(s1, "whsec_", 6) == 0);
    assert_int_equal(sign_unbase64(s1 + 6, strlen(s1 + 6), raw, sizeof(raw)),
                     24);
    assert_string_not_equal(s1, s2);
}

static int
cls4(const char *ip)
{
    struct sockaddr_in s;

    memset(&s, 0, sizeof(s));
    s.sin_family = AF_INET;
    inet_pton(AF_INET, ip, &s.sin_addr);
    return (int)netaddr_classify((struct sockaddr *)&s);
}

static int
cls6(const char *ip)
{
    struct sockaddr_in6 s;

    memset(&s, 0, sizeof(s));
    s.sin6_family = AF_INET6;
    inet_pton(AF_INET6, ip, &s.sin6_addr);
    return (int)netaddr_classify((struct sockaddr *)&s);
}

static void
test_address_classes(void **state)
{
    (void)state;
    assert_int_equal(cls4("127.0.0.1"), NETADDR_LOOPBACK);
    assert_int_equal(cls4("127.255.1.2"), NETADDR_LOOPBACK);
    assert_int_equal(cls4("10.0.0.1"), NETADDR_PRIVATE);
    assert_int_equal(cls4("172.16.0.1"), NETADDR_PRIVATE);
    assert_int_equal(cls4("172.31.255.255"), NETADDR_PRIVATE);
    assert_int_equal(cls4("172.32.0.1"), NETADDR_PUBLIC);
    assert_int_equal(cls4("192.168.1.1"), NETADDR_PRIVATE);
    assert_int_equal(cls4("100.64.0.1"), NETADDR_PRIVATE);
    assert_int_equal(cls4("169.254.169.254"), NETADDR_LINK_LOCAL);
    assert_int_equal(cls4("0.0.0.0"), NETADDR_UNSPECIFIED);
    assert_int_equal(cls4("224.0.0.1"), NETADDR_RESERVED);
    assert_int_equal(cls4("255.255.255.255"), NETADDR_RESERVED);
    assert_int_equal(cls4("8.8.8.8"), NETADDR_PUBLIC);
    assert_int_equal(cls4("93.184.216.34"), NETADDR_PUBLIC);
    assert_int_equal(cls6("::1"), NETADDR_LOOPBACK);
    assert_int_equal(cls6("::"), NETADDR_UNSPECIFIED);
    assert_int_equal(cls6("fd00::1"), NETADDR_PRIVATE);
    assert_int_equal(cls6("fc12::1"), NETADDR_PRIVATE);
    assert_int_equal(cls6("fe80::1"), NETADDR_LINK_LOCAL);
    assert_int_equal(cls6("::ffff:127.0.0.1"), NETADDR_LOOPBACK);
    assert_int_equal(cls6("::ffff:10.1.2.3"), NETADDR_PRIVATE);
    assert_int_equal(cls6("64:ff9b::a9fe:a9fe"), NETADDR_LINK_LOCAL);
    assert_int_equal(cls6("ff02::1"), NETADDR_RESERVED);
    assert_int_equal(cls6("2606:4700::1111"), NETADDR_PUBLIC);
    assert_int_equal(netaddr_classify_text("127.1"), NETADDR_LOOPBACK);
    assert_int_equal(netaddr_classify_text("2130706433"), NETADDR_LOOPBACK);
    assert_int_equal(netaddr_classify_text("0x7f000001"), NETADDR_LOOPBACK);
    assert_int_equal(netaddr_classify_text("[::1]"), NETADDR_LOOPBACK);
    assert_int_equal(netaddr_classify_text("fe80::1%eth0"),
                     NETADDR_LINK_LOCAL);
    assert_int_equal(netaddr_classify_text("example.org"), -1);
}

/* Trusted-proxy networks and the per-client key of connection and
 * sign-up limits. */
static void
test_cidr_and_client_key(void **state)
{
    struct netaddr_cidr n[2];
    uint8_t a[16], k[16];
    char text[64];

    (void)state;
    assert_int_equal(netaddr_cidr_parse("10.1.2.3/8", &n[0]), 0);
    netaddr_cidr_format(&n[0], text, sizeof(text));
    assert_string_equal(text, "10.0.0.0/8");
    assert_int_equal(netaddr_cidr_parse("2001:db8::/32", &n[1]), 0);
    netaddr_cidr_format(&n[1], text, sizeof(text));
    assert_string_equal(text, "2001:db8::/32");
    assert_int_equal(netaddr_cidr_parse("::1", &n[1]), 0);
    netaddr_cidr_format(&n[1], text, sizeof(text));
    assert_string_equal(text, "::1/128");
    assert_int_equal(netaddr_cidr_parse("10.0.0.0/33", &n[1]), -1);
    assert_int_equal(netaddr_cidr_parse("10.0.0.0/", &n[1]), -1);
    assert_int_equal(netaddr_cidr_parse("example.org", &n[1]), -1);
    assert_int_equal(netaddr_cidr_parse("/8", &n[1]), -1);

    assert_int_equal(netaddr_cidr_parse("::1", &n[1]), 0);
    assert_int_equal(netaddr_bytes_text("10.200.0.1", a), 0);
    assert_int_equal(netaddr_in_list(a, n, 2), 1);
    assert_int_equal(netaddr_bytes_text("11.0.0.1", a), 0);
    assert_int_equal(netaddr_in_list(a, n, 2), 0);

    /* The text form, back from the bytes (the client in logs). */
    netaddr_format(a, text, sizeof(text));
    assert_string_equal(text, "11.0.0.1");
    assert_int_equal(netaddr_bytes_text("2001:DB8:0:0::7", a), 0);
    netaddr_format(a, text, sizeof(text));
    assert_string_equal(text, "2001:db8::7");
    assert_int_equal(netaddr_bytes_text("::ffff:192.0.2.9", a), 0);
    netaddr_format(a, text, sizeof(text));
    assert_string_equal(text, "192.0.2.9");
    netaddr_format(a, text, 4); /* too small: empty, never cut */
    assert_string_equal(text, "");
    assert_int_equal(netaddr_bytes_text("::1", a), 0);
    assert_int_equal(netaddr_in_list(a, n, 2), 1);
    assert_int_equal(netaddr_in_list(a, n, 1), 0);

    assert_int_equal(netaddr_bytes_text("198.51.100.7", a), 0);
    netaddr_client_key(a, k, text, sizeof(text));
    assert_string_equal(text, "198.51.100.7");
    assert_int_equal(netaddr_bytes_text("2001:db8:1:2:aaaa:bbbb:cccc:dddd",
                                        a), 0);
    netaddr_client_key(a, k, text, sizeof(text));
    assert_string_equal(text, "2001:db8:1:2::/64");
}

static void
test_url_check(void **state)
{
    char err[200];

    (void)state;
    assert_int_equal(notify_url_check("https://hooks.example.org/a?b=c", 0,
                                      err, sizeof(err)),
                     0);
    assert_int_equal(notify_url_check("http://93.184.216.34:8080/x", 0, err,
                                      sizeof(err)),
                     0);
    assert_int_equal(notify_url_check("http://127.0.0.1:9/x", 0, err,
                                      sizeof(err)),
                     PH_EINVAL);
    assert_non_null(strstr(err, "loopback"));
    assert_int_equal(notify_url_check("http://127.0.0.1:9/x", 1, err,
                                      sizeof(err)),
                     0);
    assert_int_equal(notify_url_check("http://localhost/x", 0, err,
                                      sizeof(err)),
                     PH_EINVAL);
    assert_int_equal(notify_url_check("http://a.localhost./x", 0, err,
                                      sizeof(err)),
                     PH_EINVAL);
    assert_int_equal(notify_url_check("http://[::1]:80/", 0, err,
                                      sizeof(err)),
                     PH_EINVAL);
    assert_int_equal(notify_url_check("http://[fd00::1]/", 0, err,
                                      sizeof(err)),
                     PH_EINVAL);
    assert_non_null(strstr(err, "private"));
    assert_int_equal(notify_url_check("http://169.254.169.254/latest", 0,
                                      err, sizeof(err)),
                     PH_EINVAL);
    assert_int_equal(notify_url_check("http://2130706433/", 0, err,
                                      sizeof(err)),
                     PH_EINVAL);
    assert_int_equal(notify_url_check("http://user@example.org/", 0, err,
                                      sizeof(err)),
                     PH_EINVAL);
    assert_int_equal(notify_url_check("ftp://example.org/", 1, err,
                                      sizeof(err)),
                     PH_EINVAL);
    assert_int_equal(notify_url_check("https:///path", 1, err, sizeof(err)),
                     PH_EINVAL);
    assert_int_equal(notify_url_check("https://exa mple.org/", 1, err,
                                      sizeof(err)),
                     PH_EINVAL);
}

/* The host url_split reports is the one libcurl connects to, where a
 * hand-written splitter would see something else. */
static void
test_url_split(void **state)
{
    struct url_parts u;
    char err[200];

    (void)state;
    assert_int_equal(url_split("HtTpS://Hooks.Example.org/a", &u, err,
                               sizeof(err)),
                     0);
    assert_string_equal(u.scheme, "https");
    assert_string_equal(u.host, "Hooks.Example.org");
    assert_int_equal(u.port, 443);
    assert_int_equal(u.userinfo, 0);
    /* Percent-encoding in the host is decoded before connecting. */
    assert_int_equal(url_split("http://127.0.0%2e1:81/", &u, err,
                               sizeof(err)),
                     0);
    assert_string_equal(u.host, "127.0.0.1");
    assert_int_equal(u.port, 81);
    /* IPv4 in the forms inet_aton takes is normalised. */
    assert_int_equal(url_split("http://0x7f.1/", &u, err, sizeof(err)), 0);
    assert_string_equal(u.host, "127.0.0.1");
    /* Credentials: the host is after the last '@' of the authority, even
     * behind a backslash a browser would read as a path. */
    assert_int_equal(url_split("http://user:pass@10.0.0.1/", &u, err,
                               sizeof(err)),
                     0);
    assert_string_equal(u.host, "10.0.0.1");
    assert_int_equal(u.userinfo, 1);
    assert_int_equal(url_split("http://evil.example\\@127.0.0.1/", &u, err,
                               sizeof(err)),
                     0);
    assert_string_equal(u.host, "127.0.0.1");
    assert_int_equal(u.userinfo, 1);
    assert_int_equal(url_split("http://@example.org/", &u, err, sizeof(err)),
                     0);
    assert_int_equal(u.userinfo, 1);
    /* IPv6: brackets off, zone id apart. */
    assert_int_equal(url_split("http://[fe80::1%25eth0]:8080/", &u, err,
                               sizeof(err)),
                     0);
    assert_string_equal(u.host, "fe80::1");
    assert_string_equal(u.zoneid, "eth0");
    assert_int_equal(u.ipv6, 1);
    assert_int_equal(u.port, 8080);
    /* Trailing dots stay: that is the name resolved. */
    assert_int_equal(url_split("http://localhost./", &u, err, sizeof(err)),
                     0);
    assert_string_equal(u.host, "localhost.");
    /* Refused: a backslash in the host, backslashes for slashes, other
     * slash counts libcurl would take, no scheme, a bad port. */
    assert_int_equal(url_split("http://127.0.0.1\\x/", &u, err, sizeof(err)),
                     PH_EINVAL);
    assert_int_equal(url_split("http:\\\\127.0.0.1/", &u, err, sizeof(err)),
                     PH_EINVAL);
    assert_int_equal(url_split("http:/127.0.0.1/", &u, err, sizeof(err)),
                     PH_EINVAL);
    assert_int_equal(url_split("http:///127.0.0.1/", &u, err, sizeof(err)),
                     PH_EINVAL);
    assert_int_equal(url_split("example.org/x", &u, err, sizeof(err)),
                     PH_EINVAL);
    assert_int_equal(url_split("http://example.org:99999/", &u, err,
                               sizeof(err)),
                     PH_EINVAL);
}

/* Private and loopback targets written the tricky ways are refused; the
 * same hosts written plainly are refused by the tests above. */
static void
test_url_check_tricky(void **state)
{
    static const char *const refused[] = {
        "http://127.0.0%2e1/",           /* percent-encoded dot */
        "http://%31%32%37.0.0.1/",       /* percent-encoded digits */
        "http://a%2elocalhost/",
        "http://0x7f.1/",
        "http://0177.0.0.1/",
        "http://127.0.0.1./",            /* trailing dot */
        "http://localhost./",
        "http://LOCALHOST/",
        "http://Foo.LocalHost/",
        "HtTpS://127.0.0.1/",            /* mixed-case scheme */
        "HTTP://[::1]/",
        "http://[::1%25lo]:8080/",       /* zone ids */
        "http://[fe80::1%25eth0]/",
        "http://[0:0::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:a00:1]/",
        "http://user:pass@127.0.0.1/",   /* credentials */
        "http://hooks.example.org\\@127.0.0.1/",
        "http://127.0.0.1\\x/",          /* backslashes */
        "http:\\\\127.0.0.1/",
        "http:/\\127.0.0.1/",
        "http:///127.0.0.1/",
    };
    char err[200];

    (void)state;
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        err[0] = '\0';
        if (notify_url_check(refused[i], 0, err, sizeof(err)) != PH_EINVAL) {
            fail_msg("accepted %s", refused[i]);
        }
        assert_true(err[0] != '\0');
    }
    assert_int_equal(notify_url_check("http://127.0.0%2e1/", 0, err,
                                      sizeof(err)),
                     PH_EINVAL);
    assert_non_null(strstr(err, "loopback"));
    assert_int_equal(notify_url_check("http://[fe80::1%25eth0]/", 0, err,
                                      sizeof(err)),
                     PH_EINVAL);
    assert_non_null(strstr(err, "link-local"));
    /* Credentials are refused even where private targets are allowed. */
    assert_int_equal(notify_url_check("http://user:pass@example.org/", 1, err,
                                      sizeof(err)),
                     PH_EINVAL);
    assert_non_null(strstr(err, "user information"));
    /* Public targets in the same spellings pass. */
    assert_int_equal(notify_url_check("HtTpS://Hooks.Example.org./x", 0, err,
                                      sizeof(err)),
                     0);
    assert_int_equal(notify_url_check("http://93.184.216.34./", 0, err,
                                      sizeof(err)),
                     0);
    assert_int_equal(notify_url_check("https://[2606:4700::1111]/", 0, err,
                                      sizeof(err)),
                     0);
    assert_int_equal(notify_url_check("http://[fe80::1%25eth0]/", 1, err,
                                      sizeof(err)),
                     0);
}

static void
test_email_valid(void **state)
{
    (void)state;
    assert_true(notify_email_valid("user@example.org"));
    assert_true(notify_email_valid("first.last+tag@mail.example.co.uk"));
    assert_false(notify_email_valid("user@localhost"));
    assert_false(notify_email_valid("@example.org"));
    assert_false(notify_email_valid("user@"));
    assert_false(notify_email_valid("us er@example.org"));
    assert_false(notify_email_valid("user@exa_mple.org"));
    assert_false(notify_email_valid("user@-example.org"));
    assert_false(notify_email_valid("a..b@example.org"));
    assert_false(notify_email_valid("a@b@example.org"));
    assert_false(notify_email_valid("x@example.org\r\nBcc: y@example.org"));
    assert_false(notify_email_valid("<x@example.org>"));
}

static void
test_backoff(void **state)
{
    (void)state;
    /* rnd 2^31 is the middle of the jitter range: factor 1.0. */
    assert_int_equal(notify_backoff_ms(1, 5000, 7200000, 0x80000000u), 5000);
    assert_int_equal(notify_backoff_ms(2, 5000, 7200000, 0x80000000u),
                     10000);
    assert_int_equal(notify_backoff_ms(5, 5000, 7200000, 0x80000000u),
                     80000);
    assert_int_equal(notify_backoff_ms(40, 5000, 7200000, 0x80000000u),
                     7200000);
    /* The jitter range is [0.8, 1.2). */
    assert_int_equal(notify_backoff_ms(1, 5000, 7200000, 0), 4000);
    assert_true(notify_backoff_ms(1, 5000, 7200000, 0xffffffffu) < 6000);
    assert_true(notify_backoff_ms(1, 5000, 7200000, 0xffffffffu) >= 5999);
    /* Over 24 h the schedule keeps trying at the cap. */
    {
        int64_t total = 0;
        uint32_t n = 0;
        while (total < 86400000) {
            total += notify_backoff_ms(++n, 5000, 7200000, 0x80000000u);
        }
        assert_true(n > 12 && n < 30);
    }
}

static void
test_ratelimit(void **state)
{
    static struct ratelimit rl;

    (void)state;
    ratelimit_init(&rl, 2, 60000);
    assert_int_equal(ratelimit_take(&rl, "192.0.2.1", 1000), 0);
    assert_int_equal(ratelimit_take(&rl, "192.0.2.1", 1000), 0);
    assert_int_equal(ratelimit_take(&rl, "192.0.2.1", 1000), 60001);
    assert_int_equal(ratelimit_take(&rl, "192.0.2.2", 1000), 0);
    assert_int_equal(ratelimit_take(&rl, "192.0.2.1", 31000), 30001);
    assert_int_equal(ratelimit_take(&rl, "192.0.2.1", 61000), 0);
    /* A flood of addresses keeps memory bounded (the table is fixed) and
     * still limits: an address that uses up its burst after the flood is
     * refused until a token is back. */
    for (int i = 0; i < 100000; i++) {
        char k[32];
        snprintf(k, sizeof(k), "10.%d.%d.%d", i >> 16, (i >> 8) & 255,
                 i & 255);
        ratelimit_take(&rl, k, 62000);
    }
    assert_int_equal(ratelimit_take(&rl, "198.51.100.7", 62000), 0);
    assert_int_equal(ratelimit_take(&rl, "198.51.100.7", 62000), 0);
    assert_int_equal(ratelimit_take(&rl, "198.51.100.7", 62000), 60001);
}

static const char *
find(const char *hay, const char *needle)
{
    return strstr(hay, needle);
}

static void
test_email_format(void **state)
{
    struct notify_text t;
    struct notify_email m;
    struct buf text, html, msg;

    (void)state;
    memset(&t, 0, sizeof(t));
    t.page_name = "Example";
    t.kind_label = "Incident";
    t.title = "API <down>";
    t.status = "Investigating";
    t.body = "<script>alert(1)</script> & more";
    t.impact = "critical";
    t.link = "https://status.example.org/";
    t.unsubscribe = "https://status.example.org/subscriptions/unsubscribe?"
                    "token=u_x";
    buf_init(&text, 65536);
    buf_init(&html, 65536);
    buf_init(&msg, 262144);
    assert_int_equal(notify_text_plain(&t, &text), 0);
    assert_int_equal(notify_text_html(&t, &html), 0);
    assert_non_null(find(text.data, "<script>alert(1)</script> & more"));
    assert_null(find(html.data, "<script>"));
    assert_non_null(find(html.data,
                         "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more"));
    assert_non_null(find(html.data, "API &lt;down&gt;"));
    assert_non_null(find(html.data, "#e74c3c"));

    memset(&m, 0, sizeof(m));
    m.from = "Status <status@example.org>";
    m.to = "a@example.org";
    m.subject = "[Example] API down\r\nBcc: evil@example.org";
    m.text = text.data;
    m.html = html.data;
    m.message_id = "<msg_1@example.org>";
    m.unsubscribe = t.unsubscribe;
    m.date_ms = 1764028800000LL; /* 2025-11-25T00:00:00Z, a Tuesday */
    assert_int_equal(notify_email_format(&m, &msg), 0);
    assert_true(strncmp(msg.data, "Date: Tue, 25 Nov 2025 00:00:00 +0000\r\n",
                        39) == 0);
    assert_non_null(find(msg.data, "\r\nMessage-ID: <msg_1@example.org>\r\n"));
    /* A CR LF in the subject cannot add a header. */
    assert_null(find(msg.data, "\r\nBcc:"));
    assert_non_null(find(msg.data, "\r\nList-Unsubscribe: <https://status."
                                   "example.org/subscriptions/unsubscribe?"
                                   "token=u_x>\r\n"));
    assert_non_null(find(msg.data, "\r\nList-Unsubscribe-Post: "
                                   "List-Unsubscribe=One-Click\r\n"));
    assert_non_null(find(msg.data, "multipart/alternative; boundary="));
    assert_non_null(find(msg.data, "Content-Type: text/plain; charset=utf-8"));
    assert_non_null(find(msg.data, "Content-Type: text/html; charset=utf-8"));
    /* Every line ends in CRLF and none is longer than 998. */
    for (const char *p = msg.data; *p;) {
        const char *nl = strchr(p, '\n');
        assert_non_null(nl);
        assert_true(nl > p ? nl[-1] == '\r' : 0);
        assert_true(nl - p < 998);
        p = nl + 1;
    }
    buf_reset(&msg);
    m.subject = "[Exemple] Panne générale";
    m.unsubscribe = NULL;
    assert_int_equal(notify_email_format(&m, &msg), 0);
    assert_non_null(find(msg.data, "Subject: =?UTF-8?B?"));
    assert_null(find(msg.data, "List-Unsubscribe"));
    buf_free(&text);
    buf_free(&html);
    buf_free(&msg);
}

static void
test_slack_json(void **state)
{
    struct notify_text t;
    struct buf b;
    json_t *j;
    const char *s;

    (void)state;
    memset(&t, 0, sizeof(t));
    t.page_name = "Example";
    t.title = "A & <b>";
    t.status = "Identified";
    t.body = "x";
    t.impact = "major";
    t.link = "https://status.example.org/";
    t.unsubscribe = "https://status.example.org/u";
    t.at_ms = 1764028800000LL;
    buf_init(&b, NOTIFY_PAYLOAD_MAX);
    assert_int_equal(notify_slack_body(&t, &b), 0);
    j = ph_json_parse(b.data, b.len, 0, NULL);
    buf_free(&b);
    assert_non_null(j);
    s = json_string_value(json_object_get(j, "text"));
    assert_non_null(strstr(s, "A &amp; &lt;b&gt;: Identified"));
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(j, "attachments"),
                                           0),
                            "color")),
                        "#e67e22");
    assert_string_equal(
        json_string_value(json_object_get(
            json_object_get(json_array_get(json_object_get(j, "blocks"), 0),
                            "text"),
            "text")),
        "A & <b>");
    json_decref(j);
}

static struct pharos_conf *parse_cf;
static struct notify_sub_request r;
static char err[256];

static int
PARSE(const char *body)
{
    int rc = subscribers_parse(body, strlen(body), parse_cf, &r, err,
                               sizeof(err));

    return rc == PH_EPARSE ? -99 : rc;
}

static void
test_subscriber_parse(void **state)
{
    static const char yml[] = "page: {id: t, name: T}\nregions: [{id: r1}]\n"
                              "components:\n  - {id: api, name: API}\n"
                              "  - {id: web, name: Web}\n";
    struct pharos_conf cf;
    struct conf_errs errs;

    (void)state;
    memset(&errs, 0, sizeof(errs));
    assert_int_equal(pharos_conf_parse("t.yml", yml, strlen(yml), &cf, &errs),
                     0);
    parse_cf = &cf;
    {
        assert_int_equal(PARSE("subscriber%5Bemail%5D=a%40example.org"), 0);
        assert_int_equal(r.kind, NOTIFY_EMAIL);
        assert_string_equal(r.address, "a@example.org");
        assert_string_equal(r.components, "");
        assert_int_equal(
            PARSE("{\"subscriber\":{\"endpoint\":\" https://x.example.org/h "
                  "\",\"component_ids\":[\"web\",\"api\",\"web\"]}}"),
            0);
        assert_int_equal(r.kind, NOTIFY_WEBHOOK);
        assert_string_equal(r.address, "https://x.example.org/h");
        assert_string_equal(r.components, "web api");
        assert_int_equal(
            PARSE("{\"endpoint\":\"https://hooks.slack.com/services/T/B/x\"}"),
            0);
        assert_int_equal(r.kind, NOTIFY_SLACK);
        assert_int_equal(PARSE("subscriber[slack_url]=https://h.example.org/"
                               "&subscriber[component_id]=api"),
                         0);
        assert_int_equal(r.kind, NOTIFY_SLACK);
        assert_string_equal(r.components, "api");
        assert_int_equal(PARSE("{\"subscriber\":{\"kind\":\"webhook\","
                               "\"email\":\"a@example.org\"}}"),
                         PH_EINVAL);
        assert_int_equal(PARSE("{\"subscriber\":{\"email\":\"a@example.org\","
                               "\"component_ids\":[\"nope\"]}}"),
                         PH_EINVAL);
        assert_non_null(strstr(err, "unknown component"));
        assert_int_equal(PARSE("{\"subscriber\":{\"email\":\"a@example.org\","
                               "\"component_ids\":[1]}}"),
                         PH_EINVAL);
        assert_int_equal(PARSE("{\"subscriber\":{}}"), PH_EINVAL);
        assert_int_equal(PARSE("{\"subscriber\":{\"email\":\"a@example.org\","
                               "\"skip_confirmation_notification\":\"t\"}}"),
                         0);
        assert_int_equal(r.skip_confirmation, 1);
        assert_int_not_equal(PARSE("[1,2]"), 0);
    }
    pharos_conf_free(&cf);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signature_vector),
        cmocka_unit_test(test_hmac_github_vector),
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_secret),
        cmocka_unit_test(test_address_classes),
        cmocka_unit_test(test_cidr_and_client_key),
        cmocka_unit_test(test_url_check),
        cmocka_unit_test(test_url_split),
        cmocka_unit_test(test_url_check_tricky),
        cmocka_unit_test(test_email_valid),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_ratelimit),
        cmocka_unit_test(test_email_format),
        cmocka_unit_test(test_slack_json),
        cmocka_unit_test(test_subscriber_parse),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
