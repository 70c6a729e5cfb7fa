#!/usr/bin/env python3
"""The agent's coalescing window holds only what nothing decides on
(agent/report.c schedule_push, agent/sched.c on_run_done): one agent with
`batch_delay: 60s` (the longest allowed) probes a check every second.

- passing results of a passing check wait for the window: the target
  answers probes, yet the collector ingests none of them meanwhile;
- a failing result is sent at once: the component shows the outage long
  before the window could have ended;
- the first passing result after failures (a recovery) is sent at once
  too: the component is operational again long before the window; with
  the window applied to it (the agent before this change) the page kept
  the outage for up to batch_delay;
- once the check passes again, its passing results wait again.

"Long before" is a bound of 25 s against a 60 s window: what is checked is
that the window was not applied, not how fast the agent is."""
import json
import os
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pharos_harness import (Harness, free_port, http_get,  # noqa: E402
                            serve_target, wait_for, wait_until)
from oncetest import Results  # noqa: E402

LOCK = threading.Lock()
TARGET = {"ok": True, "hits": 0}


def respond(_h):
    with LOCK:
        TARGET["hits"] += 1
        return (200, b"ok\n") if TARGET["ok"] else (503, b"down\n")


def hits():
    with LOCK:
        return TARGET["hits"]


def set_ok(ok):
    with LOCK:
        TARGET["ok"] = ok


def main():
    res = Results()
    port = free_port()
    srv = serve_target(port, respond)
    h = Harness("agent_batching")
    try:
        h.write_config(["eu"], f"""
components:
  - id: api
    name: API
    checks:
      - {{id: api-http, type: http, url: "http://127.0.0.1:{port}/", interval: 1s, timeout: 900ms}}
""")
        h.start_collector()
        h.start_agent("eu", batch_delay="60s")

        def status():
            doc = json.loads(http_get(h.url("/api/v2/summary.json"))[1])
            return doc["components"][0]["status"]

        def ingested():
            return h.metric("pharos_results_ingested_total") or 0

        # The agent has its plan once the target sees probes.
        wait_for(lambda: hits() >= 1, 30, "the agent's first probe")
        h0, n0 = hits(), ingested()
        wait_for(lambda: hits() >= h0 + 5, 30, "five more passing probes")
        res.check("passing results wait for the window (none ingested "
                  "while the target answered probes)",
                  ingested() == n0, f"{n0} -> {ingested()} results, "
                  f"{h0} -> {hits()} probes")

        set_ok(False)
        ok = wait_until(lambda: status() == "major_outage", 25)
        res.check("a failing result is sent at once: the outage shows "
                  "within 25 s (window 60 s)", ok, status())

        set_ok(True)
        ok = wait_until(lambda: status() == "operational", 25)
        res.check("the first passing result after failures is sent at "
                  "once: operational within 25 s (window 60 s)", ok,
                  status())

        # Confirmations of the recovery may still be on their way: wait
        # until the count stands still for a few probes, then watch it.
        h1 = hits()
        wait_for(lambda: hits() >= h1 + 3, 30, "three more probes")
        h2, n2 = hits(), ingested()
        wait_for(lambda: hits() >= h2 + 5, 30, "five more passing probes")
        res.check("once the check passes again its passing results wait "
                  "again", ingested() == n2,
                  f"{n2} -> {ingested()} results, {h2} -> {hits()} probes")
        if not all(ok for _, ok in res.items):
            h.dump_logs()
    finally:
        h.stop_all()
        srv.shutdown()
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
