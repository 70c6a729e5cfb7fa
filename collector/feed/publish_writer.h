/*
 * publish_writer.h - publish_dir written by a thread of its own.
 *
 * Each document written into publish_dir costs an fsync(2), and while
 * agents' batches are being committed an fsync waits behind the
 * database's: 5 - 75 ms each on the development machine. On the loop
 * thread that stalled every request in flight. The loop now hands the
 * dirty documents to this writer (a copy of each: the loop goes on
 * replacing its own) and the thread writes them with write-temp + fsync
 * + rename, as publish_flush() does. Only the newest content of a path
 * waits: a document changed twice before the thread got to it is
 * written once.
 *
 * A write that fails stays pending and is tried again at the next
 * publish_writer_queue() (the next render), as a failed publish_flush()
 * leaves its document dirty; failures are logged rate-limited by the
 * thread and counted for pharos_publish_errors_total.
 *
 * Every function is for the loop thread; the thread touches only what
 * is queued.
 */
#ifndef PH_PUBLISH_WRITER_H
#define PH_PUBLISH_WRITER_H

#include <stdint.h>

#include "publish.h"

struct publish_writer;

/* Starts the thread that writes into dir (borrowed; copied). Returns 0
 * and a new writer in *ret, PH_ENOMEM or PH_EINTERNAL (no thread). */
int publish_writer_start(const char *dir, struct publish_writer **ret);

/*
 * Copies p's dirty documents into the writer's queue and wakes the
 * thread (which also retries earlier failures). The documents handed
 * over are no longer dirty in p; one that could not be copied (out of
 * memory) stays dirty. Returns 0 or PH_ENOMEM.
 */
int publish_writer_queue(struct publish_writer *w, struct publish *p);

/* Failed write passes since the last call (each pass with at least one
 * failed document counts once, as a failed publish_flush() does). */
uint64_t publish_writer_take_failures(struct publish_writer *w);

/* Writes what is still queued (one more attempt), stops and joins the
 * thread and frees w. Accepts NULL. */
void publish_writer_stop(struct publish_writer *w);

#endif
