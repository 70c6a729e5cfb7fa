/*
 * audit.c - one audit log entry per management write (audit.h).
 */
#include "audit.h"

#include <stdio.h>
#include <string.h>

#include "json.h"
#include "log.h"
#include "store.h"
#include "store_async.h"
#include "timefmt.h"

/* The object a request acted on: the id (or name) a create returned,
 * else the path's last segment without ".json". */
static void
target_of(struct http_request *req, const struct http_response *resp,
          char *out, size_t len)
{
    const char *path = http_req_path(req);
    const char *last = strrchr(path, '/');
    size_t n;

    out[0] = '\0';
    if (resp->status == 201 && resp->body != NULL) {
        json_t *o = ph_json_parse((const char *)resp->body, resp->body_len,
                                  0, NULL);
        const char *v = json_string_value(json_object_get(o, "id"));

        if (v == NULL) {
            v = json_string_value(json_object_get(o, "name"));
        }
        snprintf(out, len, "%s", v != NULL ? v : "");
        json_decref(o);
        if (out[0] != '\0') {
            return;
        }
    }
    last = last != NULL ? last + 1 : path;
    snprintf(out, len, "%s", last);
    n = strlen(out);
    if (n > 5 && strcmp(out + n - 5, ".json") == 0) {
        out[n - 5] = '\0';
    }
}

/* The outcome of an audit entry's write (store_async.h). */
static void
on_audit_stored(int result, const char *errmsg, void *arg)
{
    (void)arg;
    if (result != 0) {
        log_warnx("store: cannot write the audit log: %s", errmsg);
    }
}

void
audit_request(struct hub *h, const char *actor,
              struct http_request *req, const struct http_response *resp)
{
    const char *method = http_req_method(req);
    const char *path = http_req_path(req);
    size_t len;
    const char *body;
    char action[300], target[128], detail[AUDIT_DETAIL_MAX + 4];
    size_t n;

    if (actor == NULL || strcmp(method, "GET") == 0 ||
        strcmp(method, "HEAD") == 0 || strcmp(method, "OPTIONS") == 0 ||
        strncmp(path, "/v1/", 4) != 0 || strncmp(path, "/v1/agent/", 10) == 0) {
        return;
    }
    body = (const char *)http_req_body(req, &len);
    n = len < AUDIT_DETAIL_MAX ? len : AUDIT_DETAIL_MAX;
    snprintf(action, sizeof(action), "%s %s", method, path);
    target_of(req, resp, target, sizeof(target));
    /* Printable bytes only: the log is read by humans. */
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)body[i];
        detail[i] = ch >= 0x20 && ch != 0x7f ? (char)ch : ' ';
    }
    detail[n] = '\0';
    if (len > n) {
        memcpy(detail + n, "...", 4);
    }
    /* A created key or token is in the reply, never in the request, so
     * the excerpt holds no secret. */
    if (store_audit_add_async(h->store, time_now_ms(), actor, action,
                              target, detail, resp->status, on_audit_stored,
                              NULL) != 0) {
        log_warnx("store: cannot write the audit log: out of memory");
    }
}
