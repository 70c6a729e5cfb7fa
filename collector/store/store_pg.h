/*
 * store_pg.h - the PostgreSQL backend of the store (store_pg*.c, the
 * only includers of libpq-fe.h). Each function is the store.h function
 * of the same name after "store_", on a libpq connection; store.c calls
 * them. Nothing outside collector/store includes this.
 */
#ifndef PH_STORE_PG_H
#define PH_STORE_PG_H

#include "store_types.h"

struct store_pg;

int store_pg_open(const char *dsn, const char *password, unsigned flags,
                  char *errbuf, size_t errlen, struct store_pg **ret);
void store_pg_close(struct store_pg *s);
const char *store_pg_errmsg(struct store_pg *s);
int store_pg_insert_batch(struct store_pg *s, const char *agent_id,
                          const char *region, uint64_t seq,
                          const struct check_result *results, size_t n,
                          int64_t now_ms);
int store_pg_insert_group(struct store_pg *s, struct store_batch *group);
void store_pg_note_acked(struct store_pg *s, int64_t now_ms);
int store_pg_agent_last_seq(struct store_pg *s, const char *agent_id,
                            uint64_t *ret_seq);
int store_pg_agent_touch(struct store_pg *s, const char *agent_id,
                         const char *region, const char *version,
                         uint64_t plan_version, uint64_t backlog,
                         int64_t now_ms);
int store_pg_list_agents(struct store_pg *s, store_agent_cb cb, void *arg);
int store_pg_add_transition(struct store_pg *s, const char *component_id,
                            const char *old_status, const char *new_status,
                            const char *source, const char *reason,
                            int64_t at_ms);
int store_pg_list_transitions(struct store_pg *s, const char *component_id,
                              int64_t since_ms, store_transition_cb cb,
                              void *arg);
int store_pg_last_status(struct store_pg *s, const char *component_id,
                         char *ret_status, size_t len, int64_t *ret_at_ms);
int store_pg_prune_results(struct store_pg *s, int64_t before_ms,
                           int64_t *ret_deleted);
int store_pg_latency_list(struct store_pg *s, const char *check_id,
                          const char *region, int period_s, int64_t since_ms,
                          store_latency_cb cb, void *arg);
int store_pg_latency_prune(struct store_pg *s, int64_t fine_before_ms,
                           int64_t hourly_before_ms, int64_t seal_before_ms,
                           int64_t *ret_deleted);
int store_pg_agent_token_add(struct store_pg *s, const char *agent_id,
                             const char *region, const char *token_sha256,
                             int64_t now_ms);
int store_pg_agent_token_revoke(struct store_pg *s, const char *agent_id,
                                int64_t now_ms);
int store_pg_list_agent_tokens(struct store_pg *s, store_agent_token_cb cb,
                               void *arg);
int store_pg_uptime_checkpoint(struct store_pg *s, const char *component_id,
                               const struct uptime_day *days, size_t ndays,
                               const struct uptime_acc_state *st);
int store_pg_uptime_state(struct store_pg *s, const char *component_id,
                          struct uptime_acc_state *ret);
int store_pg_uptime_days(struct store_pg *s, const char *component_id,
                         int32_t from_date, struct uptime_day *ret, size_t max,
                         size_t *ret_n);
int store_pg_uptime_prune(struct store_pg *s, int32_t before_date);
int store_pg_incident_save(struct store_pg *s, const struct incident *inc);
int store_pg_incident_delete(struct store_pg *s, const char *id);
int store_pg_incidents_load(struct store_pg *s, size_t max,
                            store_incident_cb cb, void *arg);
int store_pg_api_key_add(struct store_pg *s, const char *name,
                         const char *scope, const char *token_sha256,
                         int64_t now_ms);
int store_pg_api_key_revoke(struct store_pg *s, const char *name,
                            int64_t now_ms);
int store_pg_list_api_keys(struct store_pg *s, store_api_key_cb cb, void *arg);
int store_pg_audit_add(struct store_pg *s, int64_t at_ms, const char *actor,
                       const char *action, const char *target,
                       const char *detail, int status);
