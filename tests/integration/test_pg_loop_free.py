#!/usr/bin/env python3
"""No PostgreSQL round trip blocks the collector's loop (issue #14 item 1).

A real PostgreSQL 15 (lib/pgserver.py) behind lib/tcpproxy.py, a
collector with `store:` on it (through the proxy), a real agent probing a
target, a webhook subscriber whose endpoint fails at first (so the outbox
keeps a message that is retried every second), and the uptime checkpoint
(every 60 s after start) due while the database is frozen:

- the proxy is frozen (nothing forwarded, nothing closed: the database
  neither answers nor fails) for 14 s around an uptime checkpoint,
  while the outbox worker retries its message and a batch waits for its
  commit;
- throughout, GET /healthz, /api/v2/summary.json and the page each answer
  within 1 s (a functional bound on a freeze of seconds: a loop that
  waits for the database answers nothing until the thaw);
- after the thaw: the batch posted during the freeze is acked and stored,
  every acked batch is in the database (nothing acked is lost), the
  outbox delivers the message once, the uptime checkpoint is stored;
- with subscribers and the outbox locked (ACCESS EXCLUSIVE) the target
  recovers: the status change is shown while its fan-out waits in the
  database, requests keep answering within 1 s, and the recovery's
  webhook goes out once the locks are released;
- a reload (SIGHUP) asked during the freeze waits for the database
  (requests keep answering) and is made after the thaw;
- a reload (SIGHUP) checkpoints the uptime again without losing what
  was accounted before it.
"""
import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import pgserver  # noqa: E402
from pbwire import batch, result  # noqa: E402
from pharos_harness import (Harness, Results, free_port, http_get,  # noqa: E402
                            serve_switchable, skip, wait_for, wait_until)
from tcpproxy import TcpProxy  # noqa: E402

KEY = "ph_admin_" + "f" * 32
FREEZE_S = 14
CHECKPOINT_S = 60  # rollup.c ROLLUP_CHECKPOINT_MS


class Receiver:
    """A webhook endpoint: 500 while `fail` is set, then 200; records
    (status, webhook-id) of every POST."""

    def __init__(self):
        self.fail = True
        self.seen = []
        self.lock = threading.Lock()
        rec = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                self.rfile.read(n)
                status = 500 if rec.fail else 200
                with rec.lock:
                    rec.seen.append((status, self.headers.get("webhook-id")))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def url(self):
        return f"http://127.0.0.1:{self.port}/hook"

    def count(self, status):
        with self.lock:
            return sum(1 for s, _ in self.seen if s == status)

    def ids(self, status):
        with self.lock:
            return [i for s, i in self.seen if s == status]


