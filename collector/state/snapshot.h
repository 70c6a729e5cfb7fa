/*
 * snapshot.h - the input the feed renders from, taken from the hub:
 * configuration, statuses, incidents, the engine for regional detail and
 * the uptime rollups for the bars. Borrows the hub until its next change.
 */
#ifndef PH_SNAPSHOT_H
#define PH_SNAPSHOT_H

#include "feed.h"
#include "hub.h"

void snapshot_take(struct hub *h, struct feed_input *in);

#endif
