#!/usr/bin/env python3
"""Smoke run of bench/ha_bench.py (issue #14 item 8) at tiny sizes, so
that the benches keep working as the collector changes; heavy-labelled
(tests/CMakeLists.txt): it starts a PostgreSQL and up to four collectors
per mode. It asserts what the benches print, never how fast:

- ingest: every result acked is a row in PostgreSQL, through three
  collectors and through one, and the three ratios are printed;
- takeover: one kill -9 of the leader, another collector leads (a
  figure printed), and no status transition is stored by the takeover;
- detection: the outage and the recovery are shown on all three
  collectors (both summary lines printed).
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pgserver import PG_BIN, available  # noqa: E402
from pharos_harness import BUILD, SRC, Results, skip  # noqa: E402

BENCH = os.path.join(SRC, "bench", "ha_bench.py")


def run(res, mode, *argv):
    env = dict(os.environ, PH_BUILD_DIR=BUILD)
    try:
        r = subprocess.run([sys.executable, BENCH, mode, *argv], env=env,
                           capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired as e:
        res.check(f"{mode}: the bench ends", False, str(e))
        return ""
    out = r.stdout + r.stderr
    print(f"----- ha_bench.py {mode} -----\n{out}", flush=True)
    res.check(f"{mode}: exit status 0", r.returncode == 0, r.returncode)
    # The bench's harnesses judge their daemons (exit status, sanitizer
    # lines) and print what they found.
    res.check(f"{mode}: no daemon problem reported", "FAIL daemon" not in out)
    return out


def main():
    if not available():
        skip(f"PostgreSQL 15 server binaries not found in {PG_BIN} "
             "(scripts/install-deps.sh --test installs postgresql-15)")
    for b in ("ingest_bench", "pg_insert_loop"):
        if not os.access(os.path.join(BUILD, "bin", b), os.X_OK):
            raise RuntimeError(f"{b} not built")
    res = Results()

    out = run(res, "ingest", "--agents", "3", "--batches", "4", "--batch",
              "50", "--checks", "20")
    stored = re.findall(r"rows stored in PostgreSQL: (\d+) \(acked (\d+)",
                        out)
    res.check("ingest: two collector runs, each stored = acked = 600",
              len(stored) == 2 and all(s == a == "600" for s, a in stored),
              stored)
    res.check("ingest: a follower forwarded batches to the leader",
              re.search(r"\(follower\): results ingested 0, writes "
                        r"forwarded to the leader [1-9]", out) is not None)
    ratios = re.findall(r"^ratio 3 collectors \(ha\) / .* = (\d+\.\d+)$",
                        out, re.M)
    res.check("ingest: three ratios printed, each above 0",
              len(ratios) == 3 and all(float(x) > 0 for x in ratios), ratios)

    out = run(res, "takeover", "--kills", "1", "--lease", "2", "--seed", "1")
    res.check("takeover: another collector took the lease (epoch 2)",
              re.search(r"kill  1: (c\d) \(epoch 1.*-> (?!\1)c\d epoch 2:",
                        out) is not None)
    res.check("takeover: median and max printed for the lease row and "
              "/healthz", len(re.findall(r"^takeover, .*: median \d+\.\d+ s, "
                                         r"max \d+\.\d+ s over 1 kills",
                                         out, re.M)) == 2)
    res.check("takeover: no status transition stored by the takeover",
              "status transitions stored during the 1 kills: 0 " in out)

    out = run(res, "detection", "--runs", "1", "--interval", "2",
              "--no-single", "--seed", "1")
    res.check("detection: the outage shown on all three collectors",
              re.search(r"^outage shown: .*from the switch median", out,
                        re.M) is not None)
    res.check("detection: operational again on all three",
              re.search(r"^operational again: .*from the switch median",
                        out, re.M) is not None)
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
