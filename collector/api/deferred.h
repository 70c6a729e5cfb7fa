/*
 * deferred.h - a request whose store work runs off the loop: "park this
 * request, run this store work on the writer thread, then finish on the
 * loop" (issue #14: on PostgreSQL no handler's round trip blocks the
 * loop, so the page and the feed keep answering while the database is
 * slow or cut off).
 *
 * A handler that writes (or reads) the store calls deferred_store() with
 * run (the store work, on whichever connection it is given) and done
 * (the reply and the in-memory changes, on the loop). On PostgreSQL the
 * request is parked (http_defer), run goes to the writer thread as a
 * store_call on its own connection, and done runs on the loop when it
 * returns, followed by the rest of the wiring's HTTP callback (the
 * evaluation asked for, read-your-writes publish, audit, metrics). On
 * sqlite, or without a writer thread, run and done run at once on the
 * loop's connection: the handler answers as before.
 *
 * Writes are serial: while one is in flight, a handler that calls
 * deferred_wait() first is parked and runs again, from the start, when
 * the store work before it has finished, so it reads the memory the
 * earlier write changed (no lost update between two edits of one
 * incident). In-memory changes are made in done, in commit order.
 *
 * A done callback may chain another step: deferred_store() again, with
 * the rq and req it was given (a read, a decision on the loop, then the
 * write); the request stays parked until the last step's done.
 *
 * A parked request has DEFERRED_TIMEOUT_MS: then it gets 503 with
 * Retry-After (the database did not answer; the write, when the
 * database takes it later, is still applied, as a client that times
 * out would find). A store work that fails with the database down gets
 * 503 from its done callback (deferred_status()).
 *
 * Loop thread only, except run.
 */
#ifndef PH_DEFERRED_H
#define PH_DEFERRED_H

#include "request.h"

struct store;
struct deferred;

/* A parked request gets 503 after this long without its store work. */
#define DEFERRED_TIMEOUT_MS 15000
/* Requests parked at most (in flight and waiting); more get 503. */
#define DEFERRED_MAX 256

/* The store work: on the writer thread (PostgreSQL) or the loop
 * (sqlite), on the connection db. Returns 0 or PH_E*; it may only touch
 * arg and db. */
typedef int (*deferred_run_cb)(struct store *db, void *arg);
/* The finish, on the loop: result is run's, or PH_EDB when the store
 * work could not be queued. Fills resp (or uses route_reply_after()) and
 * makes the in-memory changes. req is NULL when the request went away
 * (timed out, or the server stopped): the changes are still made. */
typedef void (*deferred_done_cb)(struct api_req *rq,
                                 struct http_request *req, void *arg,
                                 int result, struct http_response *resp);
/* Frees arg after done. May be NULL. */
typedef void (*deferred_free_cb)(void *arg);
/* The wiring's tail of its HTTP callback (evaluation, publish, audit,
 * metrics) for a request finished later; resp is then sent. */
typedef void (*deferred_tail_cb)(void *arg, struct api_req *rq,
                                 struct http_request *req,
                                 struct http_response *resp);

/* Returns new, or NULL (no memory). tail is the wiring's. */
struct deferred *deferred_new(struct hub *h, deferred_tail_cb tail,
                              void *tail_arg);
/* Answers what waits 503 and closes the timer; frees d once libuv has
 * closed it. Jobs still on the writer thread finish without a request.
 * Accepts NULL. */
void deferred_stop(struct deferred *d);

/*
 * 1 when the handler must return at once: an earlier store work is in
 * flight, so this request is parked and its handler runs again later;
 * 0 to go on. Handlers that read memory an earlier write may change call
 * this first.
 */
int deferred_wait(struct api_req *rq, struct http_request *req);

/*
 * Runs run(db, arg) off the loop, then done on the loop (see above).
 * Takes arg (free_arg frees it after done, or at once if it cannot be
 * queued after done ran with PH_EDB). resp is the handler's: left empty
 * when the request is parked.
 */
void deferred_store(struct api_req *rq, struct http_request *req,
                    struct http_response *resp, deferred_run_cb run,
                    deferred_done_cb done, deferred_free_cb free_arg,
                    void *arg);

/* The status a failed store work answers: 503 for a database that is
 * down or busy, else 500. */
int deferred_status(int result);
/* Fills resp with the error of a failed store work: 503 with
 * Retry-After: 5, or 500. */
void deferred_error(struct http_response *resp, int result,
                    const char *what);

/* A list read off the loop: fill appends the rows to arr on the store's
 * connection (as run above: it may touch only arr, its copy of ctx and
 * db), then 200 with arr, or the error of a failed read saying what (a
 * static string, "cannot read keys"). Takes arr (NULL: 503); ctx, the
 * read's parameters (ctx_len bytes, none when 0), is copied. */
typedef int (*deferred_fill_cb)(struct store *db, ph_json *arr,
                                const void *ctx);
void deferred_list(struct api_req *rq, struct http_request *req,
                   struct http_response *resp, ph_json *arr,
                   deferred_fill_cb fill, const void *ctx, size_t ctx_len,
                   const char *what);

/* Store works in flight and requests waiting (for /metrics, tests). */
size_t deferred_inflight(const struct deferred *d);

#endif
