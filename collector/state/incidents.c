/*
 * incidents.c - the collector's incidents and maintenances (incidents.h).
 */
#include "incidents.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "notify.h"
#include "notify_staff.h"
#include "mem.h"
#include "ph_err.h"
#include "store.h"
#include "store_async.h"
#include "timefmt.h"
#include "token.h"

/* Holds every maintenance's components in or out of under_maintenance. */
void
incidents_reapply(struct hub *h)
{
    for (size_t i = 0; i < h->conf.ncomponents; i++) {
        const char *cid = h->conf.components[i].id;
        int active = 0;

        for (size_t k = 0; k < h->nincidents && !active; k++) {
            active = incident_maintenance_active(&h->incidents[k]) &&
                     incident_names_component(&h->incidents[k], cid);
        }
        engine_set_maintenance(h->engine, (int)i, active);
    }
}

static int
load_one(struct incident *inc, void *arg)
{
    struct hub *h = arg;

    if (h->nincidents >= INC_MEMORY_MAX) {
        incident_free(inc);
        return 0;
    }
    h->incidents[h->nincidents++] = *inc;
    memset(inc, 0, sizeof(*inc));
    return 0;
}

int
incidents_load(struct hub *h)
{
    int rc;

    h->incidents = ph_calloc(INC_MEMORY_MAX, sizeof(*h->incidents));
    if (h->incidents == NULL) {
        return PH_ENOMEM;
    }
    h->nincidents = 0;
    rc = store_incidents_load(h->store, INC_MEMORY_MAX, load_one, h);
    if (rc != 0) {
        log_warnx("store: cannot load incidents: %s", store_errmsg(h->store));
        return rc;
    }
    incidents_reapply(h);
    return 0;
}

int
incidents_reload(struct hub *h)
{
    struct incident *old = h->incidents;
    size_t nold = h->nincidents;
    int rc;

    h->incidents = NULL;
    rc = incidents_load(h);
    if (rc != 0) {
        if (h->incidents != NULL) {
            incidents_free(h);
        }
        h->incidents = old;
        h->nincidents = nold;
        incidents_reapply(h);
        return rc;
    }
    for (size_t i = 0; i < nold; i++) {
        incident_free(&old[i]);
    }
    ph_free(old);
    return 0;
}

void
incidents_free(struct hub *h)
{
    for (size_t i = 0; i < h->nincidents; i++) {
        incident_free(&h->incidents[i]);
    }
    ph_free(h->incidents);
    h->incidents = NULL;
    h->nincidents = 0;
}

/* The index of incident id in memory, or -1. */
static int
index_of(const struct hub *h, const char *id)
{
    for (size_t i = 0; i < h->nincidents; i++) {
        if (strcmp(h->incidents[i].id, id) == 0) {
            return (int)i;
        }
    }
    return -1;
}

const struct incident *
incidents_find(struct hub *h, const char *id)
{
    int k = index_of(h, id);

    return k >= 0 ? &h->incidents[k] : NULL;
}

/* Statuses an edit sets on components become manual overrides (operational
 * clears one); resolving a human-opened incident clears the overrides of
 * the components it names, so probes decide again. */
static void
apply_components(struct hub *h, const struct incident *inc,
                 const struct inc_edit *e, int resolved_now)
{
    if (inc->kind == INC_MAINTENANCE) {
        return;
    }
    for (size_t i = 0; i < e->nchanges; i++) {
        int idx = pharos_conf_component_index(&h->conf, e->changes[i].code);

        if (idx < 0 || e->changes[i].status < 0) {
            continue;
        }
        hub_set_override(h, idx,
                               e->changes[i].status == COMP_OPERATIONAL
                                   ? -1
                                   : e->changes[i].status,
                               0);
    }
    if (resolved_now && !inc->auto_opened) {
        for (size_t i = 0; i < inc->ncomponents; i++) {
            int idx = pharos_conf_component_index(&h->conf,
                                                  inc->components[i]);
            if (idx >= 0) {
                hub_set_override(h, idx, -1, 0);
            }
        }
    }
}

static int
is_closed(enum inc_status s)
{
    return s == INC_RESOLVED || s == INC_POSTMORTEM || s == INC_COMPLETED;
}

/* After a change: effects and a publish. human is 1 for changes made
 * through the API: they may set component overrides. Automation and
 * timers (human 0) never do, so probe evidence cannot override itself.
 * Either way the change is evaluated by the driver after this call
 * returns (collector.c), never from here. */
