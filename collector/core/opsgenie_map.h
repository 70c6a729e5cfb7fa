/*
 * opsgenie_map.h - Opsgenie outgoing webhook payloads parsed into a
 * struct hook_event (hook.h). Pure: no I/O, no clock.
 *
 * Opsgenie's Webhook integration posts {"action": "Create" |
 * "Acknowledge" | "AddNote" | "Close" | ..., "alert": {alertId, message,
 * tags, teams, entity, priority, note (AddNote), createdAt (ms),
 * updatedAt (ns)}, "source": {...}, "integrationId", "integrationName"}.
 * It carries no event id: the replay key is "<alertId>:<action>:
 * <updatedAt>", or the body's SHA-256 when updatedAt is absent.
 */
#ifndef PH_OPSGENIE_MAP_H
#define PH_OPSGENIE_MAP_H

#include <stddef.h>

#include "hook.h"

/*
 * Parses body[0..len) into *ret (zeroed first; free with hook_doc_free()
 * after success). Actions other than Create, Acknowledge, AddNote and
 * Close parse as HOOK_OTHER. Returns 0, or PH_EPARSE / PH_ETOOBIG /
 * PH_ENOMEM with a message in err (nothing to free then).
 */
int opsgenie_parse(const char *body, size_t len, struct hook_doc *ret,
                   char *err, size_t errlen);

#endif
