#!/usr/bin/env python3
"""Incident automation never waits for PostgreSQL on the loop (issue #14
item 1).

A real PostgreSQL 15 (lib/pgserver.py), a collector with `store:` on it
and `incidents.auto: publish`, a real agent probing a switchable target.
The incidents tables are locked (ACCESS EXCLUSIVE: readers and writers
wait) in a session the test holds, then the target fails:

- the outage is shown and its automatic incident is published in the
  feed while the tables are locked, and /healthz, summary.json, the
  page and the unresolved incidents answer within 1 s each throughout
  (a loop that wrote the incident on its own connection would answer
  nothing until the locks go);
- once the locks go the incident is stored, once, as the feed shows it;
- the target recovers: automation's monitoring update reaches the
  database after the opening (one collector's writes are stored in the
  order queued).
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import pgserver  # noqa: E402
from pharos_harness import (Harness, Results, free_port, http_get,  # noqa: E402
                            serve_switchable, skip, wait_for, wait_until)

# incident.h: enum inc_status (INC_INVESTIGATING 0 ... INC_MONITORING 2)
MONITORING = 2


def main():
    if not pgserver.available():
        skip(f"PostgreSQL 15 server binaries not found in {pgserver.PG_BIN} "
             "(scripts/install-deps.sh --test installs postgresql-15)")
    res = Results()
    tport = free_port()
    target, tstate = serve_switchable(tport)
    pg = pgserver.PgServer()
    h = Harness("pg_automation")
    session = None
    try:
        pg.start()
        with open(os.path.join(h.dir, "pg.pw"), "w") as f:
            f.write(pg.password + "\n")
        h.write_config(["r1"], f"""
components:
  - id: api
    name: API
    checks:
      - {{id: api-http, type: http, url: "http://127.0.0.1:{tport}/",
          interval: 1s, timeout: 500ms, fail_after: 1, recover_after: 1}}
""", extra_yaml=(f'store: "{pg.dsn}"\n'
                 "store_password_file: pg.pw\n"
                 "incidents:\n  auto: publish\n"))
        h.start_collector()
        h.start_agent("r1")
        wait_for(lambda: h.region_states("api-http").get("r1") == "up", 30,
                 "api-http up in r1")

        def rows(sql):
            return pg.psql(sql, db=pg.dbname)

        def unresolved():
            return json.loads(http_get(
                h.url("/api/v2/incidents/unresolved.json"))[1])["incidents"]

        session = pg.hold_locks(["incidents", "incident_updates"],
                                mode="ACCESS EXCLUSIVE")
        tstate["ok"] = False
        slow = []
        probes = 0
        seen = {}
        paths = ("/healthz", "/api/v2/summary.json", "/",
                 "/api/v2/incidents/unresolved.json")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not seen.get("incident"):
            for p in paths:
                try:
                    code, body = http_get(h.url(p), ok_codes=None, timeout=1)
                except Exception as e:  # a timeout: the loop is stuck
                    code, body = repr(e), b""
                probes += 1
                if code != 200:
                    slow.append((p, code))
                    continue
                if p == "/api/v2/summary.json":
                    comp = {c["id"]: c["status"] for c in
                            json.loads(body)["components"]}
                    if comp.get("api") == "major_outage":
                        seen["outage"] = True
                elif p.startswith("/api/v2/incidents"):
                    inc = json.loads(body)["incidents"]
                    if inc:
                        seen["incident"] = inc
            time.sleep(0.1)
        res.check("with the incidents tables locked the outage is shown",
                  seen.get("outage"), seen)
        res.check("and its automatic incident is published",
                  len(seen.get("incident") or []) == 1, seen)
        res.check(f"every request answered within 1 s meanwhile "
                  f"({probes} requests)", not slow, slow[:10])
        pg.release_locks(session)
        session = None

        iid = (seen.get("incident") or [{}])[0].get("id", "")
        res.check("once the locks go the incident is stored, once",
                  wait_until(lambda: rows(
                      f"SELECT count(*) FROM incidents WHERE id = '{iid}'")
                      == "1", 30) and
                  rows("SELECT count(*) FROM incidents") == "1",
                  rows("SELECT id || ' ' || status FROM incidents"))
        res.check("with its opening update",
                  int(rows("SELECT count(*) FROM incident_updates WHERE "
                           f"incident_id = '{iid}'") or 0) >= 1)

        tstate["ok"] = True
        res.check("the recovery's monitoring update is in the feed",
                  wait_until(lambda: any(i["status"] == "monitoring"
                                         for i in unresolved()), 30),
                  unresolved())
        res.check("and stored after the opening (writes in order)",
                  wait_until(lambda: rows(
                      f"SELECT status FROM incidents WHERE id = '{iid}'")
                      == str(MONITORING), 30),
                  rows("SELECT status FROM incidents"))
    finally:
        if session is not None:
            pg.release_locks(session)
        h.stop_all()
        target.shutdown()
        pg.stop()
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
