/*
 * uptime.h - per component, per local day accounting of status time
 * (ARCHITECTURE.md "Uptime"). Pure: no I/O, no clock reads, no globals.
 *
 * Time is split into days of the page's time zone. The zone is a callback
 * giving the UTC offset at an instant, so tests can use fixed or
 * DST-switching zones; the collector uses uptime_tz_localtime() after
 * setting TZ once at startup. Days of 23 h and 25 h (DST) come out as such.
 * Accounting has one-second resolution: instants are floored to seconds.
 *
 * Statuses in timelines are enum comp_status values (engine.h) or
 * UPTIME_NODATA (collector down, or no quorum). Degraded and maintenance
 * time count as up; no-data time is left out of the denominator.
 *
 * Not thread-safe; a struct uptime_acc belongs to one loop.
 */
#ifndef PH_UPTIME_H
#define PH_UPTIME_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"

#define UPTIME_NODATA (-1)

/* The page's zone: returns the offset in seconds to add to UTC to get
 * local time at unix time at_s (e.g. 19800 for +05:30). Must be a pure
 * function of at_s for the lifetime of the users. */
struct uptime_tz {
    int64_t (*utc_offset_s)(int64_t at_s, void *arg);
    void *arg;                 /* borrowed, passed to utc_offset_s */
};

/* Offset of the process's local zone (localtime_r, tm_gmtoff): the
 * collector sets TZ and calls tzset() once at startup. arg unused. */
int64_t uptime_tz_localtime(int64_t at_s, void *arg);
/* A fixed offset: arg points to an int64_t holding the offset. */
int64_t uptime_tz_fixed(int64_t at_s, void *arg);

/* Seconds per status within one local day. */
struct uptime_day {
    int32_t date;              /* local date as YYYYMMDD */
    int64_t day_s;             /* seconds of the day accounted: a full day
                                * is 86400, 82800 or 90000 s; the first
                                * and the current day may be shorter */
    int64_t operational_s;
    int64_t degraded_s;
    int64_t partial_s;
    int64_t major_s;
    int64_t maintenance_s;
    int64_t nodata_s;
};

/* A status change: status holds from at_ms until the next point. */
struct uptime_point {
    int64_t at_ms;
    int status;                /* enum comp_status or UPTIME_NODATA */
};

/* 100 x (1 - (major + 0.3 x partial) / (day - nodata)), within [0, 100];
 * -1 when there is no data (day - nodata <= 0). */
double uptime_percent(int64_t major_s, int64_t partial_s, int64_t day_s,
                      int64_t nodata_s);
/* major_s + 0.3 x partial_s of d. */
double uptime_day_weighted(const struct uptime_day *d);
/* Day bar colour: "grey" without data or before the component's
 * start_date; else "green" for no weighted downtime, "yellow" under 1 h,
 * "orange" under 4 h, "red" beyond. Returns a static string. */
const char *uptime_color(double weighted_downtime_s, int has_data,
                         int before_start);

/* Local date (YYYYMMDD) of the instant at_ms. */
int32_t uptime_local_date(const struct uptime_tz *tz, int64_t at_ms);
/* Unix ms at which local date begins (its midnight, or the instant the
 * day begins when a DST change skips midnight). */
int64_t uptime_day_start_ms(const struct uptime_tz *tz, int32_t date);
/* date plus days (may be negative), in the proleptic Gregorian calendar. */
int32_t uptime_date_add(int32_t date, int days);
/* 1 if date is a valid YYYYMMDD between years 1 and 9999. */
int uptime_date_valid(int32_t date);

/*
 * Splits the timeline pts (n points in time order; borrowed) over
 * [from_ms, to_ms) into local days, written to days[0..max_days). Before
 * the first point, and before from_ms when no point precedes it, the
 * status is UPTIME_NODATA. The last day is partial when to_ms is not a
 * day boundary. Returns 0 with *ret_ndays set, PH_EINVAL for unordered
 * points, a bad status or to_ms < from_ms, PH_ETOOBIG when more than
 * max_days days are needed.
 */
int uptime_split(const struct uptime_tz *tz, const struct uptime_point *pts,
                 size_t n, int64_t from_ms, int64_t to_ms,
                 struct uptime_day *days, size_t max_days,
                 size_t *ret_ndays);

/*
 * Incremental rollup: fed status changes in time order, it calls cb once
 * with each local day as that day ends, so the caller can persist every
 * finished day exactly once. Its state is a plain struct the caller may
 * store (uptime_acc_save) and load after a restart (uptime_acc_restore).
 */
typedef void (*uptime_day_cb)(const struct uptime_day *d, void *arg);

/* The persistable checkpoint. */
struct uptime_acc_state {
    struct uptime_day day;     /* the open day so far */
    int64_t last_s;            /* time accounted up to (unix s) */
    int32_t status;            /* status since last_s */
};

struct uptime_acc {
    struct uptime_tz tz;
    struct uptime_acc_state st;
    int64_t daynum;            /* open day, days since 1970-01-01 local */
    int64_t day_end_s;         /* first instant of the next day */
    uptime_day_cb cb;
    void *cb_arg;
};

/* Starts accounting at start_ms with status. tz and cb_arg are borrowed
 * for the life of a. Returns 0 or PH_EINVAL (bad status). */
int uptime_acc_init(struct uptime_acc *a, const struct uptime_tz *tz,
                    int64_t start_ms, int status, uptime_day_cb cb,
                    void *cb_arg);
/* Status becomes status at at_ms: the time since the last change is
 * accounted to the previous status, and every day that ended by at_ms is
 * passed to cb. An at_ms earlier than the last one (a clock step back)
 * counts as the last one. Returns 0 or PH_EINVAL (bad status). */
int uptime_acc_feed(struct uptime_acc *a, int64_t at_ms, int status);
/* Accounts up to now_ms without a change (closes finished days). */
void uptime_acc_advance(struct uptime_acc *a, int64_t now_ms);
/* The open day so far. */
void uptime_acc_current(const struct uptime_acc *a, struct uptime_day *ret);
void uptime_acc_save(const struct uptime_acc *a,
                     struct uptime_acc_state *ret);
/* Resumes from a checkpoint after a restart. The status between the
 * checkpoint and the next uptime_acc_feed() is unknown (the collector was
 * down), so it counts as UPTIME_NODATA. The zone should be the one of the
 * checkpoint. Returns 0 or PH_EINVAL for a malformed state. */
int uptime_acc_restore(struct uptime_acc *a, const struct uptime_tz *tz,
                       const struct uptime_acc_state *st, uptime_day_cb cb,
                       void *cb_arg);

#endif
