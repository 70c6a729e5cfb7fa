/*
 * routes.c - the route table and its dispatcher (routes.h).
 */
#include "routes.h"

#include <stdio.h>
#include <string.h>

#include "access.h"
#include "admin.h"
#include "agent_wait.h"
#include "api_v1.h"
#include "audit.h"
#include "forward.h"
#include "hub.h"
#include "ingest.h"
#include "intake.h"
#include "intake_opsgenie.h"
#include "intake_pagerduty.h"
#include "latency_api.h"
#include "mem.h"
#include "metrics.h"
#include "ops.h"
#include "subscribers.h"

enum {
    M_GET = 1 << 0, /* and HEAD */
    M_POST = 1 << 1,
    M_PUT = 1 << 2,
    M_PATCH = 1 << 3,
    M_DELETE = 1 << 4,
    M_OPTIONS = 1 << 5,
};
#define M_WRITE (M_PATCH | M_PUT)

/* Route flags. */
#define RF_SYNC_PUBLISH 1u /* read-your-writes: publish before replying */
#define RF_VIEWER 2u       /* a document of the page: page.access applies */

/*
 * One endpoint. pattern segments are literal, ":name" (one segment, kept
 * in api_req.param; ":page" must name the configured page) or a final
 * "*" (the rest of the path). Under /v1/ a trailing ".json" is dropped
 * before matching, as Statuspage clients add it. Rows with the same
 * pattern are one resource: a method none of them takes gets 405 with
 * their Allow list (and the note of the first, when it has one).
 */
struct route {
    unsigned methods;
    const char *pattern;
    route_fn fn;
    enum auth_scope scope;   /* SCOPE_NONE: public or the handler's own */
    enum http_route metric;
    unsigned flags;
    const char *note;        /* why other methods are refused */
};

#define PAGE "/v1/pages/:page"
#define CONF_NOTE(what) what " defined in the configuration file"

