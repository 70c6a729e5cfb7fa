/*
 * metrics.h - /metrics in the Prometheus text exposition format.
 */
#ifndef PH_METRICS_H
#define PH_METRICS_H

#include "buf.h"
#include "collector.h"

/* Appends every metric of c to out. Returns 0 or PH_E* (buffer cap). */
int metrics_render(const struct collector *c, struct buf *out);

#endif
