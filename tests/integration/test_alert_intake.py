#!/usr/bin/env python3
"""Alert intake: Alertmanager webhook v4 payloads and the generic JSON
webhook against a real collector. Checks the component statuses in the
public feed, the status history (source "alert"), worst status across
groups, resolve by status and by endsAt, idempotent replays, auth (alerts
token, API key scopes), errors and limits, state kept across a restart,
and the /metrics counters."""
import json
import os
import sys
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pharos_harness import serve_target, Harness, free_port, http_get, wait_for, wait_until  # noqa: E402
from oncetest import Results  # noqa: E402

TOKEN = "ph_alerts_" + "a" * 30
WRITE_KEY = "ph_write_" + "w" * 30
READ_KEY = "ph_read_" + "r" * 30


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def alert(labels, status="firing", ends=None):
    return {"status": status, "labels": labels,
            "annotations": {"summary": "s"},
            "startsAt": iso(datetime.now(timezone.utc) - timedelta(minutes=5)),
            "endsAt": ends or "0001-01-01T00:00:00Z",
            "generatorURL": "", "fingerprint": "0123456789abcdef"}


def payload(group, alerts, truncated=0):
    firing = any(a["status"] == "firing" for a in alerts)
    return {"receiver": "statuspage",
            "status": "firing" if firing else "resolved",
            "alerts": alerts, "groupLabels": {}, "commonLabels": {},
            "commonAnnotations": {}, "externalURL": "http://am.local",
            "version": "4", "groupKey": group, "truncatedAlerts": truncated}


