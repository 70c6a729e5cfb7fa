#!/usr/bin/env python3
"""pharos-collector migrate --to postgresql://... (issue #14, item 6).

A collector runs on sqlite with a real agent (results, transitions, an
incident through the v1 API, an override, a run-time API key), then stops.
migrate copies state_dir/pharos.db into a real PostgreSQL 15 started by
the test (lib/pgserver.py): every table's row count is printed and equal
to sqlite's; a second run is refused (the database is not empty) and
changes nothing; --force replaces. Then the collector runs on PostgreSQL
(store: the same URI) and carries on: the incident and the override are
there, the agent's next batches are stored after the copied ones, the
copied ones are not stored again, and new rows get new ids."""
import json
import os
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import pgserver  # noqa: E402
from pharos_harness import (Harness, Results, free_port, http_get,  # noqa: E402
                            serve_target, skip, wait_for, wait_until)

KEY = "ph_admin_" + "m" * 32
TABLES = ["kv", "agents", "agent_tokens", "api_keys", "transitions",
          "uptime_days", "uptime_state", "incidents", "incident_updates",
          "audit_log", "subscribers", "outbox", "agent_nos", "check_nos",
          "result_batches", "result_rows", "viewers", "api_components",
          "api_groups", "hook_links", "hook_events", "latency_rollups"]