static void
after_change(struct hub *h, const struct incident *inc,
             const struct inc_edit *e, int was_closed, int human)
{
    int resolved_now = !was_closed && is_closed(inc->status);

    if (human && e != NULL) {
        apply_components(h, inc, e, resolved_now);
    }
    incidents_reapply(h);
    hub_request_evaluate(h);
    hub_mark_dirty(h);
}

static int
new_ids(char id[INC_ID_LEN + 1], char uid[INC_ID_LEN + 1])
{
    if ((id != NULL && token_random_id(id, INC_ID_LEN + 1) != 0) ||
        token_random_id(uid, INC_ID_LEN + 1) != 0) {
        return PH_EIO;
    }
    return 0;
}

/* A change made in three steps (incidents.h): prepared from memory,
 * stored on any connection, then made visible. */
enum change_kind { CH_CREATE, CH_UPDATE, CH_EDIT_UPDATE, CH_DELETE };

struct incidents_change {
    enum change_kind kind;
    struct incident work;          /* the new state (CH_DELETE: unused) */
    char id[INC_ID_LEN + 1];
    char who[128];
    const struct inc_edit *e;      /* borrowed until commit; may be NULL */
    int human;
    int was_closed;
    int was_draft;
    int64_t base_updated_ms;       /* the incident's when prepared */
    size_t base_nupdates;
    char errmsg[256];              /* the store's, from the store step */
};

void
incidents_change_free(struct incidents_change *c)
{
    if (c == NULL) {
        return;
    }
    incident_free(&c->work);
    ph_free(c);
}

static struct incidents_change *
change_new(enum change_kind kind, const char *who, const struct inc_edit *e,
           int human)
{
    struct incidents_change *c = ph_calloc(1, sizeof(*c));

    if (c != NULL) {
        c->kind = kind;
        snprintf(c->who, sizeof(c->who), "%s", who != NULL ? who : "");
        c->e = e;
        c->human = human;
    }
    return c;
}

static int
prepare_create(const struct inc_edit *e, const char *who, int auto_opened,
               int human, struct incidents_change **ret, char *err,
               size_t errlen)
{
    struct incidents_change *c = change_new(CH_CREATE, who, e, human);
    char uid[INC_ID_LEN + 1];
    int rc;

    if (c == NULL) {
        snprintf(err, errlen, "out of memory");
        return PH_ENOMEM;
    }
    if (new_ids(c->id, uid) != 0) {
        snprintf(err, errlen, "no randomness for ids");
        incidents_change_free(c);
        return PH_EIO;
    }
    rc = incident_apply(&c->work, c->id, uid, e, time_now_ms(), err, errlen);
    if (rc != 0) {
        incidents_change_free(c);
        return rc;
    }
    c->work.auto_opened = auto_opened;
    *ret = c;
    return 0;
}

static int
prepare_update(const struct incident *inc, const struct inc_edit *e,
               const char *who, int human, struct incidents_change **ret,
               char *err, size_t errlen)
{
    struct incidents_change *c = change_new(CH_UPDATE, who, e, human);
    char uid[INC_ID_LEN + 1];
    int rc;

    if (c == NULL) {
        snprintf(err, errlen, "out of memory");
        return PH_ENOMEM;
    }
    snprintf(c->id, sizeof(c->id), "%s", inc->id);
    c->was_closed = is_closed(inc->status);
    c->was_draft = inc->draft;
    c->base_updated_ms = inc->updated_ms;
    c->base_nupdates = inc->nupdates;
    if (new_ids(NULL, uid) != 0) {
        snprintf(err, errlen, "no randomness for ids");
        incidents_change_free(c);
        return PH_EIO;
    }
    rc = incident_copy(&c->work, inc);
    if (rc != 0) {
        snprintf(err, errlen, "out of memory");
        incidents_change_free(c);
        return rc;
    }
    rc = incident_apply(&c->work, c->work.id, uid, e, time_now_ms(), err,
                        errlen);
    if (rc != 0) {
        incidents_change_free(c);
        return rc;
    }
    *ret = c;
    return 0;
}

int
incidents_change_store(struct store *db, struct incidents_change *c)
{
    int rc;

    if (c->kind == CH_DELETE) {
        rc = store_incident_delete(db, c->id);
        rc = rc == PH_ENOENT ? 0 : rc;
    } else {
        rc = store_incident_save(db, &c->work);
    }
    if (rc != 0) {
        snprintf(c->errmsg, sizeof(c->errmsg), "%s", store_errmsg(db));
    }
    return rc;
}

