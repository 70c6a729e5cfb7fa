/*
 * feed.c - Statuspage v2 JSON documents.
 *
 * Every key of the reference shape is always present (null where empty),
 * because typed clients (Go, TypeScript) expect them.
 */
#include "feed.h"
#include "feed_int.h"

#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "mem.h"
#include "ph_err.h"
#include "timefmt.h"

json_t *
feed_page_obj(const struct feed_input *in)
{
    const struct conf_page *pg = &in->conf->page;
    json_t *o = json_object();

    json_object_set_new(o, "id", json_string(pg->id));
    json_object_set_new(o, "name", json_string(pg->name));
    json_object_set_new(o, "url", ph_json_str(pg->url));
    json_object_set_new(o, "time_zone",
                        json_string(pg->time_zone ? pg->time_zone
                                                  : "Etc/UTC"));
    json_object_set_new(o, "updated_at", ph_json_time(in->now_ms));
    return o;
}

struct feed_status
feed_rollup(const enum comp_status *st, size_t n)
{
    size_t major = 0, partial = 0, degraded = 0, maint = 0;
    struct feed_status r = {"none", "All Systems Operational"};

    for (size_t i = 0; i < n; i++) {
        switch (st[i]) {
        case COMP_MAJOR:
            major++;
            break;
        case COMP_PARTIAL:
            partial++;
            break;
        case COMP_DEGRADED:
            degraded++;
            break;
        case COMP_MAINTENANCE:
            maint++;
            break;
        case COMP_OPERATIONAL:
            break;
        }
    }
    if (n == 1) {
        /* One component maps directly (Atlassian's documented rule). */
        if (major) {
            r = (struct feed_status){"critical", "Major System Outage"};
        } else if (partial) {
            r = (struct feed_status){"major", "Partial System Outage"};
        } else if (degraded) {
            r = (struct feed_status){"minor", "Partially Degraded Service"};
        } else if (maint) {
            r = (struct feed_status){"maintenance",
                                     "Service Under Maintenance"};
        }
        return r;
    }
    if (n > 0 && major == n) {
        r = (struct feed_status){"critical", "Major System Outage"};
    } else if (major > 0 || (n > 0 && partial == n)) {
        r = (struct feed_status){"major", "Partial System Outage"};
    } else if (partial > 0) {
        r = (struct feed_status){"minor", "Minor Service Outage"};
    } else if (n > 0 && degraded == n) {
        r = (struct feed_status){"minor", "Degraded System Service"};
    } else if (degraded > 0) {
        r = (struct feed_status){"minor", "Partially Degraded Service"};
    } else if (maint > 0) {
        r = (struct feed_status){"maintenance", "Service Under Maintenance"};
    }
    return r;
}

int
feed_shown(const struct feed_input *in, size_t i)
{
    return !(in->hide_internal && in->conf->components[i].internal);
}

struct feed_status
feed_page_status(const struct feed_input *in)
{
    enum comp_status st[512];
    size_t n = 0;

    for (size_t i = 0; i < in->conf->ncomponents && n < 512; i++) {
        if (feed_shown(in, i)) {
            st[n++] = in->comps[i].status;
        }
    }
    return feed_rollup(st, n);
}

static json_t *
status_obj(const struct feed_input *in)
{
    struct feed_status s = feed_page_status(in);
    json_t *o = json_object();

    json_object_set_new(o, "indicator", json_string(s.indicator));
    json_object_set_new(o, "description", json_string(s.description));
    return o;
}

json_t *
feed_component_obj(const struct feed_input *in, size_t i, int position)
{
    const struct conf_component *c = &in->conf->components[i];
    const struct feed_component_state *st = &in->comps[i];
    json_t *o = json_object();
    int64_t upd = st->updated_at_ms > 0 ? st->updated_at_ms
                                        : in->created_at_ms;

    json_object_set_new(o, "id", json_string(c->id));
    json_object_set_new(o, "name", json_string(c->name));
    json_object_set_new(o, "status",
                        json_string(comp_status_name(st->status)));
    json_object_set_new(o, "created_at", ph_json_time(in->created_at_ms));
    json_object_set_new(o, "updated_at", ph_json_time(upd));
    json_object_set_new(o, "position", json_integer(position));
    json_object_set_new(o, "description", ph_json_str(c->description));
    json_object_set_new(o, "showcase", json_boolean(c->showcase));
    json_object_set_new(o, "start_date", ph_json_str(c->start_date));
    json_object_set_new(o, "group_id", ph_json_str(c->group));
    json_object_set_new(o, "page_id", json_string(in->conf->page.id));
    json_object_set_new(o, "group", json_false());
    json_object_set_new(o, "only_show_if_degraded",
                        json_boolean(c->only_show_if_degraded));
    /* Pharos extension, ignored by Statuspage clients: the dependency
     * (depends_on) this component's outage is attributed to. */
    json_object_set_new(o, "affected_by",
                        st->affected_by[0] != '\0'
                            ? json_string(st->affected_by)
                            : json_null());
    return o;
}

