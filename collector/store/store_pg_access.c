/*
 * store_pg_access.c - PostgreSQL: viewers of a private page and the
 * components and groups created through the v1 API (migrations_pg/0008,
 * 0009), as store_viewers.c and store_components.c do on sqlite.
 */
#include <stddef.h>

#include "ph_err.h"
#include "store_pg_int.h"

/* Column c of row i as text, NULL for SQL NULL (borrowed until PQclear). */
static const char *
opt_text(PGresult *r, int i, int c)
{
    return PQgetisnull(r, i, c) ? NULL : PQgetvalue(r, i, c);
}

int
store_pg_viewer_add(struct store_pg *p, const char *name,
                    const char *token_sha256, int64_t now_ms)
{
    struct pgq q;

    pgq_init(&q);
    pgq_text(&q, name);
    pgq_text(&q, token_sha256);
    pgq_i64(&q, now_ms);
    return store_pg_run(p,
        "INSERT INTO viewers (name, token_sha256, created_ms) "
        "VALUES ($1, $2, $3)", &q, "viewer add", NULL);
}

int
store_pg_viewer_revoke(struct store_pg *p, const char *name, int64_t now_ms)
{
    struct pgq q;

    pgq_init(&q);
    pgq_text(&q, name);
    pgq_i64(&q, now_ms);
    return store_pg_run_change(p,
        "UPDATE viewers SET revoked_ms = $2 WHERE name = $1 AND "
        "revoked_ms IS NULL", &q, "viewer revoke");
}

int
store_pg_list_viewers(struct store_pg *p, store_viewer_cb cb, void *arg)
{
    PGresult *r;
    int result = store_pg_run(p,
        "SELECT name, token_sha256, created_ms, coalesce(revoked_ms, 0) "
        "FROM viewers ORDER BY name", NULL, "viewer list", &r);

    if (result != 0) {
        return result;
    }
    for (int i = 0; result == 0 && i < PQntuples(r); i++) {
        struct store_viewer_row row = {
            .name = store_pg_text(r, i, 0),
            .token_sha256 = store_pg_text(r, i, 1),
            .created_ms = store_pg_i64(r, i, 2),
            .revoked_ms = store_pg_i64(r, i, 3),
        };
        result = cb(&row, arg);
    }
    PQclear(r);
    return result;
}

int
store_pg_component_put(struct store_pg *p,
                       const struct store_component_row *c)
{
    struct pgq q;

    pgq_init(&q);
    pgq_text(&q, c->id);
    pgq_text(&q, c->name);
    pgq_text(&q, c->description);
    pgq_text(&q, c->group_id);
    pgq_i64(&q, c->showcase);
    pgq_i64(&q, c->only_show_if_degraded);
    pgq_text(&q, c->start_date);
    pgq_i64(&q, c->internal);
    pgq_i64(&q, c->created_ms);
    pgq_i64(&q, c->updated_ms);
    return store_pg_run(p,
        "INSERT INTO api_components (id, name, description, group_id, "
        "showcase, only_show_if_degraded, start_date, internal, created_ms, "
        "updated_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
        "ON CONFLICT (id) DO UPDATE SET name = $2, description = $3, "
        "group_id = $4, showcase = $5, only_show_if_degraded = $6, "
        "start_date = $7, internal = $8, updated_ms = $10",
        &q, "component put", NULL);
}

static int
delete_row(struct store_pg *p, const char *sql, const char *id,
           const char *what)
{
    struct pgq q;

    pgq_init(&q);
    pgq_text(&q, id);
    return store_pg_run_change(p, sql, &q, what);
}

int
store_pg_component_delete(struct store_pg *p, const char *id)
{
    return delete_row(p, "DELETE FROM api_components WHERE id = $1", id,
                      "component delete");
}

int
store_pg_list_components(struct store_pg *p, store_component_cb cb,
                         void *arg)
{
    PGresult *r;
    int result = store_pg_run(p,
        "SELECT id, name, description, group_id, showcase, "
        "only_show_if_degraded, start_date, internal, created_ms, "
        "updated_ms FROM api_components ORDER BY created_ms, id", NULL,
        "component list", &r);

    if (result != 0) {
        return result;
    }
    for (int i = 0; result == 0 && i < PQntuples(r); i++) {
        struct store_component_row row = {
            .id = store_pg_text(r, i, 0),
            .name = store_pg_text(r, i, 1),
            .description = opt_text(r, i, 2),
            .group_id = opt_text(r, i, 3),
            .showcase = (int)store_pg_i64(r, i, 4),
            .only_show_if_degraded = (int)store_pg_i64(r, i, 5),
            .start_date = opt_text(r, i, 6),
            .internal = (int)store_pg_i64(r, i, 7),
            .created_ms = store_pg_i64(r, i, 8),
            .updated_ms = store_pg_i64(r, i, 9),
        };
        result = cb(&row, arg);
    }
    PQclear(r);
    return result;
}

int
store_pg_group_put(struct store_pg *p, const struct store_group_row *g)
{
    struct pgq q;

    pgq_init(&q);
    pgq_text(&q, g->id);
    pgq_text(&q, g->name);
    pgq_text(&q, g->description);
    pgq_i64(&q, g->created_ms);
    pgq_i64(&q, g->updated_ms);
    return store_pg_run(p,
        "INSERT INTO api_groups (id, name, description, created_ms, "
        "updated_ms) VALUES ($1, $2, $3, $4, $5) "
        "ON CONFLICT (id) DO UPDATE SET name = $2, description = $3, "
        "updated_ms = $5", &q, "group put", NULL);
}

int
store_pg_group_delete(struct store_pg *p, const char *id)
{
    return delete_row(p, "DELETE FROM api_groups WHERE id = $1", id,
                      "group delete");
}

int
store_pg_list_groups(struct store_pg *p, store_group_cb cb, void *arg)
{
    PGresult *r;
    int result = store_pg_run(p,
        "SELECT id, name, description, created_ms, updated_ms "
        "FROM api_groups ORDER BY created_ms, id", NULL, "group list", &r);

    if (result != 0) {
        return result;
    }
    for (int i = 0; result == 0 && i < PQntuples(r); i++) {
        struct store_group_row row = {
            .id = store_pg_text(r, i, 0),
            .name = store_pg_text(r, i, 1),
            .description = opt_text(r, i, 2),
            .created_ms = store_pg_i64(r, i, 3),
            .updated_ms = store_pg_i64(r, i, 4),
        };
        result = cb(&row, arg);
    }
    PQclear(r);
    return result;
}
