/*
 * feed_incidents.c - incidents and scheduled maintenance as Statuspage v2
 * (public) and v1 (management) JSON; see
 * shared/reference/statuspage-format.md sections 1.6, 1.7, 2.4 and 3.3.
 * Drafts are never public.
 */
#include <stdio.h>
#include <string.h>

#include "feed_int.h"
#include "mem.h"
#include "ph_err.h"

#define FEED_LIST_MAX 50

static json_t *
shortlink(const struct feed_input *in, const struct incident *inc)
{
    char link[1024];
    const char *url = in->conf->page.url;

    if (url == NULL || url[0] == '\0') {
        return json_null();
    }
    snprintf(link, sizeof(link), "%s%s#incident-%s", url,
             url[strlen(url) - 1] == '/' ? "" : "/", inc->id);
    return json_string(link);
}

static json_t *
update_obj(const struct feed_input *in, const struct incident *inc,
           const struct inc_update *u, int v1)
{
    json_t *o = json_object();
    json_t *aff = u->naffected > 0 ? json_array() : json_null();

    for (size_t i = 0; i < u->naffected; i++) {
        const struct inc_affected *a = &u->affected[i];
        int idx = pharos_conf_component_index(in->conf, a->code);
        json_t *ao;

        if (idx >= 0 && !feed_shown(in, (size_t)idx)) {
            continue;
        }
        ao = json_object();

        json_object_set_new(ao, "code", json_string(a->code));
        json_object_set_new(ao, "name",
                            json_string(idx >= 0
                                            ? in->conf->components[idx].name
                                            : a->code));
        json_object_set_new(ao, "old_status",
                            json_string(comp_status_name(a->old_status)));
        json_object_set_new(ao, "new_status",
                            json_string(comp_status_name(a->new_status)));
        json_array_append_new(aff, ao);
    }
    json_object_set_new(o, "id", json_string(u->id));
    json_object_set_new(o, "status", json_string(inc_status_name(u->status)));
    json_object_set_new(o, "body", json_string(u->body));
    json_object_set_new(o, "incident_id", json_string(inc->id));
    json_object_set_new(o, "created_at", ph_json_time(u->created_ms));
    json_object_set_new(o, "updated_at", ph_json_time(u->updated_ms));
    json_object_set_new(o, "display_at", ph_json_time(u->display_ms));
    json_object_set_new(o, "affected_components", aff);
    json_object_set_new(o, "deliver_notifications",
                        json_boolean(u->deliver));
    if (u->next_update_ms > 0) {
        /* Pharos: the time this update promised the next one by. */
        json_object_set_new(o, "next_update_at",
                            ph_json_time(u->next_update_ms));
    }
    json_object_set_new(o, "custom_tweet", json_null());
    json_object_set_new(o, "tweet_id", json_null());
    if (v1) {
        json_object_set_new(o, "wants_twitter_update", json_false());
        json_object_set_new(o, "twitter_updated_at", json_null());
    }
    return o;
}

json_t *
feed_incident_obj(const struct feed_input *in, const struct incident *inc,
                  int v1)
{
    json_t *o = json_object();
    json_t *ups = json_array();
    json_t *comps = json_array();
    int maint = inc->kind == INC_MAINTENANCE;

    for (size_t i = inc->nupdates; i-- > 0;) {   /* newest first */
        json_array_append_new(ups, update_obj(in, inc, &inc->updates[i], v1));
    }
    for (size_t i = 0; i < inc->ncomponents; i++) {
        int idx = pharos_conf_component_index(in->conf, inc->components[i]);
        if (idx >= 0 && feed_shown(in, (size_t)idx)) {
            json_array_append_new(
                comps, feed_component_obj(in, (size_t)idx,
                                          in->conf->components[idx].position));
        }
    }
    json_object_set_new(o, "id", json_string(inc->id));
    json_object_set_new(o, "name", json_string(inc->name));
    json_object_set_new(o, "status", json_string(inc_status_name(inc->status)));
    json_object_set_new(o, "created_at", ph_json_time(inc->created_ms));
    json_object_set_new(o, "updated_at", ph_json_time(inc->updated_ms));
    json_object_set_new(o, "monitoring_at", ph_json_time(inc->monitoring_ms));
    json_object_set_new(o, "resolved_at", ph_json_time(inc->resolved_ms));
    json_object_set_new(o, "impact",
                        json_string(inc_impact_name(incident_impact(inc))));
    json_object_set_new(o, "shortlink", shortlink(in, inc));
    json_object_set_new(o, "started_at", ph_json_time(inc->started_ms));
    json_object_set_new(o, "page_id", json_string(in->conf->page.id));
    json_object_set_new(o, "incident_updates", ups);
    json_object_set_new(o, "components", comps);
    if (maint || v1) {
        json_object_set_new(o, "scheduled_for",
                            ph_json_time(inc->scheduled_for_ms));
        json_object_set_new(o, "scheduled_until",
                            ph_json_time(inc->scheduled_until_ms));
    }
    if (!v1) {
        return o;
    }
    if (incident_update_overdue(inc, in->conf->update_every_ms,
                                in->now_ms)) {
        /* Pharos, for responders: no update within the cadence. */
        json_object_set_new(o, "update_overdue", json_true());
    }
    json_object_set_new(o, "postmortem_ignored", json_false());
    json_object_set_new(o, "postmortem_body", json_null());
    json_object_set_new(o, "postmortem_body_last_updated_at", json_null());
    /* A time or null; never the boolean of the OAS (see 2.4). */
    json_object_set_new(o, "postmortem_published_at", json_null());
    json_object_set_new(o, "postmortem_notified_subscribers", json_false());
    json_object_set_new(o, "postmortem_notified_twitter", json_false());
    json_object_set_new(o, "backfilled", json_false());
    json_object_set_new(o, "scheduled_remind_prior",
                        json_boolean(inc->remind_prior_min > 0));
    json_object_set_new(o, "scheduled_reminded_at",
                        ph_json_time(inc->reminded_ms));
    json_object_set_new(o, "impact_override",
                        inc->impact_override >= 0
                            ? json_string(inc_impact_name(
                                  (enum inc_impact)inc->impact_override))
                            : json_null());
    json_object_set_new(o, "scheduled_auto_in_progress",
                        json_boolean(maint && inc->auto_in_progress));
    json_object_set_new(o, "scheduled_auto_completed",
                        json_boolean(maint && inc->auto_completed));
    json_object_set_new(o, "metadata", json_object());
    /* Pharos extensions. */
    json_object_set_new(o, "draft", json_boolean(inc->draft));
    json_object_set_new(o, "auto_opened", json_boolean(inc->auto_opened));
    json_object_set_new(o, "scheduled_remind_prior_minutes",
                        json_integer(inc->remind_prior_min));
    return o;
}

