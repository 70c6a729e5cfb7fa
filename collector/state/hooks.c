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

/* An event on its way: read (step 1, any thread), decided (step 2, the
 * loop), written (step 3, any thread), finished (step 4, the loop). */
struct hooks_job {
    enum hooks_source source;
    struct hook_doc *d;                 /* owned: ev's strings */
    char who[96];
    int64_t keep_ms;
    int64_t now;
    /* step 1 */
    int seen;                           /* 1: a replay */
    struct store_hook_link link;
    /* step 2 */
    struct hook_plan plan;
    int write_link;                     /* the link changed */
    int audit_link;                     /* a new link: audited */
    struct inc_comp_change changes[INC_COMPONENTS_MAX];
    struct templates_text tt;
    struct inc_edit e;
    struct incidents_change *c;         /* the incident change, or NULL */
    char err[160];
    /* step 3 */
    int inc_rc;                         /* the incident's store result */
    int link_rc, event_rc;
    char errmsg[160];
    struct hooks_outcome out;
};

void
hooks_job_free(struct hooks_job *j)
{
    if (j == NULL) {
        return;
    }
    incidents_change_free(j->c);
    if (j->d != NULL) {
        hook_doc_free(j->d);
        ph_free(j->d);
    }
    ph_free(j);
}

struct hooks_job *
hooks_job_new(enum hooks_source source, struct hook_doc *d, const char *who,
              int64_t keep_ms)
{
    struct hooks_job *j = ph_calloc(1, sizeof(*j));

    if (j == NULL) {
        return NULL;
    }
    j->source = source;
    j->d = d;
    snprintf(j->who, sizeof(j->who), "%s", who);
    j->keep_ms = keep_ms;
    j->now = time_now_ms();
    j->out.result = HOOKS_FAILED;
    return j;
}

const struct hooks_outcome *
hooks_job_outcome(const struct hooks_job *j)
{
    return &j->out;
}

int
hooks_read(struct store *db, struct hooks_job *j)
{
    const char *src = hooks_source_name(j->source);
    const struct hook_event *ev = &j->d->ev;
    int rc = store_hook_event_seen(db, src, ev->event_id);

    if (rc < 0) {
        return rc;
    }
    if (rc == 1) {
        j->seen = 1;
        return 0;
    }
    rc = store_hook_link_get(db, src, ev->external_id, &j->link);
    if (rc == PH_ENOENT) {
        memset(&j->link, 0, sizeof(j->link));
        j->link.state = HOOK_LINK_NONE;
        rc = 0;
    }
    return rc;
}

/* Prepares the plan's incident change (create or update) into j->c. */
static int
prepare_change(struct hub *h, struct hooks_job *j,
               const struct hook_rule *rule)
{
    const struct hook_plan *p = &j->plan;
    const struct hook_event *ev = &j->d->ev;
    struct inc_edit *e = &j->e;
    int rc;

    inc_edit_init(e);
    e->status = p->inc_status;
    e->body = p->body;
    e->changes = j->changes;
    if (p->what == HOOK_DO_CREATE) {
        e->name = p->name;
        e->draft = p->draft;
        e->nchanges = fill_changes(h, rule->components, rule->ncomponents,
                                   p->comp_status, j->changes);
        rc = 0;
        if (rule->template_name != NULL) {
            /* The template fills what the rule does not say: the name
             * (with the tool's title as {{title}}), the body, the
             * status unless an acknowledgement set it, and its own
             * components. */
            e->name = rule->name;
            e->body = rule->body;
            if (p->inc_status == INC_INVESTIGATING) {
                e->status = -1;
            }
            rc = templates_fill(h, rule->template_name, ev->title, e,
                                j->changes, &j->tt, j->err,
                                sizeof(j->err));
        }
        if (rc == 0) {
            rc = incidents_create_prepare(h, e, j->who, &j->c, j->err,
                                          sizeof(j->err));
        }
        if (rc == 0) {
            snprintf(j->link.incident_id, sizeof(j->link.incident_id), "%s",
                     incidents_change_id(j->c));
        }
    } else {
        const struct incident *inc = incidents_find(h, j->link.incident_id);
        const char *codes[INC_COMPONENTS_MAX];
        size_t n = 0;

        if (inc == NULL) {
            /* Deleted by a responder in Pharos: nothing left to update. */
            snprintf(j->out.why, sizeof(j->out.why),
                     "linked incident %s no longer exists",
                     j->link.incident_id);
            return PH_ENOENT;
        }
        if (p->comp_status >= 0) {
            for (size_t i = 0; i < inc->ncomponents && n < INC_COMPONENTS_MAX;
                 i++) {
                codes[n++] = inc->components[i];
            }
        }
        e->nchanges = fill_changes(h, codes, n, p->comp_status, j->changes);
        rc = incidents_update_prepare(h, j->link.incident_id, e, j->who,
                                      &j->c, j->err, sizeof(j->err));
    }
    if (rc != 0) {
        snprintf(j->out.why, sizeof(j->out.why),
                 "incident change failed: %s", j->err);
    }
    return rc;
}

