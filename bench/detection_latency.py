#!/usr/bin/env python3
"""Detection latency: from the moment a target starts failing to the
moment /api/v2/summary.json shows the outage (and from the moment it
works again to "operational"), with three real agents on loopback
(sources 127.0.0.2-4), fail_after 2, recover_after 2. Each run prints
  - wait: from the switch to the first probe that met it (the interval's
    phase; no confirmation can shorten it),
  - detect: from that first probe's response to the feed showing it,
    beside the issue #20 goal of 8 s (fast confirmation + re-checks),
  - total: from the switch, beside interval x fail_after + 2 s.
and the extra probes (confirmations and re-checks) from /metrics.
Measures; asserts nothing.
Usage: bench/detection_latency.py [--runs N] [--interval S]
       bench/detection_latency.py --interval 60 --runs 3"""
import argparse
import json
import os
import statistics
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "lib"))
from pharos_harness import Harness, free_port, http_get, wait_until  # noqa: E402

DOWN = threading.Event()
FIRST = {"fail": None, "ok": None}
FLOCK = threading.Lock()


class Target(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_GET(self):
        down = DOWN.is_set()
        with FLOCK:
            key = "fail" if down else "ok"
            if FIRST[key] is None:
                FIRST[key] = time.time()
        code = 503 if down else 200
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()


def status(h):
    doc = json.loads(http_get(h.url("/api/v2/summary.json"))[1])
    return doc["components"][0]["status"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--interval", type=int, default=2)
    args = ap.parse_args()
    port = free_port()
    srv = ThreadingHTTPServer(("127.0.0.1", port), Target)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    h = Harness("latency")
    fail_after = 2
    try:
        h.write_config(["eu", "us", "ap"], f"""
components:
  - id: api
    name: API
    checks:
      - {{id: api-http, type: http, url: "http://127.0.0.1:{port}/", interval: {args.interval}s, timeout: 1s, fail_after: {fail_after}}}
""")
        h.start_collector()
        for i, r in enumerate(["eu", "us", "ap"]):
            h.start_agent(r, source=f"127.0.0.{i + 2}")
        wait_until(lambda: status(h) == "operational", args.interval * 2 + 30)
        goal = 8.0
        old_bound = args.interval * fail_after + 2
        rows = {"down": [], "up": []}

        def extra():
            m = http_get(h.url("/metrics"))[1].decode()
            tot = {"confirm": 0, "recheck": 0, "sent": 0}
            for line in m.splitlines():
                if line.startswith("pharos_check_extra_results_total{"):
                    k = "confirm" if 'kind="confirm"' in line else "recheck"
                    tot[k] += int(float(line.split()[-1]))
                elif line.startswith("pharos_recheck_sent_total "):
                    tot["sent"] = int(float(line.split()[-1]))
            return tot

        def measure(kind, want):
            with FLOCK:
                FIRST["fail" if kind == "down" else "ok"] = None
            if kind == "down":
                DOWN.set()
            else:
                DOWN.clear()
            t0 = time.time()
            wait_until(lambda: status(h) == want, args.interval * 3 + 60, 0.05)
            t1 = time.time()
            first = FIRST["fail" if kind == "down" else "ok"] or t0
            row = (first - t0, t1 - first, t1 - t0)
            rows[kind].append(row)
            print(f"  {kind:4s} run {len(rows[kind])}: wait {row[0]:6.2f} s, "
                  f"detect {row[1]:5.2f} s (goal <= {goal:.0f} s), total "
                  f"{row[2]:6.2f} s (bound {old_bound} s)", flush=True)

        print(f"interval {args.interval} s, fail_after {fail_after}, "
              f"recover_after 2, 3 regions, confirm_after 2 s (default)",
              flush=True)
        before = extra()
        for _ in range(args.runs):
            wait_until(lambda: status(h) == "operational", args.interval * 3 + 60, 0.05)
            time.sleep(min(args.interval * 1.3, 7))  # a random phase
            measure("down", "major_outage")
            measure("up", "operational")
        after = extra()
        for kind, label in (("down", "outage shown"), ("up", "operational again")):
            d = [r[1] for r in rows[kind]]
            t = [r[2] for r in rows[kind]]
            print(f"{label}: detect median {statistics.median(d):.2f} s, max "
                  f"{max(d):.2f} s (goal <= {goal:.0f} s); from the switch "
                  f"median {statistics.median(t):.2f} s, max {max(t):.2f} s "
                  f"(bound {old_bound} s)")
        print(f"extra probes over {args.runs} runs (3 regions): "
              f"{after['confirm'] - before['confirm']} confirmations, "
              f"{after['recheck'] - before['recheck']} re-check results, "
              f"{after['sent'] - before['sent']} re-check requests sent")
    finally:
        srv.shutdown()
        h.stop_all()


if __name__ == "__main__":
    main()
