/*
 * pharos-agent: argv, loop, signals, ordered shutdown.
 *
 *   pharos-agent [run] -c agent.yml        run: fetch plan, probe, report
 *   pharos-agent -n -c agent.yml           validate agent.yml and exit
 *   pharos-agent once -c pharos.yml ...    run checks once (see once.h)
 */
#include <malloc.h>
#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "agent.h"
#include "curl_uv.h"
#include "log.h"
#include "once.h"
#include "ph_err.h"
#include "report.h"
#include "sched.h"
#include "spool.h"

/* How long a stopping agent keeps trying to send what it has. */
#define AGENT_DRAIN_MS 3000

static void
usage(FILE *f)
{
    fprintf(f,
            "usage: pharos-agent [run] [-c agent.yml] [-d]\n"
            "       pharos-agent -n|--check [-c agent.yml]\n"
            "       pharos-agent once -c pharos.yml [--check ID] [--json] "
            "[--source ADDR] [--parallel N]\n"
            "       pharos-agent --help-config | --version | --help\n"
            "  run          fetch the plan from the collector, probe, report "
            "(default)\n"
            "  -c FILE      agent configuration (default "
            "/etc/pharos/agent.yml)\n"
            "  -n, --check  validate the configuration and exit\n"
            "  -d           debug logging\n"
            "  once         run checks once from this host (pharos-agent "
            "once --help)\n"
            "  --help-config  every agent.yml key with its default\n");
}

static void
on_result(const struct check_result *r, void *arg)
{
    struct agent *a = arg;

    report_push(a->report, r);
}

static void
on_recheck(const char *id, void *arg)
{
    struct agent *a = arg;

    if (a->sched != NULL) {
        (void)sched_recheck(a->sched, id);
    }
}

static void
on_plan(struct wire_plan *plan, void *arg)
{
    struct agent *a = arg;
    int rc = sched_apply_plan_take(a->sched, plan->checks, plan->nchecks);

    if (rc != 0) {
        log_warnx("agent: cannot apply plan %llx: %s; keeping the old one",
                  (unsigned long long)plan->version, ph_strerror(rc));
    }
    /* The decoded plan and the old schedule were just freed: hand that
     * memory back so a large plan does not leave the RSS high. */
    malloc_trim(0);
}

