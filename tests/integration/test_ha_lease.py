#!/usr/bin/env python3
"""Two collectors with `ha:` on one PostgreSQL 15: one leader, failover.

Both collectors (separate state dirs: until the PostgreSQL store lands,
only the lease is shared) name the same PostgreSQL, started by the test
(lib/pgserver.py), with a 4 s lease.

- config: `ha:` prints back with -nv (node_id, lease); an unknown key in
  it is a file:line:col error; `ha:` without `database` is refused;
- exactly one leader at every sample of both /healthz (role, epoch), and
  /metrics agrees (pharos_leader, pharos_lease_epoch);
- the follower does not act: a maintenance window created through its
  API and due at once stays "scheduled" there while it follows, and the
  webhook notification of an incident created through it is not sent;
- kill -9 of the leader: the follower leads within lease + 2 s (asserted
  with a generous margin for the 100 ms sampling; the figure is
  printed), with epoch + 1, and then acts: the maintenance starts and
  the webhook is delivered, once;
- the killed collector restarted follows (the lease is held), and a
  SIGTERM of the leader hands the lease over before it would run out;
- the leader loses PostgreSQL but not its readers (its TCP proxy to the
  database black-holed): it says follower on /healthz, with the lease
  database down, and the other leads within lease + 2 s, epoch + 1;
  after the thaw it stays a follower;
- over the whole run, the leadership intervals in both collectors' logs
  ("lease: <node> is the leader" .. "steps down", or the kill) never
  overlap.
"""
import json
import os
import re
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pharos_harness import (Harness, Results, http_get, skip,  # noqa: E402
                            wait_for, wait_until)
from pgserver import PgServer, available  # noqa: E402
from tcpproxy import TcpProxy  # noqa: E402

LEASE_S = 4
KEY = "ha-test-write-key-0123456789abcdef"

COMPONENTS = """components:
  - id: api
    name: API
  - id: db
    name: Database
"""


class Receiver:
    """A webhook endpoint on loopback recording every POST: (webhook-id,
    body text)."""

    def __init__(self):
        self.paths = []
        self.msgs = []
        rec = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = self.rfile.read(
                    int(self.headers.get("Content-Length", 0)))
                rec.msgs.append((self.headers.get("webhook-id"),
                                 body.decode(errors="replace")))
                rec.paths.append(self.path)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def close(self):
        self.srv.shutdown()


def ha_yaml(pg, node, port=None, extra=""):
    return ("notify:\n  allow_private_targets: true\n  coalesce: 0s\n"
            f"ha:\n  database: \"{pg.conninfo(port=port)}\"\n"
            f"  lease: {LEASE_S}s\n"
            f"  node_id: {node}\n{extra}"
            "api_keys:\n  - {name: ci, scope: write, token_env: PH_HA_KEY}\n")


def health(h):
    """{'role': 'leader'|'follower', 'epoch': int, ...} from /healthz."""
    code, body = http_get(h.url("/healthz"), ok_codes=None, timeout=2)
    out = {"code": code}
    for line in body.decode().splitlines()[1:]:
        k, _, v = line.partition(": ")
        out[k] = v
    if "epoch" in out:
        out["epoch"] = int(out["epoch"])
    return out


def role(h):
    try:
        return health(h).get("role")
    except OSError:
        return None


LOG_RE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})Z .*"
                    r"lease: (\S+) (is the leader|steps down as leader)")


def log_ms(ts):
    return int(datetime.strptime(ts + "+0000", "%Y-%m-%dT%H:%M:%S.%f%z")
               .timestamp() * 1000)


def lead_intervals(hs, deaths):
    """[(start_ms, end_ms, node)] from every collector log; a run killed
    while leading ends at its kill (deaths: log path -> ms)."""
    out = []
    for h in hs.values():
        for r in h.runs:
            cur = None
            with open(r.log, errors="replace") as f:
                for line in f:
                    m = LOG_RE.match(line)
                    if not m:
                        continue
                    at, node, what = log_ms(m.group(1)), m.group(2), m.group(3)
                    if what == "is the leader" and cur is None:
                        cur = [at, None, node]
                    elif what == "steps down as leader" and cur is not None:
                        cur[1] = at
                        out.append(tuple(cur))
                        cur = None
            if cur is not None:
                cur[1] = deaths.get(r.log, 1 << 62)
                out.append(tuple(cur))
    return sorted(out)


