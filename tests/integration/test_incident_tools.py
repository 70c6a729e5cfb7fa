#!/usr/bin/env python3
"""Incidents driven by PagerDuty (V3 webhooks) and Opsgenie (outgoing
webhooks) against a real collector over HTTP. Payloads are the vendors'
documented examples (tests/fixtures/pagerduty, tests/fixtures/opsgenie),
with event ids and times made fresh. Checks signatures (none, wrong,
several during a rotation, the second secret alone), stale events,
replays, unknown services, out-of-order events (resolved before
acknowledged), notes kept internal or published per rule, the
incident's lifecycle and component statuses on the public feed, the
tool's URL kept in the audit log and never published, tokens for
Opsgenie, and the /metrics counts."""
import copy
import hashlib
import hmac
import json
import os
import subprocess
import sys
import uuid
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pharos_harness import serve_target, Harness, free_port, http_get, wait_for, wait_until  # noqa: E402
from oncetest import Results  # noqa: E402

FIX = os.path.join(os.path.dirname(__file__), "..", "fixtures")
PD_SECRET = "pd-current-" + "c" * 24
PD_NEXT = "pd-next-" + "n" * 24
OG_TOKEN = "ph_og_" + "o" * 30
ADMIN_KEY = "ph_admin_" + "a" * 30


def fixture(tool, name):
    with open(os.path.join(FIX, tool, name)) as f:
        return json.load(f)


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def pd_event(name, incident=None, service=None, when=None):
    """A documented example with a fresh id and time; incident and
    service replace the example's ids."""
    doc = fixture("pagerduty", name)
    ev = doc["event"]
    ev["id"] = uuid.uuid4().hex.upper()[:26]
    ev["occurred_at"] = iso(when or datetime.now(timezone.utc))
    data = ev["data"]
    if incident:
        target = data["incident"] if "incident" in data else data
        target["id"] = incident
        target["html_url"] = f"https://acme.pagerduty.com/incidents/{incident}"
    if service and "service" in data:
        data["service"]["id"], data["service"]["summary"] = service
    return doc


def sign(body, *secrets):
    return ",".join("v1=" + hmac.new(s.encode(), body, hashlib.sha256)
                    .hexdigest() for s in secrets)


