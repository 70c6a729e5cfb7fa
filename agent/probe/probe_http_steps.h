/*
 * probe_http_steps.h - multi-step HTTP checks (`steps:`) on libcurl multi
 * (curl_uv), and the assertions (`assert:`) shared with the single-request
 * probe (checks/http.c).
 *
 * A run does the steps one after the other, each a fresh request with its
 * own timeout (bounded by what is left of the check's), taking variables
 * from responses for the next ones. The result is the check's: up when
 * every step passes, else down with the failing step and assertion named
 * (`step 2 "login": $.token: missing`); latency is the sum of the steps,
 * the timing phases are the first step's with total the sum, the status
 * the last step's. Secret values (secrets:, extract with secret: true) are
 * masked as *** in every text that leaves the run.
 *
 * Async contract as in probe.h. Loop thread only.
 */
#ifndef PH_PROBE_HTTP_STEPS_H
#define PH_PROBE_HTTP_STEPS_H

#include <curl/curl.h>

#include "check_http_spec.h"
#include "json_assert.h"
#include "probe.h"
#include "template.h"

/* One finished step, for probe_env.on_step (borrowed for the call). */
struct probe_step {
    size_t index;        /* 0-based */
    size_t count;        /* steps in the check */
    const char *name;    /* "step N" when the config has none */
    int32_t status_code; /* 0 when no response */
    uint32_t latency_ms;
    struct check_timing timing; /* this request's phases */
    const char *error;          /* "" when it passed; masked */
};

/* Starts a run of c's steps (c->u.http.nsteps > 0); same contract as
 * struct probe_ops.start. */
int probe_http_steps_start(const struct probe_env *env, const struct check *c,
                           probe_done_cb cb, void *arg, void **ret_run);
/* Stops a run; cb is not called afterwards. Frees asynchronously. */
void probe_http_steps_cancel(void *run);

/*
 * Judges as[0..n) on the response in easy (its headers) and body[0..len)
 * (NUL-terminated), expanding {{variables}} in values from vars (NULL: as
 * written). *doc caches the parsed body between calls (the caller
 * destroys it). Returns 0 when all hold, or 1 with the first failure in
 * err (`$.token: missing`, `header X: ...`, `body is not JSON: ...`).
 */
int probe_http_assert(CURL *easy, const struct http_assert *as, size_t n,
                      const struct tvars *vars, const char *body, size_t len,
                      struct json_doc **doc, char *err, size_t errlen);

#endif
