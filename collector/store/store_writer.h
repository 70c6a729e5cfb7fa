/*
 * store_writer.h - agent result batches committed off the loop thread.
 *
 * A writer thread owns a second connection to the database (WAL: the
 * loop's readers never wait for it) and commits whatever batches are
 * queued in one transaction (group commit), so many agents' batches cost
 * one commit, and the HTTP loop keeps serving while sqlite writes. Each
 * batch's done callback then runs on the loop thread (uv_async), which
 * is where the reply to the agent is sent: commit before ack holds.
 *
 * On sqlite the loop's own connection still writes the small things
 * (transitions, incidents, uptime); such a write waits at most one group
 * commit for the write lock (busy timeout). On PostgreSQL the collector
 * starts a second writer whose thread takes only store calls (see
 * store_call below; store_async*.h), so the loop makes no round trip for
 * its background work.
 */
#ifndef PH_STORE_WRITER_H
#define PH_STORE_WRITER_H

#include <uv.h>

#include "store.h"

struct store_writer;

/*
 * A store call for the writer thread: run(db, c) runs there, on the
 * thread's own connection (so a PostgreSQL round trip never blocks the
 * loop), between group commits and in the order queued; then done(c,
 * result) runs on the loop thread and owns c. store_async.c builds the
 * asynchronous store calls on this.
 */
struct store_call {
    struct store_call *next;
    int (*run)(struct store *db, struct store_call *c);
    void (*done)(struct store_call *c, int result);
    int result;
};

/* Batches and results one transaction takes at most; the rest wait for
 * the next one. */
#define STORE_WRITER_GROUP_MAX 64
/* Batches queued at most; store_writer_submit() refuses more (503). */
#define STORE_WRITER_QUEUE_MAX 1024

/* Opens the writer's connection to path, a sqlite file or a PostgreSQL
 * URI with its password (may be NULL), already opened and migrated by
 * store_open(), and starts its thread. Returns 0 and a new writer, or
 * PH_E* with a message in errbuf. */
int store_writer_start(uv_loop_t *loop, const char *path,
                       const char *password,
                       struct store_writer **ret, char *errbuf,
                       size_t errlen);

/*
 * Queues b (taken) for the next group commit; b->done(b, b->arg) runs on
 * the loop thread afterwards with b->result set, and owns b from then on
 * (free it with store_batch_free()). Returns 0, or PH_EBUSY when the
 * queue is full or the writer is stopping: then b stays the caller's and
 * done is never called.
 */
int store_writer_submit(struct store_writer *w, struct store_batch *b);

/* Calls queued at most; store_writer_call() refuses more. */
#define STORE_WRITER_CALLS_MAX 4096

/* Queues c (taken) for the writer thread. Returns 0, or PH_EBUSY when
 * the queue is full or the writer is stopping: then c stays the
 * caller's and done is never called. */
int store_writer_call(struct store_writer *w, struct store_call *c);

/* Commits what is queued, runs every done callback, stops the thread
 * and closes the connection; frees w once libuv has closed its handle.
 * Loop thread only; accepts NULL. */
void store_writer_stop(struct store_writer *w);

/* Batches waiting now, and group commits so far (for /metrics). */
size_t store_writer_queued(struct store_writer *w);
uint64_t store_writer_commits(struct store_writer *w);

/* Frees b and its results. Accepts NULL. */
void store_batch_free(struct store_batch *b);

#endif
