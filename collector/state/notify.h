/*
 * notify.h - subscriptions and notifications (ARCHITECTURE.md,
 * Notifications): events become rows of the durable outbox in sqlite, one
 * per matching subscriber, in one transaction; a worker on the
 * collector's loop (notify_send.c, libcurl multi) delivers the rows that
 * are due and marks them delivered only after the peer accepted them.
 *
 * Events: incident created/updated (published ones, deliver_notifications
 * honoured), maintenance scheduled/updated/reminder/started/completed, and
 * component status changes (webhook subscribers only). Changes to one
 * incident within notify.coalesce are merged into one message per
 * subscriber. Every call runs on the loop thread.
 */
#ifndef PH_NOTIFY_H
#define PH_NOTIFY_H

#include <stddef.h>

#include "hub.h"
#include "incident.h"
#include "store.h"

/* Starts the delivery worker (after the store is open). Returns 0 or
 * PH_E* after logging why. */
int notify_start(struct hub *h);
/* Aborts deliveries in flight (they stay pending in the outbox) and
 * closes the worker's handles. */
void notify_stop(struct hub *h);
/* Frees what notify_start() built; after the loop has stopped. */
void notify_free(struct hub *h);
/* The config changed (SIGHUP). */
void notify_reload(struct hub *h);

/* Incident events. created: the incident was just opened (or a draft was
 * published); the newest update's deliver flag is honoured; drafts are
 * never announced. */
void notify_incident(struct hub *h, const struct incident *inc,
                     int created);
/* Maintenance timers: INC_TICK_* bits from incident_tick(). */
void notify_maintenance_tick(struct hub *h, const struct incident *inc,
                             int what);
/* Transition listener (collector.c registers it; arg is the collector):
 * component status changes for webhook subscribers. */
void notify_on_transitions(void *arg, const struct engine_transition *t,
                           size_t n, int64_t now_ms);

/* ---- subscriptions (here in notify.c; their HTTP side is
 * collector/api/subscribers.c) ---- */

enum notify_kind { NOTIFY_EMAIL = 0, NOTIFY_WEBHOOK, NOTIFY_SLACK,
                   NOTIFY_KINDS };
const char *notify_kind_name(enum notify_kind k);
int notify_kind_parse(const char *s);

struct notify_sub_request {
    enum notify_kind kind;
    char address[STORE_SUB_ADDRESS_MAX + 1];
    char components[STORE_SUB_COMPONENTS_MAX]; /* validated ids, or "" */
    int skip_confirmation;         /* email made active at once (v1 API) */
};

/*
 * Creates a subscriber from r. Email subscribers start pending and get a
 * confirmation email (nothing else until confirmed) unless
 * skip_confirmation; webhook and Slack subscribers start active, and a
 * webhook's signing secret is written to ret_secret (shown once).
 * An existing subscription of the same address is returned instead
 * (*ret_existing = 1); a pending email gets a fresh confirmation only
 * when its last one is older than notify.confirm_every and it got fewer
 * than notify.confirm_daily_max in the last 24 hours (anyone can submit
 * anyone's address: this bounds what they can make us send).
 * Returns 0; PH_EINVAL (err says why), PH_EBUSY (subscriber cap) or
 * PH_EDB.
 */
int notify_subscribe(struct hub *h, const struct notify_sub_request *r,
                     struct store_subscriber *ret,
                     char ret_secret[STORE_SUB_SECRET_MAX], int *ret_existing,
                     char *err, size_t errlen);
/* Confirms by the token of a confirmation link. PH_ENOENT if unknown. */
int notify_confirm(struct hub *h, const char *token,
                   struct store_subscriber *ret);
/* Unsubscribes by the token of an unsubscribe link. PH_ENOENT if unknown. */
int notify_unsubscribe(struct hub *h, const char *token,
                       struct store_subscriber *ret);
/* The unsubscribe URL of subscriber id into out. */
void notify_unsubscribe_url(struct hub *h, const char *id, char *out,
                            size_t len);
/* Public sign-up rate limit per client address: 0 when allowed, else the
 * milliseconds to wait. */
int64_t notify_rate_check(struct hub *h, const char *client);

/* ---- the worker (notify_send.c) ---- */

struct notify;
/* Starts deliveries of due messages now (after an enqueue). */
void notify_kick(struct hub *h);
/* hold 1: delivers nothing (a collector that is not the leader); the
 * deliveries in flight are abandoned and stay pending in the outbox, to
 * be sent by the leader with the same message id (receivers dedupe).
 * hold 0: delivers again, starting now. */
void notify_hold(struct hub *h, int hold);

#endif
