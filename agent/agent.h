/*
 * agent.h - the agent process and its configuration (agent.yml).
 *
 * The agent knows only the collector URLs (one, or several to fail over
 * between, the first preferred), its token and a few local settings; its
 * checks come from the collector's plan.
 */
#ifndef PH_AGENT_H
#define PH_AGENT_H

#include <stdint.h>
#include <uv.h>

#include "conf.h"
#include "probe.h"

/* Collector URLs an agent may list (collector: [a, b, ...]). */
#define AGENT_COLLECTORS_MAX 8

struct agent_conf {
    char *collectors[AGENT_COLLECTORS_MAX]; /* base URLs, first preferred */
    size_t ncollectors;
    uint32_t collector_retry_ms; /* on a fallback: retry the first after */
    char *token_file;         /* file holding the bearer token */
    char *token_env;          /* or an environment variable */
    char *ca_file;            /* CA bundle for an https collector */
    char *source_address;     /* default local address for probes */
    char *state_dir;          /* spool and state (optional) */
    uint32_t plan_refresh_ms;
    uint32_t batch_delay_ms;
    uint32_t max_batch;
    uint32_t max_queue;
    uint32_t heartbeat_ms;
    uint32_t spool_max_mb;    /* on-disk cap of unacked results */
    char *log_level;
    char token[160];          /* loaded from token_file / token_env */
};

struct sched;
struct report;
struct spool;
struct curl_uv;

struct agent {
    uv_loop_t *loop;
    struct agent_conf conf;
    struct curl_uv *curl;
    struct probe_env env;
    struct sched *sched;
    struct report *report;
    struct spool *spool;      /* NULL without state_dir */
    int closing;
    uv_signal_t sigint;
    uv_signal_t sigterm;
    uv_signal_t sigusr1;      /* logs the link status */
};

/* Loads path into *ret (zeroed first), reading the token. Errors go to
 * errs as file:line:col. Returns 0 or PH_ECONF / PH_EIO. */
int agent_conf_load(const char *path, struct agent_conf *ret,
                    struct conf_errs *errs);
void agent_conf_free(struct agent_conf *c);
/* Appends one line per option (for --help-config). */
void agent_conf_help(struct buf *out);

#endif
