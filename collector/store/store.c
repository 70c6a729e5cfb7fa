/*
 * store.c - the one store interface (store.h) in front of its two
 * backends: sqlite (store_sq.h, a file in state_dir) and PostgreSQL
 * (store_pg.h, `store: postgresql://...`). store_open() picks the
 * backend from what it is given; every other call goes to the backend
 * the store was opened on. Callers never see which one it is.
 *
 * A switch on two known backends rather than a table of function
 * pointers: each call stays type-checked against both backends' own
 * struct, with no casts through void *.
 */
#include "store.h"

#include <stdio.h>
#include <string.h>

#include "mem.h"
#include "ph_err.h"
#include "store_be.h"

struct store {
    struct store_sq *sq; /* exactly one of the two is set */
    struct store_pg *pg;
    struct store_writer *async_writer; /* borrowed, or NULL */
};

/* The same call on whichever backend s was opened on. */
#define BACKEND(s, fn, ...)                                                    \
    ((s)->pg != NULL ? store_pg_##fn((s)->pg, ##__VA_ARGS__)                   \
                     : store_sq_##fn((s)->sq, ##__VA_ARGS__))

int
store_is_postgresql(const char *where)
{
    return strncmp(where, "postgresql://", 13) == 0 ||
           strncmp(where, "postgres://", 11) == 0;
}

int
store_open(const char *where, const char *password, unsigned flags,
           char *errbuf, size_t errlen, struct store **ret)
{
    struct store *s = ph_calloc(1, sizeof(*s));
    int result;

    errbuf[0] = '\0';
    if (s == NULL) {
        snprintf(errbuf, errlen, "store: out of memory");
        return PH_ENOMEM;
    }
    if (store_is_postgresql(where)) {
        result = store_pg_open(where, password, flags, errbuf, errlen, &s->pg);
    } else {
        result = store_sq_open(where, flags, errbuf, errlen, &s->sq);
    }
    if (result != 0) {
        ph_free(s);
        return result;
    }
    *ret = s;
    return 0;
}

void
store_close(struct store *s)
{
    if (s == NULL) {
        return;
    }
    if (s->pg != NULL) {
        store_pg_close(s->pg);
    } else {
        store_sq_close(s->sq);
    }
    ph_free(s);
}

const char *
store_errmsg(struct store *s)
{
    return BACKEND(s, errmsg);
}

const char *
store_backend_name(struct store *s)
{
    return s->pg != NULL ? "postgresql" : "sqlite";
}

void
store_set_async_writer(struct store *s, struct store_writer *w)
{
    s->async_writer = w;
}

struct store_writer *
store_async_writer(struct store *s)
{
    return s->pg != NULL ? s->async_writer : NULL;
}

int
store_insert_batch(struct store *s, const char *agent_id, const char *region,
                   uint64_t seq, const struct check_result *results, size_t n,
                   int64_t now_ms)
{
    return BACKEND(s, insert_batch, agent_id, region, seq, results, n, now_ms);
}

int
store_insert_group(struct store *s, struct store_batch *group)
{
    return BACKEND(s, insert_group, group);
}

void
store_note_acked(struct store *s, int64_t now_ms)
{
    BACKEND(s, note_acked, now_ms);
}

int
store_agent_last_seq(struct store *s, const char *agent_id, uint64_t *ret_seq)
{
    return BACKEND(s, agent_last_seq, agent_id, ret_seq);
}

int
store_agent_touch(struct store *s, const char *agent_id, const char *region,
                  const char *version, uint64_t plan_version, uint64_t backlog,
                  int64_t now_ms)
{
    return BACKEND(s, agent_touch, agent_id, region, version, plan_version,
                   backlog, now_ms);
}

int
store_list_agents(struct store *s, store_agent_cb cb, void *arg)
{
    return BACKEND(s, list_agents, cb, arg);
}

int
store_add_transition(struct store *s, const char *component_id,
                     const char *old_status, const char *new_status,
                     const char *source, const char *reason, int64_t at_ms)
{
    return BACKEND(s, add_transition, component_id, old_status, new_status,
                   source, reason, at_ms);
}

int
store_list_transitions(struct store *s, const char *component_id,
                       int64_t since_ms, store_transition_cb cb, void *arg)
{
    return BACKEND(s, list_transitions, component_id, since_ms, cb, arg);
}

int
store_last_status(struct store *s, const char *component_id, char *ret_status,
                  size_t len, int64_t *ret_at_ms)
{
    return BACKEND(s, last_status, component_id, ret_status, len, ret_at_ms);
}

int
store_prune_results(struct store *s, int64_t before_ms, int64_t *ret_deleted)
{
    return BACKEND(s, prune_results, before_ms, ret_deleted);
}

/* Response-time rollups: sqlite counts results in memory and merges
 * them every 10 s (flush writes what it holds); PostgreSQL merges them
 * in the group commit that stores the results (nothing to flush). */
int
store_latency_flush(struct store *s)
{
    return s->pg != NULL ? 0 : store_sq_latency_flush(s->sq);
}

int
store_latency_list(struct store *s, const char *check_id, const char *region,
                   int period_s, int64_t since_ms, store_latency_cb cb,
                   void *arg)
{
    return BACKEND(s, latency_list, check_id, region, period_s, since_ms, cb,
                   arg);
}

int
store_latency_prune(struct store *s, int64_t fine_before_ms,
                    int64_t hourly_before_ms, int64_t seal_before_ms,
                    int64_t *ret_deleted)
{
    return BACKEND(s, latency_prune, fine_before_ms, hourly_before_ms,
                   seal_before_ms, ret_deleted);
}

int
store_latency_available(struct store *s)
{
    (void)s;
    return 1;
}

int
store_agent_token_add(struct store *s, const char *agent_id, const char *region,
                      const char *token_sha256, int64_t now_ms)
{
    return BACKEND(s, agent_token_add, agent_id, region, token_sha256, now_ms);
}

int
store_agent_token_revoke(struct store *s, const char *agent_id, int64_t now_ms)
{
    return BACKEND(s, agent_token_revoke, agent_id, now_ms);
}

int
store_list_agent_tokens(struct store *s, store_agent_token_cb cb, void *arg)
{
    return BACKEND(s, list_agent_tokens, cb, arg);
}

int
store_uptime_checkpoint(struct store *s, const char *component_id,
                        const struct uptime_day *days, size_t ndays,
                        const struct uptime_acc_state *st)
{
    return BACKEND(s, uptime_checkpoint, component_id, days, ndays, st);
}

int
store_uptime_state(struct store *s, const char *component_id,
                   struct uptime_acc_state *ret)
{
    return BACKEND(s, uptime_state, component_id, ret);
}

int
store_uptime_days(struct store *s, const char *component_id, int32_t from_date,
                  struct uptime_day *ret, size_t max, size_t *ret_n)
{
    return BACKEND(s, uptime_days, component_id, from_date, ret, max, ret_n);
}

int
store_uptime_prune(struct store *s, int32_t before_date)
{
    return BACKEND(s, uptime_prune, before_date);
}

int
store_incident_save(struct store *s, const struct incident *inc)
{
    return BACKEND(s, incident_save, inc);
}

int
store_incident_delete(struct store *s, const char *id)
{
    return BACKEND(s, incident_delete, id);
}

int
store_incidents_load(struct store *s, size_t max, store_incident_cb cb,
                     void *arg)
{
    return BACKEND(s, incidents_load, max, cb, arg);
}

int
store_api_key_add(struct store *s, const char *name, const char *scope,
                  const char *token_sha256, int64_t now_ms)
{
    return BACKEND(s, api_key_add, name, scope, token_sha256, now_ms);
}

int
store_api_key_revoke(struct store *s, const char *name, int64_t now_ms)
{
    return BACKEND(s, api_key_revoke, name, now_ms);
}

int
store_list_api_keys(struct store *s, store_api_key_cb cb, void *arg)
{
    return BACKEND(s, list_api_keys, cb, arg);
}

int
store_viewer_add(struct store *s, const char *name, const char *token_sha256,
                 int64_t now_ms)
{
    return BACKEND(s, viewer_add, name, token_sha256, now_ms);
}

int
store_viewer_revoke(struct store *s, const char *name, int64_t now_ms)
{
    return BACKEND(s, viewer_revoke, name, now_ms);
}

int
store_list_viewers(struct store *s, store_viewer_cb cb, void *arg)
{
    return BACKEND(s, list_viewers, cb, arg);
}

int
store_component_put(struct store *s, const struct store_component_row *r)
{
    return BACKEND(s, component_put, r);
}

int
store_component_delete(struct store *s, const char *id)
{
    return BACKEND(s, component_delete, id);
}

int
store_list_components(struct store *s, store_component_cb cb, void *arg)
{
    return BACKEND(s, list_components, cb, arg);
}

int
store_group_put(struct store *s, const struct store_group_row *r)
{
    return BACKEND(s, group_put, r);
}

int
store_group_delete(struct store *s, const char *id)
{
    return BACKEND(s, group_delete, id);
}

int
store_list_groups(struct store *s, store_group_cb cb, void *arg)
{
    return BACKEND(s, list_groups, cb, arg);
}

int
store_hook_link_get(struct store *s, const char *source,
                    const char *external_id, struct store_hook_link *ret)
{
    return BACKEND(s, hook_link_get, source, external_id, ret);
}

int
store_hook_link_put(struct store *s, const char *source,
                    const char *external_id,
                    const struct store_hook_link *link, int64_t now_ms)
{
    return BACKEND(s, hook_link_put, source, external_id, link, now_ms);
}

int
store_hook_event_seen(struct store *s, const char *source,
                      const char *event_id)
{
    return BACKEND(s, hook_event_seen, source, event_id);
}

int
store_hook_event_add(struct store *s, const char *source,
                     const char *event_id, int64_t now_ms,
                     int64_t prune_before_ms)
{
    return BACKEND(s, hook_event_add, source, event_id, now_ms,
                   prune_before_ms);
}

int
store_staff_sync(struct store *s, const struct store_subscriber *rows,
                 size_t n, int64_t now_ms)
{
    return BACKEND(s, staff_sync, rows, n, now_ms);
}

int
store_audit_add(struct store *s, int64_t at_ms, const char *actor,
                const char *action, const char *target, const char *detail,
                int status)
{
    return BACKEND(s, audit_add, at_ms, actor, action, target, detail, status);
}

int
store_audit_list(struct store *s, int64_t before_id, size_t limit,
                 store_audit_cb cb, void *arg)
{
    return BACKEND(s, audit_list, before_id, limit, cb, arg);
}

int
store_tx_begin(struct store *s)
{
    return BACKEND(s, tx_begin);
}

int
store_tx_commit(struct store *s)
{
    return BACKEND(s, tx_commit);
}

void
store_tx_rollback(struct store *s)
{
    BACKEND(s, tx_rollback);
}

int
store_sub_add(struct store *s, const struct store_subscriber *sub,
              const char *confirm_sha256, const char *unsub_sha256)
{
    return BACKEND(s, sub_add, sub, confirm_sha256, unsub_sha256);
}

int
store_sub_get(struct store *s, const char *id, struct store_subscriber *ret)
{
    return BACKEND(s, sub_get, id, ret);
}

int
store_sub_find(struct store *s, const char *kind, const char *address,
               struct store_subscriber *ret)
{
    return BACKEND(s, sub_find, kind, address, ret);
}

int
store_sub_by_token(struct store *s, int unsub, const char *sha256,
                   struct store_subscriber *ret)
{
    return BACKEND(s, sub_by_token, unsub, sha256, ret);
}

int
store_sub_set_state(struct store *s, const char *id, const char *state,
                    int64_t now_ms)
{
    return BACKEND(s, sub_set_state, id, state, now_ms);
}

int
store_sub_set_confirm(struct store *s, const char *id,
                      const char *confirm_sha256, int64_t now_ms)
{
    return BACKEND(s, sub_set_confirm, id, confirm_sha256, now_ms);
}

int
store_outbox_sent_since(struct store *s, const char *subscriber_id,
                        const char *event, int64_t since_ms, int64_t *ret_count,
                        int64_t *ret_last_ms)
{
    return BACKEND(s, outbox_sent_since, subscriber_id, event, since_ms,
                   ret_count, ret_last_ms);
}

int
store_sub_list(struct store *s, const char *state, store_sub_cb cb, void *arg)
{
    return BACKEND(s, sub_list, state, cb, arg);
}

int
store_sub_count(struct store *s, int64_t *ret)
{
    return BACKEND(s, sub_count, ret);
}

int
store_sub_result(struct store *s, const char *id, int ok, const char *err,
                 int64_t now_ms, uint32_t quarantine_after, int64_t span_ms,
                 int *ret_quarantined)
{
    return BACKEND(s, sub_result, id, ok, err, now_ms, quarantine_after,
                   span_ms, ret_quarantined);
}

int
store_outbox_put(struct store *s, const struct store_outbox_new *m)
{
    return BACKEND(s, outbox_put, m);
}

int
store_outbox_due(struct store *s, int64_t now_ms, size_t limit,
                 store_outbox_cb cb, void *arg)
{
    return BACKEND(s, outbox_due, now_ms, limit, cb, arg);
}

int
store_outbox_delivered(struct store *s, int64_t id, int64_t now_ms)
{
    return BACKEND(s, outbox_delivered, id, now_ms);
}

int
store_outbox_retry(struct store *s, int64_t id, int64_t due_ms, const char *err,
                   int count)
{
    return BACKEND(s, outbox_retry, id, due_ms, err, count);
}

int
store_outbox_give_up(struct store *s, int64_t id, int64_t now_ms,
                     const char *err)
{
    return BACKEND(s, outbox_give_up, id, now_ms, err);
}

int
store_outbox_prune(struct store *s, int64_t before_ms, int64_t *ret_deleted)
{
    return BACKEND(s, outbox_prune, before_ms, ret_deleted);
}

int
store_outbox_backlog(struct store *s, int64_t *ret)
{
    return BACKEND(s, outbox_backlog, ret);
}

int
store_kv_get(struct store *s, const char *key, char *ret, size_t len)
{
    return BACKEND(s, kv_get, key, ret, len);
}

int
store_kv_set(struct store *s, const char *key, const char *value)
{
    return BACKEND(s, kv_set, key, value);
}

struct store_sq *
store_be_sqlite(struct store *s)
{
    return s->sq;
}

struct store_pg *
store_be_postgresql(struct store *s)
{
    return s->pg;
}
