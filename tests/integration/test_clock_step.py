#!/usr/bin/env python3
"""Clock steps (issue #17 item 10). The collector and its agent run on one
host whose wall clock libfaketime steps while they run (an offset file
re-read at every clock call; the monotonic clock is left alone, as a real step
leaves it). The clock starts 20 minutes after a midnight (UTC, the
page's zone here), steps back an hour across that midnight, then forward
an hour again:

- statuses do not flip: the component stays operational through both
  steps, and its regions never go stale;
- detection keeps working after the step back: a target that goes down
  is shown as an outage within seconds (the engine used to ignore every
  result dated before the last one, an hour's worth);
- uptime rollups stay sane: no day twice, no negative seconds, no day
  after the collector's today, no day longer than a day;
- the process uptime metric never goes negative (timers and ages run on
  the monotonic clock)."""
import datetime
import glob
import json
import os
import socket
import sqlite3
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pharos_harness import (Harness, http_get, skip, wait_for,  # noqa: E402
                            wait_until)
from oncetest import Results  # noqa: E402


def find_libfaketime():
    for pat in ("/usr/lib/*/faketime/libfaketimeMT.so.1",
                "/usr/lib/faketime/libfaketimeMT.so.1",
                "/usr/local/lib/faketime/libfaketimeMT.so.1"):
        hits = glob.glob(pat)
        if hits:
            return hits[0]
    return None


class Target:
    """A TCP port that accepts (up) until close() (connection refused)."""

    def __init__(self, port=0):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.open = True
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while self.open:
            try:
                c, _ = self.sock.accept()
                c.close()
            except OSError:
                return

    def close(self):
        self.open = False
        self.sock.close()


def summary(h):
    code, body = http_get(h.url("/api/v2/summary.json"))[:2]
    return json.loads(body) if code == 200 else None


def status(h):
    s = summary(h)
    return s["components"][0]["status"] if s else None


def collector_now(h):
    """The collector's wall clock, from the feed it renders (seconds)."""
    s = summary(h)
    if not s:
        return None
    t = s["page"]["updated_at"]
    return datetime.datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp()


def last_result_at(h):
    c = sqlite3.connect(os.path.join(h.dir, "state", "pharos.db"))
    try:
        row = c.execute("SELECT started_at_ms FROM results ORDER BY id "
                        "DESC LIMIT 1").fetchone()
        return row[0] / 1000 if row else None
    finally:
        c.close()


def uptime_problems(h, today):
    """What is wrong with the published and stored uptime days."""
    out = []
    code, body = http_get(h.url("/api/v2/uptime.json"))[:2]
    days = json.loads(body)["components"][0]["days"] if code == 200 else []
    dates = [d["date"] for d in days]
    if dates != sorted(set(dates)):
        out.append(f"uptime.json dates repeat or go back: {dates[-5:]}")
    if dates and dates[-1] > today:
        out.append(f"uptime.json shows {dates[-1]}, after today {today}")
    for d in days:
        secs = [d[k] for k in d if k.endswith("_s")]
        if min(secs) < 0 or d["day_s"] > 90000:
            out.append(f"uptime.json day {d['date']}: {d}")
    c = sqlite3.connect(os.path.join(h.dir, "state", "pharos.db"))
    try:
        rows = c.execute("SELECT date, day_s, operational_s, degraded_s, "
                         "partial_s, major_s, maintenance_s, nodata_s FROM "
                         "uptime_days").fetchall()
    finally:
        c.close()
    for r in rows:
        date = f"{r[0] // 10000:04d}-{r[0] // 100 % 100:02d}-{r[0] % 100:02d}"
        if date > today or min(r[1:]) < 0 or r[1] > 90000 or \
                sum(r[2:]) != r[1]:
            out.append(f"stored day {r}")
    return out


