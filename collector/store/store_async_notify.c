/*
 * store_async_notify.c - the outbox's store calls that do not wait
 * (store_async_notify.h): on PostgreSQL a store_call for the writer
 * thread, on sqlite the store call itself, at once. Rows read on the
 * thread are copied there (the database's own rows live only for the
 * walk) and handed to the loop's callback as borrowed views.
 */
#include "store_async_notify.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mem.h"
#include "ph_err.h"
#include "store_writer.h"

enum ncall_kind { NC_DUE, NC_SETTLE, NC_SUBS, NC_PUT_ALL, NC_STAFF };

/* A due row, copied: its text columns owned. */
#define OROW_STRS 7
struct orow {
    int64_t id;
    uint32_t attempts;
    int64_t created_ms;
    char *s[OROW_STRS]; /* msg_id event payload sub_id kind address secret */
};

/* A subscriber, copied compactly: its long text columns owned at their
 * length (a struct store_subscriber is some 6.5 KB). */
struct csub {
    struct store_subscriber head; /* address and components left empty */
    char *address, *components;
};

struct ncall {
    struct store_call call; /* first: the writer hands it back */
    enum ncall_kind kind;
    void *arg;
    int64_t now_ms;
    size_t limit;
    /* NC_DUE */
    store_outbox_rows_cb rows_done;
    struct orow *rows;
    size_t nrows, caprows;
    /* NC_SETTLE */
    store_settled_cb settled;
    struct store_settle st;
    char *err, *sub_id;
    int quarantined;
    /* NC_SUBS: subscribers read (compact); NC_STAFF: rows to write */
    store_sub_cb each;
    store_walk_done_cb walk_done;
    char *state;
    struct csub *csubs;
    size_t ncsubs, capcsubs;
    struct store_subscriber *subs;
    size_t nsubs;
    /* NC_PUT_ALL */
    store_put_all_cb put_done;
    struct store_outbox_new *msgs; /* strings owned */
    int *each_rc;                  /* per message */
    size_t nmsgs;
    char errmsg[256];
};

static void
str_free(const char *s)
{
    ph_free((void *)(uintptr_t)s);
}

static void
ncall_free(struct ncall *c)
{
    for (size_t i = 0; i < c->nrows; i++) {
        for (int k = 0; k < OROW_STRS; k++) {
            ph_free(c->rows[i].s[k]);
        }
    }
    ph_free(c->rows);
    ph_free(c->err);
    ph_free(c->sub_id);
    ph_free(c->state);
    /* Webhook secrets: not left behind in freed memory. */
    for (size_t i = 0; i < c->ncsubs; i++) {
        ph_free(c->csubs[i].address);
        ph_free(c->csubs[i].components);
    }
    if (c->csubs != NULL) {
        memset(c->csubs, 0, c->capcsubs * sizeof(*c->csubs));
        ph_free(c->csubs);
    }
    if (c->subs != NULL) {
        memset(c->subs, 0, c->nsubs * sizeof(*c->subs));
        ph_free(c->subs);
    }
    for (size_t i = 0; i < c->nmsgs; i++) {
        struct store_outbox_new *m = &c->msgs[i];

        str_free(m->idem_key);
        str_free(m->msg_id);
        str_free(m->subscriber_id);
        str_free(m->event);
        str_free(m->coalesce_key);
        str_free(m->payload);
    }
    ph_free(c->msgs);
    ph_free(c->each_rc);
    ph_free(c);
}

/* A copy of s (NULL stays NULL); *ok cleared when out of memory. */
static char *
dup_or_null(const char *s, int *ok)
{
    char *d;

    if (s == NULL) {
        return NULL;
    }
    d = ph_strdup(s);
    if (d == NULL) {
        *ok = 0;
    }
    return d;
}