int
hooks_decide(struct hub *h, struct hooks_job *j, int result)
{
    const struct hook_event *ev = &j->d->ev;
    struct hook_rule *rules = NULL;
    size_t nrules = 0;
    int idx, rc;

    if (result != 0) {
        snprintf(j->out.why, sizeof(j->out.why), "store error");
        return result;
    }
    if (j->seen) {
        j->out.result = HOOKS_DUPLICATE;
        snprintf(j->out.why, sizeof(j->out.why), "event already received");
        return 0;
    }
    rules = build_rules(h, j->source, &nrules);
    if (rules == NULL) {
        snprintf(j->out.why, sizeof(j->out.why), "out of memory");
        return PH_ENOMEM;
    }
    idx = ev->external_id != NULL ? hook_match(rules, nrules, ev) : -1;
    hook_decide(idx >= 0 ? &rules[idx] : NULL, ev,
                (enum hook_link_state)j->link.state, j->link.flags, &j->plan);
    snprintf(j->out.why, sizeof(j->out.why), "%s", j->plan.why);
    j->out.result = j->plan.what == HOOK_DO_NOTHING ? HOOKS_IGNORED
                                                    : HOOKS_APPLIED;
    if (j->plan.what != HOOK_DO_NOTHING) {
        rc = prepare_change(h, j, idx >= 0 ? &rules[idx] : NULL);
        if (rc == PH_ENOENT) {
            j->out.result = HOOKS_IGNORED;
            j->plan.next = HOOK_LINK_RESOLVED;
        } else if (rc != 0) {
            j->out.result = HOOKS_FAILED;
            ph_free(rules);
            return rc;
        }
    }
    ph_free(rules);
    if (ev->url != NULL && ev->url[0] != '\0') {
        snprintf(j->link.url, sizeof(j->link.url), "%s", ev->url);
    }
    j->write_link = ev->external_id != NULL &&
                    ((int)j->plan.next != j->link.state ||
                     j->plan.flags != j->link.flags ||
                     j->plan.what == HOOK_DO_CREATE);
    if (j->write_link) {
        j->link.state = (int)j->plan.next;
        j->link.flags = j->plan.flags;
    }
    j->audit_link = j->plan.what == HOOK_DO_CREATE && j->c != NULL;
    return 0;
}

int
hooks_write(struct store *db, struct hooks_job *j)
{
    const char *src = hooks_source_name(j->source);
    const struct hook_event *ev = &j->d->ev;

    if (j->seen) {
        return 0;
    }
    if (j->c != NULL) {
        /* The incident first: a failure leaves the event unrecorded, so
         * the tool's retry is applied. */
        j->inc_rc = incidents_change_store(db, j->c);
        if (j->inc_rc != 0) {
            snprintf(j->errmsg, sizeof(j->errmsg), "%s", store_errmsg(db));
            return j->inc_rc;
        }
    }
    if (j->write_link) {
        j->link_rc = store_hook_link_put(db, src, ev->external_id, &j->link,
                                         j->now);
    }
    if (j->audit_link) {
        char detail[HOOK_URL_MAX + HOOK_ID_MAX + 32];

        /* The tool's URL is for responders: the audit log, never the
         * page. */
        snprintf(detail, sizeof(detail), "%s incident %s %s", src,
                 ev->external_id, j->link.url);
        store_audit_add(db, j->now, j->who, "link", j->link.incident_id,
                        detail, 200);
    }
    j->event_rc = store_hook_event_add(db, src, ev->event_id, j->now,
                                       j->now - j->keep_ms);
    return 0;
}

int
hooks_finish(struct hub *h, struct hooks_job *j, int result)
{
    const char *src = hooks_source_name(j->source);
    const struct hook_event *ev = &j->d->ev;
    char err[160];
    int rc;

    if (j->seen) {
        return 0;
    }
    if (j->c != NULL) {
        rc = incidents_change_commit(h, j->c, j->inc_rc != 0 ? j->inc_rc
                                                             : result,
                                     NULL, err, sizeof(err));
        if (rc != 0) {
            j->out.result = HOOKS_FAILED;
            snprintf(j->out.why, sizeof(j->out.why),
                     "incident change failed: %s", err);
            return rc;
        }
    } else if (result != 0) {
        j->out.result = HOOKS_FAILED;
        snprintf(j->out.why, sizeof(j->out.why), "store error");
        return result;
    }
    if (j->link_rc != 0) {
        log_warnx("%s: cannot save the link of %.128s to incident %s", src,
                  ev->external_id, j->link.incident_id);
    }
    snprintf(j->out.incident_id, sizeof(j->out.incident_id), "%s",
             j->link.incident_id);
    log_info("%s: %s %s of %.128s: %s%s%s", src, j->who, ev->type,
             ev->external_id != NULL ? ev->external_id : "-", j->out.why,
             j->link.incident_id[0] ? " (incident " : "",
             j->link.incident_id[0] ? j->link.incident_id : "");
    if (j->event_rc != 0) {
        log_warnx("%s: cannot record event %.128s; a replay would be "
                  "applied again",
                  src, ev->event_id);
    }
    return 0;
}
