/*
 * incident.c - the incident and maintenance rules (see incident.h).
 * Pure: no I/O, no clock.
 */
#include "incident.h"

#include <stdio.h>
#include <string.h>

#include "mem.h"
#include "ph_err.h"

static const char *const status_names[INC_STATUS_COUNT] = {
    [INC_INVESTIGATING] = "investigating",
    [INC_IDENTIFIED] = "identified",
    [INC_MONITORING] = "monitoring",
    [INC_RESOLVED] = "resolved",
    [INC_POSTMORTEM] = "postmortem",
    [INC_SCHEDULED] = "scheduled",
    [INC_IN_PROGRESS] = "in_progress",
    [INC_VERIFYING] = "verifying",
    [INC_COMPLETED] = "completed",
};

static const char *const impact_names[] = {
    [INC_IMPACT_NONE] = "none",
    [INC_IMPACT_MINOR] = "minor",
    [INC_IMPACT_MAJOR] = "major",
    [INC_IMPACT_CRITICAL] = "critical",
    [INC_IMPACT_MAINTENANCE] = "maintenance",
};

#define NIMPACTS (sizeof(impact_names) / sizeof(impact_names[0]))

void
inc_edit_init(struct inc_edit *e)
{
    memset(e, 0, sizeof(*e));
    e->status = -1;
    e->impact_override = -1;
    e->scheduled_for_ms = -1;
    e->scheduled_until_ms = -1;
    e->remind_prior_min = -1;
    e->auto_in_progress = -1;
    e->auto_completed = -1;
    e->deliver = -1;
    e->draft = -1;
    e->update_every_min = -1;
}

const char *
inc_status_name(enum inc_status s)
{
    return (unsigned)s < INC_STATUS_COUNT ? status_names[s] : "investigating";
}

const char *
inc_status_title(enum inc_status s)
{
    static const char *const labels[INC_STATUS_COUNT] = {
        [INC_INVESTIGATING] = "Investigating",
        [INC_IDENTIFIED] = "Identified",
        [INC_MONITORING] = "Monitoring",
        [INC_RESOLVED] = "Resolved",
        [INC_POSTMORTEM] = "Postmortem",
        [INC_SCHEDULED] = "Scheduled",
        [INC_IN_PROGRESS] = "In progress",
        [INC_VERIFYING] = "Verifying",
        [INC_COMPLETED] = "Completed",
    };
    return (unsigned)s < INC_STATUS_COUNT ? labels[s] : "Update";
}

int
inc_status_parse(const char *s)
{
    for (int i = 0; i < INC_STATUS_COUNT; i++) {
        if (strcmp(s, status_names[i]) == 0) {
            return i;
        }
    }
    return -1;
}

const char *
inc_impact_name(enum inc_impact i)
{
    return (unsigned)i < NIMPACTS ? impact_names[i] : "none";
}

int
inc_impact_parse(const char *s)
{
    for (size_t i = 0; i < NIMPACTS; i++) {
        if (strcmp(s, impact_names[i]) == 0) {
            return (int)i;
        }
    }
    return -1;
}

enum inc_kind
inc_status_kind(enum inc_status s)
{
    return s >= INC_SCHEDULED ? INC_MAINTENANCE : INC_REALTIME;
}

int
inc_status_unresolved(enum inc_status s)
{
    return s == INC_INVESTIGATING || s == INC_IDENTIFIED ||
           s == INC_MONITORING || s == INC_IN_PROGRESS || s == INC_VERIFYING;
}

int
incident_names_component(const struct incident *inc, const char *code)
{
    for (size_t i = 0; i < inc->ncomponents; i++) {
        if (strcmp(inc->components[i], code) == 0) {
            return 1;
        }
    }
    return 0;
}

int
incident_component_status(const struct incident *inc, const char *code)
{
    for (size_t u = inc->nupdates; u-- > 0;) {
        const struct inc_update *up = &inc->updates[u];
        for (size_t a = 0; a < up->naffected; a++) {
            if (strcmp(up->affected[a].code, code) == 0) {
                return (int)up->affected[a].new_status;
            }
        }
    }
    return -1;
}

