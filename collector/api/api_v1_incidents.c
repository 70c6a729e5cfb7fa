/*
 * api_v1_incidents.c - /v1/pages/<page>/incidents: the Statuspage v1
 * incident and maintenance endpoints (api_v1.h lists them).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_body.h"
#include "api_v1.h"
#include "deferred.h"
#include "feed.h"
#include "incidents.h"
#include "json.h"
#include "log.h"
#include "mem.h"
#include "ph_err.h"
#include "timefmt.h"
#include "snapshot.h"
#include "templates.h"

#define ERR_MAX 256

/* The fields of one incident body, as strings and flags. */
struct fields {
    json_t *doc;                                /* owns everything below */
    struct inc_comp_change changes[INC_COMPONENTS_MAX];
    struct inc_edit e;
    const char *tmpl;                           /* template name or NULL */
};

static const char *
str_of(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);

    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Reads a time field: absent -> -1 (unchanged), null/"" -> 0. */
static int
time_field(const json_t *obj, const char *key, int64_t *ret, char *err,
           size_t errlen)
{
    const json_t *v = json_object_get(obj, key);

    *ret = -1;
    if (v == NULL) {
        return 0;
    }
    if (json_is_null(v) ||
        (json_is_string(v) && json_string_value(v)[0] == '\0')) {
        *ret = 0;
        return 0;
    }
    if (!json_is_string(v) ||
        time_parse_iso8601(json_string_value(v), ret) != 0) {
        snprintf(err, errlen, "%s must be an ISO 8601 time", key);
        return PH_EINVAL;
    }
    return 0;
}

static int
bool_field(const json_t *obj, const char *key, int *ret, char *err,
           size_t errlen)
{
    int b = api_body_bool(json_object_get(obj, key));

    if (b == -2) {
        snprintf(err, errlen, "%s must be a boolean (true/false or t/f)",
                 key);
        return PH_EINVAL;
    }
    if (b >= 0) {
        *ret = b;
    }
    return 0;
}

static int
add_change(struct hub *h, struct fields *f, const char *code,
           int status, char *err, size_t errlen)
{
    int idx = pharos_conf_component_index(&h->conf, code);
    struct inc_comp_change *ch;

    if (idx < 0) {
        snprintf(err, errlen, "unknown component %.64s", code);
        return PH_EINVAL;
    }
    for (size_t i = 0; i < f->e.nchanges; i++) {
        if (strcmp(f->changes[i].code, code) == 0) {
            if (status >= 0) {
                f->changes[i].status = status;
            }
            return 0;
        }
    }
    if (f->e.nchanges >= INC_COMPONENTS_MAX) {
        snprintf(err, errlen, "at most %d components", INC_COMPONENTS_MAX);
        return PH_EINVAL;
    }
    ch = &f->changes[f->e.nchanges++];
    snprintf(ch->code, sizeof(ch->code), "%s", code);
    ch->status = status;
    ch->current = h->comps[idx].status;
    return 0;
}

/* components: {"id": "status"} map; component_ids: ["id"] or "id". */
static int
read_components(struct hub *h, const json_t *inc, struct fields *f,
                char *err, size_t errlen)
{
    json_t *map = json_object_get(inc, "components");
    json_t *ids = json_object_get(inc, "component_ids");
    const char *key;
    json_t *v;
    size_t i;

    if (map != NULL && !json_is_null(map)) {
        if (!json_is_object(map)) {
            snprintf(err, errlen, "components must map component ids to "
                                  "statuses");
            return PH_EINVAL;
        }
        json_object_foreach(map, key, v) {
            int s = json_is_string(v) ? comp_status_parse(json_string_value(v))
                                      : -1;
            if (s < 0) {
                snprintf(err, errlen,
                         "components.%.64s: status must be operational, "
                         "degraded_performance, partial_outage, "
                         "major_outage or under_maintenance",
                         key);
                return PH_EINVAL;
            }
            if (add_change(h, f, key, s, err, errlen) != 0) {
                return PH_EINVAL;
            }
        }
    }
    if (json_is_string(ids)) {
        return add_change(h, f, json_string_value(ids), -1, err, errlen);
    }
    if (ids != NULL && !json_is_null(ids) && !json_is_array(ids)) {
        snprintf(err, errlen, "component_ids must be a list of ids");
        return PH_EINVAL;
    }
    json_array_foreach(ids, i, v) {
        if (!json_is_string(v)) {
            snprintf(err, errlen, "component_ids must be a list of ids");
            return PH_EINVAL;
        }
        if (add_change(h, f, json_string_value(v), -1, err, errlen) != 0) {
            return PH_EINVAL;
        }
    }
    return 0;
}

