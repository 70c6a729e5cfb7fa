/*
 * api_v1_components.c - components and component groups managed through
 * Statuspage's v1 API (reference/statuspage-format.md 2.2, 2.3):
 *
 *   POST   /v1/pages/<p>/components              201 + the component
 *   PATCH  /v1/pages/<p>/components/<id> (PUT)   200 + the component
 *   DELETE /v1/pages/<p>/components/<id>         204
 *   POST   /v1/pages/<p>/component-groups        201 + the group
 *   PATCH  /v1/pages/<p>/component-groups/<id>   200 + the group
 *   DELETE /v1/pages/<p>/component-groups/<id>   204
 *
 * Rows live in the store (store_components.c) and join the file's at
 * every build of the configuration (components.c), which a change here
 * asks for (HUB_REBUILD) before its reply is rendered. Components and
 * groups of pharos.yml stay owned by the file: changing their definition
 * or deleting them answers 409 with that reason; a component's status
 * (the manual override) can be set on both kinds. A deleted component's
 * definition goes into the audit log; its transitions stay.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "api_body.h"
#include "api_v1.h"
#include "components.h"
#include "deferred.h"
#include "feed.h"
#include "json.h"
#include "log.h"
#include "mem.h"
#include "ph_err.h"
#include "snapshot.h"
#include "store.h"
#include "timefmt.h"
#include "token.h"

#define NAME_MAX_LEN 255
#define DESCRIPTION_MAX_LEN 1000
#define GROUP_MEMBERS_MAX 100

#define FILE_OWNED(what)                                                    \
    what " is defined in the configuration file (pharos.yml): change or "  \
         "remove it there and reload"

/* The body's "<wrapper>" object (or the unwrapped body, as one SDK sends
 * it). *doc is the parsed body to free. NULL after a 400. */
static json_t *
body_object(struct http_request *req, struct http_response *resp,
            const char *wrapper, json_t **doc)
{
    size_t len;
    const char *body = (const char *)http_req_body(req, &len);
    char err[160];
    json_t *obj;

    *doc = NULL;
    if (api_body_parse(body, len, doc, err, sizeof(err)) != 0) {
        http_resp_error(resp, 400, "bad_request", err);
        return NULL;
    }
    obj = json_object_get(*doc, wrapper);
    return json_is_object(obj) ? obj : *doc;
}

static int
group_index(const struct hub *h, const char *id)
{
    for (size_t g = 0; g < h->conf.ngroups; g++) {
        if (strcmp(h->conf.groups[g].id, id) == 0) {
            return (int)g;
        }
    }
    return -1;
}

static int
unprocessable(struct http_response *resp, const char *msg)
{
    http_resp_error(resp, 422, "unprocessable_entity", msg);
    return -1;
}

/* A text field: absent (keeps *out), null or "" (clears it), or a string
 * of at most max bytes. Returns 0, or -1 after a 422. */
static int
text_field(json_t *o, const char *key, size_t max, int required,
           const char **out, struct http_response *resp)
{
    json_t *v = json_object_get(o, key);
    char msg[160];

    if (v == NULL) {
        if (required) {
            snprintf(msg, sizeof(msg), "%s is required", key);
            return unprocessable(resp, msg);
        }
        return 0;
    }
    if (json_is_null(v)) {
        *out = NULL;
    } else if (!json_is_string(v) || json_string_length(v) > max) {
        snprintf(msg, sizeof(msg), "%s must be text of at most %zu bytes",
                 key, max);
        return unprocessable(resp, msg);
    } else {
        *out = json_string_value(v)[0] != '\0' ? json_string_value(v) : NULL;
    }
    if (required && (*out == NULL || (*out)[0] == '\0')) {
        snprintf(msg, sizeof(msg), "%s must not be empty", key);
        return unprocessable(resp, msg);
    }
    return 0;
}

