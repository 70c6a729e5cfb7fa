/*
 * test_uptime.c - per-day uptime accounting: the formula, colours, local
 * day boundaries in fixed, DST-switching and libc zones, and the
 * incremental accumulator across a simulated restart.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ph_err.h"
#include "uptime.h"

#define H 3600
#define MS(s) ((int64_t)(s) * 1000)

/* 2025-11-25T00:00:00Z and that day's midnight at +05:30. */
#define NOV25_UTC 1764028800LL
#define NOV25_IST (NOV25_UTC - 19800)

/* Berlin in 2025: +1 h, +2 h from 2025-03-30T01:00Z to 2025-10-26T01:00Z. */
#define DST_ON 1743296400LL
#define DST_OFF 1761440400LL

static int64_t
berlin_2025(int64_t at_s, void *arg)
{
    (void)arg;
    return at_s >= DST_ON && at_s < DST_OFF ? 7200 : 3600;
}

/* A zone at -3 h that springs forward at local midnight on 2025-10-05
 * (03:00Z): 00:00 local never happens that day. */
#define SKIP_AT 1759633200LL

static int64_t
midnight_skip(int64_t at_s, void *arg)
{
    (void)arg;
    return at_s >= SKIP_AT ? -2 * 3600 : -3 * 3600;
}

static void
assert_near(double got, double want)
{
    if (got < want - 1e-9 || got > want + 1e-9) {
        fail_msg("got %.12f, expected %.12f", got, want);
    }
}

static void
assert_day(const struct uptime_day *d, int32_t date, int64_t day_s,
           int64_t op, int64_t deg, int64_t part, int64_t maj, int64_t mnt,
           int64_t nod)
{
    if (d->date != date || d->day_s != day_s || d->operational_s != op ||
        d->degraded_s != deg || d->partial_s != part || d->major_s != maj ||
        d->maintenance_s != mnt || d->nodata_s != nod) {
        fail_msg("day %d: day_s %lld op %lld deg %lld part %lld maj %lld "
                 "mnt %lld nodata %lld; expected day %d: %lld %lld %lld "
                 "%lld %lld %lld %lld",
                 (int)d->date, (long long)d->day_s,
                 (long long)d->operational_s, (long long)d->degraded_s,
                 (long long)d->partial_s, (long long)d->major_s,
                 (long long)d->maintenance_s, (long long)d->nodata_s,
                 (int)date, (long long)day_s, (long long)op, (long long)deg,
                 (long long)part, (long long)maj, (long long)mnt,
                 (long long)nod);
    }
}

static void
test_percent(void **state)
{
    (void)state;
    assert_near(uptime_percent(0, 0, 86400, 0), 100.0);
    assert_near(uptime_percent(3600, 0, 86400, 0), 100.0 * (1 - 1.0 / 24));
    /* Half a day without data: 2 h partial weigh 36 min of 12 h. */
    assert_near(uptime_percent(0, 7200, 86400, 43200), 95.0);
    assert_near(uptime_percent(600, 1000, 86400, 3600),
                100.0 * (1 - 900.0 / 82800));
    assert_near(uptime_percent(86400, 0, 86400, 0), 0.0);
    /* No data at all is not "100% up". */
    assert_near(uptime_percent(0, 0, 86400, 86400), -1.0);
    assert_near(uptime_percent(0, 0, 0, 0), -1.0);
    /* A degraded or maintenance day is up: nothing to pass but zeros. */
    assert_near(uptime_percent(0, 0, 90000, 0), 100.0);
}

static void
test_colors(void **state)
{
    struct uptime_day d;

    (void)state;
    assert_string_equal(uptime_color(0.0, 1, 0), "green");
    assert_string_equal(uptime_color(0.3, 1, 0), "yellow");
    assert_string_equal(uptime_color(3599.0, 1, 0), "yellow");
    assert_string_equal(uptime_color(3600.0, 1, 0), "orange");
    assert_string_equal(uptime_color(14399.0, 1, 0), "orange");
    assert_string_equal(uptime_color(14400.0, 1, 0), "red");
    assert_string_equal(uptime_color(0.0, 0, 0), "grey");
    assert_string_equal(uptime_color(20000.0, 1, 1), "grey");
    memset(&d, 0, sizeof(d));
    d.partial_s = 10000;
    d.major_s = 600;
    assert_near(uptime_day_weighted(&d), 3600.0);
    assert_string_equal(uptime_color(uptime_day_weighted(&d), 1, 0),
                        "orange");
    d.major_s = 0;
    assert_near(uptime_day_weighted(&d), 3000.0);
    assert_string_equal(uptime_color(uptime_day_weighted(&d), 1, 0),
                        "yellow");
}

