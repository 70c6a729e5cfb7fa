#!/usr/bin/env python3
"""A real Alertmanager (Debian's prometheus-alertmanager) notifying the
collector: its own config on loopback with a webhook_config pointing at
/v1/integrations/alertmanager with a bearer token (http_config
authorization credentials), short group_wait/group_interval. An alert
posted to Alertmanager's API v2 turns the component's status, and the
same alert posted again with endsAt in the past restores it.

Skips (exit 77; a failure under CI=true) only when the alertmanager binary
is missing (scripts/install-deps.sh --test installs it). Every wait is bounded."""
import json
import os
import shutil
import sys
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pharos_harness import Harness, free_port, http_get, skip, wait_until  # noqa: E402
from oncetest import Results  # noqa: E402

TOKEN = "ph_am_" + "t" * 32


def find_alertmanager():
    for name in ("prometheus-alertmanager", "alertmanager"):
        path = shutil.which(name)
        if path:
            return path
    return None


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def main():
    am_bin = find_alertmanager()
    if am_bin is None:
        skip("prometheus-alertmanager is not installed "
             "(scripts/install-deps.sh --test)")
    res = Results()
    h = Harness("alertmanager")
    os.environ["PH_AM_TOKEN"] = TOKEN
    am_port = free_port()
    try:
        h.write_config(["r1"], """
components:
  - id: db
    name: Database
  - id: api
    name: API
""", extra_yaml="""alerts:
  tokens:
    - {name: alertmanager, token_env: PH_AM_TOKEN}
  rules:
    - match: {service: db, severity: page}
      component: db
      status: major_outage
""")
        h.start_collector()
        am_dir = os.path.join(h.dir, "am")
        os.makedirs(am_dir)
        am_conf = os.path.join(am_dir, "alertmanager.yml")
        with open(am_conf, "w") as f:
            f.write(f"""route:
  receiver: statuspage
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: statuspage
    webhook_configs:
      - url: "{h.url('/v1/integrations/alertmanager')}"
        send_resolved: true
        max_alerts: 100
        http_config:
          authorization:
            type: Bearer
            credentials: "{TOKEN}"
""")
        h._start("alertmanager", [
            am_bin, f"--config.file={am_conf}",
            f"--storage.path={os.path.join(am_dir, 'data')}",
            f"--web.listen-address=127.0.0.1:{am_port}",
            "--cluster.listen-address=", "--log.level=info"])
        am_url = f"http://127.0.0.1:{am_port}"
        up = wait_until(lambda: http_get(am_url + "/-/ready")[0] == 200, 20)
        res.check("alertmanager is ready", up)
        if not up:
            h.dump_logs()
            return res.finish()

        def status():
            doc = json.loads(http_get(h.url("/api/v2/components.json"))[1])
            return {c["id"]: c["status"] for c in doc["components"]}

        def post_alert(ends):
            now = datetime.now(timezone.utc)
            body = [{"labels": {"alertname": "DbDown", "service": "db",
                                "severity": "page"},
                     "annotations": {"summary": "database down"},
                     "startsAt": iso(now - timedelta(minutes=1)),
                     "endsAt": iso(ends),
                     "generatorURL": "http://prometheus.local/graph"}]
            return http_get(am_url + "/api/v2/alerts", method="POST",
                            data=json.dumps(body).encode(),
                            headers={"Content-Type": "application/json"},
                            ok_codes=None)[0]

        code = post_alert(datetime.now(timezone.utc) + timedelta(hours=1))
        res.check("alert posted to alertmanager", code == 200, code)
        res.check("alertmanager's notification turns db major_outage",
                  wait_until(lambda: status()["db"] == "major_outage", 30),
                  status())
        res.check("api untouched", status()["api"] == "operational",
                  status())
        hist = json.loads(http_get(
            h.url("/v1/pages/itest/components/db/transitions"),
            headers={"Authorization": f"Bearer {TOKEN}"},
            ok_codes=None)[1] or b"null")
        # The intake token is not an API key: the history needs one.
        res.check("intake token does not open the management API",
                  isinstance(hist, dict) and hist.get("error"), hist)

        code = post_alert(datetime.now(timezone.utc) - timedelta(seconds=1))
        res.check("resolved alert posted (endsAt in the past)", code == 200,
                  code)
        res.check("resolved notification restores db",
                  wait_until(lambda: status()["db"] == "operational", 30),
                  status())
        metrics = http_get(h.url("/metrics"))[1].decode()
        res.check("collector counted the notifications",
                  "pharos_alerts_mapped_total 0" not in metrics
                  and "pharos_alerts_mapped_total" in metrics,
                  [l for l in metrics.splitlines() if "alert" in l])
        if res.items and not all(ok for _, ok in res.items):
            h.dump_logs()
    except Exception:
        h.dump_logs()
        raise
    finally:
        h.stop_all()
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
