/*
 * curl_uv.h - one libcurl multi handle driven by a libuv loop
 * (the socket/timer callback pattern of curl's docs/examples/multi-uv.c).
 *
 * Callers create easy handles, set their options, and hand them over with
 * curl_uv_add(); when the transfer ends, done is called with the easy
 * handle and the CURLcode, after which the easy handle belongs to the
 * caller again (curl_uv has already removed it from the multi).
 * Loop thread only. curl.h is seen here, by the agent's checks/http.c and
 * report.c, and by the collector's notify_send.c.
 */
#ifndef PH_CURL_UV_H
#define PH_CURL_UV_H

#include <curl/curl.h>
#include <uv.h>

struct curl_uv;

typedef void (*curl_uv_done_cb)(CURL *easy, CURLcode result, void *arg);
typedef void (*curl_uv_closed_cb)(void *arg);

/* Returns new, or NULL. Call curl_global_init() once before. */
struct curl_uv *curl_uv_new(uv_loop_t *loop);
/* Starts easy; done is called exactly once unless curl_uv_remove() is
 * called first. Returns 0 or PH_E*; on error done is never called. */
int curl_uv_add(struct curl_uv *cu, CURL *easy, curl_uv_done_cb done,
                void *arg);
/* Aborts a transfer started with curl_uv_add(); done is not called. */
void curl_uv_remove(struct curl_uv *cu, CURL *easy);
/* An easy handle for a new transfer: one given back with
 * curl_uv_easy_put(), reset to its defaults (curl_easy_reset: no option
 * of an earlier transfer remains), or a new one. Returns new (the
 * caller's), or NULL. Reusing handles saves libcurl's allocation and
 * set-up of each handle and its buffers (issue #15). */
CURL *curl_uv_easy_get(struct curl_uv *cu);
/* Takes easy (not attached to the multi, or already done) back into
 * the pool, or cleans it up when the pool is full. Accepts NULL. */
void curl_uv_easy_put(struct curl_uv *cu, CURL *easy);
/* Aborts everything, closes handles, frees cu, then calls cb(arg). */
void curl_uv_close(struct curl_uv *cu, curl_uv_closed_cb cb, void *arg);

#endif