/* Makes a stored creation visible. */
static void
commit_create(struct hub *h, struct incidents_change *c)
{
    /* Newest first; the oldest falls out of memory (it stays stored). */
    if (h->nincidents == INC_MEMORY_MAX) {
        incident_free(&h->incidents[--h->nincidents]);
    }
    memmove(&h->incidents[1], &h->incidents[0],
            h->nincidents * sizeof(*h->incidents));
    h->incidents[0] = c->work;
    memset(&c->work, 0, sizeof(c->work));
    h->nincidents++;
    log_info("incident %s opened by %s: %s (%s%s)", c->id, c->who,
             h->incidents[0].name, inc_status_name(h->incidents[0].status),
             h->incidents[0].draft ? ", draft" : "");
    notify_incident(h, &h->incidents[0], 1);
    after_change(h, &h->incidents[0], c->e, 0, c->human);
}

/* A queued incident write's outcome (store_async.h), on the loop. */
static void
on_written(int result, const char *errmsg, void *arg)
{
    (void)arg;
    if (result != 0) {
        log_warnx("store: cannot write an incident change: %s",
                  errmsg != NULL && errmsg[0] ? errmsg : ph_strerror(result));
    }
}

static void
commit_update(struct hub *h, struct incidents_change *c)
{
    int k = index_of(h, c->id);
    struct incident *inc;
    int conflict = 0;

    if (k < 0) {
        return; /* fell out of memory meanwhile: stored all the same */
    }
    inc = &h->incidents[k];
    if (c->kind == CH_UPDATE && (inc->updated_ms != c->base_updated_ms ||
                                 inc->nupdates != c->base_nupdates)) {
        /* Automation changed it on the loop while this edit was being
         * stored off it: the edit, stored last, is what stays. */
        log_warnx("incident %s: changed by automation while an edit by %s "
                  "was stored; the edit replaces that change",
                  c->id, c->who);
        conflict = 1;
    }
    incident_free(inc);
    *inc = c->work;
    memset(&c->work, 0, sizeof(c->work));
    if (conflict && store_async_writer(h->store) != NULL) {
        /* The automation's write was queued after this edit's: store
         * the edit again so the database ends as memory is. */
        store_incident_save_async(h->store, inc, on_written, NULL);
    }
    if (c->kind == CH_EDIT_UPDATE) {
        hub_mark_dirty(h);
        return;
    }
    log_info("incident %s updated by %s: %s%s", inc->id, c->who,
             inc_status_name(inc->status), inc->draft ? " (draft)" : "");
    /* Publishing a draft announces it as new. */
    notify_incident(h, inc, c->was_draft && !inc->draft);
    after_change(h, inc, c->e, c->was_closed, c->human);
}

static void
commit_delete(struct hub *h, struct incidents_change *c,
              struct incident *ret)
{
    int k = index_of(h, c->id);

    if (k < 0) {
        return;
    }
    if (ret != NULL) {
        *ret = h->incidents[k];
    } else {
        incident_free(&h->incidents[k]);
    }
    memmove(&h->incidents[k], &h->incidents[k + 1],
            (h->nincidents - (size_t)k - 1) * sizeof(*h->incidents));
    h->nincidents--;
    memset(&h->incidents[h->nincidents], 0, sizeof(*h->incidents));
    incidents_reapply(h);
    hub_request_evaluate(h);
    hub_mark_dirty(h);
}

int
incidents_change_commit(struct hub *h, struct incidents_change *c,
                        int result, struct incident *ret_deleted,
                        char *err, size_t errlen)
{
    if (result != 0) {
        log_warnx("store: cannot %s incident %s: %s",
                  c->kind == CH_DELETE ? "delete" : "save", c->id,
                  c->errmsg[0] ? c->errmsg : ph_strerror(result));
        snprintf(err, errlen, "cannot store the incident");
        return result;
    }
    switch (c->kind) {
    case CH_CREATE:
        commit_create(h, c);
        break;
    case CH_UPDATE:
    case CH_EDIT_UPDATE:
        commit_update(h, c);
        break;
    case CH_DELETE:
        commit_delete(h, c, ret_deleted);
        break;
    }
    return 0;
}

const char *
incidents_change_id(const struct incidents_change *c)
{
    return c->id;
}

