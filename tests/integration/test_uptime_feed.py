#!/usr/bin/env python3
"""Uptime: /api/v2/uptime.json has 90 local days per component; days
before the collector knew anything are grey 'no data' (never 100 %
up); an outage shows as major seconds on today's bar; a restart of the
collector keeps today's figures (no day lost, nothing counted twice)."""
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pharos_harness import serve_target, Harness, free_port, http_get, wait_for, wait_until  # noqa: E402
from oncetest import Results  # noqa: E402

DOWN = threading.Event()



def respond(_handler):
    return (503 if DOWN.is_set() else 200), b""

def uptime(h, cid="api"):
    doc = json.loads(http_get(h.url("/api/v2/uptime.json"))[1])
    return [c for c in doc["components"] if c["id"] == cid][0]


def main():
    res = Results()
    port = free_port()
    srv = serve_target(port, respond)
    h = Harness("uptime")
    try:
        h.write_config(["r1"], f"""
components:
  - id: api
    name: API
    checks:
      - {{id: api-http, type: http, url: "http://127.0.0.1:{port}/", interval: 1s, timeout: 500ms}}
  - id: legacy
    name: Legacy
    start_date: "2999-01-01"
""")
        h.start_collector()
        u = uptime(h)
        res.check("90 days per component", len(u["days"]) == 90, len(u["days"]))
        res.check("days before any data are grey with null uptime",
                  all(d["color"] == "grey" and d["uptime"] is None
                      for d in u["days"][:-1]), u["days"][0])
        res.check("no false 100% while blind: 90-day figure is null",
                  u["uptime_90d"] is None, u["uptime_90d"])
        leg = uptime(h, "legacy")
        res.check("days before start_date are grey",
                  all(d["color"] == "grey" for d in leg["days"]), leg["days"][-1])
        h.start_agent("r1")
        wait_for(lambda: h.region_states("api-http") == {"r1": "up"}, 20,
                 "api-http up in r1")
        DOWN.set()
        ok = wait_until(lambda: json.loads(http_get(h.url("/api/v2/summary.json"))[1])
                        ["components"][0]["status"] == "major_outage", 20)
        res.check("outage detected", ok, "")
        # Let the outage last until today's figure holds 2 s of it.
        res.check("today's major-outage seconds grow during the outage",
                  wait_until(lambda: uptime(h)["days"][-1]["major_s"] >= 2, 15),
                  uptime(h)["days"][-1])
        DOWN.clear()
        wait_for(lambda: json.loads(http_get(h.url("/api/v2/summary.json"))[1])
                 ["components"][0]["status"] == "operational", 20,
                 "the component operational again")
        res.check("today's bar turns from green",
                  wait_until(lambda: uptime(h)["days"][-1]["color"] != "green", 10),
                  uptime(h)["days"][-1])
        today = uptime(h)["days"][-1]
        res.check("today has data and major-outage seconds",
                  today["uptime"] is not None and today["major_s"] >= 2
                  and today["uptime"] < 100, today)
        res.check("today's bar is not green after an outage",
                  today["color"] in ("yellow", "orange", "red"), today)
        # From one response: the numbers move with every render.
        now = uptime(h)
        res.check("90-day figure counts only known time",
                  now["uptime_90d"] == now["days"][-1]["uptime"],
                  (now["uptime_90d"], now["days"][-1]["uptime"]))
        before = today
        h.stop("collector")
        # The collector's own outage, which is what is measured here: it
        # must last over a second to count as no data.
        time.sleep(2)
        h.start_collector()
        after = uptime(h)["days"][-1]
        res.check("restart keeps today's outage seconds (none lost)",
                  after["major_s"] == before["major_s"], (before, after))
        res.check("collector downtime counts as no data, not up",
                  after["nodata_s"] >= before["nodata_s"] + 1, (before, after))
        res.check("nothing counted twice",
                  after["day_s"] <= before["day_s"] + 10 and
                  after["major_s"] + after["partial_s"] + after["degraded_s"]
                  + after["maintenance_s"] + after["nodata_s"]
                  <= after["day_s"], (before, after))
    finally:
        srv.shutdown()
        h.stop_all()
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
