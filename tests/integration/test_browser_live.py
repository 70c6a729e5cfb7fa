#!/usr/bin/env python3
"""The status page served by a live collector (with a real agent and
target), in Debian's chromium via playwright-core: tests/browser/
test_live.mjs runs every page check plus a status change made through
the management API, checks feed text renders as text, and signs up from
the page until the collector's own rate limit answers 429 (each accepted
sign-up mails a real SMTP server; the refused one does not). Skips (exit 77;
a failure under CI=true) without node or chromium."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pharos_harness import (serve_target, SRC, Harness, Results,  # noqa: E402
                            free_port, skip, wait_for, wait_until)

BROWSER_DIR = os.path.join(SRC, "tests", "browser")
BURST = 2   # notify.subscribe_burst: sign-ups accepted before the 429

try:
    from aiosmtpd.controller import Controller
except ImportError:  # pragma: no cover
    sys.path.insert(0, "/usr/lib/python3/dist-packages")
    from aiosmtpd.controller import Controller


class Sink:
    """Recipients of the mail the collector sends (the page's sign-up)."""
    def __init__(self):
        self.lock = threading.Lock()
        self.rcpts = []

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.rcpts += list(envelope.rcpt_tos)
        return "250 OK"



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
    port = free_port()
    srv = serve_target(port)
    sink = Sink()
    smtp_port = free_port()
    smtp = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    res = Results()
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
""", extra_yaml="api_keys:\n  - {name: browser, scope: write, token_env: PH_BROWSER_KEY}\n"
                 f"notify:\n  subscribe_burst: {BURST}\n  subscribe_every: 1h\n"
                 "  smtp:\n"
                 f"    url: smtp://127.0.0.1:{smtp_port}\n    starttls: off\n"
                 '    from: "Status <status@example.org>"\n')
        h.start_collector()
        h.start_agent("r1")
        wait_for(lambda: h.region_states("api-http") == {"r1": "up"}, 20,
                 "api-http up in r1")
        env = dict(os.environ, BASE_URL=h.url("/"), API_KEY=key, PAGE_ID="itest",
                   SUBSCRIBE_BURST=str(BURST),
                   ARTIFACT_DIR=art, CHROMIUM=chromium)
        p = subprocess.run([node, os.path.join(BROWSER_DIR, "test_live.mjs")],
                           env=env, capture_output=True, text=True, timeout=240)
        sys.stdout.write(p.stdout)
        sys.stderr.write(p.stderr[-3000:])
        print(f"screenshots in {art}")
        res.check("test_live.mjs passed and ran checks", p.returncode == 0
                  and re.search(r"^[1-9]\d* passed, 0 failed", p.stdout, re.M),
                  p.returncode)
        # The page's sign-ups reached a real SMTP server as confirmations,
        # all but the one the collector refused (429).
        want = {"reader@example.org"} | {f"reader{i}@example.org"
                                         for i in range(1, BURST)}
        res.check("the page's sign-ups sent one confirmation email each",
                  wait_until(lambda: want <= set(sink.rcpts), 15), sink.rcpts)
        res.check("the refused sign-up sent none",
                  "one-too-many@example.org" not in sink.rcpts
                  and len(sink.rcpts) == BURST, sink.rcpts)
        res.check("the collector counted the refusal",
                  h.metric("pharos_subscribe_rate_limited_total") == 1,
                  h.metric("pharos_subscribe_rate_limited_total"))
    finally:
        smtp.stop()
        srv.shutdown()
        h.stop_all()
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
