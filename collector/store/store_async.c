/*
 * store_async.c - run-time writes that do not wait (store_async.h): on
 * PostgreSQL a store_call for the writer thread, on sqlite the store call
 * itself, at once.
 */
#include "store_async.h"

#include <stdio.h>
#include <string.h>

#include "mem.h"
#include "ph_err.h"
#include "store_writer.h"

enum acall_kind { AC_TRANSITION, AC_AUDIT, AC_KV, AC_UPTIME, AC_PRUNE,
                  AC_PING, AC_INCIDENT_SAVE, AC_INCIDENT_DELETE };

#define ACALL_STRS 5

struct acall {
    struct store_call call;      /* first: the writer hands it back */
    enum acall_kind kind;
    store_done_cb done;
    store_pruned_cb pruned;      /* AC_PRUNE's instead of done */
    void *arg;
    char *s[ACALL_STRS];         /* owned copies of the text arguments */
    int64_t n[9];
    struct uptime_day *days;     /* owned */
    size_t ndays;
    struct uptime_acc_state st;
    struct incident inc;         /* AC_INCIDENT_SAVE's copy, owned */
    char errmsg[256];
};

static void
acall_free(struct acall *a)
{
    for (int i = 0; i < ACALL_STRS; i++) {
        ph_free(a->s[i]);
    }
    ph_free(a->days);
    incident_free(&a->inc);
    ph_free(a);
}

/* A call with copies of the strings (NULL entries stay NULL). */
static struct acall *
acall_new(enum acall_kind kind, const char *const *strs, size_t nstrs,
          store_done_cb done, void *arg)
{
    struct acall *a = ph_calloc(1, sizeof(*a));

    if (a == NULL) {
        return NULL;
    }
    a->kind = kind;
    a->done = done;
    a->arg = arg;
    for (size_t i = 0; i < nstrs; i++) {
        if (strs[i] != NULL && (a->s[i] = ph_strdup(strs[i])) == NULL) {
            acall_free(a);
            return NULL;
        }
    }
    return a;
}

/* The call itself, on whichever connection db is. */
static int
acall_exec(struct store *db, struct acall *a)
{
    int rc = PH_EINTERNAL;

    switch (a->kind) {
    case AC_TRANSITION:
        rc = store_add_transition(db, a->s[0], a->s[1], a->s[2], a->s[3],
                                  a->s[4], a->n[0]);
        break;
    case AC_AUDIT:
        rc = store_audit_add(db, a->n[0], a->s[0], a->s[1], a->s[2],
                             a->s[3], (int)a->n[1]);
        break;
    case AC_KV:
        rc = store_kv_set(db, a->s[0], a->s[1]);
        break;
    case AC_UPTIME:
        rc = store_uptime_checkpoint(db, a->s[0], a->days, a->ndays, &a->st);
        break;
    case AC_INCIDENT_SAVE:
        rc = store_incident_save(db, &a->inc);
        break;
    case AC_INCIDENT_DELETE:
        rc = store_incident_delete(db, a->s[0]);
        rc = rc == PH_ENOENT ? 0 : rc;
        break;
    case AC_PING: {
        char v[32];

        rc = store_kv_get(db, "created_at_ms", v, sizeof(v));
        if (rc == PH_ENOENT) {
            rc = 0; /* an answer all the same */
        }
        break;
    }
    case AC_PRUNE: {
        int r2, r3, r4;

        rc = store_prune_results(db, a->n[0], &a->n[3]);
        r2 = store_outbox_prune(db, a->n[1], &a->n[4]);
        r3 = store_uptime_prune(db, (int32_t)a->n[2]);
        r4 = store_latency_prune(db, a->n[5], a->n[6], a->n[7], &a->n[8]);
        rc = rc != 0 ? rc : r2 != 0 ? r2 : r3 != 0 ? r3 : r4;
        break;
    }
    }
    if (rc != 0) {
        snprintf(a->errmsg, sizeof(a->errmsg), "%s", store_errmsg(db));
    }
    return rc;
}

static int
on_thread(struct store *db, struct store_call *c)
{
    return acall_exec(db, (struct acall *)c);
}

static void
on_loop(struct store_call *c, int result)
{
    struct acall *a = (struct acall *)c;

    if (a->kind == AC_PRUNE) {
        if (a->pruned != NULL) {
            a->pruned(result, a->n[3], a->n[4], a->n[8], a->arg);
        }
    } else if (a->done != NULL) {
        a->done(result, a->errmsg, a->arg);
    }
    acall_free(a);
}

