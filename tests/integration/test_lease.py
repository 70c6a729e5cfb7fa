#!/usr/bin/env python3
"""The leader lease (collector/ha/lease.c) against a real PostgreSQL 15.

Three contenders (build/bin/lease_node, one process each, lease 4 s),
each reaching PostgreSQL through its own TCP proxy (one of them by the
host name localhost, resolved off the loop), print every change
of role with the wall clock ("lead <node> <epoch> <ms>", "follow ...").
From those lines the test lays the nodes' leadership intervals side by
side (same host, same clock) and asserts that no two ever overlap, in
every phase:

- start: exactly one leader, at every sample;
- kill -9 of the leader: another leads within lease + 2 s of the kill,
  with epoch + 1;
- the leader's link to PostgreSQL frozen (the proxy black-holes it; the
  process lives): it steps down on its own before another takes over,
  and the other leads within lease + 2 s of the freeze, epoch + 1; after
  the thaw the old leader stays a follower;
- the fence: pharos_lease_fence(epoch) succeeds for the current epoch
  and fails with SQLSTATE PHL01 for an old one;
- a fenced write in progress (pharos_lease_fence in an open transaction)
  holds off the takeover after its leader died, which follows the
  commit with epoch + 1;
- SIGTERM of the leader hands the lease back: the next leader does not
  wait for the lease to run out;
- a conninfo that libpq cannot parse is refused at start.
"""
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pharos_harness import Harness, Results, skip, wait_for  # noqa: E402
from pgserver import PG_BIN, PgServer, available  # noqa: E402
from tcpproxy import TcpProxy  # noqa: E402

LEASE_MS = 4000
NODES = ("n1", "n2", "n3")


def events(h):
    """[(kind, node, epoch, wall_ms)] from every node's log, by time."""
    out = []
    for r in h.runs:
        if not r.log:
            continue
        with open(r.log, errors="replace") as f:
            for line in f:
                p = line.split()
                if len(p) == 4 and p[0] in ("lead", "follow"):
                    out.append((p[0], p[1], int(p[2]), int(p[3])))
    return sorted(out, key=lambda e: e[3])


def intervals(h, deaths):
    """{node: [(start_ms, end_ms or None)]}; a node killed while leading
    ends its interval at its death (deaths: node -> [wall ms], a node
    may be restarted and killed again)."""
    iv = {n: [] for n in NODES}
    evs = events(h) + [("death", n, 0, at)
                       for n, ats in deaths.items() for at in ats]
    for kind, node, _epoch, at in sorted(evs, key=lambda e: e[3]):
        cur = iv[node]
        if kind == "lead":
            if cur and cur[-1][1] is None:
                continue  # a new epoch while leading: still one interval
            cur.append([at, None])
        elif cur and cur[-1][1] is None:
            cur[-1][1] = at
    return iv


def alive(h):
    return [n for n in NODES if n in h.procs and h.procs[n].poll() is None]


def overlaps(iv):
    far = 1 << 62
    flat = [(s, e if e is not None else far, n)
            for n, lst in iv.items() for s, e in lst]
    flat.sort()
    bad = []
    for (s1, e1, n1), (s2, e2, n2) in zip(flat, flat[1:]):
        if s2 < e1:
            bad.append(f"{n1} [{s1}, {e1}) and {n2} [{s2}, {e2})")
    return bad


def leaders_now(h, deaths):
    return [n for n, lst in intervals(h, deaths).items()
            if lst and lst[-1][1] is None and n in alive(h)]


def last_lead(h, node=None, after_ms=0):
    for kind, n, epoch, at in reversed(events(h)):
        if kind == "lead" and at >= after_ms and (node is None or n == node):
            return n, epoch, at
    return None


def start_node(h, pg, proxies, n):
    # n2 names its database by host name: resolved off the loop
    # (uv_getaddrinfo), every address tried in turn.
    host = "localhost" if n == "n2" else "127.0.0.1"
    h._start(n, [h.bin("lease_node"),
                 pg.conninfo(port=proxies[n].port, host=host), n,
                 str(LEASE_MS)])


