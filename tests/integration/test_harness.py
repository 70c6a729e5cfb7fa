#!/usr/bin/env python3
"""Self-test of the integration harness: a test fails when a daemon it
started misbehaves, even if every check passed.

Each scenario runs this file again as a child (`--inner NAME`), with the
collector replaced by a wrapper that misbehaves on purpose, and asserts the
child's exit status and report:
- a fake AddressSanitizer / UBSan line in the collector's log fails it and
  keeps the logs (their path is printed);
- a collector exiting 3 on SIGTERM fails it;
- a declared kill -9 does not; a clean run passes and removes its temp dir;
- skip() exits 77 (1 under CI=true); a test with no check fails.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import pharos_harness  # noqa: E402
from pharos_harness import Harness, Results, http_get, skip  # noqa: E402

COMPONENTS = """
components:
  - id: web
    name: Web
    checks:
      - {id: web-http, type: http, url: "http://127.0.0.1:9/", interval: 30s}
"""

WRAPPERS = {
    # Prints what ASan prints, then runs the real collector.
    "asan": """#!/bin/sh
echo "==4242==ERROR: AddressSanitizer: heap-use-after-free (fake, harness self-test)" >&2
exec "$PH_SELFTEST_REAL" "$@"
""",
    "ubsan": """#!/bin/sh
echo "collector.c:1:2: runtime error: signed integer overflow (fake, harness self-test)" >&2
exec "$PH_SELFTEST_REAL" "$@"
""",
    # Exits 3 when asked to stop, as a daemon failing its cleanup would.
    "exit3": """#!/bin/sh
"$PH_SELFTEST_REAL" "$@" &
pid=$!
trap 'kill -TERM $pid; wait $pid; exit 3' TERM
wait $pid
""",
}


def inner(name):
    """One scenario, run as a child process; returns its exit status."""
    if name == "skip":
        skip("a peer is missing (harness self-test)")
    res = Results()
    if name == "nochecks":
        return res.finish()
    h = Harness("selftest-" + name)
    wrapper = WRAPPERS.get(name)
    if wrapper:
        real = h.bin("pharos-collector")
        path = os.path.join(h.dir, "wrapped-collector")
        with open(path, "w") as f:
            f.write(wrapper)
        os.chmod(path, 0o755)
        os.environ["PH_SELFTEST_REAL"] = real
        h.bin = lambda prog: path if prog == "pharos-collector" else real
    try:
        h.write_config(["r1"], COMPONENTS)
        h.start_collector()
        res.check("collector answers", http_get(h.url("/healthz"))[0] == 200)
        if name == "kill9":
            h.kill("collector")
    finally:
        h.stop_all()
    print(f"harness dir {h.dir}")
    return res.finish()


def run_inner(name, ci=False):
    env = dict(os.environ)
    env.pop("CI", None)
    if ci:
        env["CI"] = "true"
    env.pop("PH_KEEP_TMP", None)
    p = subprocess.run([sys.executable, os.path.abspath(__file__),
                        "--inner", name], capture_output=True, text=True,
                       timeout=120, env=env)
    m = re.search(r"^harness dir (\S+)$", p.stdout, re.M)
    return p.returncode, p.stdout + p.stderr, (m.group(1) if m else None)


def main():
    res = Results()

    for name, line in (("asan", "ERROR: AddressSanitizer: heap-use-after"),
                       ("ubsan", "runtime error: signed integer overflow")):
        rc, out, d = run_inner(name)
        res.check(f"{name}: a sanitizer line in the collector's log fails "
                  "the test", rc == 1 and "FAIL daemon: collector" in out
                  and line in out, f"rc={rc}\n{out}")
        res.check(f"{name}: the logs are kept and their path printed",
                  d is not None and f"logs kept in {d}" in out
                  and os.path.exists(os.path.join(d, "collector.log")), out)
        if d:
            shutil.rmtree(d, ignore_errors=True)

    rc, out, d = run_inner("exit3")
    res.check("a collector exiting 3 on SIGTERM fails the test",
              rc == 1 and "exited with status 3" in out, f"rc={rc}\n{out}")
    if d:
        shutil.rmtree(d, ignore_errors=True)

    rc, out, d = run_inner("kill9")
    res.check("a declared kill -9 is not a failure", rc == 0,
              f"rc={rc}\n{out}")
    rc, out, d = run_inner("clean")
    res.check("a clean run passes and removes its temp dir",
              rc == 0 and d is not None and not os.path.exists(d),
              f"rc={rc}\n{out}")

    rc, out, _ = run_inner("skip")
    res.check("skip() exits 77 (ctest's SKIP_RETURN_CODE)", rc == 77,
              f"rc={rc}\n{out}")
    rc, out, _ = run_inner("skip", ci=True)
    res.check("skip() fails under CI=true", rc == 1, f"rc={rc}\n{out}")
    rc, out, _ = run_inner("nochecks")
    res.check("a test that ran no check fails", rc == 1, f"rc={rc}\n{out}")
    return res.finish()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--inner":
        sys.exit(inner(sys.argv[2]))
    sys.exit(main())