/* A group row: its status is the worst of its children (maintenance only
 * when every child is under maintenance). */
static json_t *
group_obj(const struct feed_input *in, size_t g, int position)
{
    const struct conf_group *grp = &in->conf->groups[g];
    json_t *o = json_object();
    json_t *kids = json_array();
    enum comp_status worst = COMP_OPERATIONAL;
    size_t nkids = 0, nmaint = 0;
    int64_t upd = in->created_at_ms;

    for (size_t i = 0; i < in->conf->ncomponents; i++) {
        const struct conf_component *c = &in->conf->components[i];
        enum comp_status s = in->comps[i].status;

        if (c->group == NULL || strcmp(c->group, grp->id) != 0 ||
            !feed_shown(in, i)) {
            continue;
        }
        json_array_append_new(kids, json_string(c->id));
        nkids++;
        if (s == COMP_MAINTENANCE) {
            nmaint++;
        } else if (s > worst) {
            worst = s;
        }
        if (in->comps[i].updated_at_ms > upd) {
            upd = in->comps[i].updated_at_ms;
        }
    }
    if (nkids > 0 && nmaint == nkids) {
        worst = COMP_MAINTENANCE;
    }
    json_object_set_new(o, "id", json_string(grp->id));
    json_object_set_new(o, "name", json_string(grp->name));
    json_object_set_new(o, "status", json_string(comp_status_name(worst)));
    json_object_set_new(o, "created_at", ph_json_time(in->created_at_ms));
    json_object_set_new(o, "updated_at", ph_json_time(upd));
    json_object_set_new(o, "position", json_integer(position));
    json_object_set_new(o, "description", ph_json_str(grp->description));
    json_object_set_new(o, "showcase", json_false());
    json_object_set_new(o, "start_date", json_null());
    json_object_set_new(o, "group_id", json_null());
    json_object_set_new(o, "page_id", json_string(in->conf->page.id));
    json_object_set_new(o, "group", json_true());
    json_object_set_new(o, "only_show_if_degraded", json_false());
    json_object_set_new(o, "components", kids);
    return o;
}

/* Flat array in display order: top-level entries (ungrouped components
 * and groups, in file order of first appearance), each group followed by
 * its children. Positions count within the parent. */
static json_t *
components_arr(const struct feed_input *in)
{
    const struct pharos_conf *cf = in->conf;
    json_t *arr = json_array();
    int top = 0;
    unsigned char *group_done = NULL;

    if (cf->ngroups > 0) {
        group_done = ph_calloc(cf->ngroups, 1);
        if (group_done == NULL) {
            json_decref(arr);
            return NULL;
        }
    }
    for (size_t i = 0; i < cf->ncomponents; i++) {
        const struct conf_component *c = &cf->components[i];
        size_t g;

        if (!feed_shown(in, i)) {
            continue;
        }
        if (c->group == NULL) {
            json_array_append_new(arr, feed_component_obj(in, i, ++top));
            continue;
        }
        for (g = 0; g < cf->ngroups; g++) {
            if (strcmp(cf->groups[g].id, c->group) == 0) {
                break;
            }
        }
        if (g == cf->ngroups || group_done[g]) {
            continue;
        }
        group_done[g] = 1;
        json_array_append_new(arr, group_obj(in, g, ++top));
        for (size_t k = 0, pos = 0; k < cf->ncomponents; k++) {
            const struct conf_component *kc = &cf->components[k];
            if (kc->group != NULL && strcmp(kc->group, c->group) == 0 &&
                feed_shown(in, k)) {
                json_array_append_new(arr,
                                      feed_component_obj(in, k, (int)++pos));
            }
        }
    }
    ph_free(group_done);
    return arr;
}

int
feed_dump(json_t *root, char **ret, size_t *ret_len)
{
    return ph_json_dump(root, PH_JSON_LF, FEED_DOC_MAX, ret, ret_len);
}

