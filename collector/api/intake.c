/*
 * intake.c - the alert intake endpoints (see intake.h): payload parsing
 * with jansson, bearer-token checks, the glue between alert_map.c and
 * the engine's alert layer, and persistence of group state in the kv
 * table (one JSON document under "alerts:groups").
 */
#include "intake.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "json.h"
#include "log.h"
#include "mem.h"
#include "ph_err.h"
#include "store.h"
#include "store_async.h"
#include "timefmt.h"
#include "token.h"
#include "utf8.h"

#define STATE_KEY "alerts:groups"
#define STATE_MAX (8 * 1024 * 1024) /* bytes of the saved group state */
#define PATH_SEGMENT_MAX 256
#define WEBHOOK_KEY_PREFIX "webhook:"

struct intake {
    struct alert_rule *rules;       /* from h->conf.alerts.rules */
    struct alert_label *matchers;   /* pool the rules point into */
    struct alert_map *map;
    enum comp_status *statuses;     /* scratch, ncomponents entries */
    size_t ncomponents;
    struct complain bad_payload;
    struct complain persist;
};

/* ---- parsing ---- */

static int
fail(char *errbuf, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
fail(char *errbuf, size_t errlen, int rc, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(errbuf, errlen, fmt, ap);
    va_end(ap);
    return rc;
}

static int
check_label(const char *name, const char *value, char *errbuf,
            size_t errlen)
{
    if (name[0] == '\0' || strlen(name) > ALERT_LABEL_NAME_MAX) {
        return fail(errbuf, errlen, PH_ETOOBIG,
                    "label names must be 1 to %d bytes",
                    ALERT_LABEL_NAME_MAX);
    }
    if (strlen(value) > ALERT_LABEL_VALUE_MAX) {
        return fail(errbuf, errlen, PH_ETOOBIG,
                    "label '%.*s': value longer than %d bytes",
                    (int)utf8_cut(name, strlen(name), 64), name,
                    ALERT_LABEL_VALUE_MAX);
    }
    return 0;
}

/* 1 if s is an RFC 3339 time after the epoch and at or before now_ms.
 * Alertmanager zeroes endsAt of firing alerts to 0001-01-01T00:00:00Z. */
static int
ended(const char *s, int64_t now_ms)
{
    int64_t at;

    if (s == NULL || strncmp(s, "0001-", 5) == 0 ||
        time_parse_iso8601(s, &at) != 0) {
        return 0;
    }
    return at > 0 && at <= now_ms;
}

void
intake_payload_free(struct intake_payload *p)
{
    if (p->doc != NULL) {
        json_decref((json_t *)p->doc);
    }
    ph_free(p->alerts);
    ph_free(p->labels);
    ph_free(p->arena);
    memset(p, 0, sizeof(*p));
}

static json_t *
load_object(const char *body, size_t len, char *errbuf, size_t errlen,
            int *ret_rc)
{
    struct ph_json_err jerr;
    json_t *doc;

    doc = ph_json_parse(body, len, PH_JSON_REJECT_DUPS, &jerr);
    if (doc == NULL) {
        *ret_rc = fail(errbuf, errlen, PH_EPARSE,
                       "malformed JSON at line %d column %d: %s", jerr.line,
                       jerr.column, jerr.text);
        return NULL;
    }
    if (!json_is_object(doc)) {
        json_decref(doc);
        *ret_rc = fail(errbuf, errlen, PH_EPARSE,
                       "the body must be a JSON object");
        return NULL;
    }
    *ret_rc = 0;
    return doc;
}

int
intake_parse_alertmanager(const char *body, size_t len, int64_t now_ms,
                          size_t max_alerts, struct intake_payload *ret,
                          char *errbuf, size_t errlen)
{
    struct intake_payload p;
    json_t *doc, *v, *alerts, *a;
    const char *version;
    size_t idx, nlabels = 0;
    int result;

    memset(&p, 0, sizeof(p));
    memset(ret, 0, sizeof(*ret));
    doc = load_object(body, len, errbuf, errlen, &result);
    if (doc == NULL) {
        return result;
    }
    p.doc = doc;
    version = json_string_value(json_object_get(doc, "version"));
    if (version == NULL ||
        (strcmp(version, "4") != 0 && strcmp(version, "1") != 0)) {
        result = fail(errbuf, errlen, PH_EPARSE,
                      "unsupported payload version (want \"4\")");
        goto out;
    }
    p.group_key = json_string_value(json_object_get(doc, "groupKey"));
    if (p.group_key == NULL || p.group_key[0] == '\0') {
        result = fail(errbuf, errlen, PH_EPARSE, "groupKey is missing");
        goto out;
    }
    if (strlen(p.group_key) > ALERT_GROUP_KEY_MAX) {
        result = fail(errbuf, errlen, PH_ETOOBIG,
                      "groupKey longer than %d bytes", ALERT_GROUP_KEY_MAX);
        goto out;
    }
    v = json_object_get(doc, "truncatedAlerts");
    p.truncated = json_is_integer(v) ? json_integer_value(v) : 0;
    alerts = json_object_get(doc, "alerts");
    if (!json_is_array(alerts)) {
        result = fail(errbuf, errlen, PH_EPARSE, "alerts must be an array");
        goto out;
    }
    if (json_array_size(alerts) > max_alerts) {
        result = fail(errbuf, errlen, PH_ETOOBIG,
                      "%zu alerts; at most %zu per payload (set max_alerts "
                      "in the webhook_config)",
                      json_array_size(alerts), max_alerts);
        goto out;
    }
    /* Validate and count first, so the label pool is allocated once. */
    json_array_foreach(alerts, idx, a) {
        json_t *labels = json_object_get(a, "labels");
        const char *status = json_string_value(json_object_get(a, "status"));
        const char *name;
        json_t *lv;

        if (!json_is_object(a) || !json_is_object(labels)) {
            result = fail(errbuf, errlen, PH_EPARSE,
                          "alerts[%zu]: labels must be an object", idx);
            goto out;
        }
        if (status == NULL ||
            (strcmp(status, "firing") != 0 &&
             strcmp(status, "resolved") != 0)) {
            result = fail(errbuf, errlen, PH_EPARSE,
                          "alerts[%zu]: status must be firing or resolved",
                          idx);
            goto out;
        }
        if (json_object_size(labels) > ALERT_LABELS_MAX) {
            result = fail(errbuf, errlen, PH_ETOOBIG,
                          "alerts[%zu]: more than %d labels", idx,
                          ALERT_LABELS_MAX);
            goto out;
        }
        json_object_foreach(labels, name, lv) {
            if (!json_is_string(lv)) {
                result = fail(errbuf, errlen, PH_EPARSE,
                              "alerts[%zu]: label values must be strings",
                              idx);
                goto out;
            }
            result = check_label(name, json_string_value(lv), errbuf,
                                 errlen);
            if (result != 0) {
                goto out;
            }
        }
        nlabels += json_object_size(labels);
    }
    p.nalerts = json_array_size(alerts);
    p.alerts = ph_calloc(p.nalerts + 1, sizeof(*p.alerts));
    p.labels = ph_calloc(nlabels + 1, sizeof(*p.labels));
    if (p.alerts == NULL || p.labels == NULL) {
        result = PH_ENOMEM;
        goto out;
    }
    json_array_foreach(alerts, idx, a) {
        json_t *labels = json_object_get(a, "labels");
        const char *status = json_string_value(json_object_get(a, "status"));
        const char *ends = json_string_value(json_object_get(a, "endsAt"));
        struct alert *al = &p.alerts[idx];
        const char *name;
        json_t *lv;

        al->firing = strcmp(status, "firing") == 0 && !ended(ends, now_ms);
        al->labels = &p.labels[p.nlabels];
        json_object_foreach(labels, name, lv) {
            p.labels[p.nlabels].name = name;
            p.labels[p.nlabels].value = json_string_value(lv);
            p.nlabels++;
            al->nlabels++;
        }
    }
    *ret = p;
    memset(&p, 0, sizeof(p));
    result = 0;
out:
    intake_payload_free(&p);
    return result;
}

/* Follows "$.a.b" (or "a.b") from doc; NULL if any step is missing. */
static json_t *
json_path(json_t *doc, const char *path)
{
    char seg[PATH_SEGMENT_MAX];
    json_t *cur = doc;

    if (strncmp(path, "$.", 2) == 0) {
        path += 2;
    }
    while (cur != NULL && *path != '\0') {
        size_t n = strcspn(path, ".");

        if (n == 0 || n >= sizeof(seg)) {
            return NULL;
        }
        memcpy(seg, path, n);
        seg[n] = '\0';
        cur = json_object_get(cur, seg);
        path += n;
        if (*path == '.') {
            path++;
        }
    }
    return cur;
}

static void
trim(char **s)
{
    char *p = *s;
    size_t n;

    while (*p == ' ' || *p == '\t') {
        p++;
    }
    n = strlen(p);
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t')) {
        p[--n] = '\0';
    }
    *s = p;
}