static int
selected(const struct incident *inc, enum feed_sel sel)
{
    int maint = inc->kind == INC_MAINTENANCE;

    switch (sel) {
    case FEED_SEL_INCIDENTS:
        return !maint;
    case FEED_SEL_UNRESOLVED:
        return !maint && inc_status_unresolved(inc->status);
    case FEED_SEL_RESOLVED:
        return !maint && !inc_status_unresolved(inc->status);
    case FEED_SEL_MAINT_ALL:
        return maint;
    case FEED_SEL_MAINT_UPCOMING:
        return maint && inc->status == INC_SCHEDULED;
    case FEED_SEL_MAINT_ACTIVE:
        return incident_maintenance_active(inc);
    case FEED_SEL_MAINT_CURRENT:
        return maint && (inc->status == INC_SCHEDULED ||
                         incident_maintenance_active(inc));
    case FEED_SEL_ALL:
        return 1;
    }
    return 0;
}

json_t *
feed_incident_list(const struct feed_input *in, enum feed_sel sel, int v1)
{
    json_t *arr = json_array();
    size_t n = 0;
    /* Lists of current things are complete; history lists are capped. */
    int capped = sel == FEED_SEL_INCIDENTS || sel == FEED_SEL_RESOLVED ||
                 sel == FEED_SEL_MAINT_ALL || sel == FEED_SEL_ALL;
    size_t cap = v1 ? 100 : FEED_LIST_MAX;

    for (size_t i = 0; i < in->nincidents; i++) {
        const struct incident *inc = &in->incidents[i];

        if ((inc->draft && !v1) || !selected(inc, sel)) {
            continue;
        }
        if (capped && n >= cap) {
            break;
        }
        json_array_append_new(arr, feed_incident_obj(in, inc, v1));
        n++;
    }
    return arr;
}

static int
overlaps(const struct feed_input *in, const struct incident *inc,
         int64_t from_ms, int64_t to_ms)
{
    int64_t end = inc->resolved_ms > 0 ? inc->resolved_ms : in->now_ms;

    return inc->started_ms < to_ms && end >= from_ms;
}

size_t
feed_component_incidents(const struct feed_input *in, const char *component,
                         int64_t from_ms, int64_t to_ms, size_t *ret,
                         size_t max)
{
    size_t n = 0;

    for (size_t i = 0; i < in->nincidents && n < max; i++) {
        const struct incident *inc = &in->incidents[i];

        if (!inc->draft && inc->kind == INC_REALTIME &&
            overlaps(in, inc, from_ms, to_ms) &&
            incident_names_component(inc, component)) {
            ret[n++] = i;
        }
    }
    return n;
}

json_t *
feed_day_incidents(const struct feed_input *in, const size_t *idx, size_t n,
                   int64_t from_ms, int64_t to_ms)
{
    json_t *arr = json_array();

    for (size_t k = 0; k < n; k++) {
        const struct incident *inc = &in->incidents[idx[k]];
        json_t *o;

        if (!overlaps(in, inc, from_ms, to_ms)) {
            continue;
        }
        o = json_object();
        json_object_set_new(o, "id", json_string(inc->id));
        json_object_set_new(o, "name", json_string(inc->name));
        json_object_set_new(o, "impact",
                            json_string(inc_impact_name(incident_impact(inc))));
        json_array_append_new(arr, o);
    }
    return arr;
}