enum inc_impact
incident_impact(const struct incident *inc)
{
    enum inc_impact worst = INC_IMPACT_NONE;

    if (inc->impact_override >= 0) {
        return (enum inc_impact)inc->impact_override;
    }
    if (inc->kind == INC_MAINTENANCE) {
        return INC_IMPACT_MAINTENANCE;
    }
    /* The worst the incident ever set: a resolved incident keeps the
     * impact it had (the page's history shows how bad it was). */
    for (size_t u = 0; u < inc->nupdates; u++) {
        const struct inc_update *up = &inc->updates[u];

        for (size_t a = 0; a < up->naffected; a++) {
            enum comp_status s = up->affected[a].new_status;
            enum inc_impact im = s == COMP_MAJOR      ? INC_IMPACT_CRITICAL
                                 : s == COMP_PARTIAL  ? INC_IMPACT_MAJOR
                                 : s == COMP_DEGRADED ? INC_IMPACT_MINOR
                                                      : INC_IMPACT_NONE;
            if (im > worst) {
                worst = im;
            }
        }
    }
    return worst;
}

int
incident_maintenance_active(const struct incident *inc)
{
    return inc->kind == INC_MAINTENANCE &&
           (inc->status == INC_IN_PROGRESS || inc->status == INC_VERIFYING);
}

static void
update_free(struct inc_update *u)
{
    ph_free(u->body);
    ph_free(u->affected);
    memset(u, 0, sizeof(*u));
}

void
incident_free(struct incident *inc)
{
    for (size_t i = 0; i < inc->nupdates; i++) {
        update_free(&inc->updates[i]);
    }
    ph_free(inc->updates);
    ph_free(inc->components);
    ph_free(inc->name);
    memset(inc, 0, sizeof(*inc));
}

int64_t
incident_update_due(const struct incident *inc, int64_t default_every_ms)
{
    int64_t every = inc->update_every_min > 0
                        ? (int64_t)inc->update_every_min * 60000
                        : default_every_ms;
    const struct inc_update *last;

    if (inc->kind != INC_REALTIME || inc->draft || every <= 0 ||
        !inc_status_unresolved(inc->status) || inc->nupdates == 0) {
        return 0;
    }
    last = &inc->updates[inc->nupdates - 1];
    /* The time readers see on the update (display_at). */
    return (last->display_ms > 0 ? last->display_ms : last->created_ms) +
           every;
}

int
incident_update_overdue(const struct incident *inc, int64_t default_every_ms,
                        int64_t now_ms)
{
    int64_t due = incident_update_due(inc, default_every_ms);

    return due > 0 && now_ms > due;
}

int
incident_copy(struct incident *dst, const struct incident *src)
{
    *dst = *src;
    dst->name = NULL;
    dst->components = NULL;
    dst->updates = NULL;
    dst->nupdates = 0;
    dst->name = ph_strdup(src->name);
    if (dst->name == NULL) {
        goto fail;
    }
    if (src->ncomponents > 0) {
        dst->components = ph_calloc(src->ncomponents, CHECK_ID_MAX);
        if (dst->components == NULL) {
            goto fail;
        }
        memcpy(dst->components, src->components,
               src->ncomponents * CHECK_ID_MAX);
    }
    if (src->nupdates > 0) {
        dst->updates = ph_calloc(src->nupdates, sizeof(*dst->updates));
        if (dst->updates == NULL) {
            goto fail;
        }
    }
    for (size_t i = 0; i < src->nupdates; i++) {
        struct inc_update *d = &dst->updates[i];
        const struct inc_update *s = &src->updates[i];

        *d = *s;
        d->body = NULL;
        d->affected = NULL;
        dst->nupdates = i + 1;
        d->body = ph_strdup(s->body);
        if (d->body == NULL) {
            goto fail;
        }
        if (s->naffected > 0) {
            d->affected = ph_calloc(s->naffected, sizeof(*d->affected));
            if (d->affected == NULL) {
                goto fail;
            }
            memcpy(d->affected, s->affected,
                   s->naffected * sizeof(*d->affected));
        }
    }
    return 0;
fail:
    incident_free(dst);
    return PH_ENOMEM;
}

