/*
 * pharos_conf_hooks.c - the `integrations:` section of pharos.yml:
 * PagerDuty V3 webhook secrets (several during a rotation), Opsgenie
 * tokens, and the rules that map the tools' incidents and alerts to
 * components, statuses and a Pharos incident. Secrets come from a file
 * or an environment variable, never inline, and are never printed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "ph_err.h"
#include "pharos_conf_int.h"

#define SECRET_MIN 16
#define SECRET_MAX 256

static const char *const hook_statuses[] = {
    "degraded_performance",
    "partial_outage",
    "major_outage",
};

/* In the order of conf_hook_rule.on_acknowledge and .notes. */
static const char *const ack_names[] = {"none", "identified", NULL};
static const struct conf_custom ack_custom = {.names = ack_names};
static const char *const notes_names[] = {"internal", "public", NULL};
static const struct conf_custom notes_custom = {.names = notes_names};

/* ---- components: a list of component ids ---- */

static int
components_decode(const struct conf_opt *o, const struct conf_node *n,
                  void *base, const char *file, struct conf_errs *errs)
{
    struct conf_hook_rule *r = base;

    (void)o;
    return conf_string_list(n, r->components, CONF_HOOK_COMPONENTS_MAX,
                            &r->ncomponents, "components", file, errs);
}

static void
components_print(const struct conf_opt *o, const void *base,
                 const char *indent, struct buf *out)
{
    const struct conf_hook_rule *r = base;

    conf_print_list(out, indent, o->key,
                    (const char *const *)r->components, r->ncomponents);
}

static void
components_release(const struct conf_opt *o, void *base)
{
    struct conf_hook_rule *r = base;

    (void)o;
    for (size_t i = 0; i < r->ncomponents; i++) {
        ph_free(r->components[i]);
        r->components[i] = NULL;
    }
    r->ncomponents = 0;
}

static int
components_copy(const struct conf_opt *o, void *dst, const void *src)
{
    struct conf_hook_rule *d = dst;
    const struct conf_hook_rule *s = src;

    (void)o;
    for (size_t i = 0; i < s->ncomponents; i++) {
        d->components[i] = ph_strdup(s->components[i]);
        if (d->components[i] == NULL) {
            d->ncomponents = i;
            return -1;
        }
    }
    return 0;
}

static int
components_equal(const struct conf_opt *o, const void *a, const void *b)
{
    const struct conf_hook_rule *x = a, *y = b;

    (void)o;
    if (x->ncomponents != y->ncomponents) {
        return 0;
    }
    for (size_t i = 0; i < x->ncomponents; i++) {
        if (strcmp(x->components[i], y->components[i]) != 0) {
            return 0;
        }
    }
    return 1;
}

static const struct conf_custom components_custom = {
    .decode = components_decode,
    .print = components_print,
    .release = components_release,
    .copy = components_copy,
    .equal = components_equal,
};

/* ---- secret: the resolved value; an inline one is refused ---- */

static int
secret_decode(const struct conf_opt *o, const struct conf_node *n,
              void *base, const char *file, struct conf_errs *errs)
{
    (void)o;
    (void)base;
    conf_err(errs, file, n->line, n->col,
             "an inline secret is not accepted: use secret_file or "
             "secret_env");
    return -1;
}

static void
secret_release(const struct conf_opt *o, void *base)
{
    struct conf_hook_secret *s = base;

    (void)o;
    if (s->secret != NULL) {
        memset(s->secret, 0, strlen(s->secret));
        ph_free(s->secret);
        s->secret = NULL;
    }
}

static int
secret_copy(const struct conf_opt *o, void *dst, const void *src)
{
    struct conf_hook_secret *d = dst;
    const struct conf_hook_secret *s = src;

    (void)o;
    d->secret = NULL;
    if (s->secret != NULL && (d->secret = ph_strdup(s->secret)) == NULL) {
        return -1;
    }
    return 0;
}