static int
bool_field(json_t *o, const char *key, int *out, struct http_response *resp)
{
    int b = api_body_bool(json_object_get(o, key));
    char msg[160];

    if (b == -2) {
        snprintf(msg, sizeof(msg), "%s must be true or false", key);
        return unprocessable(resp, msg);
    }
    if (b >= 0) {
        *out = b;
    }
    return 0;
}

static int
valid_date(const char *s)
{
    int y, m, d;
    char tail;

    return sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3 &&
           strlen(s) == 10 && m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

/* The definition fields of a component body applied over *r. Returns
 * the number of fields given, or -1 after a 4xx. */
static int
apply_fields(struct hub *h, json_t *o, struct store_component_row *r,
             int creating, struct http_response *resp)
{
    static const char *const keys[] = {
        "name", "description", "group_id", "showcase",
        "only_show_if_degraded", "start_date", "internal",
    };
    int given = 0;

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        given += json_object_get(o, keys[i]) != NULL;
    }
    if (text_field(o, "name", NAME_MAX_LEN, creating, &r->name, resp) != 0 ||
        (json_object_get(o, "name") != NULL && r->name == NULL &&
         unprocessable(resp, "name must not be empty") != 0) ||
        text_field(o, "description", DESCRIPTION_MAX_LEN, 0, &r->description,
                   resp) != 0 ||
        text_field(o, "group_id", 64, 0, &r->group_id, resp) != 0 ||
        text_field(o, "start_date", 10, 0, &r->start_date, resp) != 0 ||
        bool_field(o, "showcase", &r->showcase, resp) != 0 ||
        bool_field(o, "only_show_if_degraded", &r->only_show_if_degraded,
                   resp) != 0 ||
        bool_field(o, "internal", &r->internal, resp) != 0) {
        return -1;
    }
    /* Statuspage clients send the text "null" to leave a group. */
    if (r->group_id != NULL && strcmp(r->group_id, "null") == 0) {
        r->group_id = NULL;
    }
    if (r->group_id != NULL && group_index(h, r->group_id) < 0) {
        return unprocessable(resp, "group_id names no component group");
    }
    if (r->start_date != NULL && !valid_date(r->start_date)) {
        return unprocessable(resp, "start_date must be YYYY-MM-DD");
    }
    return given;
}

/* The status field, when given: its code in *ret (-1 = clear). Returns
 * 1 given, 0 absent, -1 after a 422. */
static int
status_field(json_t *o, int *ret, struct http_response *resp)
{
    json_t *v = json_object_get(o, "status");

    if (v == NULL) {
        return 0;
    }
    if (json_is_null(v) ||
        (json_is_string(v) && json_string_value(v)[0] == '\0')) {
        *ret = -1;
        return 1;
    }
    *ret = json_is_string(v) ? comp_status_parse(json_string_value(v)) : -1;
    if (*ret < 0) {
        return unprocessable(resp,
                             "status must be operational, "
                             "degraded_performance, partial_outage, "
                             "major_outage or under_maintenance");
    }
    return 1;
}

/* The deferred reply of a write: the component or group rq->subject
 * names, as the configuration built after the change shows it. */
static void
reply_component(struct api_req *rq, struct http_request *req,
                struct http_response *resp)
{
    struct hub *h = rq->h;
    struct feed_input in;
    char *text = NULL;
    size_t len = 0;
    int idx, rc;

    (void)req;
    if (h->rebuild_failed) {
        http_resp_error(resp, 503, "unavailable",
                        "stored, but pharos.yml has errors: the change "
                        "shows once the file loads again");
        return;
    }
    idx = pharos_conf_component_index(&h->conf, rq->subject);
    if (idx < 0) {
        http_resp_error(resp, 500, "internal", "the component did not load");
        return;
    }
    snapshot_take(h, &in);
    rc = feed_component_v1(&in, idx, &text, &len);
    if (rc != 0) {
        http_resp_error(resp, 500, "internal", ph_strerror(rc));
        return;
    }
    http_resp_take(resp, rq->reply_status, "application/json",
                   (uint8_t *)text, len);
}

static void
reply_group(struct api_req *rq, struct http_request *req,
            struct http_response *resp)
{
    struct hub *h = rq->h;
    int g;