/* Fills f from the request body. Returns 0, or PH_EINVAL with a message
 * (status 400 for a malformed body when *bad_body, else 422). */
static int
read_fields(struct hub *h, struct http_request *req, struct fields *f,
            int *bad_body, char *err, size_t errlen)
{
    size_t len;
    const char *body = (const char *)http_req_body(req, &len);
    const json_t *inc;
    const char *s;
    int64_t t;
    int b, rc;

    memset(f, 0, sizeof(*f));
    inc_edit_init(&f->e);
    f->e.changes = f->changes;
    *bad_body = 1;
    rc = api_body_parse(body, len, &f->doc, err, errlen);
    if (rc != 0) {
        return rc;
    }
    *bad_body = 0;
    inc = json_object_get(f->doc, "incident");
    if (!json_is_object(inc)) {
        inc = f->doc;   /* some SDKs send the fields unwrapped */
    }
    f->e.name = str_of(inc, "name");
    f->tmpl = str_of(inc, "template");
    if ((s = str_of(inc, "status")) != NULL) {
        f->e.status = inc_status_parse(s);
        if (f->e.status < 0) {
            snprintf(err, errlen, "unknown incident status %.40s", s);
            return PH_EINVAL;
        }
    }
    f->e.body = str_of(inc, "body");
    if (f->e.body == NULL) {
        f->e.body = str_of(inc, "message");   /* legacy clients */
    }
    if (json_is_null(json_object_get(inc, "impact_override")) ||
        ((s = str_of(inc, "impact_override")) != NULL && s[0] == '\0')) {
        if (json_object_get(inc, "impact_override") != NULL) {
            f->e.impact_override = -2;
        }
    } else if (s != NULL) {
        f->e.impact_override = inc_impact_parse(s);
        if (f->e.impact_override < 0) {
            snprintf(err, errlen, "impact_override must be none, minor, "
                                  "major, critical or maintenance");
            return PH_EINVAL;
        }
    }
    if (time_field(inc, "scheduled_for", &f->e.scheduled_for_ms, err,
                   errlen) != 0 ||
        time_field(inc, "scheduled_until", &f->e.scheduled_until_ms, err,
                   errlen) != 0 ||
        time_field(inc, "display_at", &t, err, errlen) != 0) {
        return PH_EINVAL;
    }
    f->e.display_ms = t > 0 ? t : 0;
    b = -1;
    if (bool_field(inc, "scheduled_remind_prior", &b, err, errlen) != 0) {
        return PH_EINVAL;
    }
    if (b >= 0) {
        f->e.remind_prior_min = b ? 60 : 0;
    }
    {
        const json_t *m = json_object_get(inc, "scheduled_remind_prior_minutes");
        if (m != NULL) {
            long long v = json_is_integer(m) ? json_integer_value(m)
                          : json_is_string(m)
                              ? strtoll(json_string_value(m), NULL, 10)
                              : -1;
            if (v < 0 || v > 10080) {
                snprintf(err, errlen, "scheduled_remind_prior_minutes must "
                                      "be 0 to 10080");
                return PH_EINVAL;
            }
            f->e.remind_prior_min = (int32_t)v;
        }
    }
    {
        /* Update cadence (Pharos): this incident's period, and the time
         * the new update promises the next one by. */
        const json_t *m = json_object_get(inc, "update_every_minutes");
        const json_t *n = json_object_get(inc, "next_update_in_minutes");
        int64_t at = -1;

        if (m != NULL) {
            long long v = json_is_integer(m) ? json_integer_value(m) : -1;
            if (v < 0 || v > 1440) {
                snprintf(err, errlen, "update_every_minutes must be 0 (the "
                                      "default) to 1440");
                return PH_EINVAL;
            }
            f->e.update_every_min = (int32_t)v;
        }
        if (time_field(inc, "next_update_at", &at, err, errlen) != 0) {
            return PH_EINVAL;
        }
        if (at > 0) {
            f->e.next_update_ms = at;
        }
        if (n != NULL) {
            long long v = json_is_integer(n) ? json_integer_value(n) : -1;
            if (v < 1 || v > 1440) {
                snprintf(err, errlen, "next_update_in_minutes must be 1 to "
                                      "1440");
                return PH_EINVAL;
            }
            f->e.next_update_ms = time_now_ms() + v * 60000;
        }
    }
    if (bool_field(inc, "scheduled_auto_in_progress", &f->e.auto_in_progress,
                   err, errlen) != 0 ||
        bool_field(inc, "scheduled_auto_transition", &f->e.auto_in_progress,
                   err, errlen) != 0 ||
        bool_field(inc, "auto_transition_to_maintenance_state",
                   &f->e.auto_in_progress, err, errlen) != 0 ||
        bool_field(inc, "scheduled_auto_completed", &f->e.auto_completed, err,
                   errlen) != 0 ||
        bool_field(inc, "auto_transition_to_operational_state",
                   &f->e.auto_completed, err, errlen) != 0 ||
        bool_field(inc, "deliver_notifications", &f->e.deliver, err,
                   errlen) != 0 ||
        bool_field(inc, "draft", &f->e.draft, err, errlen) != 0) {
        return PH_EINVAL;
    }
    return read_components(h, inc, f, err, errlen);
}

