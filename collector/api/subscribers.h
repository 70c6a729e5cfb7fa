/*
 * subscribers.h - the HTTP side of subscriptions:
 *
 *   POST /api/v2/subscribers.json        public sign-up (Statuspage shape:
 *        subscriber[email]=a@b form or {"subscriber":{"email":..}}; Pharos
 *        adds "endpoint" for webhooks and "slack_url" for Slack, an
 *        optional "kind", and "component_ids"); rate-limited per client
 *        address, CORS; 201 with the subscriber (and a webhook's secret,
 *        shown this once), 200 when the address was already subscribed.
 *   GET  /subscriptions/confirm?token=T      confirms an email sign-up
 *   GET|POST /subscriptions/unsubscribe?token=T   unsubscribes (POST is
 *        the RFC 8058 one-click of List-Unsubscribe-Post)
 *
 * and /v1/pages/<page>/subscribers (api_v1.h) for the management API.
 */
#ifndef PH_SUBSCRIBERS_H
#define PH_SUBSCRIBERS_H

#include <stddef.h>

#include "hub.h"
#include "request.h"
#include "notify.h"

/*
 * Reads a subscriber request from the len bytes of body (borrowed; JSON
 * or a Rails form, as api_body_parse() takes them: {"subscriber": {...}}
 * or the fields at the top level). Component ids must exist in cf.
 * Returns 0; PH_EPARSE when body is not a JSON object or a form, or
 * PH_EINVAL when it does not make a subscriber, both with a message for
 * the client in err. Untrusted input; fuzzed by
 * tests/fuzz/fuzz_subscriber.c.
 */
int subscribers_parse(const char *body, size_t len,
                      const struct pharos_conf *cf,
                      struct notify_sub_request *ret, char *err,
                      size_t errlen);

/* Route handlers: POST /api/v2/subscribers.json, /subscriptions/confirm
 * and /subscriptions/unsubscribe (the v1 ones are in api_v1.h). */
void subscribers_public(struct api_req *rq, struct http_request *req,
                        struct http_response *resp);
void subscribers_confirm(struct api_req *rq, struct http_request *req,
                         struct http_response *resp);
void subscribers_unsubscribe(struct api_req *rq, struct http_request *req,
                             struct http_response *resp);

#endif