int
feed_summary(const struct feed_input *in, char **ret, size_t *ret_len)
{
    json_t *o = json_object();

    json_object_set_new(o, "page", feed_page_obj(in));
    json_object_set_new(o, "components", components_arr(in));
    json_object_set_new(o, "incidents",
                        feed_incident_list(in, FEED_SEL_UNRESOLVED, 0));
    json_object_set_new(o, "scheduled_maintenances",
                        feed_incident_list(in, FEED_SEL_MAINT_CURRENT, 0));
    json_object_set_new(o, "status", status_obj(in));
    return feed_dump(o, ret, ret_len);
}

int
feed_status_doc(const struct feed_input *in, char **ret, size_t *ret_len)
{
    json_t *o = json_object();

    json_object_set_new(o, "page", feed_page_obj(in));
    json_object_set_new(o, "status", status_obj(in));
    return feed_dump(o, ret, ret_len);
}

int
feed_components(const struct feed_input *in, char **ret, size_t *ret_len)
{
    json_t *o = json_object();

    json_object_set_new(o, "page", feed_page_obj(in));
    json_object_set_new(o, "components", components_arr(in));
    return feed_dump(o, ret, ret_len);
}

/* null, or {"since", "failing", "checks"} while region r is in a mass
 * failure (mass_failure: its results count for no status). */
static json_t *
region_mass_failure(const struct feed_input *in, size_t r)
{
    uint32_t failing, total;
    json_t *o;

    if (in->engine == NULL || !engine_region_suspect(in->engine, (int)r)) {
        return json_null();
    }
    engine_region_counts(in->engine, (int)r, &failing, &total);
    o = json_object();
    json_object_set_new(o, "since",
                        ph_json_time(engine_region_suspect_since(in->engine,
                                                                 (int)r)));
    json_object_set_new(o, "failing", json_integer(failing));
    json_object_set_new(o, "checks", json_integer(total));
    return o;
}

/* 1 when check i is degraded or down in its verdict or in some region
 * (what a compact regions.json lists). */
static int
failing_somewhere(const struct feed_input *in, size_t i, enum verdict v)
{
    if (v == VERDICT_DEGRADED || v == VERDICT_DOWN_PARTIAL ||
        v == VERDICT_DOWN_MAJOR) {
        return 1;
    }
    for (size_t r = 0; r < in->conf->nregions; r++) {
        struct engine_region_info ri;

        if (engine_check_has_region(in->engine, (int)i, (int)r) &&
            engine_region_info(in->engine, (int)i, (int)r, &ri) == 0 &&
            (ri.state == RSTATE_DOWN || ri.state == RSTATE_DEGRADED)) {
            return 1;
        }
    }
    return 0;
}

