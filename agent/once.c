/*
 * once.c - run checks once, concurrently (--parallel at a time),
 * on a private loop, and print their results (text or JSON lines).
 */
#include "once.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <uv.h>

#include "buf.h"
#include "curl_uv.h"
#include "json.h"
#include "mem.h"
#include "ph_err.h"
#include "pharos_conf.h"
#include "probe.h"
#include "probe_http_steps.h"
#include "sched.h"

#define ONCE_MAX_SELECT 64
#define ONCE_LINE_MAX (64 * 1024)   /* one result as a JSON line */
/* Probes in flight at once (--parallel): a file of thousands of checks
 * neither runs out of descriptors nor makes libcurl walk thousands of
 * connections to one host at every transfer's end (its connection cache
 * keeps them in a list per host: with 256 to one host, 15 % more CPU per
 * probe than with 64). Results still come out in the file's order. */
#define ONCE_PARALLEL_DEFAULT 64
#define ONCE_PARALLEL_MAX 4096

/* The steps of one multi-step check's last run, as probe_env.on_step
 * reported them. */
struct once_steps {
    size_t n;
    struct once_step {
        char name[64];
        int32_t status_code;
        uint32_t latency_ms;
        struct check_timing timing;
        char error[CHECK_ERROR_MAX];
    } s[HTTP_STEPS_MAX];
};

struct once {
    struct pharos_conf conf;
    struct check_result *results;   /* one per check, in config order */
    struct once_steps *steps;       /* one per check, in config order */
    int *selected;
    size_t pending;
    struct once_slot *slots;        /* one per check */
    const struct probe_env *env;
    size_t next_start;              /* the next check to start */
    size_t parallel;                /* at most this many in flight */
    int json;
    /* --watch: the agent's scheduler, confirmations included. */
    uint64_t watch_ms;
    uint64_t watch_start;
    uv_loop_t *loop;
    struct sched *sched;
    struct curl_uv *cu;
    uv_timer_t watch_timer;
    struct sched_stats watch_stats;
};

struct once_slot {
    struct once *o;
    size_t index;
};

static void on_done(const struct check *c, const struct check_result *r,
                    void *arg);

/* Starts selected checks from next_start on until o->parallel are in
 * flight; pending counts those not finished. */
static void
start_more(struct once *o)
{
    while (o->next_start < o->conf.nchecks && o->pending < o->parallel) {
        size_t i = o->next_start++;
        struct probe_run *run = NULL;
        int rc;

        if (!o->selected[i]) {
            continue;
        }
        o->slots[i].o = o;
        o->slots[i].index = i;
        o->pending++;
        rc = probe_start(o->env, &o->conf.checks[i], on_done, &o->slots[i],
                         &run);
        if (rc != 0) {
            struct check_result *r = &o->results[i];
            o->pending--;
            snprintf(r->check_id, sizeof(r->check_id), "%s",
                     o->conf.checks[i].id);
            r->outcome = OUTCOME_DOWN;
            check_result_seterr(r, "agent: cannot start probe: %s",
                                ph_strerror(rc));
        }
    }
}

static void
on_done(const struct check *c, const struct check_result *r, void *arg)
{
    struct once_slot *slot = arg;

    (void)c;
    slot->o->results[slot->index] = *r;
    slot->o->pending--;
    start_more(slot->o);
}

static double
ms(uint64_t us)
{
    return (double)us / 1000.0;
}

static void
on_step(const struct check *c, const struct probe_step *ps, void *arg)
{
    struct once *o = arg;

    for (size_t i = 0; i < o->conf.nchecks; i++) {
        struct once_steps *st = &o->steps[i];
        struct once_step *one;

        if (strcmp(o->conf.checks[i].id, c->id) != 0) {
            continue;
        }
        if (ps->index == 0) {
            st->n = 0;
        }
        if (st->n >= HTTP_STEPS_MAX) {
            return;
        }
        one = &st->s[st->n++];
        snprintf(one->name, sizeof(one->name), "%s", ps->name);
        one->status_code = ps->status_code;
        one->latency_ms = ps->latency_ms;
        one->timing = ps->timing;
        snprintf(one->error, sizeof(one->error), "%s", ps->error);
        return;
    }
}

