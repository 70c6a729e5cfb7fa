/*
 * store_codec.c - the text columns both backends use for an incident's
 * lists: component ids as "a b c", an update's affected components as
 * "code old new" triples separated by ';'. Pure (no database).
 */
#include "store_codec.h"

#include <stdio.h>
#include <string.h>

#include "mem.h"
#include "ph_err.h"

/* "a b c" from the incident's component ids. */
int
store_join_components(const struct incident *inc, struct buf *b)
{
    for (size_t i = 0; i < inc->ncomponents; i++) {
        if (buf_printf(b, "%s%s", i ? " " : "", inc->components[i]) != 0) {
            return PH_ENOMEM;
        }
    }
    return 0;
}

int
store_join_affected(const struct inc_update *u, struct buf *b)
{
    for (size_t i = 0; i < u->naffected; i++) {
        if (buf_printf(b, "%s%s %d %d", i ? ";" : "", u->affected[i].code,
                       (int)u->affected[i].old_status,
                       (int)u->affected[i].new_status) != 0) {
            return PH_ENOMEM;
        }
    }
    return 0;
}

/* Parses "a b c" into inc->components (unknown sizes are capped). */
int
store_split_components(struct incident *inc, const char *text)
{
    const char *p = text;

    while (*p != '\0' && inc->ncomponents < INC_COMPONENTS_MAX) {
        size_t n = strcspn(p, " ");
        char (*v)[CHECK_ID_MAX];

        if (n > 0 && n < CHECK_ID_MAX) {
            v = ph_realloc(inc->components,
                           (inc->ncomponents + 1) * sizeof(*v));
            if (v == NULL) {
                return PH_ENOMEM;
            }
            inc->components = v;
            memcpy(v[inc->ncomponents], p, n);
            v[inc->ncomponents][n] = '\0';
            inc->ncomponents++;
        }
        p += n;
        while (*p == ' ') {
            p++;
        }
    }
    return 0;
}

int
store_split_affected(struct inc_update *u, const char *text)
{
    const char *p = text;

    while (*p != '\0' && u->naffected < INC_COMPONENTS_MAX) {
        size_t n = strcspn(p, ";");
        char item[CHECK_ID_MAX + 32], code[CHECK_ID_MAX];
        int o, w;

        if (n > 0 && n < sizeof(item)) {
            memcpy(item, p, n);
            item[n] = '\0';
            if (sscanf(item, "%63s %d %d", code, &o, &w) == 3 && o >= 0 &&
                o <= COMP_MAINTENANCE && w >= 0 && w <= COMP_MAINTENANCE) {
                struct inc_affected *v = ph_realloc(
                    u->affected, (u->naffected + 1) * sizeof(*v));
                if (v == NULL) {
                    return PH_ENOMEM;
                }
                u->affected = v;
                memset(&v[u->naffected], 0, sizeof(*v));
                snprintf(v[u->naffected].code, CHECK_ID_MAX, "%s", code);
                v[u->naffected].old_status = (enum comp_status)o;
                v[u->naffected].new_status = (enum comp_status)w;
                u->naffected++;
            }
        }
        p += n;
        if (*p == ';') {
            p++;
        }
    }
    return 0;
}