    (void)req;
    if (h->rebuild_failed) {
        http_resp_error(resp, 503, "unavailable",
                        "stored, but pharos.yml has errors: the change "
                        "shows once the file loads again");
        return;
    }
    g = group_index(h, rq->subject);
    if (g < 0) {
        http_resp_error(resp, 500, "internal", "the group did not load");
        return;
    }
    route_reply_json(resp, rq->reply_status, 0,
                     api_v1_group_obj(h, (size_t)g));
}

static void
rebuild(struct hub *h)
{
    h->rebuild_failed = 0;
    h->want(h->want_arg, HUB_REBUILD);
}

/* The row of API component idx as it stands. */
static void
row_of(const struct conf_component *c, struct store_component_row *r)
{
    memset(r, 0, sizeof(*r));
    r->id = c->id;
    r->name = c->name;
    r->description = c->description;
    r->group_id = c->group;
    r->showcase = c->showcase;
    r->only_show_if_degraded = c->only_show_if_degraded;
    r->start_date = c->start_date;
    r->internal = c->internal;
}

static int
same_text(const char *a, const char *b)
{
    return (a == NULL || a[0] == '\0') ? (b == NULL || b[0] == '\0')
                                       : (b != NULL && strcmp(a, b) == 0);
}

static int
same_row(const struct store_component_row *a,
         const struct store_component_row *b)
{
    return same_text(a->name, b->name) &&
           same_text(a->description, b->description) &&
           same_text(a->group_id, b->group_id) &&
           same_text(a->start_date, b->start_date) &&
           a->showcase == b->showcase &&
           a->only_show_if_degraded == b->only_show_if_degraded &&
           a->internal == b->internal;
}

static size_t
count_api(const struct hub *h, int groups)
{
    size_t n = 0;

    if (groups) {
        for (size_t g = 0; g < h->conf.ngroups; g++) {
            n += h->conf.groups[g].api_owned != 0;
        }
        return n;
    }
    for (size_t i = 0; i < h->conf.ncomponents; i++) {
        n += h->conf.components[i].api_owned != 0;
    }
    return n;
}

/* ---- changes whose store work runs off the loop (deferred.h) ---- */

enum cj_kind { CJ_PUT, CJ_DELETE, CJ_GROUP_PUT, CJ_GROUP_DELETE };

/* One change: owned copies of the rows to write (the configuration they
 * come from may be rebuilt before the writer thread runs), then the
 * stored components read back for the rebuild. */
struct comp_job {
    enum cj_kind kind;
    struct store_component_row *rows;   /* owned strings */
    size_t nrows;
    struct store_group_row g;           /* CJ_GROUP_PUT, owned strings */
    char id[ROUTE_PARAM_MAX];           /* the deleted one */
    char *audit;                        /* CJ_DELETE: its definition */
    char actor[128];
    int64_t now;
    struct components_rows *read;       /* read back, for the rebuild */
    char **file_ids;                    /* pharos.yml's components: their
                                           overrides are read back too */
    size_t nfile_ids;
    char logline[512];
    /* the reply */
    int status;                         /* 200 or 201 rendered after the
                                           rebuild, or 204 */
    route_fn reply;
    int keep_override, override_st;     /* a create's status */
    int patch_after;                    /* an update's status too */
};

static char *
dup_or_null(const char *s)
{
    return s != NULL ? ph_strdup(s) : NULL;
}

static void
text_free(const char *s)
{
    ph_free((void *)(uintptr_t)s);
}

static void
row_release(struct store_component_row *r)
{
    text_free(r->id);
    text_free(r->name);
    text_free(r->description);
    text_free(r->group_id);
    text_free(r->start_date);
}

