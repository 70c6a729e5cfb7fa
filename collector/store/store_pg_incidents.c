/*
 * store_pg_incidents.c - incidents, their updates, the audit log and the
 * API keys in PostgreSQL (migrations_pg/0004, 0006), as store_incidents.c
 * and store_keys.c do in sqlite.
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "mem.h"
#include "ph_err.h"
#include "store_codec.h"
#include "store_pg_int.h"

static const char *
text_of(const struct buf *b)
{
    return b->data != NULL ? b->data : "";
}

static int
save_updates(struct store_pg *p, const struct incident *inc)
{
    struct buf b;
    struct pgq q;
    int result = 0;

    buf_init(&b, 64 * 1024);
    for (size_t i = 0; i < inc->nupdates && result == 0; i++) {
        const struct inc_update *u = &inc->updates[i];

        buf_reset(&b);
        if (store_join_affected(u, &b) != 0) {
            result = PH_ENOMEM;
            break;
        }
        pgq_init(&q);
        pgq_text(&q, u->id);
        pgq_text(&q, inc->id);
        pgq_i64(&q, (int64_t)i);
        pgq_i64(&q, (int64_t)u->status);
        pgq_text(&q, u->body);
        pgq_i64(&q, u->created_ms);
        pgq_i64(&q, u->updated_ms);
        pgq_i64(&q, u->display_ms);
        pgq_i64(&q, u->deliver);
        pgq_text(&q, text_of(&b));
        pgq_i64(&q, u->next_update_ms);
        result = store_pg_run(p,
            "INSERT INTO incident_updates (id, incident_id, seq, status, "
            "body, created_ms, updated_ms, display_ms, deliver, affected, "
            "next_update_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
            "$10, $11)", &q,
            "incident update insert", NULL);
    }
    buf_free(&b);
    return result;
}

int
store_pg_incident_save(struct store_pg *p, const struct incident *inc)
{
    struct buf comps;
    struct pgq q;
    int result;

    buf_init(&comps, 8192);
    if (store_join_components(inc, &comps) != 0) {
        buf_free(&comps);
        return PH_ENOMEM;
    }
    if (store_pg_tx_begin(p) != 0) {
        buf_free(&comps);
        return PH_EDB;
    }
    pgq_init(&q);
    pgq_text(&q, inc->id);
    result = store_pg_run(p,
        "DELETE FROM incident_updates WHERE incident_id = $1", &q,
        "incident updates delete", NULL);
    if (result != 0) {
        goto out;
    }
    pgq_init(&q);
    pgq_text(&q, inc->id);
    pgq_i64(&q, (int64_t)inc->kind);
    pgq_text(&q, inc->name);
    pgq_i64(&q, (int64_t)inc->status);
    pgq_i64(&q, inc->impact_override);
    pgq_i64(&q, inc->draft);
    pgq_i64(&q, inc->auto_opened);
    pgq_i64(&q, inc->created_ms);
    pgq_i64(&q, inc->updated_ms);
    pgq_i64(&q, inc->started_ms);
    pgq_i64(&q, inc->monitoring_ms);
    pgq_i64(&q, inc->resolved_ms);
    pgq_i64(&q, inc->scheduled_for_ms);
    pgq_i64(&q, inc->scheduled_until_ms);
    pgq_i64(&q, inc->remind_prior_min);
    pgq_i64(&q, inc->reminded_ms);
    pgq_i64(&q, inc->auto_in_progress);
    pgq_i64(&q, inc->auto_completed);
    pgq_text(&q, text_of(&comps));
    pgq_i64(&q, inc->update_every_min);
    result = store_pg_run(p,
        "INSERT INTO incidents (id, kind, name, status, impact_override, "
        "draft, auto_opened, created_ms, updated_ms, started_ms, "
        "monitoring_ms, resolved_ms, scheduled_for_ms, scheduled_until_ms, "
        "remind_prior_min, reminded_ms, auto_in_progress, auto_completed, "
        "components, update_every_min) VALUES ($1, $2, $3, $4, $5, $6, $7, "
        "$8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20) "
        "ON CONFLICT (id) DO UPDATE "
        "SET kind = excluded.kind, name = excluded.name, status = "
        "excluded.status, impact_override = excluded.impact_override, "
        "draft = excluded.draft, auto_opened = excluded.auto_opened, "
        "created_ms = excluded.created_ms, updated_ms = excluded.updated_ms, "
        "started_ms = excluded.started_ms, monitoring_ms = "
        "excluded.monitoring_ms, resolved_ms = excluded.resolved_ms, "
        "scheduled_for_ms = excluded.scheduled_for_ms, scheduled_until_ms = "
        "excluded.scheduled_until_ms, remind_prior_min = "
        "excluded.remind_prior_min, reminded_ms = excluded.reminded_ms, "
        "auto_in_progress = excluded.auto_in_progress, auto_completed = "
        "excluded.auto_completed, components = excluded.components, "
        "update_every_min = excluded.update_every_min", &q,
        "incident save", NULL);
    if (result != 0) {
        goto out;
    }
    result = save_updates(p, inc);
    if (result != 0) {
        goto out;
    }
    result = store_pg_tx_commit(p);
out:
    buf_free(&comps);
    if (result != 0) {
        /* A ROLLBACK that works keeps the first error's message. */
        store_pg_tx_rollback(p);
        result = result == PH_ENOMEM ? PH_ENOMEM : PH_EDB;
    }
    return result;
}

