/*
 * notify_rules.h - the pure rules of subscriptions and delivery: address
 * and URL validation (with the subscribe-time SSRF check), the retry
 * schedule, and the per-client rate limit of the public sign-up. No I/O
 * and no clock: callers pass now_ms and random numbers, so unit tests
 * pin every value.
 */
#ifndef PH_NOTIFY_RULES_H
#define PH_NOTIFY_RULES_H

#include <stddef.h>
#include <stdint.h>

#define SUB_EMAIL_MAX 254     /* RFC 5321 path limit */
#define SUB_URL_MAX 2048
#define SUB_ADDRESS_MAX SUB_URL_MAX

/* 1 if s is an address we will send to: local@domain, ASCII, no spaces,
 * quotes, brackets or control characters, a dotted domain of
 * letters/digits/hyphens, at most SUB_EMAIL_MAX bytes. */
int notify_email_valid(const char *s);

/*
 * Checks a webhook or Slack URL: http or https, a host, no user
 * information, at most SUB_URL_MAX bytes, printable ASCII. The URL is
 * split by libcurl's parser (url.h), so the host checked is the host
 * delivery connects to ("127.0.0%2e1" is 127.0.0.1). Unless
 * allow_private, a host that is an IP literal of a loopback, private,
 * link-local, unspecified or reserved address, or "localhost", is refused
 * (names are checked again on every delivery, after resolution). Returns
 * 0, or PH_EINVAL with a message for the client in err.
 */
int notify_url_check(const char *url, int allow_private, char *err,
                     size_t errlen);

/*
 * Delay before try number attempt+1 after attempt failures (attempt >= 1):
 * base * 2^(attempt-1), capped at max, then scaled by a jitter factor in
 * [0.8, 1.2) taken from rnd (any 32-bit random value).
 */
int64_t notify_backoff_ms(uint32_t attempt, int64_t base_ms, int64_t max_ms,
                          uint32_t rnd);

/* A token bucket per client address in a fixed table (RL_SLOTS entries,
 * 4-way set associative; the least recently used entry of a set is
 * recycled, so memory stays bounded whatever the clients do). */
#define RL_SLOTS 4096
#define RL_KEY_MAX 48

struct rl_entry {
    char key[RL_KEY_MAX];
    double tokens;
    int64_t last_ms;
};

struct ratelimit {
    double burst;              /* bucket size */
    int64_t every_ms;          /* one token per this interval */
    struct rl_entry slots[RL_SLOTS];
};

void ratelimit_init(struct ratelimit *rl, uint32_t burst, int64_t every_ms);
/* Takes one token for key at now_ms. Returns 0 when allowed, otherwise
 * the milliseconds until a token is available (>= 1). */
int64_t ratelimit_take(struct ratelimit *rl, const char *key, int64_t now_ms);

#endif