/* Appends an owned copy of r. 0 or PH_ENOMEM. */
static int
job_add_row(struct comp_job *j, const struct store_component_row *r)
{
    struct store_component_row *v, *c;

    v = ph_realloc(j->rows, (j->nrows + 1) * sizeof(*v));
    if (v == NULL) {
        return PH_ENOMEM;
    }
    j->rows = v;
    c = &v[j->nrows++];
    *c = *r;
    c->id = dup_or_null(r->id);
    c->name = dup_or_null(r->name);
    c->description = dup_or_null(r->description);
    c->group_id = dup_or_null(r->group_id);
    c->start_date = dup_or_null(r->start_date);
    if (c->id == NULL || c->name == NULL ||
        (r->description != NULL && c->description == NULL) ||
        (r->group_id != NULL && c->group_id == NULL) ||
        (r->start_date != NULL && c->start_date == NULL)) {
        return PH_ENOMEM;
    }
    return 0;
}

static int
job_set_group(struct comp_job *j, const struct store_group_row *g)
{
    j->g = *g;
    j->g.id = dup_or_null(g->id);
    j->g.name = dup_or_null(g->name);
    j->g.description = dup_or_null(g->description);
    return j->g.id == NULL || j->g.name == NULL ||
                   (g->description != NULL && j->g.description == NULL)
               ? PH_ENOMEM
               : 0;
}

static void
comp_job_free(void *arg)
{
    struct comp_job *j = arg;

    for (size_t i = 0; i < j->nrows; i++) {
        row_release(&j->rows[i]);
    }
    ph_free(j->rows);
    text_free(j->g.id);
    text_free(j->g.name);
    text_free(j->g.description);
    ph_free(j->audit);
    components_rows_free(j->read);
    for (size_t i = 0; i < j->nfile_ids; i++) {
        ph_free(j->file_ids[i]);
    }
    ph_free(j->file_ids);
    ph_free(j);
}

/* A job that could not be filled in: freed, and the reply says so. */
static void
job_abandon(struct comp_job *j, struct http_response *resp)
{
    comp_job_free(j);
    http_resp_error(resp, 503, "unavailable", "out of memory");
}

static struct comp_job *
comp_job_new(struct api_req *rq, enum cj_kind kind,
             struct http_response *resp)
{
    const struct hub *h = rq->h;
    struct comp_job *j = ph_calloc(1, sizeof(*j));

