#!/usr/bin/env python3
"""The collector's core: one evaluation driver, listeners, incidents named
by id, and the route table.

- A person opens an incident that overrides `api` (degraded), probes then
  see `api` down, and the person resolves the incident. Resolving clears
  the override, the evaluation that follows lets probe automation open a
  new incident; the reply to the PATCH must still be the incident that was
  patched (it used to be the automation's, through a stale pointer).
- Read-your-writes: when a v1 write answers 2xx, this collector's public
  documents already show it (no wait, no retry).
- The route table: 405 carries an Allow header listing the methods of the
  resource; unknown paths are 404.
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pharos_harness import serve_switchable, Harness, free_port, http_call, http_get, wait_until  # noqa: E402

raw = http_call
from oncetest import Results  # noqa: E402


def main():
    res = Results()
    port = free_port()
    srv, healthy = serve_switchable(port)
    h = Harness("core_driver")
    key = "ph_write_" + "c" * 30
    os.environ["PH_CORE_WRITE"] = key
    try:
        h.write_config(["r1"], f"""
components:
  - id: api
    name: API
    checks:
      - {{id: api-http, type: http, url: "http://127.0.0.1:{port}/", interval: 1s, timeout: 500ms,
          fail_after: 1, recover_after: 1}}
  - id: web
    name: Web
""", extra_yaml="api_keys:\n  - {name: ci, scope: write, token_env: PH_CORE_WRITE}\n"
                 "incidents:\n  auto: publish\n  resolve_after: 3s\n")
        h.start_collector()
        h.start_agent("r1")
        ok = wait_until(lambda: h.region_states("api-http") == {"r1": "up"}, 20)
        res.check("probe reports api up", ok)
        base = h.url("/v1/pages/itest")
        auth = {"Authorization": "OAuth " + key,
                "Content-Type": "application/json"}

        def call(method, path, body=None):
            data = json.dumps(body).encode() if body is not None else None
            code, out = http_get(base + path, method=method, data=data,
                                 headers=auth, ok_codes=None)
            return code, json.loads(out) if out else None

        def doc(path):
            return json.loads(http_get(h.url(path))[1])

        def statuses():
            return {c["id"]: c["status"]
                    for c in doc("/api/v2/summary.json")["components"]}

        # 1. A human incident that holds api at degraded.
        code, inc = call("POST", "/incidents.json", {"incident": {
            "name": "Slow API", "status": "investigating",
            "body": "Looking into it",
            "components": {"api": "degraded_performance"}}})
        res.check("incident created (201)", code == 201, f"{code} {inc}")
        mine = inc["id"]
        res.check("create reply already shows the override",
                  statuses().get("api") == "degraded_performance",
                  str(statuses()))

        # 2. Probes see api down; the override still holds the status.
        healthy["ok"] = False
        ok = wait_until(lambda: h.region_states("api-http") == {"r1": "down"},
                        20)
        res.check("probe reports api down", ok)
        res.check("override holds api at degraded while it is set",
                  statuses().get("api") == "degraded_performance",
                  str(statuses()))

        # 3. Resolving clears the override; probe automation opens its own
        #    incident in the evaluation that follows. The reply must still
        #    be the incident that was patched.
        code, out = call("PATCH", f"/incidents/{mine}.json", {"incident": {
            "status": "resolved", "body": "Fixed"}})
        res.check("PATCH answers 200", code == 200, f"{code} {out}")
        res.check("PATCH reply is the patched incident",
                  out and out.get("id") == mine,
                  f"got {out and out.get('id')} want {mine}")
        res.check("PATCH reply shows it resolved",
                  out and out.get("status") == "resolved",
                  str(out and out.get("status")))
        # Read-your-writes: evaluated and published before the reply.
        st = statuses()
        res.check("feed shows api from probes right after the reply",
                  st.get("api") == "major_outage", str(st))
        incs = doc("/api/v2/incidents.json")["incidents"]
        byid = {i["id"]: i for i in incs}
        res.check("feed shows the patched incident resolved",
                  byid.get(mine, {}).get("status") == "resolved",
                  str(byid.get(mine, {}).get("status")))
        auto = [i for i in incs if i["id"] != mine
                and i["status"] == "investigating"]
        res.check("automation opened its own incident", len(auto) == 1,
                  str([(i["id"], i["status"]) for i in incs]))
        code, again = call("GET", f"/incidents/{mine}.json")
        res.check("GET by id is still the patched incident",
                  code == 200 and again["id"] == mine and
                  again["status"] == "resolved", f"{code}")

        # 4. Component override: the feed shows it as the reply arrives.
        code, out = call("PATCH", "/components/web.json",
                         {"component": {"status": "major_outage"}})
        res.check("component PATCH 200 shows the new status",
                  code == 200 and out["status"] == "major_outage",
                  f"{code} {out}")
        res.check("summary.json shows it at once",
                  statuses().get("web") == "major_outage", str(statuses()))
        code, out = call("PATCH", "/components/web.json",
                         {"component": {"status": ""}})
        res.check("clearing the override shows operational at once",
                  code == 200 and out["status"] == "operational" and
                  statuses().get("web") == "operational",
                  f"{code} {out and out.get('status')}")

        # 5. The route table: 405 with Allow, 404 for unknown resources.
        code, hd, _ = raw("PATCH", base + "/components.json", auth)
        res.check("PATCH components: 405 with Allow: GET, HEAD, POST",
                  code == 405 and hd.get("Allow") == "GET, HEAD, POST",
                  f"{code} {hd.get('Allow')}")
        code, hd, _ = raw("DELETE", h.url("/v1/agents"), auth)
        res.check("DELETE /v1/agents: 405 with Allow: GET, HEAD, POST",
                  code == 405 and hd.get("Allow") == "GET, HEAD, POST",
                  f"{code} {hd.get('Allow')}")
        code, hd, _ = raw("GET", base + "/incidents/" + mine +
                          "/incident_updates/x", auth)
        res.check("GET an update: 405 with Allow: PUT, PATCH",
                  code == 405 and hd.get("Allow") == "PUT, PATCH",
                  f"{code} {hd.get('Allow')}")
        code, _, _ = raw("GET", base + "/nothing-here", auth)
        res.check("unknown v1 resource: 404", code == 404, str(code))
        code, _, _ = raw("GET", h.url("/v1/pages/other/components"), auth)
        res.check("another page id: 404", code == 404, str(code))
        code, _, _ = raw("PATCH", base + "/components/web", {})
        res.check("write without a key: 401", code == 401, str(code))
        code, _, _ = raw("PATCH", base + "/incidents/nope.json", auth,
                         b'{"incident":{"status":"resolved"}}')
        res.check("PATCH of an unknown incident: 404", code == 404,
                  str(code))
    except Exception:
        h.dump_logs()
        raise
    finally:
        h.stop_all()
        srv.shutdown()
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
