/*
 * latency_api.h - GET /api/v2/latency.json: response-time history (p50,
 * p95 and max per five minutes or per hour) of each check and region,
 * read from the rollups (store.h, store_latency_list). A document of the
 * page: page.access applies (RF_VIEWER), internal components only for
 * viewers of a private page. Route handler (routes.h).
 */
#ifndef PH_LATENCY_API_H
#define PH_LATENCY_API_H

#include "request.h"

void api_latency(struct api_req *rq, struct http_request *req,
                 struct http_response *resp);

#endif
