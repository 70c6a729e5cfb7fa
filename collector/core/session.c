/*
 * session.c - signed session cookies and the login throttle (session.h).
 */
#include "session.h"

#include <stdio.h>
#include <string.h>

#include "ph_err.h"
#include "sign.h"

#define SIG_HEX 64

static int
sig_hex(const uint8_t key[SESSION_KEY_LEN], const char *page_id,
        const char *bind, int64_t exp_s, const char *subject, size_t slen,
        char out[SIG_HEX + 1])
{
    char msg[SESSION_SUBJECT_MAX + 256];
    uint8_t mac[32];
    int n;

    n = snprintf(msg, sizeof(msg), "pharos-session-1|%s|%s|%lld|%.*s",
                 page_id, bind != NULL ? bind : "", (long long)exp_s,
                 (int)slen, subject);
    if (n < 0 || (size_t)n >= sizeof(msg)) {
        return PH_ETOOBIG;
    }
    if (sign_hmac_sha256(key, SESSION_KEY_LEN, msg, (size_t)n, mac) != 0) {
        return PH_EINTERNAL;
    }
    for (size_t i = 0; i < sizeof(mac); i++) {
        snprintf(out + 2 * i, 3, "%02x", mac[i]);
    }
    return 0;
}

static int
subject_ok(const char *s, size_t n)
{
    if (n == 0 || n >= SESSION_SUBJECT_MAX) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch <= 0x20 || ch >= 0x7f || ch == ';' || ch == ',' ||
            ch == '"' || ch == '\\') {
            return 0;
        }
    }
    return 1;
}

int
session_make(const uint8_t key[SESSION_KEY_LEN], const char *page_id,
             const char *bind, int64_t exp_s, const char *subject, char *out,
             size_t len)
{
    char sig[SIG_HEX + 1];
    size_t sl = strlen(subject);
    int rc, n;

    if (!subject_ok(subject, sl) || exp_s < 0) {
        return PH_EINVAL;
    }
    rc = sig_hex(key, page_id, bind, exp_s, subject, sl, sig);
    if (rc != 0) {
        return rc;
    }
    n = snprintf(out, len, "%lld.%s.%s", (long long)exp_s, sig, subject);
    return n < 0 || (size_t)n >= len ? PH_ETOOBIG : 0;
}

enum session_verdict
session_check(const uint8_t key[SESSION_KEY_LEN], const char *page_id,
              const char *bind, const char *value, size_t len, int64_t now_s,
              char *subject, size_t slen)
{
    char want[SIG_HEX + 1];
    int64_t exp_s = 0;
    size_t i = 0, digits = 0;
    const char *sig, *subj;
    size_t subj_len;
    unsigned diff = 0;

    if (len >= SESSION_VALUE_MAX) {
        return SESSION_MALFORMED;
    }
    while (i < len && value[i] >= '0' && value[i] <= '9' && digits < 12) {
        exp_s = exp_s * 10 + (value[i] - '0');
        i++;
        digits++;
    }
    if (digits == 0 || i >= len || value[i] != '.') {
        return SESSION_MALFORMED;
    }
    i++;
    if (len - i < SIG_HEX + 2 || value[i + SIG_HEX] != '.') {
        return SESSION_MALFORMED;
    }
    sig = value + i;
    subj = sig + SIG_HEX + 1;
    subj_len = len - (size_t)(subj - value);
    if (!subject_ok(subj, subj_len) || subj_len >= slen) {
        return SESSION_MALFORMED;
    }
    if (sig_hex(key, page_id, bind, exp_s, subj, subj_len, want) != 0) {
        return SESSION_MALFORMED;
    }
    for (size_t k = 0; k < SIG_HEX; k++) {
        diff |= (unsigned)(want[k] ^ sig[k]);
    }
    if (diff != 0) {
        return SESSION_BAD_SIG;
    }
    if (exp_s <= now_s) {
        return SESSION_EXPIRED;
    }
    memcpy(subject, subj, subj_len);
    subject[subj_len] = '\0';
    return SESSION_OK;
}

const char *
session_cookie_find(const char *header, const char *name, size_t *ret_len)
{
    size_t nl = strlen(name);
    const char *p = header;

    while (p != NULL && *p != '\0') {
        size_t vl;

        while (*p == ' ' || *p == '\t' || *p == ';') {
            p++;
        }
        vl = strcspn(p, ";");
        if (vl > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
            size_t n = vl - nl - 1;
            const char *v = p + nl + 1;

            while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t')) {
                n--;
            }
            *ret_len = n;
            return v;
        }
        p += vl;
    }
    return NULL;
}

static struct login_slot *
slot_of(struct login_throttle *t, const char *client, int create,
        int64_t now_ms)
{
    struct login_slot *oldest = &t->slots[0];

    for (size_t i = 0; i < LOGIN_SLOTS; i++) {
        struct login_slot *s = &t->slots[i];

        if (s->client[0] != '\0' && strcmp(s->client, client) == 0) {
            return s;
        }
        /* A free slot, else the one quiet for longest. */
        if (oldest->client[0] != '\0' &&
            (s->client[0] == '\0' || s->last_ms < oldest->last_ms)) {
            oldest = s;
        }
    }
    if (!create) {
        return NULL;
    }
    memset(oldest, 0, sizeof(*oldest));
    snprintf(oldest->client, sizeof(oldest->client), "%s", client);
    oldest->last_ms = now_ms;
    return oldest;
}

int
login_throttle_wait(struct login_throttle *t, const char *client,
                    int64_t now_ms)
{
    struct login_slot *s = slot_of(t, client, 0, now_ms);

    if (s == NULL || s->wait_until_ms <= now_ms) {
        return 0;
    }
    return (int)((s->wait_until_ms - now_ms + 999) / 1000);
}

void
login_throttle_fail(struct login_throttle *t, const char *client,
                    int64_t now_ms)
{
    struct login_slot *s = slot_of(t, client, 1, now_ms);
    int64_t wait_s = 1;

    s->failures++;
    s->last_ms = now_ms;
    if (s->failures < LOGIN_FREE_FAILURES) {
        return;
    }
    for (uint32_t k = LOGIN_FREE_FAILURES; k < s->failures; k++) {
        wait_s *= 2;
        if (wait_s >= LOGIN_MAX_WAIT_S) {
            wait_s = LOGIN_MAX_WAIT_S;
            break;
        }
    }
    s->wait_until_ms = now_ms + wait_s * 1000;
}

void
login_throttle_ok(struct login_throttle *t, const char *client)
{
    struct login_slot *s = slot_of(t, client, 0, 0);

    if (s != NULL) {
        memset(s, 0, sizeof(*s));
    }
}
