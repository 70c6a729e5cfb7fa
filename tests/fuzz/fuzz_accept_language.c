/*
 * fuzz_accept_language.c - libFuzzer target for the Accept-Language
 * header (lib/lang.c): any bytes must give a shipped language or the
 * fallback, never read past the value or its LANG_ACCEPT_MAX cap, and
 * the same value must always give the same answer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lang.h"
#include "mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *hdr;
    int a, b;

    /* A header value is NUL-terminated text; bytes after a NUL are not
     * part of it. */
    hdr = ph_malloc(size + 1);
    if (hdr == NULL) {
        return 0;
    }
    memcpy(hdr, data, size);
    hdr[size] = '\0';
    a = lang_negotiate(hdr, -7);
    b = lang_negotiate(hdr, PH_LANG_JA);
    if (!(a == -7 || (a >= 0 && a < PH_LANG_COUNT)) ||
        (a != -7 && a != b) || (a == -7 && b != PH_LANG_JA)) {
        abort();
    }
    if (size > 0) {
        int m = lang_match_tag((const char *)data, size);
        if (m < -1 || m >= PH_LANG_COUNT) {
            abort();
        }
    }
    ph_free(hdr);
    return 0;
}