static int
secret_equal(const struct conf_opt *o, const void *a, const void *b)
{
    const struct conf_hook_secret *x = a, *y = b;

    (void)o;
    if (x->secret == NULL || y->secret == NULL) {
        return x->secret == y->secret;
    }
    return strcmp(x->secret, y->secret) == 0;
}

/* Nothing is printed: the printed config must not hold the secret. */
static const struct conf_custom secret_custom = {
    .decode = secret_decode,
    .release = secret_release,
    .copy = secret_copy,
    .equal = secret_equal,
};

static const struct conf_opt secret_opts[] = {
    {"name", CONF_T_STR, offsetof(struct conf_hook_secret, name), NULL, 0, 0,
     1, NULL, "which subscription's secret (for logs)"},
    {"secret_file", CONF_T_STR, offsetof(struct conf_hook_secret, secret_file),
     NULL, 0, 0, 0, NULL, "file holding the subscription's signing secret"},
    {"secret_env", CONF_T_STR, offsetof(struct conf_hook_secret, secret_env),
     NULL, 0, 0, 0, NULL, "environment variable holding the secret"},
    {"secret", CONF_T_CUSTOM, 0, NULL, 0, 0, 0, &secret_custom,
     "refused: secrets come from secret_file or secret_env"},
    {NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL},
};

static const struct conf_opt token_opts[] = {
    {"name", CONF_T_STR, offsetof(struct conf_alert_token, name), NULL, 0, 0,
     1, NULL, "who sends with this token (for logs)"},
    PC_TOKEN_ROWS(struct conf_alert_token, "the token"),
    {NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL},
};

#define RULE_STR(key, field, doc)                                         \
    {key, CONF_T_STR, offsetof(struct conf_hook_rule, field), NULL, 0, 0, \
     0, NULL, doc}

/* The keys of a rule; which match keys a tool allows is checked after. */
static const struct conf_opt rule_opts[] = {
    RULE_STR("service_id", service_id, "PagerDuty: the service's id"),
    RULE_STR("service", service, "PagerDuty: the service's name"),
    RULE_STR("priority", priority, "the priority, e.g. P1"),
    RULE_STR("urgency", urgency, "PagerDuty: high or low"),
    RULE_STR("tag", tag, "Opsgenie: a tag the alert carries"),
    RULE_STR("team", team, "Opsgenie: a team the alert is assigned to"),
    RULE_STR("entity", entity, "Opsgenie: the alert's entity"),
    {"components", CONF_T_CUSTOM, 0, NULL, 0, 0, 1, &components_custom,
     "components the incident affects"},
    RULE_STR("status", status,
             "their status while open: degraded_performance, "
             "partial_outage or major_outage (unset: only named)"),
    {"publish", CONF_T_BOOL, offsetof(struct conf_hook_rule, publish),
     "false", 0, 0, 0, NULL, "open the incident published (else a draft)"},
    {"on_acknowledge", CONF_T_ENUM,
     offsetof(struct conf_hook_rule, on_acknowledge), "none", 0, 0, 0,
     &ack_custom, "none or identified: what an acknowledgement does"},
    {"notes", CONF_T_ENUM, offsetof(struct conf_hook_rule, notes),
     "internal", 0, 0, 0, &notes_custom,
     "internal or public: whether notes become updates"},
    RULE_STR("name", name, "incident name (default: the tool's title)"),
    RULE_STR("body", body, "text of the first update"),
    RULE_STR("template", template,
             "incidents.templates entry for name, body and status"),
    {NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL},
};

static const struct conf_sub secrets_sub = {
    .opts = secret_opts,
    .size = sizeof(struct conf_hook_secret),
    .count_offset = offsetof(struct conf_pagerduty, nsecrets),
};
static const struct conf_sub pd_rules_sub = {
    .opts = rule_opts,
    .size = sizeof(struct conf_hook_rule),
    .count_offset = offsetof(struct conf_pagerduty, nrules),
};
static const struct conf_sub tokens_sub = {
    .opts = token_opts,
    .size = sizeof(struct conf_alert_token),
    .count_offset = offsetof(struct conf_opsgenie, ntokens),
};
static const struct conf_sub og_rules_sub = {
    .opts = rule_opts,
    .size = sizeof(struct conf_hook_rule),
    .count_offset = offsetof(struct conf_opsgenie, nrules),
};