def main():
    res = Results()
    port = free_port()
    srv = serve_target(port)
    h = Harness("incident_tools")
    os.environ["PH_PD_SECRET"] = PD_SECRET
    os.environ["PH_OG_TOKEN"] = OG_TOKEN
    os.environ["PH_TOOLS_ADMIN"] = ADMIN_KEY
    try:
        os.makedirs(os.path.join(h.dir, "secrets"), exist_ok=True)
        with open(os.path.join(h.dir, "secrets", "pd-next"), "w") as f:
            f.write(PD_NEXT + "\n")
        h.write_config(["r1"], f"""
components:
  - id: api
    name: API
    checks:
      - {{id: api-http, type: http, url: "http://127.0.0.1:{port}/", interval: 1s, timeout: 500ms}}
  - id: web
    name: Web
  - id: db
    name: Database
""", extra_yaml="""api_keys:
  - {name: admin, scope: admin, token_env: PH_TOOLS_ADMIN}
incidents:
  templates:
    - name: db-slow
      title: "{{component}} is slow"
      body: "We see slow responses from {{component}} ({{title}})."
      status: identified
      components: {db: degraded_performance}
integrations:
  pagerduty:
    max_age: 10m
    secrets:
      - {name: current, secret_env: PH_PD_SECRET}
      - {name: next, secret_file: secrets/pd-next}
    rules:
      - service_id: PF9KMXH
        priority: P1
        components: [api]
        status: major_outage
        publish: true
        on_acknowledge: identified
        notes: public
      - service: Web Service
        components: [web]
        status: degraded_performance
      - service_id: PTMPL01
        components: [web]
        status: partial_outage
        publish: true
        template: db-slow
  opsgenie:
    tokens:
      - {name: og, token_env: PH_OG_TOKEN}
    rules:
      - tag: tag1
        components: [db]
        status: partial_outage
        publish: true
        on_acknowledge: identified
        notes: public
""")
        h.start_collector()
        h.start_agent("r1")
        wait_for(lambda: h.region_states("api-http") == {"r1": "up"}, 20,
                 "api-http up in r1")
        admin = {"Authorization": f"OAuth {ADMIN_KEY}"}

        def post(path, body, headers):
            hd = {"Content-Type": "application/json"}
            hd.update(headers)
            code, out = http_get(h.url(path), method="POST", data=body,
                                 headers=hd, ok_codes=None)
            try:
                return code, json.loads(out)
            except ValueError:
                return code, out

        def pd(doc, *secrets, raw=None, header=None):
            body = raw if raw is not None else json.dumps(doc).encode()
            hd = {"User-Agent": "PagerDuty-Webhook/V3.0"}
            sig = header if header is not None else sign(body, *secrets)
            if sig:
                hd["X-PagerDuty-Signature"] = sig
            return post("/v1/integrations/pagerduty", body, hd)

        def og(doc, token=OG_TOKEN, raw=None):
            body = raw if raw is not None else json.dumps(doc).encode()
            hd = {} if token is None else {"Authorization": f"Bearer {token}"}
            return post("/v1/integrations/opsgenie", body, hd)

        def incident(iid):
            code, out = http_get(h.url(f"/v1/pages/itest/incidents/{iid}"),
                                 headers=admin, ok_codes=None)
            return json.loads(out) if code == 200 else None

        def incidents():
            code, out = http_get(h.url("/v1/pages/itest/incidents"),
                                 headers=admin)
            return json.loads(out)

        def status():
            doc = json.loads(http_get(h.url("/api/v2/components.json"))[1])
            return {c["id"]: c["status"] for c in doc["components"]}

        res.check("starts operational",
                  wait_until(lambda: status()["api"] == "operational", 10),
                  status())

        # --- PagerDuty: authenticity ---
        trig = pd_event("triggered.json")
        code, out = pd(trig, header="")
        res.check("unsigned delivery: 401 invalid_signature",
                  code == 401 and out.get("error") == "invalid_signature",
                  (code, out))
        code, out = pd(trig, "not-the-secret-at-all")
        res.check("wrong signature: 401", code == 401, (code, out))
        body = json.dumps(trig).encode()
        code, out = pd(None, raw=body + b" ", header=sign(body, PD_SECRET))
        res.check("body changed after signing: 401", code == 401,
                  (code, out))
        code, out = pd(None, raw=body,
                       header="v0=" + sign(body, PD_SECRET)[3:])
        res.check("only a non-v1 signature: 401", code == 401, (code, out))
        res.check("nothing opened by refused deliveries",
                  incidents() == [], incidents())

        # --- PagerDuty: triggered with two signatures (rotation) ---
        code, out = pd(trig, "an-old-secret-being-rotated", PD_SECRET)
        res.check("triggered, signed by two secrets: applied",
                  code == 200 and out.get("status") == "applied"
                  and out.get("incident_id"), (code, out))
        iid = out.get("incident_id") if isinstance(out, dict) else None
        inc = incident(iid) or {}
        res.check("incident opened investigating, published, named by title",
                  inc.get("status") == "investigating"
                  and inc.get("name") == "A little bump in the road"
                  and len(inc.get("incident_updates", [])) == 1, inc)
        res.check("api shows major_outage on the public feed",
                  wait_until(lambda: status()["api"] == "major_outage", 5),
                  status())
        pub = http_get(h.url("/api/v2/incidents/unresolved.json"))[1].decode()
        res.check("published incident is on the page's feed",
                  iid is not None and iid in pub, pub[:300])
        res.check("the PagerDuty URL is not published",
                  "pagerduty.com" not in pub, pub[:300])

        code, out = pd(trig, PD_SECRET)
        res.check("replayed event id: 200 duplicate, nothing changed",
                  code == 200 and out.get("status") == "duplicate"
                  and len((incident(iid) or {}).get("incident_updates", []))
                  == 1, (code, out))
        code, out = pd(pd_event("triggered.json"), PD_SECRET)
        res.check("second trigger of the same incident: ignored",
                  code == 200 and out.get("status") == "ignored"
                  and len(incidents()) == 1, (code, out))

        # --- acknowledged, signed by the next secret alone ---
        code, out = pd(pd_event("acknowledged.json"), PD_NEXT)
        res.check("acknowledged (second secret alone): identified",
                  code == 200 and out.get("status") == "applied"
                  and (incident(iid) or {}).get("status") == "identified",
                  (code, out, incident(iid)))

        # --- annotated: this rule publishes notes ---
        code, out = pd(pd_event("annotated.json"), PD_SECRET)
        upd = (incident(iid) or {}).get("incident_updates", [])
        res.check("annotated: the note becomes an update (notes: public)",
                  code == 200 and out.get("status") == "applied"
                  and upd and upd[0]["body"] ==
                  "I sure am glad we are using PagerDuty!", (code, out, upd[:1]))

        # --- stale ---
        old = pd_event("resolved.json",
                       when=datetime.now(timezone.utc) - timedelta(hours=1))
        code, out = pd(old, PD_SECRET)
        res.check("event older than max_age: 400 stale_event",
                  code == 400 and out.get("error") == "stale_event",
                  (code, out))
        res.check("stale resolve changed nothing",
                  (incident(iid) or {}).get("status") == "identified",
                  incident(iid))

        # --- malformed but signed ---
        code, out = pd(None, raw=b"{not json", header=sign(b"{not json",
                                                           PD_SECRET))
        res.check("signed malformed JSON: 400 naming JSON",
                  code == 400 and "JSON" in out.get("message", ""),
                  (code, out))
        code, out = pd({"event": {"id": "x", "event_type":
                                  "incident.triggered",
                                  "occurred_at": iso(datetime.now(
                                      timezone.utc)), "data": {}}},
                       PD_SECRET)
        res.check("triggered without data.id: 400 naming the field",
                  code == 400 and "event.data.id" in out.get("message", ""),
                  (code, out))

        # --- resolved: back to the probes ---
        code, out = pd(pd_event("resolved.json"), PD_SECRET)
        res.check("resolved: incident resolved",
                  code == 200 and out.get("status") == "applied"
                  and (incident(iid) or {}).get("status") == "resolved",
                  (code, out))
        res.check("api handed back to the probes: operational",
                  wait_until(lambda: status()["api"] == "operational", 5),
                  status())

        # --- unknown service ---
        code, out = pd(pd_event("triggered.json", incident="PUNKNWN",
                                service=("PZZZZZZ", "Billing")), PD_SECRET)
        res.check("unknown service: 200 ignored, no incident",
                  code == 200 and out.get("status") == "ignored"
                  and "no rule" in out.get("reason", "")
                  and len(incidents()) == 1, (code, out))

        # --- priority: P2 matches no rule; raised to P1 it opens ---
        low = pd_event("triggered.json", incident="PPRIO01")
        low["event"]["data"]["priority"]["summary"] = "P2"
        code, out = pd(low, PD_SECRET)
        res.check("P2 incident of the API service: no rule, ignored",
                  code == 200 and out.get("status") == "ignored", (code, out))
        code, out = pd(pd_event("priority_updated.json", incident="PPRIO01"),
                       PD_SECRET)
        pinc = incident(out.get("incident_id")) or {}
        res.check("priority_updated to P1: the P1 rule opens it",
                  code == 200 and out.get("status") == "applied"
                  and pinc.get("name") == "A little bump in the road",
                  (code, out))
        pd(pd_event("resolved.json", incident="PPRIO01"), PD_SECRET)

        # --- out of order: resolved before acknowledged and triggered ---
        n_before = len(incidents())
        code, out = pd(pd_event("resolved.json", incident="PLATE01"),
                       PD_SECRET)
        res.check("resolved before it was opened: ignored",
                  code == 200 and out.get("status") == "ignored", (code, out))
        code, out = pd(pd_event("acknowledged.json", incident="PLATE01"),
                       PD_SECRET)
        res.check("late acknowledged after resolved: ignored",
                  code == 200 and out.get("status") == "ignored", (code, out))
        code, out = pd(pd_event("triggered.json", incident="PLATE01"),
                       PD_SECRET)
        res.check("late triggered after resolved: opens nothing",
                  code == 200 and out.get("status") == "ignored"
                  and len(incidents()) == n_before, (code, out))

        # --- acknowledged before triggered: opens it identified ---
        code, out = pd(pd_event("acknowledged.json", incident="PEARLY1"),
                       PD_SECRET)
        early = out.get("incident_id") if isinstance(out, dict) else None
        res.check("acknowledged first: opens the incident as identified",
                  code == 200 and out.get("status") == "applied"
                  and (incident(early) or {}).get("status") == "identified",
                  (code, out))
        code, out = pd(pd_event("triggered.json", incident="PEARLY1"),
                       PD_SECRET)
        res.check("its late trigger: ignored",
                  code == 200 and out.get("status") == "ignored", (code, out))
        pd(pd_event("resolved.json", incident="PEARLY1"), PD_SECRET)

        # --- a draft rule with internal notes ---
        code, out = pd(pd_event("triggered.json", incident="PWEB001",
                                service=("PWEBSVC", "Web Service")),
                       PD_SECRET)
        wid = out.get("incident_id") if isinstance(out, dict) else None
        winc = incident(wid) or {}
        res.check("rule without publish: a draft incident",
                  code == 200 and out.get("status") == "applied"
                  and winc.get("status") == "investigating", (code, out))
        pub = http_get(h.url("/api/v2/incidents.json"))[1].decode()
        res.check("the draft is not on the public feed",
                  wid is not None and wid not in pub, pub[:200])
        code, out = pd(pd_event("annotated.json", incident="PWEB001"),
                       PD_SECRET)
        res.check("note under notes: internal stays internal",
                  code == 200 and out.get("status") == "ignored"
                  and len((incident(wid) or {}).get("incident_updates", []))
                  == 1, (code, out))
        code, out = pd(pd_event("acknowledged.json", incident="PWEB001",
                                service=("PWEBSVC", "Web Service")),
                       PD_SECRET)
        res.check("acknowledged without on_acknowledge: stays investigating",
                  code == 200 and out.get("status") == "ignored"
                  and (incident(wid) or {}).get("status") == "investigating",
                  (code, out))

        code, out = pd(fixture("pagerduty", "service_updated.json") | {
            "event": fixture("pagerduty", "service_updated.json")["event"]
            | {"occurred_at": iso(datetime.now(timezone.utc))}}, PD_SECRET)
        res.check("service.updated: accepted, not used",
                  code == 200 and out.get("status") == "ignored", (code, out))

        # --- audit keeps the URL ---
        code, out = http_get(h.url("/v1/pages/itest/audit-log?limit=200"),
                             headers=admin)
        audit = out.decode()
        res.check("audit log keeps the PagerDuty incident URL",
                  "https://acme.pagerduty.com/incidents/PGR0VU2" in audit,
                  audit[:300])

        # --- Opsgenie ---
        create = fixture("opsgenie", "create.json")
        code, out = og(create, token=None)
        res.check("opsgenie without token: 401", code == 401, (code, out))
        code, out = og(create, token="ph_og_wrong_" + "x" * 20)
        res.check("opsgenie wrong token: 401", code == 401, (code, out))
        code, out = og(create)
        oid = out.get("incident_id") if isinstance(out, dict) else None
        res.check("Create: incident opened",
                  code == 200 and out.get("status") == "applied" and oid,
                  (code, out))
        res.check("db shows partial_outage",
                  wait_until(lambda: status()["db"] == "partial_outage", 5),
                  status())
        code, out = og(create)
        res.check("same Create again: duplicate",
                  code == 200 and out.get("status") == "duplicate",
                  (code, out))
        code, out = og(fixture("opsgenie", "acknowledge.json"))
        res.check("Acknowledge: identified",
                  code == 200 and (incident(oid) or {}).get("status") ==
                  "identified", (code, out))
        code, out = og(fixture("opsgenie", "addnote.json"))
        upd = (incident(oid) or {}).get("incident_updates", [])
        res.check("AddNote: published as an update",
                  code == 200 and upd
                  and upd[0]["body"] == "Failover to the standby is done.",
                  (code, out, upd[:1]))
        code, out = og(fixture("opsgenie", "close.json"))
        res.check("Close: resolved, db operational",
                  code == 200 and (incident(oid) or {}).get("status") ==
                  "resolved" and wait_until(
                      lambda: status()["db"] == "operational", 5),
                  (code, out, status()))

        other = copy.deepcopy(fixture("opsgenie", "close.json"))
        other["alert"]["alertId"] = "11111111-2222-3333-4444-555555555555"
        n_before = len(incidents())
        code, out = og(other)
        res.check("opsgenie Close before Acknowledge: ignored",
                  code == 200 and out.get("status") == "ignored", (code, out))
        other["action"] = "Acknowledge"
        other["alert"]["updatedAt"] += 1
        code, out = og(other)
        res.check("late Acknowledge after Close: opens nothing",
                  code == 200 and out.get("status") == "ignored"
                  and len(incidents()) == n_before, (code, out))
        unknown = copy.deepcopy(create)
        unknown["alert"]["alertId"] = "99999999-0000-0000-0000-000000000000"
        unknown["alert"]["tags"] = ["billing"]
        code, out = og(unknown)
        res.check("opsgenie alert no rule matches: ignored",
                  code == 200 and out.get("status") == "ignored"
                  and len(incidents()) == n_before, (code, out))
        code, out = og(None, raw=b'{"action": "Create", "alert": []}')
        res.check("opsgenie malformed alert: 400",
                  code == 400 and "alert" in out.get("message", ""),
                  (code, out))

        # --- templates: v1 API, pharosctl, integration rules ---
        code, out = http_get(h.url("/v1/pages/itest/incidents"),
                             method="POST", headers=dict(admin, **{
                                 "Content-Type": "application/json"}),
                             data=json.dumps({"incident": {
                                 "template": "db-slow"}}).encode(),
                             ok_codes=None)
        tinc = json.loads(out) if code == 201 else {}
        res.check("API template: name, body, status from the template",
                  code == 201 and tinc.get("name") == "Database is slow"
                  and tinc.get("status") == "identified"
                  and tinc["incident_updates"][0]["body"] ==
                  "We see slow responses from Database ().", (code, tinc))
        res.check("API template: db degraded_performance",
                  wait_until(lambda: status()["db"] ==
                             "degraded_performance", 5), status())
        code, out = http_get(h.url("/v1/pages/itest/incidents"),
                             method="POST", headers=dict(admin, **{
                                 "Content-Type": "application/json"}),
                             data=json.dumps({"incident": {
                                 "template": "nope"}}).encode(),
                             ok_codes=None)
        res.check("API unknown template: 422 naming it",
                  code == 422 and b"nope" in out, (code, out))
        p = subprocess.run([h.bin("pharosctl"), "--url", h.url(""),
                            "incident", "open", "--template", "db-slow",
                            "Queries time out"],
                           capture_output=True, text=True, timeout=30,
                           env=dict(os.environ, PHAROS_KEY=ADMIN_KEY))
        names = [i["name"] for i in incidents()]
        res.check("pharosctl incident open --template with a NAME",
                  p.returncode == 0 and "Queries time out" in names,
                  (p.returncode, p.stdout, p.stderr, names))
        code, out = pd(pd_event("triggered.json", incident="PTMPL99",
                                service=("PTMPL01", "Reports")), PD_SECRET)
        tinc = incident(out.get("incident_id")) or {}
        res.check("rule with a template: title rendered with the tool's",
                  code == 200 and out.get("status") == "applied"
                  and tinc.get("name") == "Web, Database is slow"
                  and tinc.get("status") == "identified"
                  and tinc["incident_updates"][0]["body"] ==
                  "We see slow responses from Web, Database (A little bump "
                  "in the road).", (code, out, tinc))

        # --- restart: replays are still recognised ---
        h.stop("collector")
        h.start_collector()
        code, out = og(create)
        res.check("after a restart the replay is still a duplicate",
                  code == 200 and out.get("status") == "duplicate",
                  (code, out))

        metrics = http_get(h.url("/metrics"))[1].decode()
        res.check("metrics count integration events by outcome",
                  'pharos_integration_events_total{source="opsgenie",'
                  'result="duplicate"} 1' in metrics
                  and 'pharos_integration_events_total{source="pagerduty",'
                  'result="applied"}' in metrics, metrics[-600:])
    except Exception:
        h.dump_logs()
        raise
    finally:
        srv.shutdown()
        h.stop_all()
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
