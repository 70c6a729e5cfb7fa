#!/usr/bin/env python3
"""pharosctl's incident, maintenance and draft commands against a live
collector, and drafts: with incidents.auto = draft an outage opens an
incident that stays off the public feeds until it is published, and a
discarded draft is gone."""
import json
import os
import signal
import subprocess
import sys
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pharos_harness import serve_switchable, Harness, free_port, http_get, wait_for, wait_until  # noqa: E402
from oncetest import Results  # noqa: E402


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def main():
    res = Results()
    port = free_port()
    srv, healthy = serve_switchable(port)
    h = Harness("incidents_ctl")
    key = "ph_write_" + "c" * 30
    os.environ["PH_CTL_WRITE"] = key
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
""", extra_yaml="api_keys:\n  - {name: ops, scope: write, token_env: PH_CTL_WRITE}\n"
                 "incidents:\n  auto: draft\n  resolve_after: 1h\n")
        h.start_collector()
        h.start_agent("r1")
        wait_for(lambda: h.region_states("api-http") == {"r1": "up"}, 20,
                 "api-http up in r1")

        def ctl(*args, key_env=True):
            env = dict(os.environ, PHAROS_URL=h.url(""))
            if key_env:
                env["PHAROS_KEY"] = key
            else:
                env.pop("PHAROS_KEY", None)
            p = subprocess.run([h.bin("pharosctl"), *args], capture_output=True,
                               text=True, timeout=30, env=env)
            return p.returncode, p.stdout, p.stderr

        def public(path):
            return json.loads(http_get(h.url(path))[1])

        # ---- incident open / update / show / list / resolve ----
        rc, out, err = ctl("--json", "incident", "open", "Login failures",
                           "--body", "Users cannot log in.", "--component", "web=major_outage")
        inc = json.loads(out) if rc == 0 else {}
        res.check("incident open --json prints the incident",
                  rc == 0 and inc.get("name") == "Login failures" and inc["impact"] == "critical",
                  (rc, out, err))
        iid = inc.get("id", "")
        rc, out, err = ctl("incident", "update", iid, "--status", "identified",
                           "--body", "A bad certificate.")
        res.check("incident update prints a summary line",
                  rc == 0 and "updated" in out and "identified" in out, (rc, out, err))
        rc, out, err = ctl("incident", "show", iid)
        res.check("incident show prints the timeline",
                  rc == 0 and "A bad certificate." in out and "Users cannot log in." in out
                  and out.index("A bad certificate.") < out.index("Users cannot log in."), out)
        rc, out, err = ctl("incident", "list")
        res.check("incident list shows it", rc == 0 and iid in out, out)
        rc, out, err = ctl("incident", "update", iid, "--status", "sleeping")
        res.check("API errors reach the user with exit status 1",
                  rc == 1 and "422" in err and "unknown incident status" in err, (rc, err))
        rc, out, err = ctl("incident", "update", iid, "--component", "web")
        res.check("update --component without a status is a usage error", rc == 2, (rc, err))
        rc, out, err = ctl("incident", "list", key_env=False)
        res.check("no key: 401 shown", rc == 1 and "401" in err, (rc, err))
        rc, out, err = ctl("incident", "resolve", iid)
        res.check("incident resolve", rc == 0 and "resolved" in out, (rc, out, err))
        res.check("resolved incident is in the public feed",
                  wait_until(lambda: [i["status"] for i in public("/api/v2/incidents.json")["incidents"]
                                      if i["id"] == iid] == ["resolved"], 3))
        res.check("resolving handed web back to probes",
                  wait_until(lambda: {c["id"]: c["status"] for c in
                                      public("/api/v2/components.json")["components"]}["web"]
                             == "operational", 3))

        # ---- maintenance schedule / list / cancel ----
        now = datetime.now(timezone.utc)
        rc, out, err = ctl("--json", "maintenance", "schedule", "Network work",
                           "--from", iso(now + timedelta(hours=1)),
                           "--until", iso(now + timedelta(hours=2)),
                           "--component", "web", "--remind", "30")
        m = json.loads(out) if rc == 0 else {}
        res.check("maintenance schedule",
                  rc == 0 and m.get("status") == "scheduled"
                  and m.get("scheduled_remind_prior_minutes") == 30, (rc, out, err))
        rc, out, err = ctl("maintenance", "list")
        res.check("maintenance list shows the window", rc == 0 and m.get("id", "?") in out
                  and "window" in out, out)
        rc, out, err = ctl("maintenance", "schedule", "No window")
        res.check("schedule without times is a usage error", rc == 2, (rc, err))
        rc, out, err = ctl("maintenance", "cancel", m.get("id", ""))
        res.check("maintenance cancel completes it", rc == 0 and "completed" in out, (rc, out, err))
        res.check("cancelled maintenance left upcoming.json",
                  wait_until(lambda: public("/api/v2/scheduled-maintenances/upcoming.json")
                             ["scheduled_maintenances"] == [], 3))

        # ---- a reload keeps maintenance windows and overrides ----
        rc, out, err = ctl("--json", "maintenance", "schedule", "Now window",
                           "--from", iso(now - timedelta(seconds=5)),
                           "--until", iso(now + timedelta(hours=1)),
                           "--component", "web")
        mw = json.loads(out) if rc == 0 else {}

        def comp(cid):
            return {c["id"]: c["status"] for c in
                    public("/api/v2/components.json")["components"]}[cid]
        res.check("a window that began already starts at once",
                  wait_until(lambda: comp("web") == "under_maintenance", 5), comp("web"))
        rc, _, err = ctl("component", "set", "api", "degraded_performance")
        res.check("override set", rc == 0 and
                  wait_until(lambda: comp("api") == "degraded_performance", 3), err)
        def reloads():
            with open(h.logs["collector"]) as f:
                return f.read().count("reload: ")
        r0 = reloads()
        h.procs["collector"].send_signal(signal.SIGHUP)
        reloaded = wait_until(lambda: reloads() > r0, 10)
        res.check("after SIGHUP the window and the override still hold",
                  reloaded and comp("web") == "under_maintenance"
                  and comp("api") == "degraded_performance",
                  (reloaded, comp("web"), comp("api")))
        ctl("maintenance", "cancel", mw.get("id", ""))
        ctl("component", "clear", "api")
        res.check("cancel and clear hand both back to the probes",
                  wait_until(lambda: comp("web") == "operational"
                             and comp("api") == "operational", 5), (comp("web"), comp("api")))

        # ---- drafts from automation ----
        healthy["ok"] = False

        def drafts():
            rc, out, _ = ctl("--json", "drafts")
            return json.loads(out) if rc == 0 else []
        res.check("an outage opens a draft",
                  wait_until(lambda: len(drafts()) == 1, 15), drafts())
        d = drafts()[0]
        res.check("the draft names the failing check",
                  d["name"] == "API: major outage" and "api-http" in d["incident_updates"][-1]["body"], d)
        res.check("the draft is not public",
                  all(i["id"] != d["id"] for i in public("/api/v2/incidents.json")["incidents"])
                  and public("/api/v2/summary.json")["incidents"] == []
                  and d["name"].encode() not in http_get(h.url("/history.atom"))[1])
        rc, out, err = ctl("draft", "publish", d["id"])
        res.check("draft publish", rc == 0 and "published" in out, (rc, out, err))
        res.check("the published incident is public",
                  wait_until(lambda: [i["id"] for i in public("/api/v2/summary.json")["incidents"]] == [d["id"]], 3))
        healthy["ok"] = True
        res.check("recovery moves it to monitoring (resolve_after is long)",
                  wait_until(lambda: [i["status"] for i in public("/api/v2/incidents.json")["incidents"]
                                      if i["id"] == d["id"]] == ["monitoring"], 15))
        healthy["ok"] = False
        res.check("a new failure reopens the same incident, not a new one",
                  wait_until(lambda: [i["status"] for i in public("/api/v2/incidents.json")["incidents"]
                                      if i["id"] == d["id"]] == ["investigating"], 15)
                  and drafts() == [])
        rc, out, err = ctl("incident", "resolve", d["id"])
        res.check("resolve it by hand", rc == 0, (rc, err))
        healthy["ok"] = True

        def api_status():
            return {c["id"]: c["status"] for c in public("/api/v2/components.json")["components"]}["api"]
        res.check("api recovers after the hand resolution",
                  wait_until(lambda: api_status() == "operational", 15),
                  api_status())
        res.check("recovery after a hand resolution opens nothing",
                  drafts() == [] and api_status() == "operational", api_status())
        healthy["ok"] = False
        res.check("the next outage opens a new draft",
                  wait_until(lambda: len(drafts()) == 1, 20) and drafts()[0]["id"] != d["id"], drafts())
        d2 = drafts()[0] if drafts() else {"id": "?"}
        rc, out, err = ctl("draft", "discard", d2["id"])
        res.check("draft discard", rc == 0 and "discarded" in out, (rc, out, err))
        res.check("the discarded draft is gone", drafts() == [])
        healthy["ok"] = True
    except Exception:
        h.dump_logs()
        raise
    finally:
        h.stop_all()
        srv.shutdown()
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