static const struct conf_opt pagerduty_opts[] = {
    {"max_age", CONF_T_DURATION, offsetof(struct conf_pagerduty, max_age_ms),
     "10m", 10000, 86400000, 0, NULL,
     "refuse events that occurred longer ago (replays, stale retries)"},
    {"secrets", CONF_T_LIST, offsetof(struct conf_pagerduty, secrets), NULL,
     0, 0, 1, &secrets_sub.custom,
     "signing secrets of the webhook subscriptions (several: rotation)"},
    {"rules", CONF_T_LIST, offsetof(struct conf_pagerduty, rules), NULL, 0,
     0, 0, &pd_rules_sub.custom,
     "first matching rule maps an incident (no match: ignored)"},
    {NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL},
};

static const struct conf_opt opsgenie_opts[] = {
    {"tokens", CONF_T_LIST, offsetof(struct conf_opsgenie, tokens), NULL, 0,
     0, 1, &tokens_sub.custom, "bearer tokens the webhook sends"},
    {"rules", CONF_T_LIST, offsetof(struct conf_opsgenie, rules), NULL, 0, 0,
     0, &og_rules_sub.custom,
     "first matching rule maps an alert (no match: ignored)"},
    {NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL},
};

static const struct conf_sub pagerduty_sub = {
    .opts = pagerduty_opts,
    .size = sizeof(struct conf_pagerduty),
    .flags = CONF_SUB_OMIT_DEFAULT,
};
static const struct conf_sub opsgenie_sub = {
    .opts = opsgenie_opts,
    .size = sizeof(struct conf_opsgenie),
    .flags = CONF_SUB_OMIT_DEFAULT,
};

static const struct conf_opt integrations_opts[] = {
    {"pagerduty", CONF_T_MAP, offsetof(struct conf_integrations, pagerduty),
     NULL, 0, 0, 0, &pagerduty_sub.custom,
     "PagerDuty V3 webhooks at /v1/integrations/pagerduty"},
    {"opsgenie", CONF_T_MAP, offsetof(struct conf_integrations, opsgenie),
     NULL, 0, 0, 0, &opsgenie_sub.custom,
     "Opsgenie outgoing webhooks at /v1/integrations/opsgenie"},
    {NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL},
};

/* Printed only when configured. */
const struct conf_sub pc_integrations_sub = {
    .opts = integrations_opts,
    .size = sizeof(struct conf_integrations),
    .flags = CONF_SUB_OMIT_DEFAULT,
};

/* ---- decoding ---- */

static char *
read_first_line(const char *conf_file, const char *p)
{
    char *path = pc_relative_path(conf_file, p);
    FILE *f = path != NULL ? fopen(path, "r") : NULL;
    char line[SECRET_MAX + 2];
    char *out = NULL;

    if (f != NULL && fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        out = ph_strdup(line);
    }
    memset(line, 0, sizeof(line));
    if (f != NULL) {
        fclose(f);
    }
    ph_free(path);
    return out;
}

static void
resolve_secret(struct conf_hook_secret *s, const struct conf_node *n,
               const char *file, struct conf_errs *errs)
{
    if ((s->secret_file != NULL) == (s->secret_env != NULL)) {
        conf_err(errs, file, n->line, n->col,
                 "exactly one of secret_file or secret_env is required");
        return;
    }
    if (s->secret_file != NULL) {
        s->secret = read_first_line(file, s->secret_file);
        if (s->secret == NULL) {
            conf_err(errs, file, n->line, n->col,
                     "cannot read secret_file %s", s->secret_file);
            return;
        }
    } else {
        const char *v = getenv(s->secret_env);

        if (v == NULL || v[0] == '\0') {
            conf_err(errs, file, n->line, n->col,
                     "environment variable %s is not set", s->secret_env);
            return;
        }
        s->secret = ph_strdup(v);
        if (s->secret == NULL) {
            conf_err(errs, file, n->line, n->col, "out of memory");
            return;
        }
    }
    if (strlen(s->secret) < SECRET_MIN || strlen(s->secret) > SECRET_MAX) {
        conf_err(errs, file, n->line, n->col,
                 "secret '%s' must be %d to %d characters", s->name,
                 SECRET_MIN, SECRET_MAX);
    }
}

