/*
 * subscribers.c - public sign-up, confirm and unsubscribe links, and the
 * v1 /subscribers endpoints (subscribers.h, api_v1.h).
 */
#include "subscribers.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_body.h"
#include "api_v1.h"
#include "deferred.h"
#include "json.h"
#include "lang.h"
#include "log.h"
#include "mem.h"
#include "notify_fmt.h"
#include "notify_msgs.h"
#include "ph_err.h"
#include "signup.h"
#include "store.h"
#include "timefmt.h"

#define ERR_MAX 256

static const char *
str_of(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);

    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Copies s without surrounding spaces into out; 0, or -1 if too long. */
static int
copy_trimmed(const char *s, char *out, size_t len)
{
    size_t n;

    while (isspace((unsigned char)*s)) {
        s++;
    }
    n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1])) {
        n--;
    }
    if (n >= len) {
        return -1;
    }
    memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

static int
add_component(const struct pharos_conf *cf, const json_t *v,
              struct notify_sub_request *r, size_t *count, char *err,
              size_t errlen)
{
    const char *id = json_is_string(v) ? json_string_value(v) : NULL;
    size_t used = strlen(r->components);

    if (id == NULL) {
        snprintf(err, errlen, "component ids must be strings");
        return PH_EINVAL;
    }
    if (id[0] == '\0') {
        return 0; /* an empty form field: no choice */
    }
    if (pharos_conf_component_index(cf, id) < 0) {
        snprintf(err, errlen, "unknown component %.64s", id);
        return PH_EINVAL;
    }
    /* Skip duplicates. */
    for (const char *p = r->components; *p;) {
        size_t w = strcspn(p, " ");
        if (w == strlen(id) && memcmp(p, id, w) == 0) {
            return 0;
        }
        p += w + (p[w] == ' ');
    }
    if (++*count > INC_COMPONENTS_MAX ||
        used + strlen(id) + 2 > sizeof(r->components)) {
        snprintf(err, errlen, "at most %d components", INC_COMPONENTS_MAX);
        return PH_EINVAL;
    }
    snprintf(r->components + used, sizeof(r->components) - used, "%s%s",
             used ? " " : "", id);
    return 0;
}

static int
read_components(const json_t *sub, const struct pharos_conf *cf,
                struct notify_sub_request *r, char *err, size_t errlen)
{
    static const char *const keys[] = {"component_ids", "components",
                                       "component_id"};
    size_t count = 0;

    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
        const json_t *v = json_object_get(sub, keys[k]);
        const json_t *item;
        size_t i;

        if (v == NULL || json_is_null(v)) {
            continue;
        }
        if (json_is_array(v)) {
            json_array_foreach(v, i, item) {
                if (add_component(cf, item, r, &count, err, errlen) != 0) {
                    return PH_EINVAL;
                }
            }
        } else if (add_component(cf, v, r, &count, err, errlen) != 0) {
            return PH_EINVAL;
        }
    }
    return 0;
}

/* subscribers_parse() on the parsed body. */
static int
parse_doc(const json_t *doc, const struct pharos_conf *cf,
          struct notify_sub_request *ret, char *err, size_t errlen)
{
    const json_t *sub = json_object_get(doc, "subscriber");
    const char *kind_s, *email, *endpoint, *slack, *addr = NULL;
    int kind = -1, skip;

