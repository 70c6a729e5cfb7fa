/*
 * alert_map.h - alerts to component statuses: pure logic, no I/O, no
 * clock reads (time is passed in), no JSON.
 *
 * Alertmanager sends the whole current state of an alert group in every
 * notification, so the map keeps, per group key, what the group's firing
 * alerts currently say: for each component the worst status a firing
 * alert maps to (the first rule whose labels all match decides an
 * alert's component and status; alerts that match no rule are ignored).
 * A component's alert-driven status is the worst over all groups, and
 * operational when no group holds it. Replacing a group with the same
 * alerts changes nothing, so duplicate deliveries are harmless.
 *
 * Groups without firing mapped alerts are dropped, so the map holds at
 * most max_groups groups, each with at most one entry per component.
 *
 * Ownership: rules (and the strings they point to) are borrowed and must
 * outlive the map; alert_map_update() copies what it keeps of its
 * arguments. Not thread-safe: one loop.
 */
#ifndef PH_ALERT_MAP_H
#define PH_ALERT_MAP_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"

#define ALERT_LABELS_MAX 64        /* labels per alert */
#define ALERT_LABEL_NAME_MAX 128   /* bytes in a label name */
#define ALERT_LABEL_VALUE_MAX 1024 /* bytes in a label value */
#define ALERT_GROUP_KEY_MAX 2048   /* bytes in a group key */

struct alert_label {
    const char *name;
    const char *value;
};

/* One alert of a notification. */
struct alert {
    int firing;                        /* 0: resolved */
    const struct alert_label *labels;
    size_t nlabels;
};

/* A rule: every matcher (name = value) must be among the labels. */
struct alert_rule {
    const struct alert_label *match;
    size_t nmatch;
    int component;                     /* index of the component */
    enum comp_status status;           /* COMP_DEGRADED .. COMP_MAJOR */
};

/* What a group says about one component. */
struct alert_entry {
    int component;
    enum comp_status status;
};

struct alert_map;

/* Returns a new, empty map for ncomponents components, or NULL when out
 * of memory. rules are borrowed. */
struct alert_map *alert_map_new(size_t ncomponents,
                                const struct alert_rule *rules,
                                size_t nrules, size_t max_groups);
/* Accepts NULL. */
void alert_map_destroy(struct alert_map *m);

/* Index of the first rule matching a, or -1. */
int alert_map_match(const struct alert_map *m, const struct alert *a);

/*
 * Replaces the state of group key with the mapping of alerts[0..n) (the
 * group's whole current state) at now_ms. *ret_mapped (may be NULL) gets
 * the number of alerts that matched a rule, firing or not.
 * Returns 1 when the group's state changed, 0 when it did not, PH_EINVAL
 * for an empty or overlong key, PH_ETOOBIG when the group is new and
 * max_groups groups are already held, PH_ENOMEM.
 */
int alert_map_update(struct alert_map *m, const char *key,
                     const struct alert *alerts, size_t n, int64_t now_ms,
                     size_t *ret_mapped);

/* Sets a group's state directly (restore after a restart or a reload);
 * entries with a bad component or status are skipped, an empty result
 * removes the group. Returns like alert_map_update(). */
int alert_map_set_group(struct alert_map *m, const char *key,
                        const struct alert_entry *entries, size_t n,
                        int64_t now_ms);

/* Removes groups last updated before now_ms - ttl_ms. Returns how many. */
size_t alert_map_expire(struct alert_map *m, int64_t now_ms, int64_t ttl_ms);

/* The alert-driven status of component (COMP_OPERATIONAL if none). */
enum comp_status alert_map_status(const struct alert_map *m, int component);
/* Fills out[0..ncomponents) with every component's status at once. */
void alert_map_statuses(const struct alert_map *m, enum comp_status *out);

/* Groups held, and the i-th one's key and entries (borrowed until the
 * next change of the map), for persistence. */
size_t alert_map_ngroups(const struct alert_map *m);
const char *alert_map_group(const struct alert_map *m, size_t i,
                            const struct alert_entry **ret_entries,
                            size_t *ret_n);

#endif