int
feed_regions(const struct feed_input *in, char **ret, size_t *ret_len)
{
    const struct pharos_conf *cf = in->conf;
    /* Every check up to FEED_REGIONS_ALL_MAX check x region pairs; past
     * that (a document of tens of MB, rebuilt every second) only the
     * checks degraded or down somewhere. */
    int all = cf->nchecks * (cf->nregions ? cf->nregions : 1) <=
              FEED_REGIONS_ALL_MAX;
    json_t *o = json_object();
    json_t *checks = json_array();
    json_t *regions = json_array();

    for (size_t r = 0; r < cf->nregions; r++) {
        json_t *ro = json_object();
        json_object_set_new(ro, "id", json_string(cf->regions[r].id));
        json_object_set_new(ro, "name",
                            json_string(cf->regions[r].name
                                            ? cf->regions[r].name
                                            : cf->regions[r].id));
        json_object_set_new(ro, "mass_failure", region_mass_failure(in, r));
        json_array_append_new(regions, ro);
    }
    /* Component by component: a component's checks are a run of
     * cf->checks, so no lookup per check. */
    for (size_t ci = 0; ci < cf->ncomponents && in->engine != NULL; ci++) {
        const struct conf_component *cc = &cf->components[ci];

        if (!feed_shown(in, ci) || cc->checks == NULL) {
            continue;
        }
        for (size_t j = 0; j < cc->nchecks; j++) {
            const struct check *c = &cc->checks[j];
            size_t i = (size_t)(c - cf->checks);
            json_t *co, *rs;
            enum verdict v = engine_check_verdict(in->engine, (int)i);

            if (!all && !failing_somewhere(in, i, v)) {
                continue;
            }
            co = json_object();
            rs = json_array();

            json_object_set_new(co, "id", json_string(c->id));
            json_object_set_new(co, "component_id",
                                json_string(c->component_id));
            json_object_set_new(co, "type",
                                json_string(check_type_name(c->type)));
            json_object_set_new(co, "verdict",
                                json_string(verdict_name(v)));
            json_object_set_new(co, "insufficient_probes",
                                json_boolean(v == VERDICT_UNKNOWN));
            for (size_t r = 0; r < cf->nregions; r++) {
                struct engine_region_info ri;
                json_t *ro;

                if (!engine_check_has_region(in->engine, (int)i, (int)r) ||
                    engine_region_info(in->engine, (int)i, (int)r, &ri) != 0) {
                    continue;
                }
                ro = json_object();
                json_object_set_new(ro, "region",
                                    json_string(cf->regions[r].id));
                json_object_set_new(ro, "state",
                                    json_string(rstate_name(ri.state)));
                json_object_set_new(ro, "last_result",
                                    ri.last_outcome
                                        ? json_string(
                                              outcome_name(ri.last_outcome))
                                        : json_null());
                json_object_set_new(ro, "last_at", ph_json_time(ri.last_at_ms));
                json_object_set_new(ro, "since", ph_json_time(ri.since_ms));
                json_object_set_new(ro, "latency_ms",
                                    ri.last_outcome
                                        ? json_integer(ri.last_latency_ms)
                                        : json_null());
                json_object_set_new(ro, "error",
                                    ri.last_error[0]
                                        ? json_string(ri.last_error)
                                        : json_null());
                json_array_append_new(rs, ro);
            }
            json_object_set_new(co, "regions", rs);
            json_array_append_new(checks, co);
        }
    }
    json_object_set_new(o, "page", feed_page_obj(in));
    json_object_set_new(o, "regions", regions);
    json_object_set_new(o, "checks_listed",
                        json_string(all ? "all" : "failing"));
    json_object_set_new(o, "checks", checks);
    return feed_dump(o, ret, ret_len);
}

static void feed_page_brand(const struct conf_page *pg, json_t *o);

int
feed_page_doc(const struct feed_input *in, char **ret, size_t *ret_len)
{
    const struct conf_page *pg = &in->conf->page;
    json_t *o = json_object();

    json_object_set_new(o, "id", json_string(pg->id));
    json_object_set_new(o, "name", json_string(pg->name));
    json_object_set_new(o, "url", ph_json_str(pg->url));
    json_object_set_new(o, "time_zone",
                        json_string(pg->time_zone ? pg->time_zone
                                                  : "Etc/UTC"));
    json_object_set_new(o, "brand_color", ph_json_str(pg->brand_color));
    feed_page_brand(pg, o);
    return feed_dump(o, ret, ret_len);
}

/* page.json's language and branding members: the published brand files
 * (brand/...) or null, the dark accent, the links. */
static json_t *
links_json(const struct conf_link *l, size_t n)
{
    json_t *a = json_array();

    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "label", json_string(l[i].label));
        json_object_set_new(o, "url", json_string(l[i].url));
        json_array_append_new(a, o);
    }
    return a;
}

static void
feed_page_brand(const struct conf_page *pg, json_t *o)
{
    static const char *const members[CONF_BRAND_COUNT] = {
        "logo_url", "favicon_url", "css_url"};

    json_object_set_new(o, "language",
                        json_string(pg->language ? pg->language : "en"));
    json_object_set_new(o, "reader_language",
                        json_boolean(pg->reader_language));
    json_object_set_new(o, "brand_color_dark",
                        ph_json_str(pg->brand_color_dark));
    for (int i = 0; i < CONF_BRAND_COUNT; i++) {
        char url[64];
        if (pharos_conf_brand_file(pg, (enum conf_brand_file)i, url,
                                   sizeof(url)) != NULL) {
            json_object_set_new(o, members[i], json_string(url));
        } else if (i == CONF_BRAND_LOGO) {
            json_object_set_new(o, members[i], ph_json_str(pg->logo_url));
        } else {
            json_object_set_new(o, members[i], json_null());
        }
    }
    json_object_set_new(o, "header_links",
                        links_json(pg->header_links, pg->nheader_links));
    json_object_set_new(o, "footer_links",
                        links_json(pg->footer_links, pg->nfooter_links));
}

