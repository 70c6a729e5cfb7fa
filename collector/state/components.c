/*
 * components.c - the v1 API's components and groups joined to the
 * configuration (components.h).
 */
#include "components.h"

#include <string.h>

#include "log.h"
#include "mem.h"
#include "ph_err.h"
#include "store.h"

struct merge {
    struct pharos_conf *cf;
    size_t cap_c, cap_g;
    int failed;
};

static char *
dup_opt(const char *s)
{
    return s != NULL ? ph_strdup(s) : NULL;
}

static int
group_known(const struct pharos_conf *cf, const char *id)
{
    for (size_t g = 0; g < cf->ngroups; g++) {
        if (strcmp(cf->groups[g].id, id) == 0) {
            return 1;
        }
    }
    return 0;
}

static int
add_group(const struct store_group_row *row, void *arg)
{
    struct merge *m = arg;
    struct pharos_conf *cf = m->cf;
    struct conf_group *g;

    if (group_known(cf, row->id)) {
        log_warnx("component group %s is defined in the configuration file: "
                  "the one created through the API is not shown",
                  row->id);
        return 0;
    }
    if (cf->ngroups == m->cap_g) {
        size_t cap = m->cap_g * 2 + 8;
        struct conf_group *v = ph_realloc(cf->groups, cap * sizeof(*v));
        if (v == NULL) {
            m->failed = 1;
            return PH_ENOMEM;
        }
        memset(v + cf->ngroups, 0, (cap - cf->ngroups) * sizeof(*v));
        cf->groups = v;
        m->cap_g = cap;
    }
    g = &cf->groups[cf->ngroups];
    g->id = ph_strdup(row->id);
    g->name = ph_strdup(row->name);
    g->description = dup_opt(row->description);
    if (g->id == NULL || g->name == NULL ||
        (row->description != NULL && g->description == NULL)) {
        ph_free(g->id);
        ph_free(g->name);
        ph_free(g->description);
        memset(g, 0, sizeof(*g));
        m->failed = 1;
        return PH_ENOMEM;
    }
    g->position = (int)cf->ngroups + 1;
    g->api_owned = 1;
    cf->ngroups++;
    return 0;
}

static int
add_component(const struct store_component_row *row, void *arg)
{
    struct merge *m = arg;
    struct pharos_conf *cf = m->cf;
    struct conf_component *c;

    if (pharos_conf_component_index(cf, row->id) >= 0) {
        log_warnx("component %s is defined in the configuration file: the "
                  "one created through the API is not shown",
                  row->id);
        return 0;
    }
    if (cf->ncomponents == m->cap_c) {
        size_t cap = m->cap_c * 2 + 8;
        struct conf_component *v = ph_realloc(cf->components,
                                              cap * sizeof(*v));
        if (v == NULL) {
            m->failed = 1;
            return PH_ENOMEM;
        }
        memset(v + cf->ncomponents, 0, (cap - cf->ncomponents) * sizeof(*v));
        cf->components = v;
        m->cap_c = cap;
    }
    c = &cf->components[cf->ncomponents];
    c->id = ph_strdup(row->id);
    c->name = ph_strdup(row->name);
    c->description = dup_opt(row->description);
    /* A group deleted since: the component stands alone. */
    c->group = row->group_id != NULL && group_known(cf, row->group_id)
                   ? ph_strdup(row->group_id)
                   : NULL;
    c->start_date = dup_opt(row->start_date);
    if (c->id == NULL || c->name == NULL ||
        (row->description != NULL && c->description == NULL) ||
        (row->start_date != NULL && c->start_date == NULL)) {
        ph_free(c->id);
        ph_free(c->name);
        ph_free(c->description);
        ph_free(c->group);
        ph_free(c->start_date);
        memset(c, 0, sizeof(*c));
        m->failed = 1;
        return PH_ENOMEM;
    }
    c->showcase = row->showcase;
    c->only_show_if_degraded = row->only_show_if_degraded;
    c->internal = row->internal;
    c->api_owned = 1;
    c->position = (int)cf->ncomponents + 1;
    cf->ncomponents++;
    return 0;
}

int
components_merge(struct pharos_conf *cf, struct store *s)
{
    struct merge m = {cf, cf->ncomponents, cf->ngroups, 0};
    int rc;

    rc = store_list_groups(s, add_group, &m);
    if (rc == 0) {
        rc = store_list_components(s, add_component, &m);
    }
    if (m.failed) {
        return PH_ENOMEM;
    }
    return rc;
}
