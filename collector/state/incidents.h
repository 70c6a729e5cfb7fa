/*
 * incidents.h - the collector's incidents and maintenances: the newest
 * INC_MEMORY_MAX held in memory (newest first) and saved to the store
 * before any change is visible, their effects on components (maintenance
 * windows, statuses set by an incident), their timers, and the probe
 * automation of ARCHITECTURE.md (auto_incidents, resolve_after).
 *
 * Every change goes: copy, incident_apply() on the copy, store, swap,
 * then effects and a publish. A store failure leaves memory unchanged.
 */
#ifndef PH_INCIDENTS_H
#define PH_INCIDENTS_H

#include "hub.h"
#include "incident.h"

/* Loads the newest incidents from the store and applies maintenance
 * windows. Returns 0 or PH_E*. */
int incidents_load(struct hub *h);
void incidents_free(struct hub *h);
/* The incidents again from the store (a new leader on a shared store
 * takes over what the old one wrote); the ones in memory stay when the
 * store cannot be read. */
int incidents_reload(struct hub *h);

/* Re-applies the maintenance windows to the engine (after a reload). */
void incidents_reapply(struct hub *h);

/* The incident named id, for rendering only: the pointer is valid until
 * the next change of any incident. NULL if not in memory. */
const struct incident *incidents_find(struct hub *h, const char *id);

/*
 * Creates an incident from e (see incident_apply()), or updates the one
 * named id; who names the actor for the log. Incidents are always named
 * by id: the array behind them moves when automation opens one. The new
 * id is copied to ret_id (may be NULL). On a bad edit returns PH_EINVAL
 * with a message in err; PH_ENOENT for an unknown id; PH_EDB when the
 * store failed. Statuses the edit sets become overrides; the evaluation
 * they need is requested, never run here.
 */
int incidents_create(struct hub *h, const struct inc_edit *e,
                     const char *who, char ret_id[INC_ID_LEN + 1],
                     char *err, size_t errlen);
int incidents_update(struct hub *h, const char *id,
                     const struct inc_edit *e, const char *who, char *err,
                     size_t errlen);
/* Edits one update's body, display time or deliver flag (NULL / 0 / -1
 * leave it). PH_ENOENT if the incident or the update is not there. */
int incidents_edit_update(struct hub *h, const char *id,
                          const char *update_id, const char *body,
                          int64_t display_ms, int deliver);
/* Deletes; copies the deleted incident into *ret (caller frees) when ret
 * is not NULL. PH_ENOENT when unknown. */
int incidents_delete(struct hub *h, const char *id,
                     struct incident *ret);

/*
 * The same changes in three steps, for a request whose store work runs
 * off the loop (collector/api/deferred.h): *_prepare() builds the change
 * from memory on the loop (errors as above; returns a new change into
 * *ret; e is borrowed until commit), incidents_change_store() stores it
 * on the connection db (any thread: it touches only c and db), and
 * incidents_change_commit() makes it visible on the loop given the
 * store step's result (then: effects, notifications, the evaluation
 * requested; a failed store leaves memory unchanged and returns it,
 * with a message in err). ret_deleted gets a deleted incident (caller
 * frees), may be NULL. incidents_change_free() accepts NULL.
 */
struct incidents_change;
struct store;
int incidents_create_prepare(struct hub *h, const struct inc_edit *e,
                             const char *who, struct incidents_change **ret,
                             char *err, size_t errlen);
int incidents_update_prepare(struct hub *h, const char *id,
                             const struct inc_edit *e, const char *who,
                             struct incidents_change **ret, char *err,
                             size_t errlen);
int incidents_edit_update_prepare(struct hub *h, const char *id,
                                  const char *update_id, const char *body,
                                  int64_t display_ms, int deliver,
                                  struct incidents_change **ret);
int incidents_delete_prepare(struct hub *h, const char *id,
                             struct incidents_change **ret);
int incidents_change_store(struct store *db, struct incidents_change *c);
int incidents_change_commit(struct hub *h, struct incidents_change *c,
                            int result, struct incident *ret_deleted,
                            char *err, size_t errlen);
/* The id of the incident the change is about (a new one's too). */
const char *incidents_change_id(const struct incidents_change *c);
void incidents_change_free(struct incidents_change *c);

/* Maintenance starts, completions and reminders; automatic resolution. */
void incidents_tick(struct hub *h, int64_t now_ms);

/* Probe automation, a transition listener (collector.c registers it):
 * opens, updates and moves to monitoring the automatic incidents. */
void incidents_on_transitions(void *arg, const struct engine_transition *t,
                              size_t n, int64_t now_ms);

#endif
