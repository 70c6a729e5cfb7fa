/*
 * snapshot.h - the input the feed renders from, taken from the hub:
 * configuration, statuses, incidents, the engine for regional detail and
 * the uptime rollups for the bars.
 *
 * snapshot_take() borrows the hub until its next change: for rendering
 * on the loop thread. snapshot_copy() copies what changes while the
 * loop runs (statuses, incidents, the engine, the 90 days of every
 * component) so another thread can render from it. The configuration
 * is copied shallow: its strings and arrays stay borrowed, so a reload
 * keeps the configuration it replaces until such a render has finished
 * (collector_reload(), collector_conf_retire()).
 */
#ifndef PH_SNAPSHOT_H
#define PH_SNAPSHOT_H

#include "feed.h"
#include "hub.h"

void snapshot_take(struct hub *h, struct feed_input *in);

struct snapshot;

/* Loop thread. days: with the 90 days of every component (uptime.json
 * only: most of the copy's time and memory on a large page); without,
 * the input has no days. Returns 0 and a new snapshot in *ret, or
 * PH_ENOMEM. */
int snapshot_copy(struct hub *h, int days, struct snapshot **ret);
/* The snapshot's feed input, valid until snapshot_free(); any thread. */
const struct feed_input *snapshot_input(const struct snapshot *s);
/* Accepts NULL; any thread. */
void snapshot_free(struct snapshot *s);

#endif