static void
print_steps_text(const struct once_steps *st)
{
    for (size_t i = 0; st != NULL && i < st->n; i++) {
        const struct once_step *p = &st->s[i];
        char label[96];

        snprintf(label, sizeof(label), "  step %zu %.60s", i + 1, p->name);
        printf("%-30s %6u ms", label, p->latency_ms);
        printf("  dns %.1f  connect %.1f  tls %.1f  first-byte %.1f  "
               "total %.1f",
               ms(p->timing.dns_us), ms(p->timing.connect_us),
               ms(p->timing.tls_us), ms(p->timing.first_byte_us),
               ms(p->timing.total_us));
        if (p->status_code != 0) {
            printf("  status %d", p->status_code);
        }
        printf("\n");
        if (p->error[0] != '\0') {
            printf("%-30s error: %s\n", "", p->error);
        }
    }
}

static json_t *
steps_json(const struct once_steps *st)
{
    json_t *a = json_array();

    for (size_t i = 0; st != NULL && i < st->n; i++) {
        const struct once_step *p = &st->s[i];
        json_t *o = json_object();
        json_t *t = json_object();

        json_object_set_new(o, "name", json_string(p->name));
        json_object_set_new(o, "status_code",
                            p->status_code ? json_integer(p->status_code)
                                           : json_null());
        json_object_set_new(o, "latency_ms", json_integer(p->latency_ms));
        json_object_set_new(t, "dns_ms", json_real(ms(p->timing.dns_us)));
        json_object_set_new(t, "connect_ms",
                            json_real(ms(p->timing.connect_us)));
        json_object_set_new(t, "tls_ms", json_real(ms(p->timing.tls_us)));
        json_object_set_new(t, "first_byte_ms",
                            json_real(ms(p->timing.first_byte_us)));
        json_object_set_new(t, "total_ms",
                            json_real(ms(p->timing.total_us)));
        json_object_set_new(o, "timing", t);
        json_object_set_new(o, "error", p->error[0] ? json_string(p->error)
                                                    : json_null());
        json_array_append_new(a, o);
    }
    return a;
}

static void
print_text(const struct check *c, const struct check_result *r,
           const char *prefix, const struct once_steps *st)
{
    printf("%s", prefix);
    printf("%-24s %-4s %-5s %6u ms", c->id, check_type_name(c->type),
           outcome_name(r->outcome), r->latency_ms);
    printf("  dns %.1f  connect %.1f  tls %.1f  first-byte %.1f  total %.1f",
           ms(r->timing.dns_us), ms(r->timing.connect_us),
           ms(r->timing.tls_us), ms(r->timing.first_byte_us),
           ms(r->timing.total_us));
    if (r->status_code != 0) {
        printf("  status %d", r->status_code);
    }
    if (r->cert_not_after > 0) {
        time_t t = (time_t)r->cert_not_after;
        struct tm tm;
        char d[16];
        gmtime_r(&t, &tm);
        strftime(d, sizeof(d), "%Y-%m-%d", &tm);
        printf("  cert-expires %s", d);
    }
    printf("\n");
    if (r->error[0] != '\0') {
        /* Up results of some types carry a summary (icmp). */
        printf("%-24s %s: %s\n", "",
               r->outcome == OUTCOME_UP ? "result" : "error", r->error);
    }
    print_steps_text(st);
}