    memset(ret, 0, sizeof(*ret));
    if (!json_is_object(sub)) {
        sub = doc;
    }
    if (!json_is_object(sub)) {
        snprintf(err, errlen, "the body must be a subscriber object");
        return PH_EINVAL;
    }
    kind_s = str_of(sub, "kind");
    if (kind_s == NULL) {
        kind_s = str_of(sub, "mode");
    }
    email = str_of(sub, "email");
    endpoint = str_of(sub, "endpoint");
    slack = str_of(sub, "slack_url");
    if (kind_s != NULL) {
        kind = strcmp(kind_s, "email_sms") == 0 ? NOTIFY_EMAIL
                                                : notify_kind_parse(kind_s);
        if (kind < 0) {
            snprintf(err, errlen, "kind must be email, webhook or slack");
            return PH_EINVAL;
        }
    } else if (slack != NULL) {
        kind = NOTIFY_SLACK;
    } else if (endpoint != NULL) {
        kind = strstr(endpoint, "://hooks.slack.com/") != NULL ? NOTIFY_SLACK
                                                               : NOTIFY_WEBHOOK;
    } else if (email != NULL) {
        kind = NOTIFY_EMAIL;
    } else {
        snprintf(err, errlen,
                 "give an email, a webhook endpoint or a slack_url");
        return PH_EINVAL;
    }
    switch (kind) {
    case NOTIFY_EMAIL:
        addr = email;
        break;
    case NOTIFY_WEBHOOK:
        addr = endpoint;
        break;
    default:
        addr = slack != NULL ? slack : endpoint;
        break;
    }
    if (addr == NULL) {
        snprintf(err, errlen, "%s subscriptions need %s",
                 notify_kind_name((enum notify_kind)kind),
                 kind == NOTIFY_EMAIL     ? "an email"
                 : kind == NOTIFY_WEBHOOK ? "an endpoint"
                                          : "a slack_url");
        return PH_EINVAL;
    }
    ret->kind = (enum notify_kind)kind;
    if (copy_trimmed(addr, ret->address, sizeof(ret->address)) != 0 ||
        ret->address[0] == '\0') {
        snprintf(err, errlen, "the address must be 1 to %d characters",
                 STORE_SUB_ADDRESS_MAX);
        return PH_EINVAL;
    }
    skip = api_body_bool(json_object_get(sub,
                                         "skip_confirmation_notification"));
    if (skip == -2) {
        snprintf(err, errlen,
                 "skip_confirmation_notification must be a boolean");
        return PH_EINVAL;
    }
    ret->skip_confirmation = skip == 1;
    return read_components(sub, cf, ret, err, errlen);
}

int
subscribers_parse(const char *body, size_t len, const struct pharos_conf *cf,
                  struct notify_sub_request *ret, char *err, size_t errlen)
{
    json_t *doc = NULL;
    int rc;

    memset(ret, 0, sizeof(*ret));
    if (api_body_parse(body, len, &doc, err, errlen) != 0) {
        return PH_EPARSE;
    }
    rc = parse_doc(doc, cf, ret, err, errlen);
    json_decref(doc);
    return rc;
}

/* ---- replies ---- */

static json_t *
sub_json(const struct store_subscriber *s, int management)
{
    json_t *o = json_object();
    json_t *comps = json_array();
    int kind = notify_kind_parse(s->kind);

    for (const char *p = s->components; *p;) {
        size_t w = strcspn(p, " ");
        if (w > 0) {
            json_array_append_new(comps, json_stringn(p, w));
        }
        p += w + (p[w] == ' ');
    }
    json_object_set_new(o, "id", json_string(s->id));
    json_object_set_new(o, "mode", json_string(s->kind));
    json_object_set_new(o, "email", kind == NOTIFY_EMAIL
                                        ? json_string(s->address)
                                        : json_null());
    json_object_set_new(o, "endpoint", kind != NOTIFY_EMAIL
                                           ? json_string(s->address)
                                           : json_null());
    json_object_set_new(o, "state", json_string(s->state));
    json_object_set_new(o, "components", comps);
    json_object_set_new(o, "created_at", ph_json_time(s->created_ms));
    json_object_set_new(o, "confirmed_at", ph_json_time(s->confirmed_ms));
    json_object_set_new(o, "quarantined_at",
                        strcmp(s->state, "quarantined") == 0
                            ? ph_json_time(s->updated_ms)
                            : json_null());
    if (management) {
        json_object_set_new(o, "failures", json_integer(s->fails));
        json_object_set_new(o, "last_error", s->last_error[0]
                                                 ? json_string(s->last_error)
                                                 : json_null());
    }
    return o;
}

