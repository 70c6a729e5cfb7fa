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

#include "request.h"

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

#endif