/* Queues the write of c as it will be once committed (a copy: the
 * commit moves c->work into memory). */
static int
queue_write(struct hub *h, const struct incidents_change *c)
{
    if (c->kind == CH_DELETE) {
        return store_incident_delete_async(h->store, c->id, on_written,
                                           NULL);
    }
    return store_incident_save_async(h->store, &c->work, on_written, NULL);
}

/* The three steps at once (automation, maintenance timers). On
 * sqlite the write is a local commit on the loop's connection, made
 * before the change is visible. On PostgreSQL the change is made
 * visible first and its write queued to the worker thread, so the loop
 * never waits for the database; one collector's writes are stored in
 * the order queued, so an edit queued later lands after it. */
static int
run_now(struct hub *h, struct incidents_change *c, struct incident *ret,
        char *err, size_t errlen)
{
    int rc;

    if (store_async_writer(h->store) != NULL) {
        rc = queue_write(h, c);
        if (rc != 0) {
            snprintf(err, errlen, "out of memory");
            incidents_change_free(c);
            return rc;
        }
        rc = incidents_change_commit(h, c, 0, ret, err, errlen);
    } else {
        rc = incidents_change_store(h->store, c);
        rc = incidents_change_commit(h, c, rc, ret, err, errlen);
    }
    incidents_change_free(c);
    return rc;
}

static int
create(struct hub *h, const struct inc_edit *e, const char *who,
       int auto_opened, int human, char ret_id[INC_ID_LEN + 1], char *err,
       size_t errlen)
{
    struct incidents_change *c = NULL;
    char id[INC_ID_LEN + 1];
    int rc = prepare_create(e, who, auto_opened, human, &c, err, errlen);

    if (rc != 0) {
        return rc;
    }
    memcpy(id, c->id, sizeof(id));
    rc = run_now(h, c, NULL, err, errlen);
    if (rc == 0 && ret_id != NULL) {
        memcpy(ret_id, id, sizeof(id));
    }
    return rc;
}

int
incidents_create_prepare(struct hub *h, const struct inc_edit *e,
                         const char *who, struct incidents_change **ret,
                         char *err, size_t errlen)
{
    (void)h;
    return prepare_create(e, who, 0, 1, ret, err, errlen);
}

int
incidents_create(struct hub *h, const struct inc_edit *e,
                 const char *who, char ret_id[INC_ID_LEN + 1], char *err,
                 size_t errlen)
{
    return create(h, e, who, 0, 1, ret_id, err, errlen);
}

static int
update(struct hub *h, struct incident *inc, const struct inc_edit *e,
       const char *who, int human, char *err, size_t errlen)
{
    struct incidents_change *c = NULL;
    int rc = prepare_update(inc, e, who, human, &c, err, errlen);

    if (rc != 0) {
        return rc;
    }
    return run_now(h, c, NULL, err, errlen);
}

int
incidents_update_prepare(struct hub *h, const char *id,
                         const struct inc_edit *e, const char *who,
                         struct incidents_change **ret, char *err,
                         size_t errlen)
{
    int k = index_of(h, id);

    if (k < 0) {
        snprintf(err, errlen, "no such incident");
        return PH_ENOENT;
    }
    return prepare_update(&h->incidents[k], e, who, 1, ret, err, errlen);
}

int
incidents_update(struct hub *h, const char *id,
                 const struct inc_edit *e, const char *who, char *err,
                 size_t errlen)
{
    int k = index_of(h, id);

    if (k < 0) {
        snprintf(err, errlen, "no such incident");
        return PH_ENOENT;
    }
    return update(h, &h->incidents[k], e, who, 1, err, errlen);
}

int
incidents_edit_update_prepare(struct hub *h, const char *id,
                              const char *update_id, const char *body,
                              int64_t display_ms, int deliver,
                              struct incidents_change **ret)
{
    struct incidents_change *c;
    struct inc_update *u = NULL;
    struct incident *work;
    int k = index_of(h, id);
    int rc;

