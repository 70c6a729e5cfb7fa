#!/usr/bin/env python3
"""An agent listing two collectors fails over and comes back.

Two collectors on loopback with separate state dirs (separate sqlite
databases) know the same agent token; the agent lists both, the first
preferred, with a spool and collector_retry: 3s.

- while the first is up it gets every batch;
- kill -9 the first while results flow: the agent goes on with the
  second, and pharosctl given both URLs (--url a,b, repeated --url,
  PHAROS_URL=a,b) answers from the second;
- restart the first: the agent is back on it within 2 x collector_retry
  (plus generous slack), and the second then gets nothing more;
- what the agent promises: every result it counts as acknowledged is
  stored by some collector, nothing is left unsent, the seqs across both
  stores have no gap, and each store received its batches in seq order.
"""
import os
import re
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pharos_harness import Harness, free_port, wait_until  # noqa: E402
from oncetest import Results  # noqa: E402

RETRY_S = 3
AGENT = "agent-r1"


def checks(n, port):
    lines = ["components:", "  - id: svc", "    name: Service", "    checks:"]
    for i in range(n):
        lines.append(f"      - {{id: t{i}, type: tcp, host: 127.0.0.1, "
                     f"port: {port}, interval: 1s, timeout: 500ms}}")
    return "\n".join(lines) + "\n"


def rows(h):
    """(seq, idx) of the agent's stored results, in the order stored."""
    c = sqlite3.connect(os.path.join(h.dir, "state", "pharos.db"),
                        timeout=10)
    try:
        return c.execute("SELECT seq, idx FROM results WHERE agent_id=? "
                         "ORDER BY id", (AGENT,)).fetchall()
    finally:
        c.close()


def count(h):
    return len(rows(h))


def log_text(h, key):
    with open(h.logs[key], errors="replace") as f:
        return f.read()


def ctl(h, args, env_url=None):
    env = dict(os.environ)
    env.pop("PHAROS_URL", None)
    if env_url is not None:
        env["PHAROS_URL"] = env_url
    return subprocess.run([h.bin("pharosctl")] + args, capture_output=True,
                          text=True, timeout=60, env=env)


def main():
    res = Results()
    dead = free_port()
    a = Harness("failover-a")
    b = Harness("failover-b")
    try:
        a.write_config(["r1"], checks(10, dead))
        b.tokens = dict(a.tokens)  # both collectors know the agent
        b.write_config(["r1"], checks(10, dead))
        a.start_collector()
        b.start_collector()
        url_a = f"http://127.0.0.1:{a.port}"
        url_b = f"http://127.0.0.1:{b.port}"

        conf = os.path.join(a.dir, "agent.yml")
        with open(conf, "w") as f:
            f.write(f'collector:\n  - "{url_a}"\n  - "{url_b}"\n'
                    f"collector_retry: {RETRY_S}s\n"
                    "token_file: secrets/r1.token\n"
                    "batch_delay: 100ms\nplan_refresh: 2s\nheartbeat: 2s\n"
                    f"state_dir: {os.path.join(a.dir, 'agent-state')}\n")
        a._start("agent", [a.bin("pharos-agent"), "run", "-c", conf])

        res.check("results flow to the first collector",
                  wait_until(lambda: count(a) > 30, 20), count(a))
        res.check("the second gets nothing while the first is up",
                  count(b) == 0, count(b))

        # kill -9 the preferred collector while results flow.
        a.kill("collector")
        res.check("the agent goes on with the second collector",
                  wait_until(lambda: count(b) > 50, 30), count(b))
        res.check("the switch is logged once, naming both",
                  log_text(a, "agent").count(f"now using {url_b}") == 1,
                  log_text(a, "agent")[-1500:])

        # pharosctl with both URLs answers from the second.
        p = ctl(a, ["--url", url_a, "status"])
        res.check("pharosctl with only the dead URL fails",
                  p.returncode != 0, (p.returncode, p.stderr))
        for how, args, env in (
                ("--url a,b", ["--url", f"{url_a},{url_b}"], None),
                ("repeated --url", ["--url", url_a, "--url", url_b], None),
                ("PHAROS_URL=a,b", [], f"{url_a},{url_b}")):
            p = ctl(a, args + ["status"], env)
            res.check(f"pharosctl {how} tries the next on a connection "
                      "error", p.returncode == 0 and "Service" in p.stdout,
                      (p.returncode, p.stdout[-300:], p.stderr[-300:]))

        # Restart the first: the agent comes back to it.
        before_a = count(a)
        a.start_collector()
        t0 = time.time()
        back = wait_until(lambda: count(a) > before_a, 2 * RETRY_S + 30)
        took = time.time() - t0
        res.check("the agent returns to the first collector within "
                  f"2 x collector_retry ({2 * RETRY_S} s) plus slack",
                  back and took < 2 * RETRY_S + 15, (back, round(took, 1)))
        b_at_return = count(b)
        res.check("results flow to the first again",
                  wait_until(lambda: count(a) > before_a + 40, 20), count(a))
        res.check("the second gets nothing more once the agent is back",
                  count(b) == b_at_return, (count(b), b_at_return))
        res.check("the return is logged once",
                  log_text(a, "agent").count(f"now using {url_a}") == 1,
                  log_text(a, "agent")[-1500:])

        # Graceful stop: what the agent counts as acked is all stored.
        a.stop("agent")
        log = log_text(a, "agent")
        m = re.findall(r"\((\d+) results sent, (\d+) unsent, (\d+) "
                       r"dropped\); collector (\S+), (\d+) switches", log)
        res.check("the stop line names the current collector and the "
                  "switches", m and m[-1][3] == url_a and int(m[-1][4]) >= 2,
                  m[-1] if m else log[-800:])
        sent = int(m[-1][0]) if m else -1
        res.check("nothing unsent or dropped",
                  m and m[-1][1] == "0" and m[-1][2] == "0",
                  m[-1] if m else None)
        ra, rb = rows(a), rows(b)
        union = set(ra) | set(rb)
        res.check("every acked result is stored by some collector, "
                  "nothing extra", len(union) == sent,
                  (len(union), sent, len(ra), len(rb)))
        seqs = sorted({s for s, _ in union})
        res.check("no gap in the seqs across both stores",
                  seqs and seqs == list(range(seqs[0], seqs[-1] + 1)),
                  [s for s in range(seqs[0], seqs[-1] + 1)
                   if s not in set(seqs)][:20] if seqs else None)
        res.check("both collectors hold part of the stream",
                  len(set(s for s, _ in ra)) > 0 and
                  len(set(s for s, _ in rb)) > 0, (len(ra), len(rb)))
        for name, r in (("first", ra), ("second", rb)):
            order = [s for s, _ in r]
            res.check(f"the {name} collector received its batches in seq "
                      "order", order == sorted(order), order[:40])
    finally:
        if any(not ok for _, ok in res.items):
            a.dump_logs()
            b.dump_logs()
        a.stop_all()
        b.stop_all()
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
