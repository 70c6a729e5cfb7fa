/*
 * feed.h - the public Statuspage v2 documents and Pharos extensions,
 * rendered with jansson (json.h) from a snapshot of the collector's
 * state, and the incident and component objects the API and the
 * notifications reuse. Everything leaves as text. No I/O: callers hand
 * the bytes to publish.c or a reply.
 *
 * Field names, order and enums follow
 * shared/reference/statuspage-format.md sections 1 and 7.
 */
#ifndef PH_FEED_H
#define PH_FEED_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "incident.h"
#include "pharos_conf.h"
#include "publish.h"
#include "uptime.h"

/* The largest document rendered (what publish.c accepts). */
#define FEED_DOC_MAX PUBLISH_MAX_DOC_BYTES

struct feed_component_state {
    enum comp_status status;
    int64_t updated_at_ms;
    int unknown;            /* insufficient probes behind the status */
    /* The id of the dependency its outage is attributed to, "" when
     * none (depends_on; the engine's engine_component_affected_by()). */
    char affected_by[CHECK_ID_MAX];
};

/* Fills the last 90 local days of component (oldest first). */
typedef int (*feed_days_cb)(void *arg, int component,
                            struct uptime_day out[90]);

struct feed_input {
    const struct pharos_conf *conf;
    feed_days_cb days;                        /* may be NULL */
    void *days_arg;
    const struct feed_component_state *comps; /* conf->ncomponents entries */
    const struct engine *engine;              /* for regions.json; may be NULL */
    int64_t now_ms;
    int64_t created_at_ms;                    /* page creation (first start) */
    const struct incident *incidents;         /* newest first; may be NULL */
    size_t nincidents;
    const struct uptime_tz *tz;               /* page zone; may be NULL */
    int hide_internal;   /* leave out components marked internal (the
                            documents of a public page) */
};

/* 1 when in's documents show component i (not hidden as internal). */
int feed_shown(const struct feed_input *in, size_t i);

struct feed_status {
    const char *indicator;     /* none|minor|major|critical|maintenance */
    const char *description;
};

/* The page rollup from component statuses (blend rules of section 1.4). */
struct feed_status feed_rollup(const enum comp_status *statuses, size_t n);
/* The rollup of in's components (what status.json says). */
struct feed_status feed_page_status(const struct feed_input *in);

/* Each renders one document (JSON ends with a newline); returns 0 and a
 * new NUL-terminated buffer in *ret (free with ph_free), PH_ENOMEM or
 * PH_ETOOBIG (over FEED_DOC_MAX). */
int feed_summary(const struct feed_input *in, char **ret, size_t *ret_len);
int feed_status_doc(const struct feed_input *in, char **ret,
                    size_t *ret_len);
int feed_components(const struct feed_input *in, char **ret,
                    size_t *ret_len);
/* incidents.json and friends; which = "all", "unresolved", "resolved". */
int feed_incidents(const struct feed_input *in, const char *which,
                   char **ret, size_t *ret_len);
/* which = "all", "upcoming", "active". */
int feed_maintenances(const struct feed_input *in, const char *which,
                      char **ret, size_t *ret_len);
/* v1 incidents (drafts included): one, or a bare array selected by which:
 * "all", "unresolved", "upcoming", "scheduled", "active_maintenance". */
int feed_incident_v1(const struct feed_input *in, const struct incident *inc,
                     char **ret, size_t *ret_len);
int feed_incidents_v1(const struct feed_input *in, const char *which,
                      char **ret, size_t *ret_len);
/* One page (from 1, limit entries) of that array, only the incidents
 * whose name contains q (borrowed; NULL or "" for all). */
int feed_incidents_v1_page(const struct feed_input *in, const char *which,
                           const char *q, long limit, long page, char **ret,
                           size_t *ret_len);
/* The v1 object of inc's update update_id (borrowed); PH_ENOENT when inc
 * has no such update. */
int feed_incident_update_v1(const struct feed_input *in,
                            const struct incident *inc,
                            const char *update_id, char **ret,
                            size_t *ret_len);
/* The v1 object of inc with only its newest max_updates updates (the
 * webhook notification's "incident"). */
int feed_incident_webhook(const struct feed_input *in,
                          const struct incident *inc, size_t max_updates,
                          char **ret, size_t *ret_len);
/* regions.json lists every check up to this many check x region pairs,
 * else only the checks degraded or down somewhere (checks_listed). */
#define FEED_REGIONS_ALL_MAX 60000
int feed_regions(const struct feed_input *in, char **ret, size_t *ret_len);
int feed_page_doc(const struct feed_input *in, char **ret, size_t *ret_len);
/* The v1 (management API) component objects: the v2 fields plus
 * automation_email. One component, or the bare array of all of them. */
int feed_component_v1(const struct feed_input *in, int component, char **ret,
                      size_t *ret_len);
int feed_components_v1(const struct feed_input *in, char **ret,
                       size_t *ret_len);
/* The v2 object of one component (as in components.json). */
int feed_component_v2(const struct feed_input *in, int component,
                      char **ret, size_t *ret_len);
/* badge/<id>.svg: "<name> | <status>" in the status colour; component
 * -1 is the page's overall status. */
int feed_badge(const struct feed_input *in, int component, char **ret,
               size_t *ret_len);
/* uptime.json: 90 daily entries per component with the 90-day figure. */
int feed_uptime(const struct feed_input *in, char **ret, size_t *ret_len);

#endif
