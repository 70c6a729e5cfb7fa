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
 *   GET   incidents[?q=&limit=&page=]     incidents and maintenances
 *   GET   incidents/unresolved|upcoming|scheduled|active_maintenance
 *   POST  incidents                       create (201)
 *   GET|PATCH|PUT|DELETE incidents/<id>   (DELETE answers 200 with it)
 *   PATCH|PUT incidents/<id>/incident_updates/<uid>   edit one update
 *   GET   audit-log[?before=<id>&limit=]  Pharos: every write (admin key)
 *   GET   component-groups[/<id>]          groups (from the config)
 *   GET   /v1/pages/<id>                   the page profile
 *   GET   subscribers[?state=S|all]       subscribers (active and pending
 *                                         unless state is given)
 *   POST  subscribers                     create (201; 200 if it exists);
 *                                         skip_confirmation_notification
 *   GET|DELETE subscribers/<id>           one; DELETE unsubscribes (200)
 *   POST  subscribers/<id>/reactivate     Pharos: end a quarantine
 *
 * Authentication: an API key (auth.h); reads need read scope, writes need
 * write scope. Errors are {"error": ..., "message": ...}. Every write is
 * recorded in the audit log with the key's name and the reply's status.
 */
#ifndef PH_API_V1_H
#define PH_API_V1_H

#include "collector.h"
#include "http.h"

/* incidents[/<id>[/incident_updates/<uid>]] (api_v1_incidents.c); id,
 * sub and sub_id are NULL when absent. */
void api_v1_incidents(struct collector *c, struct http_request *req,
                      struct http_response *resp, const char *id,
                      const char *sub, const char *sub_id, const char *who);

/* subscribers[/<id>[/reactivate]] (subscribers.c); id and sub are NULL
 * when absent. */
void api_v1_subscribers(struct collector *c, struct http_request *req,
                        struct http_response *resp, const char *id,
                        const char *sub);

/* Returns 1 if the path was under /v1/pages/. */
int api_v1_handle(struct collector *c, struct http_request *req,
                  struct http_response *resp);

#endif
