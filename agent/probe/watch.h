/*
 * watch.h - an idle TCP connection held open to a check's target, to
 * notice between scheduled probes that the target is gone (issue #20,
 * check key `watch`).
 *
 * The watch connects to host:port and waits. When the connection ends
 * (FIN, RST, error), it connects again at once: a server closing idle
 * connections costs one TCP connect and nothing else. Only when that new
 * connection fails (refused, unreachable, no answer within timeout) is
 * the target reported LOST; then it retries, 1 s after the loss and
 * backing off x1.5 up to max_retry_ms (the scheduler uses 5 s), and
 * reports BACK on the first
 * connection that succeeds. It sends nothing and discards what it reads
 * (an SMTP banner, a 408 before an idle close). A connection that ends
 * within a second of being made is not retried at once (a proxy that
 * accepts and drops cannot make it spin).
 *
 * It notices a target that stops accepting connections (a crashed or
 * stopped process, a host gone), never an HTTP error or a slow answer:
 * those are the scheduled probes' job.
 * Loop thread only.
 */
#ifndef PH_WATCH_H
#define PH_WATCH_H

#include <stdint.h>

#include <uv.h>

struct watch;

enum watch_event { WATCH_LOST = 1, WATCH_BACK = 2 };

/* Called on each change; never after watch_close(). */
typedef void (*watch_cb)(enum watch_event ev, void *arg);

/* Starts watching host:port (host and source are copied; source may be
 * NULL: the system picks the local address). Returns 0 and *ret, or
 * PH_ENOMEM / PH_EINVAL; on error cb is never called. */
int watch_new(uv_loop_t *loop, const char *host, uint16_t port,
              const char *source, uint32_t timeout_ms, uint32_t max_retry_ms,
              watch_cb cb, void *arg, struct watch **ret);
/* Stops; no callback after this returns; w is freed once its handles
 * are closed. Accepts NULL. */
void watch_close(struct watch *w);

#endif
