#!/usr/bin/env python3
"""What an idle collector costs as the page grows: components in
pharos.yml (no checks, no agents), then for --seconds the collector's CPU
(all threads, from /proc/<pid>/stat) and the latency of GET
/api/v2/status.json sent every 20 ms on one keep-alive connection (what
a reader waits while the loop thread does the page's periodic work:
evaluations, the uptime rollup, the renders' snapshots). Also the time
from start to /healthz and the size of uptime.json. The reference is the
smallest size, in the same run. Measures; asserts nothing.
Usage: bench/page_size_bench.py [--sizes 50,500,2000] [--seconds 70]
(70 s covers the once-a-minute full render and uptime checkpoint)."""
import argparse
import http.client
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "lib"))
from pharos_harness import Harness, http_call  # noqa: E402


def one(n, seconds):
    h = Harness(f"page-size-bench-{n}")
    tick = os.sysconf("SC_CLK_TCK")
    try:
        h.write_config(["r1"], "components:\n" + "".join(
            f"  - id: c{i}\n    name: Component {i}\n" for i in range(n)),
            agents_for=[])
        t0 = time.monotonic()
        h.start_collector()
        start_s = time.monotonic() - t0
        pid = h.procs["collector"].pid

        def cpu():
            with open(f"/proc/{pid}/stat") as f:
                x = f.read().rsplit(")", 1)[1].split()
            return (int(x[11]) + int(x[12])) / tick

        _, _, up = http_call("GET", h.url("/api/v2/uptime.json"))
        conn = http.client.HTTPConnection("127.0.0.1", h.port, timeout=10)
        lat = []
        c0, end = cpu(), time.monotonic() + seconds
        while time.monotonic() < end:
            t = time.monotonic()
            conn.request("GET", "/api/v2/status.json")
            conn.getresponse().read()
            lat.append((time.monotonic() - t) * 1000)
            time.sleep(0.02)  # the sampling interval
        cpu_pct = 100 * (cpu() - c0) / seconds
        lat.sort()
        return {"n": n, "start_s": start_s, "cpu": cpu_pct,
                "p50": lat[len(lat) // 2], "p99": lat[int(len(lat) * .99)],
                "max": lat[-1], "over20": sum(x > 20 for x in lat),
                "samples": len(lat), "uptime_mb": len(up) / 1e6}
    finally:
        h.stop_all()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="50,500,2000")
    ap.add_argument("--seconds", type=float, default=70)
    a = ap.parse_args()
    rows = [one(int(x), a.seconds) for x in sorted(
        int(x) for x in a.sizes.split(","))]
    for r in rows:
        print(f"{r['n']:5d} components: start {r['start_s']:5.2f} s, idle "
              f"CPU {r['cpu']:5.1f} %, status.json p50 {r['p50']:5.2f} / "
              f"p99 {r['p99']:6.2f} / max {r['max']:6.1f} ms "
              f"({r['over20']} of {r['samples']} over 20 ms), uptime.json "
              f"{r['uptime_mb']:.1f} MB")
    ref = rows[0]
    print(f"\nratios to {ref['n']} components, same run:")
    for r in rows[1:]:
        print(f"  {r['n']:5d}: idle CPU x{r['cpu'] / max(ref['cpu'], 0.1):.1f}"
              f", p99 x{r['p99'] / max(ref['p99'], 0.01):.1f}")


if __name__ == "__main__":
    main()
