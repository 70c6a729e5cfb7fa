/*
 * intake_opsgenie.h - POST /v1/integrations/opsgenie: Opsgenie outgoing
 * webhook deliveries (alert Create, Acknowledge, AddNote, Close),
 * authenticated by "Authorization: Bearer <token>" (a custom header of
 * the Opsgenie Webhook integration) against integrations.opsgenie.tokens,
 * then applied (intake_hooks.c).
 */
#ifndef PH_INTAKE_OPSGENIE_H
#define PH_INTAKE_OPSGENIE_H

#include "request.h"

void intake_opsgenie(struct api_req *rq, struct http_request *req,
                     struct http_response *resp);

#endif
