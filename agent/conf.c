/*
 * conf.c - agent.yml, declared as one table (common/conf.h engine).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "mem.h"
#include "ph_err.h"
#include "token.h"

/* collector: one URL, or a list of them (the first is preferred). Each
 * must be http:// or https://, and none may repeat. */
static int
collectors_decode(const struct conf_opt *o, const struct conf_node *n,
                  void *base, const char *file, struct conf_errs *errs)
{
    struct agent_conf *c = base;
    char *items[AGENT_COLLECTORS_MAX];
    size_t count = 0;
    const char *msg = NULL;

    if (conf_string_list(n, items, AGENT_COLLECTORS_MAX, &count, o->key,
                         file, errs) != 0) {
        return -1;
    }
    if (count == 0) {
        msg = "'collector': at least one URL is required";
    }
    for (size_t i = 0; i < count && msg == NULL; i++) {
        if (strncmp(items[i], "http://", 7) != 0 &&
            strncmp(items[i], "https://", 8) != 0) {
            msg = "collector must be an http:// or https:// URL";
        }
        for (size_t j = 0; j < i && msg == NULL; j++) {
            if (strcmp(items[i], items[j]) == 0) {
                msg = "'collector': the same URL is listed twice";
            }
        }
    }
    if (msg != NULL) {
        conf_err(errs, file, n->line, n->col, "%s", msg);
        while (count > 0) {
            ph_free(items[--count]);
        }
        return -1;
    }
    memcpy(c->collectors, items, count * sizeof(*items));
    c->ncollectors = count;
    return 0;
}

static void
collectors_print(const struct conf_opt *o, const void *base,
                 const char *indent, struct buf *out)
{
    const struct agent_conf *c = base;

    conf_print_list(out, indent, o->key,
                    (const char *const *)c->collectors, c->ncollectors);
}

static void
collectors_free(const struct conf_opt *o, void *base)
{
    struct agent_conf *c = base;

    (void)o;
    while (c->ncollectors > 0) {
        c->ncollectors--;
        ph_free(c->collectors[c->ncollectors]);
        c->collectors[c->ncollectors] = NULL;
    }
}

static const struct conf_custom collectors_custom = {
    collectors_decode, collectors_print, collectors_free, NULL, NULL, NULL};

static const struct conf_opt agent_opts[] = {
    {"collector", CONF_T_CUSTOM, 0, NULL, 0, 0, 1, &collectors_custom,
     "base URL of the collector (http:// or https://), or a list of them: "
     "the agent uses the first it can reach, the first of all preferred"},
    {"collector_retry", CONF_T_DURATION,
     offsetof(struct agent_conf, collector_retry_ms), "30s", 1000, 3600000,
     0, NULL,
     "while on a fallback collector, how often the first one is tried "
     "again (jittered between 1x and 2x)"},
    {"token_file", CONF_T_STR, offsetof(struct agent_conf, token_file), NULL,
     0, 0, 0, NULL, "file holding this agent's token"},
    {"token_env", CONF_T_STR, offsetof(struct agent_conf, token_env), NULL, 0,
     0, 0, NULL, "environment variable holding the token (if no file)"},
    {"ca_file", CONF_T_STR, offsetof(struct agent_conf, ca_file), NULL, 0, 0,
     0, NULL, "CA bundle to verify an https collector (default: system)"},
    {"source_address", CONF_T_STR,
     offsetof(struct agent_conf, source_address), NULL, 0, 0, 0, NULL,
     "local address probes connect from (checks may override)"},
    {"state_dir", CONF_T_STR, offsetof(struct agent_conf, state_dir), NULL,
     0, 0, 0, NULL, "directory for the result spool and state"},
    {"plan_refresh", CONF_T_DURATION,
     offsetof(struct agent_conf, plan_refresh_ms), "30s", 1000, 3600000, 0,
     NULL, "how often to ask the collector for a new plan"},
    {"batch_delay", CONF_T_DURATION,
     offsetof(struct agent_conf, batch_delay_ms), "1s", 0, 60000, 0, NULL,
     "how long passing results are coalesced before sending"},
    {"max_batch", CONF_T_UINT32, offsetof(struct agent_conf, max_batch),
     "1000", 1, 20000, 0, NULL, "results per request"},
    {"max_queue", CONF_T_UINT32, offsetof(struct agent_conf, max_queue),
     "100000", 100, 10000000, 0, NULL,
     "unacknowledged results kept; the oldest are dropped beyond it"},
    {"heartbeat", CONF_T_DURATION, offsetof(struct agent_conf, heartbeat_ms),
     "2s", 1000, 300000, 0, NULL,
     "an empty batch is sent when nothing was sent for this long; its ack "
     "carries the collector's re-check requests"},
    {"spool_max_mb", CONF_T_UINT32, offsetof(struct agent_conf, spool_max_mb),
     "64", 1, 65536, 0, NULL,
     "disk cap of the result spool in state_dir; the oldest are dropped "
     "beyond it"},
    {"log_level", CONF_T_STR, offsetof(struct agent_conf, log_level), "info",
     0, 0, 0, NULL, "error, warn, info or debug"},
    {NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL},
};

