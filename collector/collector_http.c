/*
 * collector_http.c - the collector's HTTP callback: route, then the tail
 * every request runs after its handler, at once or, for one whose store
 * work ran off the loop, when it finishes (collector/api/deferred.h).
 */
#include "collector.h"

#include <stdio.h>
#include <string.h>

#include "request.h"
#include "routes.h"

/*
 * The tail of the HTTP callback, after the handler: run the evaluation
 * it asked for, render a deferred reply, and for a management write that
 * promises read-your-writes publish before the reply leaves, so the
 * feed of this collector already shows what the 2xx says. Also run for a
 * request whose store work finished off the loop (deferred.h).
 */
void
collector_finish_request(void *arg, struct api_req *rq,
                         struct http_request *req,
                         struct http_response *resp)
{
    struct collector *c = arg;
    char actor[128];

    if (c->rebuild_wanted) {
        /* Components or groups changed through the API: build the
         * configuration again (the file and the store), as a reload.
         * The actor (a key name) is borrowed from the configuration
         * about to be freed: the audit entry needs a copy. */
        if (rq->actor != NULL) {
            snprintf(actor, sizeof(actor), "%s", rq->actor);
            rq->actor = actor;
        }
        c->rebuild_wanted = 0;
        if (collector_reload(c) != 0) {
            c->h.rebuild_failed = 1;
        }
    }
    if (c->h.eval_requested) {
        collector_evaluate(c);
    }
    routes_finish(rq, req, resp);
    if (c->dirty && routes_sync_publish(rq) && resp->status >= 200 &&
        resp->status < 300) {
        c->dirty = 0;
        c->refresh_only = 0;
        c->results_dirty = 0;
        uv_timer_stop(&c->publish_timer);
        collector_render_sync(c);
    }
}

/* The collector's HTTP callback: route, then the tail. */
void
collector_on_http(struct http_request *req, struct http_response *resp,
                  void *arg)
{
    struct collector *c = arg;
    struct api_req rq;

    memset(&rq, 0, sizeof(rq));
    rq.h = &c->h;
    routes_dispatch(&rq, req, resp);
    collector_finish_request(c, &rq, req, resp);
}

