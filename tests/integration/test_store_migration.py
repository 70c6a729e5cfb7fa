#!/usr/bin/env python3
"""Migration 0007 converts the results of an existing database to the lean
layout (integer agent and check numbers, one row per batch, append-order
rows): a database at schema 6 with results from two agents, made from the
project's own migration files, is opened by the collector; afterwards
every result reads back the same through the `results` view, one row per
batch, and no index on the rows. (Dedupe, append order and retention by
arrival: tests/unit/test_store_results.c.)"""
import glob
import os
import sqlite3
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pharos_harness import Harness, http_get  # noqa: E402
from oncetest import Results  # noqa: E402

SRC = os.environ.get("PH_SOURCE_DIR",
                     os.path.dirname(os.path.dirname(os.path.dirname(
                         os.path.abspath(__file__)))))
COLS = ("agent_id, region, seq, idx, check_id, started_at_ms, outcome, "
        "latency_ms, dns_us, connect_us, tls_us, first_byte_us, total_us, "
        "status_code, cert_not_after, error, received_ms")


def old_database(path, now_ms):
    db = sqlite3.connect(path)
    for f in sorted(glob.glob(os.path.join(SRC, "collector", "store",
                                           "migrations", "000[1-6]_*.sql"))):
        db.executescript(open(f).read())
    db.execute("PRAGMA user_version = 6")
    rows = []
    for agent, region in (("agent-r1", "r1"), ("agent-r2", "r2")):
        for seq in (1, 2, 3):
            for idx in range(4):
                rows.append((agent, region, seq, idx, f"c{idx % 3}",
                             now_ms - 3600000 + seq * 1000 + idx,
                             1 if idx else 2, 10 + idx, 1, 2, 3, 4, 5 + idx,
                             200, 0, "" if idx else "boom \u00e9",
                             # r1's batches arrived 30 days ago, r2's now
                             now_ms - (30 * 86400000 if agent == "agent-r1"
                                       else 0) + seq))
        db.execute("INSERT INTO agents (agent_id, region, last_seq, results) "
                   "VALUES (?, ?, 3, 12)", (agent, region))
    db.executemany(f"INSERT INTO results ({COLS}) VALUES "
                   "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    db.commit()
    db.close()
    return sorted(rows)


def main():
    res = Results()
    h = Harness("store_migration")
    try:
        h.write_config(["r1", "r2"], """
components:
  - id: api
    name: API
""")
        state = os.path.join(h.dir, "state")
        os.makedirs(state, exist_ok=True)
        path = os.path.join(state, "pharos.db")
        now_ms = int(time.time() * 1000)
        before = old_database(path, now_ms)
        h.start_collector()
        db = sqlite3.connect(path)
        version = db.execute("PRAGMA user_version").fetchone()[0]
        res.check("migrated to schema 7 or later", version >= 7, version)
        after = sorted(db.execute(f"SELECT {COLS} FROM results").fetchall())
        res.check("every old result reads back the same through the view",
                  after == before, (len(after), len(before)))
        tables = {r[0] for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type='index' "
            "AND tbl_name='result_rows'")}
        res.check("no index on the result rows", not tables, tables)
        batches = db.execute("SELECT count(*) FROM result_batches").fetchone()[0]
        res.check("one row per batch", batches == 6, batches)
        db.close()

        code, _ = http_get(h.url("/healthz"), ok_codes=None)
        res.check("the collector serves after the migration", code == 200,
                  code)
    except Exception:
        h.dump_logs()
        raise
    finally:
        h.stop_all()
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
