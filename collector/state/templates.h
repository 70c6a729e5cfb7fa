/*
 * templates.h - incidents.templates applied to an incident edit: what the
 * caller left unset (name, body, status, component statuses) comes from
 * the template, with {{component}}, {{title}} and {{page}} filled in.
 * Used by the v1 API (template field), pharosctl (--template, through
 * the API) and the PagerDuty / Opsgenie rules (hooks.c).
 */
#ifndef PH_TEMPLATES_H
#define PH_TEMPLATES_H

#include "hub.h"
#include "incident.h"

/* Rendered texts the edit points into; the caller keeps it alive. */
struct templates_text {
    char name[INC_NAME_MAX * 4 + 1];
    char body[4096];
};

/*
 * Fills e from template tname: name (rendered with title as {{title}}),
 * body and status when unset, and each of the template's components not
 * already in e->changes with its status (changes is e->changes, writable,
 * INC_COMPONENTS_MAX entries). Returns 0, or PH_ENOENT
 * (unknown template) / PH_ETOOBIG with a message in err.
 */
int templates_fill(struct hub *h, const char *tname, const char *title,
                   struct inc_edit *e, struct inc_comp_change *changes,
                   struct templates_text *buf, char *err, size_t errlen);

#endif
