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
/* Aborts everything, closes handles, frees cu, then calls cb(arg). */
void curl_uv_close(struct curl_uv *cu, curl_uv_closed_cb cb, void *arg);

#endif
