#!/usr/bin/env python3
"""Incidents and scheduled maintenance through the Statuspage v1 API, as
real clients send them (JSON without Content-Type, Rails forms, message as
body, components map and component_ids, t/f booleans), their effect on
components and on every public document, maintenance windows that start
and complete by themselves, update edits, deletion, pagination, the audit
log, persistence across a restart, and the probe automation (an outage
opens an incident, recovery moves it to monitoring and resolves it)."""
import json
import os
import sys
import time
import urllib.request
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pharos_harness import serve_switchable, Harness, free_port, http_get, wait_for, wait_until  # noqa: E402
from oncetest import Results  # noqa: E402
from xmlcheck import check_atom, check_rss  # noqa: E402


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def main():
    res = Results()
    port = free_port()
    srv, healthy = serve_switchable(port)
    h = Harness("incidents")
    key = "ph_write_" + "w" * 30
    rkey = "ph_read_" + "r" * 30
    akey = "ph_admin_" + "a" * 30
    os.environ["PH_INC_WRITE"] = key
    os.environ["PH_INC_READ"] = rkey
    os.environ["PH_INC_ADMIN"] = akey
    try:
        h.write_config(["r1"], f"""
components:
  - id: api
    name: API
    checks:
      - {{id: api-http, type: http, url: "http://127.0.0.1:{port}/", interval: 1s, timeout: 500ms,
          fail_after: 1, recover_after: 1}}
  - id: web
    name: Web
  - id: mail
    name: Email
""", extra_yaml="api_keys:\n  - {name: ci, scope: write, token_env: PH_INC_WRITE}\n"
                 "  - {name: viewer, scope: read, token_env: PH_INC_READ}\n"
                 "  - {name: boss, scope: admin, token_env: PH_INC_ADMIN}\n"
                 "incidents:\n  auto: publish\n  resolve_after: 3s\n")
        h.start_collector()
        h.start_agent("r1")
        wait_for(lambda: h.region_states("api-http") == {"r1": "up"}, 20,
                 "api-http up in r1")
        base = h.url("/v1/pages/itest")

        def call(method, path, body=None, headers=None, k=key, prefix="OAuth "):
            hd = dict(headers or {})
            if k is not None:
                hd["Authorization"] = prefix + k
            data = body.encode() if isinstance(body, str) else body
            code, out = http_get(base + path, method=method, data=data,
                                 headers=hd, ok_codes=None)
            try:
                return code, json.loads(out) if out else None
            except ValueError:
                return code, out

        def doc(path):
            return json.loads(http_get(h.url(path))[1])

        def statuses():
            return {c["id"]: c["status"] for c in doc("/api/v2/summary.json")["components"]}

        # ---- create: JSON without Content-Type, components map ----
        code, inc = call("POST", "/incidents", json.dumps({"incident": {
            "name": "Elevated API errors", "status": "investigating",
            "body": "We are looking into <script>alert(1)</script> errors.",
            "components": {"web": "partial_outage"}}}))
        res.check("create: 201 with the v1 incident",
                  code == 201 and inc["name"] == "Elevated API errors"
                  and inc["status"] == "investigating" and inc["impact"] == "major"
                  and inc["postmortem_published_at"] is None
                  and inc["monitoring_at"] is None and inc["resolved_at"] is None
                  and len(inc["id"]) == 12, (code, inc))
        iid = inc["id"]
        u0 = inc["incident_updates"][0]
        res.check("first update carries the body and affected_components[].code",
                  u0["body"].startswith("We are looking into <script>")
                  and u0["affected_components"] == [{"code": "web", "name": "Web",
                                                     "old_status": "operational",
                                                     "new_status": "partial_outage"}],
                  u0)
        res.check("components map moved the component",
                  wait_until(lambda: statuses()["web"] == "partial_outage", 3), statuses())
        s = doc("/api/v2/summary.json")
        res.check("summary.json lists the unresolved incident with every key",
                  [i["id"] for i in s["incidents"]] == [iid]
                  and list(s["incidents"][0].keys()) == [
                      "id", "name", "status", "created_at", "updated_at", "monitoring_at",
                      "resolved_at", "impact", "shortlink", "started_at", "page_id",
                      "incident_updates", "components"], s["incidents"])
        res.check("incidents/unresolved.json has it",
                  [i["id"] for i in doc("/api/v2/incidents/unresolved.json")["incidents"]] == [iid])

        # ---- update: Rails form, message as an alias of body ----
        code, inc = call("PATCH", f"/incidents/{iid}.json",
                         "incident%5Bstatus%5D=identified&incident[message]=Found+the+bad+deploy")
        res.check("form update: 200, newest update first",
                  code == 200 and inc["status"] == "identified"
                  and len(inc["incident_updates"]) == 2
                  and inc["incident_updates"][0]["status"] == "identified"
                  and inc["incident_updates"][0]["body"] == "Found the bad deploy", (code, inc))
        code, inc = call("PUT", f"/incidents/{iid}", json.dumps({"incident": {
            "status": "monitoring", "body": "Rolled back."}}),
            headers={"Content-Type": "application/json"}, k=key, prefix="")
        res.check("PUT with a bare key: monitoring_at set",
                  code == 200 and inc["status"] == "monitoring" and inc["monitoring_at"], (code, inc))
        code, inc = call("PATCH", f"/incidents/{iid}",
                         "incident[status]=resolved&incident[body]=Fixed."
                         "&incident[components][web]=operational"
                         "&incident[deliver_notifications]=f")
        res.check("resolve: resolved_at set, deliver_notifications false",
                  code == 200 and inc["status"] == "resolved" and inc["resolved_at"]
                  and inc["incident_updates"][0]["deliver_notifications"] is False, (code, inc))
        res.check("resolving restored the component",
                  wait_until(lambda: statuses()["web"] == "operational", 3), statuses())
        res.check("resolved.json has it, unresolved.json not",
                  wait_until(lambda: [i["id"] for i in doc("/api/v2/incidents/resolved.json")["incidents"]] == [iid]
                             and doc("/api/v2/incidents/unresolved.json")["incidents"] == [], 3))
        res.check("incidents.json: newest first updates",
                  [u["status"] for u in doc("/api/v2/incidents.json")["incidents"][0]["incident_updates"]]
                  == ["resolved", "monitoring", "identified", "investigating"])

        # ---- history feeds ----
        def feed(path):
            code, body = http_get(h.url(path))
            return code, body

        ok = wait_until(lambda: b"Elevated API errors" in feed("/history.atom")[1], 3)
        code, atom = feed("/history.atom")
        res.check("history.atom: valid Atom with the incident",
                  ok and code == 200 and check_atom(atom) == [], check_atom(atom))
        code, rss = feed("/history.rss")
        res.check("history.rss: valid RSS 2.0 with the incident",
                  code == 200 and b"Elevated API errors" in rss and check_rss(rss) == [],
                  check_rss(rss))
        res.check("history feeds escape incident text",
                  b"<script" not in atom and b"<script" not in rss)
        with urllib.request.urlopen(h.url("/history.atom"), timeout=5) as r:
            hdrs = dict(r.headers)
        res.check("history.atom content type", hdrs.get("Content-Type", "").startswith("application/atom+xml"), hdrs)
        res.check("history files are published to publish_dir",
                  os.path.exists(os.path.join(h.dir, "public", "history.atom"))
                  and os.path.exists(os.path.join(h.dir, "public", "history.rss")))

        # ---- edit one update ----
        uid = inc["incident_updates"][-1]["id"]
        code, up = call("PATCH", f"/incidents/{iid}/incident_updates/{uid}",
                        json.dumps({"incident_update": {"body": "Corrected first text."}}))
        res.check("incident update edit: 200 with the update",
                  code == 200 and up["id"] == uid and up["body"] == "Corrected first text.", (code, up))
        res.check("edited text reaches incidents.json",
                  wait_until(lambda: doc("/api/v2/incidents.json")["incidents"][0]
                             ["incident_updates"][-1]["body"] == "Corrected first text.", 3))

        # ---- errors ----
        code, err = call("POST", "/incidents", '{"incident":{"status":"investigating"}}')
        res.check("no name: 422 with error body", code == 422 and err.get("error") and err.get("message"), (code, err))
        code, err = call("POST", "/incidents", '{"incident":{"name":"x","status":"sleeping"}}')
        res.check("bad status: 422", code == 422, (code, err))
        code, err = call("POST", "/incidents", '{"incident":{"name":"x","components":{"nope":"major_outage"}}}')
        res.check("unknown component: 422 naming it", code == 422 and "nope" in err["message"], (code, err))
        code, err = call("POST", "/incidents", '{"incident":{"name":"x"')
        res.check("malformed JSON: 400", code == 400 and err["error"] == "bad_request", (code, err))
        code, err = call("POST", "/incidents", '{"incident":{"name":"x","status":"in_progress"}}')
        res.check("maintenance without a window: 422", code == 422, (code, err))
        code, err = call("GET", "/incidents/zzzzzzzzzzzz")
        res.check("unknown incident: 404", code == 404, code)
        code, err = call("POST", "/incidents", '{"incident":{"name":"x"}}', k=rkey)
        res.check("read key cannot create: 403", code == 403, code)
        code, err = call("PATCH", f"/incidents/{iid}", '{"incident":{"deliver_notifications":"maybe"}}')
        res.check("bad boolean: 422", code == 422, (code, err))

        # ---- maintenance: starts and completes by itself ----
        # Windows wide enough that each read below lands inside its own
        # on a slow machine: upcoming before +6 s, in progress until +16 s.
        now = datetime.now(timezone.utc)
        code, m = call("POST", "/incidents", json.dumps({"incident": {
            "name": "Database upgrade", "status": "scheduled",
            "scheduled_for": iso(now + timedelta(seconds=6)),
            "scheduled_until": iso(now + timedelta(seconds=16)),
            "scheduled_auto_in_progress": "t", "scheduled_auto_completed": True,
            "body": "We will upgrade the database.", "component_ids": ["mail"]}}))
        res.check("maintenance created: impact maintenance, scheduled",
                  code == 201 and m["status"] == "scheduled" and m["impact"] == "maintenance"
                  and m["scheduled_for"] and m["scheduled_until"], (code, m))
        mid = m["id"]
        res.check("upcoming.json and summary list it",
                  wait_until(lambda: [x["id"] for x in doc("/api/v2/scheduled-maintenances/upcoming.json")
                                      ["scheduled_maintenances"]] == [mid]
                             and [x["id"] for x in doc("/api/v2/summary.json")["scheduled_maintenances"]] == [mid], 3))
        code, lst = call("GET", "/incidents/upcoming")
        res.check("v1 incidents/upcoming", code == 200 and [x["id"] for x in lst] == [mid], lst)
        res.check("maintenance starts: component under_maintenance",
                  wait_until(lambda: statuses()["mail"] == "under_maintenance", 15), statuses())
        res.check("active.json lists it in progress",
                  wait_until(lambda: [(x["id"], x["status"]) for x in doc("/api/v2/scheduled-maintenances/active.json")
                                      ["scheduled_maintenances"]] == [(mid, "in_progress")], 3))
        code, lst = call("GET", "/incidents/active_maintenance")
        res.check("v1 active_maintenance", code == 200 and [x["id"] for x in lst] == [mid], lst)
        res.check("maintenance completes: component back to operational",
                  wait_until(lambda: statuses()["mail"] == "operational", 20), statuses())
        mm = [x for x in doc("/api/v2/scheduled-maintenances.json")["scheduled_maintenances"] if x["id"] == mid]
        res.check("scheduled-maintenances.json: completed with three updates",
                  mm and mm[0]["status"] == "completed"
                  and [u["status"] for u in mm[0]["incident_updates"]] == ["completed", "in_progress", "scheduled"],
                  mm)
        code, tr = call("GET", "/components/mail/transitions")
        res.check("transitions record the maintenance as source",
                  any(t["new_status"] == "under_maintenance" and t["source"] == "maintenance" for t in tr), tr)

        # ---- pagination and search ----
        code, lst = call("GET", "/incidents?limit=1&page=2")
        res.check("limit/page", code == 200 and len(lst) == 1 and lst[0]["id"] == iid, lst)
        code, lst = call("GET", "/incidents?q=Database")
        res.check("q searches names", code == 200 and [x["id"] for x in lst] == [mid], lst)

        # ---- restart: everything is still there ----
        h.stop("collector")
        h.start_collector()
        code, lst = call("GET", "/incidents")
        res.check("incidents survive a restart",
                  code == 200 and sorted(x["id"] for x in lst) == sorted([iid, mid])
                  and [len(x["incident_updates"]) for x in lst if x["id"] == iid] == [4], lst)

        # ---- delete ----
        code, gone = call("DELETE", f"/incidents/{mid}")
        res.check("DELETE: 200 with the incident", code == 200 and gone["id"] == mid, (code, gone))
        code, _ = call("GET", f"/incidents/{mid}")
        res.check("deleted incident: 404", code == 404, code)

        # ---- audit log ----
        code, log = call("GET", "/audit-log", k=akey)
        actions = [(e["actor"], e["action"].split(" ")[0], e["status"]) for e in log]
        res.check("audit log records every write with actor and status",
                  code == 200 and ("ci", "POST", 201) in actions and ("ci", "DELETE", 200) in actions
                  and ("ci", "POST", 422) in actions
                  and ("viewer", "POST", 403) in actions, log[:5])
        res.check("audit log names the created incident",
                  any(e["target"] == iid and e["action"].startswith("POST") for e in log), log[-3:])
        code, _ = call("GET", "/audit-log")
        res.check("audit log needs an admin key", code == 403, code)

        # ---- automation: probes open, monitor and resolve an incident ----
        healthy["ok"] = False

        def auto_incidents():
            return [i for i in doc("/api/v2/incidents.json")["incidents"] if i["name"].startswith("API:")]
        res.check("an outage opens a published incident naming the check and region",
                  wait_until(lambda: any(i["status"] == "investigating" for i in auto_incidents()), 15),
                  auto_incidents())
        ai = auto_incidents()[0]
        res.check("its first update names the failing check and region",
                  "api-http" in ai["incident_updates"][-1]["body"]
                  and "r1" in ai["incident_updates"][-1]["body"]
                  and ai["impact"] == "critical", ai["incident_updates"])
        healthy["ok"] = True
        res.check("recovery moves it to monitoring",
                  wait_until(lambda: auto_incidents()[0]["status"] in ("monitoring", "resolved"), 15),
                  auto_incidents())
        res.check("and resolves it after resolve_after",
                  wait_until(lambda: auto_incidents()[0]["status"] == "resolved", 15), auto_incidents())
        res.check("the automated incident has its timeline",
                  [u["status"] for u in auto_incidents()[0]["incident_updates"]]
                  == ["resolved", "monitoring", "investigating"], auto_incidents()[0]["incident_updates"])
    except Exception:
        h.dump_logs()
        raise
    finally:
        h.stop_all()
        srv.shutdown()
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