    if (j == NULL) {
        http_resp_error(resp, 503, "unavailable", "out of memory");
        return NULL;
    }
    j->kind = kind;
    j->now = time_now_ms();
    snprintf(j->actor, sizeof(j->actor), "%s",
             rq->actor != NULL ? rq->actor : "");
    j->file_ids = ph_calloc(h->conf.ncomponents + 1, sizeof(*j->file_ids));
    if (j->file_ids == NULL) {
        ph_free(j);
        http_resp_error(resp, 503, "unavailable", "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < h->conf.ncomponents; i++) {
        if (h->conf.components[i].api_owned) {
            continue; /* read back with the rows */
        }
        j->file_ids[j->nfile_ids] = ph_strdup(h->conf.components[i].id);
        if (j->file_ids[j->nfile_ids++] == NULL) {
            job_abandon(j, resp);
            return NULL;
        }
    }
    return j;
}

/* A new API object's id, within the cap on how many the API may make
 * (groups or components). 0, or -1 after a 422 or 500 in resp. */
static int
new_api_id(const struct hub *h, int groups, char *id, size_t size,
           struct http_response *resp)
{
    if (!groups && h->conf.ncomponents >= CONF_COMPONENTS_MAX) {
        char msg[96];

        snprintf(msg, sizeof(msg),
                 "the page has %d components, the most it can have",
                 CONF_COMPONENTS_MAX);
        http_resp_error(resp, 422, "unprocessable_entity", msg);
        return -1;
    }
    if (count_api(h, groups) >= (groups ? API_GROUPS_MAX
                                        : API_COMPONENTS_MAX)) {
        http_resp_error(resp, 422, "unprocessable_entity",
                        groups ? "too many groups created through the API"
                               : "too many components created through the "
                                 "API");
        return -1;
    }
    if (token_random_id(id, size) != 0) {
        http_resp_error(resp, 500, "internal", "no randomness for an id");
        return -1;
    }
    return 0;
}

/* The rows in one transaction. */
static int
put_rows(struct store *db, struct comp_job *j)
{
    int rc = store_tx_begin(db);

    for (size_t i = 0; rc == 0 && i < j->nrows; i++) {
        rc = store_component_put(db, &j->rows[i]);
    }
    if (rc != 0) {
        store_tx_rollback(db);
        return rc;
    }
    return store_tx_commit(db);
}

static int
comp_job_run(struct store *db, void *arg)
{
    struct comp_job *j = arg;
    int rc = 0;

    switch (j->kind) {
    case CJ_PUT:
        rc = store_component_put(db, &j->rows[0]);
        if (rc == 0 && j->keep_override) {
            /* Stored here, before the rebuild restores the overrides
             * from the store: queued apart, it could land after. */
            char key[160], val[64];

            snprintf(key, sizeof(key), "override:%s", j->rows[0].id);
            snprintf(val, sizeof(val), "%s 0",
                     comp_status_name((enum comp_status)j->override_st));
            rc = store_kv_set(db, key, val);
        }
        break;
    case CJ_DELETE:
        rc = store_component_delete(db, j->id);
        if (rc == 0) {
            store_audit_add(db, j->now, j->actor, "component deleted", j->id,
                            j->audit != NULL ? j->audit : "", 204);
        }
        break;
    case CJ_GROUP_PUT:
        rc = store_group_put(db, &j->g);
        if (rc == 0 && j->nrows > 0) {
            rc = put_rows(db, j);
        }
        break;
    case CJ_GROUP_DELETE:
        rc = put_rows(db, j);
        if (rc == 0) {
            rc = store_group_delete(db, j->id);
        }
        break;
    }
    if (rc == 0 && components_read(db, &j->read) == 0 &&
        components_read_overrides(db, j->read,
                                  (const char *const *)j->file_ids,
                                  j->nfile_ids) != 0) {
        components_rows_free(j->read);
        j->read = NULL; /* the rebuild reads the store itself */
    }
    return rc;
}

static void
comp_job_done(struct api_req *rq, struct http_request *req, void *arg,
              int result, struct http_response *resp)
{
    struct comp_job *j = arg;
    struct hub *h = rq->h;

    if (result != 0) {
        deferred_error(resp, result,
                       j->kind == CJ_PUT          ? "cannot store the component"
                       : j->kind == CJ_DELETE     ? "cannot delete the component"
                       : j->kind == CJ_GROUP_PUT  ? "cannot store the group"
                                                  : "cannot delete the group");
        return;
    }
    log_info("%s", j->logline);
    if (j->kind == CJ_DELETE) {
        int idx = pharos_conf_component_index(&h->conf, j->id);

        if (idx >= 0) {
            hub_set_override(h, idx, -1, 0);
        }
    }
    components_rows_free(h->rebuild_rows);
    h->rebuild_rows = j->read;
    j->read = NULL;
    if (j->patch_after && req != NULL) {
        /* After the rows: the override it keeps is what they restore. */
        api_v1_component_patch(rq, req, resp); /* sets the reply too */
    }
    rebuild(h);
    if (j->keep_override) {
        /* Stored with the row: applied when the new configuration
         * restores the overrides. */
        hub_request_evaluate(h);
    }
    if (j->patch_after) {
        return;
    }
    if (j->status == 204) {
        resp->status = 204;
        return;
    }
    route_reply_after(rq, j->reply, j->status,
                      j->kind == CJ_PUT ? j->rows[0].id : j->g.id);
}

/* Hands j to the store's writer; the reply (status, rendered by reply
 * unless 204) comes when its transaction is done. */
static void
job_submit(struct api_req *rq, struct http_request *req,
           struct http_response *resp, struct comp_job *j, int status,
           route_fn reply)
{
    j->status = status;
    j->reply = reply;
    deferred_store(rq, req, resp, comp_job_run, comp_job_done, comp_job_free,
                   j);
}

void
api_v1_component_create(struct api_req *rq, struct http_request *req,
                        struct http_response *resp)
{
    struct hub *h = rq->h;
    struct store_component_row r;
    struct comp_job *j;
    json_t *doc = NULL, *o;
    char id[13];
    int st = -1, has_status;
    int64_t now = time_now_ms();

