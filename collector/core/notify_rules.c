/*
 * notify_rules.c - validation, retry schedule, rate limit (notify_rules.h).
 */
#include "notify_rules.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "netaddr.h"
#include "ph_err.h"
#include "url.h"

static int
label_char(int ch)
{
    return isalnum(ch) || ch == '-';
}

/* A DNS name of letters, digits and hyphens in dot-separated labels of
 * 1-63 bytes, at least two labels, none starting or ending with '-'. */
static int
domain_valid(const char *d, size_t n)
{
    size_t label = 0;
    int dots = 0;

    if (n == 0 || n > 253 || d[0] == '.' || d[n - 1] == '.') {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)d[i];

        if (ch == '.') {
            if (label == 0 || d[i - 1] == '-') {
                return 0;
            }
            label = 0;
            dots++;
            continue;
        }
        if (!label_char(ch) || (label == 0 && ch == '-') || ++label > 63) {
            return 0;
        }
    }
    return dots > 0 && d[n - 1] != '-';
}

int
notify_email_valid(const char *s)
{
    static const char specials[] = "()<>[]\\,;:\"@ ";
    const char *at = strrchr(s, '@');
    size_t n = strlen(s);
    size_t local;

    if (at == NULL || n > SUB_EMAIL_MAX) {
        return 0;
    }
    local = (size_t)(at - s);
    if (local == 0 || local > 64 || s[0] == '.' || s[local - 1] == '.') {
        return 0;
    }
    for (size_t i = 0; i < local; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch <= 0x20 || ch >= 0x7f || strchr(specials, ch) != NULL ||
            (ch == '.' && s[i + 1] == '.')) {
            return 0;
        }
    }
    return domain_valid(at + 1, n - local - 1);
}

int
notify_url_check(const char *url, int allow_private, char *err,
                 size_t errlen)
{
    struct url_parts u;
    size_t n = strlen(url), hl;
    int cls, rc;

    if (n == 0 || n > SUB_URL_MAX) {
        snprintf(err, errlen, "the URL must be 1 to %d characters",
                 SUB_URL_MAX);
        return PH_EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)url[i];
        if (ch <= 0x20 || ch >= 0x7f) {
            snprintf(err, errlen, "the URL must be printable ASCII without "
                                  "spaces");
            return PH_EINVAL;
        }
    }
    /* The host is the one libcurl will connect to (url.c), not one split
     * out by hand: "127.0.0%2e1", "0x7f.1" and "[::1%25lo]" all name
     * loopback to it. */
    rc = url_split(url, &u, err, errlen);
    if (rc != 0) {
        return rc;
    }
    if (strcmp(u.scheme, "https") != 0 && strcmp(u.scheme, "http") != 0) {
        snprintf(err, errlen, "the URL must start with https:// or http://");
        return PH_EINVAL;
    }
    if (u.userinfo) {
        snprintf(err, errlen, "user information in the URL is not allowed");
        return PH_EINVAL;
    }
    if (allow_private) {
        return 0;
    }
    hl = strlen(u.host);
    for (char *q = u.host; *q; q++) {
        *q = (char)tolower((unsigned char)*q);
    }
    while (hl > 1 && u.host[hl - 1] == '.') {
        u.host[--hl] = '\0';
    }
    if (strcmp(u.host, "localhost") == 0 ||
        (hl > 10 && strcmp(u.host + hl - 10, ".localhost") == 0)) {
        snprintf(err, errlen, "targets on loopback addresses are not "
                              "allowed");
        return PH_EINVAL;
    }
    cls = netaddr_classify_text(u.host);
    if (cls > NETADDR_PUBLIC) {
        snprintf(err, errlen, "targets on %s addresses are not allowed",
                 netaddr_class_name((enum netaddr_class)cls));
        return PH_EINVAL;
    }
    return 0;
}

int64_t
notify_backoff_ms(uint32_t attempt, int64_t base_ms, int64_t max_ms,
                  uint32_t rnd)
{
    int64_t d = base_ms;

    for (uint32_t i = 1; i < attempt && d < max_ms; i++) {
        d *= 2;
    }
    if (d > max_ms) {
        d = max_ms;
    }
    /* 0.8 + 0.4 * rnd / 2^32 */
    return d * 8 / 10 + (int64_t)((double)d * 0.4 * (double)rnd / 4294967296.0);
}

void
ratelimit_init(struct ratelimit *rl, uint32_t burst, int64_t every_ms)
{
    memset(rl->slots, 0, sizeof(rl->slots));
    rl->burst = burst > 0 ? (double)burst : 1.0;
    rl->every_ms = every_ms;
}

static uint32_t
fnv1a(const char *s)
{
    uint32_t h = 2166136261u;

    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

int64_t
ratelimit_take(struct ratelimit *rl, const char *key, int64_t now_ms)
{
    size_t set = (fnv1a(key) % (RL_SLOTS / 4)) * 4;
    struct rl_entry *e = NULL, *oldest = &rl->slots[set];
    double need;

    for (size_t i = set; i < set + 4; i++) {
        if (strncmp(rl->slots[i].key, key, RL_KEY_MAX - 1) == 0 &&
            rl->slots[i].key[0] != '\0') {
            e = &rl->slots[i];
            break;
        }
        if (rl->slots[i].last_ms < oldest->last_ms) {
            oldest = &rl->slots[i];
        }
    }
    if (e == NULL) {
        e = oldest;
        snprintf(e->key, sizeof(e->key), "%s", key);
        e->tokens = rl->burst;
        e->last_ms = now_ms;
    }
    if (rl->every_ms > 0 && now_ms > e->last_ms) {
        e->tokens += (double)(now_ms - e->last_ms) / (double)rl->every_ms;
        if (e->tokens > rl->burst) {
            e->tokens = rl->burst;
        }
    } else if (rl->every_ms <= 0) {
        e->tokens = rl->burst;
    }
    e->last_ms = now_ms;
    if (e->tokens >= 1.0) {
        e->tokens -= 1.0;
        return 0;
    }
    need = (1.0 - e->tokens) * (double)rl->every_ms;
    return need < 1.0 ? 1 : (int64_t)need + 1;
}
