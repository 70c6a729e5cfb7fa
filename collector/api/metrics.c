#include "metrics.h"
#include "request.h"

#include <stdio.h>

#include "admin.h"
#include "agent_wait.h"
#include "deferred.h"
#include "engine.h"
#include "http.h"
#include "store.h"
#include "store_writer.h"
#include "incident.h"
#include "mem.h"
#include "intake.h"
#include "recheck.h"
#include "timefmt.h"

static void
counter(struct buf *b, const char *name, const char *help, uint64_t v)
{
    buf_printf(b, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help,
               name, name, (unsigned long long)v);
}

static void
gauge(struct buf *b, const char *name, const char *help, double v)
{
    buf_printf(b, "# HELP %s %s\n# TYPE %s gauge\n%s %g\n", name, help, name,
               name, v);
}

const char *
metrics_route_name(int route)
{
    static const char *const names[ROUTE_COUNT_] = {
        [ROUTE_FEED] = "feed",       [ROUTE_PAGE] = "page",
        [ROUTE_AGENT] = "agent",     [ROUTE_V1] = "v1",
        [ROUTE_ADMIN] = "admin",     [ROUTE_INTAKE] = "intake",
        [ROUTE_SUBSCRIBE] = "subscribe", [ROUTE_OPS] = "ops",
        [ROUTE_OTHER] = "other",
    };
    return route >= 0 && route < ROUTE_COUNT_ ? names[route] : "other";
}

static int
count_stale(const struct store_agent_row *row, void *arg)
{
    size_t *n = arg;

    if (time_now_ms() - row->last_contact_ms > ADMIN_AGENT_STALE_MS) {
        (*n)++;
    }
    return 0;
}

/* The store's part of /metrics, read on whichever connection db is. */
struct metrics_read {
    struct store_call call;      /* first: the writer hands it back */
    struct hub *h;
    int agents_rc;
    size_t stale;
    int64_t backlog;
};

static int
read_run(struct store *db, struct store_call *c)
{
    struct metrics_read *r = (struct metrics_read *)c;

    r->agents_rc = store_list_agents(db, count_stale, &r->stale);
    if (store_outbox_backlog(db, &r->backlog) != 0) {
        r->backlog = 0;
    }
    return 0;
}

static void
read_done(struct store_call *c, int result)
{
    struct metrics_read *r = (struct metrics_read *)c;
    struct collector_metrics *m = &r->h->metrics;

    (void)result;
    m->agents_stale_known = r->agents_rc == 0;
    m->agents_stale = r->stale;
    m->outbox_backlog = r->backlog;
    m->store_read_pending = 0;
    m->store_reads++;
    ph_free(r);
}

void
metrics_refresh(struct hub *h)
{
    struct store_writer *w = store_async_writer(h->store);
    struct metrics_read *r;

    if (h->metrics.store_read_pending) {
        return;
    }
    r = ph_calloc(1, sizeof(*r));
    if (r == NULL) {
        return;
    }
    r->h = h;
    r->call.run = read_run;
    r->call.done = read_done;
    h->metrics.store_read_pending = 1;
    if (w != NULL && store_writer_call(w, &r->call) == 0) {
        return;
    }
    read_done(&r->call, read_run(h->store, &r->call));
}