static const struct route table[] = {
    /* Agents: their own bearer tokens (ingest.c). */
    {M_GET, "/v1/agent/plan", ingest_plan, SCOPE_NONE, ROUTE_AGENT, 0, NULL},
    {M_POST, "/v1/agent/results", ingest_results, SCOPE_NONE, ROUTE_AGENT, 0,
     NULL},
    {M_GET, "/v1/agent/rechecks", agent_wait_handler, SCOPE_NONE, ROUTE_AGENT,
     0, NULL},
    /* Alert intake: alert tokens or write keys (intake.c). */
    {M_POST | M_PUT, "/v1/integrations/alertmanager", intake_alertmanager,
     SCOPE_NONE, ROUTE_INTAKE, 0, NULL},
    {M_POST | M_PUT, "/v1/integrations/webhook", intake_webhook, SCOPE_NONE,
     ROUTE_INTAKE, 0, NULL},
    /* Incident-management tools: signatures or their own tokens
     * (intake_pagerduty.c, intake_opsgenie.c). */
    {M_POST, "/v1/integrations/pagerduty", intake_pagerduty, SCOPE_NONE,
     ROUTE_INTAKE, 0, NULL},
    {M_POST, "/v1/integrations/opsgenie", intake_opsgenie, SCOPE_NONE,
     ROUTE_INTAKE, 0, NULL},
    /* Run-time agents and API keys (admin.c). */
    {M_GET, "/v1/agents", admin_agents_list, SCOPE_READ, ROUTE_ADMIN, 0,
     NULL},
    {M_POST, "/v1/agents", admin_agents_create, SCOPE_ADMIN, ROUTE_ADMIN, 0,
     NULL},
    {M_DELETE, "/v1/agents/:id", admin_agents_revoke, SCOPE_ADMIN,
     ROUTE_ADMIN, 0, NULL},
    {M_GET, "/v1/keys", admin_keys_list, SCOPE_ADMIN, ROUTE_ADMIN, 0, NULL},
    {M_POST, "/v1/keys", admin_keys_create, SCOPE_ADMIN, ROUTE_ADMIN, 0,
     NULL},
    {M_DELETE, "/v1/keys/:id", admin_keys_revoke, SCOPE_ADMIN, ROUTE_ADMIN,
     0, NULL},
    /* Viewers of a page with access: token (admin_viewers.c). */
    {M_GET, "/v1/viewers", admin_viewers_list, SCOPE_ADMIN, ROUTE_ADMIN, 0,
     NULL},
    {M_POST, "/v1/viewers", admin_viewers_create, SCOPE_ADMIN, ROUTE_ADMIN,
     0, NULL},
    {M_DELETE, "/v1/viewers/:id", admin_viewers_revoke, SCOPE_ADMIN,
     ROUTE_ADMIN, 0, NULL},
    /* Statuspage's v1 management API (api_v1*.c, subscribers.c). */
    {M_GET, PAGE, api_v1_page, SCOPE_READ, ROUTE_V1, 0,
     CONF_NOTE("the page is")},
    {M_GET, PAGE "/audit-log", api_v1_audit, SCOPE_ADMIN, ROUTE_V1, 0, NULL},
    {M_GET, PAGE "/component-groups", api_v1_groups, SCOPE_READ, ROUTE_V1, 0,
     NULL},
    {M_POST, PAGE "/component-groups", api_v1_group_create, SCOPE_WRITE,
     ROUTE_V1, RF_SYNC_PUBLISH, NULL},
    {M_GET, PAGE "/component-groups/:id", api_v1_group, SCOPE_READ,
     ROUTE_V1, 0, NULL},
    {M_WRITE, PAGE "/component-groups/:id", api_v1_group_update,
     SCOPE_WRITE, ROUTE_V1, RF_SYNC_PUBLISH, NULL},
    {M_DELETE, PAGE "/component-groups/:id", api_v1_group_delete,
     SCOPE_WRITE, ROUTE_V1, RF_SYNC_PUBLISH, NULL},
    {M_GET, PAGE "/components", api_v1_components, SCOPE_READ, ROUTE_V1, 0,
     NULL},
    {M_POST, PAGE "/components", api_v1_component_create, SCOPE_WRITE,
     ROUTE_V1, RF_SYNC_PUBLISH, NULL},
    {M_GET, PAGE "/components/:id", api_v1_component, SCOPE_READ, ROUTE_V1,
     0, NULL},
    {M_WRITE, PAGE "/components/:id", api_v1_component_update, SCOPE_WRITE,
     ROUTE_V1, RF_SYNC_PUBLISH, NULL},
    {M_DELETE, PAGE "/components/:id", api_v1_component_delete, SCOPE_WRITE,
     ROUTE_V1, RF_SYNC_PUBLISH, NULL},
    {M_GET, PAGE "/components/:id/uptime", api_v1_component_uptime,
     SCOPE_READ, ROUTE_V1, 0, NULL},
    {M_GET, PAGE "/components/:id/transitions", api_v1_component_transitions,
     SCOPE_READ, ROUTE_V1, 0, NULL},
    {M_GET, PAGE "/incidents", api_v1_incidents_list, SCOPE_READ, ROUTE_V1, 0,
     NULL},
    {M_POST, PAGE "/incidents", api_v1_incident_create, SCOPE_WRITE,
     ROUTE_V1, RF_SYNC_PUBLISH, NULL},
    {M_GET, PAGE "/incidents/unresolved", api_v1_incidents_unresolved,
     SCOPE_READ, ROUTE_V1, 0, NULL},
    {M_GET, PAGE "/incidents/upcoming", api_v1_incidents_upcoming,
     SCOPE_READ, ROUTE_V1, 0, NULL},
    {M_GET, PAGE "/incidents/scheduled", api_v1_incidents_scheduled,
     SCOPE_READ, ROUTE_V1, 0, NULL},
    {M_GET, PAGE "/incidents/active_maintenance",
     api_v1_incidents_active_maintenance, SCOPE_READ, ROUTE_V1, 0, NULL},
    {M_GET, PAGE "/incidents/:id", api_v1_incident_get, SCOPE_READ, ROUTE_V1,
     0, NULL},
    {M_WRITE, PAGE "/incidents/:id", api_v1_incident_patch, SCOPE_WRITE,
     ROUTE_V1, RF_SYNC_PUBLISH, NULL},
    {M_DELETE, PAGE "/incidents/:id", api_v1_incident_delete, SCOPE_WRITE,
     ROUTE_V1, RF_SYNC_PUBLISH, NULL},
    {M_WRITE, PAGE "/incidents/:id/incident_updates/:uid",
     api_v1_incident_update_edit, SCOPE_WRITE, ROUTE_V1, RF_SYNC_PUBLISH,
     NULL},
    {M_GET, PAGE "/subscribers", api_v1_subscribers_list, SCOPE_READ,
     ROUTE_V1, 0, NULL},
    {M_POST, PAGE "/subscribers", api_v1_subscribers_create, SCOPE_WRITE,
     ROUTE_V1, 0, NULL},
    {M_GET, PAGE "/subscribers/:id", api_v1_subscriber_get, SCOPE_READ,
     ROUTE_V1, 0, NULL},
    {M_DELETE, PAGE "/subscribers/:id", api_v1_subscriber_delete,
     SCOPE_WRITE, ROUTE_V1, 0, NULL},
    {M_POST, PAGE "/subscribers/:id/reactivate", api_v1_subscriber_reactivate,
     SCOPE_WRITE, ROUTE_V1, 0, NULL},
    /* Public sign-up and the links in its emails (subscribers.c). */
    {M_POST, "/api/v2/subscribers.json", subscribers_public, SCOPE_NONE,
     ROUTE_SUBSCRIBE, RF_VIEWER, NULL},
    {M_OPTIONS, "/api/v2/subscribers.json", ops_preflight, SCOPE_NONE,
     ROUTE_SUBSCRIBE, 0, NULL},
    {M_GET, "/subscriptions/confirm", subscribers_confirm, SCOPE_NONE,
     ROUTE_SUBSCRIBE, 0, NULL},
    {M_GET | M_POST, "/subscriptions/unsubscribe", subscribers_unsubscribe,
     SCOPE_NONE, ROUTE_SUBSCRIBE, 0, NULL},
    /* Operations and the published documents (ops.c). */
    {M_GET, "/healthz", ops_health, SCOPE_NONE, ROUTE_OPS, 0, NULL},
    {M_GET, "/metrics", ops_metrics, SCOPE_NONE, ROUTE_OPS, 0, NULL},
    /* Read from the rollups per request, with its query parameters
     * (before the /api/ catch-all: the first pattern that matches is the
     * resource). */
    {M_GET, "/api/v2/latency.json", api_latency, SCOPE_NONE, ROUTE_FEED,
     RF_VIEWER, NULL},
    {M_OPTIONS, "/api/v2/latency.json", ops_preflight, SCOPE_NONE,
     ROUTE_FEED, 0, NULL},
    {M_OPTIONS, "/api/*", ops_preflight, SCOPE_NONE, ROUTE_FEED, 0, NULL},
    {M_GET, "/api/*", ops_document, SCOPE_NONE, ROUTE_FEED, RF_VIEWER,
     NULL},
    {M_GET, "/history.atom", ops_document, SCOPE_NONE, ROUTE_FEED, RF_VIEWER,
     NULL},
    {M_GET, "/history.rss", ops_document, SCOPE_NONE, ROUTE_FEED, RF_VIEWER,
     NULL},
    {M_GET, "/badge/*", ops_document, SCOPE_NONE, ROUTE_FEED, RF_VIEWER,
     NULL},
    {~0u, "/v1/*", NULL, SCOPE_NONE, ROUTE_OTHER, 0, NULL},
    /* The login form of a private page (access_login.c). */
    {M_GET | M_POST, "/login", access_login, SCOPE_NONE, ROUTE_PAGE, 0,
     NULL},
    {M_POST, "/logout", access_logout, SCOPE_NONE, ROUTE_PAGE, 0, NULL},
    {M_GET, "/*", ops_document, SCOPE_NONE, ROUTE_PAGE, RF_VIEWER, NULL},
};
#define NROUTES (sizeof(table) / sizeof(table[0]))

