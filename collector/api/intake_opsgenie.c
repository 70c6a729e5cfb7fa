/*
 * intake_opsgenie.c - the Opsgenie webhook endpoint (see
 * intake_opsgenie.h; the payload rules are in core/opsgenie_map.c).
 */
#include "intake_opsgenie.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "intake_hooks.h"
#include "mem.h"
#include "opsgenie_map.h"
#include "ph_err.h"
#include "token.h"

/* Replay window: Opsgenie retries failed deliveries for minutes, not
 * days; a day covers them. */
#define OPSGENIE_KEEP_MS (24LL * 3600 * 1000)
#define OPSGENIE_ERR_MAX 200

/* The name of the token the request carries, or NULL. */
static const char *
token_name(const struct conf_opsgenie *og, struct http_request *req)
{
    const char *hdr = http_req_header(req, "Authorization");
    const char *found = NULL;
    char hash[TOKEN_HASH_HEX];
    const char *tok;
    size_t len;

    if (hdr == NULL || strncasecmp(hdr, "Bearer ", 7) != 0) {
        return NULL;
    }
    tok = hdr + 7;
    while (*tok == ' ') {
        tok++;
    }
    len = strlen(tok);
    if (len == 0 || len > TOKEN_MAX) {
        return NULL;
    }
    token_hash(tok, len, hash);
    /* Every token is compared, each in constant time. */
    for (size_t i = 0; i < og->ntokens; i++) {
        if (token_hash_equal(og->tokens[i].token_sha256, hash)) {
            found = og->tokens[i].name;
        }
    }
    return found;
}

void
intake_opsgenie(struct api_req *rq, struct http_request *req,
                struct http_response *resp)
{
    struct hub *h = rq->h;
    const struct conf_opsgenie *og = &h->conf.integrations.opsgenie;
    struct hook_doc *d;
    char err[OPSGENIE_ERR_MAX], who[96], bucket[96];
    const uint8_t *body;
    const char *name;
    size_t len;
    int rc;

    if (!og->enabled) {
        http_resp_error(resp, 404, "not_found",
                        "integrations.opsgenie is not configured");
        return;
    }
    name = token_name(og, req);
    if (name == NULL) {
        intake_hook_reject(rq, req, resp, HOOKS_OPSGENIE, 401,
                           "unauthorized",
                           "a bearer token of integrations.opsgenie.tokens "
                           "is required");
        return;
    }
    /* Opsgenie tokens share the API's per-key budget, one bucket each. */
    snprintf(bucket, sizeof(bucket), "opsgenie token %s", name);
    if (auth_rate_check(h, bucket, resp) != 0) {
        return;
    }
    snprintf(who, sizeof(who), "opsgenie:%s", name);
    rq->actor = name;
    body = http_req_body(req, &len);
    d = ph_calloc(1, sizeof(*d));
    if (d == NULL) {
        http_resp_error(resp, 503, "unavailable", "out of memory");
        return;
    }
    rc = opsgenie_parse((const char *)body, len, d, err, sizeof(err));
    if (rc != 0) {
        ph_free(d);
        intake_hook_reject(rq, req, resp, HOOKS_OPSGENIE,
                           rc == PH_ETOOBIG ? 413 : 400,
                           rc == PH_ETOOBIG ? "payload_too_large"
                                            : "bad_request",
                           err);
        return;
    }
    /* d is taken. */
    intake_hook_apply(rq, req, resp, HOOKS_OPSGENIE, d, who,
                      OPSGENIE_KEEP_MS);
}
