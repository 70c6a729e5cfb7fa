/*
 * ops.h - the operational endpoints and the published documents: health,
 * /metrics, CORS preflight, and every document of publish.c served from
 * memory (ETag, gzip, cache headers). Route handlers (routes.h).
 */
#ifndef PH_OPS_H
#define PH_OPS_H

#include "request.h"

void ops_health(struct api_req *rq, struct http_request *req,
                struct http_response *resp);
void ops_metrics(struct api_req *rq, struct http_request *req,
                 struct http_response *resp);
void ops_preflight(struct api_req *rq, struct http_request *req,
                   struct http_response *resp);
/* A published document by path ("/" is index.html); 404 if none. */
void ops_document(struct api_req *rq, struct http_request *req,
                  struct http_response *resp);

#endif
