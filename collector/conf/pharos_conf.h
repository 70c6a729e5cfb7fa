/*
 * pharos_conf.h - the collector's YAML configuration (pharos.yml).
 *
 * Parsed in common/ because both the collector and `pharos-agent once`
 * read the component and check definitions from the same file.
 * Unknown keys and wrong types are errors reported as file:line:col.
 *
 * Ownership: pharos_conf_load() fills a caller-owned struct; free its
 * contents with pharos_conf_free().
 */
#ifndef PH_PHAROS_CONF_H
#define PH_PHAROS_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "conf.h"
#include "netaddr.h"

enum auto_incidents {
    AUTO_INCIDENTS_DRAFT = 0,
    AUTO_INCIDENTS_PUBLISH = 1,
    AUTO_INCIDENTS_OFF = 2,
};

enum smtp_tls_mode {
    SMTP_TLS_REQUIRED = 0,   /* STARTTLS (or smtps://) or fail */
    SMTP_TLS_OPTIONAL = 1,   /* STARTTLS when offered */
    SMTP_TLS_OFF = 2,        /* cleartext (loopback relays, tests) */
};

/* ha: several collectors, one leader by a lease in PostgreSQL
 * (collector/ha/lease.c). Without the section (enabled 0) the collector
 * is its own leader. */
struct conf_ha {
    int enabled;                 /* the section is present */
    char *database;              /* libpq conninfo or postgresql:// URI */
    uint32_t lease_ms;
    char *node_id;               /* default: the host name */
    char *advertise_url;         /* how the other collectors reach this
                                    one (writes go to the leader); default
                                    http://<listen>, a wildcard address
                                    replaced by node_id */
};

/* notify: subscriptions and delivery (collector/notify*.c). */
struct conf_notify {
    char *public_url;            /* base of links in messages; default
                                    page.url, else http://<listen> */
    int allow_private_targets;   /* webhook/Slack to private addresses */
    uint32_t coalesce_ms;        /* burst window per incident */
    uint32_t retry_base_ms;      /* first retry delay, doubled each time */
    uint32_t retry_max_ms;       /* longest delay between two tries */
    uint32_t retry_for_ms;       /* give a message up after this */
    uint32_t quarantine_after;   /* consecutive failures */
    uint32_t timeout_ms;         /* per delivery attempt */
    uint32_t max_in_flight;      /* concurrent deliveries */
    uint32_t subscribe_burst;    /* public sign-ups per client address.. */
    uint32_t subscribe_every_ms; /* ..refilled one per this interval */
    uint32_t max_subscribers;    /* cap on stored (not unsubscribed) rows */
    uint32_t confirm_every_ms;   /* one confirmation email per address.. */
    uint32_t confirm_daily_max;  /* ..and at most this many a day */
    /* smtp: (email is off when url is NULL) */
    char *smtp_url;              /* smtp://host:587 or smtps://host:465 */
    enum smtp_tls_mode smtp_tls;
    char *smtp_username;
    char *smtp_password;         /* read from password_env/password_file */
    char *smtp_password_env;     /* as written; NULL once loaded */
    char *smtp_password_file;    /* as written; NULL once loaded */
    char *smtp_from;             /* "Status <status@example.org>" */
    char *smtp_ca_file;
    int smtp_insecure;
};

/* A header or footer link of the page (pharos_conf_brand.c). */
struct conf_link {
    char *label;
    char *url;           /* http(s), mailto or a path on the page's host */
};

/* page.access: who may read the page and its documents (access.c). */
enum page_access {
    PAGE_ACCESS_PUBLIC = 0,   /* anyone (today's behaviour) */
    PAGE_ACCESS_PASSWORD = 1, /* one shared password, a login form */
    PAGE_ACCESS_TOKEN = 2,    /* per-viewer links (pharosctl viewer add) */
};

