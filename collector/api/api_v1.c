#include "api_v1.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_body.h"
#include "auth.h"
#include "deferred.h"
#include "feed.h"
#include "json.h"
#include "log.h"
#include "mem.h"
#include "ph_err.h"
#include "rollup.h"
#include "store.h"
#include "timefmt.h"
#include "snapshot.h"

#define V1_BODY_FIELD_MAX 256

/* Reads field of the "component" object (JSON, or a Rails form such as
 * component[status]=major_outage; see api_body.h). Returns 1 and the text
 * (JSON null gives ""), 0 if absent, -1 on a malformed body. */
static int
component_field(struct http_request *req, const char *field, char *out,
                size_t outlen)
{
    size_t len;
    const char *body = (const char *)http_req_body(req, &len);
    char err[160];
    json_t *doc = NULL, *obj, *v;
    int found = 0;

    if (api_body_parse(body, len, &doc, err, sizeof(err)) != 0) {
        return -1;
    }
    obj = json_object_get(doc, "component");
    if (!json_is_object(obj)) {
        obj = doc; /* some SDKs send the fields unwrapped */
    }
    v = json_object_get(obj, field);
    if (json_is_string(v)) {
        snprintf(out, outlen, "%s", json_string_value(v));
        found = 1;
    } else if (json_is_null(v)) {
        out[0] = '\0';
        found = 1;
    }
    json_decref(doc);
    return found;
}

/* ---- helpers ---- */

static void
take_text(struct http_response *resp, int status, char *text, size_t len,
          int rc)
{
    if (rc != 0) {
        http_resp_error(resp, 500, "internal", ph_strerror(rc));
        return;
    }
    http_resp_take(resp, status, "application/json", (uint8_t *)text, len);
}

static void reply_component(struct api_req *rq, struct http_request *req,
                            struct http_response *resp);

/* Sets or clears the override; the reply is rendered after the
 * evaluation it asks for, so it shows the status it caused. */
static void
patch_component(struct api_req *rq, struct http_request *req,
                struct http_response *resp, int idx)
{
    struct hub *h = rq->h;
    const char *who = rq->actor;
    const char *cid = h->conf.components[idx].id;
    char status[V1_BODY_FIELD_MAX], until_s[V1_BODY_FIELD_MAX];
    int64_t until = 0;
    int has_status, has_until, s;

    has_status = component_field(req, "status", status, sizeof(status));
    has_until = component_field(req, "override_until", until_s,
                                sizeof(until_s));
    if (has_status < 0 || has_until < 0) {
        http_resp_error(resp, 400, "bad_request", "malformed JSON body");
        return;
    }
    if (has_status == 0) {
        http_resp_error(resp, 422, "unprocessable_entity",
                        "component[status] is required (Pharos derives "
                        "the other fields from its configuration)");
        return;
    }
    if (has_until == 1 && until_s[0] != '\0' &&
        (time_parse_iso8601(until_s, &until) != 0 ||
         until <= time_now_ms())) {
        http_resp_error(resp, 422, "unprocessable_entity",
                        "override_until must be an ISO 8601 time in the "
                        "future");
        return;
    }
    if (status[0] == '\0') {
        hub_set_override(h, idx, -1, 0);
        log_info("api: %s cleared the override of %s", who, cid);
    } else {
        s = comp_status_parse(status);
        if (s < 0) {
            char msg[160];
            snprintf(msg, sizeof(msg),
                     "status must be operational, degraded_performance, "
                     "partial_outage, major_outage or under_maintenance");
            http_resp_error(resp, 422, "unprocessable_entity", msg);
            return;
        }
        hub_set_override(h, idx, s, until);
        log_info("api: %s set %s to %s (manual override)", who, cid, status);
    }
    hub_request_evaluate(h);
    route_reply_after(rq, reply_component, 200, NULL);
}

static void
uptime_v1(struct hub *h, struct http_request *req,
          struct http_response *resp, int idx)
{
    struct uptime_day days[ROLLUP_DAYS];
    const char *start_q = http_req_query(req, "start");
    const char *end_q = http_req_query(req, "end");
    int64_t now = time_now_ms();
    int32_t from = 0, to = 99999999;
    int64_t major = 0, partial = 0, span = 0, nodata = 0;
    int32_t first = 0, last = 0;
    json_t *o, *warn;
    char iso[32];
    int64_t ms;

