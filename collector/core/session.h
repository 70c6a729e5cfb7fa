/*
 * session.h - the viewer session of a private page (pure: no I/O).
 *
 * A session is the value of the pharos_session cookie:
 *
 *   <expiry, unix seconds>.<HMAC-SHA256, 64 hex>.<subject>
 *
 * signed with the collector's session key over the page id, the expiry,
 * the subject ("p" for the page password, "v:<name>" for a viewer) and a
 * binding string (the password's hash: changing the password signs every
 * session out). Nothing else is trusted from the cookie.
 *
 * The login throttle slows password guessing per client: a few free
 * failures, then each further one doubles the wait (capped).
 */
#ifndef PH_SESSION_H
#define PH_SESSION_H

#include <stddef.h>
#include <stdint.h>

#define SESSION_KEY_LEN 32
#define SESSION_VALUE_MAX 256    /* cookie value, NUL included */
#define SESSION_SUBJECT_MAX 96
#define SESSION_COOKIE "pharos_session"

enum session_verdict {
    SESSION_OK = 0,
    SESSION_MALFORMED,   /* not a session of ours at all */
    SESSION_BAD_SIG,     /* tampered with, or signed with another key */
    SESSION_EXPIRED,
};

/* Writes the cookie value for subject, valid until exp_s, into out.
 * Returns 0, PH_EINVAL (a subject holding '.', ';', or too long) or
 * PH_ETOOBIG. */
int session_make(const uint8_t key[SESSION_KEY_LEN], const char *page_id,
                 const char *bind, int64_t exp_s, const char *subject,
                 char *out, size_t len);
/* Checks value (len bytes, not NUL-terminated) at now_s; on SESSION_OK
 * the subject is copied into subject (size slen). */
enum session_verdict session_check(const uint8_t key[SESSION_KEY_LEN],
                                   const char *page_id, const char *bind,
                                   const char *value, size_t len,
                                   int64_t now_s, char *subject,
                                   size_t slen);
/* The value of cookie name in a Cookie header (borrowed, length in
 * *ret_len), or NULL. */
const char *session_cookie_find(const char *header, const char *name,
                                size_t *ret_len);

#define LOGIN_SLOTS 256
#define LOGIN_FREE_FAILURES 5
#define LOGIN_MAX_WAIT_S 900

struct login_slot {
    char client[64];     /* "" = free */
    uint32_t failures;
    int64_t last_ms;
    int64_t wait_until_ms;
};

struct login_throttle {
    struct login_slot slots[LOGIN_SLOTS];
};

/* Seconds client must still wait before its next attempt (0: may try). */
int login_throttle_wait(struct login_throttle *t, const char *client,
                        int64_t now_ms);
/* Records a failed attempt: after LOGIN_FREE_FAILURES the client waits
 * 1 s, then 2, 4, ... up to LOGIN_MAX_WAIT_S before the next. */
void login_throttle_fail(struct login_throttle *t, const char *client,
                         int64_t now_ms);
/* A successful sign-in forgets the client's failures. */
void login_throttle_ok(struct login_throttle *t, const char *client);

#endif
