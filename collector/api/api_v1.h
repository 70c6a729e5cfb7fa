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

#include "hub.h"
#include "request.h"

/* Route handlers (routes.c holds their paths, methods and scopes). The
 * first path parameter is the component, group, incident or subscriber
 * id; incident updates take the update id as the second. */
#define API_V1_HANDLER(name)                                                \
    void name(struct api_req *rq, struct http_request *req,                 \
              struct http_response *resp)

/* api_v1.c */
API_V1_HANDLER(api_v1_page);
API_V1_HANDLER(api_v1_audit);
API_V1_HANDLER(api_v1_groups);
API_V1_HANDLER(api_v1_group);
API_V1_HANDLER(api_v1_components);
API_V1_HANDLER(api_v1_component);
API_V1_HANDLER(api_v1_component_patch);
API_V1_HANDLER(api_v1_component_uptime);
API_V1_HANDLER(api_v1_component_transitions);
/* api_v1_incidents.c */
/* Components and groups created, changed and deleted through the API
 * (api_v1_components.c); those of pharos.yml answer 409. */
API_V1_HANDLER(api_v1_component_create);
API_V1_HANDLER(api_v1_component_update);
API_V1_HANDLER(api_v1_component_delete);
API_V1_HANDLER(api_v1_group_create);
API_V1_HANDLER(api_v1_group_update);
API_V1_HANDLER(api_v1_group_delete);
/* The v1 object of group g (its component ids, position, times). */
ph_json *api_v1_group_obj(struct hub *h, size_t g);
API_V1_HANDLER(api_v1_incidents_list);
API_V1_HANDLER(api_v1_incidents_unresolved);
API_V1_HANDLER(api_v1_incidents_upcoming);
API_V1_HANDLER(api_v1_incidents_scheduled);
API_V1_HANDLER(api_v1_incidents_active_maintenance);
API_V1_HANDLER(api_v1_incident_create);
API_V1_HANDLER(api_v1_incident_get);
API_V1_HANDLER(api_v1_incident_patch);
API_V1_HANDLER(api_v1_incident_delete);
API_V1_HANDLER(api_v1_incident_update_edit);
/* subscribers.c */
API_V1_HANDLER(api_v1_subscribers_list);
API_V1_HANDLER(api_v1_subscribers_create);
API_V1_HANDLER(api_v1_subscriber_get);
API_V1_HANDLER(api_v1_subscriber_delete);
API_V1_HANDLER(api_v1_subscriber_reactivate);

#endif
