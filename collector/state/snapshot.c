/*
 * snapshot.c - the feed's view of the hub (snapshot.h).
 */
#include "snapshot.h"

#include <string.h>

#include "engine.h"
#include "incident.h"
#include "mem.h"
#include "ph_err.h"
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

struct snapshot {
    struct feed_input in;
    struct pharos_conf conf; /* shallow: what it points to is borrowed */
    struct feed_component_state *comps;
    struct engine *engine;
    struct incident *incidents;
    size_t nincidents;
    struct uptime_tz tz;
    size_t ncomps;
    struct uptime_day (*days)[90]; /* per component, read at the copy */
    int *days_rc;
};

/* The days read when the snapshot was taken. */
static int
copied_days(void *arg, int component, struct uptime_day out[90])
{
    const struct snapshot *s = arg;

    if (component < 0 || (size_t)component >= s->ncomps) {
        return PH_EINVAL;
    }
    if (s->days_rc[component] != 0) {
        return s->days_rc[component];
    }
    memcpy(out, s->days[component], sizeof(s->days[component]));
    return 0;
}

int
snapshot_copy(struct hub *h, int days, struct snapshot **ret)
{
    struct snapshot *s = ph_calloc(1, sizeof(*s));
    size_t nc = h->conf.ncomponents;
    int result = PH_ENOMEM;

    if (s == NULL) {
        goto out;
    }
    snapshot_take(h, &s->in);
    s->conf = h->conf;
    s->in.conf = &s->conf;
    s->ncomps = nc;
    s->comps = ph_calloc(nc + 1, sizeof(*s->comps));
    s->incidents = ph_calloc(h->nincidents + 1, sizeof(*s->incidents));
    if (s->comps == NULL || s->incidents == NULL) {
        goto out;
    }
    memcpy(s->comps, h->comps, nc * sizeof(*s->comps));
    for (size_t i = 0; i < h->nincidents; i++) {
        if (incident_copy(&s->incidents[i], &h->incidents[i]) != 0) {
            goto out;
        }
        s->nincidents = i + 1;
    }
    if (h->engine != NULL) {
        s->engine = engine_clone(h->engine);
        if (s->engine == NULL) {
            goto out;
        }
    }
    if (!days) {
        s->in.days = NULL;
    } else if (s->in.days != NULL) {
        s->days = ph_calloc(nc + 1, sizeof(*s->days));
        s->days_rc = ph_calloc(nc + 1, sizeof(*s->days_rc));
        if (s->days == NULL || s->days_rc == NULL) {
            goto out;
        }
        for (size_t i = 0; i < nc; i++) {
            s->days_rc[i] = s->in.days(s->in.days_arg, (int)i, s->days[i]);
        }
        s->in.days = copied_days;
        s->in.days_arg = s;
    }
    if (s->in.tz != NULL) {
        s->tz = *s->in.tz;
        s->in.tz = &s->tz;
    }
    s->in.comps = s->comps;
    s->in.engine = s->engine;
    s->in.incidents = s->incidents;
    s->in.nincidents = s->nincidents;
    *ret = s;
    s = NULL;
    result = 0;
out:
    snapshot_free(s);
    return result;
}

const struct feed_input *
snapshot_input(const struct snapshot *s)
{
    return &s->in;
}

void
snapshot_free(struct snapshot *s)
{
    if (s == NULL) {
        return;
    }
    for (size_t i = 0; i < s->nincidents; i++) {
        incident_free(&s->incidents[i]);
    }
    ph_free(s->incidents);
    ph_free(s->comps);
    engine_destroy(s->engine);
    ph_free(s->days);
    ph_free(s->days_rc);
    ph_free(s);
}
