/*
 * uptime.c - per component, per local day accounting (see uptime.h).
 *
 * Local day boundaries come from the zone's offset callback only: the day
 * of an instant t is floor((t + offset(t)) / 86400), and the end of a day
 * is the first instant whose local day is later. That instant is found by
 * a direct guess checked against the callback (the common case, two or
 * three calls) and otherwise by bisection, which also handles days whose
 * midnight does not exist (a DST change at 00:00). Days never go
 * backwards: a zone whose clock falls back across midnight keeps the
 * repeated hour in the day already open.
 *
 * Calendar arithmetic is Howard Hinnant's days_from_civil and
 * civil_from_days (public domain), exact for the proleptic Gregorian
 * calendar.
 */
#include "uptime.h"

#include <string.h>
#include <time.h>

#include "ph_err.h"

#define DAY_S 86400

static int64_t
floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;

    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t
days_from_civil(int64_t y, int64_t m, int64_t d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = floor_div(y, 400);
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int32_t
date_from_days(int64_t z)
{
    int64_t era, doe, yoe, y, doy, mp, d, m;

    z += 719468;
    era = floor_div(z, 146097);
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    return (int32_t)(y * 10000 + m * 100 + d);
}

static int64_t
days_from_date(int32_t date)
{
    return days_from_civil(date / 10000, (date / 100) % 100, date % 100);
}

int
uptime_date_valid(int32_t date)
{
    int32_t y = date / 10000, m = (date / 100) % 100, d = date % 100;

    if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31) {
        return 0;
    }
    /* Round-tripping rejects 31 April, 29 February of common years... */
    return date_from_days(days_from_date(date)) == date;
}

int32_t
uptime_date_add(int32_t date, int days)
{
    return date_from_days(days_from_date(date) + days);
}

int64_t
uptime_tz_localtime(int64_t at_s, void *arg)
{
    time_t t = (time_t)at_s;
    struct tm tm;

    (void)arg;
    if (localtime_r(&t, &tm) == NULL) {
        return 0;
    }
    return (int64_t)tm.tm_gmtoff;
}

int64_t
uptime_tz_fixed(int64_t at_s, void *arg)
{
    (void)at_s;
    return *(const int64_t *)arg;
}

static int64_t
local_day(const struct uptime_tz *tz, int64_t t)
{
    return floor_div(t + tz->utc_offset_s(t, tz->arg), DAY_S);
}

/* 1 if t is where day d ends: local day d+1 or later starts at t. */
static int
is_end_of(const struct uptime_tz *tz, int64_t t, int64_t d)
{
    return local_day(tz, t) > d && local_day(tz, t - 1) <= d;
}

