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

#include "mem.h"
#include "ph_err.h"
#include "token.h"
#include "pharos_conf_int.h"

#define MAX_ITEMS 10000        /* regions, agents, components, checks */

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

/* Resolves p relative to the directory of the config file. */
static char *
relative_path(const char *conf_path, const char *p)
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
    full = relative_path(conf_path, *field);
    if (full != NULL) {
        ph_free(*field);
        *field = full;
    }
}

/* Reads a token from token_sha256 / token_file / token_env into out. */
void
pc_resolve_token(const struct token_src *t, const struct conf_node *node,
                 const char *file, char out[65], struct conf_errs *errs)
{
    int n = (t->sha256 != NULL) + (t->file != NULL) + (t->env != NULL);
    char tok[TOKEN_MAX + 2];

    out[0] = '\0';
    if (n != 1) {
        conf_err(errs, file, node->line, node->col,
                 "exactly one of token_sha256, token_file or token_env is "
                 "required");
        return;
    }
    if (t->sha256 != NULL) {
        if (!token_hash_valid(t->sha256)) {
            conf_err(errs, file, node->line, node->col,
                     "token_sha256 must be 64 lowercase hex digits");
            return;
        }
        memcpy(out, t->sha256, 65);
        return;
    }
    if (t->file != NULL) {
        char *path = relative_path(file, t->file);
        FILE *f = path ? fopen(path, "r") : NULL;
        size_t len;

        if (f == NULL || fgets(tok, sizeof(tok), f) == NULL) {
            conf_err(errs, file, node->line, node->col,
                     "cannot read token_file %s", path ? path : t->file);
            if (f != NULL) {
                fclose(f);
            }
            ph_free(path);
            return;
        }
        fclose(f);
        ph_free(path);
        len = strcspn(tok, "\r\n");
        tok[len] = '\0';
    } else {
        const char *v = getenv(t->env);
        if (v == NULL || v[0] == '\0' || strlen(v) > TOKEN_MAX) {
            conf_err(errs, file, node->line, node->col,
                     "environment variable %s is not set", t->env);
            return;
        }
        snprintf(tok, sizeof(tok), "%s", v);
    }
    if (strlen(tok) < 16 || strlen(tok) > TOKEN_MAX) {
        conf_err(errs, file, node->line, node->col,
                 "token must be 16 to %d characters", TOKEN_MAX);
        return;
    }
    token_hash(tok, strlen(tok), out);
    memset(tok, 0, sizeof(tok));
}

/* ---- server, retention, incidents, page ---- */

struct server_stage {
    char *listen;
    char *state_dir;
    char *publish_dir;
    char *web_dir;
    uint32_t max_body_bytes;
    uint32_t max_results_per_batch;
    uint32_t api_rate_limit;
    uint32_t max_result_age_ms;
    uint32_t max_result_ahead_ms;
};

static const struct conf_opt server_opts[] = {
    {"listen", CONF_T_STR, offsetof(struct server_stage, listen),
     "127.0.0.1:8080", 0, 0, 0, NULL, "address:port of the HTTP server"},
    {"state_dir", CONF_T_STR, offsetof(struct server_stage, state_dir),
     "/var/lib/pharos", 0, 0, 0, NULL, "directory of the sqlite database"},
    {"publish_dir", CONF_T_STR, offsetof(struct server_stage, publish_dir),
     NULL, 0, 0, 0, NULL, "public documents (default <state_dir>/public)"},
    {"web_dir", CONF_T_STR, offsetof(struct server_stage, web_dir), NULL, 0,
     0, 0, NULL, "the page's static assets (default " PH_WEB_DIR ")"},
    {"max_body_bytes", CONF_T_UINT32,
     offsetof(struct server_stage, max_body_bytes), "1048576", 1024,
     67108864, 0, NULL, "largest request body accepted"},
    {"max_results_per_batch", CONF_T_UINT32,
     offsetof(struct server_stage, max_results_per_batch), "5000", 1, 20000,
     0, NULL, "largest result batch accepted from an agent"},
    {"api_rate_limit", CONF_T_UINT32,
     offsetof(struct server_stage, api_rate_limit), "120", 0, 1000000, 0,
     NULL, "management API requests per minute per key (0 = no limit)"},
    {"max_result_age", CONF_T_DURATION,
     offsetof(struct server_stage, max_result_age_ms), "7d", 60000,
     30LL * 86400000, 0, NULL,
     "agent results started longer ago than this are refused (400)"},
    {"max_result_ahead", CONF_T_DURATION,
     offsetof(struct server_stage, max_result_ahead_ms), "5m", 1000,
     86400000, 0, NULL,
     "agent results dated further ahead of our clock are refused (400)"},
    {NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL},
};

