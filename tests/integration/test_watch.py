#!/usr/bin/env python3
"""The check key `watch` (issue #20): each agent holds an idle connection
to the target and probes at once when the target stops accepting
connections, and again when it accepts them back.

Three regions run a check every hour, so after its first slot no
scheduled probe can explain what happens here; every result below comes
from the watch and the confirmations and re-checks it starts:

- a target that is dead when the agents start is reported down, and its
  start brings the component to operational;
- a healthy target that closes idle connections every second costs
  reconnects only: no probe is started by them;
- a target that dies (listener closed, connections reset) is shown as a
  major outage, and operational again when it comes back;
- /metrics counts the results the watch started (kind="watch") and the
  re-checks they caused (kind="recheck"): one or two per region per
  change, at most three. The first region whose watch sees the change
  makes the collector ask the others for a re-check, which reaches them
  at once through the request each agent holds open, often before their
  own watch fires (then that region's watch event falls inside its
  confirmation and starts nothing); two when the change came while a
  run was in flight: that run may predate it, so a watch run follows."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pharos_harness import (Harness, KillableTarget, free_port,  # noqa: E402
                            http_get, wait_for, wait_until)
from oncetest import Results  # noqa: E402

REGIONS = ["eu", "us", "ap"]


def main():
    res = Results()
    port = free_port()
    tgt = KillableTarget(port, idle_timeout=1)
    tgt.stop()                      # dead when the agents start
    h = Harness("watch")
    try:
        h.write_config(REGIONS, f"""
components:
  - id: api
    name: API
    checks:
      - {{id: api-http, type: http, url: "http://127.0.0.1:{port}/", interval: 1h, timeout: 1s, watch: true}}
""")
        h.start_collector()
        for i, r in enumerate(REGIONS):
            h.start_agent(r, source=f"127.0.0.{i + 2}")

        def status():
            doc = json.loads(http_get(h.url("/api/v2/summary.json"))[1])
            return doc["components"][0]["status"]

        def watch_results():
            """Results started by the watch or by the re-checks it
            caused (None before the collector counts any)."""
            m = http_get(h.url("/metrics"))[1].decode()
            n = None
            for line in m.splitlines():
                for kind in ("watch", "recheck"):
                    if line.startswith('pharos_check_extra_results_total'
                                       '{check="api-http",'
                                       f'kind="{kind}"}}'):
                        n = (n or 0) + int(float(line.split()[-1]))
            return n

        wait_for(lambda: h.region_states("api-http") ==
                 {r: "down" for r in REGIONS}, 30,
                 "a target dead at start reported down by every region")
        n0 = watch_results()
        res.check("those results were started by the watch",
                  n0 is not None and n0 >= len(REGIONS), n0)

        tgt.start()
        ok = wait_until(lambda: status() == "operational", 30)
        res.check("the target's start brings the component to operational", ok,
                  h.region_states("api-http"))
        n1 = watch_results()
        res.check("... through a watch-started (or re-check) probe per region",
                  len(REGIONS) <= n1 - n0 <= 3 * len(REGIONS), f"{n0} -> {n1}")

        base = tgt.accepted
        ok = wait_until(lambda: tgt.accepted >= base + 3 * len(REGIONS), 30)
        res.check("idle connections closed by the target are made again", ok,
                  tgt.accepted - base)
        res.check("... without starting a probe", watch_results() == n1,
                  f"{n1} -> {watch_results()}")

        tgt.stop()
        ok = wait_until(lambda: status() == "major_outage", 30)
        res.check("a target that dies is shown as a major outage", ok,
                  h.region_states("api-http"))
        n2 = watch_results()
        res.check("... through a watch-started (or re-check) probe per region",
                  len(REGIONS) <= n2 - n1 <= 3 * len(REGIONS), f"{n1} -> {n2}")

        tgt.start()
        ok = wait_until(lambda: status() == "operational", 30)
        res.check("and operational again when it comes back", ok,
                  h.region_states("api-http"))
        n3 = watch_results()
        res.check("... through a watch-started (or re-check) probe per region",
                  len(REGIONS) <= n3 - n2 <= 3 * len(REGIONS), f"{n2} -> {n3}")
        if not all(ok for _, ok in res.items):
            h.dump_logs()
    finally:
        h.stop_all()
        tgt.stop()
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
