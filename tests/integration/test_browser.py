#!/usr/bin/env python3
"""Browser test of the status page against the fixture feed.

Serves web/ plus the fixture documents (tests/fixtures/feed, regenerated
for today's date in the reader's time zone) from a temporary directory over
http.server on 127.0.0.1, then runs tests/browser/test_page.mjs with
EXPECT_FIXTURE=1 in headless Debian chromium. The subscriber sign-up is
not stood in for here: test_browser_live.py runs it (and its 429) against
a live collector.

Installs playwright-core and axe-core into tests/browser (npm ci) when
either is missing from node_modules. Skips (exit 77; a failure under
CI=true) when node or chromium is missing, and fails when the page test
ran no check.
Screenshots go to $ARTIFACT_DIR (default: a temp dir, printed).
Python standard library only.
"""

import datetime as dt
import functools
import http.server
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import zoneinfo

SRC = os.environ.get("PH_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BROWSER_DIR = os.path.join(SRC, "tests", "browser")
FIXTURES = os.path.join(SRC, "tests", "fixtures", "feed")
READER_TZ = "Asia/Kolkata"

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
from pharos_harness import skip  # noqa: E402


def find_chromium():
    for cand in (os.environ.get("CHROMIUM"), "/usr/bin/chromium",
                 shutil.which("chromium")):
        if cand and os.access(cand, os.X_OK):
            return cand
    return None


def ensure_playwright(npm):
    if all(os.path.isdir(os.path.join(BROWSER_DIR, "node_modules", m))
           for m in ("playwright-core", "axe-core")):
        return
    cmd = [npm, "ci" if os.path.exists(os.path.join(
        BROWSER_DIR, "package-lock.json")) else "install",
        "--no-audit", "--no-fund"]
    print("installing playwright-core and axe-core:", " ".join(cmd),
          flush=True)
    env = dict(os.environ, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD="1")
    subprocess.run(cmd, cwd=BROWSER_DIR, env=env, check=True, timeout=90)


class Handler(http.server.SimpleHTTPRequestHandler):
    """Static files, no caching."""

    def log_message(self, fmt, *args):
        pass

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


def build_site(root, today):
    shutil.copytree(os.path.join(SRC, "web"), root, dirs_exist_ok=True)
    spec = importlib.util.spec_from_file_location(
        "make_fixtures", os.path.join(FIXTURES, "make_fixtures.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.write(root, today)


def last_count_line(out):
    for line in reversed(out.splitlines()):
        parts = line.strip().split()
        if len(parts) == 4 and parts[1] == "passed," and parts[3] == "failed":
            return int(parts[0]), int(parts[2])
    return None


def main():
    node = shutil.which("node")
    npm = shutil.which("npm")
    chromium = find_chromium()
    if not node or not npm:
        skip("node/npm not found (apt-get install nodejs npm)")
    if not chromium:
        skip("chromium not found (apt-get install chromium)")
    ensure_playwright(npm)

    today = dt.datetime.now(zoneinfo.ZoneInfo(READER_TZ)).date()
    artifacts = os.environ.get("ARTIFACT_DIR") or tempfile.mkdtemp(
        prefix="pharos-page-")
    with tempfile.TemporaryDirectory(prefix="pharos-site-") as root:
        build_site(root, today)
        httpd = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(Handler, directory=root))
        httpd.daemon_threads = True
        t = threading.Thread(target=httpd.serve_forever, daemon=True)
        t.start()
        base = f"http://127.0.0.1:{httpd.server_address[1]}/"
        env = dict(os.environ, BASE_URL=base, EXPECT_FIXTURE="1",
                   TEST_TZ=READER_TZ, FIXTURE_TODAY=today.isoformat(),
                   ARTIFACT_DIR=artifacts, CHROMIUM=chromium)
        print(f"serving {root} at {base}; screenshots in {artifacts}",
              flush=True)
        try:
            proc = subprocess.run(
                [node, os.path.join(BROWSER_DIR, "test_page.mjs")],
                cwd=BROWSER_DIR, env=env, capture_output=True, text=True,
                timeout=200)
            out, rc = proc.stdout, proc.returncode
            sys.stdout.write(out)
            sys.stdout.write(proc.stderr)
        except subprocess.TimeoutExpired as e:
            out = (e.stdout or b"").decode() if isinstance(
                e.stdout, bytes) else (e.stdout or "")
            sys.stdout.write(out)
            print("not ok - browser test timed out after 200 s")
            rc = 1
        finally:
            httpd.shutdown()
            httpd.server_close()
    counts = last_count_line(out)
    passed, failed = counts if counts else (0, 0)
    if rc != 0 and failed == 0:
        failed = 1
    if passed + failed == 0:
        print("not ok - the page test ran no check")
        failed = 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
