#!/usr/bin/env python3
"""Two collectors on one PostgreSQL store with `ha:` (issue #14): the
lease and the shared documents live in the store's database (`ha:` names
no database; the password comes from store_password_file), started by
the test (lib/pgserver.py, password authentication), with a 3 s lease.

- an incident written through the FOLLOWER's v1 API is forwarded to the
  leader (201), is a row in PostgreSQL, and appears in both collectors'
  /api/v2/incidents.json within a few seconds;
- an agent created through the leader reports to the follower (which
  reads run-time agents from the store again by itself);
- kill -9 of the leader: the follower leads, and the incident is its own
  (loaded from the database on promotion): its feed has it and a PATCH
  through the new leader's v1 API updates it; an API key and an agent
  made through the old leader work on the new one;
- the killed collector, restarted, follows and serves the incident too;
- the password is in no log line.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pbwire import batch, result  # noqa: E402
from pgserver import PG_BIN, PgServer, available  # noqa: E402
from pharos_harness import (Harness, Results, http_get, skip,  # noqa: E402
                            wait_for, wait_until)

LEASE_S = 3
KEY = "ph_admin_" + "h" * 32

COMPONENTS = """components:
  - id: api
    name: API
    checks:
      - {id: api-http, type: http, url: "http://127.0.0.1:9/", interval: 30s,
         timeout: 1s}
  - id: db
    name: Database