struct conf_page {
    char *id;            /* page_id used in /v1/pages/<id>/ and feed */
    char *name;
    char *url;           /* public URL of the page */
    char *time_zone;     /* IANA name, default "Etc/UTC" */
    char *logo_url;      /* optional */
    char *brand_color;   /* optional "#rrggbb" */
    /* languages and branding (pharos_conf_brand.c) */
    char *language;      /* shipped code (lib/lang.h), default "en" */
    int reader_language; /* follow the reader's Accept-Language */
    char *brand_color_dark; /* optional "#rrggbb" for the dark scheme */
    char *logo;          /* files, absolute once loaded, published */
    char *favicon;       /*   under brand/ by the collector */
    char *css;
    struct conf_link *header_links;
    size_t nheader_links;
    struct conf_link *footer_links;
    size_t nfooter_links;
    int lang;            /* PH_LANG_* of language (set when loaded) */
    /* access (pharos_conf_access.c) */
    enum page_access access;
    char password_sha256[65]; /* password mode: SHA-256 of the password */
    char *password_file;     /* as written; NULL once loaded */
    char *password_env;      /* as written; NULL once loaded */
    uint32_t session_ttl_ms; /* life of a viewer's session cookie */
    struct netaddr_cidr *allow_ips; /* readers allowed from; none = all */
    size_t nallow_ips;
};

struct conf_region {
    char *id;
    char *name;          /* display name, default = id */
};

/* token_file and token_env are where the token was read from, as
 * written; a loaded configuration has only token_sha256 (they are NULL). */
struct conf_agent {
    char *id;
    char *region;        /* must name a region */
    char token_sha256[65]; /* lowercase hex SHA-256 of the token */
    char *token_file;
    char *token_env;
};

struct conf_api_key {
    char *name;
    char *scope;         /* "read", "write" or "admin" */
    char token_sha256[65];
    char *token_file;
    char *token_env;
};

struct conf_group {
    char *id;
    char *name;
    char *description;
    int position;
    int api_owned;       /* created through the v1 API, not the file */
};

struct conf_component {
    char *id;
    char *name;
    char *description;
    char *group;         /* group id or NULL */
    int showcase;        /* default 1 */
    int only_show_if_degraded;
    char *start_date;    /* "YYYY-MM-DD" or NULL */
    int internal;        /* shown only to signed-in viewers */
    int api_owned;       /* created through the v1 API, not the file */
    int position;        /* order of appearance, 1-based */
    const struct check *checks; /* its checks: a run of pharos_conf.checks */
    size_t nchecks;
    char **depends_on;   /* ids of the components it needs (depends_on) */
    size_t ndepends_on;
};

/* mass_failure: more than share of one region's checks failing at once
 * (and at least min_checks) is that region's problem. share 0 = off. */
struct conf_mass_failure {
    double share;
    uint32_t min_checks;
};

/* alerts: the intake of Alertmanager and generic webhooks. */
#define CONF_ALERT_RULES_MAX 1000
#define CONF_ALERT_MATCH_MAX 32        /* matchers per rule */
#define CONF_ALERT_VALUES_MAX 32       /* firing_values / resolved_values */
#define CONF_ALERT_NAME_MAX 128        /* label name length */
#define CONF_ALERT_VALUE_MAX 1024      /* label value length */

struct conf_alert_label {
    char *name;
    char *value;
};

struct conf_alert_rule {
    struct conf_alert_label *match; /* all must equal the alert's labels */
    size_t nmatch;
    char *component;     /* must name a component */
    char *status;        /* degraded_performance, partial_outage or
                            major_outage */
};

struct conf_alert_token {
    char *name;
    char token_sha256[65];
    char *token_file;    /* as written; NULL once loaded */
    char *token_env;
};

/* The generic webhook's mapping of a JSON body to one alert. Field paths
 * are "$.a.b" (or "a.b"): object keys from the root. */
struct conf_alert_webhook {
    int enabled;         /* 1 when alerts.webhook is configured */
    char *key_field;     /* identifies the alert (its group) */
    char *status_field;  /* its value decides firing or resolved */
    char *labels_field;  /* object, "k:v, k2:v2" string or ["k:v"] */
    char *firing_values[CONF_ALERT_VALUES_MAX];
    size_t nfiring_values;
    char *resolved_values[CONF_ALERT_VALUES_MAX];
    size_t nresolved_values;
};

struct conf_alerts {
    struct conf_alert_token *tokens;
    size_t ntokens;
    struct conf_alert_rule *rules;
    size_t nrules;
    uint32_t max_alerts;       /* alerts per payload */
    uint32_t max_groups;       /* groups with firing alerts held */
    uint32_t expire_after_ms;  /* 0 = a group stays until resolved */
    struct conf_alert_webhook webhook;
};