    if (deferred_wait(rq, req)) {
        return;
    }
    o = body_object(req, resp, "component", &doc);
    if (o == NULL) {
        return;
    }
    memset(&r, 0, sizeof(r));
    r.showcase = 1;
    if (apply_fields(h, o, &r, 1, resp) < 0 ||
        (has_status = status_field(o, &st, resp)) < 0) {
        goto out;
    }
    if (new_api_id(h, 0, id, sizeof(id), resp) != 0) {
        goto out;
    }
    r.id = id;
    r.created_ms = now;
    r.updated_ms = now;
    j = comp_job_new(rq, CJ_PUT, resp);
    if (j == NULL) {
        goto out;
    }
    if (job_add_row(j, &r) != 0) {
        job_abandon(j, resp);
        goto out;
    }
    snprintf(j->logline, sizeof(j->logline),
             "api: %s created component %s (%.128s)", j->actor, id, r.name);
    j->keep_override = has_status == 1 && st >= 0;
    j->override_st = st;
    job_submit(rq, req, resp, j, 201, reply_component);
out:
    json_decref(doc);
}

void
api_v1_component_update(struct api_req *rq, struct http_request *req,
                        struct http_response *resp)
{
    struct hub *h = rq->h;
    int idx;
    struct store_component_row r;
    struct comp_job *j;
    json_t *doc = NULL, *o;
    int given;

    if (deferred_wait(rq, req)) {
        return;
    }
    idx = pharos_conf_component_index(&h->conf, rq->param[0]);
    if (idx < 0) {
        http_resp_error(resp, 404, "not_found", "no such component");
        return;
    }
    o = body_object(req, resp, "component", &doc);
    if (o == NULL) {
        return;
    }
    row_of(&h->conf.components[idx], &r);
    given = apply_fields(h, o, &r, 0, resp);
    if (given < 0) {
        goto out;
    }
    if (given == 0) {
        /* Only the status: the manual override, on either kind. */
        api_v1_component_patch(rq, req, resp);
        goto out;
    }
    if (!h->conf.components[idx].api_owned) {
        struct store_component_row was;

        /* Tools send the whole object back: fields equal to the file's
         * are no change. */
        row_of(&h->conf.components[idx], &was);
        if (!same_row(&was, &r)) {
            http_resp_error(resp, 409, "conflict",
                            FILE_OWNED("this component"));
            goto out;
        }
        api_v1_component_patch(rq, req, resp);
        goto out;
    }
    r.updated_ms = time_now_ms();
    j = comp_job_new(rq, CJ_PUT, resp);
    if (j == NULL) {
        goto out;
    }
    if (job_add_row(j, &r) != 0) {
        job_abandon(j, resp);
        goto out;
    }
    snprintf(j->logline, sizeof(j->logline), "api: %s changed component %s",
             j->actor, r.id);
    j->patch_after = json_object_get(o, "status") != NULL ||
                     json_object_get(o, "override_until") != NULL;
    job_submit(rq, req, resp, j, 200, reply_component);
out:
    json_decref(doc);
}

void
api_v1_component_delete(struct api_req *rq, struct http_request *req,
                        struct http_response *resp)
{
    struct hub *h = rq->h;
    int idx;
    const struct conf_component *c;
    struct comp_job *j;
    json_t *def;
    size_t len;

