#!/usr/bin/env python3
"""Update cadence of incidents against a real collector: an incident
whose latest update is older than its update_every (per incident, or
incidents.update_every) is overdue in the v1 API, in `pharosctl incident
list` and in /metrics; a new update clears it; drafts and resolved
incidents are never overdue; an update's "next update by" promise
(next_update_in_minutes / next_update_at) reaches the public feed. The
staff channels (incidents.staff: Slack and a signed webhook, served by
a loopback receiver) get one reminder per overdue period, also across a
restart; public subscribers never get one and never see the staff
rows."""
import base64
import json
import os
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pharos_harness import Harness, free_port, http_get, wait_until  # noqa: E402
from oncetest import Results  # noqa: E402

KEY = "ph_cadence_" + "k" * 30


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.000Z")


class Receiver:
    """Records every POST (path, headers, JSON body) on loopback."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reqs = []
        rec = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                hdrs = {k.lower(): v for k, v in self.headers.items()}
                with rec.lock:
                    rec.reqs.append((self.path, hdrs, body))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.port = free_port()
        self.srv = ThreadingHTTPServer(("127.0.0.1", self.port), H)
        self.srv.daemon_threads = True
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def bodies(self, path):
        with self.lock:
            return [b for p, _, b in self.reqs if p == path]

    def reminders(self, path, iid):
        out = []
        for b in self.bodies(path):
            try:
                doc = json.loads(b)
            except ValueError:
                continue
            text = json.dumps(doc)
            if "overdue" in text.lower() and iid in text:
                out.append(doc)
        return out


def main():
    res = Results()
    h = Harness("update_cadence")
    rec = Receiver()
    os.environ["PH_CADENCE_KEY"] = KEY
    try:
        os.makedirs(os.path.join(h.dir, "secrets"), exist_ok=True)
        with open(os.path.join(h.dir, "secrets", "staff.whsec"), "w") as f:
            f.write("whsec_" + base64.b64encode(b"s" * 24).decode() + "\n")
        h.write_config(["r1"], """
components:
  - id: api
    name: API
""", extra_yaml=f"""api_keys:
  - {{name: ops, scope: write, token_env: PH_CADENCE_KEY}}
notify:
  allow_private_targets: true
incidents:
  update_every: 20m
  staff:
    - {{kind: slack, address: "{rec.url('/slack')}"}}
    - {{kind: webhook, address: "{rec.url('/hook')}", secret_file: secrets/staff.whsec}}