static int
too_long(const char *s)
{
    return s != NULL && (s[0] == '\0' || strlen(s) > CONF_HOOK_FIELD_MAX);
}

/* Cross-field checks of one rule; pagerduty selects the allowed match
 * keys. */
static void
check_rule(const struct conf_hook_rule *r, int pagerduty,
           const struct conf_node *n, const char *file,
           const struct pharos_conf *cf, struct conf_errs *errs)
{
    const char *wrong = NULL;
    const char *fields[] = {r->service_id, r->service, r->priority,
                            r->urgency,    r->tag,     r->team,
                            r->entity};

    if (pagerduty) {
        wrong = r->tag ? "tag" : r->team ? "team" : r->entity ? "entity"
                                                            : NULL;
    } else {
        wrong = r->service_id ? "service_id"
                : r->service  ? "service"
                : r->urgency  ? "urgency"
                              : NULL;
    }
    if (wrong != NULL) {
        conf_err(errs, file, n->line, n->col,
                 "%s rule: '%s' is not a field of %s events",
                 pagerduty ? "pagerduty" : "opsgenie", wrong,
                 pagerduty ? "PagerDuty" : "Opsgenie");
    }
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (too_long(fields[i])) {
            conf_err(errs, file, n->line, n->col,
                     "rule: match values are 1 to %d bytes",
                     CONF_HOOK_FIELD_MAX);
            break;
        }
    }
    if (r->urgency != NULL && strcmp(r->urgency, "high") != 0 &&
        strcmp(r->urgency, "low") != 0) {
        conf_err(errs, file, n->line, n->col,
                 "rule: urgency must be high or low, not '%s'", r->urgency);
    }
    for (size_t i = 0; i < r->ncomponents; i++) {
        if (pharos_conf_component_index(cf, r->components[i]) < 0) {
            conf_err(errs, file, n->line, n->col,
                     "rule: unknown component '%s'", r->components[i]);
        }
    }
    if (r->ncomponents == 0 && pc_find_key(n, "components") != NULL) {
        conf_err(errs, file, n->line, n->col,
                 "rule: 'components' must name at least one component");
    }
    if (r->status != NULL &&
        !pc_in_list(r->status, hook_statuses,
                    sizeof(hook_statuses) / sizeof(hook_statuses[0]))) {
        conf_err(errs, file, n->line, n->col,
                 "rule: status must be degraded_performance, "
                 "partial_outage or major_outage, not '%s'",
                 r->status);
    }
    if (r->name != NULL && strlen(r->name) > 255) {
        conf_err(errs, file, n->line, n->col,
                 "rule: name is at most 255 bytes");
    }
    if (r->template != NULL && pharos_conf_template(cf, r->template) == NULL) {
        conf_err(errs, file, n->line, n->col,
                 "rule: unknown template '%s'", r->template);
    }
    if (r->body != NULL && strlen(r->body) > 4000) {
        conf_err(errs, file, n->line, n->col,
                 "rule: body is at most 4000 bytes");
    }
}

static void
decode_rules(const struct conf_node *list, size_t count, int pagerduty,
             const char *file, struct pharos_conf *cf,
             struct conf_hook_rule **ret, size_t *ret_n,
             struct conf_errs *errs)
{
    *ret = ph_calloc(count, sizeof(**ret));
    if (*ret == NULL) {
        conf_err(errs, file, list->line, list->col, "out of memory");
        return;
    }
    for (const struct conf_node *i = list->child; i; i = i->next) {
        struct conf_hook_rule *r = &(*ret)[*ret_n];

        /* Kept even when invalid so the section's free releases it. */
        (*ret_n)++;
        if (conf_decode(rule_opts, i, r, file, errs) != 0 &&
            i->type != CONF_MAP) {
            continue;
        }
        check_rule(r, pagerduty, i, file, cf, errs);
    }
}

