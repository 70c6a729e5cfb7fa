/*
 * access.h - who may read the page (page.access): the gate in front of
 * every document of the page, the viewer session cookie, the viewers of
 * token mode, and the login form of password mode (access_login.c).
 *
 * A request for a document of a page that is not public passes with:
 *   - an API key (any scope), as the management API takes it; or
 *   - a valid pharos_session cookie (signed, HttpOnly, SameSite=Lax,
 *     Secure when page.url is https, expiring after page.session_ttl),
 *     got from the login form (password) or a viewer link (token); or
 *   - in token mode, ?viewer=<token> on the request itself (feed
 *     readers); on the page it sets the cookie and redirects.
 * page.allow_ips, when set, limits every reader without an API key to
 * those networks, whatever the access mode.
 */
#ifndef PH_ACCESS_H
#define PH_ACCESS_H

#include "hub.h"
#include "request.h"

/* Loads (or creates) the session key and the viewers. 0 or PH_E*. */
int access_start(struct hub *h);
void access_free(struct hub *h);
/* Re-reads the viewers (not revoked) from the store. 0 or PH_E*. */
int access_load_viewers(struct hub *h);
/* The same in two steps, for a write off the loop (admin.h): the
 * viewers read from db into a new list (any thread), installed on the
 * loop (takes it) or dropped. */
struct store;
int access_viewers_read(struct store *db, void **ret);
void access_viewers_install(struct hub *h, void *list);
void access_viewers_drop(void *list);
/* Re-reads the session key (made when the store has none): collectors
 * sharing one store converge on the one stored. 0 or PH_E*. */
int access_load_key(struct hub *h);

/* 1 when the page's documents need a credential (not public). */
int access_private(const struct hub *h);
/*
 * The gate: returns 0 when req may read the page's documents; otherwise
 * fills resp (401, 403, 429, or for the page itself a redirect to the
 * login form or past a viewer link) and returns -1. page: req asks for
 * the page itself (HTML), not a document.
 */
int access_allow(struct hub *h, struct http_request *req,
                 struct http_response *resp, int page);
/* The client may use the page at all (page.allow_ips); else fills resp
 * with 403 and returns 0. */
int access_client_allowed(struct hub *h, struct http_request *req,
                          struct http_response *resp);

/* p when it is a local path safe to redirect to (letters, digits and
 * / . - _ ~ only, starting with one '/'), else "/". */
const char *access_safe_next(const char *p);

/* The session cookie for subject ("p", "v:<name>"): adds Set-Cookie to
 * resp. Returns 0 or PH_E*. */
int access_set_session(struct hub *h, struct http_response *resp,
                       const char *subject);
/* Adds a Set-Cookie that clears the session. */
void access_clear_session(struct http_response *resp);
/* 1 when password is the page password (constant-time compare). */
int access_password_ok(const struct hub *h, const char *password);
/* The throttle of password attempts (access_login.c). */
struct login_throttle *access_throttle(struct hub *h);

/* Route handlers: GET/POST /login and POST /logout (access_login.c). */
void access_login(struct api_req *rq, struct http_request *req,
                  struct http_response *resp);
void access_logout(struct api_req *rq, struct http_request *req,
                   struct http_response *resp);

/* The viewers (token mode), for /v1/viewers (admin_viewers.c). */
void admin_viewers_list(struct api_req *rq, struct http_request *req,
                        struct http_response *resp);
void admin_viewers_create(struct api_req *rq, struct http_request *req,
                          struct http_response *resp);
void admin_viewers_revoke(struct api_req *rq, struct http_request *req,
                          struct http_response *resp);

#endif