/* Whole-number precision is not enough for 99.95 %, and more than three
 * decimals is noise: round to 1/1000. */
static json_t *
jpct(double v)
{
    if (v < 0) {
        return json_null();
    }
    return json_real((double)(int64_t)(v * 1000.0 + 0.5) / 1000.0);
}

static int32_t
parse_date(const char *s)
{
    int y, m, d;

    if (s == NULL || sscanf(s, "%4d-%2d-%2d", &y, &m, &d) != 3) {
        return 0;
    }
    return y * 10000 + m * 100 + d;
}

/* Day starts by date for one render: the 90 dates are the same for
 * every component, and each is a time zone conversion. Slot k holds the
 * start of the k-th day shown (slot 90: the day after the last). */
struct day_starts {
    int32_t date[91];
    int64_t ms[91];
};

static int64_t
day_start(struct day_starts *c, const struct uptime_tz *tz, int slot,
          int32_t date)
{
    if (c->date[slot] != date) {
        c->date[slot] = date;
        c->ms[slot] = uptime_day_start_ms(tz, date);
    }
    return c->ms[slot];
}

int
feed_uptime(const struct feed_input *in, char **ret, size_t *ret_len)
{
    struct day_starts ds;
    const struct pharos_conf *cf = in->conf;
    json_t *o = json_object();
    json_t *comps = json_array();
    struct uptime_day days[90];
    size_t near[FEED_DAY_INCIDENTS_MAX], nnear;

    memset(&ds, 0, sizeof(ds)); /* no date is 0 */
    for (size_t i = 0; i < cf->ncomponents && in->days != NULL; i++) {
        const struct conf_component *cc = &cf->components[i];
        int32_t start = parse_date(cc->start_date);
        json_t *co = json_object();
        json_t *arr = json_array();
        double weighted = 0;
        int64_t counted = 0;

        if (!feed_shown(in, i)) {
            json_decref(co);
            json_decref(arr);
            continue;
        }
        if (in->days(in->days_arg, (int)i, days) != 0) {
            json_decref(co);
            json_decref(arr);
            continue;
        }
        /* The incidents of this component within the 90 days, found once:
         * each day then looks only at these. */
        nnear = in->tz == NULL ? 0
                : feed_component_incidents(
                      in, cc->id, day_start(&ds, in->tz, 0, days[0].date),
                      in->now_ms + 1, near, FEED_DAY_INCIDENTS_MAX);
        for (int k = 0; k < 90; k++) {
            const struct uptime_day *d = &days[k];
            int before = start != 0 && d->date < start;
            int has_data = !before && d->day_s - d->nodata_s > 0;
            double w = uptime_day_weighted(d);
            json_t *dj = json_object();
            char date[16];

            snprintf(date, sizeof(date), "%04d-%02d-%02d", d->date / 10000,
                     d->date / 100 % 100, d->date % 100);
            json_object_set_new(dj, "date", json_string(date));
            json_object_set_new(
                dj, "uptime",
                has_data ? jpct(uptime_percent(d->major_s, d->partial_s,
                                               d->day_s, d->nodata_s))
                         : json_null());
            json_object_set_new(dj, "day_s", json_integer(d->day_s));
            json_object_set_new(dj, "major_s", json_integer(d->major_s));
            json_object_set_new(dj, "partial_s", json_integer(d->partial_s));
            json_object_set_new(dj, "degraded_s",
                                json_integer(d->degraded_s));
            json_object_set_new(dj, "maintenance_s",
                                json_integer(d->maintenance_s));
            json_object_set_new(dj, "nodata_s",
                                json_integer(before ? d->day_s
                                                    : d->nodata_s));
            json_object_set_new(dj, "color",
                                json_string(uptime_color(w, has_data,
                                                         before)));
            if (in->tz != NULL) {
                int64_t from = day_start(&ds, in->tz, k, d->date);
                json_object_set_new(
                    dj, "incidents",
                    feed_day_incidents(
                        in, near, nnear, from,
                        day_start(&ds, in->tz, k + 1,
                                  uptime_date_add(d->date, 1))));
            } else {
                json_object_set_new(dj, "incidents", json_array());
            }
            json_array_append_new(arr, dj);
            if (has_data) {
                weighted += w;
                counted += d->day_s - d->nodata_s;
            }
        }
        json_object_set_new(co, "id", json_string(cc->id));
        json_object_set_new(co, "name", json_string(cc->name));
        json_object_set_new(co, "showcase", json_boolean(cc->showcase));
        json_object_set_new(
            co, "uptime_90d",
            counted > 0 ? jpct(100.0 * (1.0 - weighted / (double)counted))
                        : json_null());
        json_object_set_new(co, "days", arr);
        json_array_append_new(comps, co);
    }
    json_object_set_new(o, "page", feed_page_obj(in));
    json_object_set_new(o, "components", comps);
    return feed_dump(o, ret, ret_len);
}

