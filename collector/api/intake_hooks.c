/*
 * intake_hooks.c - the shared tail of /v1/integrations/pagerduty and
 * /v1/integrations/opsgenie (see intake_hooks.h).
 */
#include "intake_hooks.h"

#include "deferred.h"
#include "json.h"
#include "log.h"
#include "mem.h"
#include "timefmt.h"

static const char *const result_names[] = {"applied", "ignored",
                                           "duplicate", "failed"};

/* The reply and the count, once the job is over (frees nothing). */
static void
reply(struct api_req *rq, struct hooks_job *j, int rc,
      struct http_response *resp, enum hooks_source source)
{
    struct hub *h = rq->h;
    const struct hooks_outcome *out = hooks_job_outcome(j);
    json_t *doc;

    h->metrics.hook_events[source][out->result]++;
    if (rc != 0) {
        log_warnx("%s: event not applied: %s", hooks_source_name(source),
                  out->why);
        if (deferred_status(rc) == 503) {
            http_resp_error(resp, 503, "unavailable", out->why);
            http_resp_header(resp, "Retry-After", "5");
        } else {
            http_resp_error(resp, 500, "internal", out->why);
        }
        return;
    }
    doc = json_object();
    if (doc != NULL) {
        json_object_set_new(doc, "status",
                            json_string(result_names[out->result]));
        json_object_set_new(doc, "reason", json_string(out->why));
        json_object_set_new(doc, "incident_id",
                            out->incident_id[0]
                                ? json_string(out->incident_id)
                                : json_null());
    }
    route_reply_json(resp, 200, 0, doc);
    resp->cache_control = "no-store";
}

struct hook_step {
    struct hooks_job *j;
    enum hooks_source source;
};

static void
step_free(void *arg)
{
    struct hook_step *st = arg;

    hooks_job_free(st->j);
    ph_free(st);
}

static int
write_run(struct store *db, void *arg)
{
    return hooks_write(db, ((struct hook_step *)arg)->j);
}

static void
written(struct api_req *rq, struct http_request *req, void *arg,
        int result, struct http_response *resp)
{
    struct hook_step *st = arg;

    (void)req;
    reply(rq, st->j, hooks_finish(rq->h, st->j, result), resp, st->source);
}

static int
read_run(struct store *db, void *arg)
{
    return hooks_read(db, ((struct hook_step *)arg)->j);
}

/* Read: decide on the loop, then write (a second step), or answer. */
static void
was_read(struct api_req *rq, struct http_request *req, void *arg,
         int result, struct http_response *resp)
{
    struct hook_step *st = arg;
    int rc = hooks_decide(rq->h, st->j, result);

    if (rc != 0 || hooks_job_outcome(st->j)->result == HOOKS_DUPLICATE) {
        reply(rq, st->j, rc, resp, st->source);
        step_free(st);
        return;
    }
    deferred_store(rq, req, resp, write_run, written, step_free, st);
}

void
intake_hook_apply(struct api_req *rq, struct http_request *req,
                  struct http_response *resp, enum hooks_source source,
                  struct hook_doc *d, const char *who, int64_t keep_ms)
{
    struct hook_step *st = ph_calloc(1, sizeof(*st));

    if (st == NULL ||
        (st->j = hooks_job_new(source, d, who, keep_ms)) == NULL) {
        ph_free(st);
        hook_doc_free(d);
        ph_free(d);
        http_resp_error(resp, 503, "unavailable", "out of memory");
        return;
    }
    st->source = source;
    /* was_read() frees st, or hands it to the write step. */
    deferred_store(rq, req, resp, read_run, was_read, NULL, st);
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
