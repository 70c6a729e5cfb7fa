/*
 * pharos_conf_print.c - the normalised configuration as YAML (-nv and the
 * golden tests): every default expanded, durations in milliseconds,
 * secrets only as token_sha256. Printing, re-parsing and printing again
 * gives the same text.
 */
#include <stdio.h>
#include <string.h>

#include "pharos_conf.h"

/* Double-quoted YAML scalar with escapes. */
static void
q(struct buf *b, const char *s)
{
    buf_appends(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            buf_printf(b, "\\%c", *p);
        } else if (*p == '\n') {
            buf_appends(b, "\\n");
        } else if (*p < 0x20) {
            buf_printf(b, "\\x%02x", *p);
        } else {
            buf_append(b, p, 1);
        }
    }
    buf_appends(b, "\"");
}

static void
kv(struct buf *b, const char *indent, const char *key, const char *v)
{
    if (v == NULL) {
        return;
    }
    buf_printf(b, "%s%s: ", indent, key);
    q(b, v);
    buf_appends(b, "\n");
}

static const char *
yesno(int v)
{
    return v ? "true" : "false";
}

/* Walks the tables the check was decoded with. */
static void
print_check(struct buf *b, const struct check *c)
{
    const struct check_kind *k = check_kind_of(c->type);
    const char *indent = "      - ";
    const char *in = "        ";

    conf_print(check_head_opts, c, &indent, in, b);
    conf_print(check_common_opts, c, &indent, in, b);
    conf_print(check_tail_opts, c, &indent, in, b);
    if (k != NULL) {
        conf_print(k->opts, c, &indent, in, b);
    }
}

static void
print_values(struct buf *b, const char *key, char *const *v, size_t n)
{
    if (n == 0) {
        return;
    }
    buf_printf(b, "    %s: [", key);
    for (size_t i = 0; i < n; i++) {
        if (i > 0) {
            buf_appends(b, ", ");
        }
        q(b, v[i]);
    }
    buf_appends(b, "]\n");
}

/* Printed only when configured, so configs without alerts print as
 * before (the golden files stay valid). */
static void
print_alerts(struct buf *b, const struct conf_alerts *a)
{
    const struct conf_alert_webhook *w = &a->webhook;

    if (a->ntokens == 0 && a->nrules == 0 && !w->enabled &&
        a->max_alerts == 1000 && a->max_groups == 1000 &&
        a->expire_after_ms == 0) {
        return;
    }
    buf_printf(b,
               "alerts:\n  max_alerts: %u\n  max_groups: %u\n"
               "  expire_after: %ums\n",
               a->max_alerts, a->max_groups, a->expire_after_ms);
    if (a->ntokens > 0) {
        buf_appends(b, "  tokens:\n");
    }
    for (size_t i = 0; i < a->ntokens; i++) {
        kv(b, "    - ", "name", a->tokens[i].name);
        kv(b, "      ", "token_sha256", a->tokens[i].token_sha256);
    }
    if (a->nrules > 0) {
        buf_appends(b, "  rules:\n");
    }
    for (size_t i = 0; i < a->nrules; i++) {
        const struct conf_alert_rule *r = &a->rules[i];

        buf_appends(b, "    - match: {");
        for (size_t k = 0; k < r->nmatch; k++) {
            if (k > 0) {
                buf_appends(b, ", ");
            }
            q(b, r->match[k].name);
            buf_appends(b, ": ");
            q(b, r->match[k].value);
        }
        buf_appends(b, "}\n");
        kv(b, "      ", "component", r->component);
        kv(b, "      ", "status", r->status);
    }
    if (w->enabled) {
        buf_appends(b, "  webhook:\n");
        kv(b, "    ", "key_field", w->key_field);
        kv(b, "    ", "status_field", w->status_field);
        kv(b, "    ", "labels_field", w->labels_field);
        print_values(b, "firing_values", w->firing_values,
                     w->nfiring_values);
        print_values(b, "resolved_values", w->resolved_values,
                     w->nresolved_values);
    }
}