static int
doc(const struct feed_input *in, const char *key, enum feed_sel sel,
    char **ret, size_t *ret_len)
{
    json_t *o = json_object();

    json_object_set_new(o, "page", feed_page_obj(in));
    json_object_set_new(o, key, feed_incident_list(in, sel, 0));
    return feed_dump(o, ret, ret_len);
}

int
feed_incidents(const struct feed_input *in, const char *which, char **ret,
               size_t *ret_len)
{
    enum feed_sel sel = strcmp(which, "unresolved") == 0 ? FEED_SEL_UNRESOLVED
                        : strcmp(which, "resolved") == 0 ? FEED_SEL_RESOLVED
                                                         : FEED_SEL_INCIDENTS;

    return doc(in, "incidents", sel, ret, ret_len);
}

int
feed_maintenances(const struct feed_input *in, const char *which, char **ret,
                  size_t *ret_len)
{
    enum feed_sel sel = strcmp(which, "upcoming") == 0 ? FEED_SEL_MAINT_UPCOMING
                        : strcmp(which, "active") == 0 ? FEED_SEL_MAINT_ACTIVE
                                                       : FEED_SEL_MAINT_ALL;

    return doc(in, "scheduled_maintenances", sel, ret, ret_len);
}

int
feed_incident_v1(const struct feed_input *in, const struct incident *inc,
                 char **ret, size_t *ret_len)
{
    return feed_dump(feed_incident_obj(in, inc, 1), ret, ret_len);
}

/* The which names of feed_incidents_v1(). */
static enum feed_sel
v1_sel(const char *which)
{
    if (strcmp(which, "unresolved") == 0) {
        return FEED_SEL_UNRESOLVED;
    }
    if (strcmp(which, "upcoming") == 0) {
        return FEED_SEL_MAINT_UPCOMING;
    }
    if (strcmp(which, "scheduled") == 0) {
        return FEED_SEL_MAINT_ALL;
    }
    if (strcmp(which, "active_maintenance") == 0) {
        return FEED_SEL_MAINT_ACTIVE;
    }
    return FEED_SEL_ALL;
}

int
feed_incidents_v1(const struct feed_input *in, const char *which, char **ret,
                  size_t *ret_len)
{
    return feed_dump(feed_incident_list(in, v1_sel(which), 1), ret,
                     ret_len);
}

int
feed_incidents_v1_page(const struct feed_input *in, const char *which,
                       const char *q, long limit, long page, char **ret,
                       size_t *ret_len)
{
    json_t *all = feed_incident_list(in, v1_sel(which), 1);
    json_t *out = json_array();
    json_t *v;
    long skip = (page - 1) * limit, n = 0;
    size_t i;

    json_array_foreach(all, i, v) {
        const char *name = json_string_value(json_object_get(v, "name"));

        if (q != NULL && q[0] != '\0' &&
            (name == NULL || strstr(name, q) == NULL)) {
            continue;
        }
        if (skip > 0) {
            skip--;
            continue;
        }
        if (n++ >= limit) {
            break;
        }
        json_array_append(out, v);
    }
    json_decref(all);
    return feed_dump(out, ret, ret_len);
}

int
feed_incident_update_v1(const struct feed_input *in,
                        const struct incident *inc, const char *update_id,
                        char **ret, size_t *ret_len)
{
    json_t *obj = feed_incident_obj(in, inc, 1);
    json_t *ups = json_object_get(obj, "incident_updates");
    json_t *one = NULL;
    size_t i;

    if (obj == NULL) {
        return PH_ENOMEM;
    }
    json_array_foreach(ups, i, one) {
        const char *id = json_string_value(json_object_get(one, "id"));

        if (id != NULL && strcmp(id, update_id) == 0) {
            break;
        }
    }
    if (one == NULL) {
        json_decref(obj);
        return PH_ENOENT;
    }
    json_incref(one);
    json_decref(obj);
    return feed_dump(one, ret, ret_len);
}

int
feed_incident_webhook(const struct feed_input *in,
                      const struct incident *inc, size_t max_updates,
                      char **ret, size_t *ret_len)
{
    json_t *o = feed_incident_obj(in, inc, 1);
    json_t *ups = json_object_get(o, "incident_updates");

    /* Overdue is for responders (API, pharosctl, staff reminders), not
     * for the public subscribers this payload goes to. */
    json_object_del(o, "update_overdue");
    while (json_is_array(ups) && json_array_size(ups) > max_updates) {
        json_array_remove(ups, json_array_size(ups) - 1);
    }
    return feed_dump(o, ret, ret_len);
}