/* First instant after `after` whose local day is later than d. */
static int64_t
day_end(const struct uptime_tz *tz, int64_t after, int64_t d)
{
    int64_t target = (d + 1) * DAY_S;
    int64_t c1 = target - tz->utc_offset_s(after, tz->arg);
    int64_t c2 = target - tz->utc_offset_s(c1, tz->arg);
    int64_t lo = after, hi;

    if (c2 > after && is_end_of(tz, c2, d)) {
        return c2;
    }
    if (c1 > after && is_end_of(tz, c1, d)) {
        return c1;
    }
    /* Bisection keeps local_day(lo) <= d < local_day(hi). */
    hi = after + DAY_S;
    while (local_day(tz, hi) <= d) {
        lo = hi;
        hi += DAY_S;
    }
    while (hi - lo > 1) {
        int64_t mid = lo + (hi - lo) / 2;

        if (local_day(tz, mid) > d) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    return hi;
}

int32_t
uptime_local_date(const struct uptime_tz *tz, int64_t at_ms)
{
    return date_from_days(local_day(tz, floor_div(at_ms, 1000)));
}

int64_t
uptime_day_start_ms(const struct uptime_tz *tz, int32_t date)
{
    int64_t d = days_from_date(date);
    int64_t lo = d * DAY_S - tz->utc_offset_s(d * DAY_S, tz->arg) - DAY_S;

    while (local_day(tz, lo) >= d) {
        lo -= DAY_S;
    }
    return day_end(tz, lo, d - 1) * 1000;
}

double
uptime_percent(int64_t major_s, int64_t partial_s, int64_t day_s,
               int64_t nodata_s)
{
    double denom = (double)(day_s - nodata_s);
    double pct;

    if (day_s - nodata_s <= 0) {
        return -1.0;
    }
    pct = 100.0 * (1.0 - ((double)major_s + 0.3 * (double)partial_s) / denom);
    if (pct < 0.0) {
        pct = 0.0;
    } else if (pct > 100.0) {
        pct = 100.0;
    }
    return pct;
}

double
uptime_day_weighted(const struct uptime_day *d)
{
    return (double)d->major_s + 0.3 * (double)d->partial_s;
}

const char *
uptime_color(double weighted_downtime_s, int has_data, int before_start)
{
    if (before_start || !has_data) {
        return "grey";
    }
    if (weighted_downtime_s <= 0.0) {
        return "green";
    }
    if (weighted_downtime_s < 3600.0) {
        return "yellow";
    }
    if (weighted_downtime_s < 4 * 3600.0) {
        return "orange";
    }
    return "red";
}

static int
status_valid(int status)
{
    return status == UPTIME_NODATA ||
           (status >= COMP_OPERATIONAL && status <= COMP_MAINTENANCE);
}

static void
account(struct uptime_day *day, int status, int64_t secs)
{
    day->day_s += secs;
    switch (status) {
    case COMP_OPERATIONAL:
        day->operational_s += secs;
        break;
    case COMP_DEGRADED:
        day->degraded_s += secs;
        break;
    case COMP_PARTIAL:
        day->partial_s += secs;
        break;
    case COMP_MAJOR:
        day->major_s += secs;
        break;
    case COMP_MAINTENANCE:
        day->maintenance_s += secs;
        break;
    default:
        day->nodata_s += secs;
        break;
    }
}

/* Opens the day that starts at (or contains) a->st.last_s. */
static void
open_day(struct uptime_acc *a, int64_t daynum)
{
    memset(&a->st.day, 0, sizeof(a->st.day));
    a->daynum = daynum;
    a->st.day.date = date_from_days(daynum);
    a->day_end_s = day_end(&a->tz, a->st.last_s, daynum);
}

static void
advance_to(struct uptime_acc *a, int64_t end_s)
{
    while (a->st.last_s < end_s) {
        if (end_s < a->day_end_s) {
            account(&a->st.day, a->st.status, end_s - a->st.last_s);
            a->st.last_s = end_s;
            break;
        }
        account(&a->st.day, a->st.status, a->day_end_s - a->st.last_s);
        a->st.last_s = a->day_end_s;
        if (a->cb != NULL) {
            a->cb(&a->st.day, a->cb_arg);
        }
        /* Never backwards, even if the zone's clock is. */
        open_day(a, a->daynum + 1 > local_day(&a->tz, a->st.last_s)
                        ? a->daynum + 1
                        : local_day(&a->tz, a->st.last_s));
    }
}

int
uptime_acc_init(struct uptime_acc *a, const struct uptime_tz *tz,
                int64_t start_ms, int status, uptime_day_cb cb,
                void *cb_arg)
{
    if (!status_valid(status)) {
        return PH_EINVAL;
    }
    memset(a, 0, sizeof(*a));
    a->tz = *tz;
    a->cb = cb;
    a->cb_arg = cb_arg;
    a->st.last_s = floor_div(start_ms, 1000);
    a->st.status = status;
    open_day(a, local_day(tz, a->st.last_s));
    return 0;
}

int
uptime_acc_feed(struct uptime_acc *a, int64_t at_ms, int status)
{
    if (!status_valid(status)) {
        return PH_EINVAL;
    }
    advance_to(a, floor_div(at_ms, 1000));
    a->st.status = status;
    return 0;
}

void
uptime_acc_advance(struct uptime_acc *a, int64_t now_ms)
{
    advance_to(a, floor_div(now_ms, 1000));
}

void
uptime_acc_current(const struct uptime_acc *a, struct uptime_day *ret)
{
    *ret = a->st.day;
}

void
uptime_acc_save(const struct uptime_acc *a, struct uptime_acc_state *ret)
{
    *ret = a->st;
}

int
uptime_acc_restore(struct uptime_acc *a, const struct uptime_tz *tz,
                   const struct uptime_acc_state *st, uptime_day_cb cb,
                   void *cb_arg)
{
    const struct uptime_day *d = &st->day;

    if (!uptime_date_valid(d->date) || !status_valid(st->status) ||
        d->day_s < 0 ||
        d->day_s != d->operational_s + d->degraded_s + d->partial_s +
                        d->major_s + d->maintenance_s + d->nodata_s) {
        return PH_EINVAL;
    }
    memset(a, 0, sizeof(*a));
    a->tz = *tz;
    a->cb = cb;
    a->cb_arg = cb_arg;
    a->st = *st;
    a->st.status = UPTIME_NODATA;
    a->daynum = days_from_date(d->date);
    a->day_end_s = day_end(tz, a->st.last_s, a->daynum);
    return 0;
}

/* Collects finished days into the caller's array. */
struct split_out {
    struct uptime_day *days;
    size_t max;
    size_t n;
    int overflow;
};

static void
split_cb(const struct uptime_day *d, void *arg)
{
    struct split_out *o = arg;

    if (o->n < o->max) {
        o->days[o->n++] = *d;
    } else {
        o->overflow = 1;
    }
}

int
uptime_split(const struct uptime_tz *tz, const struct uptime_point *pts,
             size_t n, int64_t from_ms, int64_t to_ms,
             struct uptime_day *days, size_t max_days, size_t *ret_ndays)
{
    struct split_out out = {days, max_days, 0, 0};
    struct uptime_acc a;
    int status = UPTIME_NODATA;
    size_t i;

    *ret_ndays = 0;
    if (to_ms < from_ms) {
        return PH_EINVAL;
    }
    for (i = 0; i < n; i++) {
        if (!status_valid(pts[i].status) ||
            (i > 0 && pts[i].at_ms < pts[i - 1].at_ms)) {
            return PH_EINVAL;
        }
    }
    for (i = 0; i < n && pts[i].at_ms <= from_ms; i++) {
        status = pts[i].status;
    }
    (void)uptime_acc_init(&a, tz, from_ms, status, split_cb, &out);
    for (; i < n && pts[i].at_ms < to_ms && !out.overflow; i++) {
        (void)uptime_acc_feed(&a, pts[i].at_ms, pts[i].status);
    }
    if (!out.overflow) {
        uptime_acc_advance(&a, to_ms);
    }
    if (!out.overflow && a.st.day.day_s > 0) {
        split_cb(&a.st.day, &out);
    }
    if (out.overflow) {
        return PH_ETOOBIG;
    }
    *ret_ndays = out.n;
    return 0;
}
