/*
 * pharos_conf_alerts.c - the `alerts:` section of pharos.yml: intake
 * tokens, label rules that map alerts to component statuses, limits, and
 * the generic webhook's field mapping. Decoded after the components, so
 * rules can be checked against them; every problem is reported with
 * file:line:col and decoding goes on.
 */
#include <stdio.h>
#include <string.h>

#include "mem.h"
#include "ph_err.h"
#include "pharos_conf_int.h"

/* Statuses an alert may set: "operational" is what a resolved alert
 * means and "under_maintenance" is not a severity. */
static const char *const alert_statuses[] = {
    "degraded_performance",
    "partial_outage",
    "major_outage",
};

static const struct conf_opt token_opts[] = {
    {"name", CONF_T_STR, offsetof(struct conf_alert_token, name), NULL, 0, 0,
     1, NULL, "who sends with this token (for logs)"},
    PC_TOKEN_ROWS(struct conf_alert_token, "the token"),
    {NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL},
};

/* match: printed as a flow mapping {"name": "value", ...}. */
static void
match_print(const struct conf_opt *o, const void *base, const char *indent,
            struct buf *out)
{
    const struct conf_alert_rule *r = base;

    buf_printf(out, "%s%s: {", indent, o->key);
    for (size_t k = 0; k < r->nmatch; k++) {
        if (k > 0) {
            buf_appends(out, ", ");
        }
        conf_print_quoted(out, r->match[k].name);
        buf_appends(out, ": ");
        conf_print_quoted(out, r->match[k].value);
    }
    buf_appends(out, "}\n");
}

static void
match_release(const struct conf_opt *o, void *base)
{
    struct conf_alert_rule *r = base;

    (void)o;
    for (size_t k = 0; k < r->nmatch; k++) {
        ph_free(r->match[k].name);
        ph_free(r->match[k].value);
    }
    ph_free(r->match);
    r->match = NULL;
    r->nmatch = 0;
}

static int
match_equal(const struct conf_opt *o, const void *a, const void *b)
{
    const struct conf_alert_rule *x = a, *y = b;

    (void)o;
    if (x->nmatch != y->nmatch) {
        return 0;
    }
    for (size_t k = 0; k < x->nmatch; k++) {
        if (strcmp(x->match[k].name, y->match[k].name) != 0 ||
            strcmp(x->match[k].value, y->match[k].value) != 0) {
            return 0;
        }
    }
    return 1;
}

static const struct conf_custom match_custom = {
    .print = match_print,
    .release = match_release,
    .equal = match_equal,
};

static const struct conf_opt rule_opts[] = {
    {"match", CONF_T_CUSTOM, 0, NULL, 0, 0, 1, &match_custom,
     "labels (name: value) an alert must all carry"},
    {"component", CONF_T_STR, offsetof(struct conf_alert_rule, component),
     NULL, 0, 0, 1, NULL, "component the alert affects"},
    {"status", CONF_T_STR, offsetof(struct conf_alert_rule, status), NULL, 0,
     0, 1, NULL, "degraded_performance, partial_outage or major_outage"},
    {NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL},
};

/* firing_values and resolved_values: the row's offset is the array, its
 * count follows it. */
static void
values_at(const struct conf_opt *o, const void *base, char *const **ret_v,
          size_t *ret_n)
{
    const struct conf_alert_webhook *w = base;

    if (o->offset == offsetof(struct conf_alert_webhook, firing_values)) {
        *ret_v = w->firing_values;
        *ret_n = w->nfiring_values;
    } else {
        *ret_v = w->resolved_values;
        *ret_n = w->nresolved_values;
    }
}

static void
values_print(const struct conf_opt *o, const void *base, const char *indent,
             struct buf *out)
{
    char *const *v;
    size_t n;

    values_at(o, base, &v, &n);
    conf_print_list(out, indent, o->key, (const char *const *)v, n);
}

static void
values_release(const struct conf_opt *o, void *base)
{
    char *const *v;
    size_t n;

    values_at(o, base, &v, &n);
    for (size_t i = 0; i < n; i++) {
        ph_free(v[i]);
    }
}

