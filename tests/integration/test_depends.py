#!/usr/bin/env python3
"""Dependencies between components and regional mass failures, with real
agents against targets the test switches (issue #16 item 6).

1. db, api (depends_on db), web (depends_on api) and docs, each probed
   by one agent; a webhook subscriber on loopback. db's target fails:
   one incident opens for db; then api and web fail as well: they join
   db's incident and are shown as "affected by db" in summary.json and
   components.json; the subscriber gets one message per event (db's
   component change and the incident), none per dependent. Recovery:
   one monitoring update, db's component change, nothing per dependent.
2. Two regions probe four components with quorum 1 (one region's failure
   alone would be an outage); a mass_failure rule is set. The second
   region's agent is cut off from every target (source address refused):
   no component leaves operational, no incident opens, regions.json
   carries the region's mass_failure note, /metrics counts it and the
   collector logs it. Restored, the note goes away."""
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pharos_harness import (Harness, Results, free_port, http_get,  # noqa: E402
                            serve_switchable, serve_target, wait_for,
                            wait_until)


class Receiver:
    """A webhook endpoint on loopback: records every POSTed JSON body."""

    def __init__(self):
        self.lock = threading.Lock()
        self.bodies = []
        rec = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                with rec.lock:
                    rec.bodies.append(json.loads(body))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.port = free_port()
        self.srv = ThreadingHTTPServer(("127.0.0.1", self.port), H)
        self.srv.daemon_threads = True
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def messages(self):
        """(kind, detail) per message: ("incident", status) or
        ("component", component id)."""
        out = []
        with self.lock:
            for b in self.bodies:
                if "component_update" in b:
                    out.append(("component",
                                b["component_update"]["component_id"]))
                elif "incident" in b:
                    out.append(("incident", b["incident"]["status"]))
                else:
                    out.append(("other", json.dumps(b)[:80]))
        return out


def doc(h, path):
    return json.loads(http_get(h.url(path))[1])


def components(h):
    return {c["id"]: c for c in doc(h, "/api/v2/components.json")["components"]}