size_t
incident_text_bytes(const struct incident *inc)
{
    size_t n = 0;

    for (size_t i = 0; i < inc->nupdates; i++) {
        n += inc->updates[i].body != NULL ? strlen(inc->updates[i].body) : 0;
    }
    return n;
}

/* Appends an update (taking body). Returns 0, PH_ETOOBIG or PH_ENOMEM. */
static int
add_update(struct incident *inc, const char *uid, enum inc_status status,
           char *body, struct inc_affected *aff, size_t naff, int deliver,
           int64_t display_ms, int64_t now_ms)
{
    struct inc_update *v, *u;

    if (inc->nupdates >= INC_UPDATES_MAX ||
        incident_text_bytes(inc) + strlen(body) > INC_TEXT_MAX) {
        return PH_ETOOBIG;
    }
    v = ph_realloc(inc->updates, (inc->nupdates + 1) * sizeof(*v));
    if (v == NULL) {
        return PH_ENOMEM;
    }
    inc->updates = v;
    u = &v[inc->nupdates++];
    memset(u, 0, sizeof(*u));
    snprintf(u->id, sizeof(u->id), "%s", uid);
    u->status = status;
    u->body = body;
    u->created_ms = now_ms;
    u->updated_ms = now_ms;
    u->display_ms = display_ms > 0 ? display_ms : now_ms;
    u->deliver = deliver;
    u->affected = aff;
    u->naffected = naff;
    return 0;
}

static void
set_status(struct incident *inc, enum inc_status s, int64_t now_ms)
{
    inc->status = s;
    if (s == INC_MONITORING && inc->monitoring_ms == 0) {
        inc->monitoring_ms = now_ms;
    }
    if ((s == INC_RESOLVED || s == INC_POSTMORTEM || s == INC_COMPLETED) &&
        inc->resolved_ms == 0) {
        inc->resolved_ms = now_ms;
    }
    if (inc_status_unresolved(s)) {
        inc->resolved_ms = 0;   /* reopened */
    }
    if (s == INC_IN_PROGRESS && inc->started_ms < inc->created_ms) {
        inc->started_ms = now_ms;
    }
}

static int
check_edit(const struct incident *inc, int creating,
           const struct inc_edit *e, char *err, size_t errlen)
{
    enum inc_kind kind;

    if (creating && (e->name == NULL || e->name[0] == '\0')) {
        snprintf(err, errlen, "incident[name] is required");
        return PH_EINVAL;
    }
    if (e->name != NULL && (e->name[0] == '\0' ||
                            strlen(e->name) > INC_NAME_MAX * 4)) {
        snprintf(err, errlen, "name must be 1 to %d characters",
                 INC_NAME_MAX);
        return PH_EINVAL;
    }
    if (e->body != NULL && strlen(e->body) > INC_BODY_MAX) {
        snprintf(err, errlen, "body is longer than %d bytes", INC_BODY_MAX);
        return PH_EINVAL;
    }
    if (e->nchanges > INC_COMPONENTS_MAX) {
        snprintf(err, errlen, "at most %d components per incident",
                 INC_COMPONENTS_MAX);
        return PH_EINVAL;
    }
    if (creating) {
        kind = e->status >= 0 ? inc_status_kind((enum inc_status)e->status)
               : e->scheduled_for_ms > 0 ? INC_MAINTENANCE
                                         : INC_REALTIME;
    } else {
        kind = inc->kind;
    }
    if (e->status >= 0 && inc_status_kind((enum inc_status)e->status) != kind) {
        snprintf(err, errlen,
                 kind == INC_MAINTENANCE
                     ? "a scheduled maintenance takes status scheduled, "
                       "in_progress, verifying or completed"
                     : "an incident takes status investigating, "
                       "identified, monitoring, resolved or postmortem");
        return PH_EINVAL;
    }
    if (kind == INC_MAINTENANCE) {
        int64_t from = e->scheduled_for_ms >= 0 ? e->scheduled_for_ms
                                                 : inc->scheduled_for_ms;
        int64_t until = e->scheduled_until_ms >= 0 ? e->scheduled_until_ms
                                                    : inc->scheduled_until_ms;
        if (from <= 0 || until <= 0) {
            snprintf(err, errlen, "a scheduled maintenance needs "
                                  "scheduled_for and scheduled_until");
            return PH_EINVAL;
        }
        if (until <= from) {
            snprintf(err, errlen,
                     "scheduled_until must be after scheduled_for");
            return PH_EINVAL;
        }
    } else if (e->scheduled_for_ms > 0 || e->scheduled_until_ms > 0) {
        snprintf(err, errlen, "scheduled_for/until apply to scheduled "
                              "maintenance only");
        return PH_EINVAL;
    }
    for (size_t i = 0; i < e->nchanges; i++) {
        if (kind == INC_MAINTENANCE && e->changes[i].status >= 0 &&
            e->changes[i].status != COMP_MAINTENANCE &&
            e->changes[i].status != COMP_OPERATIONAL) {
            snprintf(err, errlen, "a maintenance sets components to "
                                  "under_maintenance or operational only");
            return PH_EINVAL;
        }
    }
    return 0;
}

