/*
 * api_v1.h - the Statuspage v1 management API, components part, under
 * /v1/pages/<page_id>/ (paths with or without ".json"):
 *
 *   GET   components                      all components (bare array)
 *   GET   components/<id>                 one component
 *   PATCH|PUT components/<id>             {"component":{"status": S}} sets
 *                                         a manual override (Pharos:
 *                                         "override_until" ISO time, or
 *                                         status "" / null to clear it)
 *   GET   components/<id>/uptime          the OAS uptime shape
 *   GET   components/<id>/transitions     Pharos: status history with
 *                                         source and reason
 *
 * Authentication: an API key (auth.h); reads need read scope, writes need
 * write scope. Errors are {"error": ..., "message": ...}.
 */
#ifndef PH_API_V1_H
#define PH_API_V1_H

#include "collector.h"
#include "http.h"

/* Returns 1 if the path was under /v1/pages/. */
int api_v1_handle(struct collector *c, struct http_request *req,
                  struct http_response *resp);

/* Restores manual overrides kept in the store (after a restart). */
void api_v1_restore_overrides(struct collector *c);

#endif