def dependencies(res):
    targets = {k: serve_switchable(free_port()) for k in
               ("db", "api", "web", "docs")}
    rec = Receiver()
    h = Harness("depends")

    def check(cid):
        port = targets[cid][0].server_address[1]
        return (f'      - {{id: {cid}-http, type: http, url: "http://127.0.0.1:'
                f'{port}/", interval: 1s, timeout: 500ms, fail_after: 2, '
                f'recover_after: 2, confirm_after: 0s}}\n')

    try:
        h.write_config(["r1"], f"""
components:
  - id: db
    name: Database
    checks:
{check("db")}  - id: api
    name: API
    depends_on: [db]
    checks:
{check("api")}  - id: web
    name: Website
    depends_on: [api]
    checks:
{check("web")}  - id: docs
    name: Docs
    checks:
{check("docs")}""", extra_yaml="incidents:\n  auto: publish\n  resolve_after: 2s\n"
                   "notify:\n  allow_private_targets: true\n  coalesce: 0s\n"
                   "  retry_base: 500ms\n")
        h.start_collector()
        h.start_agent("r1")
        wait_for(lambda: all(c["status"] == "operational"
                             for c in components(h).values())
                 and all(h.region_states(f"{k}-http") == {"r1": "up"}
                         for k in targets), 20, "every check up")
        code, body = http_get(h.url("/api/v2/subscribers.json"), "POST",
                              data=json.dumps({"subscriber": {
                                  "endpoint": f"http://127.0.0.1:{rec.port}/hook"
                              }}).encode(),
                              headers={"Content-Type": "application/json"},
                              ok_codes=None)
        res.check("a webhook subscriber signs up", code == 201, (code, body))

        # The dependency fails first: its own incident.
        targets["db"][1]["ok"] = False
        res.check("db's outage is detected",
                  wait_until(lambda: components(h)["db"]["status"] == "major_outage", 20),
                  components(h)["db"])
        wait_for(lambda: len(doc(h, "/api/v2/incidents/unresolved.json")["incidents"]) == 1,
                 10, "db's incident")
        # Then what depends on it.
        targets["api"][1]["ok"] = False
        targets["web"][1]["ok"] = False

        def dependents_down():
            c = components(h)
            return (c["api"]["status"] == "major_outage"
                    and c["web"]["status"] == "major_outage")
        res.check("api and web go down", wait_until(dependents_down, 20),
                  components(h))
        c = components(h)
        res.check("components.json: api and web affected by db, db and docs by nothing",
                  c["api"].get("affected_by") == "db"
                  and c["web"].get("affected_by") == "db"
                  and c["db"].get("affected_by") is None
                  and c["docs"].get("affected_by") is None,
                  {k: v.get("affected_by") for k, v in c.items()})
        out = subprocess.run([h.bin("pharosctl"), "--url", h.url(""), "status"],
                             capture_output=True, text=True, timeout=10).stdout
        res.check("pharosctl status says it too",
                  any(ln.split()[0] == "Website" and "(affected by db)" in ln
                      for ln in out.splitlines() if ln.strip())
                  and not any(ln.split()[0] == "Docs" and "affected" in ln
                              for ln in out.splitlines() if ln.strip()), out)
        summary = {x["id"]: x for x in doc(h, "/api/v2/summary.json")["components"]}
        res.check("summary.json says the same and keeps the Statuspage status",
                  summary["web"].get("affected_by") == "db"
                  and summary["web"]["status"] == "major_outage", summary["web"])

        def incident_lists_all():
            incs = doc(h, "/api/v2/incidents/unresolved.json")["incidents"]
            return (len(incs) == 1 and
                    {x["id"] for x in incs[0]["components"]} == {"db", "api", "web"})
        res.check("one incident, for db, listing api and web",
                  wait_until(incident_lists_all, 10),
                  doc(h, "/api/v2/incidents/unresolved.json")["incidents"])
        inc = doc(h, "/api/v2/incidents/unresolved.json")["incidents"][0]
        res.check("the incident is named for the dependency",
                  inc["name"].startswith("Database:"), inc["name"])
        bodies = " ".join(u["body"] for u in inc["incident_updates"])
        res.check("its updates say api and web are affected by the database",
                  "API" in bodies and "Website" in bodies
                  and "affected by the outage of Database" in bodies,
                  [u["body"] for u in inc["incident_updates"]])
        res.check("only the first update was sent to subscribers",
                  [u["deliver_notifications"] for u in inc["incident_updates"]][-1]
                  and not any(u["deliver_notifications"]
                              for u in inc["incident_updates"][:-1]),
                  inc["incident_updates"])
        res.check("every webhook message has been sent",
                  wait_until(h.outbox_drained, 20), h.metric("pharos_notify_outbox_backlog"))
        msgs = rec.messages()
        res.check("one message per event: db's change and the incident, "
                  "none per dependent",
                  sorted(msgs) == [("component", "db"), ("incident", "investigating")],
                  msgs)

        # Recovery of everything.
        for t in targets.values():
            t[1]["ok"] = True
        res.check("all recover", wait_until(
            lambda: all(x["status"] == "operational" for x in components(h).values()), 20),
            components(h))
        res.check("the incident moves to monitoring, then resolves", wait_until(
            lambda: doc(h, "/api/v2/incidents/unresolved.json")["incidents"] == [], 20),
            doc(h, "/api/v2/incidents/unresolved.json"))
        res.check("no component is affected by anything any more",
                  all(x.get("affected_by") is None for x in components(h).values()),
                  components(h))
        wait_for(h.outbox_drained, 20, "outbox drained after recovery")
        msgs = rec.messages()
        res.check("recovery: one monitoring update, one resolution and db's "
                  "change, nothing per dependent",
                  sorted(msgs) == [("component", "db"), ("component", "db"),
                                   ("incident", "investigating"),
                                   ("incident", "monitoring"),
                                   ("incident", "resolved")], msgs)

        # A dependent that fails before its dependency keeps its own
        # incident, and is named in the dependency's when that fails.
        targets["api"][1]["ok"] = False
        res.check("api fails on its own: its own incident", wait_until(
            lambda: [i["name"] for i in
                     doc(h, "/api/v2/incidents/unresolved.json")["incidents"]]
            == ["API: major outage"], 20),
            doc(h, "/api/v2/incidents/unresolved.json")["incidents"])
        res.check("not affected by anything while db is up",
                  components(h)["api"].get("affected_by") is None,
                  components(h)["api"])
        targets["db"][1]["ok"] = False

        def db_incident():
            for i in doc(h, "/api/v2/incidents/unresolved.json")["incidents"]:
                if i["name"].startswith("Database:"):
                    return i
            return None
        res.check("db fails: its incident names api as well", wait_until(
            lambda: db_incident() is not None and
            {x["id"] for x in db_incident()["components"]} == {"db", "api"}, 20),
            db_incident())
        res.check("and api is now shown as affected by db",
                  components(h)["api"].get("affected_by") == "db",
                  components(h)["api"])
    finally:
        for srv, _ in targets.values():
            srv.shutdown()
        rec.srv.shutdown()
        h.stop_all()


