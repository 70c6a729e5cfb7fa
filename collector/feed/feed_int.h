/*
 * feed_int.h - pieces the feed's files share (feed.c: components, page,
 * uptime; feed_incidents.c: incidents and maintenance). Only the feed's
 * own files include it: trees (ph_json, json.h) pass between them here,
 * and leave the feed as text through feed.h.
 */
#ifndef PH_FEED_INT_H
#define PH_FEED_INT_H

#include "feed.h"
#include "json.h"

/* The `page` object of every v2 document. */
ph_json *feed_page_obj(const struct feed_input *in);
/* A v2 component object (component index i). */
ph_json *feed_component_obj(const struct feed_input *in, size_t i,
                            int position);
/* Serialises root (taken; NULL gives PH_ENOMEM) compactly with a final
 * newline into a new buffer (ph_free) of at most FEED_DOC_MAX bytes.
 * Returns 0, PH_ENOMEM or PH_ETOOBIG. */
int feed_dump(ph_json *root, char **ret, size_t *ret_len);

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
ph_json *feed_incident_list(const struct feed_input *in, enum feed_sel sel,
                            int v1);
ph_json *feed_incident_obj(const struct feed_input *in,
                           const struct incident *inc, int v1);
/* The published incidents naming component that overlap [from_ms,
 * to_ms): their indices in in->incidents go to ret (at most max), newest
 * first. Returns the count. */
size_t feed_component_incidents(const struct feed_input *in,
                                const char *component, int64_t from_ms,
                                int64_t to_ms, size_t *ret, size_t max);
/* {id, name, impact} of those of the n incidents idx[] that overlap
 * [from_ms, to_ms). */
ph_json *feed_day_incidents(const struct feed_input *in, const size_t *idx,
                            size_t n, int64_t from_ms, int64_t to_ms);

#endif