int store_pg_audit_list(struct store_pg *s, int64_t before_id, size_t limit,
                        store_audit_cb cb, void *arg);
int store_pg_tx_begin(struct store_pg *s);
int store_pg_tx_commit(struct store_pg *s);
void store_pg_tx_rollback(struct store_pg *s);
int store_pg_sub_add(struct store_pg *s, const struct store_subscriber *sub,
                     const char *confirm_sha256, const char *unsub_sha256);
int store_pg_sub_get(struct store_pg *s, const char *id,
                     struct store_subscriber *ret);
int store_pg_sub_find(struct store_pg *s, const char *kind, const char *address,
                      struct store_subscriber *ret);
int store_pg_sub_by_token(struct store_pg *s, int unsub, const char *sha256,
                          struct store_subscriber *ret);
int store_pg_sub_set_state(struct store_pg *s, const char *id,
                           const char *state, int64_t now_ms);
int store_pg_sub_set_confirm(struct store_pg *s, const char *id,
                             const char *confirm_sha256, int64_t now_ms);
int store_pg_outbox_sent_since(struct store_pg *s, const char *subscriber_id,
                               const char *event, int64_t since_ms,
                               int64_t *ret_count, int64_t *ret_last_ms);
int store_pg_sub_list(struct store_pg *s, const char *state, store_sub_cb cb,
                      void *arg);
int store_pg_sub_count(struct store_pg *s, int64_t *ret);
int store_pg_sub_result(struct store_pg *s, const char *id, int ok,
                        const char *err, int64_t now_ms,
                        uint32_t quarantine_after, int64_t span_ms,
                        int *ret_quarantined);
int store_pg_outbox_put(struct store_pg *s, const struct store_outbox_new *m);
int store_pg_outbox_due(struct store_pg *s, int64_t now_ms, size_t limit,
                        store_outbox_cb cb, void *arg);
int store_pg_outbox_delivered(struct store_pg *s, int64_t id, int64_t now_ms);
int store_pg_outbox_retry(struct store_pg *s, int64_t id, int64_t due_ms,
                          const char *err, int count);
int store_pg_outbox_give_up(struct store_pg *s, int64_t id, int64_t now_ms,
                            const char *err);
int store_pg_outbox_prune(struct store_pg *s, int64_t before_ms,
                          int64_t *ret_deleted);
int store_pg_outbox_backlog(struct store_pg *s, int64_t *ret);
int store_pg_kv_get(struct store_pg *s, const char *key, char *ret, size_t len);
int store_pg_kv_set(struct store_pg *s, const char *key, const char *value);

/* Viewers, API components and groups (store_viewers.c,
 * store_components.c), hook links (store_hooks.c), staff channels
 * (store_staff.c). */
int store_pg_viewer_add(struct store_pg *s, const char *name,
                        const char *token_sha256, int64_t now_ms);
int store_pg_viewer_revoke(struct store_pg *s, const char *name,
                           int64_t now_ms);
int store_pg_list_viewers(struct store_pg *s, store_viewer_cb cb, void *arg);
int store_pg_component_put(struct store_pg *s,
                           const struct store_component_row *r);
int store_pg_component_delete(struct store_pg *s, const char *id);
int store_pg_list_components(struct store_pg *s, store_component_cb cb,
                             void *arg);
int store_pg_group_put(struct store_pg *s, const struct store_group_row *r);
int store_pg_group_delete(struct store_pg *s, const char *id);
int store_pg_list_groups(struct store_pg *s, store_group_cb cb, void *arg);
int store_pg_hook_link_get(struct store_pg *s, const char *source,
                           const char *external_id,
                           struct store_hook_link *ret);
int store_pg_hook_link_put(struct store_pg *s, const char *source,
                           const char *external_id,
                           const struct store_hook_link *link, int64_t now_ms);
int store_pg_hook_event_seen(struct store_pg *s, const char *source,
                             const char *event_id);
int store_pg_hook_event_add(struct store_pg *s, const char *source,
                            const char *event_id, int64_t now_ms,
                            int64_t prune_before_ms);
int store_pg_staff_sync(struct store_pg *s, const struct store_subscriber *rows,
                        size_t n, int64_t now_ms);

#endif
