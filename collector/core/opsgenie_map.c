/*
 * opsgenie_map.c - Opsgenie outgoing webhook payloads (jansson through
 * json.h); see opsgenie_map.h.
 */
#include "opsgenie_map.h"

#include <string.h>

#include "hook_parse.h"
#include "json.h"
#include "ph_err.h"
#include "token.h"

static const struct {
    const char *name;
    enum hook_action action;
} actions[] = {
    {"Create", HOOK_OPEN},
    {"Acknowledge", HOOK_ACK},
    {"AddNote", HOOK_NOTE},
    {"Close", HOOK_RESOLVE},
};

/* Strings of the array member key of alert into out (at most
 * HOOK_TAGS_MAX kept; longer entries are errors). */
static int
string_list(json_t *alert, const char *key, const char **out,
            size_t *ret_n, char *err, size_t errlen)
{
    json_t *v = json_object_get(alert, key), *item;
    size_t i;

    *ret_n = 0;
    if (v == NULL || json_is_null(v)) {
        return 0;
    }
    if (!json_is_array(v)) {
        return hook_fail(err, errlen, PH_EPARSE,
                         "alert.%s must be an array of strings", key);
    }
    json_array_foreach(v, i, item) {
        if (!json_is_string(item)) {
            return hook_fail(err, errlen, PH_EPARSE,
                             "alert.%s must be an array of strings", key);
        }
        if (json_string_length(item) > HOOK_FIELD_MAX) {
            return hook_fail(err, errlen, PH_ETOOBIG,
                             "alert.%s: an entry is longer than %d bytes",
                             key, HOOK_FIELD_MAX);
        }
        if (*ret_n < HOOK_TAGS_MAX) {
            out[(*ret_n)++] = json_string_value(item);
        }
    }
    return 0;
}

int
opsgenie_parse(const char *body, size_t len, struct hook_doc *ret,
               char *err, size_t errlen)
{
    struct hook_doc *d = ret;
    struct hook_event *ev = &d->ev;
    struct hook_arena ar;
    json_t *doc, *alert, *upd;
    const char *title = NULL, *note = NULL;
    int rc;

    memset(d, 0, sizeof(*d));
    err[0] = '\0';
    hook_arena_init(&ar, d->arena, sizeof(d->arena));
    rc = hook_load(body, len, &doc, err, errlen);
    if (rc != 0) {
        return rc;
    }
    d->doc = doc;
    rc = hook_str(doc, "action", 1, 64, "action", &ev->type, err, errlen);
    if (rc != 0) {
        goto out;
    }
    for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
        if (strcmp(ev->type, actions[i].name) == 0) {
            ev->action = actions[i].action;
        }
    }
    alert = json_object_get(doc, "alert");
    if (!json_is_object(alert)) {
        rc = hook_fail(err, errlen, PH_EPARSE, "alert must be an object");
        goto out;
    }
    rc = hook_str(alert, "alertId", 1, HOOK_ID_MAX, "alert.alertId",
                  &ev->external_id, err, errlen);
    if (rc == 0) {
        rc = hook_str(alert, "message", 0, SIZE_MAX, "alert.message", &title,
                      err, errlen);
    }
    if (rc == 0) {
        rc = hook_str(alert, "entity", 0, HOOK_FIELD_MAX, "alert.entity",
                      &ev->entity, err, errlen);
    }
    if (rc == 0) {
        rc = hook_str(alert, "priority", 0, HOOK_FIELD_MAX, "alert.priority",
                      &ev->priority, err, errlen);
    }
    if (rc == 0) {
        rc = hook_str(alert, "note", 0, SIZE_MAX, "alert.note", &note, err,
                      errlen);
    }
    if (rc == 0) {
        rc = string_list(alert, "tags", ev->tags, &ev->ntags, err, errlen);
    }
    if (rc == 0) {
        rc = string_list(alert, "teams", ev->teams, &ev->nteams, err,
                         errlen);
    }
    if (rc != 0) {
        goto out;
    }
    if (ev->entity != NULL && ev->entity[0] == '\0') {
        ev->entity = NULL; /* Opsgenie sends "" for none */
    }
    ev->title = title != NULL && title[0] != '\0'
                    ? hook_arena_cut(&ar, title, HOOK_TITLE_MAX)
                    : "Opsgenie alert";
    if (note != NULL) {
        ev->note = hook_arena_cut(&ar, note, HOOK_NOTE_MAX);
    }
    upd = json_object_get(alert, "updatedAt");
    if (json_is_integer(upd)) {
        ev->event_id = hook_arena_printf(&ar, "%s:%s:%" JSON_INTEGER_FORMAT,
                                         ev->external_id, ev->type,
                                         json_integer_value(upd));
    } else {
        char hash[TOKEN_HASH_HEX];

        /* No time to tell deliveries apart: the same body twice is a
         * replay. */
        token_hash(body, len, hash);
        ev->event_id = hook_arena_printf(&ar, "body:%s", hash);
    }
    if (ev->event_id == NULL) {
        rc = hook_fail(err, errlen, PH_ENOMEM, "out of room for the id");
        goto out;
    }
    return 0;
out:
    hook_doc_free(d);
    return rc;
}