/* Each in-flight probe holds a socket: allow as many as the hard limit. */
static void
raise_fd_limit(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static void
curl_closed(void *arg)
{
    (void)arg;
}

static void
report_closed(void *arg)
{
    struct agent *a = arg;

    /* Probes and reporter are gone: now curl's handles can go. */
    a->report = NULL;
    curl_uv_close(a->curl, curl_closed, NULL);
    a->curl = NULL;
}

static void
sched_closed(void *arg)
{
    struct agent *a = arg;

    /* No more results will come: send what is queued, then close. */
    a->sched = NULL;
    report_drain(a->report, AGENT_DRAIN_MS, report_closed, a);
}

static void
on_stop_signal(uv_signal_t *s, int signum)
{
    struct agent *a = s->data;

    if (a->closing) {
        return;
    }
    a->closing = 1;
    log_info("signal %d: stopping", signum);
    {
        struct sched_stats ss;

        sched_get_stats(a->sched, &ss);
        log_info("agent: extra probes since start: %llu confirmations, "
                 "%llu re-checks for the collector, %llu for watched "
                 "connections",
                 (unsigned long long)ss.confirms,
                 (unsigned long long)ss.rechecks,
                 (unsigned long long)ss.watch_runs);
    }
    sched_close(a->sched, sched_closed, a);
    uv_close((uv_handle_t *)&a->sigint, NULL);
    uv_close((uv_handle_t *)&a->sigterm, NULL);
    uv_close((uv_handle_t *)&a->sigusr1, NULL);
}

/* SIGUSR1: one line with the link's state (kill -USR1 $(pidof
 * pharos-agent), then read the log). */
static void
on_status_signal(uv_signal_t *s, int signum)
{
    struct agent *a = s->data;
    struct report_stats st;
    struct sched_stats ss;

    (void)signum;
    if (a->report == NULL) {
        return;
    }
    report_get_stats(a->report, &st);
    memset(&ss, 0, sizeof(ss));
    if (a->sched != NULL) {
        sched_get_stats(a->sched, &ss);
    }
    log_info("agent: status: collector %s (%zu of %zu), %llu switches, "
             "%llu results sent, %llu queued, %llu dropped, %llu failed "
             "requests, next seq %llu; extra probes: %llu confirmations, "
             "%llu re-checks (%llu asked, %llu of them through the held "
             "request, %llu already probing), %llu "
             "for watched connections (%llu while confirming)",
             st.collector, st.collector_idx + 1, a->conf.ncollectors,
             (unsigned long long)st.switches, (unsigned long long)st.sent,
             (unsigned long long)st.queued, (unsigned long long)st.dropped,
             (unsigned long long)st.failures,
             (unsigned long long)st.next_seq,
             (unsigned long long)ss.confirms,
             (unsigned long long)ss.rechecks,
             (unsigned long long)st.recheck_requests,
             (unsigned long long)st.recheck_held,
             (unsigned long long)ss.rechecks_skipped,
             (unsigned long long)ss.watch_runs,
             (unsigned long long)ss.watch_skipped);
}

static int
load_conf(const char *path, struct agent_conf *conf)
{
    struct conf_errs errs;
    int rc;

    memset(&errs, 0, sizeof(errs));
    rc = agent_conf_load(path, conf, &errs);
    for (size_t i = 0; i < errs.n; i++) {
        fprintf(stderr, "%s\n", errs.msgs[i]);
    }
    if (rc != 0 && errs.n == 0) {
        fprintf(stderr, "%s: %s\n", path, ph_strerror(rc));
    }
    return rc;
}

static int
run(const char *conf_path, int debug)
{
    struct agent a;
    struct report_opts ro;
    uv_loop_t loop;
    int level;
    int rc;

    memset(&a, 0, sizeof(a));
    if (load_conf(conf_path, &a.conf) != 0) {
        return 1;
    }
    level = log_level_parse(a.conf.log_level);
    log_init("agent", debug ? LOG_LVL_DEBUG : (level < 0 ? 2 : level));
    srandom((unsigned)time(NULL) ^ (unsigned)getpid());
    raise_fd_limit();
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    uv_loop_init(&loop);
    a.loop = &loop;
    a.curl = curl_uv_new(&loop);
    if (a.curl == NULL) {
        fatalx("agent: cannot set up libcurl");
    }
    a.env.loop = &loop;
    a.env.curl = a.curl;
    a.env.source_address = a.conf.source_address;
    a.sched = sched_new(&a.env, on_result, &a);
    memset(&ro, 0, sizeof(ro));
    ro.collector_urls = (const char *const *)a.conf.collectors;
    ro.ncollectors = a.conf.ncollectors;
    ro.collector_retry_ms = a.conf.collector_retry_ms;
    ro.token = a.conf.token;
    ro.ca_file = a.conf.ca_file;
    ro.version = PH_VERSION;
    ro.plan_refresh_ms = a.conf.plan_refresh_ms;
    ro.batch_delay_ms = a.conf.batch_delay_ms;
    ro.max_batch = a.conf.max_batch;
    ro.max_queue = a.conf.max_queue;
    ro.heartbeat_ms = a.conf.heartbeat_ms;
    if (a.conf.state_dir != NULL) {
        char dir[1024];
        char err[256] = "";

        snprintf(dir, sizeof(dir), "%s/spool", a.conf.state_dir);
        if (mkdir(a.conf.state_dir, 0700) != 0 && errno != EEXIST) {
            fatal("agent: cannot create state_dir %s", a.conf.state_dir);
        }
        if (spool_open(dir, (uint64_t)a.conf.spool_max_mb << 20, 4096,
                       &a.spool, err, sizeof(err)) != 0) {
            fatalx("agent: spool: %s", err);
        }
        ro.spool = a.spool;
    }
    a.report = report_new(&loop, a.curl, &ro, on_plan, &a);
    if (a.sched == NULL || a.report == NULL) {
        fatalx("agent: out of memory at startup");
    }
    report_set_recheck_cb(a.report, on_recheck, &a);
    uv_signal_init(&loop, &a.sigint);
    uv_signal_init(&loop, &a.sigterm);
    a.sigint.data = &a;
    a.sigterm.data = &a;
    uv_signal_start(&a.sigint, on_stop_signal, SIGINT);
    uv_signal_start(&a.sigterm, on_stop_signal, SIGTERM);
    uv_signal_init(&loop, &a.sigusr1);
    a.sigusr1.data = &a;
    uv_signal_start(&a.sigusr1, on_status_signal, SIGUSR1);
    if (a.conf.ncollectors > 1) {
        char list[1024] = "";
        size_t off = 0;

        for (size_t i = 1; i < a.conf.ncollectors && off < sizeof(list);
             i++) {
            int n = snprintf(list + off, sizeof(list) - off, "%s%s",
                             i > 1 ? ", " : "", a.conf.collectors[i]);
            off += n > 0 ? (size_t)n : 0;
        }
        log_info("agent %s starting, collector %s (fallbacks: %s)",
                 PH_VERSION, a.conf.collectors[0], list);
    } else {
        log_info("agent %s starting, collector %s", PH_VERSION,
                 a.conf.collectors[0]);
    }
    report_start(a.report);

    uv_run(&loop, UV_RUN_DEFAULT);

    rc = uv_loop_close(&loop);
    if (rc != 0) {
        log_warnx("agent: loop closed with live handles: %s",
                  uv_strerror(rc));
    }
    spool_close(a.spool);
    agent_conf_free(&a.conf);
    curl_global_cleanup();
    log_info("agent stopped");
    return 0;
}

int
main(int argc, char **argv)
{
    const char *conf_path = "/etc/pharos/agent.yml";
    int check = 0, debug = 0;
    int i = 1;

    if (argc > 1 && strcmp(argv[1], "once") == 0) {
        log_init("agent", LOG_LVL_WARN);
        raise_fd_limit();
        return agent_once_main(argc - 1, argv + 1);
    }
    if (argc > 1 && strcmp(argv[1], "run") == 0) {
        i = 2;
    }
    for (; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
            conf_path = argv[++i];
        } else if (strcmp(argv[i], "-n") == 0 ||
                   strcmp(argv[i], "--check") == 0) {
            check = 1;
        } else if (strcmp(argv[i], "-d") == 0) {
            debug = 1;
        } else if (strcmp(argv[i], "--version") == 0) {
            printf("pharos-agent %s\n", PH_VERSION);
            return 0;
        } else if (strcmp(argv[i], "--help-config") == 0) {
            struct buf out;
            buf_init(&out, 65536);
            agent_conf_help(&out);
            fwrite(out.data, 1, out.len, stdout);
            buf_free(&out);
            return 0;
        } else if (strcmp(argv[i], "-h") == 0 ||
                   strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "pharos-agent: unknown argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    log_init("agent", LOG_LVL_INFO);
    if (check) {
        struct agent_conf conf;
        if (load_conf(conf_path, &conf) != 0) {
            return 1;
        }
        agent_conf_free(&conf);
        fprintf(stderr, "configuration OK\n");
        return 0;
    }
    return run(conf_path, debug);
}
