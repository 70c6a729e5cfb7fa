/*
 * feed_int.h - pieces the feed's files share (feed.c: components, page,
 * uptime; feed_incidents.c: incidents and maintenance). jansson stays
 * inside collector/feed*.c and api_v1*.c.
 */
#ifndef PH_FEED_INT_H
#define PH_FEED_INT_H

#include <jansson.h>

#include "feed.h"

/* ISO 8601 time, or null for ms <= 0. */
json_t *feed_jtime(int64_t ms);
/* A string, or null for NULL. */
json_t *feed_jstr(const char *s);
/* The `page` object of every v2 document. */
json_t *feed_page_obj(const struct feed_input *in);
/* A v2 component object (component index i). */
json_t *feed_component_obj(const struct feed_input *in, size_t i,
                           int position);
/* Serialises root compactly into a new buffer and releases root. */
int feed_dump(json_t *root, char **ret, size_t *ret_len);

/* Incidents listed in one component's 90 days of uptime.json. */
#define FEED_DAY_INCIDENTS_MAX 256

enum feed_sel {
    FEED_SEL_INCIDENTS,        /* realtime incidents, newest 50 */
    FEED_SEL_UNRESOLVED,       /* investigating, identified, monitoring */
    FEED_SEL_RESOLVED,         /* resolved, postmortem; newest 50 */
    FEED_SEL_MAINT_ALL,        /* maintenances, newest 50 */
    FEED_SEL_MAINT_UPCOMING,   /* scheduled */
    FEED_SEL_MAINT_ACTIVE,     /* in_progress, verifying */
    FEED_SEL_MAINT_CURRENT,    /* upcoming and active (summary.json) */
    FEED_SEL_ALL,              /* both kinds (v1 list) */
};

/* The selected incidents as an array of v2 objects (v1 = 0, drafts left
 * out) or v1 objects (v1 = 1, drafts included). */
json_t *feed_incident_list(const struct feed_input *in, enum feed_sel sel,
                           int v1);
json_t *feed_incident_obj(const struct feed_input *in,
                          const struct incident *inc, int v1);
/* The published incidents naming component that overlap [from_ms,
 * to_ms): their indices in in->incidents go to ret (at most max), newest
 * first. Returns the count. */
size_t feed_component_incidents(const struct feed_input *in,
                                const char *component, int64_t from_ms,
                                int64_t to_ms, size_t *ret, size_t max);
/* {id, name, impact} of those of the n incidents idx[] that overlap
 * [from_ms, to_ms). */
json_t *feed_day_incidents(const struct feed_input *in, const size_t *idx,
                           size_t n, int64_t from_ms, int64_t to_ms);

#endif