struct misc_stage {
    uint32_t raw_ms;
    char *auto_mode;
    uint32_t resolve_after_ms;
};

static const struct conf_opt retention_opts[] = {
    {"raw", CONF_T_DURATION, offsetof(struct misc_stage, raw_ms), "7d",
     86400000, 400LL * 86400000, 0, NULL, "how long raw results are kept"},
    {NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL},
};

static const struct conf_opt incidents_opts[] = {
    {"auto", CONF_T_STR, offsetof(struct misc_stage, auto_mode), "draft", 0,
     0, 0, NULL, "draft, publish or off: incidents opened by probes"},
    {"resolve_after", CONF_T_DURATION,
     offsetof(struct misc_stage, resolve_after_ms), "5m", 0, 86400000, 0,
     NULL, "stable time before an automatic incident resolves"},
    {NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL},
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
    {"smtp", CONF_T_CUSTOM, 0, NULL, 0, 0, 0, NULL,
     "the mail relay of email notifications"},
    {NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL},
};

struct smtp_stage {
    char *url;
    char *starttls;
    char *username;
    char *password_env;
    char *password_file;
    char *from;
    char *ca_file;
    int insecure;
};

static const struct conf_opt smtp_opts[] = {
    {"url", CONF_T_STR, offsetof(struct smtp_stage, url), NULL, 0, 0, 1, NULL,
     "smtp://host:587 (STARTTLS) or smtps://host:465 (implicit TLS)"},
    {"starttls", CONF_T_STR, offsetof(struct smtp_stage, starttls),
     "required", 0, 0, 0, NULL, "required, optional or off"},
    {"username", CONF_T_STR, offsetof(struct smtp_stage, username), NULL, 0,
     0, 0, NULL, "SMTP AUTH user"},
    {"password_env", CONF_T_STR, offsetof(struct smtp_stage, password_env),
     NULL, 0, 0, 0, NULL, "environment variable holding the password"},
    {"password_file", CONF_T_STR,
     offsetof(struct smtp_stage, password_file), NULL, 0, 0, 0, NULL,
     "file holding the password"},
    {"from", CONF_T_STR, offsetof(struct smtp_stage, from), NULL, 0, 0, 1,
     NULL, "sender, e.g. \"Example status <status@example.org>\""},
    {"ca_file", CONF_T_STR, offsetof(struct smtp_stage, ca_file), NULL, 0, 0,
     0, NULL, "CA bundle for the relay's certificate"},
    {"insecure", CONF_T_BOOL, offsetof(struct smtp_stage, insecure), "false",
     0, 0, 0, NULL, "do not verify the relay's certificate"},
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
    {NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL},
};

static const struct conf_opt region_opts[] = {
    {"id", CONF_T_STR, offsetof(struct conf_region, id), NULL, 0, 0, 1, NULL,
     "region id"},
    {"name", CONF_T_STR, offsetof(struct conf_region, name), NULL, 0, 0, 0,
     NULL, "display name (default: id)"},
    {NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL},
};

struct agent_stage {
    char *id;
    char *region;
    struct token_src tok;
};

static const struct conf_opt agent_opts[] = {
    {"id", CONF_T_STR, offsetof(struct agent_stage, id), NULL, 0, 0, 1, NULL,
     "agent id"},
    {"region", CONF_T_STR, offsetof(struct agent_stage, region), NULL, 0, 0,
     1, NULL, "region the agent reports for"},
    {"token_sha256", CONF_T_STR, offsetof(struct agent_stage, tok.sha256),
     NULL, 0, 0, 0, NULL, "SHA-256 (hex) of the agent's token"},
    {"token_file", CONF_T_STR, offsetof(struct agent_stage, tok.file), NULL,
     0, 0, 0, NULL, "file holding the token"},
    {"token_env", CONF_T_STR, offsetof(struct agent_stage, tok.env), NULL, 0,
     0, 0, NULL, "environment variable holding the token"},
    {NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL},
};

struct key_stage {
    char *name;
    char *scope;
    struct token_src tok;
};

