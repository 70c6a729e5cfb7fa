/*
 * pharos_conf_templates.c - incidents.templates in pharos.yml: named
 * incident templates (title, body with {{field}} placeholders, status,
 * component statuses) used by the v1 API's template field, pharosctl
 * incident open --template and the integrations' rules.
 */
#include <stdio.h>
#include <string.h>

#include "mem.h"
#include "incident_template.h"
#include "pharos_conf_int.h"

#define TEMPLATE_TEXT_MAX 4000

/* In the order of conf_template.status (enum inc_status's first three). */
static const char *const status_names[] = {"investigating", "identified",
                                           "monitoring", NULL};
static const struct conf_custom status_custom = {.names = status_names};

static const char *const comp_statuses[] = {
    "operational", "degraded_performance", "partial_outage", "major_outage",
};

/* ---- components: a mapping of component id to status ---- */

static int
comps_decode(const struct conf_opt *o, const struct conf_node *n,
             void *base, const char *file, struct conf_errs *errs)
{
    struct conf_template *t = base;

    (void)o;
    if (n->type != CONF_MAP) {
        conf_err(errs, file, n->line, n->col,
                 "'components' must be a mapping of component: status");
        return -1;
    }
    for (const struct conf_node *c = n->child; c; c = c->next) {
        if (c->type != CONF_SCALAR) {
            conf_err(errs, file, c->line, c->col,
                     "component '%s': the status must be a string", c->key);
            return -1;
        }
        if (t->ncomponents >= CONF_TEMPLATE_COMPONENTS_MAX) {
            conf_err(errs, file, c->line, c->col,
                     "'components': at most %d", CONF_TEMPLATE_COMPONENTS_MAX);
            return -1;
        }
        if (!pc_in_list(c->value, comp_statuses,
                        sizeof(comp_statuses) / sizeof(comp_statuses[0]))) {
            conf_err(errs, file, c->line, c->col,
                     "component '%s': status must be operational, "
                     "degraded_performance, partial_outage or major_outage",
                     c->key);
            return -1;
        }
        t->comp_ids[t->ncomponents] = ph_strdup(c->key);
        t->comp_statuses[t->ncomponents] = ph_strdup(c->value);
        t->ncomponents++;
        if (t->comp_ids[t->ncomponents - 1] == NULL ||
            t->comp_statuses[t->ncomponents - 1] == NULL) {
            conf_err(errs, file, c->line, c->col, "out of memory");
            return -1;
        }
    }
    return 0;
}

static void
comps_print(const struct conf_opt *o, const void *base, const char *indent,
            struct buf *out)
{
    const struct conf_template *t = base;

    if (t->ncomponents == 0) {
        return;
    }
    buf_printf(out, "%s%s: {", indent, o->key);
    for (size_t i = 0; i < t->ncomponents; i++) {
        if (i > 0) {
            buf_appends(out, ", ");
        }
        conf_print_quoted(out, t->comp_ids[i]);
        buf_appends(out, ": ");
        conf_print_quoted(out, t->comp_statuses[i]);
    }
    buf_appends(out, "}\n");
}

static void
comps_release(const struct conf_opt *o, void *base)
{
    struct conf_template *t = base;

    (void)o;
    for (size_t i = 0; i < t->ncomponents; i++) {
        ph_free(t->comp_ids[i]);
        ph_free(t->comp_statuses[i]);
        t->comp_ids[i] = t->comp_statuses[i] = NULL;
    }
    t->ncomponents = 0;
}

static int
comps_copy(const struct conf_opt *o, void *dst, const void *src)
{
    struct conf_template *d = dst;
    const struct conf_template *s = src;

    (void)o;
    for (size_t i = 0; i < s->ncomponents; i++) {
        d->comp_ids[i] = ph_strdup(s->comp_ids[i]);
        d->comp_statuses[i] = ph_strdup(s->comp_statuses[i]);
        if (d->comp_ids[i] == NULL || d->comp_statuses[i] == NULL) {
            d->ncomponents = i + 1;
            return -1;
        }
    }
    return 0;
}

static int
comps_equal(const struct conf_opt *o, const void *a, const void *b)
{
    const struct conf_template *x = a, *y = b;

    (void)o;
    if (x->ncomponents != y->ncomponents) {
        return 0;
    }
    for (size_t i = 0; i < x->ncomponents; i++) {
        if (strcmp(x->comp_ids[i], y->comp_ids[i]) != 0 ||
            strcmp(x->comp_statuses[i], y->comp_statuses[i]) != 0) {
            return 0;
        }
    }
    return 1;
}