static int
values_equal(const struct conf_opt *o, const void *a, const void *b)
{
    char *const *va, *const *vb;
    size_t na, nb;

    values_at(o, a, &va, &na);
    values_at(o, b, &vb, &nb);
    if (na != nb) {
        return 0;
    }
    for (size_t i = 0; i < na; i++) {
        if (strcmp(va[i], vb[i]) != 0) {
            return 0;
        }
    }
    return 1;
}

static const struct conf_custom values_custom = {
    .print = values_print,
    .release = values_release,
    .equal = values_equal,
};

static const struct conf_opt webhook_opts[] = {
    {"key_field", CONF_T_STR,
     offsetof(struct conf_alert_webhook, key_field), NULL, 0, 0, 1, NULL,
     "JSON path of the alert's identity, e.g. $.ruleName"},
    {"status_field", CONF_T_STR,
     offsetof(struct conf_alert_webhook, status_field), NULL, 0, 0, 1, NULL,
     "JSON path of the firing/resolved state, e.g. $.state"},
    {"labels_field", CONF_T_STR,
     offsetof(struct conf_alert_webhook, labels_field), NULL, 0, 0, 0, NULL,
     "JSON path of the labels (object, \"k:v, ...\" or [\"k:v\"])"},
    {"firing_values", CONF_T_CUSTOM,
     offsetof(struct conf_alert_webhook, firing_values), NULL, 0, 0, 0,
     &values_custom,
     "status values that mean firing (anything else: resolved)"},
    {"resolved_values", CONF_T_CUSTOM,
     offsetof(struct conf_alert_webhook, resolved_values), NULL, 0, 0, 0,
     &values_custom,
     "status values that mean resolved (anything else: firing)"},
    {NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL},
};

static const struct conf_sub tokens_sub = {
    .opts = token_opts,
    .size = sizeof(struct conf_alert_token),
    .count_offset = offsetof(struct conf_alerts, ntokens),
};
static const struct conf_sub rules_sub = {
    .opts = rule_opts,
    .size = sizeof(struct conf_alert_rule),
    .count_offset = offsetof(struct conf_alerts, nrules),
};
/* Printed when configured: key_field is required. */
static const struct conf_sub webhook_sub = {
    .opts = webhook_opts,
    .size = sizeof(struct conf_alert_webhook),
    .flags = CONF_SUB_OMIT_DEFAULT,
};

/* In the order they are printed. */
static const struct conf_opt alerts_opts[] = {
    {"max_alerts", CONF_T_UINT32, offsetof(struct conf_alerts, max_alerts),
     "1000", 1, 10000, 0, NULL, "most alerts accepted in one payload"},
    {"max_groups", CONF_T_UINT32, offsetof(struct conf_alerts, max_groups),
     "1000", 1, 100000, 0, NULL, "most alert groups with firing alerts held"},
    {"expire_after", CONF_T_DURATION,
     offsetof(struct conf_alerts, expire_after_ms), "0", 0, 30LL * 86400000,
     0, NULL, "forget a group not re-sent for this long (0: never)"},
    {"tokens", CONF_T_LIST, offsetof(struct conf_alerts, tokens), NULL, 0, 0,
     0, &tokens_sub.custom, "bearer tokens accepted by the intake endpoints"},
    {"rules", CONF_T_LIST, offsetof(struct conf_alerts, rules), NULL, 0, 0, 0,
     &rules_sub.custom,
     "label rules: first match maps an alert to a component status"},
    {"webhook", CONF_T_MAP, offsetof(struct conf_alerts, webhook), NULL, 0, 0,
     0, &webhook_sub.custom, "field mapping of the generic JSON webhook"},
    {NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL},
};

/* Printed only when configured, so configurations without alerts print
 * as before. */
const struct conf_sub pc_alerts_sub = {
    .opts = alerts_opts,
    .size = sizeof(struct conf_alerts),
    .flags = CONF_SUB_OMIT_DEFAULT,
};

