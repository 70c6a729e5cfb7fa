/*
 * forward.h - a follower's API writes, forwarded to the leader (HA).
 *
 * Under `ha:` only the leader acts on the collector's state (incidents,
 * maintenance, subscribers, keys, components): a follower that takes a
 * write (any method but GET/HEAD/OPTIONS, agents' result batches
 * included: only the leader evaluates, and it evaluates what it commits)
 * hands it, as received, to the leader it last read from the database
 * (docshare_leader_url) and relays the leader's answer. The leader
 * renders and shares the result, so the write shows in every
 * collector's feed within a round trip or two.
 *
 * Forwarded: the method, path and query, the body (already capped by
 * server.max_body_bytes) and the request headers handlers read
 * (Authorization, Content-Type, Cookie, X-PagerDuty-Signature), plus
 * X-Forwarded-For (the client, appended) and X-Pharos-Forwarded (this
 * node). Relayed back: the status, the body, Content-Type, Retry-After,
 * Location, WWW-Authenticate, Set-Cookie and ETag. No leader known, the
 * leader unreachable or slower than FORWARD_TIMEOUT_MS: 503 with
 * Retry-After: 2 (the client retries; nothing was applied here). A
 * forwarded request that reaches a collector that is not the leader is
 * answered 503, never forwarded again.
 *
 * libcurl through curl_uv (uvcurl/); loop thread only.
 */
#ifndef PH_FORWARD_H
#define PH_FORWARD_H

#include <uv.h>

#include "http.h"

#define FORWARD_TIMEOUT_MS 5000
#define FORWARD_REPLY_MAX (4u * 1024 * 1024)
#define FORWARD_HEADER "X-Pharos-Forwarded"

struct forward;

/* Returns new or NULL. node (copied) names this collector. */
struct forward *forward_new(uv_loop_t *loop, const char *node);
/* Aborts transfers in flight (their requests are answered 503) and
 * frees f once libuv lets go. Accepts NULL. */
void forward_close(struct forward *f);

/* 1 for a request a follower must forward (a write, not an agent's). */
int forward_wanted(const struct http_request *req);

/*
 * Forwards req to leader_url (a base URL; "" or NULL: none known). The
 * reply leaves later (http_defer) or, on an immediate failure, is set
 * in resp (503).
 */
void forward_request(struct forward *f, const char *leader_url,
                     struct http_request *req, struct http_response *resp);

#endif