static void
reply_incident(struct hub *h, struct http_response *resp, int status,
               const struct incident *inc)
{
    struct feed_input in;
    char *text = NULL;
    size_t len = 0;

    snapshot_take(h, &in);
    if (feed_incident_v1(&in, inc, &text, &len) != 0) {
        http_resp_error(resp, 500, "internal", "out of memory");
        return;
    }
    http_resp_take(resp, status, "application/json", (uint8_t *)text, len);
}

static void
fail(struct http_response *resp, int rc, int bad_body, const char *err)
{
    if (rc == PH_EINVAL) {
        http_resp_error(resp, bad_body ? 400 : 422,
                        bad_body ? "bad_request" : "unprocessable_entity",
                        err);
    } else if (rc == PH_ETOOBIG) {
        http_resp_error(resp, 422, "unprocessable_entity", err);
    } else {
        http_resp_error(resp, 500, "internal",
                        err[0] ? err : ph_strerror(rc));
    }
}

/* The deferred reply of a create or an update: the incident as it is
 * after the evaluation the change asked for (routes.h). */
static void
reply_subject(struct api_req *rq, struct http_request *req,
              struct http_response *resp)
{
    const struct incident *inc = incidents_find(rq->h, rq->subject);

    (void)req;
    if (inc == NULL) {
        http_resp_error(resp, 404, "not_found", "no such incident");
        return;
    }
    reply_incident(rq->h, resp, rq->reply_status, inc);
}

/* A change of an incident whose store work runs off the loop
 * (deferred.h): the parsed body it borrows, the change. */
struct inc_job {
    struct fields f;
    struct templates_text tt;     /* texts a template filled into f.e */
    struct incidents_change *c;
    int status;                   /* of the reply: 200 or 201 */
    int is_delete;
    int is_edit;                  /* an update's own edit */
};

static void
inc_job_free(void *arg)
{
    struct inc_job *j = arg;

    incidents_change_free(j->c);
    json_decref(j->f.doc);
    ph_free(j);
}

static int
inc_job_run(struct store *db, void *arg)
{
    struct inc_job *j = arg;

    return incidents_change_store(db, j->c);
}

static void reply_update(struct api_req *rq, struct http_request *req,
                         struct http_response *resp);

static void
inc_job_done(struct api_req *rq, struct http_request *req, void *arg,
             int result, struct http_response *resp)
{
    struct inc_job *j = arg;
    struct incident gone;
    struct feed_input in;
    char err[ERR_MAX] = "";
    char *text = NULL;
    size_t len = 0;
    int rc;

    (void)req;
    memset(&gone, 0, sizeof(gone));
    rc = incidents_change_commit(rq->h, j->c, result,
                                 j->is_delete ? &gone : NULL, err,
                                 sizeof(err));
    if (rc != 0) {
        deferred_error(resp, rc,
                       j->is_delete ? "cannot delete the incident"
                                    : "cannot store the incident");
        return;
    }
    if (j->is_edit) {
        route_reply_after(rq, reply_update, 200,
                          incidents_change_id(j->c));
        return;
    }
    if (!j->is_delete) {
        route_reply_after(rq, reply_subject, j->status,
                          incidents_change_id(j->c));
        return;
    }
    log_info("incident %s deleted by %s", incidents_change_id(j->c),
             rq->actor != NULL ? rq->actor : "?");
    if (gone.id[0] == '\0') {
        http_resp_error(resp, 404, "not_found", "no such incident");
        return;
    }
    snapshot_take(rq->h, &in);
    rc = feed_incident_v1(&in, &gone, &text, &len);
    incident_free(&gone);
    if (rc != 0) {
        http_resp_error(resp, 500, "internal", "out of memory");
        return;
    }
    http_resp_take(resp, 200, "application/json", (uint8_t *)text, len);
}

