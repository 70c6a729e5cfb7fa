#!/usr/bin/env python3
"""Caps against a careless or hostile key holder (issue: hardening #6).

- Alert tokens share the API's per-key budget (server.api_rate_limit):
  a flood gets 429 with Retry-After instead of the loop's time, and their
  writes are in the audit log under the token's name.
- An incident's update text is capped in total (64 KiB), not only per
  update: the update that would cross it gets 422, and so does an edit
  that would grow an old update past it.
- /metrics answers this host's scraper (loopback, not proxied) and key
  holders; a request forwarded by a proxy without a key gets 401.
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pharos_harness import Harness, http_call as call  # noqa: E402
from oncetest import Results  # noqa: E402

TOKEN = "ph_alert_" + "t" * 30
WRITE = "ph_write_" + "w" * 30
ADMIN = "ph_admin_" + "a" * 30
LIMIT = 8


def main():
    res = Results()
    h = Harness("abuse_caps")
    os.environ["PH_CAPS_ALERT"] = TOKEN
    os.environ["PH_CAPS_WRITE"] = WRITE
    os.environ["PH_CAPS_ADMIN"] = ADMIN
    try:
        h.write_config(["r1"], """
components:
  - id: api
    name: API
""", extra_yaml=f"""api_keys:
  - {{name: ci, scope: write, token_env: PH_CAPS_WRITE}}
  - {{name: boss, scope: admin, token_env: PH_CAPS_ADMIN}}
alerts:
  tokens:
    - {{name: am-prod, token_env: PH_CAPS_ALERT}}
  rules:
    - match: {{service: api}}
      component: api
      status: degraded_performance
""", server_yaml=f"  api_rate_limit: {LIMIT}")
        h.start_collector()

        # Alert tokens: LIMIT requests, then 429 with Retry-After.
        am = h.url("/v1/integrations/alertmanager")
        payload = {"version": "4", "groupKey": "g1", "status": "firing",
                   "receiver": "pharos", "alerts": [
                       {"status": "firing", "labels": {"service": "api"},
                        "annotations": {}, "startsAt": "2026-01-01T00:00:00Z"}]}
        codes = []
        retry_after = None
        for _ in range(LIMIT + 3):
            code, hd, _ = call("POST", am, {"Authorization": "Bearer " + TOKEN,
                                            "Content-Type": "application/json"},
                               payload)
            codes.append(code)
            if code == 429:
                retry_after = hd.get("Retry-After")
        res.check(f"alert token: the first {LIMIT} accepted",
                  codes[:LIMIT] == [200] * LIMIT, codes)
        res.check("alert token: then 429 with Retry-After",
                  429 in codes[LIMIT:] and retry_after is not None and
                  int(retry_after) >= 1, (codes, retry_after))
        code, _, out = call("GET", h.url("/v1/pages/itest/audit-log"),
                            {"Authorization": "OAuth " + ADMIN})
        rows = json.loads(out) if code == 200 else []
        res.check("alert-token writes are in the audit log by name",
                  any(r.get("actor") == "am-prod" and
                      "alertmanager" in r.get("action", "") for r in rows),
                  (code, rows[:2]))

        # The incident text cap: 25,000-byte updates, the third crosses it.
        base = h.url("/v1/pages/itest")
        w = {"Authorization": "OAuth " + WRITE,
             "Content-Type": "application/json"}
        big = "x" * 25000
        code, _, out = call("POST", base + "/incidents.json", w, {"incident": {
            "name": "Verbose", "status": "investigating", "body": big}})
        res.check("incident with a 25,000-byte update: 201", code == 201, code)
        inc = json.loads(out)
        code, _, _ = call("PATCH", base + f"/incidents/{inc['id']}.json", w,
                          {"incident": {"body": big}})
        res.check("second 25,000-byte update: 200", code == 200, code)
        code, _, out = call("PATCH", base + f"/incidents/{inc['id']}.json", w,
                            {"incident": {"body": big}})
        res.check("third update crossing 64 KiB: 422 naming the cap",
                  code == 422 and b"bytes of update text" in out, (code, out[:120]))
        code, _, out = call("GET", base + f"/incidents/{inc['id']}.json", w)
        res.check("the refused update changed nothing",
                  code == 200 and len(json.loads(out)["incident_updates"]) == 2,
                  code)
        first = json.loads(out)["incident_updates"][-1]["id"]
        code, _, out = call("PATCH", base + f"/incidents/{inc['id']}"
                            f"/incident_updates/{first}.json", w,
                            {"incident_update": {"body": big + "y" * 20000}})
        res.check("an edit growing an update past the cap: 422",
                  code == 422, (code, out[:120]))

        # /metrics: direct loopback yes; forwarded without a key no.
        code, _, _ = call("GET", h.url("/metrics"))
        res.check("/metrics from this host: 200", code == 200, code)
        code, _, _ = call("GET", h.url("/metrics"),
                          {"X-Forwarded-For": "203.0.113.9"})
        res.check("/metrics forwarded by a proxy, no key: 401", code == 401,
                  code)
        code, _, _ = call("GET", h.url("/metrics"),
                          {"X-Forwarded-For": "203.0.113.9",
                           "Authorization": "OAuth " + ADMIN})
        res.check("/metrics forwarded, with a key: 200", code == 200, code)
    except Exception:
        h.dump_logs()
        raise
    finally:
        h.stop_all()
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
