#!/usr/bin/env python3
"""Retention prunes what it should and nothing else (issue #22 item 6;
docs/configuration.md `retention.raw`, ARCHITECTURE "Uptime").

A real agent fills a real collector's database with results. With the
collector stopped, the first third of the batches (in arrival order) is
dated 8 days back, the next third 6 days back, and daily rollups are
added 401, 400 and 399 days before today. At its next start the collector
prunes (at start, then hourly) with retention.raw 7d:

- exactly the batches and result rows older than 7 days are gone, and the
  "retention: deleted N raw results" line counts them;
- the 6-day-old rows, the fresh rows and the results arriving since the
  restart are all still there, row for row;
- the rollup of 401 days ago is gone; those of 400 and 399 days ago and
  the ones the collector wrote itself stay."""
import datetime
import os
import re
import sqlite3
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pharos_harness import (Harness, free_port, serve_target,  # noqa: E402
                            wait_for, wait_until)
from oncetest import Results  # noqa: E402

DAY_MS = 86400000


def main():
    res = Results()
    port = free_port()
    srv = serve_target(port)
    h = Harness("retention")
    db = os.path.join(h.dir, "state", "pharos.db")

    def q(sql, *args):
        con = sqlite3.connect(db, timeout=10)
        try:
            return con.execute(sql, args).fetchall()
        finally:
            con.close()

    try:
        h.write_config(["r1"], f"""
retention:
  raw: 7d
components:
  - id: web
    name: Web
    checks:
      - {{id: web-http, type: http, url: "http://127.0.0.1:{port}/", interval: 1s, timeout: 500ms}}
""")
        h.start_collector()
        h.start_agent("r1")
        wait_for(lambda: q("SELECT count(*) FROM result_batches "
                           "WHERE last_row > 0")[0][0] >= 12, 60,
                 "12 batches with results stored")
        h.stop("agent-r1")
        h.stop("collector")

        # ---- age the stored data, in arrival order ----
        now = int(time.time() * 1000)
        ids = [r[0] for r in q("SELECT id FROM result_batches ORDER BY id")]
        third = len(ids) // 3
        old, mid, fresh = ids[:third], ids[third:2 * third], ids[2 * third:]
        con = sqlite3.connect(db)
        for i, bid in enumerate(old):
            con.execute("UPDATE result_batches SET received_ms = ? WHERE id = ?",
                        (now - 8 * DAY_MS + i, bid))
        for i, bid in enumerate(mid):
            con.execute("UPDATE result_batches SET received_ms = ? WHERE id = ?",
                        (now - 6 * DAY_MS + i, bid))
        today = datetime.datetime.now(datetime.timezone.utc).date()
        dates = {}
        for back in (401, 400, 399):
            d = today - datetime.timedelta(days=back)
            dates[back] = int(d.strftime("%Y%m%d"))
            con.execute("INSERT INTO uptime_days VALUES (?, ?, 86400, 86400, "
                        "0, 0, 0, 0, 0)", ("web", dates[back]))
        con.commit()
        con.close()

        def rows(batch_ids):
            if not batch_ids:
                return 0
            marks = ",".join("?" * len(batch_ids))
            return q(f"SELECT count(*) FROM result_rows WHERE batch_id IN ({marks})",
                     *batch_ids)[0][0]

        n_old, n_mid, n_fresh = rows(old), rows(mid), rows(fresh)
        res.check("each age group holds results",
                  n_old > 0 and n_mid > 0 and n_fresh > 0,
                  f"{n_old} {n_mid} {n_fresh}")
        own_days = q("SELECT date FROM uptime_days WHERE date > ?", dates[399])
        max_row = q("SELECT max(rowid) FROM result_rows")[0][0]

        # ---- restart: retention runs at start ----
        h.start_collector()
        h.start_agent("r1")

        def pruned_line():
            with open(h.logs["collector"]) as f:
                m = re.search(r"retention: deleted (\d+) raw results", f.read())
            return int(m.group(1)) if m else None
        ok = wait_until(lambda: pruned_line() is not None, 20)
        res.check("the collector prunes at start", ok)
        res.check("the log counts exactly the rows older than 7 days",
                  pruned_line() == n_old, f"{pruned_line()} vs {n_old}")
        res.check("rows older than 7 days are gone", rows(old) == 0, rows(old))
        marks = ",".join("?" * len(old))
        res.check("... and their batches",
                  q(f"SELECT count(*) FROM result_batches WHERE id IN ({marks})",
                    *old)[0][0] == 0)
        res.check("6-day-old rows are all kept", rows(mid) == n_mid,
                  f"{rows(mid)} vs {n_mid}")
        res.check("fresh rows are all kept", rows(fresh) == n_fresh,
                  f"{rows(fresh)} vs {n_fresh}")
        ok = wait_until(lambda: q("SELECT count(*) FROM result_rows WHERE rowid > ?",
                                  max_row)[0][0] > 0, 20)
        res.check("results keep arriving after the prune", ok)
        got = {r[0] for r in q("SELECT date FROM uptime_days")}
        res.check("the rollup of 401 days ago is gone", dates[401] not in got,
                  sorted(got))
        res.check("the rollups of 400 and 399 days ago stay",
                  dates[400] in got and dates[399] in got, sorted(got))
        res.check("the collector's own rollups stay",
                  {d for (d,) in own_days} <= got, f"{own_days} {sorted(got)}")
        if not all(ok for _, ok in res.items):
            h.dump_logs()
    finally:
        h.stop_all()
        srv.shutdown()
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
