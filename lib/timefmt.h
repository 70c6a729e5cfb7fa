/*
 * timefmt.h - wall clock and ISO 8601 formatting/parsing.
 */
#ifndef PH_TIMEFMT_H
#define PH_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

#define ISO8601_MAX 32
#define RFC822_MAX 40

/* Wall clock, unix milliseconds. */
int64_t time_now_ms(void);
/* Monotonic clock, milliseconds. */
int64_t time_mono_ms(void);
/* now_ms - then_ms without signed overflow, saturated to the int64
 * range. Result times come from agents: a time near INT64_MIN or
 * INT64_MAX must make an age that is very large or very negative, never
 * one that wraps (a wrapped age would keep a long-silent pair fresh
 * forever). Pure. */
int64_t time_age_ms(int64_t now_ms, int64_t then_ms);
/* Formats ms as "2026-01-10T12:00:00.000Z" into out[ISO8601_MAX]. */
void time_iso8601(int64_t ms, char out[ISO8601_MAX]);
/* Formats ms as "Wed, 02 Oct 2002 13:00:00 +0000" (RFC 822 with a
 * four-digit year, as RSS 2.0 and RFC 1123 use) into out[RFC822_MAX].
 * Always UTC and English names, whatever the locale; ms is clamped to
 * years 1970-9999. */
void time_rfc822(int64_t ms, char out[RFC822_MAX]);
/* Parses "YYYY-MM-DDTHH:MM:SS[.mmm](Z|+hh:mm|-hh:mm)" or "YYYY-MM-DD".
 * Returns 0 and unix ms, or PH_EPARSE. */
int time_parse_iso8601(const char *s, int64_t *ret_ms);

#endif