def main():
    if not available():
        skip("PostgreSQL 15 binaries not installed "
             "(scripts/install-deps.sh --test)")
    r = Results()
    h = Harness("lease")
    pg = PgServer(auth="trust")
    proxies = {}
    deaths = {n: [] for n in NODES}
    try:
        pg.start()
        p = subprocess.run([h.bin("lease_node"), "hostt=x port=1", "n0",
                            str(LEASE_MS)], capture_output=True, text=True,
                           timeout=30)
        r.check("a conninfo libpq cannot parse is refused at start",
                p.returncode == 1 and "not valid" in p.stderr and
                "hostt" in p.stderr, (p.returncode, p.stderr))
        for n in NODES:
            proxies[n] = TcpProxy(pg.port).start()
            start_node(h, pg, proxies, n)

        # 1. Start: one leader, and only one at every sample.
        wait_for(lambda: len(leaders_now(h, deaths)) == 1, 15,
                 "a first leader")
        counts = set()
        for _ in range(15):
            counts.add(len(leaders_now(h, deaths)))
            time.sleep(0.2)
        r.check("start: exactly one leader at every sample", counts == {1},
                f"leader counts seen: {sorted(counts)}")
        row = pg.psql("SELECT holder, epoch FROM pharos_lease", db=pg.dbname)
        first, e1, _ = last_lead(h)
        r.check("start: the lease row names the leader and its epoch",
                row == f"{first}|{e1}", f"row {row!r}, leader {first} {e1}")

        # 2. kill -9 the leader.
        t_kill = int(time.time() * 1000)
        h.kill(first)
        deaths[first].append(t_kill)
        wait_for(lambda: last_lead(h, after_ms=t_kill) is not None,
                 LEASE_MS / 1000 + 10, "a leader after the kill")
        second, e2, t2 = last_lead(h, after_ms=t_kill)
        took = t2 - t_kill
        print(f"kill -9: {second} leads {took} ms after the kill "
              f"(lease {LEASE_MS} ms)", flush=True)
        r.check("kill -9: a new leader within lease + 2 s",
                took <= LEASE_MS + 2000, f"{took} ms")
        r.check("kill -9: the new leader's epoch is the old one + 1",
                e2 == e1 + 1, f"{e1} -> {e2}")

        # 3. The leader loses the database, not its process.
        t_freeze = int(time.time() * 1000)
        proxies[second].freeze()
        wait_for(lambda: last_lead(h, after_ms=t_freeze) is not None,
                 LEASE_MS / 1000 + 10, "a leader after the freeze")
        third, e3, t3 = last_lead(h, after_ms=t_freeze)
        downs = [e for e in events(h) if e[0] == "follow" and
                 e[1] == second and e[3] >= t_freeze]
        t_down = downs[0][3] if downs else None
        print(f"freeze: {second} stepped down "
              f"{None if t_down is None else t_down - t_freeze} ms after "
              f"the freeze, {third} leads {t3 - t_freeze} ms after it",
              flush=True)
        r.check("freeze: the cut-off leader stepped down by itself",
                t_down is not None)
        r.check("freeze: ... before another node took the lease",
                t_down is not None and t_down < t3,
                f"down at {t_down}, new leader at {t3}")
        r.check("freeze: another node leads within lease + 2 s",
                third != second and t3 - t_freeze <= LEASE_MS + 2000,
                f"{third} after {t3 - t_freeze} ms")
        r.check("freeze: epoch + 1", e3 == e2 + 1, f"{e2} -> {e3}")
        proxies[second].thaw()
        # The thawed node reconnects, tries to renew its old epoch and
        # learns that the lease is another's.
        wait_for(lambda: "no longer holds the lease" in
                 open(h.logs[second], errors="replace").read(),
                 LEASE_MS / 1000 + 10, f"{second} to hear it lost")
        r.check("thaw: the old leader stays a follower, one leader",
                leaders_now(h, deaths) == [third],
                f"leaders {leaders_now(h, deaths)}")

        # 4. The fence, as the store's leader-only writes use it.
        rc, out = pg.psql_rc(f"BEGIN; SELECT pharos_lease_fence({e3}); "
                             "COMMIT;")
        r.check("fence: the current epoch passes", rc == 0, out)
        rc, out = pg.psql_rc(
            "DO $$ BEGIN"
            f" PERFORM pharos_lease_fence({e2});"
            " RAISE EXCEPTION 'an old epoch passed the fence';"
            " EXCEPTION WHEN SQLSTATE 'PHL01' THEN"
            " RAISE NOTICE 'fenced: PHL01'; END $$")
        r.check("fence: an old epoch fails with SQLSTATE PHL01",
                rc == 0 and "fenced: PHL01" in out, out)

        # 5. A fenced write in progress holds off a takeover: its share
        # lock on the lease row makes the next leader wait for its commit.
        start_node(h, pg, proxies, first)  # a contender again
        wait_for(lambda: sorted(alive(h)) == sorted(NODES), 10,
                 f"{first} restarted")
        writer = subprocess.Popen(
            [os.path.join(PG_BIN, "psql"), "-X", "-At", "-v",
             "ON_ERROR_STOP=1", "-d", pg.conninfo()],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True)
        writer.stdin.write(f"BEGIN;\nSELECT pharos_lease_fence({e3});\n"
                           "SELECT 'fenced-' || 'ok';\n")
        writer.stdin.flush()
        fenced = False
        while not fenced:
            line = writer.stdout.readline()
            if not line:
                break
            fenced = line.strip() == "fenced-ok"
        r.check("fence: a write of the current epoch holds the fence",
                fenced)
        t_kill = int(time.time() * 1000)
        h.kill(third)
        deaths[third].append(t_kill)
        # Absence over time: past the lease and a follower's next try.
        time.sleep(LEASE_MS / 1000 + 2)
        r.check("fence: no takeover while the fenced write is open "
                "(lease + 2 s after the leader died)",
                last_lead(h, after_ms=t_kill) is None,
                last_lead(h, after_ms=t_kill))
        t_commit = int(time.time() * 1000)
        writer.stdin.write("COMMIT;\n")
        writer.stdin.close()
        writer.wait(timeout=30)
        wait_for(lambda: last_lead(h, after_ms=t_kill) is not None,
                 LEASE_MS / 1000 + 10, "a leader after the commit")
        fourth, e4, t4 = last_lead(h, after_ms=t_kill)
        print(f"fence: {fourth} leads {t4 - t_commit} ms after the fenced "
              "write committed", flush=True)
        r.check("fence: the takeover follows the commit, epoch + 1",
                t4 >= t_commit and e4 == e3 + 1, (t4, t_commit, e3, e4))

        # 6. A clean stop hands the lease back.
        third, e3 = fourth, e4
        t_term = int(time.time() * 1000)
        h.stop(third, signal.SIGTERM)
        deaths[third].append(int(time.time() * 1000))
        wait_for(lambda: last_lead(h, after_ms=t_term) is not None,
                 LEASE_MS / 1000 + 10, "a leader after SIGTERM")
        fourth, e4, t4 = last_lead(h, after_ms=t_term)
        print(f"SIGTERM: {fourth} leads {t4 - t_term} ms after it",
              flush=True)
        r.check("SIGTERM: the lease is handed back (next leader sooner "
                "than the lease)", t4 - t_term < LEASE_MS,
                f"{t4 - t_term} ms")
        r.check("SIGTERM: epoch + 1", e4 == e3 + 1, f"{e3} -> {e4}")

        # Over the whole run: never two leaders at once.
        bad = overlaps(intervals(h, deaths))
        r.check("never two leaders at once (all intervals, all phases)",
                not bad, "; ".join(bad))
    except Exception:
        print(pg.log_tail(), flush=True)
        raise
    finally:
        for p in proxies.values():
            p.close()
        h.stop_all()
        pg.stop()
    return r.finish()


if __name__ == "__main__":
    sys.exit(main())