static int
take_row(const struct store_outbox_row *row, void *arg)
{
    struct ncall *c = arg;
    struct orow *o;
    const char *src[OROW_STRS] = {row->msg_id, row->event, row->payload,
                                  row->sub_id, row->kind, row->address,
                                  row->secret};
    int ok = 1;

    if (c->nrows == c->caprows) {
        size_t cap = c->caprows == 0 ? 16 : c->caprows * 2;
        struct orow *v = ph_realloc(c->rows, cap * sizeof(*v));

        if (v == NULL) {
            return PH_ENOMEM;
        }
        c->rows = v;
        c->caprows = cap;
    }
    o = &c->rows[c->nrows];
    memset(o, 0, sizeof(*o));
    o->id = row->id;
    o->attempts = row->attempts;
    o->created_ms = row->created_ms;
    c->nrows++; /* counted now so that ncall_free() frees a partial one */
    for (int k = 0; k < OROW_STRS; k++) {
        o->s[k] = dup_or_null(src[k], &ok);
    }
    return ok ? 0 : PH_ENOMEM;
}

static int
take_sub(const struct store_subscriber *sub, void *arg)
{
    struct ncall *c = arg;
    struct csub *o;
    int ok = 1;

    if (c->ncsubs == STORE_ASYNC_SUBS_MAX) {
        return PH_ETOOBIG;
    }
    if (c->ncsubs == c->capcsubs) {
        size_t cap = c->capcsubs == 0 ? 16 : c->capcsubs * 2;
        struct csub *v = ph_realloc(c->csubs, cap * sizeof(*v));

        if (v == NULL) {
            return PH_ENOMEM;
        }
        c->csubs = v;
        c->capcsubs = cap;
    }
    o = &c->csubs[c->ncsubs++];
    memset(o, 0, sizeof(*o));
    memcpy(&o->head, sub, offsetof(struct store_subscriber, address));
    memcpy(o->head.secret, sub->secret,
           sizeof(*sub) - offsetof(struct store_subscriber, secret));
    o->address = dup_or_null(sub->address, &ok);
    o->components = dup_or_null(sub->components, &ok);
    return ok ? 0 : PH_ENOMEM;
}

/* Hands each copied subscriber to c->each, whole again. */
static void
walk_subs(struct ncall *c)
{
    struct store_subscriber *one = ph_malloc(sizeof(*one));

    if (one == NULL) {
        return;
    }
    for (size_t i = 0; i < c->ncsubs; i++) {
        const struct csub *o = &c->csubs[i];

        *one = o->head;
        snprintf(one->address, sizeof(one->address), "%s",
                 o->address != NULL ? o->address : "");
        snprintf(one->components, sizeof(one->components), "%s",
                 o->components != NULL ? o->components : "");
        (void)c->each(one, c->arg);
    }
    memset(one, 0, sizeof(*one));
    ph_free(one);
}

static int
exec_settle(struct store *db, struct ncall *c)
{
    const struct store_settle *st = &c->st;
    int rc = PH_EINTERNAL;

    switch (st->kind) {
    case STORE_SETTLE_DELIVERED:
        rc = store_outbox_delivered(db, st->row_id, st->now_ms);
        break;
    case STORE_SETTLE_GIVE_UP:
        rc = store_outbox_give_up(db, st->row_id, st->now_ms, c->err);
        break;
    case STORE_SETTLE_RETRY:
        rc = store_outbox_retry(db, st->row_id, st->due_ms, c->err,
                                st->count);
        break;
    }
    if (rc == 0 && c->sub_id != NULL) {
        rc = store_sub_result(db, c->sub_id, st->sub_ok, c->err, st->now_ms,
                              st->quarantine_after, st->span_ms,
                              &c->quarantined);
    }
    return rc;
}

static int
exec_put_all(struct store *db, struct ncall *c)
{
    int rc = store_tx_begin(db);

    for (size_t i = 0; rc == 0 && i < c->nmsgs; i++) {
        rc = store_outbox_put(db, &c->msgs[i]);
        c->each_rc[i] = rc;
        if (rc == PH_EEXIST) {
            rc = 0; /* this event reached this subscriber before */
        }
    }
    if (rc == 0) {
        rc = store_tx_commit(db);
    }
    if (rc != 0) {
        char keep[sizeof(c->errmsg)];

        snprintf(keep, sizeof(keep), "%s", store_errmsg(db));
        store_tx_rollback(db);
        snprintf(c->errmsg, sizeof(c->errmsg), "%s", keep);
        return rc;
    }
    return 0;
}

