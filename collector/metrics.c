#include "metrics.h"

#include "engine.h"
#include "store.h"
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

int
metrics_render(const struct collector *c, struct buf *b)
{
    const struct collector_metrics *m = &c->metrics;

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
    counter(b, "pharos_results_unknown_check_total",
            "Stored results whose check is not in the current config.",
            m->results_unknown_check);
    counter(b, "pharos_agent_auth_failures_total",
            "Agent requests rejected for a missing or unknown token.",
            m->auth_failures);
    counter(b, "pharos_http_requests_total", "HTTP requests served.",
            m->http_requests);
    counter(b, "pharos_status_transitions_total",
            "Component status transitions.", m->transitions);
    counter(b, "pharos_publishes_total",
            "Times the public documents were rebuilt.", m->publishes);
    counter(b, "pharos_publish_errors_total",
            "Failures writing publish_dir.", m->publish_errors);
    gauge(b, "pharos_publish_duration_seconds",
          "Duration of the last publish.", (double)m->last_publish_ms / 1e3);
    gauge(b, "pharos_check_quorum_lost",
          "Checks whose fresh regions are fewer than their quorum.",
          (double)engine_quorum_lost(c->engine));
    gauge(b, "pharos_uptime_seconds", "Seconds since the collector started.",
          (double)(time_now_ms() - c->started_ms) / 1e3);
    buf_appends(b, "# HELP pharos_component_status Component status "
                   "(0 operational, 1 degraded, 2 partial, 3 major, 4 "
                   "maintenance).\n# TYPE pharos_component_status gauge\n");
    for (size_t i = 0; i < c->conf.ncomponents; i++) {
        buf_printf(b, "pharos_component_status{component=\"%s\"} %d\n",
                   c->conf.components[i].id, (int)c->comps[i].status);
    }
    {
        static const char *const kinds[] = {"email", "webhook", "slack"};
        int64_t backlog = 0;

        store_outbox_backlog(c->store, &backlog);
        gauge(b, "pharos_notify_outbox_backlog",
              "Notifications waiting in the outbox (pending or retrying).",
              (double)backlog);
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