    if (k < 0) {
        return PH_ENOENT;
    }
    c = change_new(CH_EDIT_UPDATE, NULL, NULL, 1);
    if (c == NULL) {
        return PH_ENOMEM;
    }
    snprintf(c->id, sizeof(c->id), "%s", id);
    work = &c->work;
    rc = incident_copy(work, &h->incidents[k]);
    if (rc != 0) {
        ph_free(c);
        return rc;
    }
    for (size_t i = 0; i < work->nupdates; i++) {
        if (strcmp(work->updates[i].id, update_id) == 0) {
            u = &work->updates[i];
        }
    }
    if (u == NULL) {
        rc = PH_ENOENT;
        goto fail;
    }
    if (body != NULL) {
        char *b;

        if (incident_text_bytes(work) - strlen(u->body) + strlen(body) >
            INC_TEXT_MAX) {
            rc = PH_ETOOBIG;
            goto fail;
        }
        b = ph_strdup(body);
        if (b == NULL) {
            rc = PH_ENOMEM;
            goto fail;
        }
        ph_free(u->body);
        u->body = b;
    }
    if (display_ms > 0) {
        u->display_ms = display_ms;
    }
    if (deliver >= 0) {
        u->deliver = deliver;
    }
    u->updated_ms = time_now_ms();
    work->updated_ms = u->updated_ms;
    *ret = c;
    return 0;
fail:
    incidents_change_free(c);
    return rc;
}

int
incidents_edit_update(struct hub *h, const char *id,
                      const char *update_id, const char *body,
                      int64_t display_ms, int deliver)
{
    struct incidents_change *c = NULL;
    char err[64];
    int rc = incidents_edit_update_prepare(h, id, update_id, body,
                                           display_ms, deliver, &c);

    if (rc != 0) {
        return rc;
    }
    return run_now(h, c, NULL, err, sizeof(err));
}

int
incidents_delete_prepare(struct hub *h, const char *id,
                         struct incidents_change **ret)
{
    struct incidents_change *c;

    if (index_of(h, id) < 0) {
        return PH_ENOENT;
    }
    c = change_new(CH_DELETE, NULL, NULL, 1);
    if (c == NULL) {
        return PH_ENOMEM;
    }
    snprintf(c->id, sizeof(c->id), "%s", id);
    *ret = c;
    return 0;
}

int
incidents_delete(struct hub *h, const char *id, struct incident *ret)
{
    struct incidents_change *c = NULL;
    char err[64];
    int rc = incidents_delete_prepare(h, id, &c);

    if (rc != 0) {
        return rc;
    }
    return run_now(h, c, ret, err, sizeof(err));
}

/* The time inc last entered monitoring (its newest update's, when that
 * update is the monitoring one). */
static int64_t
monitoring_since(const struct incident *inc)
{
    if (inc->nupdates > 0 &&
        inc->updates[inc->nupdates - 1].status == INC_MONITORING) {
        return inc->updates[inc->nupdates - 1].created_ms;
    }
    return inc->monitoring_ms;
}

static int
components_healthy(struct hub *h, const struct incident *inc)
{
    for (size_t i = 0; i < inc->ncomponents; i++) {
        int idx = pharos_conf_component_index(&h->conf, inc->components[i]);
        if (idx >= 0 && (h->comps[idx].status == COMP_PARTIAL ||
                         h->comps[idx].status == COMP_MAJOR)) {
            return 0;
        }
    }
    return 1;
}

void
incidents_tick(struct hub *h, int64_t now_ms)
{
    for (size_t k = 0; k < h->nincidents; k++) {
        struct incident *inc = &h->incidents[k];

        if (inc->kind == INC_MAINTENANCE &&
            (inc->status == INC_SCHEDULED || inc->status == INC_IN_PROGRESS ||
             inc->status == INC_VERIFYING)) {
            struct incident work;
            char uid[INC_ID_LEN + 1];
            int what;

            if (new_ids(NULL, uid) != 0 || incident_copy(&work, inc) != 0) {
                continue;
            }
            what = incident_tick(&work, uid, now_ms);
            if (what == 0) {
                incident_free(&work);
                continue;
            }
            if (store_async_writer(h->store) != NULL
                    ? store_incident_save_async(h->store, &work, on_written,
                                                NULL) != 0
                    : store_incident_save(h->store, &work) != 0) {
                log_warnx("store: cannot save maintenance %s: %s", work.id,
                          store_errmsg(h->store));
                incident_free(&work);
                continue;
            }
            incident_free(inc);
            *inc = work;
            if (what & INC_TICK_REMIND) {
                log_info("maintenance %s starts in %d minute%s: %s", inc->id,
                         (int)inc->remind_prior_min,
                         inc->remind_prior_min == 1 ? "" : "s", inc->name);
            }
            if (what & INC_TICK_STARTED) {
                log_info("maintenance %s started: %s", inc->id, inc->name);
            }
            if (what & INC_TICK_COMPLETED) {
                log_info("maintenance %s completed: %s", inc->id, inc->name);
            }
            notify_maintenance_tick(h, inc, what);
            after_change(h, inc, NULL, 0, 0);
        } else if (inc->kind == INC_REALTIME && inc->auto_opened &&
                   inc->status == INC_MONITORING &&
                   now_ms - monitoring_since(inc) >=
                       (int64_t)h->conf.resolve_after_ms &&
                   components_healthy(h, inc)) {
            struct inc_edit e;
            char err[128];

            inc_edit_init(&e);
            e.status = INC_RESOLVED;
            e.body = "This incident has been resolved.";
            update(h, inc, &e, "automation", 0, err, sizeof(err));
        } else if (inc->kind == INC_REALTIME &&
                   incident_update_overdue(inc, h->conf.update_every_ms,
                                           now_ms)) {
            int64_t due = incident_update_due(inc, h->conf.update_every_ms);

            /* One reminder per period: the next update moves due. */
            if (inc->update_reminded_ms != due &&
                notify_staff_remind(h, inc, due, now_ms) >= 0) {
                inc->update_reminded_ms = due;
            }
        }
    }
}