/* incidents.templates: named incident templates. title and body may hold
 * {{component}}, {{components}}, {{title}} and {{page}} (template.h). */
/* Components on a page: the file's and those made through the API
 * together (components.h leaves out API ones past it). Every one has a
 * badge, and 90 days in uptime.json (PUBLISH_MAX_DOC_BYTES). */
#define CONF_COMPONENTS_MAX 2000

#define CONF_TEMPLATES_MAX 200
#define CONF_TEMPLATE_COMPONENTS_MAX 16
struct conf_template {
    char *name;
    char *title;         /* the incident's name */
    char *body;          /* the first update's text */
    int status;          /* 0 investigating, 1 identified, 2 monitoring */
    char *comp_ids[CONF_TEMPLATE_COMPONENTS_MAX];
    char *comp_statuses[CONF_TEMPLATE_COMPONENTS_MAX];
    size_t ncomponents;
};

/* incidents.staff: where update reminders go (never the subscribers). */
#define CONF_STAFF_MAX 8
struct conf_staff {
    int kind;            /* enum notify_kind order: 0 email, 1 webhook,
                            2 slack */
    char *address;       /* email address or URL */
    char *secret_file;   /* webhook: "whsec_..." signing secret */
    char *secret;        /* resolved; never printed */
};

/* integrations: incident-management tools (PagerDuty V3 webhooks,
 * Opsgenie outgoing webhooks) that open, update and resolve incidents. */
#define CONF_HOOK_RULES_MAX 1000
#define CONF_HOOK_SECRETS_MAX 8      /* PagerDuty secrets (rotation) */
#define CONF_HOOK_COMPONENTS_MAX 16  /* components one rule names */
#define CONF_HOOK_FIELD_MAX 255      /* bytes of a matched value */

/* One mapping rule; every match field that is set must equal the
 * event's (tag and team: be among its tags and teams). */
struct conf_hook_rule {
    char *service_id;    /* PagerDuty service id, e.g. PF9KMXH */
    char *service;       /* PagerDuty service name (summary) */
    char *priority;      /* "P1" .. (both tools) */
    char *urgency;       /* PagerDuty: high or low */
    char *tag;           /* Opsgenie: one of the alert's tags */
    char *team;          /* Opsgenie: one of the alert's teams */
    char *entity;        /* Opsgenie: the alert's entity */
    char *components[CONF_HOOK_COMPONENTS_MAX];
    size_t ncomponents;
    char *status;        /* component status while open, or NULL */
    int publish;         /* 0: the incident opens as a draft */
    int on_acknowledge;  /* 0 none, 1 identified */
    int notes;           /* 0 internal, 1 public */
    char *name;          /* incident name; NULL: the tool's title */
    char *body;          /* first update's text; NULL: a standard one */
    char *template;      /* incidents.templates name, or NULL */
};

struct conf_hook_secret {
    char *name;
    char *secret;        /* resolved from secret_file or secret_env */
    char *secret_file;   /* as written */
    char *secret_env;
};

struct conf_pagerduty {
    int enabled;         /* 1 when integrations.pagerduty is configured */
    struct conf_hook_secret *secrets;
    size_t nsecrets;
    uint32_t max_age_ms; /* events that occurred longer ago: refused */
    struct conf_hook_rule *rules;
    size_t nrules;
};

struct conf_opsgenie {
    int enabled;
    struct conf_alert_token *tokens;
    size_t ntokens;
    struct conf_hook_rule *rules;
    size_t nrules;
};

struct conf_integrations {
    struct conf_pagerduty pagerduty;
    struct conf_opsgenie opsgenie;
};

struct pharos_conf {
    char *path;              /* file it was loaded from */