def main():
    if not pgserver.available():
        skip(f"PostgreSQL 15 server binaries not found in {pgserver.PG_BIN} "
             "(scripts/install-deps.sh --test installs postgresql-15)")
    res = Results()
    tport = free_port()
    target = serve_target(tport)
    pg = pgserver.PgServer()
    h = Harness("migrate_pg")
    os.environ["PH_MIG_ADMIN_KEY"] = KEY
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
    keys = ("api_keys:\n"
            "  - {name: ops, scope: admin, token_env: PH_MIG_ADMIN_KEY}\n")
    auth = {"Authorization": "OAuth " + KEY}
    db_path = os.path.join(h.dir, "state", "pharos.db")

    def migrate(*extra):
        r = subprocess.run([h.bin("pharos-collector"), "migrate", "-c",
                            h.conf_path, "--to", pg.dsn, "--password-file",
                            pwfile, *extra], capture_output=True, text=True,
                           timeout=120)
        return r.returncode, r.stdout, r.stderr

    def pg_count(table):
        return int(pg.psql(f"SELECT count(*) FROM {table}", db=pg.dbname))

    try:
        pg.start()
        pwfile = os.path.join(h.dir, "pg.pw")
        with open(pwfile, "w") as f:
            f.write(pg.password + "\n")

        # ---- a collector on sqlite makes some history ----
        h.write_config(["r1"], comps, extra_yaml=keys)
        h.start_collector()
        h.start_agent("r1")
        wait_for(lambda: h.region_states("api-http") == {"r1": "up"}, 20,
                 "api-http up")
        code, inc = http_get(h.url("/v1/pages/itest/incidents"),
                             method="POST", ok_codes=None, headers=auth,
                             data=json.dumps({"incident": {
                                 "name": "Copied \"over\" \u2713",
                                 "status": "investigating",
                                 "body": "line one\nline\ttwo \\ end"}}
                             ).encode())
        iid = json.loads(inc)["id"] if code == 201 else ""
        res.check("incident created on sqlite", code == 201, (code, inc))
        code, _ = http_get(h.url("/v1/pages/itest/components/web"),
                           method="PATCH", ok_codes=None, headers=auth,
                           data=b'{"component":{"status":"degraded_performance"}}')
        res.check("override set on sqlite", code == 200, code)
        code, _ = http_get(h.url("/v1/keys"), method="POST", ok_codes=None,
                           headers=auth,
                           data=b'{"name":"ci","scope":"read"}')
        res.check("run-time API key made on sqlite", code in (200, 201), code)
        code, comp = http_get(h.url("/v1/pages/itest/components"),
                              method="POST", ok_codes=None, headers=auth,
                              data=json.dumps({"component": {
                                  "name": "Billing \u2713",
                                  "description": "made through the API"}}
                              ).encode())
        cid = json.loads(comp).get("id", "") if code == 201 else ""
        res.check("component made through the v1 API on sqlite",
                  code == 201 and cid, (code, comp))
        wait_until(lambda: len(sqlite3.connect(db_path).execute(
            "SELECT 1 FROM result_batches").fetchall()) >= 3, 20)
        h.stop("agent-r1")
        h.stop("collector")
        with sqlite3.connect(db_path) as db:
            sq = {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                  for t in TABLES}
            last_seq = db.execute("SELECT last_seq FROM agents").fetchone()[0]
            max_tr = db.execute("SELECT max(id) FROM transitions").fetchone()[0]

        # ---- the copy ----
        code, out, err = migrate("--bogus")
        res.check("an unknown argument is refused with usage", code == 2
                  and "usage" in err, (code, err))
        r = subprocess.run([h.bin("pharos-collector"), "migrate", "-c",
                            h.conf_path, "--to", "/tmp/x.db"],
                           capture_output=True, text=True, timeout=60)
        res.check("--to must be a postgresql:// URI", r.returncode == 2,
                  r.stderr)
        code, out, err = migrate()
        res.check("migrate --to exits 0", code == 0, (code, out, err))
        printed = {}
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[0] in TABLES:
                printed[parts[0]] = (int(parts[1]), int(parts[2]))
        res.check("it prints every table with both counts",
                  sorted(printed) == sorted(TABLES), out)
        res.check("the printed counts are sqlite's, on both sides",
                  all(printed.get(t) == (sq[t], sq[t]) for t in TABLES),
                  (printed, sq))
        res.check("PostgreSQL holds the same rows",
                  all(pg_count(t) == sq[t] for t in TABLES),
                  {t: pg_count(t) for t in TABLES})
        res.check("the history is not empty (results, transitions, "
                  "incidents, keys, audit)",
                  all(sq[t] > 0 for t in ("result_rows", "transitions",
                                          "incidents", "api_keys",
                                          "audit_log", "kv",
                                          "api_components",
                                          "latency_rollups")), sq)
        db = sqlite3.connect(db_path)
        try:
            sketches = db.execute(
                "SELECT check_no || '|' || region || '|' || period_s || '|' "
                "|| bucket_ms || '|' || lower(hex(sketch)) FROM "
                "latency_rollups WHERE sketch IS NOT NULL ORDER BY 1"
            ).fetchall()
        finally:
            db.close()
        pg_sketches = pg.psql(
            "SELECT check_no || '|' || region || '|' || period_s || '|' || "
            "bucket_ms || '|' || encode(sketch, 'hex') FROM latency_rollups "
            "WHERE sketch IS NOT NULL ORDER BY 1", db=pg.dbname)
        res.check("the response-time histograms (BLOB to bytea) copied "
                  "byte for byte",
                  len(sketches) > 0 and
                  sorted(r[0] for r in sketches) ==
                  sorted(pg_sketches.splitlines()),
                  (sketches[:3], pg_sketches[:300]))
        res.check("the API component copied as is",
                  pg.psql("SELECT name || '|' || description FROM "
                          f"api_components WHERE id = '{cid}'",
                          db=pg.dbname)
                  == "Billing \u2713|made through the API",
                  pg.psql("SELECT * FROM api_components", db=pg.dbname))
        text = pg.psql("SELECT body FROM incident_updates WHERE "
                       f"incident_id = '{iid}'", db=pg.dbname)
        res.check("text with newline, tab and backslash copied as is",
                  text == "line one\nline\ttwo \\ end", repr(text))

        code, out, err = migrate()
        res.check("a second migrate into the non-empty database is refused",
                  code == 3 and "not empty" in err and "--force" in err,
                  (code, out, err))
        res.check("and changes nothing",
                  all(pg_count(t) == sq[t] for t in TABLES))
        code, out, err = migrate("--force")
        res.check("--force replaces it", code == 0 and
                  all(pg_count(t) == sq[t] for t in TABLES), (code, err))
        res.check("the password is in no output",
                  pg.password not in out + err)

        # ---- the collector carries on on PostgreSQL ----
        with open(h.conf_path, "a") as f:
            f.write(f'store: "{pg.dsn}"\nstore_password_file: pg.pw\n')
        h.start_collector()
        doc = json.loads(http_get(h.url("/api/v2/incidents.json"))[1])
        res.check("the copied incident is served from PostgreSQL",
                  any(i["id"] == iid and i["name"] == "Copied \"over\" \u2713"
                      for i in doc["incidents"]), doc)
        doc = json.loads(http_get(h.url("/api/v2/summary.json"))[1])
        res.check("the copied API component is on the page from PostgreSQL",
                  any(c["id"] == cid for c in doc["components"]),
                  doc["components"])
        summary = json.loads(http_get(h.url("/api/v2/summary.json"))[1])
        comp = {c["id"]: c["status"] for c in summary["components"]}
        res.check("the copied override holds",
                  comp.get("web") == "degraded_performance", comp)
        h.start_agent("r1")
        res.check("the agent's next batches are stored after the copied ones",
                  wait_until(lambda: int(pg.psql(
                      "SELECT max(seq) FROM result_batches",
                      db=pg.dbname)) > last_seq, 20))
        dup = pg.psql("SELECT count(*) FROM (SELECT agent_no, seq FROM "
                      "result_batches GROUP BY 1, 2 HAVING count(*) > 1) d",
                      db=pg.dbname)
        res.check("no batch is stored twice", dup == "0", dup)
        code, _ = http_get(h.url("/v1/pages/itest/components/web"),
                           method="PATCH", ok_codes=None, headers=auth,
                           data=b'{"component":{"status":"operational"}}')
        res.check("new rows get new ids after the copied ones",
                  code == 200 and wait_until(lambda: int(pg.psql(
                      "SELECT max(id) FROM transitions", db=pg.dbname))
                      > max_tr, 10), code)
    finally:
        h.stop_all()
        target.shutdown()
        pg.stop()
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
