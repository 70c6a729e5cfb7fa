/*
 * pagerduty_map.c - PagerDuty V3 webhook signatures (HMAC through
 * sign.c) and payloads (jansson through json.h); see pagerduty_map.h.
 */
#include "pagerduty_map.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hook_parse.h"
#include "json.h"
#include "ph_err.h"
#include "sign.h"
#include "timefmt.h"
#include "token.h"

int
pagerduty_verify(const char *header, const void *body, size_t len,
                 const char *const *secrets, size_t n)
{
    char want[PAGERDUTY_SIGS_MAX][TOKEN_HASH_HEX];
    size_t nwant = 0, hlen;
    const char *p;
    int found = -1;

    if (header == NULL || n == 0) {
        return -1;
    }
    hlen = strnlen(header, PAGERDUTY_SIG_HEADER_MAX + 1);
    if (hlen > PAGERDUTY_SIG_HEADER_MAX) {
        return -1;
    }
    /* Split on ',' and keep the v1 signatures, lowercased. */
    for (p = header; *p != '\0' && nwant < PAGERDUTY_SIGS_MAX;) {
        size_t seg = strcspn(p, ",");
        const char *s = p;
        size_t k = seg;

        while (k > 0 && (*s == ' ' || *s == '\t')) {
            s++;
            k--;
        }
        while (k > 0 && (s[k - 1] == ' ' || s[k - 1] == '\t')) {
            k--;
        }
        if (k == 67 && strncmp(s, "v1=", 3) == 0) {
            for (size_t i = 0; i < 64; i++) {
                char c = s[3 + i];
                want[nwant][i] = (c >= 'A' && c <= 'F') ? (char)(c + 32) : c;
            }
            want[nwant][64] = '\0';
            nwant++;
        }
        p += seg;
        if (*p == ',') {
            p++;
        }
    }
    for (size_t i = 0; i < n; i++) {
        uint8_t mac[32];
        char hex[TOKEN_HASH_HEX];

        if (secrets[i] == NULL ||
            sign_hmac_sha256(secrets[i], strlen(secrets[i]), body, len,
                             mac) != 0) {
            continue;
        }
        for (size_t b = 0; b < 32; b++) {
            snprintf(hex + 2 * b, 3, "%02x", mac[b]);
        }
        /* Every candidate is compared: no early exit on a match. */
        for (size_t k = 0; k < nwant; k++) {
            if (token_hash_equal(want[k], hex) && found < 0) {
                found = (int)i;
            }
        }
    }
    return found;
}

static const struct {
    const char *type;
    enum hook_action action;
} types[] = {
    {"incident.triggered", HOOK_OPEN},
    {"incident.acknowledged", HOOK_ACK},
    {"incident.annotated", HOOK_NOTE},
    {"incident.priority_updated", HOOK_PRIORITY},
    {"incident.resolved", HOOK_RESOLVE},
};