/* The call itself, on whichever connection db is. */
static int
ncall_exec(struct store *db, struct ncall *c)
{
    int rc = PH_EINTERNAL;

    switch (c->kind) {
    case NC_DUE:
        rc = store_outbox_due(db, c->now_ms, c->limit, take_row, c);
        break;
    case NC_SETTLE:
        rc = exec_settle(db, c);
        break;
    case NC_SUBS:
        rc = store_sub_list(db, c->state, take_sub, c);
        break;
    case NC_PUT_ALL:
        return exec_put_all(db, c); /* sets errmsg itself */
    case NC_STAFF:
        rc = store_staff_sync(db, c->subs, c->nsubs, c->now_ms);
        break;
    }
    if (rc != 0) {
        snprintf(c->errmsg, sizeof(c->errmsg), "%s",
                 rc == PH_ENOMEM || rc == PH_ETOOBIG ? ph_strerror(rc)
                                                     : store_errmsg(db));
    }
    return rc;
}

static int
on_thread(struct store *db, struct store_call *call)
{
    return ncall_exec(db, (struct ncall *)call);
}

static void
deliver_rows(struct ncall *c, int result)
{
    struct store_outbox_row *v = NULL;

    if (c->nrows > 0 &&
        (v = ph_calloc(c->nrows, sizeof(*v))) == NULL) {
        c->rows_done(PH_ENOMEM, "out of memory", NULL, 0, c->arg);
        return;
    }
    for (size_t i = 0; i < c->nrows; i++) {
        const struct orow *o = &c->rows[i];

        v[i].id = o->id;
        v[i].attempts = o->attempts;
        v[i].created_ms = o->created_ms;
        v[i].msg_id = o->s[0] != NULL ? o->s[0] : "";
        v[i].event = o->s[1] != NULL ? o->s[1] : "";
        v[i].payload = o->s[2] != NULL ? o->s[2] : "";
        v[i].sub_id = o->s[3] != NULL ? o->s[3] : "";
        v[i].kind = o->s[4] != NULL ? o->s[4] : "";
        v[i].address = o->s[5] != NULL ? o->s[5] : "";
        v[i].secret = o->s[6] != NULL ? o->s[6] : "";
    }
    c->rows_done(result, c->errmsg, v, c->nrows, c->arg);
    ph_free(v);
}

static void
on_loop(struct store_call *call, int result)
{
    struct ncall *c = (struct ncall *)call;

    switch (c->kind) {
    case NC_DUE:
        deliver_rows(c, result);
        break;
    case NC_SETTLE:
        if (c->settled != NULL) {
            c->settled(result, c->quarantined, c->errmsg, c->arg);
        }
        break;
    case NC_SUBS:
        walk_subs(c);
        if (c->walk_done != NULL) {
            c->walk_done(result, c->errmsg, c->arg);
        }
        break;
    case NC_PUT_ALL:
        if (c->put_done != NULL) {
            c->put_done(result, result == 0 ? c->each_rc : NULL, c->errmsg,
                        c->arg);
        }
        break;
    case NC_STAFF:
        if (c->walk_done != NULL) {
            c->walk_done(result, c->errmsg, c->arg);
        }
        break;
    }
    ncall_free(c);
}

/* Queues c on PostgreSQL with a writer, else runs it now. Takes c. */
static int
ncall_go(struct store *s, struct ncall *c)
{
    struct store_writer *w = store_async_writer(s);

    c->call.run = on_thread;
    c->call.done = on_loop;
    if (w != NULL && store_writer_call(w, &c->call) == 0) {
        return 0;
    }
    if (c->kind == NC_SUBS) {
        /* At once: each row goes straight to the caller, as the store's
         * own walk (nothing copied). */
        int rc = store_sub_list(s, c->state, c->each, c->arg);

        if (rc != 0 && c->walk_done != NULL) {
            c->walk_done(rc, store_errmsg(s), c->arg);
        } else if (c->walk_done != NULL) {
            c->walk_done(0, "", c->arg);
        }
        ncall_free(c);
        return 0;
    }
    on_loop(&c->call, ncall_exec(s, c));
    return 0;
}

