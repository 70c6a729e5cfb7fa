/*
 * hooks.c - PagerDuty and Opsgenie events applied to incidents (see
 * hooks.h).
 */
#include "hooks.h"

#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "incidents.h"
#include "log.h"
#include "mem.h"
#include "ph_err.h"
#include "store.h"
#include "templates.h"
#include "timefmt.h"

static const char *const source_names[] = {"pagerduty", "opsgenie"};

const char *
hooks_source_name(enum hooks_source s)
{
    return s < HOOKS_SOURCE_COUNT_ ? source_names[s] : "?";
}

/* The rules of source as struct hook_rule (returns new, *ret_n set), or
 * NULL when out of memory. Strings stay h->conf's. */
static struct hook_rule *
build_rules(const struct hub *h, enum hooks_source source, size_t *ret_n)
{
    const struct conf_hook_rule *cr;
    struct hook_rule *rules;
    size_t n;

    if (source == HOOKS_PAGERDUTY) {
        cr = h->conf.integrations.pagerduty.rules;
        n = h->conf.integrations.pagerduty.nrules;
    } else {
        cr = h->conf.integrations.opsgenie.rules;
        n = h->conf.integrations.opsgenie.nrules;
    }
    rules = ph_calloc(n + 1, sizeof(*rules));
    if (rules == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        struct hook_rule *r = &rules[i];

        r->service_id = cr[i].service_id;
        r->service = cr[i].service;
        r->priority = cr[i].priority;
        r->urgency = cr[i].urgency;
        r->tag = cr[i].tag;
        r->team = cr[i].team;
        r->entity = cr[i].entity;
        r->components = (const char *const *)cr[i].components;
        r->ncomponents = cr[i].ncomponents;
        r->status = cr[i].status != NULL ? comp_status_parse(cr[i].status)
                                         : -1;
        r->publish = cr[i].publish;
        r->identify_on_ack = cr[i].on_acknowledge == 1;
        r->public_notes = cr[i].notes == 1;
        r->name = cr[i].name;
        r->body = cr[i].body;
        r->template_name = cr[i].template;
    }
    *ret_n = n;
    return rules;
}

/* Fills changes[] for the components named (by the rule, or by the
 * incident for a later update) with status st (-1: only named). */
static size_t
fill_changes(struct hub *h, const char *const *codes, size_t n, int st,
             struct inc_comp_change *changes)
{
    size_t k = 0;

    for (size_t i = 0; i < n && k < INC_COMPONENTS_MAX; i++) {
        int idx = pharos_conf_component_index(&h->conf, codes[i]);

        if (idx < 0) {
            continue; /* removed by a reload since */
        }
        snprintf(changes[k].code, sizeof(changes[k].code), "%s", codes[i]);
        changes[k].status = st;
        changes[k].current = h->comps[idx].status;
        k++;
    }
    return k;
}

/* Carries the plan out: creates or updates the incident. */
static int
execute(struct hub *h, const struct hook_plan *p,
        const struct hook_rule *rule, const struct hook_event *ev,
        struct store_hook_link *link, const char *who,
        struct hooks_outcome *ret)
{
    struct inc_comp_change changes[INC_COMPONENTS_MAX];
    struct templates_text tt;
    struct inc_edit e;
    char err[160];
    int rc;

    inc_edit_init(&e);
    e.status = p->inc_status;
    e.body = p->body;
    e.changes = changes;
    if (p->what == HOOK_DO_CREATE) {
        char id[INC_ID_LEN + 1];

        e.name = p->name;
        e.draft = p->draft;
        e.nchanges = fill_changes(h, rule->components, rule->ncomponents,
                                  p->comp_status, changes);
        rc = 0;
        if (rule->template_name != NULL) {
            /* The template fills what the rule does not say: the name
             * (with the tool's title as {{title}}), the body, the
             * status unless an acknowledgement set it, and its own
             * components. */
            e.name = rule->name;
            e.body = rule->body;
            if (p->inc_status == INC_INVESTIGATING) {
                e.status = -1;
            }
            rc = templates_fill(h, rule->template_name, ev->title, &e,
                                changes, &tt, err, sizeof(err));
        }
        if (rc == 0) {
            rc = incidents_create(h, &e, who, id, err, sizeof(err));
        }
        if (rc == 0) {
            snprintf(link->incident_id, sizeof(link->incident_id), "%s", id);
        }
    } else {
        const struct incident *inc = incidents_find(h, link->incident_id);
        const char *codes[INC_COMPONENTS_MAX];
        size_t n = 0;

        if (inc == NULL) {
            /* Deleted by a responder in Pharos: nothing left to update. */
            snprintf(ret->why, sizeof(ret->why),
                     "linked incident %s no longer exists",
                     link->incident_id);
            return PH_ENOENT;
        }
        if (p->comp_status >= 0) {
            for (size_t i = 0; i < inc->ncomponents && n < INC_COMPONENTS_MAX;
                 i++) {
                codes[n++] = inc->components[i];
            }
        }
        e.nchanges = fill_changes(h, codes, n, p->comp_status, changes);
        rc = incidents_update(h, link->incident_id, &e, who, err,
                              sizeof(err));
    }
    if (rc != 0) {
        snprintf(ret->why, sizeof(ret->why), "incident change failed: %s",
                 err);
    }
    return rc;
}