static void
print_json(const struct check *c, const struct check_result *r,
           int64_t at_ms, const struct once_steps *st)
{
    json_t *o = json_object();
    json_t *t = json_object();
    struct buf line;

    if (at_ms >= 0) {
        json_object_set_new(o, "at_ms", json_integer(at_ms));
        json_object_set_new(o, "kind", json_string(probe_kind_name(r->kind)));
    }

    json_object_set_new(o, "id", json_string(c->id));
    json_object_set_new(o, "component_id", json_string(c->component_id));
    json_object_set_new(o, "type", json_string(check_type_name(c->type)));
    json_object_set_new(o, "outcome", json_string(outcome_name(r->outcome)));
    json_object_set_new(o, "latency_ms", json_integer(r->latency_ms));
    json_object_set_new(t, "dns_ms", json_real(ms(r->timing.dns_us)));
    json_object_set_new(t, "connect_ms", json_real(ms(r->timing.connect_us)));
    json_object_set_new(t, "tls_ms", json_real(ms(r->timing.tls_us)));
    json_object_set_new(t, "first_byte_ms",
                        json_real(ms(r->timing.first_byte_us)));
    json_object_set_new(t, "total_ms", json_real(ms(r->timing.total_us)));
    json_object_set_new(o, "timing", t);
    json_object_set_new(o, "status_code",
                        r->status_code ? json_integer(r->status_code)
                                       : json_null());
    if (r->cert_not_after > 0) {
        time_t tt = (time_t)r->cert_not_after;
        struct tm tm;
        char d[32];
        gmtime_r(&tt, &tm);
        strftime(d, sizeof(d), "%Y-%m-%dT%H:%M:%SZ", &tm);
        json_object_set_new(o, "cert_not_after", json_string(d));
    } else {
        json_object_set_new(o, "cert_not_after", json_null());
    }
    json_object_set_new(o, "error",
                        r->error[0] ? json_string(r->error) : json_null());
    if (c->type == CHECK_HTTP && c->u.http.nsteps > 0) {
        json_object_set_new(o, "steps", steps_json(st));
    }
    buf_init(&line, ONCE_LINE_MAX);
    if (ph_json_dump_buf(o, PH_JSON_SHORT_REALS | PH_JSON_LF, &line) == 0) {
        fwrite(line.data, 1, line.len, stdout);
    }
    buf_free(&line);
    json_decref(o);
}

static int
is_selected(const char *id, size_t nonly, const char *const *only)
{
    for (size_t k = 0; k < nonly; k++) {
        if (strcmp(id, only[k]) == 0) {
            return 1;
        }
    }
    return nonly == 0;
}

static void
on_watch_result(const struct check_result *r, void *arg)
{
    struct once *o = arg;
    int64_t at = (int64_t)(uv_now(o->loop) - o->watch_start);
    char prefix[48];

    for (size_t i = 0; i < o->conf.nchecks; i++) {
        const struct check *c = &o->conf.checks[i];

        if (!o->selected[i] || strcmp(c->id, r->check_id) != 0) {
            continue;
        }
        o->results[i] = *r;
        if (o->json) {
            print_json(c, r, at, &o->steps[i]);
        } else {
            snprintf(prefix, sizeof(prefix), "%8.1fs %-9s ",
                     (double)at / 1000.0, probe_kind_name(r->kind));
            print_text(c, r, prefix, &o->steps[i]);
        }
        o->steps[i].n = 0;
        fflush(stdout);
    }
}

static void
on_watch_sched_closed(void *arg)
{
    struct once *o = arg;

    o->sched = NULL;
    curl_uv_close(o->cu, NULL, NULL);
}

static void
on_watch_end(uv_timer_t *t)
{
    struct once *o = t->data;

    uv_close((uv_handle_t *)&o->watch_timer, NULL);
    sched_get_stats(o->sched, &o->watch_stats);
    sched_close(o->sched, on_watch_sched_closed, o);
}

/* --watch: the selected checks on the agent's own scheduler until the
 * deadline; closes cu when done. Returns the exit status. */
