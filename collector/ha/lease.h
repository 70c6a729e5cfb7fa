/*
 * lease.h - exactly one leader among collectors, by a lease row in
 * PostgreSQL with a fencing epoch (issue #14 item 3).
 *
 * The lease is the row `pharos_lease` named 'leader': holder, epoch and
 * expires_at, the last computed by the server's clock. It runs on its
 * own PostgreSQL connection, driven asynchronously on the collector's
 * libuv loop (libpq's non-blocking API, PQsocket watched by uv_poll):
 * the loop never waits for the database.
 *
 * - A follower tries to take the lease every min(lease/3, 1 s); the
 *   server lets it only once expires_at has passed by the server's
 *   clock, and then increments epoch (the fencing token). So a dead
 *   leader is replaced within lease + 1 s plus one round trip.
 * - The holder renews every lease/3. It counts its lease on its own
 *   monotonic clock from the moment it *sent* the last successful renew
 *   (the server computed expires_at later than that), and steps down
 *   when lease - margin (margin = lease/5) has passed without a
 *   successful renew: before anyone else can take the lease, even when
 *   the database or the network to it hangs.
 * - Connections that fail, or a query unanswered for lease/3, are
 *   dropped and re-opened by the lease itself, with backoff.
 *
 * Leader-only writes check the fence in the same transaction (see
 * LEASE_FENCE_SQL) so that a write of a deposed leader can never commit
 * after a new epoch exists.
 *
 * Everything runs on the loop given to lease_start(); nothing is locked.
 */
#ifndef PH_LEASE_H
#define PH_LEASE_H

#include <stdint.h>
#include <uv.h>

struct lease;

/* Called on the loop when this node becomes leader (leader 1, with the
 * new epoch) or stops being one (leader 0, the epoch it held). Never
 * called from inside lease_start() or lease_stop(). */
typedef void (*lease_change_cb)(void *arg, int leader, uint64_t epoch);

#define LEASE_DEFAULT_MS 10000
#define LEASE_MIN_MS 1000
#define LEASE_MAX_MS 300000
#define LEASE_NODE_ID_MAX 63

/*
 * Starts contending for the lease: connects (conninfo: a libpq
 * connection string or postgresql:// URI, borrowed), creates the lease
 * table and the fence function if missing, then follows or leads.
 * node_id (borrowed, 1-63 characters) names this node in the lease row
 * and in logs. lease_ms within [LEASE_MIN_MS, LEASE_MAX_MS].
 * Returns 0 and the lease in *ret, or PH_EINVAL / PH_ENOMEM (then
 * on_change is never called). A database that cannot be reached is not
 * an error: the lease keeps trying.
 */
int lease_start(uv_loop_t *loop, const char *conninfo, const char *node_id,
                uint32_t lease_ms, lease_change_cb on_change, void *arg,
                struct lease **ret);

/* 1 while this node holds the lease (by its own clock), else 0. */
int lease_is_leader(const struct lease *l);
/* The epoch this node holds or last held, 0 if never. */
uint64_t lease_epoch(const struct lease *l);
/* Wall clock (ms) of the last change of role (start counts as one). */
int64_t lease_since_ms(const struct lease *l);
/* 1 while the lease's connection is up and its last query succeeded. */
int lease_connected(const struct lease *l);

/*
 * Stops contending. A leader steps down at once without calling
 * on_change, then hands the lease back (expires_at = now) if the
 * connection allows within a second, so a follower takes over without
 * waiting for the lease to run out. The lease frees itself once its
 * handles are closed; the loop then runs dry. Accepts NULL.
 */
void lease_stop(struct lease *l);

/*
 * The fence for leader-only writes: run
 *     SELECT pharos_lease_fence($1)      -- $1 = lease_epoch()
 * as the first statement of the write's transaction. It succeeds only
 * while $1 is the current epoch and the lease has not expired by the
 * server's clock, and it takes a share lock on the lease row, so no
 * takeover (which updates that row) can commit until the write's
 * transaction ends: a deposed leader's write either commits before the
 * new epoch exists or fails with SQLSTATE LEASE_FENCE_SQLSTATE.
 * The other side of that lock: while a fenced transaction is open no
 * takeover can commit, even past expires_at, so keep them short and
 * bounded (statement_timeout well under the lease); the lease's own
 * queries run with statement_timeout = lease/4 and retry, so a takeover
 * follows the commit within a follower's next try
 * (tests/integration/test_lease.py). The wiring keeps the current epoch
 * in hub->role.epoch.
 */
#define LEASE_FENCE_SQL "SELECT pharos_lease_fence($1::bigint)"
#define LEASE_FENCE_SQLSTATE "PHL01"

#endif
