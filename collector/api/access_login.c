/*
 * access_login.c - the login form of a page with access: password, and
 * signing out (access.h):
 *
 *   GET  /login            the form (token mode: how to get in)
 *   POST /login            password=...&next=/path: 303 to next with the
 *                          session cookie, 401 with the form again, or 429
 *                          with Retry-After while the client must wait
 *   POST /logout           clears the cookie, 303 to /login
 *
 * The form is self-contained (no script, inline style): the page's own
 * assets need the session it gives.
 */
#include <stdio.h>
#include <string.h>

#include "access.h"
#include "api_body.h"
#include "buf.h"
#include "lang.h"
#include "log.h"
#include "notify_msgs.h"
#include "request.h"
#include "session.h"
#include "timefmt.h"

#define FORM_MAX (16 * 1024)

/* The form page with an optional message (NMSG_COUNT for none; {1} is
 * arg), in the reader's language (request_reader_lang), all escaped
 * here. */
static void
form(struct hub *h, struct http_request *req, struct http_response *resp,
     int status, enum notify_msg message, const char *arg, const char *next)
{
    const struct conf_page *pg = &h->conf.page;
    int lang = request_reader_lang(h, req, resp);
    struct buf b;
    size_t len;
    char *text;

    buf_init(&b, FORM_MAX);
    buf_printf(&b, "<!DOCTYPE html>\n<html lang=\"%s\"><head>"
                   "<meta charset=\"utf-8\">"
                   "<meta name=\"viewport\" content=\"width=device-width, "
                   "initial-scale=1\">"
                   "<meta name=\"robots\" content=\"noindex\"><title>",
               lang_code(lang));
    buf_append_html(&b, pg->name);
    buf_appends(&b, "</title><style>body{font:16px/1.5 system-ui,sans-serif;"
                    "max-width:24rem;margin:4rem auto;padding:0 1rem;"
                    "color:#1f2328}input,button{font:inherit;padding:.5rem;"
                    "width:100%;box-sizing:border-box;margin:.25rem 0}"
                    ".msg{color:#b42318}</style></head><body><main><h1>");
    buf_append_html(&b, pg->name);
    buf_appends(&b, "</h1>");
    if (message != NMSG_COUNT) {
        struct buf m;

        buf_init(&m, 1024);
        notify_msg_fill(&m, lang, message, arg, NULL);
        buf_appends(&b, "<p class=\"msg\" role=\"alert\">");
        buf_append_html(&b, m.data);
        buf_appends(&b, "</p>");
        buf_free(&m);
    }
    if (pg->access == PAGE_ACCESS_PASSWORD) {
        buf_appends(&b, "<form method=\"post\" action=\"/login\">"
                        "<label for=\"password\">");
        buf_append_html(&b, notify_msg(lang, NMSG_LOGIN_PASSWORD));
        buf_appends(&b, "</label>"
                        "<input id=\"password\" name=\"password\" "
                        "type=\"password\" autocomplete=\"current-password\" "
                        "required autofocus>"
                        "<input type=\"hidden\" name=\"next\" value=\"");
        buf_append_html(&b, access_safe_next(next));
        buf_appends(&b, "\"><button type=\"submit\">");
        buf_append_html(&b, notify_msg(lang, NMSG_LOGIN_SUBMIT));
        buf_appends(&b, "</button></form>");
    } else {
        buf_appends(&b, "<p>");
        buf_append_html(&b, notify_msg(lang, NMSG_LOGIN_PRIVATE));
        buf_appends(&b, "</p>");
    }
    buf_appends(&b, "</main></body></html>\n");
    text = buf_steal(&b, &len);
    if (text == NULL) {
        http_resp_error(resp, 500, "internal", "out of memory");
        return;
    }
    http_resp_take(resp, status, "text/html; charset=utf-8", (uint8_t *)text,
                   len);
    resp->cache_control = "no-store";
}

static void
sign_in(struct hub *h, struct http_request *req, struct http_response *resp)
{
    struct login_throttle *t = access_throttle(h);
    const char *client = http_req_client_key(req);
    int64_t now = time_mono_ms();
    size_t len;
    const char *body = (const char *)http_req_body(req, &len);
    ph_json *doc = NULL;
    const char *pw, *next;
    char err[160], secs[16];
    int wait;

    wait = login_throttle_wait(t, client, now);
    if (wait > 0) {
        snprintf(secs, sizeof(secs), "%d", wait);
        form(h, req, resp, 429, NMSG_LOGIN_WAIT, secs, "/");
        http_resp_header(resp, "Retry-After", secs);
        return;
    }
    if (api_body_parse(body, len, &doc, err, sizeof(err)) != 0) {
        form(h, req, resp, 400, NMSG_LOGIN_UNREADABLE, NULL, "/");
        return;
    }
    pw = json_string_value(json_object_get(doc, "password"));
    next = json_string_value(json_object_get(doc, "next"));
    if (pw == NULL || !access_password_ok(h, pw)) {
        login_throttle_fail(t, client, now);
        h->metrics.auth_failures++;
        complain(&h->auth_complaint, now,
                 "access: wrong page password from %s",
                 http_req_client(req));
        form(h, req, resp, 401, NMSG_LOGIN_WRONG, NULL, next);
        goto out;
    }
    login_throttle_ok(t, client);
    if (access_set_session(h, resp, "p") != 0) {
        http_resp_error(resp, 500, "internal", "cannot sign a session");
        goto out;
    }
    resp->status = 303;
    resp->cache_control = "no-store";
    http_resp_header(resp, "Location", access_safe_next(next));
out:
    json_decref(doc);
}

void
access_login(struct api_req *rq, struct http_request *req,
             struct http_response *resp)
{
    struct hub *h = rq->h;

    if (!access_client_allowed(h, req, resp)) {
        return;
    }
    if (!access_private(h)) {
        resp->status = 303;
        http_resp_header(resp, "Location", "/");
        return;
    }
    if (strcmp(http_req_method(req), "POST") == 0) {
        if (h->conf.page.access != PAGE_ACCESS_PASSWORD) {
            form(h, req, resp, 403, NMSG_LOGIN_NO_PASSWORD, NULL, "/");
            return;
        }
        sign_in(h, req, resp);
        return;
    }
    form(h, req, resp, 200, NMSG_COUNT, NULL, http_req_query(req, "next"));
}

void
access_logout(struct api_req *rq, struct http_request *req,
              struct http_response *resp)
{
    (void)rq;
    (void)req;
    access_clear_session(resp);
    resp->status = 303;
    resp->cache_control = "no-store";
    http_resp_header(resp, "Location", "/login");
}
