/*
 * utf8.h - UTF-8 validation, repair and cutting on character boundaries.
 *
 * Pure functions, no allocation. Text that reaches a JSON document must
 * be valid UTF-8 (RFC 8259; jansson refuses anything else and the field
 * silently disappears), so text from the network is repaired once where
 * it enters, and every cut to a byte cap backs off to a character
 * boundary instead of splitting a multi-byte character.
 *
 * Valid means RFC 3629: no overlong forms, no surrogates (U+D800 to
 * U+DFFF), nothing above U+10FFFF.
 */
#ifndef PH_UTF8_H
#define PH_UTF8_H

#include <stddef.h>

/* The replacement character U+FFFD, as UTF-8. */
#define UTF8_REPLACEMENT "\xef\xbf\xbd"

/* Returns 1 when s[0..len) is valid UTF-8, else 0. */
int utf8_valid(const char *s, size_t len);

/* Copies s[0..len) into dst[dstlen] (borrowed), replacing each maximal
 * invalid subsequence with U+FFFD (the Unicode "maximal subpart"
 * practice) and stopping before the first character that would not fit,
 * so the copy is never cut inside a character. Always NUL-terminates
 * when dstlen > 0. A NUL byte in s ends the copy. Returns the bytes
 * written, not counting the NUL. */
size_t utf8_sanitize(char *dst, size_t dstlen, const char *s, size_t len);

/* Returns the largest length <= max at which s[0..len) can be cut
 * without splitting a character (len itself when len <= max). */
size_t utf8_cut(const char *s, size_t len, size_t max);

/* Returns len minus a trailing incomplete character, if s[0..len) ends
 * in one (as text cut by snprintf at a byte cap does). */
size_t utf8_trim_partial(const char *s, size_t len);

#endif