/* Appends the tag "name:value" (or a bare "name") found in arena at s;
 * s is modified in place. */
static int
add_tag(struct intake_payload *p, char *s, char *errbuf, size_t errlen)
{
    char *colon;
    char *name, *value;

    trim(&s);
    if (*s == '\0') {
        return 0;
    }
    colon = strchr(s, ':');
    name = s;
    value = "";
    if (colon != NULL) {
        *colon = '\0';
        value = colon + 1;
        trim(&name);
        trim(&value);
    }
    /* One label is kept for alertname. */
    if (p->nlabels >= ALERT_LABELS_MAX - 1) {
        return fail(errbuf, errlen, PH_ETOOBIG, "more than %d labels",
                    ALERT_LABELS_MAX - 1);
    }
    if (check_label(name, value, errbuf, errlen) != 0) {
        return PH_ETOOBIG;
    }
    p->labels[p->nlabels].name = name;
    p->labels[p->nlabels].value = value;
    p->nlabels++;
    return 0;
}

/* Bytes the arena needs for v's strings (each plus a NUL). */
static size_t
tags_size(json_t *v)
{
    size_t n = 0, i;
    json_t *item;

    if (json_is_string(v)) {
        return json_string_length(v) + 1;
    }
    json_array_foreach(v, i, item) {
        if (json_is_string(item)) {
            n += json_string_length(item) + 1;
        }
    }
    return n;
}