    if ((start_q != NULL && time_parse_iso8601(start_q, &ms) != 0) ||
        (end_q != NULL && time_parse_iso8601(end_q, &ms) != 0)) {
        http_resp_error(resp, 400, "bad_request",
                        "start and end must be dates (YYYY-MM-DD)");
        return;
    }
    if (start_q != NULL) {
        from = (int32_t)strtol(start_q, NULL, 10) * 10000 +
               (int32_t)strtol(start_q + 5, NULL, 10) * 100 +
               (int32_t)strtol(start_q + 8, NULL, 10);
    }
    if (end_q != NULL) {
        to = (int32_t)strtol(end_q, NULL, 10) * 10000 +
             (int32_t)strtol(end_q + 5, NULL, 10) * 100 +
             (int32_t)strtol(end_q + 8, NULL, 10);
    }
    if (rollup_days(h->rollup, h, idx, now, days) != 0) {
        http_resp_error(resp, 500, "internal", "cannot read uptime");
        return;
    }
    for (int i = 0; i < ROLLUP_DAYS; i++) {
        if (days[i].date < from || days[i].date > to) {
            continue;
        }
        if (first == 0) {
            first = days[i].date;
        }
        last = days[i].date;
        major += days[i].major_s;
        partial += days[i].partial_s;
        span += days[i].day_s;
        nodata += days[i].nodata_s;
    }
    o = json_object();
    warn = json_array();
    json_object_set_new(o, "id", json_string(h->conf.components[idx].id));
    json_object_set_new(o, "name",
                        json_string(h->conf.components[idx].name));
    snprintf(iso, sizeof(iso), "%04d-%02d-%02d", first / 10000,
             first / 100 % 100, first % 100);
    json_object_set_new(o, "range_start",
                        first ? json_string(iso) : json_null());
    snprintf(iso, sizeof(iso), "%04d-%02d-%02d", last / 10000,
             last / 100 % 100, last % 100);
    json_object_set_new(o, "range_end", last ? json_string(iso) : json_null());
    if (span - nodata > 0) {
        double pct = uptime_percent(major, partial, span, nodata);
        json_object_set_new(o, "uptime_percentage",
                            json_real((double)(int64_t)(pct * 100 + 0.5) /
                                      100.0));
    } else {
        json_object_set_new(o, "uptime_percentage", json_null());
    }
    json_object_set_new(o, "major_outage", json_integer(major));
    json_object_set_new(o, "partial_outage", json_integer(partial));
    if (nodata > 0) {
        json_array_append_new(
            warn, json_string("time without data (collector down or no "
                              "quorum) is left out of the percentage"));
    }
    if (start_q != NULL || end_q != NULL) {
        json_array_append_new(warn,
                              json_string("only the last 90 days are kept "
                                          "at daily resolution"));
    }
    json_object_set_new(o, "warnings", warn);
    json_object_set_new(o, "related_events", json_array());
    route_reply_json(resp, 200, 0, o);
}

struct trans_ctx {
    json_t *arr;
    size_t n;
};

static int
trans_row(const struct store_transition_row *row, void *arg)
{
    struct trans_ctx *t = arg;
    json_t *o = json_object();
    char iso[ISO8601_MAX];

    time_iso8601(row->at_ms, iso);
    json_object_set_new(o, "at", json_string(iso));
    json_object_set_new(o, "old_status", json_string(row->old_status));
    json_object_set_new(o, "new_status", json_string(row->new_status));
    json_object_set_new(o, "source", json_string(row->source));
    json_object_set_new(o, "reason", json_string(row->reason));
    json_array_append_new(t->arr, o);
    /* Bounded: the newest 1000 are enough for a human or a script. */
    if (++t->n > 1000) {
        json_array_remove(t->arr, 0);
    }
    return 0;
}

/* The parameters of the lists read off the loop (deferred_list()): the
 * rows become JSON on the writer thread. */
struct trans_query {
    char component[CHECK_ID_MAX];
    int64_t since;
};

struct audit_query {
    int64_t before;
    size_t limit;
};

static int
transitions_fill(struct store *db, json_t *arr, const void *ctx)
{
    const struct trans_query *q = ctx;
    struct trans_ctx t = {arr, 0};

    return store_list_transitions(db, q->component, q->since, trans_row,
                                  &t);
}

static int audit_row(const struct store_audit_row *row, void *arg);

static int
audit_fill(struct store *db, json_t *arr, const void *ctx)
{
    const struct audit_query *q = ctx;

    return store_audit_list(db, q->before, q->limit, audit_row, arr);
}

static void
transitions_v1(struct api_req *rq, struct http_request *req,
               struct http_response *resp, int idx)
{
    const char *since_q = http_req_query(req, "since");
    int64_t since = 0;
    struct trans_query q;

    if (since_q != NULL && time_parse_iso8601(since_q, &since) != 0) {
        http_resp_error(resp, 400, "bad_request",
                        "since must be an ISO 8601 time");
        return;
    }
    memset(&q, 0, sizeof(q));
    snprintf(q.component, sizeof(q.component), "%s",
             rq->h->conf.components[idx].id);
    q.since = since;
    deferred_list(rq, req, resp, json_array(), transitions_fill, &q,
                  sizeof(q), "cannot read transitions");
}

