/*
 * audit.h - the audit log of management writes: who (the API key's
 * name), what (method and path), the object, a bounded excerpt of the
 * request body and the reply's status. Stored in sqlite (store.h), read
 * through GET /v1/pages/<id>/audit-log with an admin key.
 */
#ifndef PH_AUDIT_H
#define PH_AUDIT_H

#include "hub.h"
#include "http.h"

#define AUDIT_DETAIL_MAX 300

/* Records req if it was an authenticated write under /v1/ (agents'
 * result uploads excepted). Called after the handler filled resp. */
void audit_request(struct hub *h, const char *actor,
                   struct http_request *req,
                   const struct http_response *resp);

#endif