static int
status_of(int rc)
{
    return rc == PH_EINVAL ? 422 : rc == PH_EBUSY ? 503 : 500;
}

/* A subscription change whose store work runs off the loop
 * (deferred.h). */
struct sub_job {
    struct signup *su;
    int management;      /* v1 API, not the public form */
    int unsubscribe;     /* a link: which one */
    enum notify_kind kind;
};

static void
sub_job_free(void *arg)
{
    struct sub_job *j = arg;

    signup_free(j->su);
    ph_free(j);
}

static int
sub_job_run(struct store *db, void *arg)
{
    struct sub_job *j = arg;

    return signup_store(db, j->su);
}

static void
subscribed(struct api_req *rq, struct http_request *req, void *arg,
           int result, struct http_response *resp)
{
    struct sub_job *j = arg;
    struct store_subscriber sub;
    char secret[STORE_SUB_SECRET_MAX];
    char err[ERR_MAX] = "";
    int existing = 0;
    int rc;
    json_t *o;

    (void)req;
    if (!j->management) {
        resp->cors = 1;
        resp->cache_control = "no-store";
    }
    rc = signup_finish(rq->h, j->su, result, &sub, secret, &existing, err,
                       sizeof(err));
    if (rc != 0) {
        if (err[0] != '\0') {
            http_resp_error(resp, status_of(rc),
                            rc == PH_EINVAL ? "unprocessable_entity"
                                            : "unavailable",
                            err);
        } else {
            deferred_error(resp, rc, "cannot subscribe");
        }
        return;
    }
    if (!j->management && (existing || j->kind == NOTIFY_EMAIL)) {
        /* The public answer says nothing about the address: the same
         * for a new one, a pending or an active one (anyone can submit
         * anyone's address), so it neither confirms a subscription nor
         * leaks its id, state, components or dates. */
        static const char accepted[] =
            "{\"status\":\"accepted\",\"message\":\"Thanks. If this "
            "address can receive notifications, a confirmation message is "
            "on its way: follow its link to start receiving them.\"}\n";
        http_resp_text(resp, 202, "application/json", accepted);
        return;
    }
    o = sub_json(&sub, j->management);
    if (secret[0] != '\0') {
        /* Shown this once; the page never lists it again. */
        json_object_set_new(o, "secret", json_string(secret));
    }
    if (j->management) {
        route_reply_json(resp, existing ? 200 : 201, PH_JSON_LF, o);
    } else {
        json_t *w = json_object();
        json_object_set_new(w, "subscriber", o);
        route_reply_json(resp, existing ? 200 : 201, PH_JSON_LF, w);
    }
    memset(secret, 0, sizeof(secret));
}

/* Parses the body and subscribes; fills resp now or later. */
static void
subscribe(struct api_req *rq, struct http_request *req,
          struct http_response *resp, int management)
{
    struct hub *h = rq->h;
    struct notify_sub_request r;
    struct sub_job *j;
    char err[ERR_MAX];
    size_t len;
    const char *body = (const char *)http_req_body(req, &len);
    int rc;

    err[0] = '\0';
    rc = subscribers_parse(body, len, &h->conf, &r, err, sizeof(err));
    if (rc == PH_EPARSE) {
        http_resp_error(resp, 400, "bad_request", err);
        return;
    }
    if (rc != 0) {
        http_resp_error(resp, 422, "unprocessable_entity", err);
        return;
    }
    if (!management) {
        r.skip_confirmation = 0; /* only operators may skip double opt-in */
    }
    j = ph_calloc(1, sizeof(*j));
    if (j == NULL) {
        http_resp_error(resp, 503, "unavailable", "out of memory");
        return;
    }
    j->management = management;
    j->kind = r.kind;
    rc = signup_prepare(h, &r, &j->su, err, sizeof(err));
    if (rc != 0) {
        if (err[0] == '\0') {
            snprintf(err, sizeof(err), "cannot subscribe: %s",
                     ph_strerror(rc));
        }
        http_resp_error(resp, status_of(rc),
                        rc == PH_EINVAL ? "unprocessable_entity"
                                        : "unavailable",
                        err);
        ph_free(j);
        return;
    }
    deferred_store(rq, req, resp, sub_job_run, subscribed, sub_job_free, j);
}