static unsigned
method_bit(const char *m)
{
    static const struct {
        const char *name;
        unsigned bit;
    } names[] = {
        {"GET", M_GET},       {"HEAD", M_GET},     {"POST", M_POST},
        {"PUT", M_PUT},       {"PATCH", M_PATCH},  {"DELETE", M_DELETE},
        {"OPTIONS", M_OPTIONS},
    };

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(m, names[i].name) == 0) {
            return names[i].bit;
        }
    }
    return 0;
}

/* The path to match: under /v1/ without a trailing ".json". Returns 0,
 * or -1 when it does not fit. */
static int
match_path(const char *path, char *out, size_t len)
{
    size_t n = strlen(path);

    if (n >= len) {
        return -1;
    }
    memcpy(out, path, n + 1);
    if (strncmp(out, "/v1/", 4) == 0 && n > 5 &&
        strcmp(out + n - 5, ".json") == 0) {
        out[n - 5] = '\0';
    }
    return 0;
}

/* 1 when path matches pattern; parameters go to rq (may be NULL). */
static int
match(const char *pattern, const char *path, struct api_req *rq)
{
    const char *p = pattern, *s = path;
    size_t np = 0;

    while (*p != '\0') {
        size_t pl, sl;

        if (*p != '/' || *s != '/') {
            return 0;
        }
        p++;
        s++;
        if (strcmp(p, "*") == 0) {
            return 1;
        }
        pl = strcspn(p, "/");
        sl = strcspn(s, "/");
        if (sl == 0) {
            return 0;
        }
        if (*p == ':') {
            if (sl >= ROUTE_PARAM_MAX || np >= ROUTE_MAX_PARAMS) {
                return 0;
            }
            if (rq != NULL && !(pl == 5 && strncmp(p, ":page", 5) == 0)) {
                memcpy(rq->param[np], s, sl);
                rq->param[np][sl] = '\0';
                np++;
            }
        } else if (pl != sl || strncmp(p, s, pl) != 0) {
            return 0;
        }
        p += pl;
        s += sl;
    }
    if (*s != '\0') {
        return 0;
    }
    if (rq != NULL) {
        rq->nparam = np;
    }
    return 1;
}

