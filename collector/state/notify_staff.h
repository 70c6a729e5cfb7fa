/*
 * notify_staff.h - update reminders to the responders (incidents.staff:
 * Slack, signed webhook or email), never to the public subscribers.
 * Reminders go through the notification outbox (durable, retried) as
 * messages of subscriber rows in state 'staff' (store_staff.c). Runs on
 * the collector's loop.
 */
#ifndef PH_NOTIFY_STAFF_H
#define PH_NOTIFY_STAFF_H

#include "hub.h"
#include "incident.h"

/* Makes the store's staff rows match h->conf.staff (start, reload),
 * without waiting for the database (store_async_notify.h); a failure
 * is logged when it is known. */
void notify_staff_sync(struct hub *h);

/*
 * Enqueues one reminder per staff channel that inc (borrowed) is overdue
 * for the update due at due_ms. The outbox key holds the incident and
 * due_ms, so a second call for the same period (after a restart) sends
 * nothing. The channels are read and the reminders enqueued through
 * store_async_notify.h: at once on sqlite, on the writer thread on
 * PostgreSQL (a failure is logged then). Returns 0 once that started,
 * or PH_ENOMEM.
 */
int notify_staff_remind(struct hub *h, const struct incident *inc,
                        int64_t due_ms, int64_t now_ms);

#endif