static int
watch(struct once *o, struct probe_env *env, size_t nonly,
      const char *const *only)
{
    int status = 0;
    int rc;

    o->loop = env->loop;
    o->cu = env->curl;
    o->sched = sched_new(env, on_watch_result, o);
    if (o->sched == NULL) {
        fprintf(stderr, "pharos-agent once: out of memory\n");
        curl_uv_close(o->cu, NULL, NULL);
        return 2;
    }
    /* Only the selected checks: give the scheduler a plan of those. */
    for (size_t i = 0; i < o->conf.nchecks; i++) {
        o->selected[i] = is_selected(o->conf.checks[i].id, nonly, only);
    }
    {
        struct check *plan = ph_calloc(o->conf.nchecks + 1, sizeof(*plan));
        size_t n = 0;

        if (plan == NULL) {
            fprintf(stderr, "pharos-agent once: out of memory\n");
            sched_close(o->sched, on_watch_sched_closed, o);
            return 2;
        }
        for (size_t i = 0; i < o->conf.nchecks; i++) {
            if (o->selected[i]) {
                plan[n++] = o->conf.checks[i]; /* shallow: copied below */
            }
        }
        rc = sched_apply_plan(o->sched, plan, n);
        ph_free(plan);
    }
    if (rc != 0) {
        fprintf(stderr, "pharos-agent once: %s\n", ph_strerror(rc));
        sched_close(o->sched, on_watch_sched_closed, o);
        return 2;
    }
    o->watch_start = uv_now(o->loop);
    for (size_t i = 0; i < o->conf.nchecks; i++) {
        if (o->selected[i]) {
            (void)sched_run_now(o->sched, o->conf.checks[i].id);
        }
    }
    uv_timer_init(o->loop, &o->watch_timer);
    o->watch_timer.data = o;
    uv_timer_start(&o->watch_timer, on_watch_end, o->watch_ms, 0);
    /* Runs until the deadline closed the scheduler and curl. */
    uv_run(o->loop, UV_RUN_DEFAULT);
    if (!o->json) {
        printf("# %llu confirmation probes in %llu s\n",
               (unsigned long long)o->watch_stats.confirms,
               (unsigned long long)(o->watch_ms / 1000));
    }
    for (size_t i = 0; i < o->conf.nchecks; i++) {
        if (o->selected[i] && o->results[i].outcome != OUTCOME_UP) {
            status = 1;
        }
    }
    return status;
}

static void
usage(FILE *f)
{
    fprintf(f,
            "usage: pharos-agent once -c pharos.yml [--check ID]... "
            "[--json] [--source ADDR] [--parallel N]\n"
            "  Runs the checks of pharos.yml (the collector's configuration) "
            "once from\n"
            "  this host and prints each result with its timing phases.\n"
            "  -c FILE        the collector's configuration\n"
            "  --check ID     only this check (repeat for more)\n"
            "  --json         one JSON object per line\n"
            "  --source ADDR  probe from this local address\n"
            "  --parallel N   run at most N checks at a time (default 64)\n"
            "  --watch SECS   keep probing on the checks' schedule for SECS\n"
            "                 seconds (first run at once), with the fast\n"
            "                 confirmations after a changed outcome; each\n"
            "                 result is printed as it comes, with its time\n"
            "                 and why it ran (scheduled or confirm)\n"
            "  Exit status: 0 all up, 1 some not up, 2 usage or "
            "configuration error.\n");
}

