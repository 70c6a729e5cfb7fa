#!/usr/bin/env python3
"""The status page served by a live collector (with a real agent and
target), in Debian's chromium via playwright-core: tests/browser/
test_live.mjs runs every page check plus a status change made through
the management API, and checks feed text renders as text. Skips (exit 0,
'skipped') without node or chromium."""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pharos_harness import serve_target, SRC, Harness, free_port, wait_until  # noqa: E402

BROWSER_DIR = os.path.join(SRC, "tests", "browser")



def main():
    node, npm = shutil.which("node"), shutil.which("npm")
    chromium = "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None
    if not (node and npm and chromium):
        print("skipped: node, npm or chromium missing\n0 passed, 0 failed, 1 skipped")
        return 0
    if not os.path.isdir(os.path.join(BROWSER_DIR, "node_modules", "playwright-core")):
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=BROWSER_DIR,
                       env=dict(os.environ, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD="1"),
                       check=True, timeout=120)
    port = free_port()
    srv = serve_target(port)
    h = Harness("browser_live")
    key = "ph_browser_" + "b" * 30
    os.environ["PH_BROWSER_KEY"] = key
    art = os.environ.get("ARTIFACT_DIR") or tempfile.mkdtemp(prefix="pharos-shots-")
    try:
        h.write_config(["r1"], f"""
groups:
  - id: core
    name: Core
components:
  - id: api
    name: API
    checks:
      - {{id: api-http, type: http, url: "http://127.0.0.1:{port}/", interval: 1s, timeout: 500ms}}
  - id: web
    name: Website
    group: core
  - id: xss
    name: "<script>alert(1)</script><b>bold</b>"
""", extra_yaml="api_keys:\n  - {name: browser, scope: write, token_env: PH_BROWSER_KEY}\n")
        h.start_collector()
        h.start_agent("r1")
        wait_until(lambda: h.region_states("api-http") == {"r1": "up"}, 20)
        env = dict(os.environ, BASE_URL=h.url("/"), API_KEY=key, PAGE_ID="itest",
                   ARTIFACT_DIR=art, CHROMIUM=chromium)
        p = subprocess.run([node, os.path.join(BROWSER_DIR, "test_live.mjs")],
                           env=env, capture_output=True, text=True, timeout=240)
        sys.stdout.write(p.stdout)
        sys.stderr.write(p.stderr[-3000:])
        print(f"screenshots in {art}")
        return 0 if p.returncode == 0 else 1
    finally:
        srv.shutdown()
        h.stop_all()


if __name__ == "__main__":
    sys.exit(main())
