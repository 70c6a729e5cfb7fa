/*
 * spool.h - the agent's bounded on-disk queue of unacknowledged results.
 *
 * Records (one struct check_result each, with a CRC) are appended to
 * segment files of a directory; every record gets a record id (rid) that
 * increases across restarts. A small state file, replaced atomically,
 * holds the first unacknowledged rid, the next batch seq, and the batch
 * in flight {seq, first rid, count}, written before the batch is sent:
 * after a crash the agent resends exactly that batch with the same seq,
 * so the collector can drop it if it had committed it (exactly-once).
 * When the segments would exceed max_bytes the oldest segment is deleted
 * (drop oldest) and the loss counted. A torn last record is cut off when
 * the spool is opened. Plain file I/O, no loop; agent thread only.
 */
#ifndef PH_SPOOL_H
#define PH_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "check.h"

#define SPOOL_MIN_BYTES (64u * 1024)

struct spool;

/* Opens (creating) dir. Returns 0 and a new spool, or PH_E* with the
 * reason in errbuf. */
int spool_open(const char *dir, uint64_t max_bytes,
               uint32_t records_per_segment, struct spool **ret,
               char *errbuf, size_t errlen);
/* Syncs and closes; accepts NULL. */
void spool_close(struct spool *s);

/* Appends r; sets *ret_rid. May drop the oldest segment (see above). */
int spool_append(struct spool *s, const struct check_result *r,
                 uint64_t *ret_rid);
/* fsync()s the segment being written. */
int spool_sync(struct spool *s);
/* Reads up to max records from rid from on (from >= head), in order. */
int spool_read(struct spool *s, uint64_t from, struct check_result *out,
               size_t max, size_t *ret_n);

uint64_t spool_head(const struct spool *s);   /* first unacked rid */
uint64_t spool_tail(const struct spool *s);   /* next rid to assign */
uint64_t spool_dropped(const struct spool *s); /* dropped since open */
uint64_t spool_next_seq(const struct spool *s);
void spool_set_next_seq(struct spool *s, uint64_t seq);

/* Records the batch about to be sent (persisted before returning). */
int spool_begin_batch(struct spool *s, uint64_t seq, uint64_t first_rid,
                      uint32_t count);
/* The batch in flight, or PH_ENOENT. */
int spool_inflight(const struct spool *s, uint64_t *ret_seq,
                   uint64_t *ret_first_rid, uint32_t *ret_count);
/* The collector acked seq: if it is the batch in flight, its records are
 * done; the head advances and finished segments are deleted. */
int spool_ack(struct spool *s, uint64_t seq);
/* Forgets the batch in flight without acking it (the collector refused
 * it for good): its records are dropped. */
int spool_discard_inflight(struct spool *s);

#endif
