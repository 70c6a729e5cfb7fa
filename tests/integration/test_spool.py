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
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pharos_harness import Harness, free_port, wait_for, wait_until  # noqa: E402
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


REC_MAGIC = struct.pack("<I", 0x50485331)   # agent/spool.c: "PHS1"


def spool_tail(spool_dir):
    """Highest record id in the agent's spool segments, read from disk
    (a record is {magic u32, crc u32, rid u64, result}): how far the agent
    has spooled, whether or not the collector is there to ack it."""
    top = 0
    d = os.path.join(spool_dir, "spool")
    for name in os.listdir(d) if os.path.isdir(d) else []:
        if not name.startswith("seg-"):
            continue
        try:
            with open(os.path.join(d, name), "rb") as f:
                data = f.read()
        except FileNotFoundError:   # acked and deleted meanwhile
            continue
        i = data.rfind(REC_MAGIC)
        while i >= 0 and i + 16 > len(data):   # a record being written
            i = data.rfind(REC_MAGIC, 0, i)
        if i >= 0:
            top = max(top, struct.unpack_from("<Q", data, i + 8)[0])
    return top


def log_text(h, key):
    with open(h.logs[key]) as f:
        return f.read()


def dropped_so_far(h, key):
    m = re.findall(r"spool full, (\d+) oldest results dropped", log_text(h, key))
    return int(m[-1]) if m else 0


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

        # Collector outage: hundreds of results wait in the spool (20 a
        # second: wait for 240 of them, about 12 s).
        h.stop("collector")
        t_down = time.time() * 1000
        rid0 = spool_tail(spool_dir)
        res.check("the agent spools while the collector is down",
                  wait_until(lambda: spool_tail(spool_dir) >= rid0 + 240, 60, 0.5),
                  (rid0, spool_tail(spool_dir)))
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
        n = count(h, "agent-r1")
        wait_for(lambda: count(h, "agent-r1") >= n + 20, 20, "agent-r1 streaming")
        h.kill("agent-r1")
        h.start_agent("r1", extra=f"state_dir: {spool_dir}\n")
        n = count(h, "agent-r1")
        wait_for(lambda: count(h, "agent-r1") >= n + 20, 20,
                 "the restarted agent-r1 streaming")
        h.stop("collector")
        rid0 = spool_tail(spool_dir)
        wait_for(lambda: spool_tail(spool_dir) >= rid0 + 20, 20,
                 "results spooled while the collector is down")
        h.kill("agent-r1")
        h.start_collector()
        h.start_agent("r1", extra=f"state_dir: {spool_dir}\n")
        n = count(h, "agent-r1")
        wait_for(lambda: "from the spool to send first" in log_text(h, "agent-r1")
                 and count(h, "agent-r1") >= n + 40, 30,
                 "the restarted agent-r1 resending its spool")
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
        reloads = log_text(h, "collector").count("reload: ")
        h.procs["collector"].send_signal(signal.SIGHUP)
        wait_for(lambda: log_text(h, "collector").count("reload: ") > reloads, 10,
                 "the collector reloading its config")
        small = os.path.join(h.dir, "small-state")
        h.start_agent("r2", extra=f"state_dir: {small}\nspool_max_mb: 1\n")
        res.check("second agent streams", wait_until(lambda: count(h, "agent-r2") > 200, 20),
                  count(h, "agent-r2"))
        h.stop("collector")
        t_down = time.time() * 1000
        # 200 results/s: past 1 MB after about 3,000 records, then the
        # oldest go; wait until 1,000 (some 5 s of the outage) are gone.
        res.check("the spool reaches its cap and drops",
                  wait_until(lambda: dropped_so_far(h, "agent-r2") >= 1000, 90, 0.5),
                  dropped_so_far(h, "agent-r2"))
        h.start_collector()

        def first_after():
            c = db(h)
            try:
                return c.execute(
                    "SELECT min(started_at_ms) FROM results WHERE agent_id='agent-r2' "
                    "AND started_at_ms > ?", (t_down + 500,)).fetchone()[0]
            finally:
                c.close()
        # The spool is sent oldest first: the first batch after the restart
        # holds the oldest result that survived. The agent's backoff grew
        # during the outage (up to 16 s after 20 s down), so allow time.
        wait_for(lambda: first_after() is not None, 90,
                 "agent-r2 backfilling after the outage")
        h.stop("agent-r2")
        stats, log = stop_stats(h, "agent-r2")
        res.check("spool over its cap: oldest dropped, counted and logged",
                  stats is not None and stats[2] > 0 and "spool full" in log,
                  (stats, log[-400:]))
        first = first_after()
        res.check("what was dropped is the oldest part of the outage",
                  first is not None and first > t_down + 3000,
                  (first, t_down))
    finally:
        h.stop_all()
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
