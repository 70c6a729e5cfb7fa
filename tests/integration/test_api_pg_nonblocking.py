#!/usr/bin/env python3
"""API writes on PostgreSQL never block the collector's loop (issue #14,
item 1): a real PostgreSQL 15 (lib/pgserver.py) reached through a TCP
proxy (lib/tcpproxy.py), a collector with `store:` on it.

- While the writes of a v1 incident and a public sign-up wait in the
  database (their tables locked by another session), both requests are
  parked (pharos_api_requests_parked 2), and summary.json, the page and
  /healthz keep answering, each within 1 s, for several seconds. Once
  the locks go, both get their normal replies (201, 202) and both are
  stored: the incident, the subscriber and its confirmation email.
- With the whole database path frozen (the proxy forwards nothing) an
  incident POST and a webhook sign-up are parked, the feed, the page and
  /healthz answer within 1 s each for 5 s; after the thaw 201 and 201,
  both stored.
- Two PATCHes of one incident at once, with its table locked: both are
  parked (the second waits for the first and runs on what it wrote);
  then both 200 and no update is lost, in memory or stored.
- An Opsgenie Create (a read, a decision on the loop, then a write) with
  the incidents table locked is parked while the feed answers; then it
  opens its incident, stored with its event id; the same event again is
  a duplicate.
- A component POST (written, read back, the configuration rebuilt) with
  its table locked is parked while the feed answers; then 201 and the
  feed lists it; DELETE takes it out.
- An API key and an agent created with their tables locked are parked
  while the feed answers; then 201, the key and the agent's token work at
  once, and the audit log lists both.
- The database stopped: an incident POST gets 503 with Retry-After within
  a bounded time (never a hang), the collector stays up, and once the
  server is back the same request is answered 201.
- A write parked longer than its deadline (15 s) gets 503 with
  Retry-After, and is applied once the database takes it.

Before this work the first part failed: the handlers' round trips ran on
the loop, so the feed (and /metrics, within 1 s) waited with them.
"""
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import pgserver  # noqa: E402
from tcpproxy import TcpProxy  # noqa: E402
from pharos_harness import (Harness, Results, http_call, skip,  # noqa: E402
                            wait_until)

KEY = "ph_admin_" + "n" * 32
OG_TOKEN = "ph_og_" + "g" * 30
FIX = os.path.join(os.path.dirname(__file__), "..", "fixtures")
BOUND_S = 1.0