BLOCKED = set()
REGIONS = {"r1": "127.0.0.2", "r2": "127.0.0.3"}


def respond(handler):
    if handler.client_address[0] in BLOCKED:
        return 503, b"cut off\n"
    return 200, b"ok\n"


def mass_failure(res):
    port = free_port()
    srv = serve_target(port, respond)
    h = Harness("mass-failure")
    ids = ["a", "b", "c", "d"]
    comps = "components:\n"
    for i in ids:
        comps += (f"  - id: {i}\n    name: Service {i.upper()}\n    checks:\n"
                  f'      - {{id: {i}-http, type: http, url: "http://127.0.0.1:{port}/{i}", '
                  "interval: 1s, timeout: 500ms, fail_after: 2, recover_after: 2, "
                  "confirm_after: 0s, quorum: 1}\n")
    try:
        h.write_config(list(REGIONS), comps,
                       extra_yaml="incidents:\n  auto: publish\n"
                                  "mass_failure: {share: 0.5, min_checks: 3}\n")
        h.start_collector()
        for r, src in REGIONS.items():
            h.start_agent(r, source=src)
        wait_for(lambda: all(h.region_states(f"{i}-http") == {"r1": "up", "r2": "up"}
                             for i in ids), 20, "every check up in both regions")
        BLOCKED.add(REGIONS["r2"])

        def note():
            for r in doc(h, "/api/v2/regions.json")["regions"]:
                if r["id"] == "r2":
                    return r.get("mass_failure")
            return None
        res.check("regions.json notes r2's mass failure",
                  wait_until(lambda: note() is not None, 20), note())
        res.check("the note counts the region's failing checks",
                  wait_until(lambda: (note() or {}).get("failing") == 4
                             and note().get("checks") == 4, 20), note())
        res.check("every r2 pair reports down (the failure is real)",
                  wait_until(lambda: all(h.region_states(f"{i}-http").get("r2") == "down"
                                         for i in ids), 20),
                  [h.region_states(f"{i}-http") for i in ids])
        st = {c["id"]: c["status"] for c in doc(h, "/api/v2/components.json")["components"]}
        res.check("no component left operational (quorum 1 would have made 4 outages)",
                  all(s == "operational" for s in st.values()), st)
        res.check("no incident opened",
                  doc(h, "/api/v2/incidents.json")["incidents"] == [],
                  doc(h, "/api/v2/incidents.json"))
        out = subprocess.run([h.bin("pharosctl"), "--url", h.url(""), "regions"],
                             capture_output=True, text=True, timeout=10).stdout
        res.check("pharosctl regions names the region in a mass failure",
                  "region r2: mass failure since " in out
                  and "region r1:" not in out, out[:400])
        r1 = [r for r in doc(h, "/api/v2/regions.json")["regions"] if r["id"] == "r1"][0]
        res.check("r1 carries no note", r1.get("mass_failure") is None, r1)
        res.check("/metrics: one region in a mass failure, one entered",
                  h.metric("pharos_regions_mass_failure") == 1
                  and h.metric("pharos_mass_failures_total") == 1,
                  (h.metric("pharos_regions_mass_failure"),
                   h.metric("pharos_mass_failures_total")))
        with open(h.logs["collector"], errors="replace") as f:
            log = f.read()
        res.check("the collector logs it as the region's problem",
                  "engine: region r2 fails " in log
                  and "checks at once: treated as the region's problem" in log,
                  log[-600:])
        BLOCKED.clear()
        res.check("restored: the note goes away",
                  wait_until(lambda: note() is None, 20), note())
        res.check("/metrics: no region in a mass failure",
                  h.metric("pharos_regions_mass_failure") == 0)
    finally:
        srv.shutdown()
        h.stop_all()


def main():
    res = Results()
    dependencies(res)
    mass_failure(res)
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