static const struct conf_custom comps_custom = {
    .decode = comps_decode,
    .print = comps_print,
    .release = comps_release,
    .copy = comps_copy,
    .equal = comps_equal,
};

static const struct conf_opt template_opts[] = {
    {"name", CONF_T_STR, offsetof(struct conf_template, name), NULL, 0, 0, 1,
     NULL, "what the API and pharosctl call it"},
    {"title", CONF_T_STR, offsetof(struct conf_template, title), NULL, 0, 0,
     1, NULL, "the incident's name; may hold {{component}}, {{title}}, "
              "{{page}}"},
    {"body", CONF_T_STR, offsetof(struct conf_template, body), NULL, 0, 0, 1,
     NULL, "the first update's text, with the same fields"},
    {"status", CONF_T_ENUM, offsetof(struct conf_template, status),
     "investigating", 0, 0, 0, &status_custom,
     "investigating, identified or monitoring"},
    {"components", CONF_T_CUSTOM, 0, NULL, 0, 0, 0, &comps_custom,
     "component: status set when the incident opens"},
    {NULL, 0, 0, NULL, 0, 0, 0, NULL, NULL},
};

const struct conf_sub pc_templates_sub = {
    .opts = template_opts,
    .size = sizeof(struct conf_template),
    .count_offset = offsetof(struct pharos_conf, ntemplates),
};

static void
check_text(const char *what, const char *text, const struct conf_node *n,
           const char *file, struct conf_errs *errs)
{
    char bad[TEMPLATE_FIELD_MAX + 1];

    if (text == NULL) {
        return;
    }
    if (strlen(text) > TEMPLATE_TEXT_MAX) {
        conf_err(errs, file, n->line, n->col,
                 "template %s: at most %d bytes", what, TEMPLATE_TEXT_MAX);
    }
    if (inc_template_check(text, bad) != 0 && bad[0] == '{') {
        conf_err(errs, file, n->line, n->col,
                 "template %s: '{{' without a closing '}}'", what);
    } else if (bad[0] != '\0') {
        conf_err(errs, file, n->line, n->col,
                 "template %s: unknown field '%s' (known: component, "
                 "components, title, page)",
                 what, bad);
    }
}

void
pc_decode_templates(const struct conf_node *root, const char *file,
                    struct pharos_conf *cf, struct conf_errs *errs)
{
    const struct conf_node *inc = pc_find_key(root, "incidents");
    const struct conf_node *list;
    size_t count = 0;

    if (inc == NULL || inc->type != CONF_MAP) {
        return;
    }
    list = pc_seq_of(inc, "templates", 0, CONF_TEMPLATES_MAX, file, errs,
                     &count);
    if (list == NULL) {
        return;
    }
    cf->templates = ph_calloc(count, sizeof(*cf->templates));
    if (cf->templates == NULL) {
        conf_err(errs, file, list->line, list->col, "out of memory");
        return;
    }
    for (const struct conf_node *i = list->child; i; i = i->next) {
        struct conf_template *t = &cf->templates[cf->ntemplates++];

        if (conf_decode(template_opts, i, t, file, errs) != 0 &&
            i->type != CONF_MAP) {
            continue;
        }
        if (t->name != NULL && !pc_valid_id(t->name, 0)) {
            conf_err(errs, file, i->line, i->col,
                     "template name '%s': 1-63 of a-z, 0-9, _ and -",
                     t->name);
        }
        for (size_t k = 0; t->name != NULL && k + 1 < cf->ntemplates; k++) {
            if (cf->templates[k].name != NULL &&
                strcmp(cf->templates[k].name, t->name) == 0) {
                conf_err(errs, file, i->line, i->col,
                         "template '%s' is defined twice", t->name);
            }
        }
        if (t->title != NULL && strlen(t->title) > 255) {
            conf_err(errs, file, i->line, i->col,
                     "template title: at most 255 bytes");
        }
        check_text("title", t->title, i, file, errs);
        check_text("body", t->body, i, file, errs);
        for (size_t k = 0; k < t->ncomponents; k++) {
            if (pharos_conf_component_index(cf, t->comp_ids[k]) < 0) {
                conf_err(errs, file, i->line, i->col,
                         "template '%s': unknown component '%s'",
                         t->name ? t->name : "?", t->comp_ids[k]);
            }
        }
    }
}
