/*
 * signup.h - subscriptions changed by a request, with their store work
 * off the loop (issue #14): the sign-up (public and v1), the confirm and
 * unsubscribe links. The same rules as notify_subscribe(),
 * notify_confirm() and notify_unsubscribe() (notify.h), in three steps
 * like incidents.h: *_prepare() on the loop (checks, ids, tokens, the
 * confirmation email rendered in advance, the configuration's limits
 * copied), signup_store() on any connection (it touches only the
 * signup and db, so it may run on the writer thread), signup_finish()
 * on the loop (log, metrics, the outbox worker woken).
 */
#ifndef PH_SIGNUP_H
#define PH_SIGNUP_H

#include "hub.h"
#include "notify.h"

struct signup;

/* A sign-up of r. Returns 0 and a new signup, or PH_EINVAL (err says
 * why), PH_EBUSY (notifications not running) or PH_E*. */
int signup_prepare(struct hub *h, const struct notify_sub_request *r,
                   struct signup **ret, char *err, size_t errlen);
/* A confirm (unsubscribe 0) or unsubscribe link's token. PH_ENOENT for
 * a token no link can have. */
int signup_link_prepare(const char *token, int unsubscribe,
                        struct signup **ret);
/* The store work. Returns 0 or PH_E* (PH_ENOENT: unknown link, PH_EBUSY:
 * the subscriber cap). */
int signup_store(struct store *db, struct signup *s);
/*
 * After the store work with its result: the subscriber into *ret, a new
 * webhook's secret into ret_secret ("" otherwise; may be NULL for a
 * link), *ret_existing (may be NULL) 1 when the address was subscribed
 * already. Returns result, with a message in err on failure.
 */
int signup_finish(struct hub *h, struct signup *s, int result,
                  struct store_subscriber *ret,
                  char ret_secret[STORE_SUB_SECRET_MAX], int *ret_existing,
                  char *err, size_t errlen);
/* Accepts NULL; wipes the tokens. */
void signup_free(struct signup *s);

#endif