static void
test_dates(void **state)
{
    (void)state;
    assert_int_equal(uptime_date_add(20241231, 1), 20250101);
    assert_int_equal(uptime_date_add(20240228, 1), 20240229);
    assert_int_equal(uptime_date_add(20250228, 1), 20250301);
    assert_int_equal(uptime_date_add(20250301, -1), 20250228);
    assert_int_equal(uptime_date_add(20251125, -90), 20250827);
    assert_int_equal(uptime_date_add(19700101, -1), 19691231);
    assert_int_equal(uptime_date_valid(20240229), 1);
    assert_int_equal(uptime_date_valid(20250229), 0);
    assert_int_equal(uptime_date_valid(20250431), 0);
    assert_int_equal(uptime_date_valid(20251301), 0);
    assert_int_equal(uptime_date_valid(0), 0);
}

static void
test_day_boundary_ist(void **state)
{
    int64_t off = 19800;
    struct uptime_tz tz = {uptime_tz_fixed, &off};
    const struct uptime_point pts[] = {
        {MS(NOV25_IST), COMP_OPERATIONAL},
        /* Major from 23:30 to 00:30 IST: half an hour on each day. */
        {MS(NOV25_UTC + 18 * H), COMP_MAJOR},
        {MS(NOV25_UTC + 19 * H), COMP_OPERATIONAL},
    };
    struct uptime_day days[4];
    size_t n;

    (void)state;
    assert_int_equal(uptime_local_date(&tz, MS(NOV25_UTC + 18 * H + 1799)),
                     20251125);
    assert_int_equal(uptime_local_date(&tz, MS(NOV25_UTC + 18 * H + 1800)),
                     20251126);
    assert_int_equal(uptime_local_date(&tz, MS(NOV25_IST) - 1), 20251124);
    assert_int_equal(uptime_day_start_ms(&tz, 20251125), MS(NOV25_IST));
    assert_int_equal(uptime_day_start_ms(&tz, 20251126),
                     MS(NOV25_IST + 86400));

    assert_int_equal(uptime_split(&tz, pts, 3, MS(NOV25_IST),
                                  MS(NOV25_IST + 2 * 86400), days, 4, &n),
                     0);
    assert_int_equal(n, 2);
    assert_day(&days[0], 20251125, 86400, 84600, 0, 0, 1800, 0, 0);
    assert_day(&days[1], 20251126, 86400, 84600, 0, 0, 1800, 0, 0);

    /* Today so far: the last day is partial. Before the first point there
     * is no data. */
    assert_int_equal(uptime_split(&tz, pts + 1, 2, MS(NOV25_IST),
                                  MS(NOV25_IST + 86400 + 3600), days, 4,
                                  &n),
                     0);
    assert_int_equal(n, 2);
    assert_day(&days[0], 20251125, 86400, 0, 0, 0, 1800, 0, 84600);
    assert_day(&days[1], 20251126, 3600, 1800, 0, 0, 1800, 0, 0);
    assert_near(uptime_percent(days[0].major_s, days[0].partial_s,
                               days[0].day_s, days[0].nodata_s),
                0.0);

    assert_int_equal(uptime_split(&tz, pts, 3, MS(NOV25_IST),
                                  MS(NOV25_IST + 2 * 86400), days, 1, &n),
                     PH_ETOOBIG);
    assert_int_equal(n, 0);
    assert_int_equal(uptime_split(&tz, pts, 3, MS(NOV25_IST + 10),
                                  MS(NOV25_IST), days, 4, &n),
                     PH_EINVAL);
}