static struct ncall *
ncall_new(enum ncall_kind kind, void *arg)
{
    struct ncall *c = ph_calloc(1, sizeof(*c));

    if (c != NULL) {
        c->kind = kind;
        c->arg = arg;
    }
    return c;
}

int
store_outbox_due_async(struct store *s, int64_t now_ms, size_t limit,
                       store_outbox_rows_cb done, void *arg)
{
    struct ncall *c = ncall_new(NC_DUE, arg);

    if (c == NULL) {
        return PH_ENOMEM;
    }
    c->now_ms = now_ms;
    c->limit = limit < STORE_ASYNC_DUE_MAX ? limit : STORE_ASYNC_DUE_MAX;
    c->rows_done = done;
    return ncall_go(s, c);
}

int
store_outbox_settle_async(struct store *s, const struct store_settle *st,
                          store_settled_cb done, void *arg)
{
    struct ncall *c = ncall_new(NC_SETTLE, arg);
    int ok = 1;

    if (c == NULL) {
        return PH_ENOMEM;
    }
    c->st = *st;
    c->settled = done;
    c->err = dup_or_null(st->err, &ok);
    c->sub_id = dup_or_null(st->sub_id, &ok);
    c->st.err = NULL;
    c->st.sub_id = NULL;
    if (!ok) {
        ncall_free(c);
        return PH_ENOMEM;
    }
    return ncall_go(s, c);
}

int
store_sub_list_async(struct store *s, const char *state, store_sub_cb each,
                     store_walk_done_cb done, void *arg)
{
    struct ncall *c = ncall_new(NC_SUBS, arg);
    int ok = 1;

    if (c == NULL) {
        return PH_ENOMEM;
    }
    c->each = each;
    c->walk_done = done;
    c->state = dup_or_null(state, &ok);
    if (!ok) {
        ncall_free(c);
        return PH_ENOMEM;
    }
    return ncall_go(s, c);
}

int
store_outbox_put_all_async(struct store *s,
                           const struct store_outbox_new *msgs, size_t n,
                           store_put_all_cb done, void *arg)
{
    struct ncall *c = ncall_new(NC_PUT_ALL, arg);
    int ok = 1;

    if (c == NULL) {
        return PH_ENOMEM;
    }
    c->put_done = done;
    if (n > 0 && ((c->msgs = ph_calloc(n, sizeof(*c->msgs))) == NULL ||
                  (c->each_rc = ph_calloc(n, sizeof(*c->each_rc))) == NULL)) {
        ncall_free(c);
        return PH_ENOMEM;
    }
    for (size_t i = 0; i < n && ok; i++) {
        struct store_outbox_new *m = &c->msgs[i];

        c->nmsgs++;
        m->now_ms = msgs[i].now_ms;
        m->due_ms = msgs[i].due_ms;
        m->idem_key = dup_or_null(msgs[i].idem_key, &ok);
        m->msg_id = dup_or_null(msgs[i].msg_id, &ok);
        m->subscriber_id = dup_or_null(msgs[i].subscriber_id, &ok);
        m->event = dup_or_null(msgs[i].event, &ok);
        m->coalesce_key = dup_or_null(msgs[i].coalesce_key, &ok);
        m->payload = dup_or_null(msgs[i].payload, &ok);
    }
    if (!ok) {
        ncall_free(c);
        return PH_ENOMEM;
    }
    return ncall_go(s, c);
}

int
store_staff_sync_async(struct store *s, const struct store_subscriber *rows,
                       size_t n, int64_t now_ms, store_walk_done_cb done,
                       void *arg)
{
    struct ncall *c = ncall_new(NC_STAFF, arg);

    if (c == NULL) {
        return PH_ENOMEM;
    }
    c->walk_done = done;
    c->now_ms = now_ms;
    if (n > 0) {
        c->subs = ph_calloc(n, sizeof(*c->subs));
        if (c->subs == NULL) {
            ncall_free(c);
            return PH_ENOMEM;
        }
        memcpy(c->subs, rows, n * sizeof(*rows));
        c->nsubs = n;
    }
    return ncall_go(s, c);
}