"""


def role(h):
    try:
        code, body = http_get(h.url("/healthz"), ok_codes=None, timeout=2)
    except OSError:
        return None
    for line in body.decode().splitlines()[1:]:
        k, _, v = line.partition(": ")
        if k == "role":
            return v
    return None


def call(h, method, path, doc=None, key=KEY):
    code, body = http_get(
        h.url(path), method=method, ok_codes=None,
        data=json.dumps(doc).encode() if doc is not None else None,
        headers={"Authorization": "OAuth " + key,
                 "Content-Type": "application/json"})
    try:
        return code, json.loads(body)
    except ValueError:
        return code, body[:300]


def feed_ids(h):
    try:
        code, body = http_get(h.url("/api/v2/incidents.json"), ok_codes=None,
                              timeout=2)
    except OSError:
        return set()
    if code != 200:
        return set()
    return {i["id"] for i in json.loads(body)["incidents"]}


def post_batch(h, token, seq):
    now = int(time.time() * 1000)
    body = batch(seq, [result("api-http", now - 100)])
    try:
        return http_get(h.url("/v1/agent/results"), method="POST", data=body,
                        ok_codes=None, timeout=3,
                        headers={"Authorization": "Bearer " + token,
                                 "Content-Type":
                                 "application/x-protobuf"})[0]
    except OSError:
        return None


def main():
    if not available():
        skip(f"PostgreSQL 15 server binaries not found in {PG_BIN} "
             "(scripts/install-deps.sh --test installs postgresql-15)")
    res = Results()
    pg = PgServer()
    hs = {"c1": Harness("ha_store_c1"), "c2": Harness("ha_store_c2")}
    env = dict(os.environ, PH_HA_ADMIN_KEY=KEY)
    env.pop("PGPASSWORD", None)
    try:
        pg.start()
        first = None
        for node, h in hs.items():
            with open(os.path.join(h.dir, "pg.pw"), "w") as f:
                f.write(pg.password + "\n")
            if first is not None:
                h.tokens = dict(first.tokens)   # the same config agents
            h.write_config(["r1"], COMPONENTS, extra_yaml=(
                f'store: "{pg.dsn}"\n'
                "store_password_file: pg.pw\n"
                f"ha:\n  lease: {LEASE_S}s\n  node_id: {node}\n"
                "api_keys:\n"
                "  - {name: ops, scope: admin, token_env: PH_HA_ADMIN_KEY}\n"))
            first = first or h
        for h in hs.values():
            h.start_collector(env=env)
        wait_for(lambda: sorted(role(h) or "?" for h in hs.values()) ==
                 ["follower", "leader"], 20, "one leader and one follower")
        lead = next(n for n, h in hs.items() if role(h) == "leader")
        foll = "c2" if lead == "c1" else "c1"
        L, F = hs[lead], hs[foll]
        res.check("the lease lives in the store's database",
                  pg.psql("SELECT holder FROM pharos_lease", db=pg.dbname)
                  == lead, pg.psql("SELECT * FROM pharos_lease",
                                   db=pg.dbname))

        # ---- a write through the follower ----
        code, inc = call(F, "POST", "/v1/pages/itest/incidents", {
            "incident": {"name": "Written through the follower",
                         "status": "investigating", "body": "first"}})
        iid = inc.get("id", "") if isinstance(inc, dict) else ""
        res.check("the follower's v1 write is forwarded: 201", code == 201
                  and iid, (code, inc))
        res.check("the incident is a row in PostgreSQL",
                  pg.psql(f"SELECT count(*) FROM incidents WHERE id = "
                          f"'{iid}'", db=pg.dbname) == "1")
        t0 = time.time()
        both = wait_until(lambda: all(iid in feed_ids(h)
                                      for h in hs.values()), 10)
        print(f"in both feeds after {time.time() - t0:.2f} s", flush=True)
        res.check("the incident is in both collectors' incidents.json",
                  both, {n: sorted(feed_ids(h)) for n, h in hs.items()})

        # ---- run-time agents and keys, made on the leader ----
        code, ag = call(L, "POST", "/v1/agents",
                        {"id": "agent-late", "region": "r1"})
        token = ag.get("token", "") if isinstance(ag, dict) else ""
        res.check("an agent made through the leader", code in (200, 201)
                  and token, (code, ag))
        before = L.metric("pharos_results_ingested_total") or 0
        ok = wait_until(lambda: post_batch(F, token, 1) == 200, 10)
        res.check("it reports through the follower", ok,
                  post_batch(F, token, 1))
        # Only the leader evaluates: a follower hands result batches to
        # it, and the leader commits and counts them.
        res.check("the follower forwarded the batch to the leader",
                  (F.metric("pharos_writes_forwarded_total") or 0) >= 1,
                  F.metric("pharos_writes_forwarded_total"))
        res.check("the leader ingested it (its engine sees it)",
                  (L.metric("pharos_results_ingested_total") or 0) > before,
                  (before, L.metric("pharos_results_ingested_total")))
        code, k = call(L, "POST", "/v1/keys", {"name": "late",
                                               "scope": "write"})
        late_key = k.get("key", "") if isinstance(k, dict) else ""
        res.check("an API key made through the leader",
                  code in (200, 201) and late_key, (code, k))

        # ---- kill -9 of the leader ----
        L.kill("collector")
        t0 = time.time()
        wait_for(lambda: role(F) == "leader", LEASE_S + 15,
                 f"{foll} to lead")
        print(f"{foll} leads {time.time() - t0:.2f} s after kill -9",
              flush=True)
        res.check("the new leader's feed has the incident",
                  wait_until(lambda: iid in feed_ids(F), 10),
                  sorted(feed_ids(F)))
        code, got = call(F, "PATCH", f"/v1/pages/itest/incidents/{iid}", {
            "incident": {"status": "resolved", "body": "fixed"}})
        res.check("the new leader holds it: a PATCH through its API",
                  code == 200 and isinstance(got, dict) and
                  got.get("status") == "resolved", (code, got))
        res.check("the update is in PostgreSQL (two updates now)",
                  pg.psql("SELECT count(*) FROM incident_updates WHERE "
                          f"incident_id = '{iid}'", db=pg.dbname) == "2",
                  pg.psql("SELECT incident_id, status, body FROM "
                          "incident_updates", db=pg.dbname))
        code, _ = call(F, "GET", "/v1/pages/itest/incidents", key=late_key)
        res.check("the key made through the old leader works on the new "
                  "one", code == 200, code)
        res.check("the agent made through the old leader reports to it",
                  post_batch(F, token, 2) == 200, post_batch(F, token, 2))

        # ---- the old leader comes back as a follower ----
        L.start_collector(env=env)
        wait_for(lambda: role(L) == "follower", 20, f"{lead} following")
        res.check("the restarted collector serves the incident too",
                  wait_until(lambda: iid in feed_ids(L), 10),
                  sorted(feed_ids(L)))
        logs = ""
        for h in hs.values():
            for r in h.runs:
                with open(r.log, errors="replace") as f:
                    logs += f.read()
        res.check("the lease used the store's database (logged)",
                  "use the store's database" in logs)
        res.check("the password is in no log", pg.password not in logs)
    except Exception:
        print(pg.log_tail(), flush=True)
        raise
    finally:
        for h in hs.values():
            h.stop_all()
        pg.stop()
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
