/*
 * alert_map.c - per-group alert state and the worst status per component
 * (see alert_map.h). Groups live in an unordered array (removal swaps the
 * last one in); each group's entries are sorted by component so two
 * states compare with memcmp-like loops.
 */
#include "alert_map.h"

#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "ph_err.h"

struct alert_group {
    char *key;
    struct alert_entry *entries;   /* sorted by component */
    size_t n;
    int64_t updated_ms;
};

struct alert_map {
    size_t ncomponents;
    const struct alert_rule *rules;
    size_t nrules;
    size_t max_groups;
    struct alert_group *groups;
    size_t ngroups;
    size_t cap;
};

struct alert_map *
alert_map_new(size_t ncomponents, const struct alert_rule *rules,
              size_t nrules, size_t max_groups)
{
    struct alert_map *m = ph_calloc(1, sizeof(*m));

    if (m == NULL) {
        return NULL;
    }
    m->ncomponents = ncomponents;
    m->rules = rules;
    m->nrules = nrules;
    m->max_groups = max_groups;
    return m;
}

static void
group_free(struct alert_group *g)
{
    ph_free(g->key);
    ph_free(g->entries);
    memset(g, 0, sizeof(*g));
}

void
alert_map_destroy(struct alert_map *m)
{
    if (m == NULL) {
        return;
    }
    for (size_t i = 0; i < m->ngroups; i++) {
        group_free(&m->groups[i]);
    }
    ph_free(m->groups);
    ph_free(m);
}

static const char *
label_value(const struct alert *a, const char *name)
{
    for (size_t i = 0; i < a->nlabels; i++) {
        if (a->labels[i].name != NULL &&
            strcmp(a->labels[i].name, name) == 0) {
            return a->labels[i].value;
        }
    }
    return NULL;
}

int
alert_map_match(const struct alert_map *m, const struct alert *a)
{
    for (size_t r = 0; r < m->nrules; r++) {
        const struct alert_rule *rule = &m->rules[r];
        size_t k;

        for (k = 0; k < rule->nmatch; k++) {
            const char *v = label_value(a, rule->match[k].name);
            if (v == NULL || strcmp(v, rule->match[k].value) != 0) {
                break;
            }
        }
        if (k == rule->nmatch && rule->nmatch > 0) {
            return (int)r;
        }
    }
    return -1;
}

static int
entry_cmp(const void *a, const void *b)
{
    const struct alert_entry *x = a, *y = b;

    return (x->component > y->component) - (x->component < y->component);
}

/* Adds (component, status) to entries[0..*n), keeping the worse status
 * when the component is already there. entries has room for
 * ncomponents. */
static void
entry_add(struct alert_entry *entries, size_t *n, int component,
          enum comp_status status)
{
    for (size_t i = 0; i < *n; i++) {
        if (entries[i].component == component) {
            if (status > entries[i].status) {
                entries[i].status = status;
            }
            return;
        }
    }
    entries[*n].component = component;
    entries[*n].status = status;
    (*n)++;
}

static struct alert_group *
find_group(const struct alert_map *m, const char *key)
{
    for (size_t i = 0; i < m->ngroups; i++) {
        if (strcmp(m->groups[i].key, key) == 0) {
            return &m->groups[i];
        }
    }
    return NULL;
}

static int
valid_entry(const struct alert_map *m, int component, enum comp_status s)
{
    return component >= 0 && (size_t)component < m->ncomponents &&
           s >= COMP_DEGRADED && s <= COMP_MAJOR;
}

/* Installs entries (taken, sorted here) as the state of key. */
static int
replace_group(struct alert_map *m, const char *key,
              struct alert_entry *entries, size_t n, int64_t now_ms)
{
    struct alert_group *g = find_group(m, key);
    int result;

    qsort(entries, n, sizeof(*entries), entry_cmp);
    if (g != NULL) {
        int same = g->n == n;

        for (size_t i = 0; same && i < n; i++) {
            same = g->entries[i].component == entries[i].component &&
                   g->entries[i].status == entries[i].status;
        }
        g->updated_ms = now_ms;
        if (same) {
            result = 0;
            goto out;
        }
        if (n == 0) {
            /* Nothing firing any more: forget the group. */
            group_free(g);
            *g = m->groups[--m->ngroups];
            result = 1;
            goto out;
        }
        ph_free(g->entries);
        g->entries = entries;
        g->n = n;
        entries = NULL;
        result = 1;
        goto out;
    }
    if (n == 0) {
        result = 0;
        goto out;
    }
    if (m->ngroups >= m->max_groups) {
        result = PH_ETOOBIG;
        goto out;
    }
    if (m->ngroups == m->cap) {
        size_t ncap = m->cap ? m->cap * 2 : 16;
        struct alert_group *ng = ph_realloc(m->groups, ncap * sizeof(*ng));
        if (ng == NULL) {
            result = PH_ENOMEM;
            goto out;
        }
        m->groups = ng;
        m->cap = ncap;
    }
    g = &m->groups[m->ngroups];
    memset(g, 0, sizeof(*g));
    g->key = ph_strdup(key);
    if (g->key == NULL) {
        result = PH_ENOMEM;
        goto out;
    }
    g->entries = entries;
    g->n = n;
    g->updated_ms = now_ms;
    entries = NULL;
    m->ngroups++;
    result = 1;
out:
    ph_free(entries);
    return result;
}