static void
test_dst_days(void **state)
{
    struct uptime_tz tz = {berlin_2025, NULL};
    const struct uptime_point spring[] = {
        {MS(1743202800LL), COMP_OPERATIONAL},     /* 03-29 00:00 local */
        {MS(1743368400LL), UPTIME_NODATA},        /* 03-30 23:00 local */
        {MS(1743368400LL + 2 * H), COMP_DEGRADED},/* 03-31 01:00 local */
    };
    const struct uptime_point autumn[] = {
        {MS(1761429600LL - 86400), COMP_MAINTENANCE},
        {MS(1761429600LL), COMP_PARTIAL},
    };
    struct uptime_day days[4];
    size_t n;

    (void)state;
    assert_int_equal(uptime_day_start_ms(&tz, 20250330), MS(1743289200LL));
    assert_int_equal(uptime_day_start_ms(&tz, 20250331), MS(1743372000LL));
    assert_int_equal(uptime_day_start_ms(&tz, 20251026), MS(1761429600LL));
    assert_int_equal(uptime_day_start_ms(&tz, 20251027), MS(1761519600LL));

    assert_int_equal(uptime_split(&tz, spring, 3, MS(1743202800LL),
                                  MS(1743458400LL), days, 4, &n),
                     0);
    assert_int_equal(n, 3);
    assert_day(&days[0], 20250329, 86400, 86400, 0, 0, 0, 0, 0);
    assert_day(&days[1], 20250330, 82800, 79200, 0, 0, 0, 0, 3600);
    assert_day(&days[2], 20250331, 86400, 0, 82800, 0, 0, 0, 3600);

    assert_int_equal(uptime_split(&tz, autumn, 2, MS(1761429600LL - 86400),
                                  MS(1761519600LL), days, 4, &n),
                     0);
    assert_int_equal(n, 2);
    assert_day(&days[0], 20251025, 86400, 0, 0, 0, 0, 86400, 0);
    assert_day(&days[1], 20251026, 90000, 0, 0, 90000, 0, 0, 0);
    assert_near(uptime_percent(days[1].major_s, days[1].partial_s,
                               days[1].day_s, days[1].nodata_s),
                70.0);
}

static void
test_midnight_skipped(void **state)
{
    struct uptime_tz tz = {midnight_skip, NULL};
    struct uptime_day days[4];
    size_t n;

    (void)state;
    assert_int_equal(uptime_day_start_ms(&tz, 20251004),
                     MS(SKIP_AT - 86400));
    assert_int_equal(uptime_day_start_ms(&tz, 20251005), MS(SKIP_AT));
    assert_int_equal(uptime_day_start_ms(&tz, 20251006),
                     MS(SKIP_AT + 23 * H));
    assert_int_equal(uptime_local_date(&tz, MS(SKIP_AT) - 1000), 20251004);
    assert_int_equal(uptime_local_date(&tz, MS(SKIP_AT)), 20251005);
    assert_int_equal(uptime_split(&tz, NULL, 0, MS(SKIP_AT - 86400),
                                  MS(SKIP_AT + 23 * H), days, 4, &n),
                     0);
    assert_int_equal(n, 2);
    assert_day(&days[0], 20251004, 86400, 0, 0, 0, 0, 0, 86400);
    assert_day(&days[1], 20251005, 82800, 0, 0, 0, 0, 0, 82800);
}

/* A zone that jumps from +1 h to +3 h at 23:30 local on 2025-11-25: both
 * direct guesses of the midnight miss, so the boundary is bisected. */
#define JUMP_AT (NOV25_UTC + 22 * H + 1800)

static int64_t
jump_zone(int64_t at_s, void *arg)
{
    (void)arg;
    return at_s >= JUMP_AT ? 3 * H : H;
}

