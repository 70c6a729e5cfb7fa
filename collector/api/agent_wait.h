/*
 * agent_wait.h - held-open re-check requests (issue #20):
 * GET /v1/agent/rechecks.
 *
 * An agent keeps one such request open to its collector. When ingest
 * asks a region for a re-check (another region saw a check change),
 * agent_waits_wake() answers a waiting request of that region at once
 * with the check ids, instead of leaving them for the Ack of the
 * region's next batch or heartbeat (up to the heartbeat, 2 s, later).
 * The agent opens the request, so agents still need no listening port.
 * The reply is an Ack message (acked_seq 0, the region's plan version,
 * the ids in recheck); a request nothing answers gets an empty one after
 * AGENT_WAIT_HOLD_MS and the agent asks again.
 *
 * Caps: one waiting request per agent (a newer one answers the older
 * empty), at most AGENT_WAIT_MAX in all (503 beyond). A suspended
 * request never times out in the HTTP server, hence the hold here.
 *
 * Ownership: agent_waits_new() returns new; agent_waits_close() answers
 * every waiting request and frees the table once libuv has closed its
 * timer (accepts NULL). Loop thread only.
 */
#ifndef PH_AGENT_WAIT_H
#define PH_AGENT_WAIT_H

#include <stddef.h>

#include "hub.h"
#include "request.h"

#define AGENT_WAIT_HOLD_MS 20000
#define AGENT_WAIT_MAX 4096

struct agent_waits;

/* Returns new, or NULL. h is borrowed for the table's lifetime. */
struct agent_waits *agent_waits_new(struct hub *h);
/* Answers every waiting request (empty), closes the timer, frees. */
void agent_waits_close(struct agent_waits *w);
/* Answers every waiting request empty (a reload: regions may have
 * moved); the agents ask again. Accepts NULL. */
void agent_waits_flush(struct agent_waits *w);
/* Re-checks wait for region: hands them to one waiting request of the
 * region, if any (else they stay for the region's next ack). Accepts
 * NULL. */
void agent_waits_wake(struct agent_waits *w, size_t region);
/* Requests held now. */
size_t agent_waits_count(const struct agent_waits *w);

/* Route handler of GET /v1/agent/rechecks (agent bearer token). */
void agent_wait_handler(struct api_req *rq, struct http_request *req,
                        struct http_response *resp);

#endif