static int
valid_key(const char *key)
{
    size_t len = key != NULL ? strlen(key) : 0;

    return len > 0 && len <= ALERT_GROUP_KEY_MAX;
}

int
alert_map_update(struct alert_map *m, const char *key,
                 const struct alert *alerts, size_t n, int64_t now_ms,
                 size_t *ret_mapped)
{
    struct alert_entry *entries;
    size_t nentries = 0, mapped = 0;

    if (ret_mapped != NULL) {
        *ret_mapped = 0;
    }
    if (!valid_key(key)) {
        return PH_EINVAL;
    }
    entries = ph_calloc(m->ncomponents + 1, sizeof(*entries));
    if (entries == NULL) {
        return PH_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        int r = alert_map_match(m, &alerts[i]);
        const struct alert_rule *rule;

        if (r < 0) {
            continue;
        }
        mapped++;
        rule = &m->rules[r];
        if (alerts[i].firing &&
            valid_entry(m, rule->component, rule->status)) {
            entry_add(entries, &nentries, rule->component, rule->status);
        }
    }
    if (ret_mapped != NULL) {
        *ret_mapped = mapped;
    }
    return replace_group(m, key, entries, nentries, now_ms);
}

int
alert_map_set_group(struct alert_map *m, const char *key,
                    const struct alert_entry *in, size_t n, int64_t now_ms)
{
    struct alert_entry *entries;
    size_t nentries = 0;

    if (!valid_key(key)) {
        return PH_EINVAL;
    }
    entries = ph_calloc(m->ncomponents + 1, sizeof(*entries));
    if (entries == NULL) {
        return PH_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        if (valid_entry(m, in[i].component, in[i].status)) {
            entry_add(entries, &nentries, in[i].component, in[i].status);
        }
    }
    return replace_group(m, key, entries, nentries, now_ms);
}

size_t
alert_map_expire(struct alert_map *m, int64_t now_ms, int64_t ttl_ms)
{
    size_t removed = 0;

    if (ttl_ms <= 0) {
        return 0;
    }
    for (size_t i = 0; i < m->ngroups;) {
        if (m->groups[i].updated_ms < now_ms - ttl_ms) {
            group_free(&m->groups[i]);
            m->groups[i] = m->groups[--m->ngroups];
            removed++;
        } else {
            i++;
        }
    }
    return removed;
}

enum comp_status
alert_map_status(const struct alert_map *m, int component)
{
    enum comp_status worst = COMP_OPERATIONAL;

    for (size_t i = 0; i < m->ngroups; i++) {
        const struct alert_group *g = &m->groups[i];
        for (size_t k = 0; k < g->n; k++) {
            if (g->entries[k].component == component &&
                g->entries[k].status > worst) {
                worst = g->entries[k].status;
            }
        }
    }
    return worst;
}

void
alert_map_statuses(const struct alert_map *m, enum comp_status *out)
{
    for (size_t c = 0; c < m->ncomponents; c++) {
        out[c] = COMP_OPERATIONAL;
    }
    for (size_t i = 0; i < m->ngroups; i++) {
        const struct alert_group *g = &m->groups[i];
        for (size_t k = 0; k < g->n; k++) {
            const struct alert_entry *e = &g->entries[k];
            if (e->status > out[e->component]) {
                out[e->component] = e->status;
            }
        }
    }
}

size_t
alert_map_ngroups(const struct alert_map *m)
{
    return m->ngroups;
}

const char *
alert_map_group(const struct alert_map *m, size_t i,
                const struct alert_entry **ret_entries, size_t *ret_n)
{
    if (i >= m->ngroups) {
        *ret_entries = NULL;
        *ret_n = 0;
        return NULL;
    }
    *ret_entries = m->groups[i].entries;
    *ret_n = m->groups[i].n;
    return m->groups[i].key;
}
