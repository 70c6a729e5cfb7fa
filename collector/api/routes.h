/*
 * routes.h - the collector's route table (Redis's command table idea):
 * every endpoint is one row of method set, path pattern, handler, the API
 * key scope it needs and the metrics name it is counted under. 405 with
 * an Allow header, authentication and per-route metrics all come from the
 * rows; handlers never compare methods or paths.
 *
 * A request goes through three steps, all on the loop thread:
 *   routes_dispatch()  match, authenticate, run the handler;
 *   (the wiring runs the evaluation the handler asked for, if any)
 *   routes_finish()    render a deferred reply, audit, count.
 * Handlers that change statuses ask for an evaluation (they never run
 * one) and may defer their reply with route_reply_after(), so that the
 * reply shows the state after that evaluation.
 */
#ifndef PH_ROUTES_H
#define PH_ROUTES_H

#include "auth.h"
#include "http.h"
#include "json.h"

#define ROUTE_MAX_PARAMS 4
#define ROUTE_PARAM_MAX 96
/* The largest JSON reply a handler renders (lists of subscribers, audit
 * entries); a longer one is a 500, never a cut document. */
#define ROUTE_REPLY_MAX (64u * 1024 * 1024)

struct hub;
struct route;
struct api_req;

typedef void (*route_fn)(struct api_req *rq, struct http_request *req,
                         struct http_response *resp);

/* The context of one request, on the stack of the wiring's HTTP
 * callback; handlers borrow it for the call. */
struct api_req {
    struct hub *h;
    const struct route *route;       /* matched row; NULL for 404 */
    const char *actor;               /* API key name once authenticated */
    /* Path parameters in pattern order (":page" is checked, not kept). */
    char param[ROUTE_MAX_PARAMS][ROUTE_PARAM_MAX];
    size_t nparam;
    /* A reply rendered by routes_finish(), after the evaluation. */
    route_fn reply;
    int deferred;                    /* route_defer(): answered later */
    int reply_status;
    char subject[ROUTE_PARAM_MAX];   /* what the deferred reply shows */
};

/* Matches req against the table and runs the handler (or fills a 404,
 * 405 or an authentication error). rq->h must be set; the rest of rq is
 * filled here. */
void routes_dispatch(struct api_req *rq, struct http_request *req,
                     struct http_response *resp);
/* Renders a deferred reply, records the audit entry and the metrics. */
void routes_finish(struct api_req *rq, struct http_request *req,
                   struct http_response *resp);
/* 1 when the matched route promises read-your-writes: its 2xx reply is
 * sent only after the public documents show the change. */
int routes_sync_publish(const struct api_req *rq);
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

#endif
