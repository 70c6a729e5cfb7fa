/*
 * docshare.h - the leader's public documents, shared through PostgreSQL
 * with every collector (high availability).
 *
 * The leader derives the documents (feed JSON, feeds, badges, page.json)
 * and docshare_published() writes those that changed since the last push
 * into the table pharos_documents, in one transaction that ends with
 * NOTIFY pharos_docs. Every other collector LISTENs on pharos_docs and
 * reads the rows newer than the last it applied (also every 2 s, in case
 * a notification was lost, and after every reconnect), then serves them
 * from its own memory and publish_dir. So a page served by any collector
 * shows the leader's change within a round trip or two.
 *
 * A collector that loses the database keeps serving the documents it
 * has (never blank) and reports itself stale since the moment it last
 * synchronised (docshare_status, /healthz, /metrics).
 *
 * Fencing: every row carries the epoch of the lease that wrote it, and
 * a push only replaces rows of the same or an older epoch, so a deposed
 * leader that still runs can never overwrite what its successor wrote.
 *
 * Loop thread only.
 */
#ifndef PH_DOCSHARE_H
#define PH_DOCSHARE_H

#include <stdint.h>

#include <uv.h>

struct docshare;
struct publish;

struct docshare_status {
    int connected;
    int leader;
    int64_t last_sync_ms;    /* wall clock; 0 = never */
    int64_t stale_since_ms;  /* wall clock; 0 = not stale */
    uint64_t pushes;         /* documents written (leader) */
    uint64_t pulls;          /* documents applied (follower) */
    uint64_t errors;
};

/*
 * Starts sharing pub's documents through the database at conninfo (a
 * libpq connection string, copied). Starts as a follower. Returns 0,
 * PH_EINVAL (errbuf says why) or PH_ENOMEM.
 */
int docshare_new(uv_loop_t *loop, const char *conninfo, struct publish *pub,
                 char *errbuf, size_t errlen, struct docshare **ret);

/*
 * The lease's verdict: leader with fencing epoch, or follower (epoch
 * ignored). A new leader pushes every document it holds; a new follower
 * reads every row again.
 */
void docshare_set_role(struct docshare *ds, int leader, uint64_t epoch);

/* The URL the other collectors reach this one at (copied, at most
 * DOCSHARE_URL_MAX - 1 bytes): while it leads, it is stored in the
 * table pharos_leader (fenced by epoch like the documents), and every
 * follower reads it with the documents (docshare_leader_url). */
#define DOCSHARE_URL_MAX 256
void docshare_set_url(struct docshare *ds, const char *url);
/* The current leader's URL as a follower last read it ("" when none is
 * known, or on the leader itself). */
const char *docshare_leader_url(const struct docshare *ds);

/* Leader: the documents changed (after a publish); pushes what is new.
 * A follower ignores it. */
void docshare_published(struct docshare *ds);

void docshare_status(const struct docshare *ds, struct docshare_status *ret);

/* Stops and frees ds once libuv lets go of its handles. Accepts NULL. */
void docshare_close(struct docshare *ds);

#endif