int
agent_once_main(int argc, char **argv)
{
    const char *conf_path = NULL;
    const char *only[ONCE_MAX_SELECT];
    const char *source = NULL;
    size_t nonly = 0;
    struct once o;
    struct conf_errs errs;
    struct once_slot *slots = NULL;
    struct curl_uv *cu = NULL;
    struct probe_env env;
    uv_loop_t loop;
    int status = 0;

    memset(&o, 0, sizeof(o));
    o.parallel = ONCE_PARALLEL_DEFAULT;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
            conf_path = argv[++i];
        } else if (strcmp(argv[i], "--check") == 0 && i + 1 < argc) {
            if (nonly == ONCE_MAX_SELECT) {
                fprintf(stderr, "pharos-agent once: at most %d --check\n",
                        ONCE_MAX_SELECT);
                return 2;
            }
            only[nonly++] = argv[++i];
        } else if (strcmp(argv[i], "--json") == 0) {
            o.json = 1;
        } else if (strcmp(argv[i], "--source") == 0 && i + 1 < argc) {
            source = argv[++i];
        } else if (strcmp(argv[i], "--watch") == 0 && i + 1 < argc) {
            char *end = NULL;
            long v = strtol(argv[++i], &end, 10);
            if (end == argv[i] || *end != '\0' || v < 1 || v > 86400) {
                fprintf(stderr, "pharos-agent once: --watch takes 1-86400 "
                                "seconds\n");
                return 2;
            }
            o.watch_ms = (uint64_t)v * 1000;
        } else if (strcmp(argv[i], "--parallel") == 0 && i + 1 < argc) {
            char *end = NULL;
            long v = strtol(argv[++i], &end, 10);
            if (end == argv[i] || *end != '\0' || v < 1 ||
                v > ONCE_PARALLEL_MAX) {
                fprintf(stderr, "pharos-agent once: --parallel takes 1-%d\n",
                        ONCE_PARALLEL_MAX);
                return 2;
            }
            o.parallel = (size_t)v;
        } else if (strcmp(argv[i], "-h") == 0 ||
                   strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "pharos-agent once: unknown argument '%s'\n",
                    argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (conf_path == NULL) {
        fprintf(stderr, "pharos-agent once: -c pharos.yml is required\n");
        usage(stderr);
        return 2;
    }
    memset(&errs, 0, sizeof(errs));
    if (pharos_conf_load(conf_path, &o.conf, &errs) != 0) {
        for (size_t i = 0; i < errs.n; i++) {
            fprintf(stderr, "%s\n", errs.msgs[i]);
        }
        return 2;
    }
    for (size_t k = 0; k < nonly; k++) {
        size_t i;
        for (i = 0; i < o.conf.nchecks; i++) {
            if (strcmp(o.conf.checks[i].id, only[k]) == 0) {
                break;
            }
        }
        if (i == o.conf.nchecks) {
            fprintf(stderr, "pharos-agent once: no check '%s' in %s\n",
                    only[k], conf_path);
            pharos_conf_free(&o.conf);
            return 2;
        }
    }
    o.results = ph_calloc(o.conf.nchecks + 1, sizeof(*o.results));
    o.selected = ph_calloc(o.conf.nchecks + 1, sizeof(*o.selected));
    o.steps = ph_calloc(o.conf.nchecks + 1, sizeof(*o.steps));
    slots = ph_calloc(o.conf.nchecks + 1, sizeof(*slots));
    if (o.results == NULL || o.selected == NULL || o.steps == NULL ||
        slots == NULL) {
        fprintf(stderr, "pharos-agent once: out of memory\n");
        status = 2;
        goto out;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    uv_loop_init(&loop);
    cu = curl_uv_new(&loop);
    if (cu == NULL) {
        fprintf(stderr, "pharos-agent once: cannot set up libcurl\n");
        status = 2;
        goto out_loop;
    }
    memset(&env, 0, sizeof(env));
    env.loop = &loop;
    env.curl = cu;
    env.source_address = source;
    env.on_step = on_step;
    env.on_step_arg = &o;
    if (o.watch_ms > 0) {
        status = watch(&o, &env, nonly, only);
        goto out_loop;
    }
    for (size_t i = 0; i < o.conf.nchecks; i++) {
        o.selected[i] = is_selected(o.conf.checks[i].id, nonly, only);
    }
    o.slots = slots;
    o.env = &env;
    start_more(&o);
    while (o.pending > 0 && uv_run(&loop, UV_RUN_ONCE) != 0) {
    }
    for (size_t i = 0; i < o.conf.nchecks; i++) {
        if (!o.selected[i]) {
            continue;
        }
        if (o.json) {
            print_json(&o.conf.checks[i], &o.results[i], -1, &o.steps[i]);
        } else {
            print_text(&o.conf.checks[i], &o.results[i], "", &o.steps[i]);
        }
        if (o.results[i].outcome != OUTCOME_UP) {
            status = 1;
        }
    }
    fflush(stdout);
    curl_uv_close(cu, NULL, NULL);
out_loop:
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    curl_global_cleanup();
out:
    ph_free(slots);
    ph_free(o.results);
    ph_free(o.selected);
    ph_free(o.steps);
    pharos_conf_free(&o.conf);
    return status;
}
