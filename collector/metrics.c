#include "metrics.h"

#include "engine.h"
#include "incident.h"
#include "intake.h"
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
    counter(b, "pharos_api_rate_limited_total",
            "Management API requests refused with 429.", m->rate_limited);
    {
        size_t open = 0, active = 0;
        for (size_t i = 0; i < c->nincidents; i++) {
            const struct incident *inc = &c->incidents[i];
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
    counter(b, "pharos_http_requests_total", "HTTP requests served.",
            m->http_requests);
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
    gauge(b, "pharos_alert_groups",
          "Alert groups currently holding firing mapped alerts.",
          (double)intake_ngroups(c));
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
    return buf_appends(b, "");
}
