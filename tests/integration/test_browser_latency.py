#!/usr/bin/env python3
"""The response-time chart in Debian's chromium (playwright-core):
tests/browser/test_latency.mjs against a live collector whose agents in
two regions posted results with known latencies. Skips (exit 77; a
failure under CI=true) without node or chromium."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pharos_harness import (SRC, Harness, Results, http_call, http_get,  # noqa: E402
                            skip, wait_for)
from pbwire import batch, result  # noqa: E402

BROWSER_DIR = os.path.join(SRC, "tests", "browser")


def main():
    node, npm = shutil.which("node"), shutil.which("npm")
    chromium = "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None
    if not (node and npm and chromium):
        skip("node, npm or chromium missing (scripts/install-deps.sh --test)")
    if not all(os.path.isdir(os.path.join(BROWSER_DIR, "node_modules", m))
               for m in ("playwright-core", "axe-core")):
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=BROWSER_DIR,
                       env=dict(os.environ, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD="1"),
                       check=True, timeout=120)
    res = Results()
    h = Harness("browser_latency")
    art = os.environ.get("ARTIFACT_DIR") or tempfile.mkdtemp(prefix="pharos-shots-")
    seqs = {"eu": 0, "us": 0}

    def post(region, results):
        seqs[region] += 1
        return http_get(h.url("/v1/agent/results"), method="POST",
                        data=batch(seqs[region], results), ok_codes=None,
                        headers={"Authorization": "Bearer " + h.tokens[region],
                                 "Content-Type": "application/x-protobuf"})[0]

    try:
        h.write_config(["eu", "us"], """
components:
  - id: web
    name: Website
    checks:
      - {id: web-http, type: http, url: "http://127.0.0.1:9/", interval: 1m}
  - id: docs
    name: Docs
""")
        h.start_collector()
        # Twelve hours of five-minute buckets, one result a minute, eu
        # around 80 ms and us around 240 ms with a slow spell.
        now = int(time.time() * 1000)
        start = now - now % 300000 - 12 * 3600000
        for region, base in (("eu", 80), ("us", 240)):
            rs = []
            for m in range(12 * 60):
                t = start + m * 60000
                lat = base + (m * 7) % 40 + (400 if region == "us" and 300 < m < 330 else 0)
                rs.append(result("web-http", t, latency_ms=lat))
            res.check(f"{region} results acked", post(region, rs) == 200)

        def ready():
            post("eu", [])
            code, _, body = http_call("GET", h.url("/api/v2/latency.json?component=web"))
            d = json.loads(body)
            regs = d["components"][0]["checks"][0]["regions"]
            return code == 200 and len(regs) == 2 and all(len(r["points"]) >= 100 for r in regs)
        wait_for(ready, 60, "latency.json with both regions")
        env = dict(os.environ, BASE_URL=h.url("/"), COMPONENT="web", REGIONS="eu,us",
                   ARTIFACT_DIR=art, CHROMIUM=chromium)
        p = subprocess.run([node, os.path.join(BROWSER_DIR, "test_latency.mjs")],
                           env=env, capture_output=True, text=True, timeout=180)
        sys.stdout.write(p.stdout)
        sys.stderr.write(p.stderr[-3000:])
        print(f"screenshots in {art}")
        res.check("test_latency.mjs passed and ran checks", p.returncode == 0
                  and re.search(r"^[1-9]\d* passed, 0 failed", p.stdout, re.M),
                  p.returncode)
    finally:
        h.stop_all()
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