""", agents_for=[])
        h.start_collector()
        hd = {"Authorization": f"OAuth {KEY}",
              "Content-Type": "application/json"}
        base = "/v1/pages/itest/incidents"

        def call(method, path, body=None):
            code, out = http_get(h.url(path), method=method, headers=hd,
                                 data=None if body is None else
                                 json.dumps({"incident": body}).encode(),
                                 ok_codes=None)
            return code, json.loads(out) if out else None

        def overdue_metric():
            for line in http_get(h.url("/metrics"))[1].decode().splitlines():
                if line.startswith("pharos_incidents_update_overdue "):
                    return float(line.split()[1])
            return None

        def ctl_list():
            p = subprocess.run([h.bin("pharosctl"), "--url", h.url(""),
                                "incident", "list"], capture_output=True,
                               text=True, timeout=30,
                               env=dict(os.environ, PHAROS_KEY=KEY))
            return p.stdout

        code, pub = http_get(h.url("/api/v2/subscribers.json"), "POST",
                             data=json.dumps({"subscriber": {
                                 "endpoint": rec.url("/public")}}).encode(),
                             headers={"Content-Type": "application/json"},
                             ok_codes=None)
        res.check("a public webhook subscriber signs up", code == 201,
                  (code, pub))
        old = iso(datetime.now(timezone.utc) - timedelta(minutes=30))
        code, late = call("POST", base, {"name": "Slow API", "body": "Looking",
                                         "display_at": old})
        res.check("incident with its update shown 30 min ago: created",
                  code == 201, (code, late))
        code, late2 = call("POST", base, {"name": "Left alone", "body": "z",
                                          "display_at": old})
        code, fresh = call("POST", base, {"name": "Fresh one", "body": "New"})
        code, draft = call("POST", base, {"name": "Draft", "body": "x",
                                          "draft": True, "display_at": old})
        code, longer = call("POST", base, {"name": "Own cadence",
                                           "body": "y", "display_at": old,
                                           "update_every_minutes": 60})
        code, got = call("GET", f"{base}/{late['id']}")
        res.check("older than incidents.update_every: update_overdue",
                  got.get("update_overdue") is True, got)
        code, got = call("GET", f"{base}/{fresh['id']}")
        res.check("a fresh incident is not overdue",
                  "update_overdue" not in got, got)
        code, got = call("GET", f"{base}/{draft['id']}")
        res.check("a draft is never overdue", "update_overdue" not in got,
                  got)
        code, got = call("GET", f"{base}/{longer['id']}")
        res.check("per-incident update_every_minutes 60 overrides 20m",
                  "update_overdue" not in got, got)
        res.check("/metrics counts the two overdue incidents",
                  overdue_metric() == 2, overdue_metric())
        # --- staff reminders ---
        res.check("Slack staff channel got one reminder for the overdue one",
                  wait_until(lambda: len(rec.reminders("/slack", late["id"]))
                             >= 1, 10), rec.bodies("/slack"))
        res.check("webhook staff channel got a signed reminder",
                  wait_until(lambda: len(rec.reminders("/hook", late["id"]))
                             >= 1, 10), rec.bodies("/hook"))
        with rec.lock:
            hook_hdrs = [hd2 for p2, hd2, _ in rec.reqs if p2 == "/hook"]
        res.check("the webhook reminder carries Standard Webhooks headers",
                  hook_hdrs and hook_hdrs[0].get("webhook-signature", "")
                  .startswith("v1,") and "webhook-id" in hook_hdrs[0],
                  hook_hdrs[:1])
        wh = rec.reminders("/hook", late["id"])
        res.check("webhook reminder names the incident and the due time",
                  wh and wh[0].get("type") == "incident.update_overdue"
                  and wh[0]["data"]["incident_id"] == late["id"]
                  and wh[0]["data"].get("update_due_at"), wh[:1])
        res.check("no reminder for the fresh, draft or own-cadence ones",
                  not any(rec.reminders(p2, i["id"])
                          for p2 in ("/slack", "/hook")
                          for i in (fresh, draft, longer)), rec.reqs)
        code, subs = call("GET", "/v1/pages/itest/subscribers"
                          .replace("/v1/pages/itest/incidents", ""))
        code, out_s = http_get(h.url("/v1/pages/itest/subscribers"),
                               headers=hd, ok_codes=None)
        res.check("staff channels are not listed as subscribers",
                  code == 200 and b"staff-" not in out_s
                  and b"/slack" not in out_s, (code, out_s[:200]))
        out = ctl_list()
        lines = {ln.split()[0]: ln for ln in out.splitlines() if ln.strip()}
        res.check("pharosctl incident list marks only the overdue one",
                  "[update overdue]" in lines.get(late["id"], "")
                  and "[update overdue]" not in lines.get(fresh["id"], ""),
                  out)

        p = subprocess.run([h.bin("pharosctl"), "--url", h.url(""),
                            "incident", "update", fresh["id"], "--body",
                            "Still looking", "--next-update", "20"],
                           capture_output=True, text=True, timeout=30,
                           env=dict(os.environ, PHAROS_KEY=KEY))
        code, got = call("GET", f"{base}/{fresh['id']}")
        res.check("pharosctl incident update --next-update 20 promises it",
                  p.returncode == 0 and got["incident_updates"][0]
                  .get("next_update_at"), (p.returncode, p.stderr,
                                           got["incident_updates"][:1]))
        p = subprocess.run([h.bin("pharosctl"), "--url", h.url(""),
                            "incident", "update", fresh["id"], "--body",
                            "x", "--next-update", "soon"],
                           capture_output=True, text=True, timeout=30,
                           env=dict(os.environ, PHAROS_KEY=KEY))
        res.check("pharosctl --next-update with a bad value: exit 2",
                  p.returncode == 2 and "--next-update" in p.stderr,
                  (p.returncode, p.stderr))
        code, got = call("PATCH", f"{base}/{late['id']}",
                         {"status": "identified", "body": "Found it",
                          "next_update_in_minutes": 15})
        res.check("an update clears overdue",
                  code == 200 and "update_overdue" not in got, (code, got))
        res.check("/metrics down to the one left alone",
                  wait_until(lambda: overdue_metric() == 1, 5),
                  overdue_metric())
        nxt = got["incident_updates"][0].get("next_update_at")
        res.check("the update carries next_update_at about 15 min ahead",
                  nxt is not None and timedelta(minutes=14) <
                  datetime.fromisoformat(nxt.replace("Z", "+00:00")) -
                  datetime.now(timezone.utc) <= timedelta(minutes=15), nxt)

        def public_next():
            doc = json.loads(http_get(h.url(
                "/api/v2/incidents/unresolved.json"))[1])
            for inc in doc["incidents"]:
                if inc["id"] == late["id"]:
                    return inc["incident_updates"][0].get("next_update_at")
            return None
        res.check("the public feed shows next_update_at",
                  wait_until(lambda: public_next() == nxt, 5), public_next())
        code, got = call("PATCH", f"{base}/{longer['id']}",
                         {"body": "z", "next_update_at": "soon"})
        res.check("a bad next_update_at: 400/422 naming it",
                  code in (400, 422) and "next_update_at" in
                  json.dumps(got), (code, got))
        code, got = call("PATCH", f"{base}/{longer['id']}",
                         {"update_every_minutes": 5000})
        res.check("update_every_minutes out of range: refused",
                  code in (400, 422), (code, got))
        call("PATCH", f"{base}/{longer['id']}",
             {"update_every_minutes": 10})
        code, got = call("GET", f"{base}/{longer['id']}")
        res.check("lowering its update_every to 10 min makes it overdue",
                  got.get("update_overdue") is True, got)
        code, got = call("PATCH", f"{base}/{longer['id']}",
                         {"status": "resolved"})
        res.check("a resolved incident is not overdue",
                  code == 200 and "update_overdue" not in got, got)
        # Its reminder may still be on its way: counted once it is in.
        wait_until(lambda: len(rec.reminders("/slack", late2["id"])) >= 1,
                   10)
        h.stop("collector")
        n_slack = len(rec.reminders("/slack", late2["id"]))
        h.start_collector()
        # Another overdue incident after the restart: its reminder shows
        # the ticks ran; the first incident's period was reminded before.
        code, again = call("POST", base, {"name": "After restart",
                                          "body": "b", "display_at": old})
        res.check("after a restart a new overdue incident is reminded",
                  wait_until(lambda: len(rec.reminders("/slack",
                                                       again["id"])) == 1,
                             10), rec.bodies("/slack"))
        res.check("one reminder per period: none again after the restart",
                  len(rec.reminders("/slack", late2["id"])) == n_slack == 1,
                  (n_slack, rec.reminders("/slack", late2["id"])))
        res.check("the public subscriber gets the incidents themselves",
                  wait_until(lambda: len(rec.bodies("/public")) >= 1, 20),
                  rec.reqs[-3:])
        res.check("public subscribers never get a reminder",
                  rec.bodies("/public") and not any(
                      b"overdue" in b.lower() for b in rec.bodies("/public")),
                  rec.bodies("/public")[:2])
        code, got = call("GET", f"{base}/{late['id']}")
        res.check("next_update_at survives a restart",
                  got["incident_updates"][0].get("next_update_at") == nxt,
                  got["incident_updates"][0])
    except Exception:
        h.dump_logs()
        raise
    finally:
        rec.srv.shutdown()
        h.stop_all()
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