static struct incident *
open_auto_incident(struct hub *h, const char *cid)
{
    for (size_t k = 0; k < h->nincidents; k++) {
        struct incident *inc = &h->incidents[k];
        if (inc->kind == INC_REALTIME && inc->auto_opened &&
            inc_status_unresolved(inc->status) &&
            incident_names_component(inc, cid)) {
            return inc;
        }
    }
    return NULL;
}

static int
is_outage(enum comp_status s)
{
    return s == COMP_PARTIAL || s == COMP_MAJOR;
}

/* Room for the names of the components a dependency takes down. */
#define AUTO_BODY_MAX (ENGINE_REASON_MAX + 1024)

/* The component an outage transition belongs to: the dependency it is
 * attributed to, else itself. */
static int
outage_key(const struct engine_transition *t)
{
    return t->affected_by >= 0 ? t->affected_by : t->component;
}

static void
add_change(struct inc_comp_change *ch, size_t *n,
           const struct conf_component *comp,
           const struct engine_transition *t)
{
    memset(&ch[*n], 0, sizeof(ch[*n]));
    snprintf(ch[*n].code, sizeof(ch[*n].code), "%s", comp->id);
    ch[*n].status = (int)t->new_status;
    ch[*n].current = t->old_status;
    (*n)++;
}

/* Whether an incident (open, or NULL for a new one) that would name the
 * components of ch[0..n) has room for comp too: INC_COMPONENTS_MAX caps
 * one incident, and an edit over it would be refused as a whole. */
static int
has_room(const struct incident *open, const struct inc_comp_change *ch,
         size_t n, const char *comp)
{
    size_t named = open != NULL ? open->ncomponents : 0;

    if (open != NULL && incident_names_component(open, comp)) {
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        if (open == NULL || !incident_names_component(open, ch[i].code)) {
            named++;
        }
    }
    return named < INC_COMPONENTS_MAX;
}

/* Appends ", Name" (or "Name" first) to buf, cut with "..." when full. */
static void
add_name(char *buf, size_t len, size_t *off, int *count, const char *name)
{
    int w;

    if (*off >= len - 1) {
        return;
    }
    w = snprintf(buf + *off, len - *off, "%s%s", *count ? ", " : "", name);
    if (w < 0 || (size_t)w >= len - *off) {
        if (len > 4) {
            memcpy(buf + len - 4, "...", 4);
        }
        *off = len - 1;
        return;
    }
    *off += (size_t)w;
    (*count)++;
}

/*
 * The outages of one evaluation attributed to component key (its own,
 * and those of the components that depend on it): one incident for all
 * of them, so a shared dependency that fails opens one incident listing
 * what it takes down, and subscribers get one message. Components that
 * join later are added to that incident without a message of their own.
 */
