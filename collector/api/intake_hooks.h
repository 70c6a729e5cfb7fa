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
 * Applies the event of d (taken: heap, freed with hook_doc_free() and
 * ph_free()) from source as who and answers: 200 with
 * {"status": "applied" | "ignored" | "duplicate", "reason", "incident_id"}
 * (2xx: the tools do not retry), or 503/500 when the store failed
 * (nothing was recorded: the tools' retry applies it). The store work
 * runs through deferred.h: off the loop on PostgreSQL.
 */
void intake_hook_apply(struct api_req *rq, struct http_request *req,
                       struct http_response *resp, enum hooks_source source,
                       struct hook_doc *d, const char *who, int64_t keep_ms);

/* Counts a refused delivery and answers status with error and msg. */
void intake_hook_reject(struct api_req *rq, struct http_request *req,
                        struct http_response *resp, enum hooks_source source,
                        int status, const char *error, const char *msg);

#endif
