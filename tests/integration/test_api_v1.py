#!/usr/bin/env python3
"""Statuspage v1 management API, components: the request forms real
clients send (JSON with and without Content-Type, Rails form bodies,
OAuth / bare / ?api_key= keys, optional .json), errors, manual overrides
with expiry and their precedence over probes, uptime in the OAS shape,
status history with source and reason, and pharosctl against it."""
import json
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pharos_harness import serve_target, Harness, free_port, http_get, wait_for, wait_until  # noqa: E402
from oncetest import Results  # noqa: E402



def main():
    res = Results()
    port = free_port()
    srv = serve_target(port)
    h = Harness("api_v1")
    key = "ph_write_" + "w" * 30
    rkey = "ph_read_" + "r" * 30
    os.environ["PH_V1_WRITE"] = key
    os.environ["PH_V1_READ"] = rkey
    try:
        h.write_config(["r1"], f"""
components:
  - id: api
    name: API
    checks:
      - {{id: api-http, type: http, url: "http://127.0.0.1:{port}/", interval: 1s, timeout: 500ms}}
  - id: web
    name: Web
""", extra_yaml="api_keys:\n  - {name: ci, scope: write, token_env: PH_V1_WRITE}\n"
                 "  - {name: viewer, scope: read, token_env: PH_V1_READ}\n")
        h.start_collector()
        h.start_agent("r1")
        wait_for(lambda: h.region_states("api-http") == {"r1": "up"}, 20,
                 "api-http up in r1")
        base = h.url("/v1/pages/itest")

        def call(method, path, body=None, headers=None, key_hdr=f"OAuth {key}"):
            hd = dict(headers or {})
            if key_hdr is not None:
                hd["Authorization"] = key_hdr
            data = body.encode() if isinstance(body, str) else body
            code, out = http_get(base + path, method=method, data=data,
                                 headers=hd, ok_codes=None)
            try:
                return code, json.loads(out) if out else None
            except ValueError:
                return code, out

        def status():
            doc = json.loads(http_get(h.url("/api/v2/summary.json"))[1])
            return {c["id"]: c["status"] for c in doc["components"]}

        def listed():
            """The list (rendered once per change, api_v1.c) right now."""
            code, lst = call("GET", "/components")
            return {c["id"]: c["status"] for c in lst} if code == 200 else code

        code, lst = call("GET", "/components")
        res.check("list is a bare array with v1 fields",
                  code == 200 and isinstance(lst, list) and len(lst) == 2
                  and "automation_email" in lst[0], (code, lst))
        code, one = call("GET", "/components/api.json")
        res.check("GET one with .json", code == 200 and one["id"] == "api", code)
        code, _ = call("GET", "/components", key_hdr=key)
        res.check("bare key accepted", code == 200, code)
        code, _ = http_get(base + f"/components?api_key={rkey}", ok_codes=None)
        res.check("?api_key= accepted", code == 200, code)
        code, err = call("GET", "/components", key_hdr="OAuth wrong")
        res.check("bad key: 401 with error body",
                  code == 401 and err.get("error") and err.get("message"), (code, err))
        code, err = call("PATCH", "/components/api", '{"component":{"status":"major_outage"}}',
                         key_hdr=f"OAuth {rkey}")
        res.check("read key cannot write (403)", code == 403, code)
        code, err = call("GET", "/components/nope")
        res.check("unknown component: 404", code == 404 and "error" in err, code)
        code, err = call("GET", "/components", key_hdr=None)
        res.check("no key: 401", code == 401, code)
        code, prof = call("GET", ".json")
        res.check("page profile", code == 200 and prof["id"] == "itest"
                  and prof["name"] == "Integration test" and prof["time_zone"] == "Etc/UTC",
                  (code, prof))
        code, groups = call("GET", "/component-groups")
        res.check("component-groups: a bare array", code == 200 and groups == [], (code, groups))
        code, _ = call("GET", "/component-groups/nope")
        res.check("unknown component group: 404", code == 404, code)
        code, err = call("POST", "/component-groups", '{"component_group":{"name":"x"}}')
        res.check("a group without components is refused (422: a group "
                  "cannot be empty; test_api_components covers the rest)",
                  code == 422 and "empty" in err["message"], (code, err))
        code, _ = http_get(h.url("/v1/pages/other/components"), ok_codes=None,
                           headers={"Authorization": f"OAuth {key}"})
        res.check("other page id: 404", code == 404, code)

        # JSON with Content-Type.
        code, c = call("PATCH", "/components/web",
                       '{"component":{"status":"degraded_performance"}}',
                       {"Content-Type": "application/json"})
        res.check("PATCH JSON: 200 with the component",
                  code == 200 and c["status"] == "degraded_performance", (code, c))
        res.check("summary.json shows it within a second",
                  wait_until(lambda: status()["web"] == "degraded_performance", 1.5),
                  status())
        # JSON without Content-Type (Terraform SDK), PUT.
        code, c = call("PUT", "/components/web.json",
                       '{"component":{"status":"partial_outage"}}')
        res.check("PUT JSON without Content-Type",
                  code == 200 and c["status"] == "partial_outage", (code, c))
        res.check("the list shows it", listed().get("web") == "partial_outage",
                  listed())
        # Rails form body (dyninc client).
        code, c = call("PATCH", "/components/web",
                       "component%5Bstatus%5D=major_outage",
                       {"Content-Type": "application/x-www-form-urlencoded"},
                       key_hdr=key)
        res.check("form body with a bare key",
                  code == 200 and c["status"] == "major_outage", (code, c))
        res.check("the list shows each change at once (no stale copy)",
                  listed().get("web") == "major_outage", listed())
        code, err = call("PATCH", "/components/web", '{"component":{"status":"broken"}}')
        res.check("bad status: 422", code == 422 and "status must be" in err["message"],
                  (code, err))
        code, err = call("PATCH", "/components/web", '{"component": {')
        res.check("malformed JSON: 400", code == 400, code)
        code, err = call("PATCH", "/components/web", '{"component":{}}')
        res.check("missing status: 422", code == 422, code)

        # Override beats probes, expires by itself.
        until = (datetime.now(timezone.utc) + timedelta(seconds=3)).strftime(
            "%Y-%m-%dT%H:%M:%SZ")
        code, c = call("PATCH", "/components/api",
                       json.dumps({"component": {"status": "under_maintenance",
                                                 "override_until": until}}))
        res.check("override on a probed component",
                  code == 200 and wait_until(
                      lambda: status()["api"] == "under_maintenance", 1.5),
                  (code, status()))
        res.check("override expires: probes take over again",
                  wait_until(lambda: status()["api"] == "operational", 10), status())
        code, c = call("PATCH", "/components/web", '{"component":{"status":null}}')
        res.check("status null clears the override",
                  code == 200 and c["status"] == "operational", (code, c))
        res.check("... and the list shows it at once",
                  listed().get("web") == "operational", listed())

        code, hist = call("GET", "/components/web/transitions")
        sources = [t["source"] for t in hist]
        res.check("transitions list source and reason",
                  code == 200 and "manual" in sources
                  and all(t["reason"] for t in hist), hist)
        last = hist[-1]["at"] if hist else ""
        code, later = call("GET", "/components/web/transitions?since=" + last)
        res.check("transitions since the last one: it alone (or none)",
                  code == 200 and len(later) <= 1 and len(later) < len(hist),
                  (code, later))
        code, up = call("GET", "/components/api/uptime")
        res.check("uptime in the OAS shape",
                  code == 200 and set(up) >= {"id", "name", "range_start", "range_end",
                                              "uptime_percentage", "major_outage",
                                              "partial_outage", "warnings",
                                              "related_events"}, up)
        code, err = call("GET", "/components/api/uptime?start=yesterday")
        res.check("uptime with a bad date: 400", code == 400, code)

        ctl = [h.bin("pharosctl"), "--url", h.url(""), "--key", key]
        p = subprocess.run(ctl + ["component", "set", "web", "major_outage"],
                           capture_output=True, text=True, timeout=30)
        res.check("pharosctl component set",
                  p.returncode == 0 and "manual override" in p.stdout
                  and wait_until(lambda: status()["web"] == "major_outage", 1.5),
                  (p.stdout, p.stderr))
        # Overrides survive a restart of the collector.
        h.stop("collector")
        h.start_collector()
        res.check("override survives a restart",
                  wait_until(lambda: status()["web"] == "major_outage", 3), status())
        p = subprocess.run(ctl + ["component", "clear", "web"],
                           capture_output=True, text=True, timeout=30)
        res.check("pharosctl component clear",
                  p.returncode == 0 and wait_until(
                      lambda: status()["web"] == "operational", 1.5), p.stderr)
        p = subprocess.run(ctl + ["component", "set", "web", "bogus"],
                           capture_output=True, text=True, timeout=30)
        res.check("pharosctl shows the API's error",
                  p.returncode == 1 and "status must be" in p.stderr, p.stderr)
    finally:
        srv.shutdown()
        h.stop_all()
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
