/*
 * intake_hooks.h - what the PagerDuty and Opsgenie endpoints share once
 * a delivery is authentic and parsed: applying the event (state/hooks.c),
 * the /metrics counts and the JSON reply.
 */
#ifndef PH_INTAKE_HOOKS_H
#define PH_INTAKE_HOOKS_H

#include "hooks.h"
#include "request.h"

/*
 * Applies ev (borrowed) from source as who and answers: 200 with
 * {"status": "applied" | "ignored" | "duplicate", "reason", "incident_id"}
 * (2xx: the tools do not retry), or 500 when the store failed (nothing
 * was recorded: the tools' retry applies it).
 */
void intake_hook_apply(struct api_req *rq, struct http_response *resp,
                       enum hooks_source source, const struct hook_event *ev,
                       const char *who, int64_t keep_ms);

/* Counts a refused delivery and answers status with error and msg. */
void intake_hook_reject(struct api_req *rq, struct http_request *req,
                        struct http_response *resp, enum hooks_source source,
                        int status, const char *error, const char *msg);

#endif
