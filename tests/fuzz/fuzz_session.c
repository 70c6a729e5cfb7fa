/*
 * fuzz_session.c - libFuzzer target for what a reader's browser sends
 * to a private page: the Cookie header (session_cookie_find) and the
 * session value in it (session_check). Any input must be found or not,
 * and checked or refused, without a crash, a read past its end, or a
 * subject longer than the buffer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t key[SESSION_KEY_LEN] = {7};
    char *hdr = malloc(size + 1);
    char subject[SESSION_SUBJECT_MAX];
    const char *v;
    size_t len = 0;

    if (hdr == NULL) {
        return 0;
    }
    memcpy(hdr, data, size);
    hdr[size] = '\0';
    v = session_cookie_find(hdr, SESSION_COOKIE, &len);
    if (v != NULL) {
        (void)session_check(key, "page", "bind", v, len, 1000, subject,
                            sizeof(subject));
    }
    /* The raw bytes as a value too (not NUL-terminated at size). */
    (void)session_check(key, "page", "", (const char *)data, size, 1000,
                        subject, sizeof(subject));
    free(hdr);
    return 0;
}