int
store_pg_incident_delete(struct store_pg *p, const char *id)
{
    struct pgq q;

    pgq_init(&q);
    pgq_text(&q, id);
    /* The updates go with it (ON DELETE CASCADE). */
    return store_pg_run_change(p, "DELETE FROM incidents WHERE id = $1", &q,
                               "incident delete");
}

/* The updates of inc, oldest first, from the rows of all loaded
 * incidents' updates (ordered by incident, seq) starting at *pos. */
static int
take_updates(PGresult *u, int *pos, struct incident *inc)
{
    int i = *pos;

    /* Rows of incidents loaded before come first; skip to inc's. */
    while (i < PQntuples(u) && strcmp(store_pg_text(u, i, 0), inc->id) != 0) {
        i++;
    }
    for (; i < PQntuples(u) && strcmp(store_pg_text(u, i, 0), inc->id) == 0;
         i++) {
        struct inc_update *v, *up;

        if (inc->nupdates >= INC_UPDATES_MAX) {
            continue;
        }
        v = ph_realloc(inc->updates, (inc->nupdates + 1) * sizeof(*v));
        if (v == NULL) {
            return PH_ENOMEM;
        }
        inc->updates = v;
        up = &v[inc->nupdates++];
        memset(up, 0, sizeof(*up));
        snprintf(up->id, sizeof(up->id), "%s", store_pg_text(u, i, 1));
        up->status = (enum inc_status)store_pg_i64(u, i, 2);
        up->body = ph_strdup(store_pg_text(u, i, 3));
        if (up->body == NULL) {
            return PH_ENOMEM;
        }
        up->created_ms = store_pg_i64(u, i, 4);
        up->updated_ms = store_pg_i64(u, i, 5);
        up->display_ms = store_pg_i64(u, i, 6);
        up->deliver = (int)store_pg_i64(u, i, 7);
        up->next_update_ms = store_pg_i64(u, i, 9);
        if (store_split_affected(up, store_pg_text(u, i, 8)) != 0) {
            return PH_ENOMEM;
        }
    }
    *pos = i;
    return 0;
}

int
store_pg_incidents_load(struct store_pg *p, size_t max, store_incident_cb cb,
                        void *arg)
{
    PGresult *r = NULL, *u = NULL;
    struct incident inc;
    struct pgq q;
    int pos = 0, result;

    memset(&inc, 0, sizeof(inc));
    pgq_init(&q);
    pgq_i64(&q, (int64_t)max);
    result = store_pg_run(p,
        "SELECT id, kind, name, status, impact_override, draft, "
        "auto_opened, created_ms, updated_ms, started_ms, monitoring_ms, "
        "resolved_ms, scheduled_for_ms, scheduled_until_ms, "
        "remind_prior_min, reminded_ms, auto_in_progress, auto_completed, "
        "components, update_every_min FROM incidents ORDER BY created_ms "
        "DESC, id LIMIT $1",
        &q, "incidents load", &r);
    if (result != 0) {
        goto out;
    }
    /* All their updates in one query, in the incidents' order. */
    result = store_pg_run(p,
        "SELECT u.incident_id, u.id, u.status, u.body, u.created_ms, "
        "u.updated_ms, u.display_ms, u.deliver, u.affected, "
        "u.next_update_ms FROM "
        "(SELECT id, created_ms FROM incidents ORDER BY created_ms DESC, id "
        "LIMIT $1) i JOIN incident_updates u ON u.incident_id = i.id "
        "ORDER BY i.created_ms DESC, i.id, u.seq", &q,
        "incident updates load", &u);
    if (result != 0) {
        goto out;
    }
    for (int i = 0; i < PQntuples(r); i++) {
        int64_t status = store_pg_i64(r, i, 3);

        memset(&inc, 0, sizeof(inc));
        snprintf(inc.id, sizeof(inc.id), "%s", store_pg_text(r, i, 0));
        inc.kind = store_pg_i64(r, i, 1) ? INC_MAINTENANCE : INC_REALTIME;
        inc.name = ph_strdup(store_pg_text(r, i, 2));
        if (inc.name == NULL) {
            result = PH_ENOMEM;
            goto out;
        }
        inc.status = status >= 0 && status < INC_STATUS_COUNT
                         ? (enum inc_status)status
                         : INC_INVESTIGATING;
        inc.impact_override = (int)store_pg_i64(r, i, 4);
        inc.draft = (int)store_pg_i64(r, i, 5);
        inc.auto_opened = (int)store_pg_i64(r, i, 6);
        inc.created_ms = store_pg_i64(r, i, 7);
        inc.updated_ms = store_pg_i64(r, i, 8);
        inc.started_ms = store_pg_i64(r, i, 9);
        inc.monitoring_ms = store_pg_i64(r, i, 10);
        inc.resolved_ms = store_pg_i64(r, i, 11);
        inc.scheduled_for_ms = store_pg_i64(r, i, 12);
        inc.scheduled_until_ms = store_pg_i64(r, i, 13);
        inc.remind_prior_min = (int)store_pg_i64(r, i, 14);
        inc.reminded_ms = store_pg_i64(r, i, 15);
        inc.auto_in_progress = (int)store_pg_i64(r, i, 16);
        inc.auto_completed = (int)store_pg_i64(r, i, 17);
        inc.update_every_min = (int)store_pg_i64(r, i, 19);
        if (store_split_components(&inc, store_pg_text(r, i, 18)) != 0 ||
            take_updates(u, &pos, &inc) != 0) {
            result = PH_ENOMEM;
            goto out;
        }
        result = cb(&inc, arg);
        memset(&inc, 0, sizeof(inc)); /* cb owns it now */
        if (result != 0) {
            goto out;
        }
    }
out:
    incident_free(&inc);
    PQclear(r);
    PQclear(u);
    return result;
}