/* "$.a.b" or "a.b": non-empty segments without spaces. */
static int
valid_path(const char *p)
{
    size_t seg = 0;

    if (strncmp(p, "$.", 2) == 0) {
        p += 2;
    }
    if (*p == '\0' || strlen(p) > 255) {
        return 0;
    }
    for (; *p; p++) {
        if (*p == '.') {
            if (seg == 0) {
                return 0;
            }
            seg = 0;
        } else if ((unsigned char)*p <= ' ' || *p == '[' || *p == ']') {
            return 0;
        } else {
            seg++;
        }
    }
    return seg > 0;
}

static int
valid_label(const char *name, const char *value)
{
    return name[0] != '\0' && strlen(name) <= CONF_ALERT_NAME_MAX &&
           strlen(value) <= CONF_ALERT_VALUE_MAX;
}

/* n: the tokens list (count items, pc_seq_of). */
static void
decode_tokens(const struct conf_node *n, size_t count, const char *file,
              struct conf_alerts *a, struct conf_errs *errs)
{
    a->tokens = ph_calloc(count, sizeof(*a->tokens));
    for (const struct conf_node *i = n->child; i && a->tokens; i = i->next) {
        struct conf_alert_token *ct = &a->tokens[a->ntokens];

        if (conf_decode(token_opts, i, ct, file, errs) != 0) {
            conf_free_fields(token_opts, ct);
            memset(ct, 0, sizeof(*ct));
            continue;
        }
        pc_resolve_token(ct->token_sha256, &ct->token_file, &ct->token_env,
                         i, file, errs);
        a->ntokens++;
    }
}

static void
decode_match(const struct conf_node *m, const char *file,
             struct conf_alert_rule *r, struct conf_errs *errs)
{
    size_t count = 0;

    if (m->type != CONF_MAP) {
        conf_err(errs, file, m->line, m->col,
                 "'match' must be a mapping of label: value");
        return;
    }
    for (const struct conf_node *l = m->child; l; l = l->next) {
        count++;
    }
    if (count == 0 || count > CONF_ALERT_MATCH_MAX) {
        conf_err(errs, file, m->line, m->col,
                 "'match' needs 1 to %d labels", CONF_ALERT_MATCH_MAX);
        return;
    }
    r->match = ph_calloc(count, sizeof(*r->match));
    for (const struct conf_node *l = m->child; l && r->match; l = l->next) {
        struct conf_alert_label *cl;

        if (l->type != CONF_SCALAR) {
            conf_err(errs, file, l->line, l->col,
                     "match '%s': the value must be a string", l->key);
            continue;
        }
        if (!valid_label(l->key, l->value)) {
            conf_err(errs, file, l->key_line, l->key_col,
                     "match '%s': label names are 1-%d bytes, values at "
                     "most %d",
                     l->key, CONF_ALERT_NAME_MAX, CONF_ALERT_VALUE_MAX);
            continue;
        }
        cl = &r->match[r->nmatch];
        cl->name = ph_strdup(l->key);
        cl->value = ph_strdup(l->value);
        r->nmatch++;
        if (cl->name == NULL || cl->value == NULL) {
            conf_err(errs, file, l->line, l->col, "out of memory");
        }
    }
}

/* n: the rules list (count items, pc_seq_of). */
static void
decode_rules(const struct conf_node *n, size_t count, const char *file,
             struct pharos_conf *cf, struct conf_errs *errs)
{
    struct conf_alerts *a = &cf->alerts;

    a->rules = ph_calloc(count, sizeof(*a->rules));
    for (const struct conf_node *i = n->child; i && a->rules; i = i->next) {
        struct conf_alert_rule *r = &a->rules[a->nrules];
        const struct conf_node *m;

        /* Kept even when invalid so pc_alerts_free() frees it. */
        a->nrules++;
        if (conf_decode(rule_opts, i, r, file, errs) != 0 &&
            i->type != CONF_MAP) {
            continue;
        }
        /* Go on after an error so every problem is reported. */
        m = pc_find_key(i, "match");
        if (m != NULL) {
            decode_match(m, file, r, errs);
        }
        if (r->component != NULL &&
            pharos_conf_component_index(cf, r->component) < 0) {
            conf_err(errs, file, i->line, i->col,
                     "alert rule: unknown component '%s'", r->component);
        }
        if (r->status != NULL &&
            !pc_in_list(r->status, alert_statuses,
                        sizeof(alert_statuses) / sizeof(alert_statuses[0]))) {
            conf_err(errs, file, i->line, i->col,
                     "alert rule: status must be degraded_performance, "
                     "partial_outage or major_outage, not '%s'",
                     r->status);
        }
    }
}

