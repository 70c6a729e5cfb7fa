/*
 * store_async_notify.h - the notification outbox's store calls that the
 * loop makes without waiting for the database: the delivery worker's
 * reads of due messages and its outcomes, the subscribers an event fans
 * out to, the messages it enqueues, the staff channels.
 *
 * Same contract as store_async.h: on PostgreSQL each call is queued to
 * the writer thread (store_writer.h) and runs there on its own
 * connection, in the order queued, so no round trip blocks the loop; on
 * sqlite (or when no writer is set, or its queue is full) it runs at
 * once on the loop's connection, as before. The callbacks run on the
 * loop thread: on sqlite before the call returns, on PostgreSQL later.
 * Arguments are copied; rows handed to a callback are borrowed for the
 * call. A call returns 0 or PH_ENOMEM (then no callback is ever called).
 */
#ifndef PH_STORE_ASYNC_NOTIFY_H
#define PH_STORE_ASYNC_NOTIFY_H

#include "store.h"

/* Due messages at most one read hands back (store_outbox_due()'s
 * limit is capped to it). */
#define STORE_ASYNC_DUE_MAX 1024
/* Subscribers at most one walk hands back; more are left out of it
 * and the walk's result is PH_ETOOBIG. */
#define STORE_ASYNC_SUBS_MAX 100000

/* store_outbox_due(): done(result, errmsg, rows, n, arg) with the due
 * rows. */
typedef void (*store_outbox_rows_cb)(int result, const char *errmsg,
                                     const struct store_outbox_row *rows,
                                     size_t n, void *arg);
int store_outbox_due_async(struct store *s, int64_t now_ms, size_t limit,
                           store_outbox_rows_cb done, void *arg);

/* What became of one delivery attempt. */
enum store_settle_kind {
    STORE_SETTLE_DELIVERED, /* store_outbox_delivered() */
    STORE_SETTLE_GIVE_UP,   /* store_outbox_give_up() */
    STORE_SETTLE_RETRY,     /* store_outbox_retry() */
};

struct store_settle {
    enum store_settle_kind kind;
    int64_t row_id;
    int64_t now_ms;
    int64_t due_ms;           /* RETRY: the next try */
    int count;                /* RETRY: counts an attempt */
    const char *err;          /* GIVE_UP, RETRY (may be NULL) */
    /* Then, when sub_id is not NULL and the first write worked, the
     * subscriber's outcome (store_sub_result()). */
    const char *sub_id;
    int sub_ok;
    uint32_t quarantine_after;
    int64_t span_ms;
};

/* done(result, quarantined, errmsg, arg): the first failure (or 0),
 * whether the subscriber was quarantined, the database's message. */
typedef void (*store_settled_cb)(int result, int quarantined,
                                 const char *errmsg, void *arg);
int store_outbox_settle_async(struct store *s, const struct store_settle *st,
                              store_settled_cb done, void *arg);

/* store_sub_list(): each(sub, arg) for every subscriber in state, then
 * done(result, errmsg, arg). On sqlite each row comes straight from the
 * store's walk (a non-zero return stops it, and is done's result); on
 * PostgreSQL the rows are copied on the thread (compactly: the long
 * columns at their length) and each one's return value is ignored. */
typedef void (*store_walk_done_cb)(int result, const char *errmsg,
                                   void *arg);
int store_sub_list_async(struct store *s, const char *state,
                         store_sub_cb each, store_walk_done_cb done,
                         void *arg);

/* Enqueues msgs[0..n) in one transaction (store_outbox_put() each; one
 * enqueued before, PH_EEXIST, is left as it is). done(result, each,
 * errmsg, arg): 0 or the failure (then nothing was enqueued), and each
 * message's own result (0: new or coalesced; PH_EEXIST; NULL when
 * result is not 0). */
typedef void (*store_put_all_cb)(int result, const int *each,
                                 const char *errmsg, void *arg);
int store_outbox_put_all_async(struct store *s,
                               const struct store_outbox_new *msgs, size_t n,
                               store_put_all_cb done, void *arg);

/* store_staff_sync(). done(result, errmsg, arg). */
int store_staff_sync_async(struct store *s,
                           const struct store_subscriber *rows, size_t n,
                           int64_t now_ms, store_walk_done_cb done,
                           void *arg);

#endif