static void
on_outage_group(struct hub *h, const struct engine_transition *tv, size_t n,
                int key, struct inc_comp_change *ch)
{
    const struct conf_component *kc = &h->conf.components[key];
    const struct engine_transition *own = NULL;
    struct incident *open;
    struct inc_edit e;
    char name[INC_NAME_MAX + 1], body[AUTO_BODY_MAX], names[768], err[160];
    char more[64];
    size_t nch = 0, noff = 0, over = 0;
    int nnames = 0;

    open = open_auto_incident(h, kc->id);
    /* The dependency's own change first, so the cap never drops it. */
    for (size_t i = 0; i < n; i++) {
        if (tv[i].source == SOURCE_PROBE && is_outage(tv[i].new_status) &&
            tv[i].component == key && outage_key(&tv[i]) == key) {
            own = &tv[i];
            add_change(ch, &nch, kc, own);
        }
    }
    for (size_t i = 0; i < n; i++) {
        const struct engine_transition *t = &tv[i];
        const struct conf_component *comp = &h->conf.components[t->component];

        if (t->source != SOURCE_PROBE || !is_outage(t->new_status) ||
            outage_key(t) != key || t->component == key) {
            continue;
        }
        if (!has_room(open, ch, nch, comp->id)) {
            over++;
            continue;
        }
        add_change(ch, &nch, comp, t);
        add_name(names, sizeof(names), &noff, &nnames, comp->name);
    }
    /* Components that were down before their dependency and are now
     * attributed to it: named in its incident too (their status is not
     * changed by this edit). */
    for (size_t ci = 0; own != NULL && ci < h->conf.ncomponents; ci++) {
        const struct conf_component *comp = &h->conf.components[ci];
        int listed = 0;

        if ((int)ci == key ||
            strcmp(h->comps[ci].affected_by, kc->id) != 0) {
            continue;
        }
        for (size_t k = 0; k < nch && !listed; k++) {
            listed = strcmp(ch[k].code, comp->id) == 0;
        }
        if (listed || (open != NULL &&
                       incident_names_component(open, comp->id))) {
            continue;
        }
        if (!has_room(open, ch, nch, comp->id)) {
            over++;
            continue;
        }
        memset(&ch[nch], 0, sizeof(ch[nch]));
        snprintf(ch[nch].code, sizeof(ch[nch].code), "%s", comp->id);
        ch[nch].status = -1;
        ch[nch].current = h->comps[ci].status;
        nch++;
        add_name(names, sizeof(names), &noff, &nnames, comp->name);
    }
    if (nch == 0) {
        return;
    }
    names[noff] = '\0';
    more[0] = '\0';
    if (over > 0) {
        snprintf(more, sizeof(more), " and %zu more", over);
        if (noff + strlen(more) < sizeof(names)) {
            memcpy(names + noff, more, strlen(more) + 1);
            noff += strlen(more);
        }
        log_warnx("automation: %zu components affected by %s are not named "
                  "in its incident (at most %d per incident)",
                  over, kc->id, INC_COMPONENTS_MAX);
    }
    inc_edit_init(&e);
    e.changes = ch;
    e.nchanges = nch;
    if (own != NULL) {
        snprintf(body, sizeof(body),
                 "Pharos probes detected %s of %s: %s.%s%s%s",
                 own->new_status == COMP_MAJOR ? "a major outage"
                                               : "a partial outage",
                 kc->name, own->reason, nnames ? " Affected by it: " : "",
                 names, nnames ? "." : "");
        snprintf(name, sizeof(name), "%s: %s", kc->name,
                 own->new_status == COMP_MAJOR ? "major outage"
                                               : "partial outage");
        e.status = INC_INVESTIGATING;
    } else {
        /* Only dependents: the dependency was down already. */
        snprintf(body, sizeof(body),
                 "%s %s affected by the outage of %s.", names,
                 nnames > 1 ? "are" : "is", kc->name);
        snprintf(name, sizeof(name), "%s: outage", kc->name);
        e.status = open == NULL ? INC_INVESTIGATING : -1;
    }
    e.body = body;
    if (open == NULL) {
        e.name = name;
        e.draft = h->conf.auto_incidents == AUTO_INCIDENTS_DRAFT;
        if (create(h, &e, "automation", 1, 0, NULL, err, sizeof(err)) != 0) {
            log_warnx("automation: cannot open an incident for %s: %s",
                      kc->id, err);
        }
        return;
    }
    /* A partial outage that became major is renamed; a major one keeps
     * its name while it eases. Dependents joining an open incident are
     * recorded in it but sent to nobody: the dependency's message said
     * it already. */
    if (own != NULL && own->new_status == COMP_MAJOR) {
        e.name = name;
    }
    if (own == NULL) {
        e.deliver = 0;
    }
    if (update(h, open, &e, "automation", 0, err, sizeof(err)) != 0) {
        log_warnx("automation: cannot update incident %s: %s", open->id,
                  err);
    }
}