void
agent_conf_help(struct buf *out)
{
    conf_help(agent_opts, "", out);
}

/* Reads the first line of path into out. */
static int
read_token_file(const char *path, char *out, size_t len)
{
    FILE *f = fopen(path, "r");
    size_t n;

    if (f == NULL) {
        return PH_EIO;
    }
    if (fgets(out, (int)len, f) == NULL) {
        fclose(f);
        return PH_EIO;
    }
    fclose(f);
    n = strcspn(out, "\r\n");
    out[n] = '\0';
    return n == 0 ? PH_EINVAL : 0;
}

/* Resolves path relative to the directory of the config file. */
static char *
relative_to(const char *conf_path, const char *p)
{
    const char *slash = strrchr(conf_path, '/');
    size_t dl;
    char *s;

    if (p[0] == '/' || slash == NULL) {
        return ph_strdup(p);
    }
    dl = (size_t)(slash - conf_path);
    s = ph_malloc(dl + strlen(p) + 2);
    if (s != NULL) {
        memcpy(s, conf_path, dl);
        s[dl] = '/';
        memcpy(s + dl + 1, p, strlen(p) + 1);
    }
    return s;
}

int
agent_conf_load(const char *path, struct agent_conf *ret,
                struct conf_errs *errs)
{
    struct conf_node *root;
    int rc;

    memset(ret, 0, sizeof(*ret));
    root = conf_yaml_load(path, errs);
    if (root == NULL) {
        return PH_ECONF;
    }
    if (root->type != CONF_MAP) {
        conf_err(errs, path, root->line, root->col,
                 "expected a mapping at the top level");
        conf_node_free(root);
        return PH_ECONF;
    }
    rc = conf_decode(agent_opts, root, ret, path, errs);
    if (rc == 0 && ret->token_file != NULL) {
        char *full = relative_to(path, ret->token_file);
        rc = full == NULL ? PH_ENOMEM
                          : read_token_file(full, ret->token,
                                            sizeof(ret->token));
        if (rc != 0) {
            conf_err(errs, path, root->line, root->col,
                     "cannot read token_file %s", full ? full : "");
            rc = PH_ECONF;
        }
        ph_free(full);
    } else if (rc == 0 && ret->token_env != NULL) {
        const char *v = getenv(ret->token_env);
        if (v == NULL || v[0] == '\0' ||
            strlen(v) >= sizeof(ret->token)) {
            conf_err(errs, path, root->line, root->col,
                     "environment variable %s is not set", ret->token_env);
            rc = PH_ECONF;
        } else {
            snprintf(ret->token, sizeof(ret->token), "%s", v);
        }
    } else if (rc == 0) {
        conf_err(errs, path, root->line, root->col,
                 "one of token_file or token_env is required");
        rc = PH_ECONF;
    }
    if (rc == 0 && ret->state_dir != NULL) {
        char *full = relative_to(path, ret->state_dir);
        if (full == NULL) {
            rc = PH_ENOMEM;
        } else {
            ph_free(ret->state_dir);
            ret->state_dir = full;
        }
    }
    conf_node_free(root);
    if (rc != 0) {
        agent_conf_free(ret);
        return rc == PH_ENOMEM ? rc : PH_ECONF;
    }
    return 0;
}

void
agent_conf_free(struct agent_conf *c)
{
    conf_free_fields(agent_opts, c);
    memset(c->token, 0, sizeof(c->token));
}