static struct inc_job *
inc_job_new(struct http_response *resp)
{
    struct inc_job *j = ph_calloc(1, sizeof(*j));

    if (j == NULL) {
        http_resp_error(resp, 503, "unavailable", "out of memory");
    }
    return j;
}

void
api_v1_incident_create(struct api_req *rq, struct http_request *req,
                       struct http_response *resp)
{
    struct hub *h = rq->h;
    struct inc_job *j;
    char err[ERR_MAX] = "";
    int bad_body, rc;

    if (deferred_wait(rq, req) || (j = inc_job_new(resp)) == NULL) {
        return;
    }
    rc = read_fields(h, req, &j->f, &bad_body, err, sizeof(err));
    if (rc == 0 && j->f.tmpl != NULL) {
        /* The template fills what the body left out. */
        rc = templates_fill(h, j->f.tmpl, j->f.e.name, &j->f.e, j->f.changes,
                            &j->tt, err, sizeof(err));
        if (rc == PH_ENOENT) {
            rc = PH_EINVAL;
        }
    }
    if (rc == 0) {
        if (j->f.e.draft < 0) {
            j->f.e.draft = 0;
        }
        rc = incidents_create_prepare(h, &j->f.e, rq->actor, &j->c, err,
                                      sizeof(err));
    }
    if (rc != 0) {
        fail(resp, rc, bad_body, err);
        inc_job_free(j);
        return;
    }
    j->status = 201;
    deferred_store(rq, req, resp, inc_job_run, inc_job_done, inc_job_free,
                   j);
}

void
api_v1_incident_patch(struct api_req *rq, struct http_request *req,
                      struct http_response *resp)
{
    struct hub *h = rq->h;
    const char *id = rq->param[0];
    struct inc_job *j;
    char err[ERR_MAX] = "";
    int bad_body, rc;

    if (deferred_wait(rq, req)) {
        return;
    }
    if (incidents_find(h, id) == NULL) {
        http_resp_error(resp, 404, "not_found", "no such incident");
        return;
    }
    if ((j = inc_job_new(resp)) == NULL) {
        return;
    }
    rc = read_fields(h, req, &j->f, &bad_body, err, sizeof(err));
    if (rc == 0) {
        rc = incidents_update_prepare(h, id, &j->f.e, rq->actor, &j->c, err,
                                      sizeof(err));
    }
    if (rc != 0) {
        fail(resp, rc, bad_body, err);
        inc_job_free(j);
        return;
    }
    j->status = 200;
    deferred_store(rq, req, resp, inc_job_run, inc_job_done, inc_job_free,
                   j);
}

/* The edited update, as Statuspage answers (deferred like the others). */
static void
reply_update(struct api_req *rq, struct http_request *req,
             struct http_response *resp)
{
    const struct incident *inc = incidents_find(rq->h, rq->subject);
    struct feed_input in;
    char *out = NULL;
    size_t olen = 0;

    (void)req;
    if (inc == NULL) {
        http_resp_error(resp, 404, "not_found", "no such incident");
        return;
    }
    snapshot_take(rq->h, &in);
    if (feed_incident_update_v1(&in, inc, rq->param[1], &out, &olen) != 0) {
        http_resp_error(resp, 500, "internal", "out of memory");
        return;
    }
    http_resp_take(resp, 200, "application/json", (uint8_t *)out, olen);
}

void
api_v1_incident_update_edit(struct api_req *rq, struct http_request *req,
                            struct http_response *resp)
{
    const char *id = rq->param[0], *uid = rq->param[1];
    size_t len;
    const char *body = (const char *)http_req_body(req, &len);
    json_t *doc = NULL;
    const json_t *u;
    const char *text;
    int64_t display = -1;
    int deliver = -1;
    char err[ERR_MAX] = "";
    struct inc_job *j;
    int rc;

