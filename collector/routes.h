/*
 * routes.h - the collector's route table: maps method + path to handlers
 * and serves published documents from memory (with ETag, gzip, CORS).
 */
#ifndef PH_ROUTES_H
#define PH_ROUTES_H

#include "http.h"

/* The http_handler_cb of the collector; arg is the struct collector. */
void routes_handle(struct http_request *req, struct http_response *resp,
                   void *arg);

#endif
