/*
 * store_pg_hooks.c - PostgreSQL: links of PagerDuty / Opsgenie incidents
 * to Pharos incidents and the event ids seen recently (migrations_pg/
 * 0010), and the staff channels kept as subscriber rows in state
 * 'staff', as store_hooks.c and store_staff.c do on sqlite.
 */
#include <stdio.h>
#include <string.h>

#include "ph_err.h"
#include "store_pg_int.h"
#include "token.h"

int
store_pg_hook_link_get(struct store_pg *p, const char *source,
                       const char *external_id, struct store_hook_link *ret)
{
    struct pgq q;
    PGresult *r;
    int result;

    memset(ret, 0, sizeof(*ret));
    pgq_init(&q);
    pgq_text(&q, source);
    pgq_text(&q, external_id);
    result = store_pg_run(p,
        "SELECT incident_id, url, state, flags FROM hook_links "
        "WHERE source = $1 AND external_id = $2", &q, "hook link get", &r);
    if (result != 0) {
        return result;
    }
    if (PQntuples(r) == 0) {
        result = PH_ENOENT;
    } else {
        snprintf(ret->incident_id, sizeof(ret->incident_id), "%s",
                 store_pg_text(r, 0, 0));
        snprintf(ret->url, sizeof(ret->url), "%s", store_pg_text(r, 0, 1));
        ret->state = (int)store_pg_i64(r, 0, 2);
        ret->flags = (unsigned)store_pg_i64(r, 0, 3);
    }
    PQclear(r);
    return result;
}

int
store_pg_hook_link_put(struct store_pg *p, const char *source,
                       const char *external_id,
                       const struct store_hook_link *link, int64_t now_ms)
{
    struct pgq q;

    pgq_init(&q);
    pgq_text(&q, source);
    pgq_text(&q, external_id);
    pgq_text(&q, link->incident_id);
    pgq_text(&q, link->url);
    pgq_i64(&q, link->state);
    pgq_i64(&q, (int64_t)link->flags);
    pgq_i64(&q, now_ms);
    return store_pg_run(p,
        "INSERT INTO hook_links (source, external_id, incident_id, url, "
        "state, flags, created_ms, updated_ms) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $7) "
        "ON CONFLICT (source, external_id) DO UPDATE SET "
        "incident_id = excluded.incident_id, url = excluded.url, "
        "state = excluded.state, flags = excluded.flags, "
        "updated_ms = excluded.updated_ms", &q, "hook link put", NULL);
}

int
store_pg_hook_event_seen(struct store_pg *p, const char *source,
                         const char *event_id)
{
    struct pgq q;
    PGresult *r;
    int result;

    pgq_init(&q);
    pgq_text(&q, source);
    pgq_text(&q, event_id);
    result = store_pg_run(p,
        "SELECT 1 FROM hook_events WHERE source = $1 AND event_id = $2", &q,
        "hook event seen", &r);
    if (result != 0) {
        return result;
    }
    result = PQntuples(r) > 0 ? 1 : 0;
    PQclear(r);
    return result;
}

int
store_pg_hook_event_add(struct store_pg *p, const char *source,
                        const char *event_id, int64_t now_ms,
                        int64_t prune_before_ms)
{
    struct pgq q;
    int result;

    pgq_init(&q);
    pgq_text(&q, source);
    pgq_text(&q, event_id);
    pgq_i64(&q, now_ms);
    result = store_pg_run(p,
        "INSERT INTO hook_events (source, event_id, seen_ms) "
        "VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", &q, "hook event add",
        NULL);
    if (result != 0) {
        return result;
    }
    pgq_init(&q);
    pgq_text(&q, source);
    pgq_i64(&q, prune_before_ms);
    return store_pg_run(p,
        "DELETE FROM hook_events WHERE source = $1 AND seen_ms < $2", &q,
        "hook event prune", NULL);
}

static int
staff_upsert(struct store_pg *p, const struct store_subscriber *row,
             int64_t now_ms)
{
    char unsub[TOKEN_HASH_HEX], seed[64];
    struct pgq q;

    /* Unique, and no token hashes to it: staff rows have no link. */
    snprintf(seed, sizeof(seed), "staff row %s", row->id);
    token_hash(seed, strlen(seed), unsub);
    pgq_init(&q);
    pgq_text(&q, row->id);
    pgq_text(&q, row->kind);
    pgq_text(&q, row->address);
    pgq_text(&q, row->secret);
    pgq_text(&q, unsub);
    pgq_i64(&q, now_ms);
    return store_pg_run(p,
        "INSERT INTO subscribers (id, kind, address, components, secret, "
        "unsub_sha256, state, created_ms, updated_ms) VALUES ($1, $2, $3, "
        "'', $4, $5, 'staff', $6, $6) ON CONFLICT (id) DO UPDATE SET "
        "secret = excluded.secret, state = 'staff', fails = 0, "
        "failing_since = 0, updated_ms = excluded.updated_ms", &q,
        "staff upsert", NULL);
}

int
store_pg_staff_sync(struct store_pg *p, const struct store_subscriber *rows,
                    size_t n, int64_t now_ms)
{
    PGresult *r = NULL;
    int result = 0;

    if (store_pg_tx_begin(p) != 0) {
        return PH_EDB;
    }
    for (size_t i = 0; i < n && result == 0; i++) {
        result = staff_upsert(p, &rows[i], now_ms);
    }
    if (result != 0) {
        goto out;
    }
    result = store_pg_run(p, "SELECT id FROM subscribers WHERE id LIKE "
                             "'staff-%'", NULL, "staff list", &r);
    /* Channels no longer configured go, with their pending reminders. */
    for (int i = 0; result == 0 && i < PQntuples(r); i++) {
        const char *id = store_pg_text(r, i, 0);
        struct pgq q;
        size_t k;

        for (k = 0; k < n && strcmp(rows[k].id, id) != 0; k++) {
        }
        if (k < n) {
            continue;
        }
        pgq_init(&q);
        pgq_text(&q, id);
        result = store_pg_run(p, "DELETE FROM subscribers WHERE id = $1", &q,
                              "staff delete", NULL);
    }
out:
    PQclear(r);
    if (result == 0 && store_pg_tx_commit(p) == 0) {
        return 0;
    }
    store_pg_tx_rollback(p);
    return result != 0 ? result : PH_EDB;
}