/* GET /v1/pages/<id>: the page profile (fields Pharos has; the rest of
 * Statuspage's profile is null or false). */
static void
page_v1(struct hub *h, struct http_response *resp)
{
    const struct conf_page *pg = &h->conf.page;
    json_t *o = json_object();

    json_object_set_new(o, "id", json_string(pg->id));
    json_object_set_new(o, "created_at", ph_json_time(h->created_at_ms));
    json_object_set_new(o, "updated_at", ph_json_time(time_now_ms()));
    json_object_set_new(o, "name", json_string(pg->name));
    json_object_set_new(o, "page_description", json_null());
    json_object_set_new(o, "headline", json_null());
    json_object_set_new(o, "branding", json_string("basic"));
    json_object_set_new(o, "subdomain", json_null());
    json_object_set_new(o, "domain", json_null());
    json_object_set_new(o, "url", ph_json_str(pg->url));
    json_object_set_new(o, "support_url", json_null());
    json_object_set_new(o, "hidden_from_search", json_false());
    json_object_set_new(o, "allow_page_subscribers", json_true());
    json_object_set_new(o, "allow_incident_subscribers", json_false());
    json_object_set_new(o, "allow_email_subscribers", json_true());
    json_object_set_new(o, "allow_sms_subscribers", json_false());
    json_object_set_new(o, "allow_rss_atom_feeds", json_true());
    json_object_set_new(o, "allow_webhook_subscribers", json_true());
    json_object_set_new(o, "notifications_from_email", json_null());
    json_object_set_new(o, "notifications_email_footer", json_null());
    json_object_set_new(o, "activity_score", json_integer(0));
    json_object_set_new(o, "twitter_username", json_null());
    json_object_set_new(o, "viewers_must_be_team_members", json_false());
    json_object_set_new(o, "ip_restrictions", json_null());
    json_object_set_new(o, "city", json_null());
    json_object_set_new(o, "state", json_null());
    json_object_set_new(o, "country", json_null());
    json_object_set_new(o, "time_zone",
                        json_string(pg->time_zone ? pg->time_zone
                                                  : "Etc/UTC"));
    json_object_set_new(o, "css_body_background_color",
                        ph_json_str(pg->brand_color));
    route_reply_json(resp, 200, 0, o);
}

json_t *
api_v1_group_obj(struct hub *h, size_t g)
{
    const struct conf_group *grp = &h->conf.groups[g];
    json_t *o = json_object();
    json_t *ids = json_array();

    for (size_t i = 0; i < h->conf.ncomponents; i++) {
        const struct conf_component *cc = &h->conf.components[i];
        if (cc->group != NULL && strcmp(cc->group, grp->id) == 0) {
            json_array_append_new(ids, json_string(cc->id));
        }
    }
    json_object_set_new(o, "id", json_string(grp->id));
    json_object_set_new(o, "page_id", json_string(h->conf.page.id));
    json_object_set_new(o, "name", json_string(grp->name));
    json_object_set_new(o, "description", ph_json_str(grp->description));
    json_object_set_new(o, "components", ids);
    json_object_set_new(o, "position", json_integer((json_int_t)g + 1));
    json_object_set_new(o, "created_at", ph_json_time(h->created_at_ms));
    json_object_set_new(o, "updated_at", ph_json_time(h->created_at_ms));
    return o;
}

/* GET component-groups[/<id>]. */
static void
groups_v1(struct hub *h, struct http_response *resp, const char *id)
{
    json_t *arr;

    if (id != NULL) {
        for (size_t g = 0; g < h->conf.ngroups; g++) {
            if (strcmp(h->conf.groups[g].id, id) == 0) {
                route_reply_json(resp, 200, 0, api_v1_group_obj(h, g));
                return;
            }
        }
        http_resp_error(resp, 404, "not_found", "no such component group");
        return;
    }
    arr = json_array();
    for (size_t g = 0; g < h->conf.ngroups; g++) {
        json_array_append_new(arr, api_v1_group_obj(h, g));
    }
    route_reply_json(resp, 200, 0, arr);
}

static int
audit_row(const struct store_audit_row *row, void *arg)
{
    json_t *arr = arg;
    json_t *o = json_object();
    char iso[ISO8601_MAX];

    time_iso8601(row->at_ms, iso);
    json_object_set_new(o, "id", json_integer(row->id));
    json_object_set_new(o, "at", json_string(iso));
    json_object_set_new(o, "actor", json_string(row->actor));
    json_object_set_new(o, "action", json_string(row->action));
    json_object_set_new(o, "target", json_string(row->target));
    json_object_set_new(o, "detail", json_string(row->detail));
    json_object_set_new(o, "status", json_integer(row->status));
    json_array_append_new(arr, o);
    return 0;
}

