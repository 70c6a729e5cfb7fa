#!/usr/bin/env python3
"""What a management API write costs the loop thread (the one that serves
the page and the feed) as the page grows: components made through the v1
API one after another, then, at each size, --writes more creates and
--writes status PATCHes of one component, each timed (wall, as the
client sees it) and charged the loop thread's CPU time (from
/proc/<pid>/task/<pid>/stat). The reference is the same writes at the
first size, in the same run: the ratio says how the cost grows with the
page. A status PATCH renders the documents about now on the loop
(read-your-writes); uptime.json, 90 days of every component, follows on
the render worker; a create also rebuilds the configuration.
Measures; asserts nothing.
Usage: bench/api_write_bench.py [--sizes 1,100,250,500] [--writes 20]"""
import argparse
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "lib"))
from pharos_harness import Harness, http_call  # noqa: E402

KEY = "ph_bench_admin_" + "b" * 30
P = "/v1/pages/itest"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1,100,250,500",
                    help="page sizes (components) to measure at")
    ap.add_argument("--writes", type=int, default=20,
                    help="writes of each kind at each size")
    a = ap.parse_args()
    sizes = sorted(int(x) for x in a.sizes.split(","))
    h = Harness("api-write-bench")
    os.environ["PH_BENCH_ADMIN"] = KEY
    auth = {"Authorization": "OAuth " + KEY}
    tick = os.sysconf("SC_CLK_TCK")
    rows = []
    try:
        h.write_config(["r1"], "components:\n  - id: api\n    name: API\n",
                       extra_yaml="api_keys:\n  - {name: bench, scope: admin, "
                                  "token_env: PH_BENCH_ADMIN}\n",
                       agents_for=[], server_yaml="  api_rate_limit: 0")
        h.start_collector()
        pid = h.procs["collector"].pid

        def loop_cpu():
            with open(f"/proc/{pid}/task/{pid}/stat") as f:
                x = f.read().rsplit(")", 1)[1].split()
            return (int(x[11]) + int(x[12])) / tick

        def write(method, path, body):
            code, _, raw = http_call(method, h.url(path), headers=auth,
                                     body=body)
            if code not in (200, 201):
                raise SystemExit(f"{method} {path}: {code} {raw[:200]}")

        def measure(what, fn):
            c0, t0 = loop_cpu(), time.monotonic()
            for i in range(a.writes):
                fn(i)
            return ((time.monotonic() - t0) / a.writes * 1000,
                    (loop_cpu() - c0) / a.writes * 1000)

        made = 1  # the file's component
        for n in sizes:
            while made < n:
                write("POST", P + "/components",
                      {"component": {"name": f"C{made}"}})
                made += 1
            cw, cl = measure("create", lambda i: write(
                "POST", P + "/components", {"component": {"name": f"X{n}-{i}"}}))
            made += a.writes
            pw, pl = measure("patch", lambda i: write(
                "PATCH", P + "/components/api",
                {"component": {"status": ("major_outage",
                                          "operational")[i % 2]}}))
            rows.append((n, cw, cl, pw, pl))
            print(f"{n:5d} components: create {cw:7.1f} ms wall, loop "
                  f"{cl:6.1f} ms CPU; status PATCH {pw:6.1f} ms wall, loop "
                  f"{pl:6.1f} ms CPU", flush=True)
    finally:
        h.stop_all()
    ref = rows[0]
    print(f"\nratios to {ref[0]} component(s), same run (loop CPU per write):")
    for n, cw, cl, pw, pl in rows[1:]:
        print(f"{n:5d} components: create x{cl / max(ref[2], 0.01):.1f}, "
              f"status PATCH x{pl / max(ref[4], 0.01):.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