static const struct conf_opt api_key_opts[] = {
    {"name", CONF_T_STR, offsetof(struct key_stage, name), NULL, 0, 0, 1,
     NULL, "who the key belongs to"},
    {"scope", CONF_T_STR, offsetof(struct key_stage, scope), "admin", 0, 0, 0,
     NULL, "read, write or admin"},
    {"token_sha256", CONF_T_STR, offsetof(struct key_stage, tok.sha256),
     NULL, 0, 0, 0, NULL, "SHA-256 (hex) of the key"},
    {"token_file", CONF_T_STR, offsetof(struct key_stage, tok.file), NULL, 0,
     0, 0, NULL, "file holding the key"},
    {"token_env", CONF_T_STR, offsetof(struct key_stage, tok.env), NULL, 0, 0,
     0, NULL, "environment variable holding the key"},
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
    {"checks", CONF_T_CUSTOM, 0, NULL, 0, 0, 0, NULL,
     "the probes that decide its status"},
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

static const char *const top_keys[] = {
    "server", "retention", "incidents", "page",   "regions",
    "agents", "api_keys",  "defaults",  "groups", "components",
    "alerts",  "notify",
};

static int decode_root(const struct conf_node *root, const char *file,
                       struct pharos_conf *cf, struct conf_errs *errs);

int
pharos_conf_load(const char *path, struct pharos_conf *ret,
                 struct conf_errs *errs)
{
    struct conf_node *root;
    int rc;

    memset(ret, 0, sizeof(*ret));
    root = conf_yaml_load(path, errs);
    if (root == NULL) {
        return PH_ECONF;
    }
    rc = decode_root(root, path, ret, errs);
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
    rc = decode_root(root, name, ret, errs);
    conf_node_free(root);
    if (rc != 0) {
        pharos_conf_free(ret);
        return PH_ECONF;
    }
    return 0;
}

static void
decode_simple_sections(const struct conf_node *root, const char *file,
                       struct pharos_conf *cf, struct conf_errs *errs)
{
    static const struct conf_node empty = {CONF_MAP, 1, 1, NULL, 0, 0,
                                           NULL, NULL, NULL};
    const struct conf_node *n;
    struct server_stage sv;
    struct misc_stage ms;

    memset(&sv, 0, sizeof(sv));
    n = pc_find_key(root, "server");
    conf_decode(server_opts, n ? n : &empty, &sv, file, errs);
    cf->listen = sv.listen;
    cf->state_dir = sv.state_dir;
    cf->publish_dir = sv.publish_dir;
    cf->web_dir = sv.web_dir;
    cf->max_body_bytes = sv.max_body_bytes;
    cf->max_results_per_batch = sv.max_results_per_batch;
    cf->api_rate_limit = sv.api_rate_limit;
    cf->max_result_age_ms = sv.max_result_age_ms;
    cf->max_result_ahead_ms = sv.max_result_ahead_ms;
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

    memset(&ms, 0, sizeof(ms));
    n = pc_find_key(root, "retention");
    conf_decode(retention_opts, n ? n : &empty, &ms, file, errs);
    n = pc_find_key(root, "incidents");
    conf_decode(incidents_opts, n ? n : &empty, &ms, file, errs);
    cf->retention_raw_days = ms.raw_ms / 86400000u;
    cf->resolve_after_ms = ms.resolve_after_ms;
    if (ms.auto_mode != NULL) {
        if (strcmp(ms.auto_mode, "draft") == 0) {
            cf->auto_incidents = AUTO_INCIDENTS_DRAFT;
        } else if (strcmp(ms.auto_mode, "publish") == 0) {
            cf->auto_incidents = AUTO_INCIDENTS_PUBLISH;
        } else if (strcmp(ms.auto_mode, "off") == 0) {
            cf->auto_incidents = AUTO_INCIDENTS_OFF;
        } else {
            n = pc_find_key(pc_find_key(root, "incidents"), "auto");
            conf_err(errs, file, n ? n->line : 1, n ? n->col : 1,
                     "'auto' must be draft, publish or off");
        }
        ph_free(ms.auto_mode);
    }

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
        snprintf(tzpath, sizeof(tzpath), "/usr/share/zoneinfo/%s",
                 pg->time_zone);
        if (strcmp(pg->time_zone, "UTC") != 0 &&
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

static char *
read_secret_file(const char *conf_file, const char *p)
{
    char *path = relative_path(conf_file, p);
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
    struct smtp_stage st;

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
    memset(&st, 0, sizeof(st));
    if (sm->type != CONF_MAP) {
        conf_err(errs, file, sm->line, sm->col, "'smtp' must be a mapping");
        return;
    }
    if (conf_decode(smtp_opts, sm, &st, file, errs) == 0) {
        if (strncmp(st.url, "smtp://", 7) != 0 &&
            strncmp(st.url, "smtps://", 8) != 0) {
            conf_err(errs, file, sm->line, sm->col,
                     "smtp url must be smtp://host[:port] or "
                     "smtps://host[:port]");
        }
        if (strcmp(st.starttls, "required") == 0) {
            nf->smtp_tls = SMTP_TLS_REQUIRED;
        } else if (strcmp(st.starttls, "optional") == 0) {
            nf->smtp_tls = SMTP_TLS_OPTIONAL;
        } else if (strcmp(st.starttls, "off") == 0) {
            nf->smtp_tls = SMTP_TLS_OFF;
        } else {
            conf_err(errs, file, sm->line, sm->col,
                     "starttls must be required, optional or off");
        }
        if (!plausible_from(st.from)) {
            conf_err(errs, file, sm->line, sm->col,
                     "from must be an address, e.g. \"Status "
                     "<status@example.org>\"");
        }
        if (st.password_env != NULL && st.password_file != NULL) {
            conf_err(errs, file, sm->line, sm->col,
                     "use one of password_env and password_file");
        } else if (st.password_env != NULL) {
            const char *v = getenv(st.password_env);
            if (v == NULL || v[0] == '\0') {
                conf_err(errs, file, sm->line, sm->col,
                         "environment variable %s is not set",
                         st.password_env);
            } else {
                nf->smtp_password = ph_strdup(v);
            }
        } else if (st.password_file != NULL) {
            nf->smtp_password = read_secret_file(file, st.password_file);
            if (nf->smtp_password == NULL) {
                conf_err(errs, file, sm->line, sm->col,
                         "cannot read password_file %s", st.password_file);
            }
        }
        if (nf->smtp_password != NULL && st.username == NULL) {
            conf_err(errs, file, sm->line, sm->col,
                     "a password needs a username");
        }
        make_relative(&st.ca_file, file);
        nf->smtp_url = st.url;
        nf->smtp_username = st.username;
        nf->smtp_from = st.from;
        nf->smtp_ca_file = st.ca_file;
        nf->smtp_insecure = st.insecure;
        st.url = st.username = st.from = st.ca_file = NULL;
    }
    conf_free_strings(smtp_opts, &st);
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
            struct agent_stage a;
            struct conf_agent *ca = &cf->agents[cf->nagents];

            memset(&a, 0, sizeof(a));
            if (conf_decode(agent_opts, i, &a, file, errs) == 0) {
                if (pharos_conf_region_index(cf, a.region) < 0) {
                    conf_err(errs, file, i->line, i->col,
                             "agent '%s': unknown region '%s'", a.id,
                             a.region);
                }
                for (size_t k = 0; k < cf->nagents; k++) {
                    if (strcmp(cf->agents[k].id, a.id) == 0) {
                        conf_err(errs, file, i->line, i->col,
                                 "duplicate agent '%s'", a.id);
                    }
                }
                pc_resolve_token(&a.tok, i, file, ca->token_sha256, errs);
                ca->id = a.id;
                ca->region = a.region;
                a.id = a.region = NULL;
                cf->nagents++;
            }
            conf_free_strings(agent_opts, &a);
        }
    }

    seq = pc_seq_of(root, "api_keys", 0, MAX_ITEMS, file, errs, &n);
    if (seq != NULL && n > 0) {
        cf->api_keys = ph_calloc(n, sizeof(*cf->api_keys));
        for (const struct conf_node *i = seq->child; i && cf->api_keys;
             i = i->next) {
            struct key_stage k;
            struct conf_api_key *ck = &cf->api_keys[cf->napi_keys];

            memset(&k, 0, sizeof(k));
            if (conf_decode(api_key_opts, i, &k, file, errs) == 0) {
                if (strcmp(k.scope, "read") != 0 &&
                    strcmp(k.scope, "write") != 0 &&
                    strcmp(k.scope, "admin") != 0) {
                    conf_err(errs, file, i->line, i->col,
                             "api key '%s': scope must be read, write or "
                             "admin",
                             k.name);
                }
                pc_resolve_token(&k.tok, i, file, ck->token_sha256, errs);
                ck->name = k.name;
                ck->scope = k.scope;
                k.name = k.scope = NULL;
                cf->napi_keys++;
            }
            conf_free_strings(api_key_opts, &k);
        }
    }
}

static void
decode_components(const struct conf_node *root, const char *file,
                  struct pharos_conf *cf, struct conf_errs *errs)
{
    const struct conf_node *seq;
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

    seq = pc_seq_of(root, "components", 1, MAX_ITEMS, file, errs, &ncomp);
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
    if (ntotal > MAX_ITEMS) {
        conf_err(errs, file, seq->line, seq->col, "more than %d checks",
                 MAX_ITEMS);
        check_free(&d);
        return;
    }
    cf->components = ph_calloc(ncomp, sizeof(*cf->components));
    cf->checks = ph_calloc(ntotal + 1, sizeof(*cf->checks));
    if (cf->components == NULL || cf->checks == NULL) {
        check_free(&d);
        return;
    }
    for (const struct conf_node *i = seq->child; i; i = i->next) {
        struct conf_component *c = &cf->components[cf->ncomponents];
        const struct conf_node *checks;

        if (conf_decode(component_opts, i, c, file, errs) != 0) {
            conf_free_strings(component_opts, c);
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
        for (const struct conf_node *k = checks->child; k; k = k->next) {
            struct check *ck = &cf->checks[cf->nchecks];
            if (pc_decode_check(k, &d, c->id, cf, file, ck, errs) != 0) {
                continue;
            }
            for (size_t j = 0; j < cf->nchecks; j++) {
                if (strcmp(cf->checks[j].id, ck->id) == 0) {
                    conf_err(errs, file, k->line, k->col,
                             "duplicate check id '%s'", ck->id);
                    break;
                }
            }
            cf->nchecks++;
        }
    }
    check_free(&d);
}

static int
decode_root(const struct conf_node *root, const char *file,
            struct pharos_conf *cf, struct conf_errs *errs)
{
    size_t nerr = errs->n + errs->dropped;

    cf->path = ph_strdup(file);
    if (root->type != CONF_MAP) {
        conf_err(errs, file, root->line, root->col,
                 "expected a mapping at the top level");
        return PH_ECONF;
    }
    for (const struct conf_node *n = root->child; n; n = n->next) {
        if (!pc_in_list(n->key, top_keys,
                     sizeof(top_keys) / sizeof(top_keys[0]))) {
            conf_err_unknown(errs, file, n->key_line, n->key_col,
                             "section", n->key,
                             conf_suggest(n->key, top_keys,
                                          sizeof(top_keys) /
                                              sizeof(top_keys[0])));
        }
    }
    decode_simple_sections(root, file, cf, errs);
    decode_notify(root, file, cf, errs);
    decode_regions_agents(root, file, cf, errs);
    decode_components(root, file, cf, errs);
    pc_decode_alerts(root, file, cf, errs);
    return errs->n + errs->dropped > nerr ? PH_ECONF : 0;
}

void
pharos_conf_free(struct pharos_conf *c)
{
    ph_free(c->path);
    ph_free(c->listen);
    ph_free(c->state_dir);
    ph_free(c->publish_dir);
    ph_free(c->web_dir);
    conf_free_strings(page_opts, &c->page);
    conf_free_strings(notify_opts, &c->notify);
    ph_free(c->notify.smtp_url);
    ph_free(c->notify.smtp_username);
    if (c->notify.smtp_password != NULL) {
        memset(c->notify.smtp_password, 0, strlen(c->notify.smtp_password));
        ph_free(c->notify.smtp_password);
    }
    ph_free(c->notify.smtp_from);
    ph_free(c->notify.smtp_ca_file);
    for (size_t i = 0; i < c->nregions; i++) {
        conf_free_strings(region_opts, &c->regions[i]);
    }
    ph_free(c->regions);
    for (size_t i = 0; i < c->nagents; i++) {
        ph_free(c->agents[i].id);
        ph_free(c->agents[i].region);
    }
    ph_free(c->agents);
    for (size_t i = 0; i < c->napi_keys; i++) {
        ph_free(c->api_keys[i].name);
        ph_free(c->api_keys[i].scope);
    }
    ph_free(c->api_keys);
    for (size_t i = 0; i < c->ngroups; i++) {
        conf_free_strings(group_opts, &c->groups[i]);
    }
    ph_free(c->groups);
    for (size_t i = 0; i < c->ncomponents; i++) {
        conf_free_strings(component_opts, &c->components[i]);
    }
    ph_free(c->components);
    for (size_t i = 0; i < c->nchecks; i++) {
        check_free(&c->checks[i]);
    }
    ph_free(c->checks);
    pc_alerts_free(&c->alerts);
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
