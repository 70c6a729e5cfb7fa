#include "utf8.h"

#include <string.h>

/* Unicode 15, table 3-7 (well-formed UTF-8 byte sequences): for a lead
 * byte, the number of bytes of its character and the range allowed for
 * the second byte; later bytes are always 80..BF. */
static size_t
lead_info(unsigned char c, unsigned char *ret_lo, unsigned char *ret_hi)
{
    *ret_lo = 0x80;
    *ret_hi = 0xbf;
    if (c < 0x80) {
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        return 2;
    }
    if (c >= 0xe0 && c <= 0xef) {
        if (c == 0xe0) {
            *ret_lo = 0xa0;    /* no overlong forms */
        } else if (c == 0xed) {
            *ret_hi = 0x9f;    /* no surrogates */
        }
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        if (c == 0xf0) {
            *ret_lo = 0x90;    /* no overlong forms */
        } else if (c == 0xf4) {
            *ret_hi = 0x8f;    /* nothing above U+10FFFF */
        }
        return 4;
    }
    return 0;                  /* 80..C1, F5..FF never start a character */
}

/* Looks at the character starting at p[0..n), n > 0. Returns its length
 * when it is valid, else 0 with *ret_bad set to the length of the
 * maximal invalid subpart (at least 1) to replace with one U+FFFD. */
static size_t
next_char(const unsigned char *p, size_t n, size_t *ret_bad)
{
    unsigned char lo, hi;
    size_t want = lead_info(p[0], &lo, &hi);

    *ret_bad = 1;
    if (want == 0) {
        return 0;
    }
    for (size_t k = 1; k < want; k++) {
        if (k >= n || p[k] < lo || p[k] > hi) {
            *ret_bad = k;
            return 0;
        }
        lo = 0x80;
        hi = 0xbf;
    }
    return want;
}

static int
is_cont(unsigned char c)
{
    return (c & 0xc0) == 0x80;
}

int
utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, bad;

    while (i < len) {
        size_t w = next_char(p + i, len - i, &bad);

        if (w == 0) {
            return 0;
        }
        i += w;
    }
    return 1;
}

size_t
utf8_sanitize(char *dst, size_t dstlen, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, out = 0;

    if (dstlen == 0) {
        return 0;
    }
    while (i < len && p[i] != '\0') {
        size_t bad;
        size_t w = next_char(p + i, len - i, &bad);
        const char *src = w > 0 ? s + i : UTF8_REPLACEMENT;
        size_t n = w > 0 ? w : sizeof(UTF8_REPLACEMENT) - 1;

        if (n >= dstlen - out) {
            break;             /* the character does not fit: stop */
        }
        memcpy(dst + out, src, n);
        out += n;
        i += w > 0 ? w : bad;
    }
    dst[out] = '\0';
    return out;
}

size_t
utf8_cut(const char *s, size_t len, size_t max)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t cut = max;

    if (len <= max) {
        return len;
    }
    /* s[cut] is the first byte left out: back off while it continues the
     * character before it. A character has at most three continuation
     * bytes; more of them is invalid text, cut where asked. */
    while (cut > 0 && max - cut < 3 && is_cont(p[cut])) {
        cut--;
    }
    return is_cont(p[cut]) ? max : cut;
}

size_t
utf8_trim_partial(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t start = len;
    unsigned char lo, hi;
    size_t want;

    /* Find the lead byte of the last character, at most 3 bytes back. */
    while (start > 0 && len - start < 4 && is_cont(p[start - 1])) {
        start--;
    }
    if (start == 0 || len - start >= 4) {
        return len;            /* no lead byte in reach: leave as is */
    }
    start--;
    want = lead_info(p[start], &lo, &hi);
    if (want > 1 && len - start < want) {
        return start;
    }
    return len;
}