/* Adds the components of e not yet named to inc. */
static int
name_components(struct incident *inc, const struct inc_edit *e)
{
    for (size_t i = 0; i < e->nchanges; i++) {
        char (*v)[CHECK_ID_MAX];

        if (incident_names_component(inc, e->changes[i].code)) {
            continue;
        }
        if (inc->ncomponents >= INC_COMPONENTS_MAX) {
            return PH_ETOOBIG;
        }
        v = ph_realloc(inc->components, (inc->ncomponents + 1) * sizeof(*v));
        if (v == NULL) {
            return PH_ENOMEM;
        }
        inc->components = v;
        memcpy(v[inc->ncomponents++], e->changes[i].code, CHECK_ID_MAX);
    }
    return 0;
}

int
incident_apply(struct incident *inc, const char *id,
               const char *new_update_id, const struct inc_edit *e,
               int64_t now_ms, char *err, size_t errlen)
{
    int creating = inc->name == NULL;
    struct incident work;
    struct inc_affected *aff = NULL;
    char *body = NULL;
    int rc, changed_status, add;

    rc = check_edit(inc, creating, e, err, errlen);
    if (rc != 0) {
        return rc;
    }
    /* Work on a copy so a failure half-way leaves inc untouched. */
    if (creating) {
        memset(&work, 0, sizeof(work));
        snprintf(work.id, sizeof(work.id), "%s", id);
        work.impact_override = -1;
        work.created_ms = now_ms;
        work.started_ms = now_ms;
        work.auto_in_progress = 1;
        work.auto_completed = 1;
        if (e->status >= 0) {
            work.kind = inc_status_kind((enum inc_status)e->status);
        } else {
            work.kind = e->scheduled_for_ms > 0 ? INC_MAINTENANCE
                                                : INC_REALTIME;
        }
        work.status = work.kind == INC_MAINTENANCE ? INC_SCHEDULED
                                                   : INC_INVESTIGATING;
        work.name = ph_strdup(e->name);
        if (work.name == NULL) {
            return PH_ENOMEM;
        }
    } else {
        rc = incident_copy(&work, inc);
        if (rc != 0) {
            return rc;
        }
        if (e->name != NULL) {
            char *n = ph_strdup(e->name);
            if (n == NULL) {
                rc = PH_ENOMEM;
                goto out;
            }
            ph_free(work.name);
            work.name = n;
        }
    }
    if (e->impact_override >= 0) {
        work.impact_override = e->impact_override;
    } else if (e->impact_override == -2) {
        work.impact_override = -1;
    }
    if (e->scheduled_for_ms >= 0) {
        work.scheduled_for_ms = e->scheduled_for_ms;
        if (work.kind == INC_MAINTENANCE && work.status == INC_SCHEDULED) {
            work.started_ms = e->scheduled_for_ms;
        }
    }
    if (e->scheduled_until_ms >= 0) {
        work.scheduled_until_ms = e->scheduled_until_ms;
    }
    if (e->remind_prior_min >= 0) {
        work.remind_prior_min = e->remind_prior_min;
    }
    if (e->auto_in_progress >= 0) {
        work.auto_in_progress = e->auto_in_progress;
    }
    if (e->auto_completed >= 0) {
        work.auto_completed = e->auto_completed;
    }
    if (e->draft >= 0) {
        work.draft = e->draft;
    }
    if (e->update_every_min >= 0) {
        work.update_every_min = e->update_every_min;
    }
    rc = name_components(&work, e);
    if (rc != 0) {
        snprintf(err, errlen, "too many components");
        goto out;
    }
    changed_status = e->status >= 0 && (creating || e->status != (int)work.status);
    if (e->status >= 0) {
        set_status(&work, (enum inc_status)e->status, now_ms);
    }
    add = creating || e->body != NULL || changed_status || e->nchanges > 0;
    if (add) {
        if (e->nchanges > 0) {
            aff = ph_calloc(e->nchanges, sizeof(*aff));
            if (aff == NULL) {
                rc = PH_ENOMEM;
                goto out;
            }
            for (size_t i = 0; i < e->nchanges; i++) {
                memcpy(aff[i].code, e->changes[i].code, CHECK_ID_MAX);
                aff[i].old_status = e->changes[i].current;
                aff[i].new_status = e->changes[i].status >= 0
                                        ? (enum comp_status)e->changes[i].status
                                        : e->changes[i].current;
            }
        }
        body = ph_strdup(e->body != NULL ? e->body : "");
        if (body == NULL) {
            rc = PH_ENOMEM;
            goto out;
        }
        rc = add_update(&work, new_update_id, work.status, body, aff,
                        e->nchanges, e->deliver != 0, e->display_ms, now_ms);
        if (rc != 0) {
            snprintf(err, errlen,
                     "an incident holds at most %d updates and %d bytes of "
                     "update text",
                     INC_UPDATES_MAX, INC_TEXT_MAX);
            goto out;
        }
        body = NULL;
        aff = NULL;
        work.updates[work.nupdates - 1].next_update_ms =
            e->next_update_ms > 0 ? e->next_update_ms : 0;
    }
    work.updated_ms = now_ms;
    incident_free(inc);
    *inc = work;
    return 0;
out:
    ph_free(body);
    ph_free(aff);
    incident_free(&work);
    return rc;
}