static int
webhook_labels(struct intake_payload *p, json_t *v, char **pos,
               char *errbuf, size_t errlen)
{
    const char *name;
    json_t *item;
    size_t i;
    int rc;

    if (json_is_object(v)) {
        if (json_object_size(v) > ALERT_LABELS_MAX - 1) {
            return fail(errbuf, errlen, PH_ETOOBIG, "more than %d labels",
                        ALERT_LABELS_MAX - 1);
        }
        json_object_foreach(v, name, item) {
            /* Non-string values (numbers, null) are not labels. */
            if (!json_is_string(item)) {
                continue;
            }
            rc = check_label(name, json_string_value(item), errbuf, errlen);
            if (rc != 0) {
                return rc;
            }
            p->labels[p->nlabels].name = name;
            p->labels[p->nlabels].value = json_string_value(item);
            p->nlabels++;
        }
        return 0;
    }
    if (json_is_string(v)) {
        /* Datadog's $TAGS: "monitor, name:svc, role:x". */
        char *s = *pos;
        char *tok;

        memcpy(s, json_string_value(v), json_string_length(v) + 1);
        *pos += json_string_length(v) + 1;
        /* Embedded NULs end the string early; harmless. */
        while ((tok = strsep(&s, ",")) != NULL) {
            rc = add_tag(p, tok, errbuf, errlen);
            if (rc != 0) {
                return rc;
            }
        }
        return 0;
    }
    if (json_is_array(v)) {
        json_array_foreach(v, i, item) {
            char *s = *pos;

            if (!json_is_string(item)) {
                continue;
            }
            memcpy(s, json_string_value(item), json_string_length(item) + 1);
            *pos += json_string_length(item) + 1;
            rc = add_tag(p, s, errbuf, errlen);
            if (rc != 0) {
                return rc;
            }
        }
        return 0;
    }
    if (v == NULL || json_is_null(v)) {
        return 0;
    }
    return fail(errbuf, errlen, PH_EPARSE,
                "labels must be an object, a string or an array");
}

