/*
 * ingest.h - the agent endpoints: GET /v1/agent/plan and
 * POST /v1/agent/results (GET /v1/agent/rechecks: agent_wait.h). Agents authenticate with a Bearer token whose
 * SHA-256 is in the config; the agent's id and region come from that
 * token, never from the payload. A batch is acked only after it is
 * committed; a replayed seq is acked without being stored twice.
 */
#ifndef PH_INGEST_H
#define PH_INGEST_H

#include "hub.h"
#include "request.h"

/* Route handlers; agents authenticate with their own tokens. */
void ingest_plan(struct api_req *rq, struct http_request *req,
                 struct http_response *resp);
void ingest_results(struct api_req *rq, struct http_request *req,
                    struct http_response *resp);
/* Computes each region's plan version from h->conf into h->plans.
 * Returns 0 or PH_ENOMEM. */
int ingest_build_plans(struct hub *h);
/* 1 if check (index) runs in region (index). */
int ingest_check_in_region(const struct hub *h, size_t check,
                           size_t region);

#endif