def check_config(res, h, pg):
    exe = h.bin("pharos-collector")
    env = dict(os.environ, PH_HA_KEY=KEY)
    p = subprocess.run([exe, "-nv", "-c", h.conf_path], capture_output=True,
                       text=True, timeout=30, env=env)
    res.check("-nv prints the ha: section",
              p.returncode == 0 and "ha:" in p.stdout and
              'node_id: "c1"' in p.stdout and "lease: 4000ms" in p.stdout,
              p.stdout[-600:] + p.stderr)
    bad = os.path.join(h.dir, "bad.yml")
    with open(h.conf_path) as f:
        text = f.read()
    with open(bad, "w") as f:
        f.write(text.replace("  lease: 4s\n", "  lease: 4s\n  leese: 5s\n"))
    p = subprocess.run([exe, "--check", "-c", bad], capture_output=True,
                       text=True, timeout=30, env=env)
    line = text[:text.index("  lease: 4s")].count("\n") + 2
    res.check("an unknown key in ha: is a file:line:col error",
              p.returncode != 0 and f"bad.yml:{line}:3:" in p.stderr and
              "leese" in p.stderr, p.stderr)
    with open(bad, "w") as f:
        f.write(re.sub(r"^  database: .*\n", "", text, flags=re.M))
    p = subprocess.run([exe, "--check", "-c", bad], capture_output=True,
                       text=True, timeout=30, env=env)
    res.check("ha: without database is refused",
              p.returncode != 0 and "database" in p.stderr, p.stderr)


