#!/usr/bin/env python3
"""Detection latency: from the moment a target starts failing to the
moment /api/v2/summary.json shows the outage, with three real agents on
loopback (sources 127.0.0.2-4). Prints each run and the bound
interval x fail_after + 2 s from ARCHITECTURE.md. Measures; asserts
nothing.  Usage: bench/detection_latency.py [--runs N] [--interval S]"""
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


class Target(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_GET(self):
        code = 503 if DOWN.is_set() else 200
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
        wait_until(lambda: status(h) == "operational", 30)
        lat = []
        for _ in range(args.runs):
            wait_until(lambda: status(h) == "operational", 60, 0.05)
            time.sleep(args.interval * 1.3)  # start at a random phase
            DOWN.set()
            t0 = time.time()
            wait_until(lambda: status(h) == "major_outage", 60, 0.05)
            lat.append(time.time() - t0)
            DOWN.clear()
        bound = args.interval * fail_after + 2
        print(f"detection latency over {args.runs} runs (interval "
              f"{args.interval} s, fail_after {fail_after}, 3 regions):")
        print("  runs: " + ", ".join(f"{x:.2f}" for x in lat) + " s")
        print(f"  median {statistics.median(lat):.2f} s, max {max(lat):.2f} s; "
              f"bound {bound} s; max/bound = {max(lat) / bound:.2f}")
    finally:
        srv.shutdown()
        h.stop_all()


if __name__ == "__main__":
    main()
