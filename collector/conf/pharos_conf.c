/*
 * pharos_conf.c - the collector's YAML schema (pharos.yml).
 *
 * Each section is a table of struct conf_opt rows decoded by conf.c;
 * checks are decoded into a staging struct by a table per check type (so
 * keys of another type are unknown keys), then checked across fields
 * (timeout < interval, quorum <= regions, references exist) and copied
 * into struct check. Every error carries file:line:col, and decoding goes
 * on after an error so a run reports them all.
 */
#include "pharos_conf.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem.h"
#include "ph_err.h"
#include "token.h"
#include "pharos_conf_int.h"

#define MAX_ITEMS 10000        /* regions, agents, groups, API keys */
#define MAX_CHECKS 200000      /* checks of all components together */

/* Default server.web_dir: CMake sets it to the installed page
 * (<datadir>/pharos/web); a build outside CMake gets the packaged path. */
#ifndef PH_WEB_DIR
#define PH_WEB_DIR "/usr/share/pharos/web"
#endif

/* ---- helpers ---- */

const struct conf_node *
pc_find_key(const struct conf_node *map, const char *key)
{
    for (const struct conf_node *n = map ? map->child : NULL; n; n = n->next) {
        if (n->key != NULL && strcmp(n->key, key) == 0) {
            return n;
        }
    }
    return NULL;
}

int
pc_valid_id(const char *s, int allow_dot_upper)
{
    size_t n = strlen(s);

    if (n == 0 || n >= CHECK_ID_MAX) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(islower(c) || isdigit(c) || c == '-' || c == '_' ||
              (allow_dot_upper && (isupper(c) || c == '.')))) {
            return 0;
        }
    }
    return 1;
}

