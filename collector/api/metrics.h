/*
 * metrics.h - /metrics in the Prometheus text exposition format.
 */
#ifndef PH_METRICS_H
#define PH_METRICS_H

#include "buf.h"
#include "hub.h"

/* Appends every metric of c to out. Returns 0 or PH_E* (buffer cap). */
int metrics_render(const struct hub *h, struct buf *out);

/* The bounded set of status codes counted per route: the slot of code,
 * and the code of a slot (0 for "other"). */
int metrics_code_slot(int code);
int metrics_slot_code(int slot);
/* Route names, indexed by enum http_route. */
const char *metrics_route_name(int route);

#endif