def main():
    res = Results()
    port = free_port()
    srv = serve_target(port)
    h = Harness("alert_intake")
    os.environ["PH_ALERT_TOKEN"] = TOKEN
    os.environ["PH_INTAKE_WRITE"] = WRITE_KEY
    os.environ["PH_INTAKE_READ"] = READ_KEY
    try:
        h.write_config(["r1"], f"""
components:
  - id: api
    name: API
    checks:
      - {{id: api-http, type: http, url: "http://127.0.0.1:{port}/", interval: 1s, timeout: 500ms}}
  - id: web
    name: Web
  - id: db
    name: Database
""", extra_yaml="""api_keys:
  - {name: ci, scope: write, token_env: PH_INTAKE_WRITE}
  - {name: viewer, scope: read, token_env: PH_INTAKE_READ}
alerts:
  max_alerts: 5
  tokens:
    - {name: alertmanager, token_env: PH_ALERT_TOKEN}
  rules:
    - match: {service: api, severity: critical}
      component: api
      status: major_outage
    - match: {service: api}
      component: api
      status: degraded_performance
    - match: {service: web}
      component: web
      status: partial_outage
  webhook:
    key_field: "$.ruleName"
    status_field: "$.state"
    labels_field: "$.tags"
    firing_values: [alerting, Alerting]
""")
        h.start_collector()
        h.start_agent("r1")
        wait_for(lambda: h.region_states("api-http") == {"r1": "up"}, 20,
                 "api-http up in r1")

        def post(path, body, auth=f"Bearer {TOKEN}", raw=False):
            hd = {"Content-Type": "application/json",
                  "User-Agent": "Alertmanager/0.25.0"}
            if auth is not None:
                hd["Authorization"] = auth
            data = body if raw else (json.dumps(body) + "\n").encode()
            code, out = http_get(h.url(path), method="POST", data=data,
                                 headers=hd, ok_codes=None)
            try:
                return code, json.loads(out)
            except ValueError:
                return code, out

        def am(body, **kw):
            return post("/v1/integrations/alertmanager", body, **kw)

        def status():
            doc = json.loads(http_get(h.url("/api/v2/components.json"))[1])
            return {c["id"]: c["status"] for c in doc["components"]}

        def history(cid):
            code, out = http_get(
                h.url(f"/v1/pages/itest/components/{cid}/transitions"),
                headers={"Authorization": f"OAuth {WRITE_KEY}"})
            return json.loads(out)

        res.check("starts operational",
                  wait_until(lambda: status()["api"] == "operational", 10),
                  status())

        crit = payload('{}:{alertname="ApiDown"}',
                       [alert({"alertname": "ApiDown", "service": "api",
                               "severity": "critical"})])
        code, out = am(crit)
        res.check("firing critical alert accepted",
                  code == 200 and out["changed"] is True
                  and out["mapped"] == 1, (code, out))
        res.check("api shows major_outage",
                  wait_until(lambda: status()["api"] == "major_outage", 3),
                  status())
        hist = history("api")
        res.check("transition recorded with source alert",
                  hist and hist[-1]["source"] == "alert"
                  and hist[-1]["new_status"] == "major_outage", hist[-1:])
        res.check("its reason names the alert group",
                  hist and 'alertname="ApiDown"' in hist[-1]["reason"]
                  and "major_outage" in hist[-1]["reason"], hist[-1:])
        n_hist = len(hist)
        code, out = am(crit)
        res.check("same payload again changes nothing",
                  code == 200 and out["changed"] is False
                  and len(history("api")) == n_hist, (code, out))

        warn = payload('{}:{alertname="ApiSlow"}',
                       [alert({"alertname": "ApiSlow", "service": "api",
                               "severity": "warning"}),
                        alert({"alertname": "Unrelated", "service": "mail"})])
        code, out = am(warn)
        res.check("second group: two alerts, one mapped",
                  code == 200 and out["alerts"] == 2 and out["mapped"] == 1,
                  out)
        res.check("worst across groups stays major",
                  status()["api"] == "major_outage", status())

        resolved = payload('{}:{alertname="ApiDown"}',
                           [alert({"alertname": "ApiDown", "service": "api",
                                   "severity": "critical"}, "resolved",
                                  iso(datetime.now(timezone.utc)))])
        code, _ = am(resolved)
        res.check("critical group resolved: api degraded (other group)",
                  code == 200 and wait_until(
                      lambda: status()["api"] == "degraded_performance", 3),
                  status())
        past = iso(datetime.now(timezone.utc) - timedelta(seconds=5))
        ended = payload('{}:{alertname="ApiSlow"}',
                        [alert({"alertname": "ApiSlow", "service": "api",
                                "severity": "warning"}, "firing", past)])
        code, _ = am(ended)
        res.check("endsAt in the past resolves: api operational again",
                  code == 200 and wait_until(
                      lambda: status()["api"] == "operational", 3), status())
        steps = [(t["source"], t["new_status"]) for t in history("api")[n_hist:]]
        # The recovery's source is whatever decides the status now: the
        # probes (the engine records the source of the new status).
        res.check("history: alert-driven steps, then back to the probes",
                  steps == [("alert", "degraded_performance"),
                            ("probe", "operational")], steps)

        # Auth.
        code, err = am(crit, auth="Bearer wrong-token")
        res.check("bad token: 401 with error body",
                  code == 401 and err.get("error") and err.get("message"),
                  (code, err))
        code, _ = am(crit, auth=None)
        res.check("no token: 401", code == 401, code)
        code, _ = am(crit, auth=f"Bearer {READ_KEY}")
        res.check("read-scope API key: 403", code == 403, code)
        web = payload("web-group", [alert({"service": "web"})])
        code, out = am(web, auth=f"Bearer {WRITE_KEY}")
        res.check("write-scope API key accepted", code == 200, (code, out))
        res.check("web shows partial_outage",
                  wait_until(lambda: status()["web"] == "partial_outage", 3),
                  status())

        # Errors and limits.
        code, err = am(b"{not json", raw=True)
        res.check("bad JSON: 400 with error and message",
                  code == 400 and err["error"] == "bad_request"
                  and "JSON" in err["message"], (code, err))
        code, err = am({"version": "3", "groupKey": "g", "alerts": []})
        res.check("unknown version: 400", code == 400, (code, err))
        code, err = am(payload("big", [alert({"service": "x"})] * 6))
        res.check("more than max_alerts: 413",
                  code == 413 and "max_alerts" in err["message"], (code, err))
        code, err = am(payload("labels", [alert({"k": "v" * 2000})]))
        res.check("overlong label value: 413", code == 413, (code, err))
        code, _ = http_get(h.url("/v1/integrations/alertmanager"),
                           ok_codes=None)
        res.check("GET: 405", code == 405, code)

        # Generic webhook, Grafana legacy style.
        g = {"title": "[Alerting] DB", "ruleName": "DB latency",
             "state": "alerting", "tags": {"service": "web"}}
        code, out = post("/v1/integrations/webhook", g)
        res.check("webhook alerting accepted",
                  code == 200 and out["mapped"] == 1, (code, out))
        g["state"] = "ok"
        code, out = post("/v1/integrations/webhook", g)
        res.check("webhook ok: group cleared, web still held by the "
                  "Alertmanager group",
                  code == 200 and out["changed"] is True
                  and status()["web"] == "partial_outage", (code, out))
        code, err = post("/v1/integrations/webhook", {"state": "alerting"})
        res.check("webhook without key field: 400",
                  code == 400 and "ruleName" in err["message"], (code, err))

        # State survives a restart.
        h.stop("collector")
        h.start_collector()
        res.check("firing group survives a restart",
                  wait_until(lambda: status()["web"] == "partial_outage", 3),
                  status())
        time_ok = wait_until(lambda: status()["api"] == "operational", 10)
        res.check("probe-driven api unaffected", time_ok, status())
        code, _ = am(payload("web-group",
                             [alert({"service": "web"}, "resolved",
                                    iso(datetime.now(timezone.utc)))]))
        res.check("restored group resolves",
                  code == 200 and wait_until(
                      lambda: status()["web"] == "operational", 3), status())

        metrics = http_get(h.url("/metrics"))[1].decode()
        vals = {}
        for line in metrics.splitlines():
            if line and not line.startswith("#"):
                name, _, v = line.rpartition(" ")
                vals[name] = float(v)
        res.check("metrics count alerts received and mapped",
                  vals.get("pharos_alerts_received_total", 0) >= 1
                  and vals.get("pharos_alerts_mapped_total", 0) >= 1
                  and vals.get("pharos_alert_payloads_total", 0) >= 1
                  and "pharos_alert_groups" in vals, vals)
        res.check("metrics count rejected payloads (since restart: 0)",
                  vals.get("pharos_alert_payloads_rejected_total") == 0, vals)
    except Exception:
        h.dump_logs()
        raise
    finally:
        srv.shutdown()
        h.stop_all()
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
