#!/usr/bin/env python3
"""Multi-region fault injection with real agents: three agents probe one
target from 127.0.0.2 (eu-west), 127.0.0.3 (us-east) and 127.0.0.4
(ap-south); the target refuses given source addresses (HTTP 503). Cut
one, two, then all regions off, restore, then kill agents, and assert the
component status in summary.json and the regional view at each step."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pharos_harness import serve_target, Harness, free_port, http_get, wait_until  # noqa: E402
from oncetest import Results  # noqa: E402

BLOCKED = set()
REGIONS = {"eu-west": "127.0.0.2", "us-east": "127.0.0.3", "ap-south": "127.0.0.4"}



def respond(handler):
    if handler.client_address[0] in BLOCKED:
        return 503, b"cut off\n"
    return 200, b"ok\n"

def status(h):
    doc = json.loads(http_get(h.url("/api/v2/summary.json"))[1])
    return {c["id"]: c["status"] for c in doc["components"]}["api"]


def regions(h):
    doc = json.loads(http_get(h.url("/api/v2/regions.json"))[1])
    c = [c for c in doc["checks"] if c["id"] == "api-http"][0]
    return c["verdict"], {r["region"]: r["state"] for r in c["regions"]}


def main():
    res = Results()
    port = free_port()
    srv = serve_target(port, respond)
    h = Harness("multi_region")
    try:
        h.write_config(list(REGIONS), f"""
components:
  - id: api
    name: API
    checks:
      - {{id: api-http, type: http, url: "http://127.0.0.1:{port}/", interval: 1s, timeout: 500ms, fail_after: 2, recover_after: 2}}
""")
        h.start_collector()
        for r, src in REGIONS.items():
            h.start_agent(r, source=src)

        def expect(name, want_status, want_regions=None, want_verdict=None,
                   timeout=15):
            def ok():
                v, rs = regions(h)
                return (status(h) == want_status
                        and (want_regions is None or rs == want_regions)
                        and (want_verdict is None or v == want_verdict))
            t0 = time.time()
            good = wait_until(ok, timeout)
            res.check(name, good, (status(h), regions(h)))
            return time.time() - t0

        up = {r: "up" for r in REGIONS}
        expect("all regions up: operational", "operational", up, "up", 20)

        BLOCKED.add(REGIONS["eu-west"])
        expect("one region of three cut off: still operational, regional note",
               "operational", {**up, "eu-west": "down"}, "up")
        BLOCKED.add(REGIONS["us-east"])
        lat = expect("two of three cut off: partial_outage", "partial_outage",
                     {"eu-west": "down", "us-east": "down", "ap-south": "up"},
                     "down_partial")
        # Checks every 1 s with fail_after 2: about 2-3 s. The bound is
        # generous (loaded CI machines), yet far below a broken count.
        res.check("the second region's failure shows within 10 s",
                  lat < 10, f"{lat:.1f} s")
        BLOCKED.add(REGIONS["ap-south"])
        expect("all cut off: major_outage", "major_outage",
               {r: "down" for r in REGIONS}, "down_major")
        BLOCKED.clear()
        expect("restored: operational", "operational", up, "up")

        # A dead agent never causes an outage: its region goes stale and is
        # left out; with fewer fresh regions than the quorum, the status
        # stays what it was and the check is UNKNOWN.
        h.kill("agent-ap-south")
        expect("agent killed: its region is stale, still operational",
               "operational", {**up, "ap-south": "stale"}, "up", 20)
        BLOCKED.add(REGIONS["eu-west"])
        BLOCKED.add(REGIONS["us-east"])
        expect("both remaining regions cut off: major (all fresh regions down)",
               "major_outage",
               {"eu-west": "down", "us-east": "down", "ap-south": "stale"},
               "down_major")
        BLOCKED.clear()
        expect("restored with one region stale: operational", "operational",
               {"eu-west": "up", "us-east": "up", "ap-south": "stale"}, "up")
        h.kill("agent-us-east")
        expect("second agent killed: below quorum, UNKNOWN keeps operational",
               "operational", None, "unknown", 20)
        metrics = http_get(h.url("/metrics"))[1].decode()
        res.check("metric pharos_check_quorum_lost is 1",
                  "\npharos_check_quorum_lost 1\n" in metrics, "")
        BLOCKED.add(REGIONS["eu-west"])
        res.check("the lone region reports down",
                  wait_until(lambda: regions(h)[1].get("eu-west") == "down", 15),
                  regions(h))
        res.check("a lone region's failure is not an outage (no quorum)",
                  status(h) == "operational" and regions(h)[0] == "unknown",
                  (status(h), regions(h)))
    finally:
        srv.shutdown()
        h.stop_all()
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
