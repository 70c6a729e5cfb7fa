/*
 * intake_pagerduty.h - POST /v1/integrations/pagerduty: PagerDuty V3
 * webhook deliveries, authenticated by X-PagerDuty-Signature (any
 * configured secret; several during a rotation), refused when unsigned,
 * malformed or stale (occurred more than integrations.pagerduty.max_age
 * from now), then applied (intake_hooks.c).
 */
#ifndef PH_INTAKE_PAGERDUTY_H
#define PH_INTAKE_PAGERDUTY_H

#include "request.h"

void intake_pagerduty(struct api_req *rq, struct http_request *req,
                      struct http_response *resp);

#endif
