#!/usr/bin/env python3
"""/metrics pharos_loop_busy_seconds: the busy time of each iteration of
the collector's loop (collector/state/loop_busy.c), the figure that
says whether reads wait for the loop's other work.

- it is a well-formed Prometheus histogram: buckets in increasing `le`,
  counts cumulative, `+Inf` equal to `_count`, a non-negative `_sum` no
  larger than the longest iteration times the count;
- it counts iterations: 60 requests made one after the other (each
  waits for its answer, so each needs a pass of the loop of its own)
  add at least 60 to `_count`;
- pharos_loop_busy_max_seconds is at least the mean and never falls."""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pharos_harness import Harness, free_port, http_get  # noqa: E402
from oncetest import Results  # noqa: E402


def histogram(h):
    text = http_get(h.url("/metrics"))[1].decode()
    buckets = [(m.group(1), int(m.group(2))) for m in re.finditer(
        r'^pharos_loop_busy_seconds_bucket\{le="([^"]+)"\} (\d+)$', text,
        re.M)]
    num = {}
    for name in ("pharos_loop_busy_seconds_sum",
                 "pharos_loop_busy_seconds_count",
                 "pharos_loop_busy_max_seconds"):
        m = re.search(rf"^{name} ([0-9.e+-]+)$", text, re.M)
        num[name] = float(m.group(1)) if m else None
    typed = "# TYPE pharos_loop_busy_seconds histogram" in text
    return buckets, num, typed


def main():
    res = Results()
    port = free_port()
    h = Harness("loop_busy")
    try:
        h.write_config(["eu"], f"""components:
  - id: svc
    name: Service
    checks:
      - {{id: t1, type: tcp, host: 127.0.0.1, port: {port}, interval: 1s, timeout: 500ms}}
""")
        h.start_collector()
        buckets, num, typed = histogram(h)
        res.check("declared a histogram", typed)
        les = [float(le) for le, _ in buckets]
        res.check("buckets in increasing le, the last +Inf",
                  len(les) >= 2 and les == sorted(les) and
                  les[-1] == float("inf"), [le for le, _ in buckets])
        counts = [c for _, c in buckets]
        res.check("counts cumulative", counts == sorted(counts), counts)
        res.check("+Inf equals _count",
                  counts and counts[-1] == num["pharos_loop_busy_seconds_count"],
                  (counts[-1:], num))
        n0 = num["pharos_loop_busy_seconds_count"] or 0
        res.check("_sum >= 0 and <= longest x count",
                  num["pharos_loop_busy_seconds_sum"] is not None and
                  0 <= num["pharos_loop_busy_seconds_sum"] <=
                  (num["pharos_loop_busy_max_seconds"] or 0) * n0 + 1e-6, num)
        max0 = num["pharos_loop_busy_max_seconds"] or 0

        for _ in range(60):
            http_get(h.url("/api/v2/summary.json"))
        buckets, num, _ = histogram(h)
        n1 = num["pharos_loop_busy_seconds_count"] or 0
        res.check("60 requests one after the other add >= 60 iterations",
                  n1 - n0 >= 60, f"{n0} -> {n1}")
        mean = (num["pharos_loop_busy_seconds_sum"] or 0) / n1 if n1 else 0
        res.check("the longest is at least the mean and did not fall",
                  num["pharos_loop_busy_max_seconds"] >= mean and
                  num["pharos_loop_busy_max_seconds"] >= max0,
                  (max0, num))
        if not all(ok for _, ok in res.items):
            h.dump_logs()
    finally:
        h.stop_all()
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
