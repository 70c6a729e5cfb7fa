/*
 * snapshot.c - the feed's view of the hub (snapshot.h).
 */
#include "snapshot.h"

#include <string.h>

#include "rollup.h"
#include "timefmt.h"

static int
days_of(void *arg, int component, struct uptime_day out[90])
{
    struct hub *h = arg;

    return rollup_days(h->rollup, h, component, time_now_ms(), out);
}

void
snapshot_take(struct hub *h, struct feed_input *in)
{
    memset(in, 0, sizeof(*in));
    in->conf = &h->conf;
    in->days = h->rollup != NULL ? days_of : NULL;
    in->days_arg = h;
    in->comps = h->comps;
    in->engine = h->engine;
    in->now_ms = time_now_ms();
    in->created_at_ms = h->created_at_ms;
    in->incidents = h->incidents;
    in->tz = h->rollup != NULL ? rollup_tz(h->rollup) : NULL;
    in->nincidents = h->nincidents;
}
