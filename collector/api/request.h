/*
 * request.h - what a route handler gets and may do: the request context
 * (struct api_req: the hub, the actor, path parameters) and the ways to
 * answer later: after the evaluation the handler asked for
 * (route_reply_after), or after something off the loop, a commit
 * (route_defer). Handlers include this, never routes.h: the route table
 * includes the handlers, not the other way round.
 */
#ifndef PH_REQUEST_H
#define PH_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "http.h"
#include "hub.h"
#include "json.h"

#define ROUTE_MAX_PARAMS 4
#define ROUTE_PARAM_MAX 96
/* The largest JSON reply a handler renders (lists of subscribers, audit
 * entries); a longer one is a 500, never a cut document. */
#define ROUTE_REPLY_MAX (64u * 1024 * 1024)

struct route;
struct api_req;

typedef void (*route_fn)(struct api_req *rq, struct http_request *req,
                         struct http_response *resp);

/* The context of one request, on the stack of the wiring's HTTP
 * callback; handlers borrow it for the call. */
struct api_req {
    struct hub *h;
    const struct route *route;       /* matched row; NULL for 404 */
    /* Its handler, once the path matched: deferred.c runs it again for
     * a request deferred_wait() parked (authentication and routing were
     * done the first time) without knowing the route table. */
    route_fn handler;
    enum http_route metric;          /* its metrics group */
    const char *actor;               /* API key name once authenticated */
    /* Path parameters in pattern order (":page" is checked, not kept). */
    char param[ROUTE_MAX_PARAMS][ROUTE_PARAM_MAX];
    size_t nparam;
    /* A reply rendered by routes_finish(), after the evaluation. */
    route_fn reply;
    int deferred;                    /* route_defer(): answered later */
    int reply_status;
    char subject[ROUTE_PARAM_MAX];   /* what the deferred reply shows */
    /* A request parked by deferred_wait() and run again (deferred.c):
     * its pending reply and deadline, which a new deferral reuses. */
    struct http_pending *parked;
    int64_t parked_deadline_ms;
};

/*
 * A reply that waits for something off the loop (a commit): the request
 * is parked (http_defer) and route_pending_finish() sends the reply and
 * counts it under the route's metrics. Returns new, or NULL (answer at
 * once). route_undefer() takes it back while the handler still runs.
 */
struct route_pending;
struct route_pending *route_defer(struct api_req *rq,
                                  struct http_request *req);
void route_pending_finish(struct route_pending *rp,
                          struct http_response *resp);
void route_undefer(struct api_req *rq, struct route_pending *rp);

/* Replies status with doc (taken) as JSON (PH_JSON_* flags), at most
 * ROUTE_REPLY_MAX bytes; 500 if it cannot be rendered. */
void route_reply_json(struct http_response *resp, int status,
                      unsigned flags, ph_json *doc);

/* Defers the reply: fn renders it with status after the evaluation;
 * subject (copied, may be NULL) names what it shows. */
void route_reply_after(struct api_req *rq, route_fn fn, int status,
                       const char *subject);

/* The bounded set of status codes counted per route: the slot of code,
 * and the code of a slot (0 for "other"). */
/* The language (PH_LANG_*) of a page the collector writes itself (link
 * pages, the login form): the reader's by Accept-Language when
 * page.reader_language is set (then the reply says Vary:
 * Accept-Language), else page.language. */
int request_reader_lang(struct hub *h, struct http_request *req,
                        struct http_response *resp);
int request_code_slot(int code);
int request_slot_code(int slot);
/* Counts a reply under metric in /metrics (routes and deferred replies). */
void request_count(struct hub *h, enum http_route metric, int status);

#endif
