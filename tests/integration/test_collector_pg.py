#!/usr/bin/env python3
"""A whole collector on PostgreSQL (issue #14, items 1 and 2, storage):
a real PostgreSQL 15 started by the test (lib/pgserver.py), pharos.yml
with `store: postgresql://...` and `store_password_file:`.

- latency.json is served from the response-time rollups in PostgreSQL
  (merged in the group commits), with both agents' points;

- two real agents' batches are acked and stored in PostgreSQL, the page,
  summary.json and the other documents are served from it;
- a hand-made batch (agent, seq) acked by collector A and then replayed
  to a SECOND collector B on the same database is acked by B (acked_seq
  the same) and stored once; the same next batch posted to A and B at
  the same moment is acked by both and stored once;
- an incident created through the v1 API on A survives A's restart, and
  B, restarted, shows it too (both read the one database);
- the password is in no log line and no -nv output.
"""
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import pgserver  # noqa: E402
from pbwire import batch, result  # noqa: E402
from pharos_harness import (Harness, Results, free_port, http_get,  # noqa: E402
                            serve_target, skip, wait_for, wait_until)

KEY = "ph_admin_" + "p" * 32


def main():
    if not pgserver.available():
        skip(f"PostgreSQL 15 server binaries not found in {pgserver.PG_BIN} "
             "(scripts/install-deps.sh --test installs postgresql-15)")
    res = Results()
    tport = free_port()
    target = serve_target(tport)
    pg = pgserver.PgServer()
    a = Harness("collector_pg_a")
    b = Harness("collector_pg_b")
    os.environ["PH_PG_ADMIN_KEY"] = KEY
    try:
        pg.start()
        comps = f"""
components:
  - id: api
    name: API
    checks:
      - {{id: api-http, type: http, url: "http://127.0.0.1:{tport}/", interval: 1s, timeout: 500ms,
          fail_after: 1, recover_after: 1}}
  - id: web
    name: Web
"""

        def config(h):
            with open(os.path.join(h.dir, "pg.pw"), "w") as f:
                f.write(pg.password + "\n")
            extra = (f'store: "{pg.dsn}"\n'
                     "store_password_file: pg.pw\n"
                     "api_keys:\n"
                     "  - {name: ops, scope: admin, token_env: PH_PG_ADMIN_KEY}\n")
            h.write_config(["r1", "r2", "r3"], comps, extra_yaml=extra)

        config(a)
        b.tokens = dict(a.tokens)      # the same agents on both collectors
        config(b)
        a.start_collector()
        a.start_agent("r1")
        a.start_agent("r2")

        def rows(sql):
            return pg.psql(sql, db=pg.dbname)

        n_mig = len([f for f in os.listdir(os.path.join(
            os.path.dirname(__file__), "..", "..", "collector", "store",
            "migrations_pg")) if f.endswith(".sql")])
        res.check("the collector migrated the PostgreSQL database",
                  rows("SELECT max(version) FROM schema_version")
                  == str(n_mig))
        res.check("no sqlite file in state_dir",
                  not os.path.exists(os.path.join(a.dir, "state",
                                                  "pharos.db")))
        stored = wait_until(
            lambda: int(rows("SELECT count(DISTINCT agent_id) FROM results "
                             "WHERE check_id = 'api-http'")) == 2, 30)
        res.check("both agents' results are stored in PostgreSQL", stored,
                  rows("SELECT agent_id, count(*) FROM results GROUP BY 1"))
        wait_for(lambda: a.region_states("api-http") ==
                 {"r1": "up", "r2": "up", "r3": "stale"} or
                 a.region_states("api-http").get("r1") == "up", 20,
                 "api-http up")
        summary = json.loads(http_get(a.url("/api/v2/summary.json"))[1])
        comp = {c["id"]: c["status"] for c in summary["components"]}
        res.check("summary.json served, api operational",
                  comp.get("api") == "operational", comp)
        code, page = http_get(a.url("/"), ok_codes=None)
        res.check("the page is served", code == 200 and b"<html" in page,
                  code)
        code, _ = http_get(a.url("/api/v2/incidents.json"), ok_codes=None)
        res.check("incidents.json served", code == 200, code)

        # ---- response-time rollups in PostgreSQL ----
        def latency_points():
            code, body = http_get(a.url("/api/v2/latency.json?check=api-http"),
                                  ok_codes=None)
            if code != 200:
                return code, {}
            pts = {}
            for c in json.loads(body)["components"]:
                for k in c["checks"]:
                    for r in k["regions"]:
                        pts[r["region"]] = r["points"]
            return code, pts

        res.check("latency.json has both agents' response times on "
                  "PostgreSQL",
                  wait_until(lambda: all(sum(p[1] for p in
                                             latency_points()[1].get(r, []))
                                         > 0 for r in ("r1", "r2")), 20),
                  latency_points())
        # One snapshot: the rollups commit with the results they count.
        both = rows("SELECT (SELECT coalesce(sum(n), 0) FROM latency_rollups "
                    "WHERE period_s = 300) || ' ' || (SELECT count(*) FROM "
                    "result_rows WHERE outcome IN (1, 2)) || ' ' || (SELECT "
                    "coalesce(sum(n), 0) FROM latency_rollups WHERE period_s "
                    "= 3600)")
        n_fine, n_up, n_hourly = (int(x) for x in both.split())
        res.check("the rollups count each up result exactly once, in both "
                  "periods (merged across group commits, in the same "
                  "transaction as the results)",
                  0 < n_up == n_fine == n_hourly, both)

        # ---- exactly-once across collectors ----
        b.start_collector()
        tok = a.tokens["r3"]
        now = int(time.time() * 1000)
        body1 = batch(1, [result("api-http", now - 3000 + i) for i in range(3)])

        def post(h, body):
            return http_get(h.url("/v1/agent/results"), method="POST",
                            data=body, ok_codes=None,
                            headers={"Authorization": "Bearer " + tok,
                                     "Content-Type":
                                     "application/x-protobuf"})

        def r3_rows():
            return int(rows("SELECT count(*) FROM results WHERE agent_id = "
                            "'agent-r3'"))

        code_a, ack_a = post(a, body1)
        res.check("collector A acks agent-r3's batch 1",
                  code_a == 200 and ack_a[:2] == b"\x08\x01", (code_a, ack_a))
        res.check("A stored its 3 results", r3_rows() == 3, r3_rows())
        code_b, ack_b = post(b, body1)
        res.check("the same batch replayed to collector B is acked",
                  code_b == 200 and ack_b[:2] == b"\x08\x01", (code_b, ack_b))
        res.check("and not stored twice", r3_rows() == 3, r3_rows())

        body2 = batch(2, [result("api-http", now - 1000 + i) for i in range(4)])
        replies = {}
        go = threading.Barrier(2)

        def racer(name, h):
            go.wait()
            replies[name] = post(h, body2)

        ts = [threading.Thread(target=racer, args=(n, h))
              for n, h in (("a", a), ("b", b))]
        for t in ts:
            t.start()
        for t in ts:
            t.join(30)
        res.check("batch 2 posted to A and B at once: both ack seq 2",
                  all(replies.get(n, (0, b""))[0] == 200 and
                      replies[n][1][:2] == b"\x08\x02" for n in ("a", "b")),
                  replies)
        res.check("batch 2 stored once", r3_rows() == 7, r3_rows())
        res.check("agent-r3's last seq is 2",
                  rows("SELECT last_seq FROM agents WHERE agent_id = "
                       "'agent-r3'") == "2")

        # ---- an incident through the v1 API survives a restart ----
        code, inc = http_get(a.url("/v1/pages/itest/incidents"),
                             method="POST", ok_codes=None,
                             data=json.dumps({"incident": {
                                 "name": "Database \"move\" \u2713",
                                 "status": "identified",
                                 "body": "Moving to PostgreSQL.",
                                 "components": {"web": "degraded_performance"}
                             }}).encode(),
                             headers={"Authorization": "OAuth " + KEY})
        inc = json.loads(inc) if code == 201 else {}
        res.check("incident created through the v1 API on A", code == 201,
                  (code, inc))
        iid = inc.get("id", "")
        res.check("the incident is a row in PostgreSQL",
                  rows(f"SELECT count(*) FROM incidents WHERE id = '{iid}'")
                  == "1")
        a.stop("collector")
        a.start_collector()

        def has_incident(h):
            doc = json.loads(http_get(h.url("/api/v2/incidents.json"))[1])
            return any(i["id"] == iid and i["name"] == "Database \"move\" \u2713"
                       and i["status"] == "identified"
                       for i in doc["incidents"])

        res.check("after A's restart its feed still has the incident",
                  wait_until(lambda: has_incident(a), 10))
        code, got = http_get(a.url(f"/v1/pages/itest/incidents/{iid}"),
                             ok_codes=None,
                             headers={"Authorization": "OAuth " + KEY})
        got = json.loads(got) if code == 200 else {}
        res.check("and the v1 API returns it with its update",
                  code == 200 and got.get("incident_updates", [{}])[0]
                  .get("body") == "Moving to PostgreSQL.", (code, got))
        b.stop("collector")
        b.start_collector()
        res.check("collector B, restarted, shows it too",
                  wait_until(lambda: has_incident(b), 10))

        # ---- run-time writes do not wait for the database ----
        # With the tables of overrides, the audit log and transitions
        # locked by another session, every write to them waits in the
        # database: a loop that waited too would answer nothing.
        session = pg.hold_locks(["kv", "audit_log", "transitions"])
        try:
            code, out = http_get(
                a.url("/v1/pages/itest/components/web"), method="PATCH",
                ok_codes=None, timeout=10,
                data=b'{"component":{"status":"major_outage"}}',
                headers={"Authorization": "OAuth " + KEY})
            res.check("an override is answered while its tables are locked",
                      code == 200, (code, out[:200]))
            code, _ = http_get(a.url("/healthz"), ok_codes=None, timeout=10)
            res.check("and /healthz is served meanwhile", code == 200, code)
            summary = json.loads(http_get(a.url("/api/v2/summary.json"),
                                          timeout=10)[1])
            comp = {c["id"]: c["status"] for c in summary["components"]}
            res.check("the feed shows the override meanwhile",
                      comp.get("web") == "major_outage", comp)
            res.check("nothing of it is stored yet (the writes wait)",
                      rows("SELECT count(*) FROM audit_log WHERE action "
                           "LIKE 'PATCH%'") == "0")
        finally:
            pg.release_locks(session)
        res.check("once the locks go, the audit entry is stored",
                  wait_until(lambda: rows(
                      "SELECT count(*) FROM audit_log WHERE action LIKE "
                      "'PATCH%'") == "1", 10))
        res.check("and the override and its transition too",
                  wait_until(lambda: rows(
                      "SELECT count(*) FROM kv WHERE key = 'override:web'")
                      == "1" and rows(
                      "SELECT count(*) FROM transitions WHERE component_id "
                      "= 'web' AND new_status = 'major_outage'") == "1", 10))

        # ---- the documents do not read the store ----
        # The uptime bars come from memory: with uptime_days locked
        # against readers too, a change is still published.
        session = pg.hold_locks(["uptime_days"], mode="ACCESS EXCLUSIVE")
        try:
            code, _ = http_get(
                a.url("/v1/pages/itest/components/web"), method="PATCH",
                ok_codes=None, timeout=10,
                data=b'{"component":{"status":"partial_outage"}}',
                headers={"Authorization": "OAuth " + KEY})
            doc = json.loads(http_get(a.url("/api/v2/uptime.json"),
                                      timeout=10)[1])
            summary = json.loads(http_get(a.url("/api/v2/summary.json"),
                                          timeout=10)[1])
            comp = {c["id"]: c["status"] for c in summary["components"]}
            res.check("with uptime_days unreadable a change is published",
                      code == 200 and comp.get("web") == "partial_outage",
                      (code, comp))
            res.check("and uptime.json is served with 90 bars",
                      all(len(c.get("days", [])) == 90
                          for c in doc.get("components", [])) and
                      doc.get("components"), str(doc)[:300])
        finally:
            pg.release_locks(session)

        # ---- the database goes away and comes back ----
        pg.stop_server()
        code, _ = http_get(a.url("/healthz"), ok_codes=None, timeout=10)
        res.check("without its database the collector serves /healthz",
                  code == 200, code)
        code, _ = http_get(a.url("/api/v2/summary.json"), ok_codes=None,
                           timeout=10)
        res.check("and the feed", code == 200, code)
        body3 = batch(3, [result("api-http", int(time.time() * 1000) - 500)])
        code, _ = post(a, body3)
        res.check("an agent batch gets 503 (it stays in the spool)",
                  code == 503, code)
        pg.start()
        res.check("once the server is back the same batch is acked",
                  wait_until(lambda: post(a, body3)[0] == 200, 30))
        res.check("and stored once", r3_rows() == 8, r3_rows())

        def log_text(h):
            return open(h.logs["collector"], errors="replace").read()

        res.check("the outage and the recovery are logged",
                  "reconnecting by itself" in log_text(a) and
                  "connected to PostgreSQL again" in log_text(a),
                  log_text(a)[-1500:])

        # ---- the password stays secret ----
        logs = ""
        for h in (a, b):
            for name in os.listdir(h.dir):
                if name.endswith(".log"):
                    with open(os.path.join(h.dir, name),
                              errors="replace") as f:
                        logs += f.read()
        res.check("the collectors logged that they use PostgreSQL",
                  "store: postgresql" in logs)
        res.check("the password is in no log", pg.password not in logs)
    finally:
        a.stop_all()
        b.stop_all()
        target.shutdown()
        pg.stop()
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
