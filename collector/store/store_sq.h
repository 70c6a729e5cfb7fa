/*
 * store_sq.h - the sqlite backend of the store (store_sqlite.c and the
 * store_*.c files beside it). Each function is the store.h function of
 * the same name after "store_", on the sqlite connection; store.c calls
 * them. Nothing outside collector/store includes this.
 */
#ifndef PH_STORE_SQ_H
#define PH_STORE_SQ_H

#include "store_types.h"

struct store_sq;

int store_sq_open(const char *path, unsigned flags, char *errbuf, size_t errlen,
                  struct store_sq **ret);
void store_sq_close(struct store_sq *s);
const char *store_sq_errmsg(struct store_sq *s);
int store_sq_insert_batch(struct store_sq *s, const char *agent_id,
                          const char *region, uint64_t seq,
                          const struct check_result *results, size_t n,
                          int64_t now_ms);
int store_sq_insert_group(struct store_sq *s, struct store_batch *group);
void store_sq_note_acked(struct store_sq *s, int64_t now_ms);
int store_sq_agent_last_seq(struct store_sq *s, const char *agent_id,
                            uint64_t *ret_seq);
int store_sq_agent_touch(struct store_sq *s, const char *agent_id,
                         const char *region, const char *version,
                         uint64_t plan_version, uint64_t backlog,
                         int64_t now_ms);
int store_sq_list_agents(struct store_sq *s, store_agent_cb cb, void *arg);
int store_sq_add_transition(struct store_sq *s, const char *component_id,
                            const char *old_status, const char *new_status,
                            const char *source, const char *reason,
                            int64_t at_ms);
int store_sq_list_transitions(struct store_sq *s, const char *component_id,
                              int64_t since_ms, store_transition_cb cb,
                              void *arg);
int store_sq_last_status(struct store_sq *s, const char *component_id,
                         char *ret_status, size_t len, int64_t *ret_at_ms);
int store_sq_prune_results(struct store_sq *s, int64_t before_ms,
                           int64_t *ret_deleted);
int store_sq_agent_token_add(struct store_sq *s, const char *agent_id,
                             const char *region, const char *token_sha256,
                             int64_t now_ms);
int store_sq_agent_token_revoke(struct store_sq *s, const char *agent_id,
                                int64_t now_ms);
int store_sq_list_agent_tokens(struct store_sq *s, store_agent_token_cb cb,
                               void *arg);
int store_sq_uptime_checkpoint(struct store_sq *s, const char *component_id,
                               const struct uptime_day *days, size_t ndays,
                               const struct uptime_acc_state *st);
int store_sq_uptime_state(struct store_sq *s, const char *component_id,
                          struct uptime_acc_state *ret);
int store_sq_uptime_days(struct store_sq *s, const char *component_id,
                         int32_t from_date, struct uptime_day *ret, size_t max,
                         size_t *ret_n);
int store_sq_uptime_prune(struct store_sq *s, int32_t before_date);
int store_sq_incident_save(struct store_sq *s, const struct incident *inc);
int store_sq_incident_delete(struct store_sq *s, const char *id);
int store_sq_incidents_load(struct store_sq *s, size_t max,
                            store_incident_cb cb, void *arg);
int store_sq_api_key_add(struct store_sq *s, const char *name,
                         const char *scope, const char *token_sha256,
                         int64_t now_ms);
int store_sq_api_key_revoke(struct store_sq *s, const char *name,
                            int64_t now_ms);
int store_sq_list_api_keys(struct store_sq *s, store_api_key_cb cb, void *arg);
int store_sq_audit_add(struct store_sq *s, int64_t at_ms, const char *actor,
                       const char *action, const char *target,
                       const char *detail, int status);
int store_sq_audit_list(struct store_sq *s, int64_t before_id, size_t limit,
                        store_audit_cb cb, void *arg);
int store_sq_tx_begin(struct store_sq *s);
int store_sq_tx_commit(struct store_sq *s);
void store_sq_tx_rollback(struct store_sq *s);
int store_sq_sub_add(struct store_sq *s, const struct store_subscriber *sub,
                     const char *confirm_sha256, const char *unsub_sha256);
