/*
 * templates.c - incident templates applied to edits (see templates.h).
 */
#include "templates.h"

#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "ph_err.h"
#include "incident_template.h"
#include "utf8.h"

int
templates_fill(struct hub *h, const char *tname, const char *title,
               struct inc_edit *e, struct inc_comp_change *changes,
               struct templates_text *buf, char *err, size_t errlen)
{
    const struct conf_template *t = pharos_conf_template(&h->conf, tname);
    struct template_values v;
    char names[1024];
    size_t off = 0;

    if (t == NULL) {
        snprintf(err, errlen, "unknown template %.64s", tname);
        return PH_ENOENT;
    }
    for (size_t i = 0; i < t->ncomponents; i++) {
        int idx = pharos_conf_component_index(&h->conf, t->comp_ids[i]);
        size_t k;

        if (idx < 0) {
            continue;
        }
        for (k = 0; k < e->nchanges; k++) {
            if (strcmp(changes[k].code, t->comp_ids[i]) == 0) {
                break;
            }
        }
        if (k < e->nchanges) {
            continue; /* the caller's status wins */
        }
        if (e->nchanges >= INC_COMPONENTS_MAX) {
            snprintf(err, errlen, "at most %d components", INC_COMPONENTS_MAX);
            return PH_ETOOBIG;
        }
        snprintf(changes[k].code, sizeof(changes[k].code), "%s",
                 t->comp_ids[i]);
        changes[k].status = comp_status_parse(t->comp_statuses[i]);
        changes[k].current = h->comps[idx].status;
        e->nchanges++;
    }
    /* {{component}}: the names of every component the incident names. */
    names[0] = '\0';
    for (size_t k = 0; k < e->nchanges && off < sizeof(names); k++) {
        int idx = pharos_conf_component_index(&h->conf, changes[k].code);
        const char *nm = idx >= 0 && h->conf.components[idx].name != NULL
                             ? h->conf.components[idx].name
                             : changes[k].code;
        int w = snprintf(names + off, sizeof(names) - off, "%s%s",
                         off ? ", " : "", nm);

        off += w > 0 ? (size_t)w : 0;
    }
    names[utf8_trim_partial(names, strnlen(names, sizeof(names)))] = '\0';
    v.components = names;
    v.title = title != NULL ? title : "";
    v.page = h->conf.page.name;
    if (e->name == NULL) {
        if (inc_template_render(t->title, &v, buf->name, sizeof(buf->name)) < 0) {
            snprintf(err, errlen, "template %s: the title is too long",
                     tname);
            return PH_ETOOBIG;
        }
        e->name = buf->name;
    }
    if (e->body == NULL) {
        if (inc_template_render(t->body, &v, buf->body, sizeof(buf->body)) < 0) {
            snprintf(err, errlen, "template %s: the body is too long", tname);
            return PH_ETOOBIG;
        }
        e->body = buf->body;
    }
    if (e->status < 0) {
        e->status = t->status; /* investigating, identified, monitoring */
    }
    return 0;
}