int
pharos_conf_print(const struct pharos_conf *c, struct buf *b)
{
    static const char *const autos[] = {"draft", "publish", "off"};

    buf_appends(b, "server:\n");
    kv(b, "  ", "listen", c->listen);
    kv(b, "  ", "state_dir", c->state_dir);
    kv(b, "  ", "publish_dir", c->publish_dir);
    kv(b, "  ", "web_dir", c->web_dir);
    buf_printf(b, "  max_body_bytes: %u\n  max_results_per_batch: %u\n"
               "  api_rate_limit: %u\n  max_result_age: %ums\n"
               "  max_result_ahead: %ums\n",
               c->max_body_bytes, c->max_results_per_batch,
               c->api_rate_limit, c->max_result_age_ms,
               c->max_result_ahead_ms);
    buf_printf(b, "retention:\n  raw: %ud\n", c->retention_raw_days);
    buf_printf(b, "incidents:\n  auto: %s\n  resolve_after: %ums\n",
               autos[c->auto_incidents], c->resolve_after_ms);
    if (c->notify.smtp_url != NULL || c->notify.allow_private_targets ||
        c->notify.public_url != NULL) {
        static const char *const tls[] = {"required", "optional", "off"};
        const struct conf_notify *n = &c->notify;

        buf_appends(b, "notify:\n");
        kv(b, "  ", "public_url", n->public_url);
        buf_printf(b,
                   "  allow_private_targets: %s\n  coalesce: %ums\n"
                   "  retry_base: %ums\n  retry_max: %ums\n"
                   "  retry_for: %ums\n  quarantine_after: %u\n"
                   "  timeout: %ums\n  max_in_flight: %u\n"
                   "  subscribe_burst: %u\n  subscribe_every: %ums\n"
                   "  max_subscribers: %u\n",
                   yesno(n->allow_private_targets), n->coalesce_ms,
                   n->retry_base_ms, n->retry_max_ms, n->retry_for_ms,
                   n->quarantine_after, n->timeout_ms, n->max_in_flight,
                   n->subscribe_burst, n->subscribe_every_ms,
                   n->max_subscribers);
        if (n->smtp_url != NULL) {
            /* The password is never printed. */
            buf_appends(b, "  smtp:\n");
            kv(b, "    ", "url", n->smtp_url);
            buf_printf(b, "    starttls: %s\n", tls[n->smtp_tls]);
            kv(b, "    ", "username", n->smtp_username);
            kv(b, "    ", "from", n->smtp_from);
            kv(b, "    ", "ca_file", n->smtp_ca_file);
            buf_printf(b, "    insecure: %s\n", yesno(n->smtp_insecure));
        }
    }
    buf_appends(b, "page:\n");
    kv(b, "  ", "id", c->page.id);
    kv(b, "  ", "name", c->page.name);
    kv(b, "  ", "url", c->page.url);
    kv(b, "  ", "time_zone", c->page.time_zone);
    kv(b, "  ", "logo_url", c->page.logo_url);
    kv(b, "  ", "brand_color", c->page.brand_color);
    buf_appends(b, "regions:\n");
    for (size_t i = 0; i < c->nregions; i++) {
        kv(b, "  - ", "id", c->regions[i].id);
        kv(b, "    ", "name", c->regions[i].name);
    }
    if (c->nagents > 0) {
        buf_appends(b, "agents:\n");
    }
    for (size_t i = 0; i < c->nagents; i++) {
        kv(b, "  - ", "id", c->agents[i].id);
        kv(b, "    ", "region", c->agents[i].region);
        kv(b, "    ", "token_sha256", c->agents[i].token_sha256);
    }
    if (c->napi_keys > 0) {
        buf_appends(b, "api_keys:\n");
    }
    for (size_t i = 0; i < c->napi_keys; i++) {
        kv(b, "  - ", "name", c->api_keys[i].name);
        kv(b, "    ", "scope", c->api_keys[i].scope);
        kv(b, "    ", "token_sha256", c->api_keys[i].token_sha256);
    }
    if (c->ngroups > 0) {
        buf_appends(b, "groups:\n");
    }
    for (size_t i = 0; i < c->ngroups; i++) {
        kv(b, "  - ", "id", c->groups[i].id);
        kv(b, "    ", "name", c->groups[i].name);
        kv(b, "    ", "description", c->groups[i].description);
    }
    buf_appends(b, "components:\n");
    for (size_t i = 0; i < c->ncomponents; i++) {
        const struct conf_component *m = &c->components[i];
        int any = 0;

        kv(b, "  - ", "id", m->id);
        kv(b, "    ", "name", m->name);
        kv(b, "    ", "description", m->description);
        kv(b, "    ", "group", m->group);
        buf_printf(b, "    showcase: %s\n    only_show_if_degraded: %s\n",
                   yesno(m->showcase), yesno(m->only_show_if_degraded));
        kv(b, "    ", "start_date", m->start_date);
        for (size_t k = 0; k < c->nchecks; k++) {
            if (strcmp(c->checks[k].component_id, m->id) != 0) {
                continue;
            }
            if (!any) {
                buf_appends(b, "    checks:\n");
                any = 1;
            }
            print_check(b, &c->checks[k]);
        }
    }
    print_alerts(b, &c->alerts);
    /* A buffer over its cap reports it here. */
    return buf_appends(b, "");
}
