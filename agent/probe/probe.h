/*
 * probe.h - the one interface every probe type implements.
 *
 * A probe runs one check once and reports one struct check_result.
 * Probes are built-in plugins behind struct probe_ops (Fluent Bit, collectd
 * style), one per type of the registry checks/registry.h, each defined
 * in checks/<name>.c as `const struct probe_ops probe_<name>_ops` (probe.c
 * builds its table from the registry); probe_start() dispatches on
 * check->type.
 *
 * Async contract: if start returns an error, cb is never called. Otherwise
 * cb is called exactly once, from the loop (never from inside start), unless
 * the run is cancelled first with probe_cancel(), after which cb is never
 * called.
 * All functions must be called from the loop thread.
 */
#ifndef PH_PROBE_H
#define PH_PROBE_H

#include <uv.h>

#include "check.h"

struct curl_uv;
struct probe_step;

/* Process-wide facilities shared by all probes. Borrowed. */
struct probe_env {
    uv_loop_t *loop;
    struct curl_uv *curl;          /* libcurl multi on this loop */
    const char *source_address;    /* agent-wide default, or NULL */
    /* Called after each step of a multi-step http check with its timing
     * (probe_http_steps.h), or NULL: `pharos-agent once` prints them. */
    void (*on_step)(const struct check *c, const struct probe_step *s,
                    void *arg);
    void *on_step_arg;
};

struct probe_run;  /* opaque, one in-flight run */

/* r is borrowed for the duration of the call. */
typedef void (*probe_done_cb)(const struct check *c,
                              const struct check_result *r, void *arg);

struct probe_ops {
    const char *name;
    enum check_type type;
    /* Starts a run. c is borrowed and must stay valid until cb or cancel.
     * On success *ret_run identifies the run. */
    int (*start)(const struct probe_env *env, const struct check *c,
                 probe_done_cb cb, void *arg, void **ret_run);
    /* Stops a run; cb is not called afterwards. Frees asynchronously. */
    void (*cancel)(void *run);
    /* The host and TCP port c connects to (for `watch`), into host
     * (hostlen bytes) and *ret_port; returns 0 or PH_EINVAL. NULL for a
     * type without one (dns, icmp, grpc). */
    int (*target)(const struct check *c, char *host, size_t hostlen,
                  uint16_t *ret_port);
};

/* Starts check c with the probe for its type. Returns 0 and a run handle,
 * or PH_EINVAL for an unknown type, or the probe's error. */
int probe_start(const struct probe_env *env, const struct check *c,
                probe_done_cb cb, void *arg, struct probe_run **ret_run);
/* Cancels a run started by probe_start(). Accepts NULL. */
void probe_cancel(struct probe_run *run);

/*
 * Applies the rules common to every probe to a result whose outcome is
 * OUTCOME_UP or OUTCOME_DOWN: latency over c->degraded_over_ms turns UP
 * into SLOW; a certificate expiring within c->cert_expiry_days turns UP
 * into SLOW (soft assertion) with an error that says so.
 */
void probe_finish(const struct check *c, struct check_result *r,
                  int64_t now_s);

/* Returns the source address for c: its own, else the agent default. */
const char *probe_source_address(const struct probe_env *env,
                                 const struct check *c);

/* The host and TCP port a check connects to (for `watch`), from its
 * type's probe_ops.target. Returns 0, or PH_EINVAL for a type without
 * one (dns) or a check without a usable target. */
int probe_target(const struct check *c, char *host, size_t hostlen,
                 uint16_t *ret_port);
/* For a type's target op: copies host h and port into host and
 * *ret_port. Returns 0, or PH_EINVAL when h is empty, port is out of
 * 1-65535 or h does not fit. Borrows h. */
int probe_target_set(const char *h, int port, char *host, size_t hostlen,
                     uint16_t *ret_port);

/* Wall clock in unix ms. */
int64_t probe_now_ms(void);

#endif