/* The value of ":page" in path (pattern matched already). */
static int
page_matches(const char *pattern, const char *path, const char *page_id)
{
    const char *at = strstr(pattern, ":page");
    size_t depth = 0, l;
    const char *s = path;

    if (at == NULL) {
        return 1;
    }
    for (const char *q = pattern; q < at; q++) {
        depth += *q == '/';
    }
    for (size_t i = 0; i < depth; i++) {
        s = strchr(s, '/');
        if (s == NULL) {
            return 0;
        }
        s++;
    }
    l = strcspn(s, "/");
    return strlen(page_id) == l && strncmp(s, page_id, l) == 0;
}

static void
refuse_method(const struct route *first, unsigned allow,
              struct http_response *resp)
{
    static const struct {
        unsigned bit;
        const char *names;
    } order[] = {
        {M_GET, "GET, HEAD"}, {M_POST, "POST"},     {M_PUT, "PUT"},
        {M_PATCH, "PATCH"},   {M_DELETE, "DELETE"}, {M_OPTIONS, "OPTIONS"},
    };
    char list[96] = "", msg[192];
    size_t n = 0;

    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        if (allow & order[i].bit) {
            n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s",
                                  n > 0 ? ", " : "", order[i].names);
        }
    }
    if (first->note != NULL) {
        snprintf(msg, sizeof(msg), "%s (allowed: %s)", first->note, list);
    } else {
        snprintf(msg, sizeof(msg), "use %s", list);
    }
    http_resp_error(resp, 405, "method_not_allowed", msg);
    http_resp_header(resp, "Allow", list);
}

/* The page itself (not an asset or a document): a reader without a
 * session is sent to the login form rather than given a 401. */