int
hooks_apply(struct hub *h, enum hooks_source source,
            const struct hook_event *ev, const char *who, int64_t keep_ms,
            struct hooks_outcome *ret)
{
    const char *src = hooks_source_name(source);
    struct store_hook_link link;
    struct hook_rule *rules = NULL;
    struct hook_plan plan;
    int64_t now = time_now_ms();
    size_t nrules = 0;
    int idx, rc, result;

    memset(ret, 0, sizeof(*ret));
    ret->result = HOOKS_FAILED;
    rc = store_hook_event_seen(h->store, src, ev->event_id);
    if (rc < 0) {
        snprintf(ret->why, sizeof(ret->why), "store error");
        return rc;
    }
    if (rc == 1) {
        ret->result = HOOKS_DUPLICATE;
        snprintf(ret->why, sizeof(ret->why), "event already received");
        return 0;
    }
    rules = build_rules(h, source, &nrules);
    if (rules == NULL) {
        snprintf(ret->why, sizeof(ret->why), "out of memory");
        return PH_ENOMEM;
    }
    rc = store_hook_link_get(h->store, src, ev->external_id, &link);
    if (rc == PH_ENOENT) {
        memset(&link, 0, sizeof(link));
        link.state = HOOK_LINK_NONE;
    } else if (rc != 0) {
        snprintf(ret->why, sizeof(ret->why), "store error");
        result = rc;
        goto out;
    }
    idx = ev->external_id != NULL ? hook_match(rules, nrules, ev) : -1;
    hook_decide(idx >= 0 ? &rules[idx] : NULL, ev,
                (enum hook_link_state)link.state, link.flags, &plan);
    snprintf(ret->why, sizeof(ret->why), "%s", plan.why);
    ret->result = plan.what == HOOK_DO_NOTHING ? HOOKS_IGNORED
                                               : HOOKS_APPLIED;
    if (plan.what != HOOK_DO_NOTHING) {
        rc = execute(h, &plan, idx >= 0 ? &rules[idx] : NULL, ev, &link, who,
                     ret);
        if (rc == PH_ENOENT) {
            ret->result = HOOKS_IGNORED;
            plan.next = HOOK_LINK_RESOLVED;
        } else if (rc != 0) {
            ret->result = HOOKS_FAILED;
            result = rc;
            goto out;
        }
    }
    if (ev->url != NULL && ev->url[0] != '\0') {
        snprintf(link.url, sizeof(link.url), "%s", ev->url);
    }
    if (ev->external_id != NULL &&
        ((int)plan.next != link.state || plan.flags != link.flags ||
         plan.what == HOOK_DO_CREATE)) {
        link.state = (int)plan.next;
        link.flags = plan.flags;
        rc = store_hook_link_put(h->store, src, ev->external_id, &link, now);
        if (rc != 0) {
            log_warnx("%s: cannot save the link of %.128s to incident %s",
                      src, ev->external_id, link.incident_id);
        }
    }
    if (plan.what == HOOK_DO_CREATE) {
        char detail[HOOK_URL_MAX + HOOK_ID_MAX + 32];

        /* The tool's URL is for responders: the audit log, never the
         * page. */
        snprintf(detail, sizeof(detail), "%s incident %s %s", src,
                 ev->external_id, link.url);
        store_audit_add(h->store, now, who, "link",
                        link.incident_id, detail, 200);
    }
    snprintf(ret->incident_id, sizeof(ret->incident_id), "%s",
             link.incident_id);
    log_info("%s: %s %s of %.128s: %s%s%s", src, who, ev->type,
             ev->external_id != NULL ? ev->external_id : "-", ret->why,
             link.incident_id[0] ? " (incident " : "",
             link.incident_id[0] ? link.incident_id : "");
    rc = store_hook_event_add(h->store, src, ev->event_id, now, now - keep_ms);
    if (rc != 0) {
        log_warnx("%s: cannot record event %.128s; a replay would be "
                  "applied again",
                  src, ev->event_id);
    }
    result = 0;
out:
    ph_free(rules);
    return result;
}
