/*
 * hub.c - the requests a module makes of the driver, and the small
 * services on the shared state: overrides and the feed's snapshot
 * (hub.h).
 */
#include "hub.h"

#include <stdio.h>
#include <string.h>

#include "components.h"
#include "log.h"
#include "store.h"
#include "store_async.h"
#include "timefmt.h"

void
hub_request_evaluate(struct hub *h)
{
    h->eval_requested = 1;
    h->want(h->want_arg, HUB_EVALUATE);
}

void
hub_request_evaluate_soon(struct hub *h)
{
    h->want(h->want_arg, HUB_EVALUATE_SOON);
}

void
hub_mark_dirty(struct hub *h)
{
    h->want(h->want_arg, HUB_PUBLISH);
}

/* The outcome of an override's write (store_async.h). */
static void
on_override_stored(int result, const char *errmsg, void *arg)
{
    struct hub *h = arg;

    if (result != 0) {
        complain(&h->store_complaint, time_mono_ms(),
                 "store: cannot keep an override: %s", errmsg);
    }
}

void
hub_set_override(struct hub *h, int component, int status,
                 int64_t expires_ms)
{
    if (status < 0) {
        engine_clear_override(h->engine, component);
    } else {
        engine_set_override(h->engine, component, (enum comp_status)status,
                            expires_ms);
    }
    hub_keep_override(h, h->conf.components[component].id, status,
                      expires_ms);
    hub_request_evaluate(h);
}

void
hub_keep_override(struct hub *h, const char *component_id, int status,
                  int64_t expires_ms)
{
    char key[96], val[64];

    snprintf(key, sizeof(key), "override:%s", component_id);
    if (status < 0) {
        snprintf(val, sizeof(val), "-");
    } else {
        snprintf(val, sizeof(val), "%s %lld",
                 comp_status_name((enum comp_status)status),
                 (long long)expires_ms);
    }
    if (h->rebuild_rows != NULL) {
        /* A rebuild restores from rows read before this. */
        components_rows_set_override(h->rebuild_rows, component_id, val);
    }
    if (store_kv_set_async(h->store, key, val, on_override_stored, h) != 0) {
        complain(&h->store_complaint, time_mono_ms(),
                 "store: cannot keep the override of %s", component_id);
    }
}

void
hub_restore_overrides(struct hub *h)
{
    for (size_t i = 0; i < h->conf.ncomponents; i++) {
        char key[96], val[64], st[40];
        long long until = 0;
        int s, rc;

        snprintf(key, sizeof(key), "override:%s", h->conf.components[i].id);
        /* Read off the loop with the rows of an API change, if so. */
        rc = h->rebuild_rows != NULL
                 ? components_rows_override(h->rebuild_rows,
                                            h->conf.components[i].id, val,
                                            sizeof(val))
                 : 1;
        if (rc == 1) {
            rc = store_kv_get(h->store, key, val, sizeof(val));
        }
        if (rc != 0 ||
            sscanf(val, "%39s %lld", st, &until) != 2 ||
            (s = comp_status_parse(st)) < 0) {
            continue;
        }
        if (until != 0 && until <= time_now_ms()) {
            continue;
        }
        engine_set_override(h->engine, (int)i, (enum comp_status)s, until);
    }
}