def main():
    res = Results()
    lib = find_libfaketime()
    if lib is None:
        skip("libfaketime is not installed (scripts/install-deps.sh --test)")
    target = Target()
    h = Harness("clock-step")
    rc_file = os.path.join(h.dir, "faketime.rc")
    now = time.time()
    midnight = (int(now) // 86400 + 1) * 86400
    base = midnight + 20 * 60 - int(now)      # fake start: 00:20 UTC

    def set_offset(s):
        with open(rc_file + ".new", "w") as f:
            f.write(f"{s:+d}\n")
        os.replace(rc_file + ".new", rc_file)

    set_offset(base)
    env = dict(os.environ)
    env.update({
        "LD_PRELOAD": lib,
        "FAKETIME_TIMESTAMP_FILE": rc_file,
        # Read at every clock call: both processes see a step at once, as
        # they would on one host (a cache lets one lag up to its length).
        "FAKETIME_NO_CACHE": "1",
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
        "TZ": "UTC",
        # An ASan build wants its runtime first; libfaketime is preloaded.
        "ASAN_OPTIONS": (os.environ.get("ASAN_OPTIONS", "") +
                         ":verify_asan_link_order=0").lstrip(":"),
    })
    try:
        h.write_config(["r1"], f"""components:
  - id: svc
    name: Service
    checks:
      - {{id: a, type: tcp, host: 127.0.0.1, port: {target.port}, interval: 1s, timeout: 500ms}}
      - {{id: b, type: tcp, host: 127.0.0.1, port: {target.port}, interval: 1s, timeout: 500ms}}
""")
        h.start_collector(env=env)
        h.start_agent("r1", env=env)
        ok = wait_until(lambda: status(h) == "operational" and
                        (collector_now(h) or 0) > now + base - 60, 30)
        res.check("faketime applies: the collector starts after midnight and "
                  "the component is operational", ok,
                  (status(h), collector_now(h), now + base))
        if not ok:
            return res.finish()
        wait_for(lambda: (last_result_at(h) or 0) > now + base - 60, 20,
                 "the agent's results dated by the faked clock")

        def all_up():
            return all(h.region_states(ck) == {"r1": "up"}
                       for ck in ("a", "b"))
        wait_for(all_up, 20, "both checks up in r1")

        def watch(seconds, what):
            """Statuses and region states for `seconds`: anything but
            operational and UP is a flip."""
            seen = set()
            log = []
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                now_seen = {status(h)}
                for ck in ("a", "b"):
                    now_seen.update(h.region_states(ck).values())
                seen |= now_seen
                if not now_seen <= {"operational", "up"}:
                    log.append((round(end - time.monotonic(), 1),
                                sorted(now_seen)))
                time.sleep(0.2)
            return res.check(f"{what}: no status flips, no stale regions",
                             seen <= {"operational", "up"}, log[:8])

        # Back an hour, across the midnight.
        set_offset(base - 3600)
        wait_for(lambda: (collector_now(h) or 1e18) < now + base - 1800, 20,
                 "the collector's clock stepping back")
        wait_for(lambda: (last_result_at(h) or 1e18) < now + base - 1800, 20,
                 "the agent's clock stepping back")
        # Three intervals plus the timeout: a frozen or stale region shows.
        watch(6, "after a step back")
        up = h.metric("pharos_uptime_seconds")
        res.check("the process uptime stays positive after a step back",
                  up is not None and up >= 0, up)
        today = datetime.datetime.fromtimestamp(
            collector_now(h), datetime.timezone.utc).strftime("%Y-%m-%d")
        probs = uptime_problems(h, today)
        res.check("after a step back: uptime days sane", not probs, probs)

        # The target goes down: detected within seconds, not an hour.
        target.close()
        res.check("after a step back, an outage is still detected",
                  wait_until(lambda: status(h) == "major_outage", 30),
                  (status(h), h.region_states("a")))
        target = Target(target.port)
        res.check("and the recovery too",
                  wait_until(lambda: status(h) == "operational", 30),
                  status(h))

        # Forward an hour, across the midnight again.
        wait_for(all_up, 20, "both checks up in r1 again")
        set_offset(base)
        wait_for(lambda: (collector_now(h) or 0) > now + base - 60, 20,
                 "the collector's clock stepping forward")
        wait_for(lambda: (last_result_at(h) or 0) > now + base - 60, 20,
                 "the agent's clock stepping forward")
        watch(6, "after a step forward")
        today = datetime.datetime.fromtimestamp(
            collector_now(h), datetime.timezone.utc).strftime("%Y-%m-%d")
        probs = uptime_problems(h, today)
        res.check("after a step forward: uptime days sane", not probs, probs)
        up = h.metric("pharos_uptime_seconds")
        res.check("the process uptime is still below the real run time",
                  up is not None and 0 <= up < time.time() - now + 60, up)
    finally:
        target.close()
        h.stop_all()
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