def main():
    if not available():
        skip("PostgreSQL 15 binaries not installed "
             "(scripts/install-deps.sh --test)")
    res = Results()
    pg = PgServer(auth="trust")
    hs = {"c1": Harness("ha-c1"), "c2": Harness("ha-c2")}
    env = dict(os.environ, PH_HA_KEY=KEY)
    proxies = {}
    deaths = {}
    rec = Receiver()
    try:
        pg.start()
        for node, h in hs.items():
            # Each reaches PostgreSQL through a proxy the test can freeze.
            proxies[node] = TcpProxy(pg.port).start()
            h.write_config(["r1"], COMPONENTS, extra_yaml=ha_yaml(
                pg, node, port=proxies[node].port))
        check_config(res, hs["c1"], pg)
        for h in hs.values():
            h.start_collector(env=env)

        wait_for(lambda: sorted(role(h) for h in hs.values()) ==
                 ["follower", "leader"], 15, "one leader and one follower")
        seen = set()
        for _ in range(20):
            seen.add(tuple(sorted(role(h) or "?" for h in hs.values())))
            time.sleep(0.1)
        res.check("exactly one leader at every sample of both /healthz",
                  seen == {("follower", "leader")}, sorted(seen))
        lead = next(n for n, h in hs.items() if role(h) == "leader")
        foll = "c2" if lead == "c1" else "c1"
        L, F = hs[lead], hs[foll]
        e1 = health(L)["epoch"]
        res.check("/metrics: pharos_leader 1 and 0, the leader's epoch",
                  L.metric("pharos_leader") == 1 and
                  F.metric("pharos_leader") == 0 and
                  L.metric("pharos_lease_epoch") == e1,
                  (L.metric("pharos_leader"), F.metric("pharos_leader"),
                   L.metric("pharos_lease_epoch"), e1))
        res.check("/healthz: since and node", health(L).get("node") == lead
                  and health(L).get("since", "").endswith("Z"), health(L))

        # The follower serves the leader's documents (docshare): an
        # incident written through the leader shows in the follower's feed.
        code, body = http_get(
            L.url("/v1/pages/itest/incidents"), method="POST",
            data=json.dumps({"incident": {
                "name": "Shared through the database",
                "status": "investigating", "body": "x"}}).encode(),
            headers={"Authorization": "OAuth " + KEY,
                     "Content-Type": "application/json"}, ok_codes=None)
        shared_id = json.loads(body)["id"] if code == 201 else "?"

        def follower_has_it():
            doc = json.loads(http_get(F.url("/api/v2/incidents.json"))[1])
            return any(i["id"] == shared_id for i in doc["incidents"])
        t0 = time.time()
        ok = wait_until(follower_has_it, 10)
        print(f"leader's incident in the follower's feed after "
              f"{time.time() - t0:.2f} s")
        res.check("the follower serves the leader's documents", ok,
                  health(F))
        res.check("/healthz of the follower: documents in step",
                  health(F).get("documents") == "in step with the leader",
                  health(F))

        # The follower serves and takes writes, but does not act.
        now = datetime.now(timezone.utc)
        code, body = http_get(
            F.url("/v1/pages/itest/incidents"), method="POST",
            data=json.dumps({"incident": {
                "name": "Failover drill", "status": "scheduled",
                "scheduled_for": (now + timedelta(seconds=1)).isoformat(),
                "scheduled_until": (now + timedelta(hours=1)).isoformat(),
                "scheduled_auto_in_progress": True,
                "component_ids": ["db"]}}).encode(),
            headers={"Authorization": "OAuth " + KEY,
                     "Content-Type": "application/json"}, ok_codes=None)
        res.check("the follower takes a v1 write", code == 201, body[:300])
        mid = json.loads(body)["id"] if code == 201 else None

        def maint_status(h):
            # The collector's own state, through the v1 API: a follower's
            # public documents are the leader's (docshare), and until the
            # PostgreSQL store is shared each collector keeps its own.
            code, body = http_get(
                h.url(f"/v1/pages/itest/incidents/{mid}"),
                headers={"Authorization": "OAuth " + KEY}, ok_codes=None)
            return [json.loads(body)["status"]] if code == 200 else [code]

        code, body = http_get(
            F.url("/api/v2/subscribers.json"), method="POST",
            data=json.dumps({"subscriber": {
                "endpoint": f"http://127.0.0.1:{rec.port}/hook"}}).encode(),
            headers={"Content-Type": "application/json"}, ok_codes=None)
        res.check("the follower takes a webhook sign-up", code == 201,
                  body[:300])
        code, body = http_get(
            F.url("/v1/pages/itest/incidents"), method="POST",
            data=json.dumps({"incident": {
                "name": "Failover drill incident", "status": "investigating",
                "body": "Testing", "component_ids": ["api"]}}).encode(),
            headers={"Authorization": "OAuth " + KEY,
                     "Content-Type": "application/json"}, ok_codes=None)
        res.check("the follower takes an incident", code == 201, body[:300])

        # Three ticks past its start: a leader would have started it, and
        # would have sent the webhook.
        time.sleep(3)
        res.check("the follower does not start a due maintenance",
                  maint_status(F) == ["scheduled"], maint_status(F))
        res.check("the follower sends no notification (held in its outbox)",
                  rec.paths == [] and not F.outbox_drained(),
                  (rec.paths, F.metric("pharos_notify_outbox_backlog")))

        # kill -9 the leader.
        t_kill = time.time()
        deaths[L.logs["collector"]] = int(t_kill * 1000)
        L.kill("collector")
        wait_until(lambda: role(F) == "leader", LEASE_S + 15, 0.1)
        took = time.time() - t_kill
        print(f"kill -9: {foll} leads {took:.2f} s after the kill "
              f"(lease {LEASE_S} s)", flush=True)
        res.check("kill -9: the follower leads within lease + 2 s "
                  "(+ 1 s margin)",
                  role(F) == "leader" and took <= LEASE_S + 3,
                  f"{took:.2f} s, role {role(F)}")
        res.check("kill -9: epoch + 1", health(F).get("epoch") == e1 + 1,
                  (e1, health(F)))
        res.check("the new leader acts: the due maintenance starts",
                  wait_until(lambda: maint_status(F) == ["in_progress"], 10),
                  maint_status(F))
        wait_until(lambda: rec.paths and F.outbox_drained(), 15)
        ids = [i for i, _ in rec.msgs]
        res.check("the new leader sends the held messages, each once (the "
                  "incident's among them)",
                  ids and len(set(ids)) == len(ids) and
                  sum("Failover drill incident" in b for _, b in rec.msgs)
                  == 1, [(i, b[:80]) for i, b in rec.msgs])

        # The old leader comes back as a follower.
        L.start_collector(env=env)
        wait_for(lambda: role(L) == "follower", 15, "restarted follower")
        seen = set()
        for _ in range(10):
            seen.add((role(L), role(F)))
            time.sleep(0.1)
        res.check("restarted: it follows, one leader",
                  seen == {("follower", "leader")}, sorted(seen))

        # A clean stop hands the lease over.
        e2 = health(F)["epoch"]
        t_term = time.time()
        F.stop("collector")
        wait_until(lambda: role(L) == "leader", LEASE_S + 15, 0.1)
        took = time.time() - t_term
        print(f"SIGTERM: {lead} leads {took:.2f} s after it", flush=True)
        res.check("SIGTERM: the lease is handed over before it runs out",
                  role(L) == "leader" and took < LEASE_S,
                  f"{took:.2f} s, role {role(L)}")
        res.check("SIGTERM: epoch + 1", health(L).get("epoch") == e2 + 1,
                  (e2, health(L)))

        # The leader loses PostgreSQL, not its readers.
        F.start_collector(env=env)
        wait_for(lambda: role(F) == "follower", 15, "restarted follower")
        e3 = health(L)["epoch"]
        t_freeze = time.time()
        proxies[lead].freeze()
        down_at = up_at = None
        end = t_freeze + LEASE_S + 15
        while time.time() < end and (down_at is None or up_at is None):
            if down_at is None and role(L) == "follower":
                down_at = time.time()
            if up_at is None and role(F) == "leader":
                up_at = time.time()
            time.sleep(0.05)
        print(f"freeze: {lead} says follower "
              f"{None if down_at is None else round(down_at - t_freeze, 2)} s"
              f" after the freeze, {foll} leads "
              f"{None if up_at is None else round(up_at - t_freeze, 2)} s "
              "after it", flush=True)
        res.check("freeze: the cut-off leader steps down before the other "
                  "leads (both /healthz sampled)",
                  down_at is not None and up_at is not None and
                  down_at < up_at, (down_at, up_at))
        res.check("freeze: the other leads within lease + 2 s (+ 1 s "
                  "margin), epoch + 1",
                  up_at is not None and up_at - t_freeze <= LEASE_S + 3 and
                  health(F).get("epoch") == e3 + 1,
                  (up_at and up_at - t_freeze, e3, health(F)))
        res.check("freeze: the cut-off collector serves its page and says "
                  "the lease database is down",
                  http_get(L.url("/api/v2/summary.json"))[0] == 200 and
                  wait_until(lambda: health(L).get("lease database") ==
                             "down", 5), health(L))
        res.check("freeze: the cut-off collector says its documents are "
                  "stale, and since when (/healthz, /metrics)",
                  wait_until(lambda: health(L).get("documents", "")
                             .startswith("stale since 20"), 15) and
                  L.metric("pharos_documents_stale") == 1 and
                  L.metric("pharos_documents_stale_since_seconds") > 0,
                  (health(L), L.metric("pharos_documents_stale")))
        proxies[lead].thaw()
        wait_for(lambda: "no longer holds the lease" in
                 open(L.logs["collector"], errors="replace").read(),
                 LEASE_S + 15, f"{lead} to hear it lost the lease")
        res.check("thaw: it stays a follower, one leader",
                  (role(L), role(F)) == ("follower", "leader"),
                  (role(L), role(F)))

        # Never two leaders, by the collectors' own log lines.
        iv = lead_intervals(hs, deaths)
        bad = [f"{a} and {b}" for a, b in zip(iv, iv[1:]) if b[0] < a[1]]
        res.check(f"never two leaders at once ({len(iv)} leadership "
                  "intervals in the logs)", len(iv) >= 4 and not bad,
                  bad or iv)
    except Exception:
        print(pg.log_tail(), flush=True)
        raise
    finally:
        rec.close()
        for p in proxies.values():
            p.close()
        for h in hs.values():
            h.stop_all()
        pg.stop()
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