/* Queues a on PostgreSQL with a writer, else runs it now. Takes a. */
static int
acall_go(struct store *s, struct acall *a)
{
    struct store_writer *w = store_async_writer(s);

    a->call.run = on_thread;
    a->call.done = on_loop;
    if (w != NULL && store_writer_call(w, &a->call) == 0) {
        return 0;
    }
    on_loop(&a->call, acall_exec(s, a));
    return 0;
}

int
store_add_transition_async(struct store *s, const char *component_id,
                           const char *old_status, const char *new_status,
                           const char *source, const char *reason,
                           int64_t at_ms, store_done_cb done, void *arg)
{
    const char *strs[] = {component_id, old_status, new_status, source,
                          reason};
    struct acall *a = acall_new(AC_TRANSITION, strs, 5, done, arg);

    if (a == NULL) {
        return PH_ENOMEM;
    }
    a->n[0] = at_ms;
    return acall_go(s, a);
}

int
store_audit_add_async(struct store *s, int64_t at_ms, const char *actor,
                      const char *action, const char *target,
                      const char *detail, int status, store_done_cb done,
                      void *arg)
{
    const char *strs[] = {actor, action, target, detail};
    struct acall *a = acall_new(AC_AUDIT, strs, 4, done, arg);

    if (a == NULL) {
        return PH_ENOMEM;
    }
    a->n[0] = at_ms;
    a->n[1] = status;
    return acall_go(s, a);
}

int
store_kv_set_async(struct store *s, const char *key, const char *value,
                   store_done_cb done, void *arg)
{
    const char *strs[] = {key, value};
    struct acall *a = acall_new(AC_KV, strs, 2, done, arg);

    if (a == NULL) {
        return PH_ENOMEM;
    }
    return acall_go(s, a);
}

int
store_uptime_checkpoint_async(struct store *s, const char *component_id,
                              const struct uptime_day *days, size_t ndays,
                              const struct uptime_acc_state *st,
                              store_done_cb done, void *arg)
{
    const char *strs[] = {component_id};
    struct acall *a = acall_new(AC_UPTIME, strs, 1, done, arg);

    if (a == NULL) {
        return PH_ENOMEM;
    }
    if (ndays > 0) {
        a->days = ph_calloc(ndays, sizeof(*a->days));
        if (a->days == NULL) {
            acall_free(a);
            return PH_ENOMEM;
        }
        memcpy(a->days, days, ndays * sizeof(*days));
    }
    a->ndays = ndays;
    a->st = *st;
    return acall_go(s, a);
}

int
store_ping_async(struct store *s, store_done_cb done, void *arg)
{
    struct acall *a = acall_new(AC_PING, NULL, 0, done, arg);

    if (a == NULL) {
        return PH_ENOMEM;
    }
    return acall_go(s, a);
}

int
store_prune_async(struct store *s, const struct store_prune_cuts *cuts,
                  store_pruned_cb done, void *arg)
{
    struct acall *a = acall_new(AC_PRUNE, NULL, 0, NULL, arg);

    if (a == NULL) {
        return PH_ENOMEM;
    }
    a->pruned = done;
    a->n[0] = cuts->results_before_ms;
    a->n[1] = cuts->outbox_before_ms;
    a->n[2] = cuts->uptime_before_date;
    a->n[5] = cuts->lat_fine_before_ms;
    a->n[6] = cuts->lat_hourly_before_ms;
    a->n[7] = cuts->lat_seal_before_ms;
    return acall_go(s, a);
}

int
store_incident_save_async(struct store *s, const struct incident *inc,
                          store_done_cb done, void *arg)
{
    struct acall *a = acall_new(AC_INCIDENT_SAVE, NULL, 0, done, arg);

    if (a == NULL) {
        return PH_ENOMEM;
    }
    if (incident_copy(&a->inc, inc) != 0) {
        acall_free(a);
        return PH_ENOMEM;
    }
    return acall_go(s, a);
}

int
store_incident_delete_async(struct store *s, const char *id,
                            store_done_cb done, void *arg)
{
    const char *strs[] = {id};
    struct acall *a = acall_new(AC_INCIDENT_DELETE, strs, 1, done, arg);

    if (a == NULL) {
        return PH_ENOMEM;
    }
    return acall_go(s, a);
}
