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
#include "buf.h"
#include "incident.h"
#include "store.h"
#include "token.h"

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

/* The confirmation email to address with the link of token, formatted
 * into msg (a buf_init()ed buffer the caller frees), its message id and
 * date: what the outbox row of a sign-up carries (collector/state/
 * signup.c stores it off the loop). Returns 0 or PH_E*. */
#define NOTIFY_MSG_ID_MAX 30
int notify_confirm_render(struct hub *h, const char *address,
                          const char *token, char msg_id[NOTIFY_MSG_ID_MAX],
                          struct buf *msg, int64_t *ret_date_ms);
/* The SHA-256 (hex) of subscriber id's unsubscribe token, as stored. */
int notify_unsub_hash(struct hub *h, const char *id,
                      char sha[TOKEN_HASH_HEX]);
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