int
pagerduty_parse(const char *body, size_t len, struct hook_doc *ret,
                char *err, size_t errlen)
{
    struct hook_doc *d = ret;
    struct hook_event *ev = &d->ev;
    struct hook_arena ar;
    json_t *doc, *event, *data, *inc, *svc, *prio;
    const char *occurred;
    int rc;

    memset(d, 0, sizeof(*d));
    err[0] = '\0';
    hook_arena_init(&ar, d->arena, sizeof(d->arena));
    rc = hook_load(body, len, &doc, err, errlen);
    if (rc != 0) {
        return rc;
    }
    d->doc = doc;
    event = json_object_get(doc, "event");
    if (!json_is_object(event)) {
        rc = hook_fail(err, errlen, PH_EPARSE,
                       "not a V3 webhook: no \"event\" object");
        goto out;
    }
    rc = hook_str(event, "id", 1, HOOK_ID_MAX, "event.id", &ev->event_id, err,
                  errlen);
    if (rc == 0) {
        rc = hook_str(event, "event_type", 1, HOOK_ID_MAX, "event.event_type",
                      &ev->type, err, errlen);
    }
    if (rc == 0) {
        rc = hook_str(event, "occurred_at", 1, 64, "event.occurred_at",
                      &occurred, err, errlen);
    }
    if (rc != 0) {
        goto out;
    }
    if (time_parse_iso8601(occurred, &ev->occurred_ms) != 0) {
        rc = hook_fail(err, errlen, PH_EPARSE,
                       "event.occurred_at is not an ISO 8601 time");
        goto out;
    }
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        if (strcmp(ev->type, types[i].type) == 0) {
            ev->action = types[i].action;
        }
    }
    if (ev->action == HOOK_OTHER) {
        rc = 0; /* accepted, acted on by nobody */
        goto done;
    }
    data = json_object_get(event, "data");
    if (!json_is_object(data)) {
        rc = hook_fail(err, errlen, PH_EPARSE, "event.data must be an object");
        goto out;
    }
    if (ev->action == HOOK_NOTE) {
        /* incident_note: {incident: {id, html_url}, content} */
        const char *note;

        inc = json_object_get(data, "incident");
        if (!json_is_object(inc)) {
            rc = hook_fail(err, errlen, PH_EPARSE,
                           "event.data.incident must be an object");
            goto out;
        }
        rc = hook_str(inc, "id", 1, HOOK_ID_MAX, "event.data.incident.id",
                      &ev->external_id, err, errlen);
        if (rc == 0) {
            rc = hook_str(inc, "html_url", 0, HOOK_URL_MAX,
                          "event.data.incident.html_url", &ev->url, err,
                          errlen);
        }
        if (rc == 0) {
            rc = hook_str(data, "content", 1, SIZE_MAX,
                          "event.data.content", &note, err, errlen);
        }
        if (rc != 0) {
            goto out;
        }
        ev->note = hook_arena_cut(&ar, note, HOOK_NOTE_MAX);
        goto done;
    }
    /* incident: {id, html_url, title, service{id,summary}, priority
     * {summary} or null, urgency} */
    rc = hook_str(data, "id", 1, HOOK_ID_MAX, "event.data.id",
                  &ev->external_id, err, errlen);
    if (rc == 0) {
        rc = hook_str(data, "html_url", 0, HOOK_URL_MAX,
                      "event.data.html_url", &ev->url, err, errlen);
    }
    if (rc == 0) {
        const char *title;

        rc = hook_str(data, "title", 1, SIZE_MAX, "event.data.title", &title,
                      err, errlen);
        if (rc == 0) {
            ev->title = hook_arena_cut(&ar, title, HOOK_TITLE_MAX);
        }
    }
    if (rc == 0) {
        rc = hook_str(data, "urgency", 0, HOOK_FIELD_MAX, "event.data.urgency",
                      &ev->urgency, err, errlen);
    }
    if (rc != 0) {
        goto out;
    }
    svc = json_object_get(data, "service");
    if (!json_is_object(svc)) {
        rc = hook_fail(err, errlen, PH_EPARSE,
                       "event.data.service must be an object");
        goto out;
    }
    rc = hook_str(svc, "id", 1, HOOK_FIELD_MAX, "event.data.service.id",
                  &ev->service_id, err, errlen);
    if (rc == 0) {
        rc = hook_str(svc, "summary", 0, HOOK_FIELD_MAX,
                      "event.data.service.summary", &ev->service, err,
                      errlen);
    }
    prio = json_object_get(data, "priority");
    if (rc == 0 && prio != NULL && !json_is_null(prio)) {
        if (!json_is_object(prio)) {
            rc = hook_fail(err, errlen, PH_EPARSE,
                           "event.data.priority must be an object or null");
        } else {
            rc = hook_str(prio, "summary", 0, HOOK_FIELD_MAX,
                          "event.data.priority.summary", &ev->priority, err,
                          errlen);
        }
    }
    if (rc != 0) {
        goto out;
    }
done:
    if (ev->title == NULL || ev->title[0] == '\0') {
        ev->title = "PagerDuty incident";
    }
    return 0;
out:
    hook_doc_free(d);
    return rc;
}
