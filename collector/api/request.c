/*
 * request.c - replies a handler gives later, and their metrics
 * (request.h).
 */
#include "request.h"

#include <stdio.h>
#include <string.h>

#include "lang.h"
#include "mem.h"

static const int code_slots[HTTP_CODE_SLOTS] = {
    0, 200, 201, 204, 304, 400, 401, 403, 404, 405, 409, 413, 422, 429,
    500, 503,
};

int
request_code_slot(int code)
{
    for (int i = 1; i < HTTP_CODE_SLOTS; i++) {
        if (code_slots[i] == code) {
            return i;
        }
    }
    return 0;
}

int
request_slot_code(int slot)
{
    return slot > 0 && slot < HTTP_CODE_SLOTS ? code_slots[slot] : 0;
}

struct route_pending {
    struct http_pending *p;
    struct hub *h;
    enum http_route metric;
};


void
request_count(struct hub *h, enum http_route metric, int status)
{
    h->metrics.http_requests++;
    h->metrics.http_by_route[metric][request_code_slot(status)]++;
}

struct route_pending *
route_defer(struct api_req *rq, struct http_request *req)
{
    struct route_pending *rp = ph_malloc(sizeof(*rp));

    if (rp == NULL) {
        return NULL;
    }
    rp->p = http_defer(req);
    if (rp->p == NULL) {
        ph_free(rp);
        return NULL;
    }
    rp->h = rq->h;
    rp->metric = rq->metric;
    rq->deferred = 1;
    return rp;
}

void
route_undefer(struct api_req *rq, struct route_pending *rp)
{
    http_undefer(rp->p);
    ph_free(rp);
    rq->deferred = 0;
}

void
route_pending_finish(struct route_pending *rp, struct http_response *resp)
{
    request_count(rp->h, rp->metric, resp->status);
    http_pending_finish(rp->p, resp);
    ph_free(rp);
}

void
route_reply_json(struct http_response *resp, int status, unsigned flags,
                 ph_json *doc)
{
    char *text = NULL;
    size_t len = 0;

    if (ph_json_dump(doc, flags, ROUTE_REPLY_MAX, &text, &len) != 0) {
        http_resp_error(resp, 500, "internal", "out of memory");
        return;
    }
    http_resp_take(resp, status, "application/json", (uint8_t *)text, len);
}

void
route_reply_after(struct api_req *rq, route_fn fn, int status,
                  const char *subject)
{
    rq->reply = fn;
    rq->reply_status = status;
    snprintf(rq->subject, sizeof(rq->subject), "%s",
             subject != NULL ? subject : "");
}

int
request_reader_lang(struct hub *h, struct http_request *req,
                    struct http_response *resp)
{
    if (!h->conf.page.reader_language) {
        return h->conf.page.lang;
    }
    http_resp_header(resp, "Vary", "Accept-Language");
    return lang_negotiate(http_req_header(req, "Accept-Language"),
                          h->conf.page.lang);
}