static json_t *
component_v1(const struct feed_input *in, size_t i)
{
    json_t *o = feed_component_obj(in, i, in->conf->components[i].position);

    json_object_set_new(o, "automation_email", json_null());
    return o;
}

int
feed_component_v1(const struct feed_input *in, int component, char **ret,
                  size_t *ret_len)
{
    if (component < 0 || (size_t)component >= in->conf->ncomponents) {
        return PH_EINVAL;
    }
    return feed_dump(component_v1(in, (size_t)component), ret, ret_len);
}

int
feed_component_v2(const struct feed_input *in, int component, char **ret,
                  size_t *ret_len)
{
    if (component < 0 || (size_t)component >= in->conf->ncomponents) {
        return PH_EINVAL;
    }
    return feed_dump(feed_component_obj(in, (size_t)component,
                                        in->conf->components[component]
                                            .position),
                     ret, ret_len);
}

int
feed_components_v1(const struct feed_input *in, char **ret, size_t *ret_len)
{
    json_t *arr = json_array();

    for (size_t i = 0; i < in->conf->ncomponents; i++) {
        json_array_append_new(arr, component_v1(in, i));
    }
    return feed_dump(arr, ret, ret_len);
}

int
feed_badge(const struct feed_input *in, int component, char **ret,
           size_t *ret_len)
{
    static const struct {
        const char *text;
        const char *color;
    } look[] = {
        [COMP_OPERATIONAL] = {"operational", "#2ecc71"},
        [COMP_DEGRADED] = {"degraded", "#f1c40f"},
        [COMP_PARTIAL] = {"partial outage", "#e67e22"},
        [COMP_MAJOR] = {"major outage", "#e74c3c"},
        [COMP_MAINTENANCE] = {"maintenance", "#3498db"},
    };
    const char *label, *text, *color;
    struct buf b;
    int lw, rw;
    int rc;

    if (component >= 0) {
        enum comp_status st;
        if ((size_t)component >= in->conf->ncomponents) {
            return PH_EINVAL;
        }
        st = in->comps[component].status;
        label = in->conf->components[component].name;
        text = look[st].text;
        color = look[st].color;
    } else {
        struct feed_status fs = feed_page_status(in);
        label = in->conf->page.name;
        text = fs.description;
        color = strcmp(fs.indicator, "none") == 0       ? "#2ecc71"
                : strcmp(fs.indicator, "minor") == 0    ? "#f1c40f"
                : strcmp(fs.indicator, "major") == 0    ? "#e67e22"
                : strcmp(fs.indicator, "critical") == 0 ? "#e74c3c"
                                                        : "#3498db";
    }
    /* Width from character count: no font metrics in a daemon. */
    lw = 10 + 7 * (int)(strlen(label) > 40 ? 40 : strlen(label));
    rw = 10 + 7 * (int)strlen(text);
    buf_init(&b, 8192);
    buf_printf(&b,
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
               "height=\"20\" role=\"img\" aria-label=\"",
               lw + rw);
    buf_append_html(&b, label);
    buf_appends(&b, ": ");
    buf_append_html(&b, text);
    buf_printf(&b,
               "\"><rect width=\"%d\" height=\"20\" fill=\"#555\"/>"
               "<rect x=\"%d\" width=\"%d\" height=\"20\" fill=\"%s\"/>"
               "<g fill=\"#fff\" font-family=\"Verdana,sans-serif\" "
               "font-size=\"11\"><text x=\"5\" y=\"14\">",
               lw, lw, rw, color);
    buf_append_html(&b, label);
    buf_printf(&b, "</text><text x=\"%d\" y=\"14\">", lw + 5);
    buf_append_html(&b, text);
    rc = buf_appends(&b, "</text></g></svg>\n");
    if (rc != 0) {
        buf_free(&b);
        return rc;
    }
    *ret = buf_steal(&b, ret_len);
    return *ret == NULL ? PH_ENOMEM : 0;
}