    if (deferred_wait(rq, req)) {
        return;
    }
    idx = pharos_conf_component_index(&h->conf, rq->param[0]);
    if (idx < 0) {
        http_resp_error(resp, 404, "not_found", "no such component");
        return;
    }
    c = &h->conf.components[idx];
    if (!c->api_owned) {
        http_resp_error(resp, 409, "conflict", FILE_OWNED("this component"));
        return;
    }
    j = comp_job_new(rq, CJ_DELETE, resp);
    if (j == NULL) {
        return;
    }
    snprintf(j->id, sizeof(j->id), "%s", c->id);
    /* Its definition into the audit log: the history stays readable
     * after the row is gone (its transitions stay in the store too). */
    def = json_object();
    json_object_set_new(def, "id", json_string(c->id));
    json_object_set_new(def, "name", json_string(c->name));
    json_object_set_new(def, "description", ph_json_str(c->description));
    json_object_set_new(def, "group_id", ph_json_str(c->group));
    json_object_set_new(def, "internal", json_boolean(c->internal));
    json_object_set_new(def, "status",
                        json_string(comp_status_name(h->comps[idx].status)));
    if (ph_json_dump(def, 0, 2048, &j->audit, &len) != 0) {
        j->audit = NULL;
    }
    snprintf(j->logline, sizeof(j->logline), "api: %s deleted component %s",
             j->actor, j->id);
    job_submit(rq, req, resp, j, 204, NULL);
}

/* The index of the group id made through the API, or -1 after a 404 (no
 * such group) or a 409 (pharos.yml's). */
static int
api_group(const struct hub *h, const char *id, struct http_response *resp)
{
    int gi = group_index(h, id);

    if (gi < 0) {
        http_resp_error(resp, 404, "not_found", "no such component group");
    } else if (!h->conf.groups[gi].api_owned) {
        http_resp_error(resp, 409, "conflict",
                        FILE_OWNED("this component group"));
        gi = -1;
    }
    return gi;
}

/* The member ids of a group body: every one must be a component, and
 * none of the file's (their group is the file's to say). Returns the
 * array (borrowed from o), NULL when absent, or -1 in *bad after a 4xx. */
static json_t *
members(struct hub *h, json_t *o, int required, int *bad,
        struct http_response *resp)
{
    json_t *arr = json_object_get(o, "components"), *v;
    size_t i;

    *bad = 0;
    if (arr == NULL && !required) {
        return NULL;
    }
    if (!json_is_array(arr) || json_array_size(arr) == 0 ||
        json_array_size(arr) > GROUP_MEMBERS_MAX) {
        *bad = unprocessable(resp, "components must list 1 to 100 component "
                                   "ids (a group cannot be empty)");
        return NULL;
    }
    json_array_foreach(arr, i, v) {
        int idx = json_is_string(v)
                      ? pharos_conf_component_index(&h->conf,
                                                    json_string_value(v))
                      : -1;
        if (idx < 0) {
            *bad = unprocessable(resp, "components names an unknown "
                                       "component (create it first)");
            return NULL;
        }
        if (!h->conf.components[idx].api_owned) {
            http_resp_error(resp, 409, "conflict",
                            FILE_OWNED("a listed component"));
            *bad = -1;
            return NULL;
        }
    }
    return arr;
}

/* The rows that put the API components of arr into group gid and take
 * those not listed out of it, appended to j (written in one
 * transaction). 0 or PH_ENOMEM. */
static int
member_rows(struct hub *h, const char *gid, json_t *arr, struct comp_job *j)
{
    for (size_t i = 0; i < h->conf.ncomponents; i++) {
        const struct conf_component *c = &h->conf.components[i];
        struct store_component_row r;
        int listed = 0;
        size_t k;
        json_t *v;

        if (!c->api_owned) {
            continue;
        }
        json_array_foreach(arr, k, v) {
            listed |= arr != NULL &&
                      strcmp(json_string_value(v), c->id) == 0;
        }
        if (!listed && (c->group == NULL || strcmp(c->group, gid) != 0)) {
            continue;
        }
        row_of(c, &r);
        r.group_id = listed ? gid : NULL;
        r.updated_ms = j->now;
        if (job_add_row(j, &r) != 0) {
            return PH_ENOMEM;
        }
    }
    return 0;
}

void
api_v1_group_create(struct api_req *rq, struct http_request *req,
                    struct http_response *resp)
{
    struct hub *h = rq->h;
    struct store_group_row g;
    struct comp_job *j;
    json_t *doc = NULL, *o, *arr;
    char id[13];
    int bad;
    int64_t now = time_now_ms();

