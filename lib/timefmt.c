#include "timefmt.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ph_err.h"

int64_t
time_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
time_mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
time_iso8601(int64_t ms, char out[ISO8601_MAX])
{
    time_t secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    int frac = (int)(ms - (int64_t)secs * 1000);
    struct tm tm;
    char date[24];

    gmtime_r(&secs, &tm);
    strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, ISO8601_MAX, "%s.%03dZ", date, frac);
}

void
time_rfc822(int64_t ms, char out[RFC822_MAX])
{
    /* Not strftime: %a and %b follow LC_TIME, and feeds need English. */
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed",
                                    "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr",
                                       "May", "Jun", "Jul", "Aug",
                                       "Sep", "Oct", "Nov", "Dec"};
    const int64_t max_ms = INT64_C(253402300799999); /* 9999-12-31 */
    time_t secs;
    struct tm tm;

    if (ms < 0) {
        ms = 0;
    } else if (ms > max_ms) {
        ms = max_ms;
    }
    secs = (time_t)(ms / 1000);
    gmtime_r(&secs, &tm);
    snprintf(out, RFC822_MAX, "%s, %02d %s %04d %02d:%02d:%02d +0000",
             days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
             tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static int
digits(const char *s, int n, int *ret)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        v = v * 10 + (s[i] - '0');
    }
    *ret = v;
    return 0;
}

int
time_parse_iso8601(const char *s, int64_t *ret_ms)
{
    struct tm tm;
    int y, mo, d, h = 0, mi = 0, sec = 0, ms = 0, off = 0;
    size_t len = strlen(s);
    const char *p;

    memset(&tm, 0, sizeof(tm));
    if (len < 10 || digits(s, 4, &y) || s[4] != '-' ||
        digits(s + 5, 2, &mo) || s[7] != '-' || digits(s + 8, 2, &d)) {
        return PH_EPARSE;
    }
    p = s + 10;
    if (*p == 'T' || *p == ' ') {
        if (strlen(p) < 9 || digits(p + 1, 2, &h) || p[3] != ':' ||
            digits(p + 4, 2, &mi) || p[6] != ':' || digits(p + 7, 2, &sec)) {
            return PH_EPARSE;
        }
        p += 9;
        if (*p == '.') {
            int n = 0;
            p++;
            while (*p >= '0' && *p <= '9') {
                if (n < 3) {
                    ms = ms * 10 + (*p - '0');
                }
                n++;
                p++;
            }
            if (n == 0) {
                return PH_EPARSE;
            }
            for (; n < 3; n++) {
                ms *= 10;
            }
        }
        if (*p == 'Z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int oh, om;
            int sign = *p == '-' ? -1 : 1;
            if (strlen(p) != 6 || digits(p + 1, 2, &oh) || p[3] != ':' ||
                digits(p + 4, 2, &om)) {
                return PH_EPARSE;
            }
            off = sign * (oh * 3600 + om * 60);
            p += 6;
        } else {
            return PH_EPARSE;
        }
    }
    if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
        mi > 59 || sec > 60) {
        return PH_EPARSE;
    }
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    *ret_ms = ((int64_t)timegm(&tm) - off) * 1000 + ms;
    return 0;
}

int64_t
time_age_ms(int64_t now_ms, int64_t then_ms)
{
    int64_t d;

    if (__builtin_sub_overflow(now_ms, then_ms, &d)) {
        return then_ms < 0 ? INT64_MAX : INT64_MIN;
    }
    return d;
}