/* Recoveries of one evaluation that belong to the open incident inc_id:
 * one update. It moves the incident to monitoring once nothing it names
 * is in an outage any more; before that (a dependent recovered while its
 * dependency is still down) the update is recorded and sent to nobody. */
static void
on_recovery_group(struct hub *h, const struct engine_transition *tv,
                  size_t n, const char *inc_id, struct inc_comp_change *ch)
{
    struct incident *open = NULL;
    struct inc_edit e;
    char body[AUTO_BODY_MAX], names[768], err[160];
    size_t nch = 0, noff = 0;
    int nnames = 0;
    int all_op = 1;

    for (size_t i = 0; i < n; i++) {
        const struct engine_transition *t = &tv[i];
        const struct conf_component *comp = &h->conf.components[t->component];
        struct incident *o;

        if (t->source != SOURCE_PROBE || is_outage(t->new_status) ||
            !is_outage(t->old_status)) {
            continue;
        }
        o = open_auto_incident(h, comp->id);
        if (o == NULL || strcmp(o->id, inc_id) != 0) {
            continue;
        }
        open = o;
        add_change(ch, &nch, comp, t);
        add_name(names, sizeof(names), &noff, &nnames, comp->name);
        all_op &= t->new_status == COMP_OPERATIONAL;
    }
    if (open == NULL || nch == 0) {
        return;
    }
    names[noff] = '\0';
    inc_edit_init(&e);
    e.changes = ch;
    e.nchanges = nch;
    e.body = body;
    if (components_healthy(h, open)) {
        snprintf(body, sizeof(body),
                 "Pharos probes report %s as %s again. We are monitoring "
                 "the recovery.",
                 names, all_op ? "operational" : "degraded");
        e.status = INC_MONITORING;
    } else {
        snprintf(body, sizeof(body), "Pharos probes report %s as %s again.",
                 names, all_op ? "operational" : "degraded");
        e.deliver = 0;
    }
    if (update(h, open, &e, "automation", 0, err, sizeof(err)) != 0) {
        log_warnx("automation: cannot update incident %s: %s", open->id,
                  err);
    }
}

void
incidents_on_transitions(void *arg, const struct engine_transition *t,
                         size_t n, int64_t now_ms)
{
    struct hub *h = arg;
    struct inc_comp_change *ch;
    char (*ids)[INC_ID_LEN + 1];

    (void)now_ms;
    if (h->conf.auto_incidents == AUTO_INCIDENTS_OFF || n == 0) {
        return;
    }
    /* Room for every transition and every component named besides. */
    ch = ph_calloc(n + h->conf.ncomponents + 1, sizeof(*ch));
    ids = ph_calloc(n, sizeof(*ids));
    if (ch == NULL || ids == NULL) {
        log_warnx("automation: out of memory; %zu transitions not handled",
                  n);
        goto out;
    }
    /* Outages, one group per component they are attributed to (in the
     * order the first of each appears). */
    for (size_t i = 0; i < n; i++) {
        int key = outage_key(&t[i]);
        int seen = 0;

        if (t[i].source != SOURCE_PROBE || !is_outage(t[i].new_status)) {
            continue;
        }
        for (size_t j = 0; j < i && !seen; j++) {
            seen = t[j].source == SOURCE_PROBE &&
                   is_outage(t[j].new_status) && outage_key(&t[j]) == key;
        }
        if (!seen) {
            on_outage_group(h, t, n, key, ch);
        }
    }
    /* Recoveries, one group per open incident: the ids are taken first,
     * since an update moves the incidents in memory. */
    for (size_t i = 0; i < n; i++) {
        const struct incident *o;

        ids[i][0] = '\0';
        if (t[i].source != SOURCE_PROBE || is_outage(t[i].new_status) ||
            !is_outage(t[i].old_status)) {
            continue;
        }
        o = open_auto_incident(h, h->conf.components[t[i].component].id);
        if (o != NULL) {
            snprintf(ids[i], sizeof(ids[i]), "%s", o->id);
        }
    }
    for (size_t i = 0; i < n; i++) {
        int seen = ids[i][0] == '\0';

        for (size_t j = 0; j < i && !seen; j++) {
            seen = strcmp(ids[j], ids[i]) == 0;
        }
        if (!seen) {
            on_recovery_group(h, t, n, ids[i], ch);
        }
    }
out:
    ph_free(ch);
    ph_free(ids);
}