int
incident_tick(struct incident *inc, const char *new_update_id,
              int64_t now_ms)
{
    int what = 0;
    const char *text = NULL;
    enum inc_status to = inc->status;

    if (inc->kind != INC_MAINTENANCE) {
        return 0;
    }
    if (inc->status == INC_SCHEDULED && inc->remind_prior_min > 0 &&
        inc->reminded_ms == 0 &&
        now_ms >= inc->scheduled_for_ms -
                      (int64_t)inc->remind_prior_min * 60000 &&
        now_ms < inc->scheduled_for_ms) {
        inc->reminded_ms = now_ms;
        what |= INC_TICK_REMIND;
    }
    if (inc->status == INC_SCHEDULED && inc->auto_in_progress &&
        now_ms >= inc->scheduled_for_ms) {
        to = INC_IN_PROGRESS;
        text = "Scheduled maintenance is currently in progress. We will "
               "provide updates as necessary.";
        what |= INC_TICK_STARTED;
    }
    if ((inc->status == INC_IN_PROGRESS || inc->status == INC_VERIFYING ||
         to == INC_IN_PROGRESS) &&
        inc->auto_completed && now_ms >= inc->scheduled_until_ms) {
        to = INC_COMPLETED;
        text = "The scheduled maintenance has been completed.";
        what |= INC_TICK_COMPLETED;
    }
    if (text != NULL) {
        struct inc_edit e;
        char err[64];

        inc_edit_init(&e);
        e.status = (int)to;
        e.body = text;
        if (incident_apply(inc, inc->id, new_update_id, &e, now_ms, err,
                           sizeof(err)) != 0) {
            return what & INC_TICK_REMIND;
        }
    }
    return what;
}