int
pc_in_list(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(s, list[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

char *
pc_relative_path(const char *conf_path, const char *p)
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

static void
make_relative(char **field, const char *conf_path)
{
    char *full;

    if (*field == NULL) {
        return;
    }
    full = pc_relative_path(conf_path, *field);
    if (full != NULL) {
        ph_free(*field);
        *field = full;
    }
}

/* ---- server, retention, incidents, page ---- */


static const struct conf_opt server_opts[] = {
    {"listen", CONF_T_STR, offsetof(struct pharos_conf, listen),
     "127.0.0.1:8080", 0, 0, 0, NULL, "address:port of the HTTP server"},
    {"state_dir", CONF_T_STR, offsetof(struct pharos_conf, state_dir),
     "/var/lib/pharos", 0, 0, 0, NULL, "directory of the sqlite database"},
    {"publish_dir", CONF_T_STR, offsetof(struct pharos_conf, publish_dir),
     NULL, 0, 0, 0, NULL, "public documents (default <state_dir>/public)"},
    {"web_dir", CONF_T_STR, offsetof(struct pharos_conf, web_dir), NULL, 0,
     0, 0, NULL, "the page's static assets (default " PH_WEB_DIR ")"},
    {"max_body_bytes", CONF_T_UINT32,
     offsetof(struct pharos_conf, max_body_bytes), "1048576", 1024,
     67108864, 0, NULL, "largest request body accepted"},
    {"max_results_per_batch", CONF_T_UINT32,
     offsetof(struct pharos_conf, max_results_per_batch), "5000", 1, 20000,
     0, NULL, "largest result batch accepted from an agent"},
    {"api_rate_limit", CONF_T_UINT32,
     offsetof(struct pharos_conf, api_rate_limit), "120", 0, 1000000, 0,
     NULL, "management API requests per minute per key (0 = no limit)"},
    {"max_result_age", CONF_T_DURATION,
     offsetof(struct pharos_conf, max_result_age_ms), "7d", 60000,
     30LL * 86400000, 0, NULL,
     "agent results started longer ago than this are refused (400)"},
    {"max_result_ahead", CONF_T_DURATION,
     offsetof(struct pharos_conf, max_result_ahead_ms), "5m", 1000,
     86400000, 0, NULL,
     "agent results dated further ahead of our clock are refused (400)"},
    {"agent_listen", CONF_T_STR, offsetof(struct pharos_conf, agent_listen),
     NULL, 0, 0, 0, NULL,
     "second address:port serving only /v1/ (agents, API) and /healthz"},
    {"max_connections", CONF_T_UINT32,
     offsetof(struct pharos_conf, max_connections), "1000", 16, 1000000, 0,
     NULL, "open connections on the public listener"},
    {"agent_max_connections", CONF_T_UINT32,
     offsetof(struct pharos_conf, agent_max_connections), "256", 16,
     1000000, 0, NULL, "open connections on agent_listen"},
    {"max_connections_per_client", CONF_T_UINT32,
     offsetof(struct pharos_conf, max_connections_per_client), "32", 0,
     1000000, 0, NULL,
     "open connections per IPv4 address or IPv6 /64, trusted proxies "
     "exempt (0 = no limit)"},
    {"request_timeout", CONF_T_DURATION,
     offsetof(struct pharos_conf, request_timeout_ms), "30s", 1000,
     3600000, 0, NULL,
     "a request's headers and body must arrive within this time"},
    {"idle_timeout", CONF_T_DURATION,
     offsetof(struct pharos_conf, idle_timeout_ms), "15s", 1000, 3600000,
     0, NULL, "a connection without traffic is closed after this time"},
    {"trusted_proxies", CONF_T_CUSTOM, 0, NULL, 0, 0, 0, &pc_proxies_custom,
     "addresses or networks whose X-Forwarded-For names the client"},
    {NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL},
};

static const struct conf_opt retention_opts[] = {
    {"raw", CONF_T_DAYS, offsetof(struct pharos_conf, retention_raw_days),
     "2d", 86400000, 400LL * 86400000, 0, NULL,
     "how long raw results are kept (whole days)"},
    {"latency_5m", CONF_T_DAYS,
     offsetof(struct pharos_conf, retention_latency_5m_days), "2d", 86400000,
     7LL * 86400000, 0, NULL,
     "how long five-minute response-time rollups are kept (whole days)"},
    {"latency_1h", CONF_T_DAYS,
     offsetof(struct pharos_conf, retention_latency_1h_days), "90d",
     86400000, 400LL * 86400000, 0, NULL,
     "how long hourly response-time rollups are kept (whole days)"},
    {NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL},
};

/* ha: the leader lease. The bounds are lease.h's (LEASE_MIN_MS,
 * LEASE_MAX_MS); the conf layer does not link the lease. */

/* In the order of enum auto_incidents. */
static const char *const auto_names[] = {"draft", "publish", "off", NULL};
static const struct conf_custom auto_custom = {.names = auto_names};

static const struct conf_opt incidents_opts[] = {
    {"auto", CONF_T_ENUM, offsetof(struct pharos_conf, auto_incidents),
     "draft", 0, 0, 0, &auto_custom,
     "draft, publish or off: incidents opened by probes"},
    {"resolve_after", CONF_T_DURATION,
     offsetof(struct pharos_conf, resolve_after_ms), "5m", 0, 86400000, 0,
     NULL, "stable time before an automatic incident resolves"},
    {"update_every", CONF_T_DURATION,
     offsetof(struct pharos_conf, update_every_ms), "30m", 0, 86400000, 0,
     NULL, "an open incident is overdue without an update this long (0: off)"},
    {"staff", CONF_T_LIST, offsetof(struct pharos_conf, staff), NULL, 0, 0,
     0, &pc_staff_sub.custom,
     "responders' channels for update reminders (slack, webhook, email)"},
    {"templates", CONF_T_LIST, offsetof(struct pharos_conf, templates), NULL,
     0, 0, 0, &pc_templates_sub.custom,
     "named incident templates (API template:, pharosctl --template)"},
    {NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL},
};

/* In the order of enum smtp_tls_mode. */
static const char *const tls_names[] = {"required", "optional", "off", NULL};
static const struct conf_custom tls_custom = {.names = tls_names};

/* notify.smtp: its keys are the smtp_* fields of struct conf_notify. The
 * password is never printed: password_env and password_file are NULL once
 * it is read. */
static const struct conf_opt smtp_opts[] = {
    {"url", CONF_T_STR, offsetof(struct conf_notify, smtp_url), NULL, 0, 0,
     1, NULL,
     "smtp://host:587 (STARTTLS) or smtps://host:465 (implicit TLS)"},
    {"starttls", CONF_T_ENUM, offsetof(struct conf_notify, smtp_tls),
     "required", 0, 0, 0, &tls_custom, "required, optional or off"},
    {"username", CONF_T_STR, offsetof(struct conf_notify, smtp_username),
     NULL, 0, 0, 0, NULL, "SMTP AUTH user"},
    {"password_env", CONF_T_STR,
     offsetof(struct conf_notify, smtp_password_env), NULL, 0, 0, 0, NULL,
     "environment variable holding the password"},
    {"password_file", CONF_T_STR,
     offsetof(struct conf_notify, smtp_password_file), NULL, 0, 0, 0, NULL,
     "file holding the password"},
    {"from", CONF_T_STR, offsetof(struct conf_notify, smtp_from), NULL, 0, 0,
     1, NULL, "sender, e.g. \"Example status <status@example.org>\""},
    {"ca_file", CONF_T_STR, offsetof(struct conf_notify, smtp_ca_file), NULL,
     0, 0, 0, NULL, "CA bundle for the relay's certificate"},
    {"insecure", CONF_T_BOOL, offsetof(struct conf_notify, smtp_insecure),
     "false", 0, 0, 0, NULL, "do not verify the relay's certificate"},
    {NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL},
};

static const struct conf_sub smtp_sub = {
    .opts = smtp_opts,
    .size = sizeof(struct conf_notify),
    .flags = CONF_SUB_OMIT_DEFAULT,
};

static const struct conf_opt notify_opts[] = {
    {"public_url", CONF_T_STR, offsetof(struct conf_notify, public_url),
     NULL, 0, 0, 0, NULL,
     "base URL of confirm/unsubscribe links (default page.url)"},
    {"allow_private_targets", CONF_T_BOOL,
     offsetof(struct conf_notify, allow_private_targets), "false", 0, 0, 0,
     NULL, "allow webhook/Slack targets on loopback or private addresses"},
    {"coalesce", CONF_T_DURATION, offsetof(struct conf_notify, coalesce_ms),
     "10s", 0, 600000, 0, NULL,
     "changes to one incident within this window make one message"},
    {"retry_base", CONF_T_DURATION,
     offsetof(struct conf_notify, retry_base_ms), "5s", 100, 3600000, 0,
     NULL, "delay before the first retry (doubled each try, with jitter)"},
    {"retry_max", CONF_T_DURATION, offsetof(struct conf_notify, retry_max_ms),
     "2h", 1000, 86400000, 0, NULL, "longest delay between two tries"},
    {"retry_for", CONF_T_DURATION, offsetof(struct conf_notify, retry_for_ms),
     "24h", 1000, 7LL * 86400000, 0, NULL,
     "a message still failing after this is given up"},
    {"quarantine_after", CONF_T_UINT32,
     offsetof(struct conf_notify, quarantine_after), "20", 1, 100000, 0,
     NULL, "consecutive failures before a subscriber is quarantined"},
    {"timeout", CONF_T_DURATION, offsetof(struct conf_notify, timeout_ms),
     "30s", 1000, 300000, 0, NULL, "time limit of one delivery attempt"},
    {"max_in_flight", CONF_T_UINT32,
     offsetof(struct conf_notify, max_in_flight), "16", 1, 1000, 0, NULL,
     "deliveries running at once"},
    {"subscribe_burst", CONF_T_UINT32,
     offsetof(struct conf_notify, subscribe_burst), "5", 1, 10000, 0, NULL,
     "public sign-ups one client address may make at once"},
    {"subscribe_every", CONF_T_DURATION,
     offsetof(struct conf_notify, subscribe_every_ms), "1m", 0, 86400000, 0,
     NULL, "one more sign-up per client address per this interval"},
    {"max_subscribers", CONF_T_UINT32,
     offsetof(struct conf_notify, max_subscribers), "100000", 1, 10000000, 0,
     NULL, "subscribers kept at most (unsubscribed ones not counted)"},
    {"confirm_every", CONF_T_DURATION,
     offsetof(struct conf_notify, confirm_every_ms), "1h", 0, 7LL * 86400000,
     0, NULL, "one confirmation email per address per this interval"},
    {"confirm_daily_max", CONF_T_UINT32,
     offsetof(struct conf_notify, confirm_daily_max), "3", 1, 100, 0, NULL,
     "confirmation emails one address may get in 24 hours"},
    {"smtp", CONF_T_MAP, 0, NULL, 0, 0, 0, &smtp_sub.custom,
     "the mail relay of email notifications"},
    {NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL},
};

static const struct conf_opt page_opts[] = {
    {"id", CONF_T_STR, offsetof(struct conf_page, id), NULL, 0, 0, 1, NULL,
     "page id used in the feed and /v1/pages/<id>/"},
    {"name", CONF_T_STR, offsetof(struct conf_page, name), NULL, 0, 0, 1,
     NULL, "page name shown to the public"},
    {"url", CONF_T_STR, offsetof(struct conf_page, url), NULL, 0, 0, 0, NULL,
     "public URL of the page"},
    {"time_zone", CONF_T_STR, offsetof(struct conf_page, time_zone),
     "Etc/UTC", 0, 0, 0, NULL, "IANA time zone of the uptime days"},
    {"logo_url", CONF_T_STR, offsetof(struct conf_page, logo_url), NULL, 0,
     0, 0, NULL, "logo shown on the page"},
    {"brand_color", CONF_T_STR, offsetof(struct conf_page, brand_color),
     NULL, 0, 0, 0, NULL, "accent colour #rrggbb"},
    PC_PAGE_BRAND_ROWS,
    PC_ACCESS_ROWS,
    {NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL},
};

static const struct conf_opt region_opts[] = {
    {"id", CONF_T_STR, offsetof(struct conf_region, id), NULL, 0, 0, 1, NULL,
     "region id"},
    {"name", CONF_T_STR, offsetof(struct conf_region, name), NULL, 0, 0, 0,
     NULL, "display name (default: id)"},
    {NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL},
};

static const struct conf_opt agent_opts[] = {
    {"id", CONF_T_STR, offsetof(struct conf_agent, id), NULL, 0, 0, 1, NULL,
     "agent id"},
    {"region", CONF_T_STR, offsetof(struct conf_agent, region), NULL, 0, 0,
     1, NULL, "region the agent reports for"},
    PC_TOKEN_ROWS(struct conf_agent, "the agent's token"),
    {NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL},
};

static const struct conf_opt api_key_opts[] = {
    {"name", CONF_T_STR, offsetof(struct conf_api_key, name), NULL, 0, 0, 1,
     NULL, "who the key belongs to"},
    {"scope", CONF_T_STR, offsetof(struct conf_api_key, scope), "admin", 0, 0,
     0, NULL, "read, write or admin"},
    PC_TOKEN_ROWS(struct conf_api_key, "the key"),
    {NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL},
};

static const struct conf_opt group_opts[] = {
    {"id", CONF_T_STR, offsetof(struct conf_group, id), NULL, 0, 0, 1, NULL,
     "group id"},
    {"name", CONF_T_STR, offsetof(struct conf_group, name), NULL, 0, 0, 1,
     NULL, "group name"},
    {"description", CONF_T_STR, offsetof(struct conf_group, description),
     NULL, 0, 0, 0, NULL, "shown under the name"},
    {NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL},
};

static const struct conf_opt component_opts[] = {
    {"id", CONF_T_STR, offsetof(struct conf_component, id), NULL, 0, 0, 1,
     NULL, "component id"},
    {"name", CONF_T_STR, offsetof(struct conf_component, name), NULL, 0, 0, 1,
     NULL, "component name"},
    {"description", CONF_T_STR,
     offsetof(struct conf_component, description), NULL, 0, 0, 0, NULL,
     "shown under the name"},
    {"group", CONF_T_STR, offsetof(struct conf_component, group), NULL, 0, 0,
     0, NULL, "id of its group"},
    {"showcase", CONF_T_BOOL, offsetof(struct conf_component, showcase),
     "true", 0, 0, 0, NULL, "show 90-day uptime bars"},
    {"only_show_if_degraded", CONF_T_BOOL,
     offsetof(struct conf_component, only_show_if_degraded), "false", 0, 0,
     0, NULL, "hide while operational"},
    {"start_date", CONF_T_STR, offsetof(struct conf_component, start_date),
     NULL, 0, 0, 0, NULL, "YYYY-MM-DD the component went into service"},
    {"internal", CONF_T_BOOL, offsetof(struct conf_component, internal),
     "false", 0, 0, 0, NULL,
     "shown only to signed-in viewers, never in the public feed"},
    {"depends_on", CONF_T_CUSTOM, 0, NULL, 0, 0, 0, &pc_depends_custom,
     "ids of the components it needs: its outage while one of them is "
     "down is shown as caused by it"},
    {"checks", CONF_T_CUSTOM, 0, NULL, 0, 0, 0, &pc_checks_custom,
     "the probes that decide its status (keys: see checks below)"},
    {NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL},
};

/* ---- the sections: one row each, in the order they are printed ---- */

/* A section whose keys are fields of struct pharos_conf itself. */
#define FLAT_SECTION(o)                                                     \
    {.opts = (o), .size = sizeof(struct pharos_conf)}
/* A list of item structs at struct pharos_conf's field f (count nf). */
#define LIST_SECTION(o, f, nf)                                              \
    {.opts = (o), .size = sizeof(*((struct pharos_conf *)0)->f),           \
     .count_offset = offsetof(struct pharos_conf, nf)}

static const struct conf_sub server_sub = FLAT_SECTION(server_opts);
static const struct conf_sub retention_sub = FLAT_SECTION(retention_opts);
static const struct conf_sub incidents_sub = FLAT_SECTION(incidents_opts);
/* Printed once a key is set, so configurations without notifications
 * print as before. */
static const struct conf_sub notify_sub = {
    .opts = notify_opts,
    .size = sizeof(struct conf_notify),
    .flags = CONF_SUB_OMIT_DEFAULT,
};
static const struct conf_sub page_sub = {.opts = page_opts,
                                         .size = sizeof(struct conf_page)};
static const struct conf_sub regions_sub =
    LIST_SECTION(region_opts, regions, nregions);
static const struct conf_sub agents_sub =
    LIST_SECTION(agent_opts, agents, nagents);
static const struct conf_sub api_keys_sub =
    LIST_SECTION(api_key_opts, api_keys, napi_keys);
/* Expanded into every check (pharos_conf_checks.c), not kept. */
static const struct conf_sub defaults_sub = {
    .opts = check_common_opts,
    .flags = CONF_SUB_UNSTORED,
};
static const struct conf_sub groups_sub =
    LIST_SECTION(group_opts, groups, ngroups);
static const struct conf_sub components_sub =
    LIST_SECTION(component_opts, components, ncomponents);

const struct conf_opt pc_root_opts[] = {
    {"server", CONF_T_MAP, 0, NULL, 0, 0, 0, &server_sub.custom,
     "the HTTP server"},
    {"retention", CONF_T_MAP, 0, NULL, 0, 0, 0, &retention_sub.custom,
     "how long data is kept"},
    {"incidents", CONF_T_MAP, 0, NULL, 0, 0, 0, &incidents_sub.custom,
     "incidents opened and resolved by the probes"},
    {"notify", CONF_T_MAP, offsetof(struct pharos_conf, notify), NULL, 0, 0,
     0, &notify_sub.custom, "subscriptions and their delivery"},
    {"ha", CONF_T_MAP, offsetof(struct pharos_conf, ha), NULL, 0, 0, 0,
     &pc_ha_sub.custom,
     "high availability: one leader among collectors, by a lease in "
     "PostgreSQL"},
    {"page", CONF_T_MAP, offsetof(struct pharos_conf, page), NULL, 0, 0, 1,
     &page_sub.custom, "the public status page"},
    {"regions", CONF_T_LIST, offsetof(struct pharos_conf, regions), NULL, 0,
     0, 1, &regions_sub.custom, "where agents probe from (at least one)"},
    {"agents", CONF_T_LIST, offsetof(struct pharos_conf, agents), NULL, 0, 0,
     0, &agents_sub.custom, "agents allowed to report, one per region"},
    {"api_keys", CONF_T_LIST, offsetof(struct pharos_conf, api_keys), NULL,
     0, 0, 0, &api_keys_sub.custom, "keys of the management API"},
    {"defaults", CONF_T_MAP, 0, NULL, 0, 0, 0, &defaults_sub.custom,
     "defaults of the keys every check has"},
    {"groups", CONF_T_LIST, offsetof(struct pharos_conf, groups), NULL, 0, 0,
     0, &groups_sub.custom, "headings components are shown under"},
    {"components", CONF_T_LIST, offsetof(struct pharos_conf, components),
     NULL, 0, 0, 1, &components_sub.custom,
     "what the page shows, each with its checks"},
    {"alerts", CONF_T_MAP, offsetof(struct pharos_conf, alerts), NULL, 0, 0,
     0, &pc_alerts_sub.custom,
     "Alertmanager and webhook alerts that set component statuses"},
    {"integrations", CONF_T_MAP, offsetof(struct pharos_conf, integrations),
     NULL, 0, 0, 0, &pc_integrations_sub.custom,
     "PagerDuty and Opsgenie: incidents opened by responders' tools"},
    {"mass_failure", CONF_T_MAP, offsetof(struct pharos_conf, mass_failure),
     NULL, 0, 0, 0, &pc_mass_failure_sub.custom,
     "one region failing most checks at once is that region's problem"},
    {NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL},
};

/* ---- sequences ---- */

const struct conf_node *
pc_seq_of(const struct conf_node *root, const char *key, int required,
          size_t max, const char *file, struct conf_errs *errs,
          size_t *ret_n)
{
    const struct conf_node *n = pc_find_key(root, key);
    size_t count = 0;

    *ret_n = 0;
    if (n == NULL) {
        if (required) {
            conf_err(errs, file, root->line, root->col,
                     "missing required section '%s'", key);
        }
        return NULL;
    }
    if (n->type == CONF_SCALAR &&
        (n->value[0] == '\0' || strcmp(n->value, "~") == 0 ||
         strcmp(n->value, "null") == 0)) {
        /* "agents:" with nothing under it: an empty list. */
        if (required) {
            conf_err(errs, file, n->line, n->col, "'%s' must not be empty",
                     key);
        }
        return NULL;
    }
    if (n->type != CONF_SEQ) {
        conf_err(errs, file, n->line, n->col, "'%s' must be a list", key);
        return NULL;
    }
    for (const struct conf_node *i = n->child; i; i = i->next) {
        count++;
    }
    if (count > max) {
        conf_err(errs, file, n->line, n->col, "'%s': more than %zu entries",
                 key, max);
        return NULL;
    }
    *ret_n = count;
    return n;
}

static int
file_exists(const char *p)
{
    struct stat st;

    return stat(p, &st) == 0;
}

static int decode_root(const struct conf_node *root, const char *file,
                       struct pharos_conf *cf, struct conf_errs *errs,
                       struct conf_errs *warns);

int
pharos_conf_load(const char *path, struct pharos_conf *ret,
                 struct conf_errs *errs)
{
    return pharos_conf_load_warn(path, ret, errs, NULL);
}

int
pharos_conf_load_warn(const char *path, struct pharos_conf *ret,
                      struct conf_errs *errs, struct conf_errs *warns)
{
    struct conf_node *root;
    int rc;

    memset(ret, 0, sizeof(*ret));
    root = conf_yaml_load(path, errs);
    if (root == NULL) {
        return PH_ECONF;
    }
    rc = decode_root(root, path, ret, errs, warns);
    conf_node_free(root);
    if (rc != 0) {
        pharos_conf_free(ret);
        return PH_ECONF;
    }
    return 0;
}

int
pharos_conf_parse(const char *name, const char *text, size_t len,
                  struct pharos_conf *ret, struct conf_errs *errs)
{
    struct conf_node *root;
    int rc;

    memset(ret, 0, sizeof(*ret));
    root = conf_yaml_parse(name, text, len, errs);
    if (root == NULL) {
        return PH_ECONF;
    }
    rc = decode_root(root, name, ret, errs, NULL);
    conf_node_free(root);
    if (rc != 0) {
        pharos_conf_free(ret);
        return PH_ECONF;
    }
    return 0;
}

static void
decode_simple_sections(const struct conf_node *root, const char *file,
                       struct pharos_conf *cf, struct conf_errs *errs,
                       struct conf_errs *warns)
{
    static const struct conf_node empty = {CONF_MAP, 1, 1, NULL, 0, 0,
                                           NULL, NULL, NULL};
    const struct conf_node *n;

    n = pc_find_key(root, "server");
    conf_decode(server_opts, n ? n : &empty, cf, file, errs);
    make_relative(&cf->state_dir, file);
    make_relative(&cf->publish_dir, file);
    make_relative(&cf->web_dir, file);
    if (cf->publish_dir == NULL && cf->state_dir != NULL) {
        size_t l = strlen(cf->state_dir) + 8;
        cf->publish_dir = ph_malloc(l);
        if (cf->publish_dir != NULL) {
            snprintf(cf->publish_dir, l, "%s/public", cf->state_dir);
        }
    }
    if (cf->web_dir == NULL) {
        cf->web_dir = ph_strdup(PH_WEB_DIR);
    }

    n = pc_find_key(root, "retention");
    conf_decode(retention_opts, n ? n : &empty, cf, file, errs);
    n = pc_find_key(root, "incidents");
    conf_decode(incidents_opts, n ? n : &empty, cf, file, errs);

    n = pc_find_key(root, "page");
    if (n == NULL) {
        conf_err(errs, file, root->line, root->col,
                 "missing required section 'page'");
    } else if (conf_decode(page_opts, n, &cf->page, file, errs) == 0 ||
               (cf->page.id != NULL && cf->page.name != NULL)) {
        const struct conf_page *pg = &cf->page;
        char tzpath[512];

        if (!pc_valid_id(pg->id, 0)) {
            conf_err(errs, file, n->line, n->col,
                     "page id '%s' must be 1-63 of [a-z0-9_-]", pg->id);
        }
        /* time_zone is NULL when its value was refused above (not a
         * string): that error is reported already. */
        snprintf(tzpath, sizeof(tzpath), "/usr/share/zoneinfo/%s",
                 pg->time_zone != NULL ? pg->time_zone : "");
        if (pg->time_zone != NULL && strcmp(pg->time_zone, "UTC") != 0 &&
            strcmp(pg->time_zone, "Etc/UTC") != 0 &&
            (strstr(pg->time_zone, "..") != NULL || !file_exists(tzpath))) {
            conf_err(errs, file, n->line, n->col,
                     "unknown time_zone '%s'", pg->time_zone);
        }
        if (pg->brand_color != NULL) {
            const char *b = pg->brand_color;
            int ok = strlen(b) == 7 && b[0] == '#';
            for (size_t i = 1; ok && i < 7; i++) {
                ok = isxdigit((unsigned char)b[i]);
            }
            if (!ok) {
                conf_err(errs, file, n->line, n->col,
                         "brand_color must look like #1f6feb");
            }
        }
        pc_decode_page_brand(n, file, &cf->page, errs, warns);
    }
    if (n != NULL) {
        pc_validate_access(n, pc_find_key(root, "server"), file, cf, errs);
    }
}

/* The address part of "Name <a@b>" or "a@b" is plausible: one '@', no
 * spaces or control characters or angle brackets inside. */
static int
plausible_from(const char *s)
{
    const char *lt = strrchr(s, '<');
    const char *a = lt != NULL ? lt + 1 : s;
    size_t n = lt != NULL ? strcspn(a, ">") : strlen(a);
    size_t at = 0;

    if (n == 0 || (lt != NULL && a[n] != '>')) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)a[i];
        if (ch <= 0x20 || ch == 0x7f || ch == '<') {
            return 0;
        }
        at += ch == '@';
    }
    for (const char *p = s; *p; p++) {
        if ((unsigned char)*p < 0x20) {
            return 0;
        }
    }
    return at == 1;
}

char *
pc_read_secret_file(const char *conf_file, const char *p)
{
    char *path = pc_relative_path(conf_file, p);
    FILE *f = path != NULL ? fopen(path, "r") : NULL;
    char line[512];
    char *out = NULL;

    if (f != NULL && fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        out = ph_strdup(line);
        memset(line, 0, sizeof(line));
    }
    if (f != NULL) {
        fclose(f);
    }
    ph_free(path);
    return out;
}

static void
decode_notify(const struct conf_node *root, const char *file,
              struct pharos_conf *cf, struct conf_errs *errs)
{
    static const struct conf_node empty = {CONF_MAP, 1, 1, NULL, 0, 0,
                                           NULL, NULL, NULL};
    const struct conf_node *n = pc_find_key(root, "notify");
    const struct conf_node *sm;
    struct conf_notify *nf = &cf->notify;

    conf_decode(notify_opts, n ? n : &empty, nf, file, errs);
    if (nf->public_url != NULL &&
        strncmp(nf->public_url, "http://", 7) != 0 &&
        strncmp(nf->public_url, "https://", 8) != 0) {
        conf_err(errs, file, n->line, n->col,
                 "public_url must start with http:// or https://");
    }
    sm = n != NULL ? pc_find_key(n, "smtp") : NULL;
    if (sm == NULL) {
        return;
    }
    if (sm->type != CONF_MAP) {
        conf_err(errs, file, sm->line, sm->col, "'smtp' must be a mapping");
        return;
    }
    if (conf_decode(smtp_opts, sm, nf, file, errs) != 0) {
        /* Email stays off. */
        conf_free_fields(smtp_opts, nf);
        return;
    }
    if (strncmp(nf->smtp_url, "smtp://", 7) != 0 &&
        strncmp(nf->smtp_url, "smtps://", 8) != 0) {
        conf_err(errs, file, sm->line, sm->col,
                 "smtp url must be smtp://host[:port] or "
                 "smtps://host[:port]");
    }
    if (!plausible_from(nf->smtp_from)) {
        conf_err(errs, file, sm->line, sm->col,
                 "from must be an address, e.g. \"Status "
                 "<status@example.org>\"");
    }
    if (nf->smtp_password_env != NULL && nf->smtp_password_file != NULL) {
        conf_err(errs, file, sm->line, sm->col,
                 "use one of password_env and password_file");
    } else if (nf->smtp_password_env != NULL) {
        const char *v = getenv(nf->smtp_password_env);
        if (v == NULL || v[0] == '\0') {
            conf_err(errs, file, sm->line, sm->col,
                     "environment variable %s is not set",
                     nf->smtp_password_env);
        } else {
            nf->smtp_password = ph_strdup(v);
        }
    } else if (nf->smtp_password_file != NULL) {
        nf->smtp_password = pc_read_secret_file(file, nf->smtp_password_file);
        if (nf->smtp_password == NULL) {
            conf_err(errs, file, sm->line, sm->col,
                     "cannot read password_file %s",
                     nf->smtp_password_file);
        }
    }
    if (nf->smtp_password != NULL && nf->smtp_username == NULL) {
        conf_err(errs, file, sm->line, sm->col,
                 "a password needs a username");
    }
    make_relative(&nf->smtp_ca_file, file);
    /* Only the password itself is kept, and never printed. */
    ph_free(nf->smtp_password_env);
    ph_free(nf->smtp_password_file);
    nf->smtp_password_env = NULL;
    nf->smtp_password_file = NULL;
}

static void
decode_regions_agents(const struct conf_node *root, const char *file,
                      struct pharos_conf *cf, struct conf_errs *errs)
{
    const struct conf_node *seq;
    size_t n;

    seq = pc_seq_of(root, "regions", 1, MAX_ITEMS, file, errs, &n);
    if (seq != NULL && n == 0) {
        conf_err(errs, file, seq->line, seq->col,
                 "at least one region is required");
    }
    if (seq != NULL && n > 0) {
        cf->regions = ph_calloc(n, sizeof(*cf->regions));
        for (const struct conf_node *i = seq->child; i && cf->regions;
             i = i->next) {
            struct conf_region *r = &cf->regions[cf->nregions];
            if (conf_decode(region_opts, i, r, file, errs) != 0) {
                conf_free_strings(region_opts, r);
                continue;
            }
            if (!pc_valid_id(r->id, 0)) {
                conf_err(errs, file, i->line, i->col,
                         "region id '%s' must be 1-63 of [a-z0-9_-]", r->id);
            } else if (pharos_conf_region_index(cf, r->id) >= 0) {
                conf_err(errs, file, i->line, i->col,
                         "duplicate region '%s'", r->id);
            }
            cf->nregions++;
        }
    }

    seq = pc_seq_of(root, "agents", 0, MAX_ITEMS, file, errs, &n);
    if (seq != NULL && n > 0) {
        cf->agents = ph_calloc(n, sizeof(*cf->agents));
        for (const struct conf_node *i = seq->child; i && cf->agents;
             i = i->next) {
            struct conf_agent *ca = &cf->agents[cf->nagents];

            if (conf_decode(agent_opts, i, ca, file, errs) != 0) {
                conf_free_fields(agent_opts, ca);
                memset(ca, 0, sizeof(*ca));
                continue;
            }
            if (pharos_conf_region_index(cf, ca->region) < 0) {
                conf_err(errs, file, i->line, i->col,
                         "agent '%s': unknown region '%s'", ca->id,
                         ca->region);
            }
            for (size_t k = 0; k < cf->nagents; k++) {
                if (strcmp(cf->agents[k].id, ca->id) == 0) {
                    conf_err(errs, file, i->line, i->col,
                             "duplicate agent '%s'", ca->id);
                }
            }
            pc_resolve_token(ca->token_sha256, &ca->token_file,
                             &ca->token_env, i, file, errs);
            cf->nagents++;
        }
    }

    seq = pc_seq_of(root, "api_keys", 0, MAX_ITEMS, file, errs, &n);
    if (seq != NULL && n > 0) {
        cf->api_keys = ph_calloc(n, sizeof(*cf->api_keys));
        for (const struct conf_node *i = seq->child; i && cf->api_keys;
             i = i->next) {
            struct conf_api_key *ck = &cf->api_keys[cf->napi_keys];

            if (conf_decode(api_key_opts, i, ck, file, errs) != 0) {
                conf_free_fields(api_key_opts, ck);
                memset(ck, 0, sizeof(*ck));
                continue;
            }
            if (strcmp(ck->scope, "read") != 0 &&
                strcmp(ck->scope, "write") != 0 &&
                strcmp(ck->scope, "admin") != 0) {
                conf_err(errs, file, i->line, i->col,
                         "api key '%s': scope must be read, write or admin",
                         ck->name);
            }
            pc_resolve_token(ck->token_sha256, &ck->token_file,
                             &ck->token_env, i, file, errs);
            cf->napi_keys++;
        }
    }
}

struct dup_ent {
    const char *id;
    size_t pos;
};

static int
dup_cmp(const void *a, const void *b)
{
    const struct dup_ent *x = a, *y = b;
    int r = strcmp(x->id, y->id);

    return r != 0 ? r : (x->pos > y->pos) - (x->pos < y->pos);
}

/* Duplicate check ids, each reported at its second (third, ...) place,
 * in file order: sorted by id, so 100,000 checks take milliseconds, not
 * the minutes of comparing every pair. nodes NULL (out of memory): no
 * report, and the failed allocation stops the load elsewhere. */
static void
duplicate_checks(struct pharos_conf *cf, const struct conf_node **nodes,
                 const char *file, struct conf_errs *errs)
{
    struct dup_ent *v;
    unsigned char *dup;

    if (nodes == NULL || cf->nchecks < 2) {
        return;
    }
    v = ph_calloc(cf->nchecks, sizeof(*v));
    dup = ph_calloc(cf->nchecks, 1);
    if (v == NULL || dup == NULL) {
        conf_err(errs, file, 1, 1, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < cf->nchecks; i++) {
        v[i].id = cf->checks[i].id;
        v[i].pos = i;
    }
    qsort(v, cf->nchecks, sizeof(*v), dup_cmp);
    for (size_t i = 1; i < cf->nchecks; i++) {
        if (strcmp(v[i].id, v[i - 1].id) == 0) {
            dup[v[i].pos] = 1;
        }
    }
    for (size_t i = 0; i < cf->nchecks; i++) {
        if (dup[i]) {
            conf_err(errs, file, nodes[i]->line, nodes[i]->col,
                     "duplicate check id '%s'", cf->checks[i].id);
        }
    }
out:
    ph_free(v);
    ph_free(dup);
}

static void
decode_components(const struct conf_node *root, const char *file,
                  struct pharos_conf *cf, struct conf_errs *errs)
{
    const struct conf_node *seq;
    const struct conf_node **nodes = NULL;
    struct check d;
    size_t ncomp, ntotal = 0;

    pc_decode_defaults(pc_find_key(root, "defaults"), file, &d, errs);

    seq = pc_seq_of(root, "groups", 0, MAX_ITEMS, file, errs, &ncomp);
    if (seq != NULL && ncomp > 0) {
        cf->groups = ph_calloc(ncomp, sizeof(*cf->groups));
        for (const struct conf_node *i = seq->child; i && cf->groups;
             i = i->next) {
            struct conf_group *g = &cf->groups[cf->ngroups];
            if (conf_decode(group_opts, i, g, file, errs) != 0) {
                conf_free_strings(group_opts, g);
                continue;
            }
            if (!pc_valid_id(g->id, 0)) {
                conf_err(errs, file, i->line, i->col,
                         "group id '%s' must be 1-63 of [a-z0-9_-]", g->id);
            }
            g->position = (int)cf->ngroups + 1;
            cf->ngroups++;
        }
    }

    seq = pc_seq_of(root, "components", 1, CONF_COMPONENTS_MAX, file, errs,
                    &ncomp);
    if (seq == NULL || ncomp == 0) {
        check_free(&d);
        return;
    }
    for (const struct conf_node *i = seq->child; i; i = i->next) {
        const struct conf_node *checks = pc_find_key(i, "checks");
        if (checks != NULL && checks->type == CONF_SEQ) {
            for (const struct conf_node *k = checks->child; k; k = k->next) {
                ntotal++;
            }
        }
    }
    if (ntotal > MAX_CHECKS) {
        conf_err(errs, file, seq->line, seq->col, "more than %d checks",
                 MAX_CHECKS);
        check_free(&d);
        return;
    }
    nodes = ph_calloc(ntotal + 1, sizeof(*nodes));
    cf->components = ph_calloc(ncomp, sizeof(*cf->components));
    cf->checks = ph_calloc(ntotal + 1, sizeof(*cf->checks));
    if (cf->components == NULL || cf->checks == NULL) {
        check_free(&d);
        ph_free(nodes);
        return;
    }
    for (const struct conf_node *i = seq->child; i; i = i->next) {
        struct conf_component *c = &cf->components[cf->ncomponents];
        const struct conf_node *checks;

        if (conf_decode(component_opts, i, c, file, errs) != 0) {
            /* The slot is reused by the next item: drop what the rows
             * allocated (depends_on may be decoded already). */
            conf_free_strings(component_opts, c);
            pc_depends_custom.release(NULL, c);
            continue;
        }
        if (!pc_valid_id(c->id, 0)) {
            conf_err(errs, file, i->line, i->col,
                     "component id '%s' must be 1-63 of [a-z0-9_-]", c->id);
        } else if (pharos_conf_component_index(cf, c->id) >= 0) {
            conf_err(errs, file, i->line, i->col,
                     "duplicate component '%s'", c->id);
        }
        if (c->group != NULL) {
            size_t g;
            for (g = 0; g < cf->ngroups; g++) {
                if (strcmp(cf->groups[g].id, c->group) == 0) {
                    break;
                }
            }
            if (g == cf->ngroups) {
                conf_err(errs, file, i->line, i->col,
                         "component '%s': unknown group '%s'", c->id,
                         c->group);
            }
        }
        if (c->start_date != NULL) {
            int y, m, dd;
            char tail;
            if (sscanf(c->start_date, "%4d-%2d-%2d%c", &y, &m, &dd, &tail) !=
                    3 ||
                m < 1 || m > 12 || dd < 1 || dd > 31) {
                conf_err(errs, file, i->line, i->col,
                         "component '%s': start_date must be YYYY-MM-DD",
                         c->id);
            }
        }
        c->position = (int)cf->ncomponents + 1;
        cf->ncomponents++;
        checks = pc_find_key(i, "checks");
        if (checks == NULL) {
            continue;
        }
        if (checks->type != CONF_SEQ) {
            conf_err(errs, file, checks->line, checks->col,
                     "'checks' must be a list");
            continue;
        }
        c->checks = &cf->checks[cf->nchecks];
        for (const struct conf_node *k = checks->child; k; k = k->next) {
            struct check *ck = &cf->checks[cf->nchecks];
            if (pc_decode_check(k, &d, c->id, cf, file, ck, errs) != 0) {
                continue;
            }
            if (nodes != NULL) {
                nodes[cf->nchecks] = k;
            }
            cf->nchecks++;
            c->nchecks++;
        }
    }
    check_free(&d);
    duplicate_checks(cf, nodes, file, errs);
    ph_free(nodes);
}

static int
decode_root(const struct conf_node *root, const char *file,
            struct pharos_conf *cf, struct conf_errs *errs,
            struct conf_errs *warns)
{
    size_t nerr = errs->n + errs->dropped;

    cf->path = ph_strdup(file);
    if (root->type != CONF_MAP) {
        conf_err(errs, file, root->line, root->col,
                 "expected a mapping at the top level");
        return PH_ECONF;
    }
    for (const struct conf_node *n = root->child; n; n = n->next) {
        const struct conf_opt *o = pc_root_opts;

        while (o->key != NULL && strcmp(o->key, n->key) != 0) {
            o++;
        }
        if (o->key == NULL && !pc_is_store_key(n->key)) {
            conf_err_unknown(errs, file, n->key_line, n->key_col,
                             "section", n->key,
                             conf_suggest_opt(pc_root_opts, n->key)
                                 ? conf_suggest_opt(pc_root_opts, n->key)
                                 : conf_suggest_opt(pc_store_opts, n->key));
        }
    }
    decode_simple_sections(root, file, cf, errs, warns);
    pc_decode_store(root, file, cf, errs);
    decode_notify(root, file, cf, errs);
    pc_decode_ha(root, file, cf, errs);
    decode_regions_agents(root, file, cf, errs);
    decode_components(root, file, cf, errs);
    pc_validate_depends(root, file, cf, errs);
    pc_decode_alerts(root, file, cf, errs);
    pc_decode_templates(root, file, cf, errs);
    pc_decode_staff(root, file, cf, errs);
    pc_decode_integrations(root, file, cf, errs);
    pc_decode_mass_failure(root, file, cf, errs);
    return errs->n + errs->dropped > nerr ? PH_ECONF : 0;
}

void
pharos_conf_free(struct pharos_conf *c)
{
    ph_free(c->path);
    conf_free_fields(pc_root_opts, c);
    conf_free_fields(pc_store_opts, c);
    if (c->store_password != NULL) {
        memset(c->store_password, 0, strlen(c->store_password));
        ph_free(c->store_password);
        c->store_password = NULL;
    }
    if (c->notify.smtp_password != NULL) {
        memset(c->notify.smtp_password, 0, strlen(c->notify.smtp_password));
        ph_free(c->notify.smtp_password);
    }
    for (size_t i = 0; i < c->nchecks; i++) {
        check_free(&c->checks[i]);
    }
    ph_free(c->checks);
    memset(c, 0, sizeof(*c));
}

const struct conf_agent *
pharos_conf_agent_by_hash(const struct pharos_conf *c,
                          const char *token_sha256)
{
    const struct conf_agent *found = NULL;

    /* Compare against every agent in constant time per entry. */
    for (size_t i = 0; i < c->nagents; i++) {
        if (token_hash_equal(c->agents[i].token_sha256, token_sha256)) {
            found = &c->agents[i];
        }
    }
    return found;
}

int
pharos_conf_component_index(const struct pharos_conf *c, const char *id)
{
    for (size_t i = 0; i < c->ncomponents; i++) {
        if (c->components[i].id != NULL &&
            strcmp(c->components[i].id, id) == 0) {
            return (int)i;
        }
    }
    return -1;
}

const struct conf_template *
pharos_conf_template(const struct pharos_conf *c, const char *name)
{
    for (size_t i = 0; i < c->ntemplates; i++) {
        if (c->templates[i].name != NULL &&
            strcmp(c->templates[i].name, name) == 0) {
            return &c->templates[i];
        }
    }
    return NULL;
}

int
pharos_conf_region_index(const struct pharos_conf *c, const char *id)
{
    for (size_t i = 0; i < c->nregions; i++) {
        if (c->regions[i].id != NULL && strcmp(c->regions[i].id, id) == 0) {
            return (int)i;
        }
    }
    return -1;
}