static void
audit_v1(struct api_req *rq, struct http_request *req,
         struct http_response *resp)
{
    const char *bq = http_req_query(req, "before");
    const char *lq = http_req_query(req, "limit");
    long long before = bq != NULL ? strtoll(bq, NULL, 10) : 0;
    long limit = lq != NULL ? strtol(lq, NULL, 10) : 100;
    struct audit_query q;

    if (limit < 1 || limit > 1000 || before < 0) {
        http_resp_error(resp, 400, "bad_request",
                        "limit must be 1 to 1000, before an entry id");
        return;
    }
    q.before = before;
    q.limit = (size_t)limit;
    deferred_list(rq, req, resp, json_array(), audit_fill, &q, sizeof(q),
                  "cannot read the audit log");
}

/* The component named by the route's first parameter, or -1 after a
 * 404. */
static int
component_param(struct api_req *rq, struct http_response *resp)
{
    int idx = pharos_conf_component_index(&rq->h->conf, rq->param[0]);

    if (idx < 0) {
        http_resp_error(resp, 404, "not_found", "no such component");
    }
    return idx;
}

static void
reply_component(struct api_req *rq, struct http_request *req,
                struct http_response *resp)
{
    struct feed_input in;
    char *text = NULL;
    size_t len = 0;
    int idx = component_param(rq, resp);
    int rc;

    (void)req;
    if (idx < 0) {
        return;
    }
    snapshot_take(rq->h, &in);
    /* The document first: the order in which a call's arguments are
     * evaluated is unspecified, and clang's would pass text still NULL. */
    rc = feed_component_v1(&in, idx, &text, &len);
    take_text(resp, 200, text, len, rc);
}

/* The components list is read far more often than it changes (a
 * dashboard polling it): rendered once per change of the state it shows
 * (hub->feed_gen), and at least every V1_CACHE_MAX_MS whatever happens,
 * then copied into each reply. */
#define V1_CACHE_MAX_MS 1000

void
api_v1_components(struct api_req *rq, struct http_request *req,
                  struct http_response *resp)
{
    struct hub *h = rq->h;
    struct hub_doc_cache *dc = &h->v1_components;
    int64_t now = time_mono_ms();
    struct feed_input in;
    char *text = NULL;
    size_t len = 0;
    int rc;

    (void)req;
    if (dc->text == NULL || dc->gen != h->feed_gen ||
        now - dc->at_ms >= V1_CACHE_MAX_MS || now < dc->at_ms) {
        snapshot_take(h, &in);
        rc = feed_components_v1(&in, &text, &len);
        if (rc != 0) {
            take_text(resp, 200, text, len, rc);
            return;
        }
        ph_free(dc->text);
        dc->text = text;
        dc->len = len;
        dc->gen = h->feed_gen;
        dc->at_ms = now;
    }
    /* Borrowed: http.c copies it into the reply as soon as this handler
     * returns, on the loop, before anything can render a new list. */
    resp->status = 200;
    resp->content_type = "application/json";
    resp->static_body = (const uint8_t *)dc->text;
    resp->body_len = dc->len;
}

void
api_v1_component(struct api_req *rq, struct http_request *req,
                 struct http_response *resp)
{
    reply_component(rq, req, resp);
}

void
api_v1_component_patch(struct api_req *rq, struct http_request *req,
                       struct http_response *resp)
{
    int idx = component_param(rq, resp);

    if (idx >= 0) {
        patch_component(rq, req, resp, idx);
    }
}

void
api_v1_component_uptime(struct api_req *rq, struct http_request *req,
                        struct http_response *resp)
{
    int idx = component_param(rq, resp);

    if (idx >= 0) {
        uptime_v1(rq->h, req, resp, idx);
    }
}

void
api_v1_component_transitions(struct api_req *rq, struct http_request *req,
                             struct http_response *resp)
{
    int idx = component_param(rq, resp);

    if (idx >= 0) {
        transitions_v1(rq, req, resp, idx);
    }
}

void
api_v1_page(struct api_req *rq, struct http_request *req,
            struct http_response *resp)
{
    (void)req;
    page_v1(rq->h, resp);
}

void
api_v1_groups(struct api_req *rq, struct http_request *req,
              struct http_response *resp)
{
    (void)req;
    groups_v1(rq->h, resp, NULL);
}

void
api_v1_group(struct api_req *rq, struct http_request *req,
             struct http_response *resp)
{
    (void)req;
    groups_v1(rq->h, resp, rq->param[0]);
}

void
api_v1_audit(struct api_req *rq, struct http_request *req,
             struct http_response *resp)
{
    audit_v1(rq, req, resp);
}
