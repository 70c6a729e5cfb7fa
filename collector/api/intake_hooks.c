/*
 * intake_hooks.c - the shared tail of /v1/integrations/pagerduty and
 * /v1/integrations/opsgenie (see intake_hooks.h).
 */
#include "intake_hooks.h"

#include "json.h"
#include "log.h"
#include "timefmt.h"

static const char *const result_names[] = {"applied", "ignored",
                                           "duplicate", "failed"};

void
intake_hook_apply(struct api_req *rq, struct http_response *resp,
                  enum hooks_source source, const struct hook_event *ev,
                  const char *who, int64_t keep_ms)
{
    struct hub *h = rq->h;
    struct hooks_outcome out;
    json_t *doc;
    int rc;

    rc = hooks_apply(h, source, ev, who, keep_ms, &out);
    h->metrics.hook_events[source][out.result]++;
    if (rc != 0) {
        log_warnx("%s: event %.128s not applied: %s",
                  hooks_source_name(source), ev->event_id, out.why);
        http_resp_error(resp, 500, "internal", out.why);
        return;
    }
    doc = json_object();
    if (doc != NULL) {
        json_object_set_new(doc, "status",
                            json_string(result_names[out.result]));
        json_object_set_new(doc, "reason", json_string(out.why));
        json_object_set_new(doc, "incident_id",
                            out.incident_id[0] ? json_string(out.incident_id)
                                               : json_null());
    }
    route_reply_json(resp, 200, 0, doc);
    resp->cache_control = "no-store";
}

void
intake_hook_reject(struct api_req *rq, struct http_request *req,
                   struct http_response *resp, enum hooks_source source,
                   int status, const char *error, const char *msg)
{
    struct hub *h = rq->h;

    h->metrics.hook_events[source][HUB_HOOK_REJECTED]++;
    complain(&h->auth_complaint, time_mono_ms(),
             "%s: refused a delivery from %s: %s", hooks_source_name(source),
             http_req_client(req), msg);
    http_resp_error(resp, status, error, msg);
}