void
subscribers_public(struct api_req *rq, struct http_request *req,
                   struct http_response *resp)
{
    struct hub *h = rq->h;
    int64_t wait_ms;

    /* Keyed by IPv4 address or IPv6 /64 (http_req_client_key). */
    wait_ms = notify_rate_check(h, http_req_client_key(req));
    if (wait_ms > 0) {
        char s[32];

        snprintf(s, sizeof(s), "%lld", (long long)(wait_ms + 999) / 1000);
        h->metrics.subscribe_rejected++;
        http_resp_error(resp, 429, "rate_limited",
                        "too many subscriptions from this address; try "
                        "again later");
        http_resp_header(resp, "Retry-After", s);
    } else {
        subscribe(rq, req, resp, 0);
    }
    resp->cors = 1;
    resp->cache_control = "no-store";
}

static void
html_page(struct hub *h, struct http_request *req,
          struct http_response *resp, int status, enum notify_msg title_id,
          enum notify_msg message_id)
{
    int lang = request_reader_lang(h, req, resp);
    const char *title = notify_msg(lang, title_id);
    struct buf b;
    size_t len;
    char *text;

    buf_init(&b, 16384);
    buf_printf(&b, "<!DOCTYPE html>\n<html lang=\"%s\"><head>"
                   "<meta charset=\"utf-8\">"
                   "<meta name=\"viewport\" content=\"width=device-width\">"
                   "<title>",
               lang_code(lang));
    notify_html_escape(title, &b);
    buf_appends(&b, "</title></head>\n<body style=\"font-family:sans-serif;"
                    "max-width:40em;margin:3em auto\">\n<h1>");
    notify_html_escape(title, &b);
    buf_appends(&b, "</h1>\n<p>");
    notify_html_escape(notify_msg(lang, message_id), &b);
    buf_appends(&b, "</p>\n<p><a href=\"/\">");
    notify_html_escape(h->conf.page.name, &b);
    buf_appends(&b, "</a></p>\n</body></html>\n");
    text = buf_steal(&b, &len);
    if (text == NULL) {
        http_resp_error(resp, 500, "internal", "out of memory");
        return;
    }
    http_resp_take(resp, status, "text/html; charset=utf-8", (uint8_t *)text,
                   len);
    resp->cache_control = "no-store";
}

static void
link_followed(struct api_req *rq, struct http_request *req, void *arg,
              int result, struct http_response *resp)
{
    struct sub_job *j = arg;
    struct hub *h = rq->h;
    struct store_subscriber sub;
    char err[ERR_MAX] = "";
    int rc = signup_finish(h, j->su, result, &sub, NULL, NULL, err,
                           sizeof(err));

    if (req == NULL) {
        return; /* gone: the change is made, nobody to tell */
    }
    if (rc == PH_ENOENT) {
        html_page(h, req, resp, 404, NMSG_LINK_UNKNOWN_T,
                  j->unsubscribe ? NMSG_LINK_UNKNOWN_UNSUB
                                 : NMSG_LINK_UNKNOWN_CONFIRM);
        return;
    }
    if (rc != 0) {
        html_page(h, req, resp, deferred_status(rc), NMSG_LINK_ERROR_T,
                  NMSG_LINK_ERROR);
        if (deferred_status(rc) == 503) {
            http_resp_header(resp, "Retry-After", "5");
        }
        return;
    }
    if (j->unsubscribe) {
        html_page(h, req, resp, 200, NMSG_LINK_UNSUB_T, NMSG_LINK_UNSUB);
    } else if (strcmp(sub.state, "active") == 0) {
        html_page(h, req, resp, 200, NMSG_LINK_CONFIRMED_T,
                  NMSG_LINK_CONFIRMED);
    } else {
        html_page(h, req, resp, 409, NMSG_LINK_INACTIVE_T,
                  NMSG_LINK_INACTIVE);
    }
}