int
store_pg_audit_add(struct store_pg *p, int64_t at_ms, const char *actor,
                   const char *action, const char *target,
                   const char *detail, int status)
{
    struct pgq q;

    pgq_init(&q);
    pgq_i64(&q, at_ms);
    pgq_text(&q, actor);
    pgq_text(&q, action);
    pgq_text(&q, target);
    pgq_text(&q, detail);
    pgq_i64(&q, status);
    return store_pg_run(p,
        "INSERT INTO audit_log (at_ms, actor, action, target, detail, "
        "status) VALUES ($1, $2, $3, $4, $5, $6)", &q, "audit insert", NULL);
}

int
store_pg_audit_list(struct store_pg *p, int64_t before_id, size_t limit,
                    store_audit_cb cb, void *arg)
{
    struct pgq q;
    PGresult *r;
    int result;

    pgq_init(&q);
    pgq_i64(&q, before_id);
    pgq_i64(&q, (int64_t)limit);
    result = store_pg_run(p,
        "SELECT id, at_ms, actor, action, target, detail, status FROM "
        "audit_log WHERE ($1 = 0 OR id < $1) ORDER BY id DESC LIMIT $2", &q,
        "audit list", &r);
    for (int i = 0; result == 0 && i < PQntuples(r); i++) {
        struct store_audit_row row = {
            .id = store_pg_i64(r, i, 0),
            .at_ms = store_pg_i64(r, i, 1),
            .actor = store_pg_text(r, i, 2),
            .action = store_pg_text(r, i, 3),
            .target = store_pg_text(r, i, 4),
            .detail = store_pg_text(r, i, 5),
            .status = (int)store_pg_i64(r, i, 6),
        };
        result = cb(&row, arg);
    }
    PQclear(r);
    return result;
}

int
store_pg_api_key_add(struct store_pg *p, const char *name, const char *scope,
                     const char *token_sha256, int64_t now_ms)
{
    struct pgq q;

    pgq_init(&q);
    pgq_text(&q, name);
    pgq_text(&q, scope);
    pgq_text(&q, token_sha256);
    pgq_i64(&q, now_ms);
    return store_pg_run(p,
        "INSERT INTO api_keys (name, scope, token_sha256, created_ms) "
        "VALUES ($1, $2, $3, $4)", &q, "api key add", NULL);
}

int
store_pg_api_key_revoke(struct store_pg *p, const char *name, int64_t now_ms)
{
    struct pgq q;

    pgq_init(&q);
    pgq_text(&q, name);
    pgq_i64(&q, now_ms);
    return store_pg_run_change(p,
        "UPDATE api_keys SET revoked_ms = $2 WHERE name = $1 AND "
        "revoked_ms IS NULL", &q, "api key revoke");
}

int
store_pg_list_api_keys(struct store_pg *p, store_api_key_cb cb, void *arg)
{
    PGresult *r;
    int result = store_pg_run(p,
        "SELECT name, scope, token_sha256, created_ms, coalesce(revoked_ms, "
        "0) FROM api_keys ORDER BY name", NULL, "api key list", &r);

    for (int i = 0; result == 0 && i < PQntuples(r); i++) {
        struct store_api_key_row row = {
            .name = store_pg_text(r, i, 0),
            .scope = store_pg_text(r, i, 1),
            .token_sha256 = store_pg_text(r, i, 2),
            .created_ms = store_pg_i64(r, i, 3),
            .revoked_ms = store_pg_i64(r, i, 4),
        };
        result = cb(&row, arg);
    }
    PQclear(r);
    return result;
}