static void
decode_values(const struct conf_node *n, const char *file, char **out,
              size_t *ret_n, struct conf_errs *errs)
{
    if (n->type == CONF_SCALAR) {
        out[0] = ph_strdup(n->value);
        *ret_n = out[0] != NULL;
        return;
    }
    if (n->type != CONF_SEQ) {
        conf_err(errs, file, n->line, n->col, "'%s': expected a list",
                 n->key);
        return;
    }
    for (const struct conf_node *i = n->child; i; i = i->next) {
        if (i->type != CONF_SCALAR) {
            conf_err(errs, file, i->line, i->col,
                     "'%s': expected a list of strings", n->key);
            return;
        }
        if (*ret_n >= CONF_ALERT_VALUES_MAX) {
            conf_err(errs, file, i->line, i->col, "'%s': at most %d values",
                     n->key, CONF_ALERT_VALUES_MAX);
            return;
        }
        out[*ret_n] = ph_strdup(i->value);
        if (out[*ret_n] == NULL) {
            conf_err(errs, file, i->line, i->col, "out of memory");
            return;
        }
        (*ret_n)++;
    }
}

static void
decode_webhook(const struct conf_node *n, const char *file,
               struct conf_alert_webhook *w, struct conf_errs *errs)
{
    const struct conf_node *v;

    if (conf_decode(webhook_opts, n, w, file, errs) != 0) {
        return;
    }
    v = pc_find_key(n, "firing_values");
    if (v != NULL) {
        decode_values(v, file, w->firing_values, &w->nfiring_values, errs);
    }
    v = pc_find_key(n, "resolved_values");
    if (v != NULL) {
        decode_values(v, file, w->resolved_values, &w->nresolved_values,
                      errs);
    }
    if ((w->nfiring_values > 0) == (w->nresolved_values > 0)) {
        conf_err(errs, file, n->line, n->col,
                 "webhook: set one of firing_values or resolved_values");
    }
    if (!valid_path(w->key_field)) {
        conf_err(errs, file, n->line, n->col,
                 "webhook: key_field '%s' must look like $.name or $.a.b",
                 w->key_field);
    }
    if (!valid_path(w->status_field)) {
        conf_err(errs, file, n->line, n->col,
                 "webhook: status_field '%s' must look like $.name or $.a.b",
                 w->status_field);
    }
    if (w->labels_field != NULL && !valid_path(w->labels_field)) {
        conf_err(errs, file, n->line, n->col,
                 "webhook: labels_field '%s' must look like $.name or $.a.b",
                 w->labels_field);
    }
    w->enabled = 1;
}

void
pc_decode_alerts(const struct conf_node *root, const char *file,
                 struct pharos_conf *cf, struct conf_errs *errs)
{
    static const struct conf_node empty = {CONF_MAP, 1, 1, NULL, 0, 0,
                                           NULL, NULL, NULL};
    const struct conf_node *n = pc_find_key(root, "alerts");
    const struct conf_node *v;
    size_t count = 0;

    if (conf_decode(alerts_opts, n ? n : &empty, &cf->alerts, file, errs) !=
            0 &&
        (n == NULL || n->type != CONF_MAP)) {
        return;
    }
    if (n == NULL) {
        return;
    }
    v = pc_seq_of(n, "tokens", 0, CONF_ALERT_RULES_MAX, file, errs, &count);
    if (v != NULL) {
        decode_tokens(v, count, file, &cf->alerts, errs);
    }
    v = pc_seq_of(n, "rules", 0, CONF_ALERT_RULES_MAX, file, errs, &count);
    if (v != NULL) {
        decode_rules(v, count, file, cf, errs);
    }
    v = pc_find_key(n, "webhook");
    if (v != NULL) {
        decode_webhook(v, file, &cf->alerts.webhook, errs);
    }
}