static int
is_page_html(const struct route *r, const char *path)
{
    size_t n = strlen(path);

    return r->metric == ROUTE_PAGE &&
           (strcmp(path, "/") == 0 ||
            (n > 5 && strcmp(path + n - 5, ".html") == 0));
}

void
routes_dispatch(struct api_req *rq, struct http_request *req,
                struct http_response *resp)
{
    struct hub *h = rq->h;
    unsigned bit = method_bit(http_req_method(req));
    const struct route *first = NULL;
    unsigned allow = 0;
    char path[1024];

    rq->route = NULL;
    rq->metric = ROUTE_OTHER;
    rq->actor = NULL;
    rq->reply = NULL;
    rq->nparam = 0;
    if (match_path(http_req_path(req), path, sizeof(path)) != 0) {
        http_resp_error(resp, 414, "uri_too_long", "path too long");
        return;
    }
    /* server.agent_listen serves agents, the API and health only. */
    if (http_req_listener(req) == HTTP_AGENT &&
        strncmp(path, "/v1/", 4) != 0 && strcmp(path, "/healthz") != 0 &&
        strcmp(path, "/metrics") != 0) {
        http_resp_error(resp, 404, "not_found",
                        "this listener serves /v1/ and /healthz only");
        return;
    }
    for (size_t i = 0; i < NROUTES; i++) {
        const struct route *r = &table[i];

        if (first != NULL && strcmp(r->pattern, first->pattern) != 0) {
            continue;
        }
        if (!match(r->pattern, path, NULL)) {
            continue;
        }
        if (first == NULL) {
            first = r;
        }
        allow |= r->methods;
        if (r->methods & bit) {
            rq->route = r;
            break;
        }
    }
    if (first == NULL || first->fn == NULL ||
        (rq->route != NULL && rq->route->fn == NULL)) {
        http_resp_error(resp, 404, "not_found", "no such resource");
        return;
    }
    if (!page_matches(first->pattern, path, h->conf.page.id)) {
        rq->route = first;
        http_resp_error(resp, 404, "not_found", "no such page");
        return;
    }
    if (rq->route == NULL) {
        rq->route = first;
        refuse_method(first, allow, resp);
        return;
    }
    match(rq->route->pattern, path, rq);
    rq->handler = rq->route->fn;
    /* HA: only the leader acts; a follower hands writes to it. */
    if (h->role.ha && h->role.shared_store && !h->role.leading &&
        h->forward != NULL && forward_wanted(req)) {
        rq->metric = rq->route->metric;
        h->metrics.forwarded++;
        forward_request(h->forward,
                        h->leader_url != NULL
                            ? h->leader_url(h->leader_url_arg)
                            : NULL,
                        req, resp);
        return;
    }
    if ((rq->route->flags & RF_VIEWER) &&
        access_allow(h, req, resp, is_page_html(rq->route, path)) != 0) {
        rq->metric = rq->route->metric;
        return;
    }
    if (rq->route->scope != SCOPE_NONE) {
        const char *known = NULL;

        rq->actor = auth_api_key(h, req, rq->route->scope, resp, &known);
        if (rq->actor == NULL) {
            rq->actor = known; /* a refused key is audited too */
            return;
        }
    }
    rq->metric = rq->route->metric;
    rq->route->fn(rq, req, resp);
}

int
routes_sync_publish(const struct api_req *rq)
{
    return rq->route != NULL && (rq->route->flags & RF_SYNC_PUBLISH);
}

void
routes_finish(struct api_req *rq, struct http_request *req,
              struct http_response *resp)
{
    struct hub *h = rq->h;
    enum http_route metric = rq->route != NULL ? rq->route->metric
                                               : ROUTE_OTHER;

    if (rq->reply != NULL) {
        route_fn fn = rq->reply;

        rq->reply = NULL;
        fn(rq, req, resp);
    }
    if (rq->deferred) {
        return; /* counted when the reply leaves */
    }
    audit_request(h, rq->actor, req, resp);
    request_count(h, metric, resp->status);
}