    if (deferred_wait(rq, req)) {
        return;
    }
    if (incidents_find(rq->h, id) == NULL) {
        http_resp_error(resp, 404, "not_found", "no such incident");
        return;
    }
    rc = api_body_parse(body, len, &doc, err, sizeof(err));
    if (rc != 0) {
        fail(resp, rc, 1, err);
        return;
    }
    u = json_object_get(doc, "incident_update");
    if (!json_is_object(u)) {
        u = doc;
    }
    text = str_of(u, "body");
    if ((text != NULL && strlen(text) > INC_BODY_MAX) ||
        time_field(u, "display_at", &display, err, sizeof(err)) != 0 ||
        bool_field(u, "deliver_notifications", &deliver, err,
                   sizeof(err)) != 0) {
        if (err[0] == '\0') {
            snprintf(err, sizeof(err), "body is longer than %d bytes",
                     INC_BODY_MAX);
        }
        fail(resp, PH_EINVAL, 0, err);
        json_decref(doc);
        return;
    }
    if ((j = inc_job_new(resp)) == NULL) {
        json_decref(doc);
        return;
    }
    j->f.doc = doc; /* text borrows from it */
    j->is_edit = 1;
    rc = incidents_edit_update_prepare(rq->h, id, uid, text, display,
                                       deliver, &j->c);
    if (rc == PH_ENOENT) {
        http_resp_error(resp, 404, "not_found", "no such incident update");
        inc_job_free(j);
        return;
    }
    if (rc == PH_ETOOBIG) {
        char msg[120];

        snprintf(msg, sizeof(msg),
                 "an incident holds at most %d bytes of update text",
                 INC_TEXT_MAX);
        fail(resp, rc, 0, msg);
        inc_job_free(j);
        return;
    }
    if (rc != 0) {
        fail(resp, rc, 0, "cannot store the incident");
        inc_job_free(j);
        return;
    }
    deferred_store(rq, req, resp, inc_job_run, inc_job_done, inc_job_free,
                   j);
}

/* GET incidents[?q=&limit=&page=] and the filtered lists (which as
 * feed_incidents_v1() names them). */
static void
list_incidents(struct hub *h, struct http_request *req,
               struct http_response *resp, const char *which)
{
    const char *q = http_req_query(req, "q");
    const char *lq = http_req_query(req, "limit");
    const char *pq = http_req_query(req, "page");
    long limit = lq != NULL ? strtol(lq, NULL, 10) : 100;
    long page = pq != NULL ? strtol(pq, NULL, 10) : 1;
    struct feed_input in;
    char *text = NULL;
    size_t len = 0;

    if (limit < 1 || limit > 100 || page < 1 || page > 100000) {
        http_resp_error(resp, 400, "bad_request",
                        "limit must be 1 to 100 and page at least 1");
        return;
    }
    snapshot_take(h, &in);
    if (feed_incidents_v1_page(&in, which, q, limit, page, &text, &len) !=
        0) {
        http_resp_error(resp, 500, "internal", "out of memory");
        return;
    }
    http_resp_take(resp, 200, "application/json", (uint8_t *)text, len);
}

#define LIST_HANDLER(name, which)                                           \
    void name(struct api_req *rq, struct http_request *req,                 \
              struct http_response *resp)                                   \
    {                                                                       \
        list_incidents(rq->h, req, resp, which);                            \
    }

LIST_HANDLER(api_v1_incidents_list, "all")
LIST_HANDLER(api_v1_incidents_unresolved, "unresolved")
LIST_HANDLER(api_v1_incidents_upcoming, "upcoming")
LIST_HANDLER(api_v1_incidents_scheduled, "scheduled")
LIST_HANDLER(api_v1_incidents_active_maintenance, "active_maintenance")

void
api_v1_incident_get(struct api_req *rq, struct http_request *req,
                    struct http_response *resp)
{
    const struct incident *inc = incidents_find(rq->h, rq->param[0]);

    (void)req;
    if (inc == NULL) {
        http_resp_error(resp, 404, "not_found", "no such incident");
        return;
    }
    reply_incident(rq->h, resp, 200, inc);
}

void
api_v1_incident_delete(struct api_req *rq, struct http_request *req,
                       struct http_response *resp)
{
    struct inc_job *j;
    int rc;

    if (deferred_wait(rq, req) || (j = inc_job_new(resp)) == NULL) {
        return;
    }
    j->is_delete = 1;
    rc = incidents_delete_prepare(rq->h, rq->param[0], &j->c);
    if (rc != 0) {
        if (rc == PH_ENOENT) {
            http_resp_error(resp, 404, "not_found", "no such incident");
        } else {
            http_resp_error(resp, 500, "internal",
                            "cannot delete the incident");
        }
        inc_job_free(j);
        return;
    }
    deferred_store(rq, req, resp, inc_job_run, inc_job_done, inc_job_free,
                   j);
}