def main():
    if not pgserver.available():
        skip(f"PostgreSQL 15 server binaries not found in {pgserver.PG_BIN} "
             "(scripts/install-deps.sh --test installs postgresql-15)")
    res = Results()
    tport = free_port()
    target, tstate = serve_switchable(tport)
    rec = Receiver()
    pg = pgserver.PgServer()
    proxy = None
    h = Harness("pg_loop_free")
    os.environ["PH_PG_ADMIN_KEY"] = KEY
    try:
        pg.start()
        proxy = TcpProxy(pg.port).start()
        dsn = f"postgresql://pharos@127.0.0.1:{proxy.port}/{pg.dbname}"
        with open(os.path.join(h.dir, "pg.pw"), "w") as f:
            f.write(pg.password + "\n")
        h.write_config(["r1", "r2"], f"""
components:
  - id: api
    name: API
    checks:
      - {{id: api-http, type: http, url: "http://127.0.0.1:{tport}/",
          interval: 1s, timeout: 500ms, fail_after: 1, recover_after: 1,
          regions: [r1]}}
  - id: web
    name: Web
""", extra_yaml=(f'store: "{dsn}"\n'
                 "store_password_file: pg.pw\n"
                 "api_keys:\n"
                 "  - {name: ops, scope: admin, token_env: PH_PG_ADMIN_KEY}\n"
                 "incidents:\n  auto: off\n"
                 "notify:\n  allow_private_targets: true\n"
                 "  retry_base: 500ms\n  retry_max: 1s\n"
                 "  quarantine_after: 1000\n"))
        h.start_collector()
        started = time.monotonic()
        h.start_agent("r1")

        def rows(sql):
            return pg.psql(sql, db=pg.dbname)

        wait_for(lambda: h.region_states("api-http").get("r1") == "up", 30,
                 "api-http up in r1")
        code, out = http_get(h.url("/api/v2/subscribers.json"), "POST",
                             data=json.dumps({"subscriber": {
                                 "endpoint": rec.url()}}).encode(),
                             headers={"Content-Type": "application/json"},
                             ok_codes=None)
        res.check("a webhook subscriber signs up", code == 201, (code, out))

        # An outage: its component.updated message fails and is retried.
        tstate["ok"] = False
        res.check("the outage is shown",
                  wait_until(lambda: {c["id"]: c["status"] for c in json.loads(
                      http_get(h.url("/api/v2/summary.json"))[1])
                      ["components"]}.get("api") == "major_outage", 30))
        res.check("the webhook is tried and fails (the outbox has work)",
                  wait_until(lambda: rec.count(500) >= 2, 30),
                  rec.seen)

        tok = h.tokens["r2"]

        def post(seq, n, timeout=5):
            now = int(time.time() * 1000)
            body = batch(seq, [result("api-http", now - 2000 + i)
                               for i in range(n)])
            return http_get(h.url("/v1/agent/results"), method="POST",
                            data=body, ok_codes=None, timeout=timeout,
                            headers={"Authorization": "Bearer " + tok,
                                     "Content-Type":
                                     "application/x-protobuf"})

        code, ack = post(1, 3)
        res.check("a batch is acked before the freeze",
                  code == 200 and ack[:2] == b"\x08\x01", (code, ack))

        # Freeze so that an uptime checkpoint (every 60 s from the start)
        # falls inside: the first one still ahead by half a freeze.
        k = 1
        while started + k * CHECKPOINT_S - FREEZE_S / 2 < time.monotonic():
            k += 1
        time.sleep(started + k * CHECKPOINT_S - FREEZE_S / 2 -
                   time.monotonic())
        proxy.freeze()
        frozen_at = time.monotonic()
        during = {}

        def post_during():
            during["reply"] = post(2, 4, timeout=FREEZE_S + 60)

        poster = threading.Thread(target=post_during)
        poster.start()
        hup_sent = False
        slow = []
        probes = 0
        paths = ("/healthz", "/api/v2/summary.json", "/")
        while time.monotonic() - frozen_at < FREEZE_S:
            if not hup_sent and time.monotonic() - frozen_at >= 1:
                # A reload reads the API's components on the loop's
                # connection: asked of a database that hangs (the
                # proxy's pumps let data through for up to 0.1 s after
                # the freeze), it must wait for it, not block the loop.
                h.procs["collector"].send_signal(signal.SIGHUP)
                hup_sent = True
            for p in paths:
                t0 = time.monotonic()
                try:
                    code, _ = http_get(h.url(p), ok_codes=None, timeout=1)
                except Exception as e:  # a timeout: the loop is stuck
                    code = repr(e)
                probes += 1
                if code != 200:
                    slow.append((p, round(t0 - frozen_at, 1), code))
            time.sleep(0.2)
        res.check(f"during a {FREEZE_S} s freeze of the database /healthz, "
                  f"summary.json and the page each answered within 1 s "
                  f"({probes} requests)", not slow, slow[:10])
        res.check("the batch posted during the freeze waits for its commit",
                  "reply" not in during, during)
        rec.fail = False
        proxy.thaw()

        poster.join(FREEZE_S + 70)
        code, ack = during.get("reply", (None, b""))
        res.check("after the thaw the waiting batch is acked",
                  code == 200 and ack[:2] == b"\x08\x02", (code, ack))
        n_r2 = rows("SELECT count(*) FROM results WHERE agent_id = "
                    "'agent-r2'")
        res.check("nothing acked is lost: both batches stored once",
                  n_r2 == "7", n_r2)
        res.check("the agent's acked results are all stored",
                  int(rows("SELECT coalesce(max(last_seq), 0) FROM agents "
                           "WHERE agent_id = 'agent-r1'")) > 0)
        res.check("the outbox delivers the message after the thaw",
                  wait_until(lambda: rec.count(200) >= 1, 30), rec.seen)
        res.check("and it is delivered once",
                  wait_until(lambda: h.outbox_drained(), 30) and
                  len(set(rec.ids(200))) == len(rec.ids(200)) == 1,
                  rec.seen)
        res.check("the message retried keeps its webhook-id",
                  set(rec.ids(500)) == set(rec.ids(200)), rec.seen)
        res.check("the uptime checkpoint due in the freeze is stored",
                  wait_until(lambda: int(rows(
                      "SELECT count(*) FROM uptime_state WHERE component_id "
                      "= 'api'")) == 1, 30))
        res.check("the collector serves after the thaw",
                  http_get(h.url("/healthz"), ok_codes=None)[0] == 200)

        def log_text():
            with open(h.logs["collector"], errors="replace") as f:
                return f.read()

        res.check("the reload asked in the freeze said it waits for the "
                  "database, and was made after the thaw",
                  "reload: waits for the database" in log_text() and
                  wait_until(lambda: "reload: " + h.conf_path + ":" in
                             log_text(), 30),
                  log_text()[-2000:])

        # ---- a status change while its notification cannot be stored ----
        # Subscribers and the outbox locked against readers too: the
        # recovery's fan-out (subscriber read, enqueue) waits in the
        # database, the page shows the recovery meanwhile.
        session = pg.hold_locks(["subscribers", "outbox"],
                                mode="ACCESS EXCLUSIVE")
        stuck = []
        try:
            tstate["ok"] = True

            def recovered():
                for p in paths:
                    try:
                        code, body = http_get(h.url(p), ok_codes=None,
                                              timeout=1)
                    except Exception as e:
                        stuck.append((p, repr(e)))
                        return False
                    if code != 200:
                        stuck.append((p, code))
                        return False
                    if p == "/api/v2/summary.json":
                        comp = {c["id"]: c["status"] for c in
                                json.loads(body)["components"]}
                        if comp.get("api") != "operational":
                            return False
                return True

            res.check("with subscribers and the outbox locked the recovery "
                      "is shown, every request answered within 1 s",
                      wait_until(recovered, 30) and not stuck, stuck[:10])
            res.check("the recovery's webhook is not sent yet",
                      rec.count(200) == 1, rec.seen)
        finally:
            pg.release_locks(session)
        res.check("once the locks go the recovery's webhook is delivered",
                  wait_until(lambda: rec.count(200) == 2, 30), rec.seen)
        res.check("each delivered message has its own webhook-id",
                  len(set(rec.ids(200))) == 2, rec.seen)

        # ---- a reload keeps the uptime accounted so far ----
        def accounted():
            out = rows("SELECT last_s || ' ' || (operational_s + degraded_s "
                       "+ partial_s + major_s + maintenance_s + nodata_s) "
                       "FROM uptime_state WHERE component_id = 'api'")
            last, total = (int(x) for x in out.split())
            return last, total

        before = accounted()
        # The state is kept in whole seconds and the reload in the freeze
        # checkpointed it moments ago: a reload within the same second
        # has nothing new to account. Let the wall clock pass it first.
        wait_until(lambda: time.time() >= before[0] + 1.05, 5)
        h.procs["collector"].send_signal(signal.SIGHUP)
        res.check("after a reload the uptime state is checkpointed again, "
                  "with no second accounted before it lost",
                  wait_until(lambda: accounted()[0] > before[0] and
                             accounted()[1] >= before[1], 30),
                  (before, accounted()))
        res.check("and the collector serves",
                  http_get(h.url("/api/v2/uptime.json"),
                           ok_codes=None)[0] == 200)
    finally:
        h.stop_all()
        if proxy is not None:
            proxy.close()
        target.shutdown()
        rec.srv.shutdown()
        pg.stop()
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
