/*
 * intake_pagerduty.c - the PagerDuty V3 webhook endpoint (see
 * intake_pagerduty.h; the payload and signature rules are in
 * core/pagerduty_map.c).
 */
#include "intake_pagerduty.h"

#include <stdio.h>

#include "intake_hooks.h"
#include "mem.h"
#include "pagerduty_map.h"
#include "ph_err.h"
#include "timefmt.h"

void
intake_pagerduty(struct api_req *rq, struct http_request *req,
                 struct http_response *resp)
{
    struct hub *h = rq->h;
    const struct conf_pagerduty *pd = &h->conf.integrations.pagerduty;
    const char *secrets[CONF_HOOK_SECRETS_MAX];
    struct hook_doc *d;
    char err[PAGERDUTY_ERR_MAX], who[96];
    const uint8_t *body;
    size_t len, n = 0;
    int64_t now, age;
    int k, rc;

    if (!pd->enabled) {
        http_resp_error(resp, 404, "not_found",
                        "integrations.pagerduty is not configured");
        return;
    }
    for (size_t i = 0; i < pd->nsecrets && n < CONF_HOOK_SECRETS_MAX; i++) {
        secrets[n++] = pd->secrets[i].secret;
    }
    body = http_req_body(req, &len);
    k = pagerduty_verify(http_req_header(req, "X-PagerDuty-Signature"), body,
                         len, secrets, n);
    if (k < 0) {
        intake_hook_reject(rq, req, resp, HOOKS_PAGERDUTY, 401,
                           "invalid_signature",
                           "X-PagerDuty-Signature is missing or no v1 "
                           "signature matches a configured secret");
        return;
    }
    snprintf(who, sizeof(who), "pagerduty:%s", pd->secrets[k].name);
    rq->actor = pd->secrets[k].name; /* signed deliveries are audited */
    d = ph_calloc(1, sizeof(*d));
    if (d == NULL) {
        http_resp_error(resp, 503, "unavailable", "out of memory");
        return;
    }
    rc = pagerduty_parse((const char *)body, len, d, err, sizeof(err));
    if (rc != 0) {
        ph_free(d);
        intake_hook_reject(rq, req, resp, HOOKS_PAGERDUTY,
                           rc == PH_ETOOBIG ? 413 : 400,
                           rc == PH_ETOOBIG ? "payload_too_large"
                                            : "bad_request",
                           err);
        return;
    }
    /* A signed body stays valid forever: the age bounds how long a
     * captured delivery can be replayed, and the ids seen within it are
     * remembered (hooks.c). */
    now = time_now_ms();
    age = now - d->ev.occurred_ms;
    if (age > (int64_t)pd->max_age_ms || -age > (int64_t)pd->max_age_ms) {
        snprintf(err, sizeof(err),
                 "stale event: occurred %lld s from now, more than max_age "
                 "(%u s)",
                 (long long)(age / 1000), pd->max_age_ms / 1000);
        intake_hook_reject(rq, req, resp, HOOKS_PAGERDUTY, 400,
                           "stale_event", err);
        hook_doc_free(d);
        ph_free(d);
        return;
    }
    /* d is taken. */
    intake_hook_apply(rq, req, resp, HOOKS_PAGERDUTY, d, who,
                      2 * (int64_t)pd->max_age_ms);
}