static void
follow_link(struct api_req *rq, struct http_request *req,
            struct http_response *resp, int unsubscribe)
{
    struct hub *h = rq->h;
    const char *token = http_req_query(req, "token");
    struct sub_job *j;
    int rc;

    if (token == NULL || token[0] == '\0') {
        html_page(h, req, resp, 400, NMSG_LINK_MISSING_T, NMSG_LINK_MISSING);
        return;
    }
    j = ph_calloc(1, sizeof(*j));
    if (j == NULL) {
        html_page(h, req, resp, 500, NMSG_LINK_ERROR_T, NMSG_LINK_ERROR);
        return;
    }
    j->unsubscribe = unsubscribe;
    rc = signup_link_prepare(token, unsubscribe, &j->su);
    if (rc != 0) {
        ph_free(j);
        html_page(h, req, resp, rc == PH_ENOENT ? 404 : 500,
                  rc == PH_ENOENT ? NMSG_LINK_UNKNOWN_T : NMSG_LINK_ERROR_T,
                  rc != PH_ENOENT  ? NMSG_LINK_ERROR
                  : unsubscribe    ? NMSG_LINK_UNKNOWN_UNSUB
                                   : NMSG_LINK_UNKNOWN_CONFIRM);
        return;
    }
    deferred_store(rq, req, resp, sub_job_run, link_followed, sub_job_free,
                   j);
}

/* ---- /v1/pages/<page>/subscribers ---- */

/* A read or a change of subscribers by the v1 API, off the loop: the
 * list (as JSON, built on the thread: only the job and its own JSON are
 * touched there), or one subscriber (get, delete, reactivate). */
enum mgmt_op { MG_LIST, MG_GET, MG_DELETE, MG_REACTIVATE };

struct mgmt_job {
    enum mgmt_op op;
    char id[ROUTE_PARAM_MAX];
    char state[16];              /* MG_LIST: "" for active and pending */
    int64_t now_ms;
    json_t *arr;                 /* MG_LIST's rows */
    struct store_subscriber sub;
    int refused;                 /* MG_REACTIVATE: not quarantined */
    int changed;
};

static int
list_row(const struct store_subscriber *s, void *arg)
{
    struct mgmt_job *j = arg;

    if (j->state[0] == '\0' && strcmp(s->state, "active") != 0 &&
        strcmp(s->state, "pending") != 0) {
        return 0;
    }
    json_array_append_new(j->arr, sub_json(s, 1));
    return 0;
}

static void
mgmt_free(void *arg)
{
    struct mgmt_job *j = arg;

    json_decref(j->arr);
    ph_free(j);
}

static int
mgmt_run(struct store *db, void *arg)
{
    struct mgmt_job *j = arg;
    int rc;

    if (j->op == MG_LIST) {
        return store_sub_list(db,
                              j->state[0] != '\0' &&
                                      strcmp(j->state, "all") != 0
                                  ? j->state
                                  : NULL,
                              list_row, j);
    }
    rc = store_sub_get(db, j->id, &j->sub);
    if (rc != 0) {
        return rc;
    }
    if (j->op == MG_DELETE && strcmp(j->sub.state, "unsubscribed") != 0) {
        rc = store_sub_set_state(db, j->id, "unsubscribed", j->now_ms);
        if (rc == 0) {
            snprintf(j->sub.state, sizeof(j->sub.state), "unsubscribed");
            j->changed = 1;
        }
    } else if (j->op == MG_REACTIVATE) {
        if (strcmp(j->sub.state, "quarantined") != 0) {
            j->refused = 1;
            return 0;
        }
        rc = store_sub_set_state(db, j->id, "active", j->now_ms);
        if (rc == 0) {
            rc = store_sub_get(db, j->id, &j->sub);
        }
    }
    return rc;
}

