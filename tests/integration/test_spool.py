#!/usr/bin/env python3
"""Agent durability with a spool (state_dir): the collector stops for a
while (hundreds of results), restarts, and the agent backfills in order
with the original timestamps, nothing lost or doubled; the agent is
killed with -9 and restarted, and resends its batch in flight with the
same seq (no duplicates); a spool over its cap drops the oldest results
and counts them."""
import os
import re
import signal
import sqlite3
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pharos_harness import Harness, free_port, wait_until  # noqa: E402
from oncetest import Results  # noqa: E402


def checks(n, port):
    lines = ["components:", "  - id: svc", "    name: Service", "    checks:"]
    for i in range(n):
        lines.append(f"      - {{id: t{i}, type: tcp, host: 127.0.0.1, "
                     f"port: {port}, interval: 1s, timeout: 500ms}}")
    return "\n".join(lines) + "\n"


def db(h):
    return sqlite3.connect(os.path.join(h.dir, "state", "pharos.db"))


def count(h, agent):
    c = db(h)
    try:
        return c.execute("SELECT count(*) FROM results WHERE agent_id=?",
                         (agent,)).fetchone()[0]
    finally:
        c.close()


def stop_stats(h, key):
    with open(h.logs[key]) as f:
        log = f.read()
    m = re.findall(r"\((\d+) results sent, (\d+) unsent, (\d+) dropped\)", log)
    return tuple(int(x) for x in m[-1]) if m else None, log


def main():
    res = Results()
    dead = free_port()
    h = Harness("spool")
    try:
        h.write_config(["r1", "r2"], checks(20, dead))
        h.start_collector()
        spool_dir = os.path.join(h.dir, "agent-state")
        h.start_agent("r1", extra=f"state_dir: {spool_dir}\n")
        res.check("results flow", wait_until(lambda: count(h, "agent-r1") > 40, 20),
                  count(h, "agent-r1"))

        # Collector outage: hundreds of results wait in the spool.
        h.stop("collector")
        t_down = time.time() * 1000
        time.sleep(12)
        t_up = time.time() * 1000
        h.start_collector()
        res.check("spool holds the outage's results on disk",
                  any(f.startswith("seg-") for f in os.listdir(os.path.join(spool_dir, "spool"))),
                  os.listdir(os.path.join(spool_dir, "spool")))
        c = db(h)
        res.check("backfill: results from the outage arrive with their "
                  "original timestamps",
                  wait_until(lambda: db(h).execute(
                      "SELECT count(*) FROM results WHERE agent_id='agent-r1' AND "
                      "started_at_ms BETWEEN ? AND ?", (t_down + 1000, t_up - 1000)
                  ).fetchone()[0] >= 150, 40), "")
        c.close()

        # kill -9 the agent while it streams, then again while results wait
        # unacknowledged (collector down), and restart it on the same spool.
        time.sleep(1.5)
        h.kill("agent-r1")
        h.start_agent("r1", extra=f"state_dir: {spool_dir}\n")
        time.sleep(2)
        h.stop("collector")
        time.sleep(2)
        h.kill("agent-r1")
        h.start_collector()
        h.start_agent("r1", extra=f"state_dir: {spool_dir}\n")
        time.sleep(5)
        h.stop("agent-r1")
        stats, log = stop_stats(h, "agent-r1")
        c = db(h)
        dups = c.execute("SELECT count(*) FROM (SELECT check_id, started_at_ms "
                         "FROM results WHERE agent_id='agent-r1' GROUP BY 1, 2 "
                         "HAVING count(*) > 1)").fetchone()[0]
        res.check("after kill -9 and restart: no result stored twice", dups == 0, dups)
        c.close()
        res.check("the restarted agent resent what the killed one had spooled",
                  "from the spool to send first" in log, log[-300:])
        res.check("graceful stop left nothing unsent",
                  stats is not None and stats[1] == 0, stats)

        # A spool over its cap drops the oldest and counts them.
        with open(h.conf_path) as f:
            conf = f.read()
        h.write_config(["r1", "r2"], checks(200, dead))
        h.procs["collector"].send_signal(signal.SIGHUP)
        time.sleep(1)
        small = os.path.join(h.dir, "small-state")
        h.start_agent("r2", extra=f"state_dir: {small}\nspool_max_mb: 1\n")
        res.check("second agent streams", wait_until(lambda: count(h, "agent-r2") > 200, 20),
                  count(h, "agent-r2"))
        h.stop("collector")
        t_down = time.time() * 1000
        time.sleep(22)   # 200 results/s, over 3,000 records: past 1 MB
        h.start_collector()
        time.sleep(6)
        h.stop("agent-r2")
        stats, log = stop_stats(h, "agent-r2")
        res.check("spool over its cap: oldest dropped, counted and logged",
                  stats is not None and stats[2] > 0 and "spool full" in log,
                  (stats, log[-400:]))
        c = db(h)
        first_after = c.execute(
            "SELECT min(started_at_ms) FROM results WHERE agent_id='agent-r2' "
            "AND started_at_ms > ?", (t_down + 500,)).fetchone()[0]
        c.close()
        res.check("what was dropped is the oldest part of the outage",
                  first_after is not None and first_after > t_down + 3000,
                  (first_after, t_down))
    finally:
        h.stop_all()
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