static void
decode_pagerduty(const struct conf_node *n, const char *file,
                 struct pharos_conf *cf, struct conf_errs *errs)
{
    struct conf_pagerduty *pd = &cf->integrations.pagerduty;
    const struct conf_node *v;
    size_t count = 0;

    if (conf_decode(pagerduty_opts, n, pd, file, errs) != 0 &&
        n->type != CONF_MAP) {
        return;
    }
    /* A missing list is reported by the row (required); an empty one
     * here. */
    v = pc_seq_of(n, "secrets", 0, CONF_HOOK_SECRETS_MAX, file, errs, &count);
    if (v == NULL && pc_find_key(n, "secrets") != NULL) {
        conf_err(errs, file, n->line, n->col,
                 "'secrets' must not be empty");
    }
    if (v != NULL) {
        pd->secrets = ph_calloc(count, sizeof(*pd->secrets));
        for (const struct conf_node *i = v->child; i && pd->secrets;
             i = i->next) {
            struct conf_hook_secret *s = &pd->secrets[pd->nsecrets++];

            if (conf_decode(secret_opts, i, s, file, errs) == 0) {
                resolve_secret(s, i, file, errs);
            }
        }
    }
    v = pc_seq_of(n, "rules", 0, CONF_HOOK_RULES_MAX, file, errs, &count);
    if (v != NULL) {
        decode_rules(v, count, 1, file, cf, &pd->rules, &pd->nrules, errs);
    }
    pd->enabled = 1;
}

static void
decode_opsgenie(const struct conf_node *n, const char *file,
                struct pharos_conf *cf, struct conf_errs *errs)
{
    struct conf_opsgenie *og = &cf->integrations.opsgenie;
    const struct conf_node *v;
    size_t count = 0;

    if (conf_decode(opsgenie_opts, n, og, file, errs) != 0 &&
        n->type != CONF_MAP) {
        return;
    }
    v = pc_seq_of(n, "tokens", 0, CONF_HOOK_SECRETS_MAX, file, errs, &count);
    if (v == NULL && pc_find_key(n, "tokens") != NULL) {
        conf_err(errs, file, n->line, n->col, "'tokens' must not be empty");
    }
    if (v != NULL) {
        og->tokens = ph_calloc(count, sizeof(*og->tokens));
        for (const struct conf_node *i = v->child; i && og->tokens;
             i = i->next) {
            struct conf_alert_token *t = &og->tokens[og->ntokens];

            if (conf_decode(token_opts, i, t, file, errs) != 0) {
                conf_free_fields(token_opts, t);
                memset(t, 0, sizeof(*t));
                continue;
            }
            pc_resolve_token(t->token_sha256, &t->token_file, &t->token_env,
                             i, file, errs);
            og->ntokens++;
        }
    }
    v = pc_seq_of(n, "rules", 0, CONF_HOOK_RULES_MAX, file, errs, &count);
    if (v != NULL) {
        decode_rules(v, count, 0, file, cf, &og->rules, &og->nrules, errs);
    }
    og->enabled = 1;
}

void
pc_decode_integrations(const struct conf_node *root, const char *file,
                       struct pharos_conf *cf, struct conf_errs *errs)
{
    const struct conf_node *n = pc_find_key(root, "integrations");
    const struct conf_node *v;

    if (n == NULL) {
        return;
    }
    if (conf_decode(integrations_opts, n, &cf->integrations, file, errs) !=
            0 &&
        n->type != CONF_MAP) {
        return;
    }
    v = pc_find_key(n, "pagerduty");
    if (v != NULL) {
        decode_pagerduty(v, file, cf, errs);
    }
    v = pc_find_key(n, "opsgenie");
    if (v != NULL) {
        decode_opsgenie(v, file, cf, errs);
    }
}