static void
mgmt_done(struct api_req *rq, struct http_request *req, void *arg,
          int result, struct http_response *resp)
{
    struct mgmt_job *j = arg;

    (void)rq;
    (void)req;
    if (result == PH_ENOENT && j->op != MG_LIST) {
        http_resp_error(resp, 404, "not_found", "no such subscriber");
        return;
    }
    if (result != 0) {
        deferred_error(resp, result,
                       j->op == MG_LIST       ? "cannot list subscribers"
                       : j->op == MG_GET      ? "cannot read the subscriber"
                       : j->op == MG_DELETE   ? "cannot unsubscribe"
                                              : "cannot reactivate the "
                                                "subscriber");
        return;
    }
    if (j->op == MG_LIST) {
        route_reply_json(resp, 200, PH_JSON_LF, j->arr);
        j->arr = NULL;
        return;
    }
    if (j->refused) {
        http_resp_error(resp, 422, "unprocessable_entity",
                        "only a quarantined subscriber can be reactivated");
        return;
    }
    if (j->changed) {
        log_info("notify: subscriber %s removed through the API", j->id);
    }
    route_reply_json(resp, 200, PH_JSON_LF, sub_json(&j->sub, 1));
}

/* Runs op on the subscriber of the route's parameter (or the list). */
static void
mgmt(struct api_req *rq, struct http_request *req,
     struct http_response *resp, enum mgmt_op op, const char *state)
{
    struct mgmt_job *j = ph_calloc(1, sizeof(*j));

    if (j == NULL) {
        http_resp_error(resp, 503, "unavailable", "out of memory");
        return;
    }
    j->op = op;
    j->now_ms = time_now_ms();
    if (op == MG_LIST) {
        snprintf(j->state, sizeof(j->state), "%s",
                 state != NULL ? state : "");
        j->arr = json_array();
        if (j->arr == NULL) {
            ph_free(j);
            http_resp_error(resp, 503, "unavailable", "out of memory");
            return;
        }
    } else {
        snprintf(j->id, sizeof(j->id), "%s", rq->param[0]);
    }
    deferred_store(rq, req, resp, mgmt_run, mgmt_done, mgmt_free, j);
}

void
subscribers_confirm(struct api_req *rq, struct http_request *req,
                    struct http_response *resp)
{
    follow_link(rq, req, resp, 0);
}

void
subscribers_unsubscribe(struct api_req *rq, struct http_request *req,
                        struct http_response *resp)
{
    follow_link(rq, req, resp, 1);
}

void
api_v1_subscribers_list(struct api_req *rq, struct http_request *req,
                        struct http_response *resp)
{
    const char *st = http_req_query(req, "state");

    if (st != NULL && strcmp(st, "all") != 0 && strcmp(st, "active") != 0 &&
        strcmp(st, "pending") != 0 && strcmp(st, "quarantined") != 0 &&
        strcmp(st, "unsubscribed") != 0) {
        http_resp_error(resp, 400, "bad_request",
                        "state must be active, pending, quarantined, "
                        "unsubscribed or all");
        return;
    }
    mgmt(rq, req, resp, MG_LIST, st);
}

void
api_v1_subscribers_create(struct api_req *rq, struct http_request *req,
                          struct http_response *resp)
{
    subscribe(rq, req, resp, 1);
}

void
api_v1_subscriber_get(struct api_req *rq, struct http_request *req,
                      struct http_response *resp)
{
    mgmt(rq, req, resp, MG_GET, NULL);
}

void
api_v1_subscriber_delete(struct api_req *rq, struct http_request *req,
                         struct http_response *resp)
{
    mgmt(rq, req, resp, MG_DELETE, NULL);
}

/* A quarantined subscriber gets messages again (new events only). */
void
api_v1_subscriber_reactivate(struct api_req *rq, struct http_request *req,
                             struct http_response *resp)
{
    mgmt(rq, req, resp, MG_REACTIVATE, NULL);
}