    if (deferred_wait(rq, req)) {
        return;
    }
    o = body_object(req, resp, "component_group", &doc);
    if (o == NULL) {
        return;
    }
    memset(&g, 0, sizeof(g));
    if (text_field(o, "name", NAME_MAX_LEN, 1, &g.name, resp) != 0 ||
        text_field(o, "description", DESCRIPTION_MAX_LEN, 0, &g.description,
                   resp) != 0) {
        goto out;
    }
    arr = members(h, o, 1, &bad, resp);
    if (bad) {
        goto out;
    }
    if (new_api_id(h, 1, id, sizeof(id), resp) != 0) {
        goto out;
    }
    g.id = id;
    g.created_ms = now;
    g.updated_ms = now;
    j = comp_job_new(rq, CJ_GROUP_PUT, resp);
    if (j == NULL) {
        goto out;
    }
    if (job_set_group(j, &g) != 0 || member_rows(h, id, arr, j) != 0) {
        job_abandon(j, resp);
        goto out;
    }
    snprintf(j->logline, sizeof(j->logline),
             "api: %s created component group %s (%.128s)", j->actor, id,
             g.name);
    job_submit(rq, req, resp, j, 201, reply_group);
out:
    json_decref(doc);
}

void
api_v1_group_update(struct api_req *rq, struct http_request *req,
                    struct http_response *resp)
{
    struct hub *h = rq->h;
    int gi;
    struct store_group_row g;
    struct comp_job *j;
    json_t *doc = NULL, *o, *arr;
    int bad;

    if (deferred_wait(rq, req)) {
        return;
    }
    gi = api_group(h, rq->param[0], resp);
    if (gi < 0) {
        return;
    }
    o = body_object(req, resp, "component_group", &doc);
    if (o == NULL) {
        return;
    }
    memset(&g, 0, sizeof(g));
    g.id = h->conf.groups[gi].id;
    g.name = h->conf.groups[gi].name;
    g.description = h->conf.groups[gi].description;
    if ((json_object_get(o, "name") != NULL &&
         text_field(o, "name", NAME_MAX_LEN, 1, &g.name, resp) != 0) ||
        text_field(o, "description", DESCRIPTION_MAX_LEN, 0, &g.description,
                   resp) != 0) {
        goto out;
    }
    arr = members(h, o, 0, &bad, resp);
    if (bad) {
        goto out;
    }
    g.updated_ms = time_now_ms();
    j = comp_job_new(rq, CJ_GROUP_PUT, resp);
    if (j == NULL) {
        goto out;
    }
    if (job_set_group(j, &g) != 0 ||
        (arr != NULL && member_rows(h, g.id, arr, j) != 0)) {
        job_abandon(j, resp);
        goto out;
    }
    snprintf(j->logline, sizeof(j->logline),
             "api: %s changed component group %s", j->actor, g.id);
    job_submit(rq, req, resp, j, 200, reply_group);
out:
    json_decref(doc);
}

void
api_v1_group_delete(struct api_req *rq, struct http_request *req,
                    struct http_response *resp)
{
    struct hub *h = rq->h;
    struct comp_job *j;
    int gi;

    if (deferred_wait(rq, req)) {
        return;
    }
    gi = api_group(h, rq->param[0], resp);
    if (gi < 0) {
        return;
    }
    j = comp_job_new(rq, CJ_GROUP_DELETE, resp);
    if (j == NULL) {
        return;
    }
    snprintf(j->id, sizeof(j->id), "%s", rq->param[0]);
    /* Its components stay, outside any group. */
    if (member_rows(h, j->id, NULL, j) != 0) {
        job_abandon(j, resp);
        return;
    }
    snprintf(j->logline, sizeof(j->logline),
             "api: %s deleted component group %s", j->actor, j->id);
    job_submit(rq, req, resp, j, 204, NULL);
}