static void
test_boundary_bisected(void **state)
{
    struct uptime_tz tz = {jump_zone, NULL};
    const struct uptime_point pts[] = {{MS(JUMP_AT - 60), COMP_MAJOR},
                                       {MS(JUMP_AT + 60), COMP_DEGRADED}};
    struct uptime_day days[4];
    size_t n;

    (void)state;
    assert_int_equal(uptime_day_start_ms(&tz, 20251125), MS(NOV25_UTC - H));
    assert_int_equal(uptime_day_start_ms(&tz, 20251126), MS(JUMP_AT));
    assert_int_equal(uptime_day_start_ms(&tz, 20251127),
                     MS(NOV25_UTC + 45 * H));
    assert_int_equal(uptime_split(&tz, pts, 2, MS(NOV25_UTC - H),
                                  MS(NOV25_UTC + 45 * H), days, 4, &n),
                     0);
    assert_int_equal(n, 2);
    assert_day(&days[0], 20251125, 84600, 0, 0, 0, 60, 0, 84540);
    assert_day(&days[1], 20251126, 81000, 0, 80940, 0, 60, 0, 0);
}

/* The collector's zone provider: libc with TZ set once. */
static void
test_libc_zones(void **state)
{
    struct uptime_tz tz = {uptime_tz_localtime, NULL};
    const char *old = getenv("TZ");
    char saved[128];

    (void)state;
    if (access("/usr/share/zoneinfo/Europe/Berlin", R_OK) != 0 ||
        access("/usr/share/zoneinfo/Asia/Kolkata", R_OK) != 0) {
        skip();
    }
    snprintf(saved, sizeof(saved), "%s", old != NULL ? old : "");
    setenv("TZ", "Europe/Berlin", 1);
    tzset();
    assert_int_equal(uptime_tz_localtime(DST_ON - 1, NULL), 3600);
    assert_int_equal(uptime_tz_localtime(DST_ON, NULL), 7200);
    assert_int_equal(uptime_day_start_ms(&tz, 20250330), MS(1743289200LL));
    assert_int_equal(uptime_day_start_ms(&tz, 20250331), MS(1743372000LL));
    assert_int_equal(uptime_day_start_ms(&tz, 20251027), MS(1761519600LL));
    setenv("TZ", "Asia/Kolkata", 1);
    tzset();
    assert_int_equal(uptime_day_start_ms(&tz, 20251125), MS(NOV25_IST));
    assert_int_equal(uptime_local_date(&tz, MS(NOV25_UTC + 18 * H + 1800)),
                     20251126);
    if (old != NULL) {
        setenv("TZ", saved, 1);
    } else {
        unsetenv("TZ");
    }
    tzset();
}

struct sink {
    struct uptime_day days[8];
    int n;
};

static void
on_day(const struct uptime_day *d, void *arg)
{
    struct sink *s = arg;

    assert_true(s->n < 8);
    s->days[s->n++] = *d;
}

