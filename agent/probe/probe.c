#include "probe.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mem.h"
#include "ph_err.h"

/* Wraps a probe's own run so completion frees the wrapper too. */
struct probe_run {
    const struct probe_ops *ops;
    void *run;
    probe_done_cb cb;
    void *arg;
};

/* One probe per type of the registry (checks/registry.h), each defined
 * in the probe part of checks/<name>.c as
 * `const struct probe_ops probe_<name>_ops`. */
#define DECLARE_OPS(n, N) extern const struct probe_ops probe_##n##_ops;
CHECK_TYPES(DECLARE_OPS)
#define LIST_OPS(n, N) &probe_##n##_ops,
static const struct probe_ops *const probe_table[] = {CHECK_TYPES(LIST_OPS)};

static const struct probe_ops *
find_ops(enum check_type type)
{
    for (size_t i = 0; i < sizeof(probe_table) / sizeof(probe_table[0]);
         i++) {
        if (probe_table[i]->type == type) {
            return probe_table[i];
        }
    }
    return NULL;
}

static void
run_done(const struct check *c, const struct check_result *r, void *arg)
{
    struct probe_run *pr = arg;
    probe_done_cb cb = pr->cb;
    void *cb_arg = pr->arg;

    ph_free(pr);
    cb(c, r, cb_arg);
}

int
probe_start(const struct probe_env *env, const struct check *c,
            probe_done_cb cb, void *arg, struct probe_run **ret_run)
{
    const struct probe_ops *ops = find_ops(c->type);
    struct probe_run *pr = NULL;
    int result;

    if (ops == NULL) {
        return PH_EINVAL;
    }
    pr = ph_calloc(1, sizeof(*pr));
    if (pr == NULL) {
        return PH_ENOMEM;
    }
    pr->ops = ops;
    pr->cb = cb;
    pr->arg = arg;
    result = ops->start(env, c, run_done, pr, &pr->run);
    if (result != 0) {
        ph_free(pr);
        return result;
    }
    *ret_run = pr;
    return 0;
}

void
probe_cancel(struct probe_run *run)
{
    if (run == NULL) {
        return;
    }
    run->ops->cancel(run->run);
    ph_free(run);
}

void
probe_finish(const struct check *c, struct check_result *r, int64_t now_s)
{
    if (r->outcome != OUTCOME_UP) {
        return;
    }
    if (c->cert_expiry_days > 0 && r->cert_not_after > 0) {
        int64_t left = r->cert_not_after - now_s;
        if (left < (int64_t)c->cert_expiry_days * 86400) {
            r->outcome = OUTCOME_SLOW;
            check_result_seterr(r, "tls: certificate expires in %lld days",
                                (long long)(left > 0 ? left / 86400 : 0));
            return;
        }
    }
    if (c->degraded_over_ms > 0 && r->latency_ms > c->degraded_over_ms) {
        r->outcome = OUTCOME_SLOW;
        check_result_seterr(r, "slow: %u ms over %u ms", r->latency_ms,
                            c->degraded_over_ms);
    }
}

const char *
probe_source_address(const struct probe_env *env, const struct check *c)
{
    if (c->source_address != NULL && c->source_address[0] != '\0') {
        return c->source_address;
    }
    return env->source_address;
}

int64_t
probe_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
probe_target(const struct check *c, char *host, size_t hostlen,
             uint16_t *ret_port)
{
    const struct probe_ops *ops = find_ops(c->type);

    if (ops == NULL || ops->target == NULL) {
        return PH_EINVAL;
    }
    return ops->target(c, host, hostlen, ret_port);
}

int
probe_target_set(const char *h, int port, char *host, size_t hostlen,
                 uint16_t *ret_port)
{
    if (h == NULL || h[0] == '\0' || port <= 0 || port > 65535 ||
        snprintf(host, hostlen, "%s", h) >= (int)hostlen) {
        return PH_EINVAL;
    }
    *ret_port = (uint16_t)port;
    return 0;
}
