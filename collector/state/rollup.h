/*
 * rollup.h - keeps each component's daily uptime (uptime.c) fed from the
 * engine's statuses and persisted in the store: closed days and the open
 * day's checkpoint are written together, every minute and whenever a day
 * closes, so a restart neither loses nor double-counts a day. Time the
 * collector was down, or a component had no quorum, counts as no data.
 * Loop thread only.
 */
#ifndef PH_ROLLUP_H
#define PH_ROLLUP_H

#include <stdint.h>

#include "uptime.h"

#define ROLLUP_DAYS 90

struct hub;
struct rollup;

/* Restores or starts every component's accounting at now_ms. */
int rollup_new(struct hub *h, int64_t now_ms, struct rollup **ret);
/* The same after a reload of h's configuration: the components old
 * (borrowed; destroy it after) accounted for keep their accounting from
 * memory, since its latest checkpoint may still be on its way to the
 * database (store_async.h); the others are read from the store. */
int rollup_renew(const struct rollup *old, struct hub *h, int64_t now_ms,
                 struct rollup **ret);
/* Accepts NULL. With checkpoints still being written (PostgreSQL) it is
 * freed by the last one's callback. */
void rollup_destroy(struct rollup *r);

/* Feeds the current statuses (after an evaluation) and persists when due
 * (force: now). */
void rollup_observe(struct rollup *r, struct hub *h, int64_t now_ms,
                    int force);

/* The last ROLLUP_DAYS local days of component (oldest first, today
 * last, partial); days without a stored row are all no-data. */
int rollup_days(struct rollup *r, struct hub *h, int component,
                int64_t now_ms, struct uptime_day out[ROLLUP_DAYS]);

/* The zone of the page, for callers that format dates. */
const struct uptime_tz *rollup_tz(const struct rollup *r);

#endif
