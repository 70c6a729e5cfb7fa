/*
 * components.c - the v1 API's components and groups joined to the
 * configuration (components.h).
 */
#include "components.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "mem.h"
#include "ph_err.h"
#include "store.h"

struct merge {
    struct pharos_conf *cf;
    size_t cap_c, cap_g;
    size_t over; /* components left out: the page had CONF_COMPONENTS_MAX */
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
    if (cf->ncomponents >= CONF_COMPONENTS_MAX) {
        m->over++;
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

/* The stored rows, copied (components_read). */
struct components_rows {
    struct store_group_row *g;
    size_t ng, capg;
    struct store_component_row *c;
    size_t nc, capc;
    int failed;
    /* The stored overrides ("override:<id>" values) of the ids asked
     * for and of the rows: "id value" pairs, NULL value for none. */
    char **ov_id, **ov_val;
    size_t nov;
};

static void
free_text(const char *s)
{
    ph_free((void *)(uintptr_t)s);
}

void
components_rows_free(struct components_rows *r)
{
    if (r == NULL) {
        return;
    }
    for (size_t i = 0; i < r->ng; i++) {
        free_text(r->g[i].id);
        free_text(r->g[i].name);
        free_text(r->g[i].description);
    }
    for (size_t i = 0; i < r->nc; i++) {
        free_text(r->c[i].id);
        free_text(r->c[i].name);
        free_text(r->c[i].description);
        free_text(r->c[i].group_id);
        free_text(r->c[i].start_date);
    }
    for (size_t i = 0; i < r->nov; i++) {
        ph_free(r->ov_id[i]);
        ph_free(r->ov_val[i]);
    }
    ph_free(r->ov_id);
    ph_free(r->ov_val);
    ph_free(r->g);
    ph_free(r->c);
    ph_free(r);
}

/* Grows *v (of size elem) to hold one more. 0 or PH_ENOMEM. */
static int
grow(void **v, size_t n, size_t *cap, size_t elem)
{
    void *nv;

    if (n < *cap) {
        return 0;
    }
    nv = ph_realloc(*v, (*cap * 2 + 16) * elem);
    if (nv == NULL) {
        return PH_ENOMEM;
    }
    *v = nv;
    *cap = *cap * 2 + 16;
    return 0;
}

static int
copy_group(const struct store_group_row *row, void *arg)
{
    struct components_rows *r = arg;
    struct store_group_row *g;

    if (grow((void **)&r->g, r->ng, &r->capg, sizeof(*r->g)) != 0) {
        r->failed = 1;
        return PH_ENOMEM;
    }
    g = &r->g[r->ng];
    *g = *row;
    g->id = ph_strdup(row->id);
    g->name = ph_strdup(row->name);
    g->description = dup_opt(row->description);
    r->ng++;
    if (g->id == NULL || g->name == NULL ||
        (row->description != NULL && g->description == NULL)) {
        r->failed = 1;
        return PH_ENOMEM;
    }
    return 0;
}

static int
copy_component(const struct store_component_row *row, void *arg)
{
    struct components_rows *r = arg;
    struct store_component_row *c;

    if (grow((void **)&r->c, r->nc, &r->capc, sizeof(*r->c)) != 0) {
        r->failed = 1;
        return PH_ENOMEM;
    }
    c = &r->c[r->nc];
    *c = *row;
    c->id = ph_strdup(row->id);
    c->name = ph_strdup(row->name);
    c->description = dup_opt(row->description);
    c->group_id = dup_opt(row->group_id);
    c->start_date = dup_opt(row->start_date);
    r->nc++;
    if (c->id == NULL || c->name == NULL ||
        (row->description != NULL && c->description == NULL) ||
        (row->group_id != NULL && c->group_id == NULL) ||
        (row->start_date != NULL && c->start_date == NULL)) {
        r->failed = 1;
        return PH_ENOMEM;
    }
    return 0;
}

int
components_read(struct store *s, struct components_rows **ret)
{
    struct components_rows *r = ph_calloc(1, sizeof(*r));
    int rc;

    if (r == NULL) {
        return PH_ENOMEM;
    }
    rc = store_list_groups(s, copy_group, r);
    if (rc == 0) {
        rc = store_list_components(s, copy_component, r);
    }
    if (r->failed || rc != 0) {
        rc = r->failed ? PH_ENOMEM : rc;
        components_rows_free(r);
        return rc;
    }
    *ret = r;
    return 0;
}

/* Reads the stored override of id into the next slot. */
static int
read_override(struct store *s, struct components_rows *r, const char *id)
{
    char key[160], val[64];

    r->ov_id[r->nov] = ph_strdup(id);
    if (r->ov_id[r->nov] == NULL) {
        return PH_ENOMEM;
    }
    snprintf(key, sizeof(key), "override:%s", id);
    if (store_kv_get(s, key, val, sizeof(val)) == 0) {
        r->ov_val[r->nov] = ph_strdup(val);
    }
    r->nov++;
    return 0;
}

int
components_read_overrides(struct store *s, struct components_rows *r,
                          const char *const *ids, size_t nids)
{
    size_t n = nids + r->nc;

    r->ov_id = ph_calloc(n + 1, sizeof(*r->ov_id));
    r->ov_val = ph_calloc(n + 1, sizeof(*r->ov_val));
    if (r->ov_id == NULL || r->ov_val == NULL) {
        return PH_ENOMEM;
    }
    for (size_t i = 0; i < nids; i++) {
        if (read_override(s, r, ids[i]) != 0) {
            return PH_ENOMEM;
        }
    }
    for (size_t i = 0; i < r->nc; i++) {
        if (read_override(s, r, r->c[i].id) != 0) {
            return PH_ENOMEM;
        }
    }
    return 0;
}

int
components_rows_override(const struct components_rows *r, const char *id,
                         char *ret, size_t len)
{
    for (size_t i = 0; r->ov_id != NULL && i < r->nov; i++) {
        if (strcmp(r->ov_id[i], id) == 0) {
            if (r->ov_val[i] == NULL) {
                return PH_ENOENT;
            }
            snprintf(ret, len, "%s", r->ov_val[i]);
            return 0;
        }
    }
    return 1; /* not read with the rows: ask the store */
}

void
components_rows_set_override(struct components_rows *r, const char *id,
                             const char *val)
{
    for (size_t i = 0; r->ov_id != NULL && i < r->nov; i++) {
        if (strcmp(r->ov_id[i], id) == 0) {
            char *v = ph_strdup(val);

            ph_free(r->ov_val[i]);
            r->ov_val[i] = v;
            if (v == NULL) {
                /* Not known now: dropped, the restore reads the store. */
                ph_free(r->ov_id[i]);
                r->nov--;
                r->ov_id[i] = r->ov_id[r->nov];
                r->ov_val[i] = r->ov_val[r->nov];
            }
            return;
        }
    }
}

int
components_merge_rows(struct pharos_conf *cf,
                      const struct components_rows *r)
{
    struct merge m = {cf, cf->ncomponents, cf->ngroups, 0, 0};

    for (size_t i = 0; i < r->ng && !m.failed; i++) {
        add_group(&r->g[i], &m);
    }
    for (size_t i = 0; i < r->nc && !m.failed; i++) {
        add_component(&r->c[i], &m);
    }
    if (m.over > 0) {
        /* The file grew past what the API had made room for: its own
         * components come first. */
        log_warnx("%zu component(s) created through the API are not shown: "
                  "the page has %d components, the most it can have",
                  m.over, CONF_COMPONENTS_MAX);
    }
    return m.failed ? PH_ENOMEM : 0;
}

int
components_merge(struct pharos_conf *cf, struct store *s)
{
    struct components_rows *r = NULL;
    int rc = components_read(s, &r);

    if (rc == 0) {
        rc = components_merge_rows(cf, r);
        components_rows_free(r);
    }
    return rc;
}