static int
in_values(const char *s, char *const *values, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(s, values[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

int
intake_parse_webhook(const struct conf_alert_webhook *w, const char *body,
                     size_t len, struct intake_payload *ret, char *errbuf,
                     size_t errlen)
{
    struct intake_payload p;
    json_t *doc, *kv, *sv, *lv = NULL;
    char keytext[64];
    const char *key, *status;
    size_t keylen, arena_len;
    char *pos;
    int result;

    memset(&p, 0, sizeof(p));
    memset(ret, 0, sizeof(*ret));
    doc = load_object(body, len, errbuf, errlen, &result);
    if (doc == NULL) {
        return result;
    }
    p.doc = doc;
    kv = json_path(doc, w->key_field);
    if (json_is_integer(kv)) {
        /* Datadog ids are strings, other tools send numbers. */
        snprintf(keytext, sizeof(keytext), "%" JSON_INTEGER_FORMAT,
                 json_integer_value(kv));
        key = keytext;
    } else {
        key = json_string_value(kv);
    }
    if (key == NULL || key[0] == '\0') {
        result = fail(errbuf, errlen, PH_EPARSE,
                      "%s is missing or not a string", w->key_field);
        goto out;
    }
    keylen = strlen(key);
    if (keylen + strlen(WEBHOOK_KEY_PREFIX) > ALERT_GROUP_KEY_MAX ||
        keylen > ALERT_LABEL_VALUE_MAX) {
        result = fail(errbuf, errlen, PH_ETOOBIG, "%s longer than %d bytes",
                      w->key_field, ALERT_LABEL_VALUE_MAX);
        goto out;
    }
    sv = json_path(doc, w->status_field);
    status = json_string_value(sv);
    if (status == NULL) {
        result = fail(errbuf, errlen, PH_EPARSE,
                      "%s is missing or not a string", w->status_field);
        goto out;
    }
    if (w->labels_field != NULL) {
        lv = json_path(doc, w->labels_field);
    }
    arena_len = 2 * (keylen + strlen(WEBHOOK_KEY_PREFIX) + 1) + tags_size(lv);
    p.arena = ph_malloc(arena_len);
    p.alerts = ph_calloc(1, sizeof(*p.alerts));
    p.labels = ph_calloc(ALERT_LABELS_MAX + 1, sizeof(*p.labels));
    if (p.arena == NULL || p.alerts == NULL || p.labels == NULL) {
        result = PH_ENOMEM;
        goto out;
    }
    pos = p.arena;
    /* The key is copied: keytext is on this stack. */
    snprintf(pos, arena_len, "%s%s", WEBHOOK_KEY_PREFIX, key);
    p.group_key = pos;
    pos += strlen(pos) + 1;
    result = webhook_labels(&p, lv, &pos, errbuf, errlen);
    if (result != 0) {
        goto out;
    }
    {
        size_t k;
        for (k = 0; k < p.nlabels; k++) {
            if (strcmp(p.labels[k].name, "alertname") == 0) {
                break;
            }
        }
        if (k == p.nlabels && p.nlabels < ALERT_LABELS_MAX) {
            p.labels[p.nlabels].name = "alertname";
            p.labels[p.nlabels].value =
                p.group_key + strlen(WEBHOOK_KEY_PREFIX);
            p.nlabels++;
        }
    }
    p.nalerts = 1;
    p.alerts[0].labels = p.labels;
    p.alerts[0].nlabels = p.nlabels;
    if (w->nfiring_values > 0) {
        p.alerts[0].firing =
            in_values(status, w->firing_values, w->nfiring_values);
    } else {
        p.alerts[0].firing =
            !in_values(status, w->resolved_values, w->nresolved_values);
    }
    *ret = p;
    memset(&p, 0, sizeof(p));
    result = 0;
out:
    intake_payload_free(&p);
    return result;
}

/* ---- state ---- */

static void
intake_destroy(struct intake *in)
{
    if (in == NULL) {
        return;
    }
    alert_map_destroy(in->map);
    ph_free(in->rules);
    ph_free(in->matchers);
    ph_free(in->statuses);
    ph_free(in);
}

/* Rules and the map for cf; the rules borrow cf's strings. */
static struct intake *
intake_build(const struct pharos_conf *cf)
{
    const struct conf_alerts *a = &cf->alerts;
    struct intake *in = ph_calloc(1, sizeof(*in));
    size_t nm = 0, pos = 0;

    if (in == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < a->nrules; i++) {
        nm += a->rules[i].nmatch;
    }
    in->ncomponents = cf->ncomponents;
    in->rules = ph_calloc(a->nrules + 1, sizeof(*in->rules));
    in->matchers = ph_calloc(nm + 1, sizeof(*in->matchers));
    in->statuses = ph_calloc(cf->ncomponents + 1, sizeof(*in->statuses));
    if (in->rules == NULL || in->matchers == NULL || in->statuses == NULL) {
        intake_destroy(in);
        return NULL;
    }
    for (size_t i = 0; i < a->nrules; i++) {
        const struct conf_alert_rule *cr = &a->rules[i];
        struct alert_rule *r = &in->rules[i];
        int s = comp_status_parse(cr->status);

        r->match = &in->matchers[pos];
        for (size_t k = 0; k < cr->nmatch; k++) {
            in->matchers[pos].name = cr->match[k].name;
            in->matchers[pos].value = cr->match[k].value;
            pos++;
        }
        r->nmatch = cr->nmatch;
        r->component = pharos_conf_component_index(cf, cr->component);
        r->status = s < 0 ? COMP_OPERATIONAL : (enum comp_status)s;
    }
    in->map = alert_map_new(cf->ncomponents, in->rules, a->nrules,
                            a->max_groups);
    if (in->map == NULL) {
        intake_destroy(in);
        return NULL;
    }
    return in;
}

/* Pushes the map's statuses into the engine's alert layer. */
static void
apply_statuses(struct hub *h)
{
    struct intake *in = h->intake;

    alert_map_statuses(in->map, in->statuses);
    for (size_t i = 0; i < in->ncomponents; i++) {
        char reason[ENGINE_REASON_MAX / 2];
        size_t off = 0;

        reason[0] = '\0';
        /* The groups holding the component at its worst status. */
        for (size_t g = 0; g < alert_map_ngroups(in->map) &&
                           in->statuses[i] != COMP_OPERATIONAL;
             g++) {
            const struct alert_entry *ent;
            size_t n;
            const char *key = alert_map_group(in->map, g, &ent, &n);

            for (size_t k = 0; k < n; k++) {
                if (ent[k].component == (int)i &&
                    ent[k].status == in->statuses[i] && off < sizeof(reason)) {
                    int w = snprintf(reason + off, sizeof(reason) - off,
                                     "%sgroup %s says %s", off ? "; " : "",
                                     key,
                                     comp_status_name(ent[k].status));
                    off += w > 0 ? (size_t)w : 0;
                }
            }
        }
        /* snprintf cut the text at the cap, maybe inside a multi-byte
         * group key: end it on a character boundary. */
        reason[utf8_trim_partial(reason, strlen(reason))] = '\0';
        engine_set_alert_reason(h->engine, (int)i, reason);
        engine_set_alert(h->engine, (int)i, in->statuses[i]);
    }
}

/* {"v":1,"groups":[{"key":K,"components":{"api":"major_outage"}}]},
 * components by id so a reload or restart can re-index them. */
static json_t *
state_doc(const struct alert_map *m, const struct pharos_conf *cf)
{
    json_t *doc = json_object();
    json_t *groups = json_array();

    if (doc == NULL || groups == NULL) {
        json_decref(doc);
        json_decref(groups);
        return NULL;
    }
    json_object_set_new(doc, "v", json_integer(1));
    for (size_t i = 0; i < alert_map_ngroups(m); i++) {
        const struct alert_entry *e;
        size_t n;
        const char *key = alert_map_group(m, i, &e, &n);
        json_t *g = json_object();
        json_t *comps = json_object();

        for (size_t k = 0; k < n; k++) {
            json_object_set_new(comps, cf->components[e[k].component].id,
                                json_string(comp_status_name(e[k].status)));
        }
        json_object_set_new(g, "key", json_string(key));
        json_object_set_new(g, "components", comps);
        json_array_append_new(groups, g);
    }
    json_object_set_new(doc, "groups", groups);
    return doc;
}

/* Sets the groups of doc into m, mapping component ids through cf. */
static void
load_state(struct alert_map *m, const struct pharos_conf *cf, json_t *doc,
           int64_t now_ms)
{
    struct alert_entry *entries;
    json_t *g;
    size_t i;

    entries = ph_calloc(cf->ncomponents + 1, sizeof(*entries));
    if (entries == NULL) {
        log_warnx("alerts: out of memory restoring alert groups");
        return;
    }
    json_array_foreach(json_object_get(doc, "groups"), i, g) {
        const char *key = json_string_value(json_object_get(g, "key"));
        json_t *comps = json_object_get(g, "components");
        const char *id;
        json_t *st;
        size_t n = 0;

        if (key == NULL) {
            continue;
        }
        json_object_foreach(comps, id, st) {
            int ci = pharos_conf_component_index(cf, id);
            int s = json_is_string(st)
                        ? comp_status_parse(json_string_value(st))
                        : -1;
            if (ci >= 0 && s > 0 && n < cf->ncomponents) {
                entries[n].component = ci;
                entries[n].status = (enum comp_status)s;
                n++;
            }
        }
        if (alert_map_set_group(m, key, entries, n, now_ms) < 0) {
            log_warnx("alerts: cannot restore group %.80s", key);
        }
    }
    ph_free(entries);
}

/* The outcome of the alert groups' write (store_async.h). */
static void
on_persisted(int result, const char *errmsg, void *arg)
{
    struct hub *h = arg;

    if (result != 0 && h->intake != NULL) {
        complain(&h->intake->persist, time_mono_ms(),
                 "alerts: cannot save alert groups in the store: %s",
                 errmsg);
    }
}

static void
persist(struct hub *h)
{
    json_t *doc = state_doc(h->intake->map, &h->conf);
    char *text = NULL;
    size_t len = 0;

    if (ph_json_dump(doc, 0, STATE_MAX, &text, &len) != 0) {
        complain(&h->intake->persist, time_mono_ms(),
                 "alerts: cannot save alert groups (out of memory or over "
                 "%d bytes); a restart would forget them",
                 STATE_MAX);
        return;
    }
    if (store_kv_set_async(h->store, STATE_KEY, text, on_persisted, h) !=
        0) {
        complain(&h->intake->persist, time_mono_ms(),
                 "alerts: cannot save alert groups: out of memory");
    }
    ph_free(text);
}

int
intake_start(struct hub *h)
{
    char *text = NULL;
    json_t *doc = NULL;
    int result;

    h->intake = intake_build(&h->conf);
    if (h->intake == NULL) {
        result = PH_ENOMEM;
        goto out;
    }
    text = ph_malloc(STATE_MAX + 1);
    if (text == NULL) {
        result = PH_ENOMEM;
        goto out;
    }
    if (store_kv_get(h->store, STATE_KEY, text, STATE_MAX + 1) == 0) {
        doc = ph_json_parse(text, strlen(text), 0, NULL);
        if (doc == NULL) {
            log_warnx("alerts: saved alert groups are unreadable; starting "
                      "without them");
        } else {
            load_state(h->intake->map, &h->conf, doc, time_now_ms());
            if (alert_map_ngroups(h->intake->map) > 0) {
                log_info("alerts: restored %zu alert group(s) with firing "
                         "alerts",
                         alert_map_ngroups(h->intake->map));
            }
        }
    }
    apply_statuses(h);
    result = 0;
out:
    json_decref(doc);
    ph_free(text);
    return result;
}

void
intake_reload(struct hub *h, const struct pharos_conf *old)
{
    struct intake *ni = intake_build(&h->conf);
    json_t *doc = NULL;

    if (ni != NULL && h->intake != NULL) {
        doc = state_doc(h->intake->map, old);
        if (doc == NULL) {
            log_warnx("reload: out of memory; alert groups are forgotten");
        } else {
            load_state(ni->map, &h->conf, doc, time_now_ms());
        }
    }
    json_decref(doc);
    if (ni == NULL) {
        /* Keep the old rules: their strings belong to old, so drop
         * them and serve with no rules rather than dangling ones. */
        log_warnx("reload: out of memory; alert intake is disabled");
        intake_destroy(h->intake);
        h->intake = NULL;
        return;
    }
    intake_destroy(h->intake);
    h->intake = ni;
    apply_statuses(h);
    persist(h);
}

void
intake_free(struct hub *h)
{
    intake_destroy(h->intake);
    h->intake = NULL;
}

void
intake_tick(struct hub *h, int64_t now_ms)
{
    size_t n;

    if (h->intake == NULL || h->conf.alerts.expire_after_ms == 0) {
        return;
    }
    n = alert_map_expire(h->intake->map, now_ms,
                         h->conf.alerts.expire_after_ms);
    if (n > 0) {
        log_info("alerts: %zu alert group(s) expired (not re-sent for %u "
                 "ms)",
                 n, h->conf.alerts.expire_after_ms);
        apply_statuses(h);
        persist(h);
    }
}

size_t
intake_ngroups(const struct hub *h)
{
    return h->intake != NULL ? alert_map_ngroups(h->intake->map) : 0;
}

/* ---- HTTP ---- */

/* Returns who sent the request: an alerts token's name, or an API key
 * of scope write (auth_api_key fills a 401/403 and logs otherwise). */
static const char *
authorize(struct hub *h, struct http_request *req,
          struct http_response *resp)
{
    const char *hdr = http_req_header(req, "Authorization");
    const struct conf_alerts *a = &h->conf.alerts;
    const char *found = NULL;

    if (hdr != NULL && strncasecmp(hdr, "Bearer ", 7) == 0) {
        const char *tok = hdr + 7;
        size_t len;
        char hash[TOKEN_HASH_HEX];

        while (*tok == ' ') {
            tok++;
        }
        len = strlen(tok);
        if (len > 0 && len <= TOKEN_MAX) {
            token_hash(tok, len, hash);
            /* Every token is compared, each in constant time. */
            for (size_t i = 0; i < a->ntokens; i++) {
                if (token_hash_equal(a->tokens[i].token_sha256, hash)) {
                    found = a->tokens[i].name;
                }
            }
        }
    }
    if (found != NULL) {
        char bucket[96];

        /* Alert tokens share the API's per-key budget, one bucket each:
         * a flooding sender gets 429 instead of the loop's time. */
        snprintf(bucket, sizeof(bucket), "alert token %s", found);
        return auth_rate_check(h, bucket, resp) == 0 ? found : NULL;
    }
    return auth_api_key(h, req, SCOPE_WRITE, resp, NULL);
}

static void
reject(struct hub *h, struct http_request *req,
       struct http_response *resp, const char *what, int rc,
       const char *msg)
{
    h->metrics.alert_payloads_rejected++;
    complain(&h->intake->bad_payload, time_mono_ms(),
             "alerts: rejected %s payload from %s: %s", what,
             http_req_client(req), msg);
    if (rc == PH_ETOOBIG) {
        http_resp_error(resp, 413, "payload_too_large", msg);
    } else if (rc == PH_ENOMEM) {
        http_resp_error(resp, 500, "internal", "out of memory");
    } else {
        http_resp_error(resp, 400, "bad_request", msg);
    }
}

/* Applies a parsed payload and answers. */
static void
apply(struct hub *h, const char *who, const char *what,
      const struct intake_payload *p, struct http_response *resp)
{
    int64_t now = time_now_ms();
    size_t mapped = 0;
    char body[160];
    int rc;

    h->metrics.alert_payloads++;
    h->metrics.alerts_received += p->nalerts;
    if (p->truncated > 0) {
        complain(&h->intake->bad_payload, now,
                 "alerts: %s dropped %lld alert(s) of group %.80s "
                 "(max_alerts); they cannot affect the page",
                 who, (long long)p->truncated, p->group_key);
    }
    rc = alert_map_update(h->intake->map, p->group_key, p->alerts,
                          p->nalerts, now, &mapped);
    h->metrics.alerts_mapped += mapped;
    if (rc == PH_ETOOBIG) {
        h->metrics.alert_payloads_rejected++;
        complain(&h->intake->bad_payload, now,
                 "alerts: %s: more than %u groups with firing alerts; "
                 "group %.80s ignored",
                 who, h->conf.alerts.max_groups, p->group_key);
        http_resp_error(resp, 429, "too_many_groups",
                        "too many alert groups with firing alerts "
                        "(alerts.max_groups)");
        return;
    }
    if (rc < 0) {
        http_resp_error(resp, 500, "internal", ph_strerror(rc));
        return;
    }
    if (rc == 1) {
        log_info("alerts: %s (%s) changed group %.80s: %zu alert(s), %zu "
                 "mapped",
                 who, what, p->group_key, p->nalerts, mapped);
        apply_statuses(h);
        persist(h);
        hub_request_evaluate(h);
    }
    snprintf(body, sizeof(body),
             "{\"status\":\"ok\",\"alerts\":%zu,\"mapped\":%zu,"
             "\"changed\":%s}\n",
             p->nalerts, mapped, rc == 1 ? "true" : "false");
    http_resp_text(resp, 200, "application/json", body);
    resp->cache_control = "no-store";
}

/* A source's parser: the body into p, or PH_E* with a message in err. */
typedef int (*parse_fn)(const struct hub *h, const char *body, size_t len,
                        struct intake_payload *p, char *err, size_t errlen);

static int
parse_alertmanager(const struct hub *h, const char *body, size_t len,
                   struct intake_payload *p, char *err, size_t errlen)
{
    return intake_parse_alertmanager(body, len, time_now_ms(),
                                     h->conf.alerts.max_alerts, p, err,
                                     errlen);
}

static int
parse_webhook(const struct hub *h, const char *body, size_t len,
              struct intake_payload *p, char *err, size_t errlen)
{
    return intake_parse_webhook(&h->conf.alerts.webhook, body, len, p, err,
                                errlen);
}

/* The two endpoints differ only in their parser and whether they are
 * configured. */
static void
receive(struct api_req *rq, struct http_request *req,
        struct http_response *resp, const char *what, parse_fn parse)
{
    struct hub *h = rq->h;
    struct intake_payload p;
    char err[INTAKE_ERR_MAX];
    const char *who;
    const uint8_t *body;
    size_t len;
    int rc;

    if ((who = authorize(h, req, resp)) == NULL) {
        return;
    }
    rq->actor = who; /* alert-token writes are audited too */
    if (parse == parse_webhook && !h->conf.alerts.webhook.enabled) {
        http_resp_error(resp, 404, "not_found",
                        "alerts.webhook is not configured");
        return;
    }
    if (h->intake == NULL) {
        http_resp_error(resp, 503, "unavailable", "alert intake is down");
        return;
    }
    body = http_req_body(req, &len);
    rc = parse(h, (const char *)body, len, &p, err, sizeof(err));
    if (rc != 0) {
        reject(h, req, resp, what, rc, err);
        return;
    }
    apply(h, who, what, &p, resp);
    intake_payload_free(&p);
}

void
intake_alertmanager(struct api_req *rq, struct http_request *req,
                    struct http_response *resp)
{
    receive(rq, req, resp, "alertmanager", parse_alertmanager);
}

void
intake_webhook(struct api_req *rq, struct http_request *req,
               struct http_response *resp)
{
    receive(rq, req, resp, "webhook", parse_webhook);
}
