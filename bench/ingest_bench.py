#!/usr/bin/env python3
"""Collector ingest rate with commit-before-ack: AGENTS simulated agents
(each its own token) POST result batches to one collector on loopback,
one batch in flight per agent, beside a bare sqlite insert loop of the
same rows on the same disk, in the old layout and in the lean one of
migration 0007 (the reference). Prints all three and the ratios.
With --postgresql the collector's store is a PostgreSQL 15 started for
the run (tests/integration/lib/pgserver.py) instead of sqlite; the bare
loops are sqlite's either way.
Usage: bench/ingest_bench.py [--agents 8] [--batches 200] [--batch 500]
                             [--checks 500] [--postgresql]"""
import argparse
import hashlib
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("PH_BUILD_DIR", os.path.join(ROOT, "build"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "lib"))
from peers import free_port, wait_port  # noqa: E402
import pgserver  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--agents", type=int, default=8)
    ap.add_argument("--batches", type=int, default=200)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--postgresql", action="store_true")
    ap.add_argument("--checks", type=int, default=500,
                    help="distinct checks the results cycle through (each "
                         "one a latency rollup series)")
    args = ap.parse_args()
    pg = pgserver.PgServer().start() if args.postgresql else None
    d = tempfile.mkdtemp(prefix="pharos-ingest-", dir=os.environ.get("BENCH_DIR"))
    port = free_port()
    tokens = ["ph_" + secrets.token_urlsafe(32) for _ in range(args.agents)]
    with open(os.path.join(d, "tokens"), "w") as f:
        f.write("\n".join(tokens) + "\n")
    with open(os.path.join(d, "pharos.yml"), "w") as f:
        f.write(f'server: {{listen: "127.0.0.1:{port}", state_dir: state, '
                f'web_dir: {os.path.join(ROOT, "web")}, max_results_per_batch: 20000}}\n'
                "page: {id: bench, name: Bench}\nregions: [{id: r1}]\nagents:\n")
        for i, t in enumerate(tokens):
            f.write(f"  - {{id: a{i}, region: r1, token_sha256: "
                    f"{hashlib.sha256(t.encode()).hexdigest()}}}\n")
        if pg is not None:
            with open(os.path.join(d, "pg.pw"), "w") as pw:
                pw.write(pg.password + "\n")
            f.write(f'store: "{pg.dsn}"\nstore_password_file: pg.pw\n')
        f.write("components:\n  - id: c\n    name: C\n    checks:\n")
        for i in range(args.checks):
            f.write(f'      - {{id: p{i}, type: http, url: "http://127.0.0.1:1/"}}\n')
    col = subprocess.Popen([os.path.join(BUILD, "bin", "pharos-collector"), "-c",
                            os.path.join(d, "pharos.yml")],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port)
        bench = os.path.join(BUILD, "bin", "ingest_bench")
        out = subprocess.run([bench, "http", f"http://127.0.0.1:{port}/v1/agent/results",
                              os.path.join(d, "tokens"), str(args.batches),
                              str(args.batch), str(args.checks)],
                             capture_output=True, text=True)
        print(("store postgresql: " if pg else "store sqlite: ")
              + out.stdout.strip())
        rss = 0
        with open(f"/proc/{col.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    rss = int(line.split()[1])
        print(f"collector peak RSS: {rss / 1024:.1f} MB")
        def ceiling(mode, name):
            out = subprocess.run([bench, mode, os.path.join(d, name),
                                  str(args.batches * args.agents),
                                  str(args.batch)],
                                 capture_output=True, text=True)
            print(out.stdout.strip())
            return float(out.stdout.split("= ")[1].split()[0])
        if pg is not None:
            # The reference for PostgreSQL is a bare libpq loop into the
            # same server: bench/ha_bench.py ingest prints both.
            print("reference: python3 bench/ha_bench.py ingest "
                  "(bare libpq loop, same server)")
            return
        try:
            a = float(out.stdout.split("= ")[1].split()[0])
            old = ceiling("sqlite", "ceiling-old.db")
            lean = ceiling("sqlite-lean", "ceiling-lean.db")
            print(f"ratio collector / bare loop, old schema = {a / old:.2f}")
            print(f"ratio collector / bare loop, lean schema = {a / lean:.2f} "
                  "(goal: >= 0.5)")
        except (IndexError, ValueError):
            print("could not compute the ratios")
        col.terminate()
        col.wait()
        disk_per_result(os.path.join(d, "state", "pharos.db"))
    finally:
        if col.poll() is None:
            col.terminate()
            col.wait()
        shutil.rmtree(d, ignore_errors=True)
        if pg is not None:
            pg.stop()


def disk_per_result(path, rate=10000, raw_days=7):
    """Bytes the raw results take in the store, per result: the pages of
    result_rows and result_batches (sqlite's dbstat), and the whole file
    after a checkpoint; then what the default raw retention (7 days)
    needs at `rate` results/s."""
    import sqlite3
    db = sqlite3.connect(path)
    try:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        rows = db.execute("SELECT count(*) FROM result_rows").fetchone()[0]
        size = os.path.getsize(path)
        tables = None
        try:
            tables = db.execute(
                "SELECT sum(pgsize) FROM dbstat WHERE name IN "
                "('result_rows', 'result_batches', "
                "'result_batches_received')").fetchone()[0]
        except sqlite3.Error:
            pass  # no dbstat in this sqlite build: the file alone
    finally:
        db.close()
    if rows == 0:
        print("disk: no result rows stored")
        return
    per = (tables if tables else size) / rows
    print(f"disk: {rows} results, file {size / 1e6:.1f} MB; raw results "
          f"{per:.1f} bytes each (result_rows + result_batches"
          f"{'' if tables else ', whole file'})")
    budget = per * rate * 86400 * raw_days
    print(f"disk: at {rate} results/s the default retention.raw "
          f"({raw_days} d) keeps {budget / 1e9:.1f} GB of raw results")


if __name__ == "__main__":
    main()