static void
test_acc_restart(void **state)
{
    int64_t off = 0;
    struct uptime_tz tz = {uptime_tz_fixed, &off};
    struct uptime_acc a, b;
    struct uptime_acc_state ck, bad;
    struct uptime_day cur;
    struct sink before, after;
    int64_t d1 = NOV25_UTC;   /* 2025-11-25 */
    int64_t d2 = d1 + 86400;
    int64_t d3 = d2 + 86400;

    (void)state;
    memset(&before, 0, sizeof(before));
    memset(&after, 0, sizeof(after));
    assert_int_equal(uptime_acc_init(&a, &tz, MS(d1 + 10 * H) + 400,
                                     COMP_OPERATIONAL, on_day, &before),
                     0);
    assert_int_equal(uptime_acc_feed(&a, MS(d1 + 12 * H), COMP_MAJOR), 0);
    assert_int_equal(uptime_acc_feed(&a, MS(d1 + 13 * H), COMP_OPERATIONAL),
                     0);
    assert_int_equal(uptime_acc_feed(&a, MS(d1 + 13 * H), 42), PH_EINVAL);
    assert_int_equal(before.n, 0);
    uptime_acc_current(&a, &cur);
    assert_day(&cur, 20251125, 3 * H, 2 * H, 0, 0, H, 0, 0);
    /* Midnight passes: day 1 (from 10:00, the first day) is closed. */
    uptime_acc_advance(&a, MS(d2 + 6 * H));
    assert_int_equal(before.n, 1);
    assert_day(&before.days[0], 20251125, 14 * H, 13 * H, 0, 0, H, 0, 0);
    assert_near(uptime_percent(before.days[0].major_s,
                               before.days[0].partial_s,
                               before.days[0].day_s,
                               before.days[0].nodata_s),
                100.0 * (1 - 1.0 / 14));
    uptime_acc_advance(&a, MS(d2 + 6 * H)); /* no-op, no repeat */
    assert_int_equal(before.n, 1);
    uptime_acc_save(&a, &ck);
    assert_int_equal(ck.day.date, 20251126);
    assert_int_equal(ck.last_s, d2 + 6 * H);
    assert_int_equal(ck.status, COMP_OPERATIONAL);
    /* More happens after the checkpoint, then the process dies; it is
     * lost with the process. */
    assert_int_equal(uptime_acc_feed(&a, MS(d2 + 7 * H), COMP_MAJOR), 0);

    /* Restart at 08:00: the gap since the checkpoint is no data. */
    assert_int_equal(uptime_acc_restore(&b, &tz, &ck, on_day, &after), 0);
    assert_int_equal(uptime_acc_feed(&b, MS(d2 + 8 * H), COMP_PARTIAL), 0);
    assert_int_equal(uptime_acc_feed(&b, MS(d2 + 9 * H), COMP_OPERATIONAL),
                     0);
    /* A clock step back counts as no time. */
    assert_int_equal(uptime_acc_feed(&b, MS(d2 + 8 * H), COMP_DEGRADED), 0);
    uptime_acc_advance(&b, MS(d3 + 1));
    assert_int_equal(after.n, 1);
    assert_day(&after.days[0], 20251126, 86400, 6 * H, 15 * H, H, 0, 0,
               2 * H);
    uptime_acc_advance(&b, MS(d3 + 2 * 86400));
    assert_int_equal(after.n, 3);
    assert_day(&after.days[1], 20251127, 86400, 0, 86400, 0, 0, 0, 0);
    assert_day(&after.days[2], 20251128, 86400, 0, 86400, 0, 0, 0, 0);
    assert_int_equal(before.n, 1);

    /* A malformed checkpoint is refused. */
    bad = ck;
    bad.day.date = 20251132;
    assert_int_equal(uptime_acc_restore(&b, &tz, &bad, on_day, &after),
                     PH_EINVAL);
    bad = ck;
    bad.day.major_s += 1;
    assert_int_equal(uptime_acc_restore(&b, &tz, &bad, on_day, &after),
                     PH_EINVAL);
    bad = ck;
    bad.status = 9;
    assert_int_equal(uptime_acc_restore(&b, &tz, &bad, on_day, &after),
                     PH_EINVAL);
}

/* Days closed by the accumulator over a DST day, fed change by change. */
static void
test_acc_dst(void **state)
{
    struct uptime_tz tz = {berlin_2025, NULL};
    struct uptime_acc a;
    struct sink s;

    (void)state;
    memset(&s, 0, sizeof(s));
    assert_int_equal(uptime_acc_init(&a, &tz, MS(1743289200LL),
                                     COMP_OPERATIONAL, on_day, &s),
                     0);
    /* A 26 h outage from 03-30 12:00 local to 03-31 14:00 local. */
    assert_int_equal(uptime_acc_feed(&a, MS(1743289200LL + 11 * H),
                                     COMP_MAJOR),
                     0);
    assert_int_equal(uptime_acc_feed(&a, MS(1743372000LL + 14 * H),
                                     COMP_OPERATIONAL),
                     0);
    assert_int_equal(s.n, 1);
    assert_day(&s.days[0], 20250330, 82800, 11 * H, 0, 0, 12 * H, 0, 0);
    uptime_acc_advance(&a, MS(1743458400LL));
    assert_int_equal(s.n, 2);
    assert_day(&s.days[1], 20250331, 86400, 10 * H, 0, 0, 14 * H, 0, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_percent),
        cmocka_unit_test(test_colors),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_day_boundary_ist),
        cmocka_unit_test(test_dst_days),
        cmocka_unit_test(test_midnight_skipped),
        cmocka_unit_test(test_boundary_bisected),
        cmocka_unit_test(test_libc_zones),
        cmocka_unit_test(test_acc_restart),
        cmocka_unit_test(test_acc_dst),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
