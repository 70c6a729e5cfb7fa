/*
 * metrics.h - /metrics in the Prometheus text exposition format.
 */
#ifndef PH_METRICS_H
#define PH_METRICS_H

#include "buf.h"
#include "hub.h"

/* Reads what /metrics shows from the store (stale agents, the outbox
 * backlog) into h->metrics: at once on sqlite; on PostgreSQL on the
 * writer thread, so the scrape shows the values of the read before
 * (the loop never waits for the database). One read at a time. */
void metrics_refresh(struct hub *h);

/* Appends every metric of c to out. Returns 0 or PH_E* (buffer cap). */
int metrics_render(const struct hub *h, struct buf *out);

/* Route names, indexed by enum http_route. */
const char *metrics_route_name(int route);

#endif