    /* server */
    char *listen;            /* "127.0.0.1:8080" */
    char *state_dir;         /* sqlite database lives here */
    char *store;             /* postgresql:// URI, or NULL for sqlite */
    char *store_password_file;
    char *store_password;    /* read from store_password_file; never printed */
    char *publish_dir;       /* public documents are written here */
    char *web_dir;           /* static page assets */
    uint32_t max_body_bytes; /* request body cap */
    uint32_t max_results_per_batch;
    uint32_t api_rate_limit; /* management requests per minute per key */
    uint32_t max_result_age_ms;   /* results older than now - this: 400 */
    uint32_t max_result_ahead_ms; /* results newer than now + this: 400 */
    char *agent_listen;      /* second listener for /v1/, or NULL */
    uint32_t max_connections;        /* public listener's budget */
    uint32_t agent_max_connections;  /* agent listener's budget */
    uint32_t max_connections_per_client; /* per IPv4 address or IPv6 /64 */
    uint32_t request_timeout_ms;     /* whole request: headers and body */
    uint32_t idle_timeout_ms;        /* no traffic at all */
    struct netaddr_cidr *trusted_proxies; /* X-Forwarded-For honoured from */
    size_t ntrusted_proxies;
    uint32_t retention_raw_days;
    uint32_t retention_latency_5m_days;  /* response-time rollups */
    uint32_t retention_latency_1h_days;
    enum auto_incidents auto_incidents;
    uint32_t resolve_after_ms;
    uint32_t update_every_ms;  /* incidents.update_every; 0 = no cadence */
    struct conf_template *templates;
    size_t ntemplates;
    struct conf_staff *staff;
    size_t nstaff;

    struct conf_page page;
    struct conf_notify notify;
    struct conf_ha ha;

    struct conf_region *regions;
    size_t nregions;
    struct conf_agent *agents;
    size_t nagents;
    struct conf_api_key *api_keys;
    size_t napi_keys;
    struct conf_group *groups;
    size_t ngroups;
    struct conf_component *components;
    size_t ncomponents;
    struct check *checks;    /* every check of every component */
    size_t nchecks;
    struct conf_alerts alerts;
    struct conf_integrations integrations;
    struct conf_mass_failure mass_failure;
};

/*
 * Loads and validates path into *ret (zeroed first). Every error found is
 * added to errs (file:line:col: message); returns 0, or PH_ECONF when any
 * error was found (then *ret is freed and zeroed), or PH_EIO/PH_ENOMEM.
 */
int pharos_conf_load(const char *path, struct pharos_conf *ret,
                     struct conf_errs *errs);
/* Same as pharos_conf_load, with warnings (the configuration is still
 * valid: contrast below WCAG AA, ...) appended to warns as
 * "file:line:col: warning: msg". warns may be NULL. */
int pharos_conf_load_warn(const char *path, struct pharos_conf *ret,
                          struct conf_errs *errs, struct conf_errs *warns);
/* Same, from memory; name is used in messages (and for relative paths). */
int pharos_conf_parse(const char *name, const char *text, size_t len,
                      struct pharos_conf *ret, struct conf_errs *errs);
void pharos_conf_free(struct pharos_conf *c);

/* The page's brand files (pharos_conf_brand.c). */
enum conf_brand_file {
    CONF_BRAND_LOGO,
    CONF_BRAND_FAVICON,
    CONF_BRAND_CSS,
    CONF_BRAND_COUNT
};
/* The file of which (absolute once loaded), or NULL when not set; the
 * path it is published at ("brand/logo.png", "brand/custom.css") into
 * url[0..len), "" when not set. Borrows pg. */
const char *pharos_conf_brand_file(const struct conf_page *pg,
                                   enum conf_brand_file which, char *url,
                                   size_t len);

/* Writes the normalised configuration as YAML (for -nv and golden tests):
 * the rows of the same tables that decode it, in their order. */
int pharos_conf_print(const struct pharos_conf *c, struct buf *out);
/* Writes one line per key of every section, from the same tables (for
 * --help-config): "section.key (type, default X): doc". */
void pharos_conf_help(struct buf *out);

/* Lookups; return NULL or -1 when absent. */
const struct conf_agent *pharos_conf_agent_by_hash(
    const struct pharos_conf *c, const char *token_sha256);
int pharos_conf_component_index(const struct pharos_conf *c, const char *id);
const struct conf_template *pharos_conf_template(const struct pharos_conf *c,
                                                 const char *name);
int pharos_conf_region_index(const struct pharos_conf *c, const char *id);

#endif
