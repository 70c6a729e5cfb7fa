#!/usr/bin/env python3
"""The agent follows plan changes without restarting: the collector is
restarted with one check changed and one added; the running agent fetches
the new plan (its ETag changed) and runs the new check, while results of
the whole run land in sqlite exactly once per (agent, seq)."""
import json
import os
import sqlite3
import sys
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pharos_harness import serve_target, Harness, free_port, http_get, wait_until  # noqa: E402
from oncetest import Results  # noqa: E402



def comps(port, extra=""):
    return f"""
components:
  - id: web
    name: Web
    checks:
      - {{id: web-http, type: http, url: "http://127.0.0.1:{port}/", interval: 1s, timeout: 500ms}}
{extra}"""


def regions_checks(h):
    doc = json.loads(http_get(h.url("/api/v2/regions.json"))[1])
    return {c["id"]: {r["region"]: r["state"] for r in c["regions"]}
            for c in doc["checks"]}


def main():
    res = Results()
    tport = free_port()
    srv = serve_target(tport)
    h = Harness("plan_update")
    try:
        h.write_config(["r1"], comps(tport))
        h.start_collector()
        agent = h.start_agent("r1")
        res.check("first plan: web-http up",
                  wait_until(lambda: regions_checks(h).get("web-http") == {"r1": "up"}, 20),
                  regions_checks(h))
        h.stop("collector")
        h.write_config(["r1"], comps(tport, f"""
  - id: api
    name: API
    checks:
      - {{id: api-tcp, type: tcp, host: 127.0.0.1, port: {tport}, interval: 1s, timeout: 500ms}}
"""))
        token = h.tokens["r1"]
        h.start_collector()
        res.check("new plan: api-tcp runs without restarting the agent",
                  wait_until(lambda: regions_checks(h).get("api-tcp") == {"r1": "up"}, 25),
                  regions_checks(h))
        res.check("agent kept running (same process)", agent.poll() is None,
                  agent.returncode)
        req = urllib.request.Request(h.url("/v1/agent/plan"),
                                     headers={"Authorization": "Bearer " + token})
        with urllib.request.urlopen(req, timeout=5) as r:
            etag = r.headers.get("ETag")
            res.check("plan is protobuf",
                      r.headers.get("Content-Type") == "application/x-protobuf",
                      r.headers.get("Content-Type"))
        code304, _ = http_get(h.url("/v1/agent/plan"), ok_codes=None,
                              headers={"Authorization": "Bearer " + token,
                                       "If-None-Match": etag})
        res.check("plan fetch with the current ETag gets 304",
                  etag is not None and code304 == 304, (etag, code304))
        h.stop("agent-r1")
        h.stop("collector")
        db = sqlite3.connect(os.path.join(h.dir, "state", "pharos.db"))
        dup = db.execute("SELECT count(*) FROM (SELECT agent_id, seq, idx, "
                         "count(*) c FROM results GROUP BY 1,2,3 HAVING c > 1)"
                         ).fetchone()[0]
        total = db.execute("SELECT count(*) FROM results").fetchone()[0]
        res.check("results stored, none twice", total > 0 and dup == 0,
                  (total, dup))
        db.close()
    finally:
        srv.shutdown()
        h.stop_all()
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
