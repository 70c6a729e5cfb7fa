#!/usr/bin/env python3
"""Disk full (issue #17 item 9). The collector's state_dir and publish_dir
and the agent's state_dir each sit on a small tmpfs the test mounts (as
root), and the test fills them with a filler file:

- the collector answers 503 (Retry-After) to agents, acks nothing it did
  not store, keeps serving the page and the feed from memory, logs the
  trouble a few times only (rate-limited), and fails its publish_dir
  writes cleanly (no temp files left behind);
- the agent's spool, its disk full too, drops its oldest results with a
  counter and never crashes;
- when space returns, both recover by themselves: new batches are stored
  and acked, the spool drains (stored = acked), publish_dir is written
  again."""
import errno
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pharos_harness import (Harness, free_port, http_get, skip,  # noqa: E402
                            wait_for, wait_until)
from oncetest import Results  # noqa: E402

# 200 results a second: the agent's spool passes one segment (4,096
# records) in some 20 s of the collector refusing.
NCHECKS = 200


def checks(port):
    lines = ["components:", "  - id: svc", "    name: Service", "    checks:"]
    for i in range(NCHECKS):
        lines.append(f"      - {{id: t{i}, type: tcp, host: 127.0.0.1, "
                     f"port: {port}, interval: 1s, timeout: 500ms}}")
    return "\n".join(lines) + "\n"


def mount_tmpfs(path, size):
    os.makedirs(path, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}",
                        "tmpfs", path], capture_output=True, text=True)
    return r.returncode == 0, r.stderr.strip()


def umount(path):
    subprocess.run(["umount", "-l", path], capture_output=True)


def fill(path):
    """Writes path/filler until the filesystem is full."""
    chunk = b"\0" * 65536
    # Unbuffered: a write that finds the disk full raises here, not later
    # from close() outside the try.
    with open(os.path.join(path, "filler"), "ab", buffering=0) as f:
        try:
            while True:
                f.write(chunk)
                f.flush()
        except OSError as e:
            if e.errno not in (errno.ENOSPC, errno.EDQUOT):
                raise
    # A last write of a few bytes: pages the buffered writes left.
    try:
        with open(os.path.join(path, "filler2"), "ab", buffering=0) as f:
            while True:
                f.write(b"\0" * 512)
                f.flush()
    except OSError:
        pass


def unfill(path):
    for n in ("filler", "filler2"):
        try:
            os.unlink(os.path.join(path, n))
        except FileNotFoundError:
            pass


def log_text(h, key):
    with open(h.logs[key], errors="replace") as f:
        return f.read()


def stored(h):
    c = sqlite3.connect(os.path.join(h.dir, "cdisk", "state", "pharos.db"))
    try:
        return c.execute("SELECT count(*) FROM results WHERE "
                         "agent_id='agent-r1'").fetchone()[0]
    finally:
        c.close()


def stop_stats(h, key):
    m = re.findall(r"\((\d+) results sent, (\d+) unsent, (\d+) dropped\)",
                   log_text(h, key))
    return tuple(int(x) for x in m[-1]) if m else None