int store_sq_sub_get(struct store_sq *s, const char *id,
                     struct store_subscriber *ret);
int store_sq_sub_find(struct store_sq *s, const char *kind, const char *address,
                      struct store_subscriber *ret);
int store_sq_sub_by_token(struct store_sq *s, int unsub, const char *sha256,
                          struct store_subscriber *ret);
int store_sq_sub_set_state(struct store_sq *s, const char *id,
                           const char *state, int64_t now_ms);
int store_sq_sub_set_confirm(struct store_sq *s, const char *id,
                             const char *confirm_sha256, int64_t now_ms);
int store_sq_outbox_sent_since(struct store_sq *s, const char *subscriber_id,
                               const char *event, int64_t since_ms,
                               int64_t *ret_count, int64_t *ret_last_ms);
int store_sq_sub_list(struct store_sq *s, const char *state, store_sub_cb cb,
                      void *arg);
int store_sq_sub_count(struct store_sq *s, int64_t *ret);
int store_sq_sub_result(struct store_sq *s, const char *id, int ok,
                        const char *err, int64_t now_ms,
                        uint32_t quarantine_after, int64_t span_ms,
                        int *ret_quarantined);
int store_sq_outbox_put(struct store_sq *s, const struct store_outbox_new *m);
int store_sq_outbox_due(struct store_sq *s, int64_t now_ms, size_t limit,
                        store_outbox_cb cb, void *arg);
int store_sq_outbox_delivered(struct store_sq *s, int64_t id, int64_t now_ms);
int store_sq_outbox_retry(struct store_sq *s, int64_t id, int64_t due_ms,
                          const char *err, int count);
int store_sq_outbox_give_up(struct store_sq *s, int64_t id, int64_t now_ms,
                            const char *err);
int store_sq_outbox_prune(struct store_sq *s, int64_t before_ms,
                          int64_t *ret_deleted);
int store_sq_outbox_backlog(struct store_sq *s, int64_t *ret);
int store_sq_kv_get(struct store_sq *s, const char *key, char *ret, size_t len);
int store_sq_kv_set(struct store_sq *s, const char *key, const char *value);

/* Viewers, API components and groups (store_viewers.c,
 * store_components.c), hook links (store_hooks.c), staff channels
 * (store_staff.c). */
int store_sq_viewer_add(struct store_sq *s, const char *name,
                        const char *token_sha256, int64_t now_ms);
int store_sq_viewer_revoke(struct store_sq *s, const char *name,
                           int64_t now_ms);
int store_sq_list_viewers(struct store_sq *s, store_viewer_cb cb, void *arg);
int store_sq_component_put(struct store_sq *s,
                           const struct store_component_row *r);
int store_sq_component_delete(struct store_sq *s, const char *id);
int store_sq_list_components(struct store_sq *s, store_component_cb cb,
                             void *arg);
int store_sq_group_put(struct store_sq *s, const struct store_group_row *r);
int store_sq_group_delete(struct store_sq *s, const char *id);
int store_sq_list_groups(struct store_sq *s, store_group_cb cb, void *arg);
int store_sq_hook_link_get(struct store_sq *s, const char *source,
                           const char *external_id,
                           struct store_hook_link *ret);
int store_sq_hook_link_put(struct store_sq *s, const char *source,
                           const char *external_id,
                           const struct store_hook_link *link, int64_t now_ms);
int store_sq_hook_event_seen(struct store_sq *s, const char *source,
                             const char *event_id);
int store_sq_hook_event_add(struct store_sq *s, const char *source,
                            const char *event_id, int64_t now_ms,
                            int64_t prune_before_ms);
int store_sq_staff_sync(struct store_sq *s, const struct store_subscriber *rows,
                        size_t n, int64_t now_ms);

/* store_latency.c */
int store_sq_latency_flush(struct store_sq *s);
int store_sq_latency_list(struct store_sq *s, const char *check_id,
                          const char *region, int period_s, int64_t since_ms,
                          store_latency_cb cb, void *arg);
int store_sq_latency_prune(struct store_sq *s, int64_t fine_before_ms,
                           int64_t hourly_before_ms, int64_t seal_before_ms,
                           int64_t *ret_deleted);

#endif
