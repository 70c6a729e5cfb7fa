#!/usr/bin/env python3
"""Walking path, end to end with real processes on loopback:

a real target HTTP server, a collector, two agents in two regions. The
target goes down: summary.json must leave `operational`; it comes back:
`operational` again. Also: wrong token -> 401, malformed protobuf -> 400,
the page is served at /, and a bad config is reported as file:line:col.
"""
import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pharos_harness import Harness, Results, free_port, http_get, wait_until  # noqa: E402


class Target(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_GET(self):
        body = b"hello from target\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def start_target(port):
    srv = ThreadingHTTPServer(("127.0.0.1", port), Target)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def component_status(h, cid):
    doc = json.loads(http_get(h.url("/api/v2/summary.json"))[1])
    for c in doc["components"]:
        if c["id"] == cid:
            return c["status"], doc
    raise AssertionError(f"component {cid} not in summary.json")


def main():
    h = Harness("walking_path")
    res = Results()
    check = res.check

    tport = free_port()
    target = start_target(tport)
    try:
        h.write_config(regions=["r1", "r2"], components_yaml=f"""
components:
  - id: web
    name: Web site
    checks:
      - id: web-http
        type: http
        url: "http://127.0.0.1:{tport}/"
        interval: 1s
        timeout: 500ms
        fail_after: 2
        recover_after: 2
        body_contains: hello
""")
        h.start_collector()
        h.start_agent("r1")
        h.start_agent("r2")

        ok = wait_until(lambda: component_status(h, "web")[0] == "operational"
                        and h.region_states("web-http") == {"r1": "up", "r2": "up"}, 20)
        check("both regions report up and component is operational", ok,
              str(h.region_states("web-http")))

        st, doc = component_status(h, "web")
        check("summary.json has the Statuspage shape",
              list(doc.keys()) == ["page", "components", "incidents",
                                   "scheduled_maintenances", "status"]
              and doc["status"]["indicator"] == "none"
              and doc["page"]["id"] == "itest", list(doc.keys()))

        target.shutdown()
        target.server_close()
        t0 = time.time()
        ok = wait_until(lambda: component_status(h, "web")[0] != "operational", 20)
        st = component_status(h, "web")[0]
        check("target down: component leaves operational", ok, st)
        check("both regions down -> major_outage", st == "major_outage", st)
        # Checks every 1 s, fail_after 2: about 2-3 s; the bound is generous.
        lat = time.time() - t0
        check("the outage shows within 10 s", ok and lat < 10, f"{lat:.1f} s")
        st_doc = json.loads(http_get(h.url("/api/v2/status.json"))[1])
        check("status.json indicator is critical",
              st_doc["status"]["indicator"] == "critical", st_doc)

        # A restart during the outage shows the outage at once (no false
        # recovery while regions report again).
        h.stop("collector")
        h.start_collector()
        check("restart during an outage keeps major_outage",
              component_status(h, "web")[0] == "major_outage",
              component_status(h, "web")[0])

        target = start_target(tport)
        ok = wait_until(lambda: component_status(h, "web")[0] == "operational"
                        and h.region_states("web-http") == {"r1": "up", "r2": "up"}, 20)
        check("target back: both regions up, component operational again", ok,
              (component_status(h, "web")[0], h.region_states("web-http")))
        for key in ("agent-r1", "agent-r2", "collector"):
            p = h.procs.get(key)
            check(f"{key} still running", p is not None and p.poll() is None,
                  p.returncode if p else "missing")

        # Authentication and bad input.
        code, _ = http_get(h.url("/v1/agent/plan"),
                           headers={"Authorization": "Bearer ph_wrong"}, ok_codes=None)
        check("wrong token gets 401", code == 401, code)
        code, _ = http_get(h.url("/v1/agent/plan"), ok_codes=None)
        check("missing token gets 401", code == 401, code)
        code, body = http_get(h.url("/v1/agent/results"), method="POST",
                              data=b"\xff\xff\xff\xff garbage",
                              headers={"Authorization": "Bearer " + h.tokens["r1"],
                                       "Content-Type": "application/x-protobuf"},
                              ok_codes=None)
        check("malformed protobuf gets 400 with a message",
              code == 400 and b"malformed" in body, (code, body))
        code, body = http_get(h.url("/"), ok_codes=None)
        check("page served at /", code == 200 and b"<html" in body.lower(), code)
        code, _ = http_get(h.url("/healthz"), ok_codes=None)
        check("healthz", code == 200, code)
        code, svg = http_get(h.url("/badge/web.svg"), ok_codes=None)
        check("status badge per component (escaped SVG)",
              code == 200 and svg.startswith(b"<svg") and b"Web site" in svg
              and b"operational" in svg, (code, svg[:80]))
        code, svg = http_get(h.url("/badge/status.svg"), ok_codes=None)
        check("page badge", code == 200 and b"All Systems Operational" in svg,
              (code, svg[:80]))

        # A bad config is reported as file:line:col and --check fails.
        bad = os.path.join(h.dir, "bad.yml")
        with open(bad, "w") as f:
            f.write("page:\n  id: x\n  name: X\n  colour: red\nregions: [{id: r1}]\n"
                    "components: []\n")
        p = subprocess.run([h.bin("pharos-collector"), "--check", "-c", bad],
                           capture_output=True, text=True, timeout=30)
        check("--check rejects an unknown key with file:line:col",
              p.returncode != 0 and f"{bad}:4:" in p.stderr, p.stderr)
        p = subprocess.run([h.bin("pharos-collector"), "--check", "-c", h.conf_path],
                           capture_output=True, text=True, timeout=30)
        check("--check accepts the test config", p.returncode == 0, p.stderr)

        # Online backup while the collector runs.
        dest = os.path.join(h.dir, "backup.db")
        p = subprocess.run([h.bin("pharos-collector"), "backup", dest, "-c",
                            h.conf_path], capture_output=True, text=True, timeout=60)
        ok = p.returncode == 0 and os.path.exists(dest)
        if ok:
            import sqlite3
            b = sqlite3.connect(dest)
            ok = (b.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
                  and b.execute("SELECT count(*) FROM results").fetchone()[0] > 0)
            b.close()
        check("pharos-collector backup writes a consistent copy while running", ok,
              p.stderr)

        # SIGTERM: every process shuts down cleanly (under ASan, a leak or
        # a live handle at exit would make this non-zero).
        for key in ("agent-r1", "agent-r2", "collector"):
            rc = h.stop(key)
            check(f"{key} exits 0 on SIGTERM", rc == 0, rc)
    finally:
        try:
            target.shutdown()
        except Exception:
            pass
        h.stop_all()
    rc = res.finish()
    if rc:
        h.dump_logs()
    return rc


if __name__ == "__main__":
    sys.exit(main())
