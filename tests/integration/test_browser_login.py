#!/usr/bin/env python3
"""The sign-in of a private page in Debian's chromium (playwright-core):
tests/browser/test_login.mjs against a live collector with access:
password. Skips (exit 77; a failure under CI=true) without node or
chromium."""
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pharos_harness import SRC, Harness, Results, skip  # noqa: E402

BROWSER_DIR = os.path.join(SRC, "tests", "browser")
PASSWORD = "browser sign-in test"


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
    h = Harness("browser_login")
    os.environ["PH_BROWSER_PW"] = PASSWORD
    try:
        h.write_config(["r1"], """
components:
  - id: api
    name: API
  - id: db
    name: Database
    internal: true
""", agents_for=[])
        with open(h.conf_path) as f:
            text = f.read()
        text = text.replace("  publish_dir: public\n", "")
        text = text.replace("  name: Integration test\n",
                            "  name: Integration test\n  access: password\n"
                            "  password_env: PH_BROWSER_PW\n")
        with open(h.conf_path, "w") as f:
            f.write(text)
        h.start_collector()
        env = dict(os.environ, BASE_URL=h.url("/"), PAGE_PASSWORD=PASSWORD,
                   CHROMIUM=chromium)
        p = subprocess.run([node, os.path.join(BROWSER_DIR, "test_login.mjs")],
                           env=env, capture_output=True, text=True, timeout=180)
        sys.stdout.write(p.stdout)
        sys.stderr.write(p.stderr[-3000:])
        res.check("test_login.mjs passed and ran checks", p.returncode == 0
                  and re.search(r"^[1-9]\d* passed, 0 failed", p.stdout, re.M),
                  p.returncode)
    finally:
        h.stop_all()
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