def main():
    res = Results()
    if os.geteuid() != 0:
        skip("mounting a small tmpfs needs root")
    h = Harness("disk-full")
    cdisk = os.path.join(h.dir, "cdisk")
    adisk = os.path.join(h.dir, "adisk")
    ok, why = mount_tmpfs(cdisk, "24m")
    if not ok:
        skip(f"cannot mount a tmpfs here: {why}")
    mount_tmpfs(adisk, "4m")
    try:
        h.write_config(["r1"], checks(0))
        with open(h.conf_path) as f:
            text = f.read()
        # The checks probe a closed port: quick results (down).
        text = text.replace("port: 0,", f"port: {free_port()},")
        text = text.replace("state_dir: state", "state_dir: cdisk/state")
        text = text.replace("publish_dir: public", "publish_dir: cdisk/public")
        with open(h.conf_path, "w") as f:
            f.write(text)
        h.start_collector()
        h.start_agent("r1", extra=f"state_dir: {adisk}/spool\n")
        res.check("results flow", wait_until(lambda: stored(h) > 2 * NCHECKS,
                                             30), stored(h))
        summary = os.path.join(cdisk, "public", "api", "v2", "summary.json")
        wait_for(lambda: os.path.exists(summary), 20, "summary.json published")

        # The collector's disk fills up.
        fill(cdisk)
        t_full = time.time()
        res.check("a full disk: batches answered 503, the agent retries",
                  wait_until(lambda: "HTTP 503" in log_text(h, "agent-r1")
                             or "503" in log_text(h, "agent-r1"), 60),
                  log_text(h, "agent-r1")[-600:])
        # Hold the disk full for a while: several retries and publishes.
        n_full = stored(h)
        # Counted by the collector: the agent logs a failing link only
        # now and then (every 20th failure).
        def agent_503s():
            m = re.search(r'^pharos_http_requests_total\{route="agent",'
                          r'code="503"\} (\d+)',
                          http_get(h.url("/metrics"))[1].decode(), re.M)
            return int(m.group(1)) if m else 0

        wait_for(lambda: agent_503s() >= 4, 60,
                 "the agent retrying several times (503s in /metrics)")
        code, body = http_get(h.url("/api/v2/summary.json"))[:2]
        res.check("the feed is served from memory on a full disk",
                  code == 200 and json.loads(body)["page"]["id"] == "itest",
                  code)
        code = http_get(h.url("/"))[0]
        res.check("the page is served on a full disk", code == 200, code)
        res.check("nothing stored while the disk is full",
                  stored(h) <= n_full + NCHECKS * 2, (n_full, stored(h)))

        # The agent's disk fills up too, once its spool holds more than
        # one segment: the spool drops its oldest segment to go on.
        segs = os.path.join(adisk, "spool", "spool")
        wait_for(lambda: len([n for n in os.listdir(segs)
                              if n.startswith("seg-")]) >= 2, 90,
                 "the agent's spool passing one segment")
        fill(adisk)
        res.check("the agent's spool on a full disk drops its oldest "
                  "results with a counter",
                  wait_until(lambda: re.search(
                      r"spool full, \d+ oldest results dropped",
                      log_text(h, "agent-r1")) is not None, 60, 0.5),
                  log_text(h, "agent-r1")[-600:])
        res.check("the agent does not crash on a full disk",
                  h.procs["agent-r1"].poll() is None)
        res.check("the collector does not crash on a full disk",
                  h.procs["collector"].poll() is None)
        clog = log_text(h, "collector")
        n_store = clog.count("cannot store batch")
        n_pub = len(re.findall(r"publish: .*(write|cannot)", clog))
        secs = time.time() - t_full
        res.check("the store trouble is logged a few times, not per batch",
                  1 <= n_store <= 2 + secs / 10, (n_store, secs))
        res.check("publish_dir trouble is logged a few times, not per write",
                  n_pub <= 2 + secs / 10, (n_pub, secs))
        leftovers = [n for n in os.listdir(os.path.join(cdisk, "public",
                                                        "api", "v2"))
                     if ".tmp." in n]
        res.check("failed publish_dir writes leave no temp files", not
                  leftovers, leftovers)

        # Space returns.
        before = os.path.getmtime(summary)
        unfill(adisk)
        unfill(cdisk)
        n = stored(h)
        res.check("space back: new batches stored and acked",
                  wait_until(lambda: stored(h) > n + 2 * NCHECKS, 90), (n,
                                                                       stored(h)))
        res.check("the collector says it stores again",
                  wait_until(lambda: "storing again" in
                             log_text(h, "collector"), 30))
        res.check("publish_dir is written again",
                  wait_until(lambda: os.path.getmtime(summary) > before, 60))
        h.stop("agent-r1")
        stats = stop_stats(h, "agent-r1")
        res.check("the spool drained: nothing unsent at the stop",
                  stats is not None and stats[1] == 0, stats)
        res.check("the agent counted what its full spool dropped",
                  stats is not None and stats[2] > 0, stats)
        res.check("stored = acked", stats is not None and stored(h) ==
                  stats[0], (stored(h), stats))
    finally:
        h.stop_all()
        umount(cdisk)
        umount(adisk)
        if os.environ.get("PH_KEEP_TMP") is None and all(
                ok for _, ok in res.items):
            shutil.rmtree(h.dir, ignore_errors=True)
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