int
metrics_render(const struct hub *h, struct buf *b)
{
    const struct collector_metrics *m = &h->metrics;

    loop_busy_render(&m->loop_busy, b);
    counter(b, "pharos_results_ingested_total",
            "Probe results committed to the store.", m->results_ingested);
    counter(b, "pharos_batches_ingested_total",
            "Result batches committed to the store.", m->batches_ingested);
    counter(b, "pharos_batches_duplicate_total",
            "Result batches acknowledged again without storing.",
            m->batches_duplicate);
    counter(b, "pharos_batches_rejected_total",
            "Result batches rejected as malformed or oversized.",
            m->batches_rejected);
    counter(b, "pharos_batches_out_of_window_total",
            "Result batches refused (400) for a result dated outside "
            "max_result_age/max_result_ahead of the collector's clock.",
            m->batches_out_of_window);
    counter(b, "pharos_agent_region_unknown_total",
            "Agent requests refused (409) because the agent's region is "
            "no longer in the config.",
            m->agent_region_unknown);
    counter(b, "pharos_results_unknown_check_total",
            "Stored results whose check is not in the current config.",
            m->results_unknown_check);
    counter(b, "pharos_agent_auth_failures_total",
            "Agent requests rejected for a missing or unknown token.",
            m->auth_failures);
    counter(b, "pharos_api_rate_limited_total",
            "Management API requests refused with 429.", m->rate_limited);
    if (h->http != NULL) {
        struct http_server_stats hs;

        http_server_stats(h->http, &hs);
        counter(b, "pharos_http_connections_refused_total",
                "Connections refused: the client held its "
                "max_connections_per_client.",
                hs.refused_per_client);
        counter(b, "pharos_http_requests_cut_total",
                "Connections closed at server.request_timeout with their "
                "request incomplete.",
                hs.cut_deadline);
        buf_appends(b, "# HELP pharos_http_connections_open Open "
                       "connections by listener.\n"
                       "# TYPE pharos_http_connections_open gauge\n");
        buf_printf(b, "pharos_http_connections_open{listener=\"public\"} %u\n"
                      "pharos_http_connections_open{listener=\"agent\"} %u\n",
                   hs.open[HTTP_PUBLIC], hs.open[HTTP_AGENT]);
    }
    gauge(b, "pharos_leader",
          "1 while this collector is the leader (always 1 without ha:).",
          h->role.leading ? 1 : 0);
    gauge(b, "pharos_lease_epoch",
          "The fencing epoch of the leader lease this collector holds or "
          "last held (0 without ha:).",
          (double)h->role.epoch);
    gauge(b, "pharos_leader_since_seconds",
          "Unix time of this collector's last change of role.",
          (double)(h->role.since_ms / 1000));
    gauge(b, "pharos_lease_database_up",
          "1 while the lease's PostgreSQL answers (1 without ha:).",
          h->role.ha ? (h->role.db_ok ? 1 : 0) : 1);
    counter(b, "pharos_writes_forwarded_total",
            "API writes this collector, a follower, forwarded to the "
            "leader.",
            h->metrics.forwarded);
    gauge(b, "pharos_api_requests_parked",
          "API requests parked while their store work runs on the writer "
          "thread (PostgreSQL), or waiting for an earlier one.",
          (double)deferred_inflight(h->deferred));
    gauge(b, "pharos_documents_stale",
          "1 while a follower serves the leader's last documents without "
          "reaching the database (0 on a leader or without ha:).",
          !h->role.leading && h->role.docs_stale_since_ms != 0 ? 1 : 0);
    gauge(b, "pharos_documents_stale_since_seconds",
          "Unix time since which the documents served are stale (0: in "
          "step).",
          h->role.leading ? 0 : (double)(h->role.docs_stale_since_ms / 1000));
    gauge(b, "pharos_documents_synced_seconds",
          "Unix time a follower last read the leader's documents (0: "
          "never, or a leader).",
          h->role.leading ? 0 : (double)(h->role.docs_synced_ms / 1000));
    {
        size_t open = 0, active = 0;
        for (size_t i = 0; i < h->nincidents; i++) {
            const struct incident *inc = &h->incidents[i];
            open += inc->kind == INC_REALTIME && !inc->draft &&
                    inc_status_unresolved(inc->status);
            active += incident_maintenance_active(inc);
        }
        gauge(b, "pharos_incidents_unresolved",
              "Published incidents not yet resolved.", (double)open);
        gauge(b, "pharos_maintenances_active",
              "Maintenance windows in progress or verifying.",
              (double)active);
    }
    buf_appends(b, "# HELP pharos_http_requests_total HTTP requests served, "
                   "by route and status code (code=\"other\" for the "
                   "rest).\n# TYPE pharos_http_requests_total counter\n");
    for (int r = 0; r < ROUTE_COUNT_; r++) {
        for (int k = 0; k < HTTP_CODE_SLOTS; k++) {
            char code[8];

            if (m->http_by_route[r][k] == 0) {
                continue;
            }
            if (k == 0) {
                snprintf(code, sizeof(code), "other");
            } else {
                snprintf(code, sizeof(code), "%d", request_slot_code(k));
            }
            buf_printf(b,
                       "pharos_http_requests_total{route=\"%s\",code=\"%s\"}"
                       " %llu\n",
                       metrics_route_name(r), code,
                       (unsigned long long)m->http_by_route[r][k]);
        }
    }
    if (m->agents_stale_known) {
        gauge(b, "pharos_agents_stale",
              "Agents silent for more than a minute.",
              (double)m->agents_stale);
    }
    counter(b, "pharos_status_transitions_total",
            "Component status transitions.", m->transitions);
    counter(b, "pharos_publishes_total",
            "Times the public documents were rebuilt.", m->publishes);
    counter(b, "pharos_publish_errors_total",
            "Failures writing publish_dir.", m->publish_errors);
    counter(b, "pharos_alert_payloads_total",
            "Alert intake payloads accepted (Alertmanager and webhook).",
            m->alert_payloads);
    counter(b, "pharos_alert_payloads_rejected_total",
            "Alert intake payloads rejected as malformed or over a limit.",
            m->alert_payloads_rejected);
    counter(b, "pharos_alerts_received_total",
            "Alerts received in accepted intake payloads.",
            m->alerts_received);
    counter(b, "pharos_alerts_mapped_total",
            "Received alerts that matched an alerts rule.", m->alerts_mapped);
    {
        static const char *const srcs[] = {"pagerduty", "opsgenie"};
        static const char *const results[] = {"applied", "ignored",
                                              "duplicate", "failed",
                                              "rejected"};

        buf_appends(b, "# HELP pharos_integration_events_total PagerDuty "
                       "and Opsgenie events by outcome.\n"
                       "# TYPE pharos_integration_events_total counter\n");
        for (int s = 0; s < 2; s++) {
            for (int r = 0; r < 5; r++) {
                buf_printf(b,
                           "pharos_integration_events_total{source=\"%s\","
                           "result=\"%s\"} %llu\n",
                           srcs[s], results[r],
                           (unsigned long long)m->hook_events[s][r]);
            }
        }
    }
    {
        size_t overdue = 0;
        int64_t now = time_now_ms();

        for (size_t i = 0; i < h->nincidents; i++) {
            overdue += incident_update_overdue(&h->incidents[i],
                                               h->conf.update_every_ms, now);
        }
        gauge(b, "pharos_incidents_update_overdue",
              "Published, unresolved incidents without an update for "
              "longer than their update_every.",
              (double)overdue);
    }
    gauge(b, "pharos_alert_groups",
          "Alert groups currently holding firing mapped alerts.",
          (double)intake_ngroups(h));
    gauge(b, "pharos_publish_duration_seconds",
          "Duration of the last publish.", (double)m->last_publish_ms / 1e3);
    gauge(b, "pharos_check_quorum_lost",
          "Checks whose fresh regions are fewer than their quorum.",
          (double)engine_quorum_lost(h->engine));
    gauge(b, "pharos_regions_mass_failure",
          "Regions in a mass failure now (mass_failure: their results "
          "count for no status).",
          (double)engine_suspect_regions(h->engine));
    counter(b, "pharos_mass_failures_total",
            "Times a region entered a mass failure.", m->mass_failures);
    counter(b, "pharos_recheck_requests_total",
            "Cross-region re-checks decided (a region saw a check change).",
            m->recheck_requests);
    counter(b, "pharos_recheck_sent_total",
            "Re-check requests handed to agents in acks.", m->recheck_sent);
    counter(b, "pharos_recheck_sent_held_total",
            "Re-check requests handed to agents at once, through the "
            "request each holds open (GET /v1/agent/rechecks).",
            m->recheck_sent_held);
    gauge(b, "pharos_agent_rechecks_held",
          "Agents' re-check requests held open now.",
          (double)agent_waits_count(h->waits));
    if (h->recheck != NULL) {
        size_t n = recheck_nchecks(h->recheck);

        buf_appends(b, "# HELP pharos_check_recheck_requests_sent_total "
                       "Re-check requests sent to agents, per check (since "
                       "start or reload).\n"
                       "# TYPE pharos_check_recheck_requests_sent_total "
                       "counter\n");
        for (size_t i = 0; i < n && i < h->conf.nchecks; i++) {
            struct recheck_counts rc;

            recheck_counts(h->recheck, i, &rc);
            buf_printf(b,
                       "pharos_check_recheck_requests_sent_total{check=\"%s\"}"
                       " %llu\n",
                       h->conf.checks[i].id, (unsigned long long)rc.sent);
        }
        buf_appends(b, "# HELP pharos_check_extra_results_total Results of "
                       "extra probes, per check and kind (confirm: the "
                       "agent's own confirmation; recheck: asked by the "
                       "collector; watch: the agent's watched connection to "
                       "the target was lost or came back).\n"
                       "# TYPE pharos_check_extra_results_total counter\n");
        for (size_t i = 0; i < n && i < h->conf.nchecks; i++) {
            struct recheck_counts rc;

            recheck_counts(h->recheck, i, &rc);
            buf_printf(b,
                       "pharos_check_extra_results_total{check=\"%s\","
                       "kind=\"confirm\"} %llu\n"
                       "pharos_check_extra_results_total{check=\"%s\","
                       "kind=\"recheck\"} %llu\n"
                       "pharos_check_extra_results_total{check=\"%s\","
                       "kind=\"watch\"} %llu\n",
                       h->conf.checks[i].id,
                       (unsigned long long)rc.confirm_results,
                       h->conf.checks[i].id,
                       (unsigned long long)rc.recheck_results,
                       h->conf.checks[i].id,
                       (unsigned long long)rc.watch_results);
        }
    }
    gauge(b, "pharos_uptime_seconds", "Seconds since the collector started.",
          (double)(time_mono_ms() - h->started_ms) / 1e3);
    buf_appends(b, "# HELP pharos_component_status Component status "
                   "(0 operational, 1 degraded, 2 partial, 3 major, 4 "
                   "maintenance).\n# TYPE pharos_component_status gauge\n");
    for (size_t i = 0; i < h->conf.ncomponents; i++) {
        buf_printf(b, "pharos_component_status{component=\"%s\"} %d\n",
                   h->conf.components[i].id, (int)h->comps[i].status);
    }
    {
        static const char *const kinds[] = {"email", "webhook", "slack"};
        gauge(b, "pharos_notify_outbox_backlog",
              "Notifications waiting in the outbox (pending or retrying).",
              (double)m->outbox_backlog);
        counter(b, "pharos_store_gauge_reads_total",
                "Reads of pharos_agents_stale and "
                "pharos_notify_outbox_backlog from the store completed.",
                m->store_reads);
        buf_appends(b, "# HELP pharos_notifications_total Notification "
                       "delivery attempts by channel and result.\n"
                       "# TYPE pharos_notifications_total counter\n");
        for (int k = 0; k < 3; k++) {
            buf_printf(b,
                       "pharos_notifications_total{channel=\"%s\","
                       "result=\"delivered\"} %llu\n"
                       "pharos_notifications_total{channel=\"%s\","
                       "result=\"failed\"} %llu\n"
                       "pharos_notifications_total{channel=\"%s\","
                       "result=\"gave_up\"} %llu\n"
                       "pharos_notifications_total{channel=\"%s\","
                       "result=\"blocked\"} %llu\n",
                       kinds[k], (unsigned long long)m->notify_delivered[k],
                       kinds[k], (unsigned long long)m->notify_failed[k],
                       kinds[k], (unsigned long long)m->notify_gave_up[k],
                       kinds[k], (unsigned long long)m->notify_blocked[k]);
        }
        buf_appends(b, "# HELP pharos_notifications_enqueued_total Messages "
                       "put in the outbox by channel.\n"
                       "# TYPE pharos_notifications_enqueued_total counter\n");
        for (int k = 0; k < 3; k++) {
            buf_printf(b,
                       "pharos_notifications_enqueued_total{channel=\"%s\"} "
                       "%llu\n",
                       kinds[k], (unsigned long long)m->notify_enqueued[k]);
        }
        counter(b, "pharos_subscribe_rate_limited_total",
                "Public sign-ups refused by the per-address rate limit.",
                m->subscribe_rejected);
    }
    return buf_appends(b, "");
}
