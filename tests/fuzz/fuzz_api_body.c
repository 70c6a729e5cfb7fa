/*
 * fuzz_api_body.c - libFuzzer target for management API request bodies
 * (JSON or Rails-form, api_body.c) and the incident model fed from them:
 * any input must parse or be rejected cleanly, and whatever parses must
 * go through incident_apply() without crashing or leaking.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "api_body.h"
#include "incident.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *
str_at(json_t *doc, const char *key)
{
    json_t *inc = json_object_get(doc, "incident");
    json_t *v = json_object_get(json_is_object(inc) ? inc : doc, key);

    (void)api_body_bool(v);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *doc = NULL;
    char err[256];
    struct incident inc;
    struct inc_edit e;
    const char *st;

    if (api_body_parse((const char *)data, size, &doc, err, sizeof(err)) !=
        0) {
        return 0;
    }
    memset(&inc, 0, sizeof(inc));
    inc_edit_init(&e);
    e.name = str_at(doc, "name");
    e.body = str_at(doc, "body");
    st = str_at(doc, "status");
    e.status = st != NULL ? inc_status_parse(st) : -1;
    (void)str_at(doc, "deliver_notifications");
    if (incident_apply(&inc, "fuzzfuzzfuzz", "upd000000001", &e, 1000, err,
                       sizeof(err)) == 0) {
        /* A second edit on the created incident, same fields. */
        e.name = NULL;
        (void)incident_apply(&inc, inc.id, "upd000000002", &e, 2000, err,
                             sizeof(err));
        (void)incident_impact(&inc);
    }
    incident_free(&inc);
    json_decref(doc);
    return 0;
}