def main():
    if not pgserver.available():
        skip(f"PostgreSQL 15 server binaries not found in {pgserver.PG_BIN} "
             "(scripts/install-deps.sh --test installs postgresql-15)")
    res = Results()
    pg = pgserver.PgServer()
    h = Harness("api_pg_nonblocking")
    proxy = None
    os.environ["PH_PGNB_ADMIN_KEY"] = KEY
    os.environ["PH_PGNB_OG_TOKEN"] = OG_TOKEN
    try:
        pg.start()
        # The collector reaches PostgreSQL through a proxy that can
        # freeze the path (forward nothing, close nothing).
        proxy = TcpProxy(pg.port).start()
        dsn = (f"postgresql://{pgserver.ROLE}@127.0.0.1:{proxy.port}/"
               f"{pg.dbname}?sslmode=disable")
        with open(os.path.join(h.dir, "pg.pw"), "w") as f:
            f.write(pg.password + "\n")
        comps = """
components:
  - id: api
    name: API
  - id: web
    name: Web
"""
        extra = (f'store: "{dsn}"\n'
                 "store_password_file: pg.pw\n"
                 "notify:\n"
                 "  smtp: {url: \"smtp://127.0.0.1:9\", starttls: off, "
                 "from: \"status@example.com\"}\n"
                 "  allow_private_targets: true\n"
                 "integrations:\n"
                 "  opsgenie:\n"
                 "    tokens: [{name: og, token_env: PH_PGNB_OG_TOKEN}]\n"
                 "    rules:\n"
                 "      - {tag: tag1, components: [api], "
                 "status: partial_outage, publish: true}\n"
                 "api_keys:\n"
                 "  - {name: ops, scope: admin, "
                 "token_env: PH_PGNB_ADMIN_KEY}\n")
        h.write_config(["r1"], comps, extra_yaml=extra)
        h.start_collector()

        def rows(sql):
            return pg.psql(sql, db=pg.dbname)

        auth = {"Authorization": "OAuth " + KEY,
                "Content-Type": "application/json"}

        def post_incident(name, out, timeout=60):
            t0 = time.monotonic()
            code, _, body = http_call(
                "POST", h.url("/v1/pages/itest/incidents"), headers=auth,
                body={"incident": {"name": name, "status": "investigating",
                                   "body": "Looking into it."}},
                timeout=timeout)
            out.update(code=code, body=body, secs=time.monotonic() - t0)

        def sign_up(sub, out):
            code, _, body = http_call(
                "POST", h.url("/api/v2/subscribers.json"),
                headers={"Content-Type": "application/json"},
                body={"subscriber": sub}, timeout=60)
            out.update(code=code, body=body)

        def parked():
            _, _, m = http_call("GET", h.url("/metrics"), timeout=BOUND_S)
            for line in m.decode().splitlines():
                if line.startswith("pharos_api_requests_parked "):
                    return int(float(line.split()[1]))
            return -1

        def reads_stay_fast(seconds):
            """GETs the feed, the page and /healthz for `seconds`; the
            slowest answer and any failure (a timeout raises)."""
            worst, bad = 0.0, []
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                for path in ("/api/v2/summary.json", "/", "/healthz"):
                    t0 = time.monotonic()
                    try:
                        code, _, _ = http_call("GET", h.url(path),
                                               timeout=BOUND_S)
                    except OSError as e:
                        bad.append((path, repr(e)))
                        continue
                    worst = max(worst, time.monotonic() - t0)
                    if code != 200:
                        bad.append((path, code))
            return worst, bad

        def in_flight(*workers):
            return [threading.Thread(target=w, args=a, daemon=True)
                    for w, a in workers]

        # ---- 1. the writes wait in the database (tables locked) ----
        session = pg.hold_locks(["incidents", "subscribers", "outbox"])
        inc1, sub1 = {}, {}
        try:
            ts = in_flight((post_incident, ("Locked out", inc1)),
                           (sign_up, ({"email": "reader@example.com"},
                                      sub1)))
            for t in ts:
                t.start()
            res.check("an incident POST and a sign-up are parked while "
                      "their tables are locked",
                      wait_until(lambda: parked() == 2, 10), parked())
            worst, bad = reads_stay_fast(4)
            res.check(f"meanwhile summary.json, the page and /healthz "
                      f"answer within {BOUND_S:.0f} s each (slowest "
                      f"{worst:.3f} s)", not bad and worst < BOUND_S, bad)
            res.check("and the writes are still waiting", not inc1 and
                      not sub1, (inc1, sub1))
        finally:
            pg.release_locks(session)
        for t in ts:
            t.join(30)
        res.check("after the locks go the incident gets 201",
                  inc1.get("code") == 201, inc1)
        res.check("and the sign-up 202", sub1.get("code") == 202, sub1)
        iid = json.loads(inc1["body"]).get("id", "") \
            if inc1.get("code") == 201 else ""
        res.check("the incident is stored once",
                  rows(f"SELECT count(*) FROM incidents WHERE id = '{iid}'")
                  == "1")
        res.check("the subscriber is stored, pending",
                  rows("SELECT state FROM subscribers WHERE address = "
                       "'reader@example.com'") == "pending")
        res.check("with its confirmation email in the outbox",
                  rows("SELECT count(*) FROM outbox o JOIN subscribers s "
                       "ON s.id = o.subscriber_id WHERE s.address = "
                       "'reader@example.com' AND o.event = 'confirm'")
                  == "1")
        doc = json.loads(http_call("GET",
                                   h.url("/api/v2/incidents.json"))[2])
        res.check("the feed shows the incident",
                  any(i["id"] == iid for i in doc["incidents"]))

        # ---- 1a. the whole database path frozen ----
        inc2, sub2 = {}, {}
        proxy.freeze()
        try:
            ts = in_flight((post_incident, ("Frozen", inc2)),
                           (sign_up, ({"endpoint":
                                       "http://127.0.0.1:9/hook"}, sub2)))
            for t in ts:
                t.start()
            res.check("with the database path frozen an incident POST and "
                      "a webhook sign-up are parked",
                      wait_until(lambda: parked() == 2, 10), parked())
            worst, bad = reads_stay_fast(5)
            res.check(f"the feed, the page and /healthz answer within "
                      f"{BOUND_S:.0f} s each for 5 s of freeze (slowest "
                      f"{worst:.3f} s)", not bad and worst < BOUND_S, bad)
        finally:
            proxy.thaw()
        for t in ts:
            t.join(30)
        res.check("after the thaw the incident gets 201",
                  inc2.get("code") == 201, inc2)
        res.check("and the webhook sign-up 201 with its secret",
                  sub2.get("code") == 201 and
                  b'"secret"' in sub2.get("body", b""), sub2)
        res.check("both are stored",
                  rows("SELECT count(*) FROM incidents WHERE name = "
                       "'Frozen'") == "1" and
                  rows("SELECT count(*) FROM subscribers WHERE address = "
                       "'http://127.0.0.1:9/hook'") == "1")

        # ---- 1b. two edits of one incident at once: one after the other --
        edits = [{}, {}]

        def patch(text, out):
            code, _, body = http_call(
                "PATCH", h.url(f"/v1/pages/itest/incidents/{iid}"),
                headers=auth, timeout=60,
                body={"incident": {"status": "identified", "body": text}})
            out.update(code=code, body=body)

        session = pg.hold_locks(["incidents"])
        try:
            ts = in_flight((patch, ("First look.", edits[0])),
                           (patch, ("Second look.", edits[1])))
            for t in ts:
                t.start()
            res.check("two PATCHes of one incident are parked (the second "
                      "waits for the first)",
                      wait_until(lambda: parked() == 2, 10), parked())
            worst, bad = reads_stay_fast(1)
            res.check("the feed answers meanwhile", not bad and
                      worst < BOUND_S, bad)
        finally:
            pg.release_locks(session)
        for t in ts:
            t.join(30)
        res.check("both get 200", all(e.get("code") == 200 for e in edits),
                  edits)
        code, _, body = http_call(
            "GET", h.url(f"/v1/pages/itest/incidents/{iid}"), headers=auth,
            timeout=10)
        texts = [u.get("body") for u in
                 json.loads(body).get("incident_updates", [])] \
            if code == 200 else []
        res.check("no update is lost: both edits and the first are there",
                  sorted(texts) == sorted(["Looking into it.", "First look.",
                                           "Second look."]), texts)
        stored = rows("SELECT count(*) FROM incident_updates WHERE "
                      f"incident_id = '{iid}' AND body IN ('First look.', "
                      "'Second look.')")
        res.check("and stored so", stored == "2", stored)

        # ---- 2. an Opsgenie event: a read, a decision, a write ----
        with open(os.path.join(FIX, "opsgenie", "create.json")) as f:
            og_create = f.read().encode()

        def opsgenie(out):
            code, _, body = http_call(
                "POST", h.url("/v1/integrations/opsgenie"),
                headers={"Authorization": "Bearer " + OG_TOKEN,
                         "Content-Type": "application/json"},
                body=og_create, timeout=60)
            out.update(code=code, body=body)

        og1 = {}
        session = pg.hold_locks(["incidents"])
        try:
            ts = in_flight((opsgenie, (og1,)))
            ts[0].start()
            res.check("an Opsgenie Create is parked while incidents are "
                      "locked", wait_until(lambda: parked() == 1, 10),
                      parked())
            worst, bad = reads_stay_fast(2)
            res.check(f"the feed and the page answer within {BOUND_S:.0f} "
                      f"s meanwhile (slowest {worst:.3f} s)",
                      not bad and worst < BOUND_S, bad)
        finally:
            pg.release_locks(session)
        ts[0].join(30)
        og1_doc = json.loads(og1.get("body") or b"{}")
        res.check("then it is applied: an incident opened",
                  og1.get("code") == 200 and
                  og1_doc.get("status") == "applied" and
                  og1_doc.get("incident_id"), og1)
        res.check("the incident and the event id are stored",
                  rows("SELECT count(*) FROM incidents WHERE id = '%s'" %
                       og1_doc.get("incident_id", "")) == "1" and
                  rows("SELECT count(*) FROM hook_events") == "1")
        og2 = {}
        opsgenie(og2)
        res.check("the same event again: duplicate",
                  og2.get("code") == 200 and
                  json.loads(og2["body"]).get("status") == "duplicate", og2)
        # The integration routes do not render before the reply: the
        # feed follows on the render worker moments later.
        def statuses():
            summary = json.loads(http_call(
                "GET", h.url("/api/v2/summary.json"))[2])
            return {c["id"]: c["status"] for c in summary["components"]}
        res.check("the component the rule names is in partial outage",
                  wait_until(lambda: statuses().get("api") ==
                             "partial_outage", 10), statuses())

        # ---- 3. components through the API: write, read back, rebuild ----
        comp = {}
        session = pg.hold_locks(["api_components"])
        try:
            def create_component(out):
                code, _, body = http_call(
                    "POST", h.url("/v1/pages/itest/components"),
                    headers=auth, timeout=60,
                    body={"component": {"name": "Search",
                                        "status": "degraded_performance"}})
                out.update(code=code, body=body)

            ts = in_flight((create_component, (comp,)))
            ts[0].start()
            res.check("a component POST is parked while its table is locked",
                      wait_until(lambda: parked() == 1, 10), parked())
            worst, bad = reads_stay_fast(2)
            res.check(f"the feed and the page answer within {BOUND_S:.0f} "
                      f"s meanwhile (slowest {worst:.3f} s)",
                      not bad and worst < BOUND_S, bad)
        finally:
            pg.release_locks(session)
        ts[0].join(30)
        cid = json.loads(comp.get("body") or b"{}").get("id", "")
        res.check("then 201 with the component", comp.get("code") == 201 and
                  cid, comp)
        summary = json.loads(http_call(
            "GET", h.url("/api/v2/summary.json"))[2])
        got = {c["id"]: c["status"] for c in summary["components"]}
        res.check("the feed lists it, with its status",
                  got.get(cid) == "degraded_performance", got)
        code, _, _ = http_call(
            "DELETE", h.url(f"/v1/pages/itest/components/{cid}"),
            headers=auth, timeout=10)
        summary = json.loads(http_call(
            "GET", h.url("/api/v2/summary.json"))[2])
        res.check("deleted: 204, and gone from the feed",
                  code == 204 and cid not in
                  {c["id"] for c in summary["components"]}, code)

        # ---- 4. an API key and an agent: written, read back, installed ----
        made = {}
        session = pg.hold_locks(["api_keys", "agent_tokens"])
        try:
            def create(path, body, key, out):
                code, _, b = http_call("POST", h.url(path), headers=auth,
                                       body=body, timeout=60)
                out[key] = (code, b)

            ts = in_flight((create, ("/v1/keys", {"name": "deploy",
                                                  "scope": "write"},
                                     "key", made)),
                           (create, ("/v1/agents", {"id": "edge-1",
                                                    "region": "r1"},
                                     "agent", made)))
            for t in ts:
                t.start()
            res.check("a key and an agent POST are parked while their "
                      "tables are locked",
                      wait_until(lambda: parked() == 2, 10), parked())
            worst, bad = reads_stay_fast(2)
            res.check(f"the feed and the page answer within {BOUND_S:.0f} "
                      f"s meanwhile (slowest {worst:.3f} s)",
                      not bad and worst < BOUND_S, bad)
        finally:
            pg.release_locks(session)
        for t in ts:
            t.join(30)
        kcode, kbody = made.get("key", (0, b"{}"))
        acode, abody = made.get("agent", (0, b"{}"))
        res.check("then both get 201", kcode == 201 and acode == 201, made)
        new_key = json.loads(kbody).get("key", "") if kcode == 201 else ""
        code, _, _ = http_call(
            "GET", h.url("/v1/pages/itest/incidents"),
            headers={"Authorization": "OAuth " + new_key}, timeout=10)
        res.check("the new key is in use at once (installed on the loop)",
                  code == 200, code)
        token = json.loads(abody).get("token", "") if acode == 201 else ""
        code, _, _ = http_call(
            "GET", h.url("/v1/agent/plan"),
            headers={"Authorization": "Bearer " + token}, timeout=10)
        res.check("and the new agent gets its plan", code == 200, code)
        code, _, body = http_call(
            "GET", h.url("/v1/pages/itest/audit-log?limit=50"),
            headers=auth, timeout=10)
        res.check("the audit log (read off the loop) lists both writes",
                  code == 200 and b"POST /v1/keys" in body and
                  b"POST /v1/agents" in body, (code, body[:300]))

        # ---- 5. the database down ----
        pg.stop_server()
        inc3 = {}
        post_incident("While down", inc3, timeout=40)
        res.check("with the database down an incident POST gets 503 "
                  f"(in {inc3.get('secs', 0):.1f} s)",
                  inc3.get("code") == 503 and
                  b"unavailable" in inc3.get("body", b""), inc3)
        code, _, _ = http_call("GET", h.url("/api/v2/summary.json"),
                               timeout=BOUND_S)
        res.check("and the feed is still served", code == 200, code)
        pg.start()
        inc4 = {}
        res.check("once the server is back the same POST gets 201",
                  wait_until(lambda: post_incident("While down", inc4)
                             or inc4.get("code") == 201, 40), inc4)
        res.check("stored once (the 503 stored nothing)",
                  rows("SELECT count(*) FROM incidents WHERE name = "
                       "'While down'") == "1")

        # ---- 6. parked past the deadline ----
        inc5 = {}
        session = pg.hold_locks(["incidents"])
        try:
            post_incident("Past the deadline", inc5, timeout=40)
            worst, bad = reads_stay_fast(1)
            res.check("meanwhile the feed answers", not bad, bad)
        finally:
            pg.release_locks(session)
        res.check("a write parked past its deadline gets 503 "
                  f"(after {inc5.get('secs', 0):.1f} s, not a hang)",
                  inc5.get("code") == 503 and
                  b"did not answer in time" in inc5.get("body", b""), inc5)
        res.check("and is applied once the database takes it",
                  wait_until(lambda: rows(
                      "SELECT count(*) FROM incidents WHERE name = "
                      "'Past the deadline'") == "1", 30))
        res.check("the feed shows it then", wait_until(lambda: any(
            i["name"] == "Past the deadline" for i in json.loads(http_call(
                "GET", h.url("/api/v2/incidents.json"))[2])["incidents"]),
            10))
        res.check("no request stays parked", wait_until(
            lambda: parked() == 0, 10), parked())
    finally:
        h.stop_all()
        if proxy is not None:
            proxy.close()
        pg.stop()
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
