#!/usr/bin/env python3
"""Webhook and Slack notifications against real receivers on loopback:
public sign-up (JSON and form), the signing secret shown once, Standard
Webhooks signatures verified by the receiver, the Statuspage envelope
(incident and component_update), retries after a 500, coalescing of a
burst of changes, component filters, drafts never sent, a kill -9 with
messages pending (each arrives exactly once after the restart), the
unsubscribe link, Slack JSON and 429 Retry-After, quarantine of a failing
endpoint, pharosctl subscribers, /metrics, and, with the default config,
refusal of loopback targets and the per-address sign-up rate limit."""
import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pharos_harness import Harness, free_port, http_get, wait_until  # noqa: E402
from oncetest import Results  # noqa: E402


class Receiver:
    """Records every POST; answers per path with a scripted status list
    (the last entry repeats). A 3xx carries Location: location[path]."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reqs = []          # (path, headers dict, body bytes, status)
        self.script = {}        # path -> [status, ...]
        self.fail_first = set()  # paths that answer 500 to a new webhook-id
        self.seen_ids = set()
        self.location = {}      # path -> URL sent with a 3xx
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
                    status, extra = 200, {}
                    wid = hdrs.get("webhook-id")
                    if self.path in rec.fail_first and wid not in rec.seen_ids:
                        rec.seen_ids.add(wid)
                        status = 500
                    elif self.path in rec.script:
                        lst = rec.script[self.path]
                        status = lst.pop(0) if len(lst) > 1 else lst[0]
                        if status == 429:
                            extra["Retry-After"] = "1"
                        elif 300 <= status < 400 and self.path in rec.location:
                            extra["Location"] = rec.location[self.path]
                    rec.reqs.append((self.path, hdrs, body, status))
                out = b"ok" if status < 300 else b"error"
                self.send_response(status)
                for k, v in extra.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

        self.port = free_port()
        self.srv = ThreadingHTTPServer(("127.0.0.1", self.port), H)
        self.srv.daemon_threads = True
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def got(self, path, ok_only=True):
        with self.lock:
            return [(h, json.loads(b)) for p, h, b, st in self.reqs
                    if p == path and (st < 300 or not ok_only)]

    def all(self, path):
        with self.lock:
            return [(h, b, st) for p, h, b, st in self.reqs if p == path]


def verify(secret, hdrs, body):
    """Standard Webhooks verification, as a receiver would do it."""
    key = base64.b64decode(secret.split("_", 1)[1])
    signed = f"{hdrs['webhook-id']}.{hdrs['webhook-timestamp']}.".encode() + body
    want = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    sigs = [s.split(",", 1)[1] for s in hdrs.get("webhook-signature", "").split()]
    fresh = abs(time.time() - int(hdrs["webhook-timestamp"])) < 300
    return fresh and any(hmac.compare_digest(want, s) for s in sigs)


def main():
    res = Results()
    rec = Receiver()
    h = Harness("notify-webhook")
    key = "ph_write_" + "n" * 30
    os.environ["PH_NOTIFY_KEY"] = key
    h2 = None
    try:
        h.write_config(["r1"], """
components:
  - id: api
    name: API
  - id: web
    name: Web
""", extra_yaml="api_keys:\n  - {name: ci, scope: admin, token_env: PH_NOTIFY_KEY}\n"
                 "notify:\n  allow_private_targets: true\n  coalesce: 1500ms\n"
                 "  retry_base: 500ms\n  retry_max: 1s\n  quarantine_after: 4\n"
                 "  subscribe_burst: 50\n")
        h.start_collector()
        base = h.url("/v1/pages/itest")

        def call(method, path, body=None):
            data = json.dumps(body).encode() if body is not None else None
            code, out = http_get(base + path, method=method, data=data,
                                 headers={"Authorization": "OAuth " + key},
                                 ok_codes=None)
            try:
                return code, json.loads(out) if out else None
            except ValueError:
                return code, out

        def subscribe(body, form=False):
            if form:
                data = urllib.parse.urlencode(body).encode()
                hd = {"Content-Type": "application/x-www-form-urlencoded"}
            else:
                data = json.dumps(body).encode()
                hd = {"Content-Type": "application/json"}
            code, out = http_get(h.url("/api/v2/subscribers.json"), "POST",
                                 data=data, headers=hd, ok_codes=None)
            return code, json.loads(out) if out else None

        # ---- sign-up ----
        rec.fail_first.add("/all")
        code, s_all = subscribe({"subscriber": {"endpoint": rec.url("/all")}})
        res.check("webhook sign-up answers 201", code == 201, f"{code} {s_all}")
        s_all = s_all["subscriber"]
        secret = s_all.get("secret", "")
        res.check("the signing secret is shown once, Standard Webhooks form",
                  secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) >= 24)
        code, s_web = subscribe({"subscriber[endpoint]": rec.url("/web"),
                                 "subscriber[component_ids][]": "web"}, form=True)
        res.check("form sign-up with a component filter", code == 201
                  and s_web["subscriber"]["components"] == ["web"], f"{code} {s_web}")
        code, dup = subscribe({"subscriber": {"endpoint": rec.url("/all")}})
        res.check("signing up the same endpoint again answers 202 without details",
                  code == 202 and "subscriber" not in dup and "secret" not in json.dumps(dup),
                  f"{code} {dup}")
        code, bad = subscribe({"subscriber": {"endpoint": "ftp://x.example.org/"}})
        res.check("a non-HTTP endpoint is refused (422)", code == 422, f"{code} {bad}")
        code, bad = subscribe({"subscriber": {"endpoint": rec.url("/x"),
                                              "component_ids": ["nope"]}})
        res.check("an unknown component is refused (422)", code == 422)
        code, lst = call("GET", "/subscribers")
        res.check("v1 lists subscribers without secrets", code == 200 and
                  len(lst) == 2 and all("secret" not in s for s in lst), f"{lst}")
        req = urllib.request.Request(
            h.url("/api/v2/subscribers.json"), method="OPTIONS",
            headers={"Origin": "https://status.example.org",
                     "Access-Control-Request-Method": "POST",
                     "Access-Control-Request-Headers": "content-type"})
        with urllib.request.urlopen(req, timeout=5) as r:
            code, pre = r.status, {k.lower(): v for k, v in r.headers.items()}
        res.check("CORS preflight on the sign-up allows a cross-origin JSON POST",
                  code == 204 and pre.get("access-control-allow-origin") == "*"
                  and "POST" in pre.get("access-control-allow-methods", "")
                  and "content-type" in pre.get("access-control-allow-headers",
                                                "").lower(), f"{code} {pre}")

        # ---- a draft is never sent; an incident is, after a 500 ----
        code, draft = call("POST", "/incidents", {"incident": {
            "name": "Quiet draft", "status": "investigating", "draft": True,
            "body": "draft", "component_ids": ["api"]}})
        code, inc = call("POST", "/incidents", {"incident": {
            "name": "API errors", "status": "investigating",
            "body": "Looking into it", "component_ids": ["api"]}})
        res.check("incident created", code == 201, f"{code} {inc}")
        # A burst inside the coalescing window: one message, latest state.
        call("PATCH", f"/incidents/{inc['id']}", {"incident": {
            "status": "identified", "body": "Found the cause"}})
        ok = wait_until(lambda: len(rec.got("/all")) >= 1, 20)
        res.check("webhook delivered after a 500 (retried)", ok)
        attempts = rec.all("/all")
        res.check("the first attempt got 500, the retry 200, same webhook-id",
                  len(attempts) >= 2 and attempts[0][2] == 500 and
                  attempts[1][2] == 200 and
                  attempts[0][0]["webhook-id"] == attempts[1][0]["webhook-id"],
                  f"{[(a[0].get('webhook-id'), a[2]) for a in attempts]}")
        hd, doc = rec.got("/all")[0]
        raw = [b for p, hh, b, st in rec.reqs if p == "/all" and st == 200][0]
        res.check("webhook signature verifies", verify(secret, hd, raw), f"{hd}")
        res.check("envelope: meta, page, incident",
                  doc["page"]["id"] == "itest" and
                  "status_indicator" in doc["page"] and
                  "status_description" in doc["page"] and
                  doc["meta"]["unsubscribe"].startswith(h.url("/subscriptions/unsubscribe?token=")) and
                  doc["meta"]["generated_at"].endswith("Z") and
                  doc["incident"]["id"] == inc["id"], json.dumps(doc)[:300])
        res.check("coalesced: one message with the latest update",
                  doc["incident"]["status"] == "identified" and
                  doc["incident"]["incident_updates"][0]["body"] == "Found the cause",
                  json.dumps(doc["incident"])[:300])
        # Coalesced updates share one outbox row: once nothing is pending,
        # no second message can come.
        res.check("the outbox drains", wait_until(h.outbox_drained, 15),
                  h.metric("pharos_notify_outbox_backlog"))
        inc_msgs = [d for _, d in rec.got("/all") if "incident" in d]
        res.check("the burst made exactly one incident message",
                  len(inc_msgs) == 1, f"{len(inc_msgs)}")
        res.check("the draft was never sent", all(d["incident"]["name"] != "Quiet draft"
                                                  for d in inc_msgs))
        res.check("component filter: /web got nothing about an API incident",
                  not any("incident" in d for _, d in rec.got("/web", ok_only=False)))

        # ---- component status change: webhook only, filtered ----
        call("PATCH", "/components/web", {"component": {"status": "major_outage"}})
        ok = wait_until(lambda: any("component_update" in d for _, d in rec.got("/web")), 15)
        res.check("component change delivered to the web subscriber", ok)
        if ok:
            d = [d for _, d in rec.got("/web") if "component_update" in d][0]
            res.check("component_update fields",
                      d["component_update"]["new_status"] == "major_outage" and
                      d["component_update"]["old_status"] == "operational" and
                      d["component_update"]["component_id"] == "web" and
                      d["component"]["id"] == "web" and d["component"]["status"] == "major_outage",
                      json.dumps(d)[:300])
        call("PATCH", "/components/web", {"component": {"status": None}})
        # /all has no filter: it gets both changes; let them land first.
        res.check("both component updates delivered before the crash test",
                  wait_until(lambda: sum(1 for _, d in rec.got("/all")
                                         if "component_update" in d) == 2, 15))

        # ---- kill -9 with messages pending: at-least-once, same webhook-id ----
        # No HTTP sender can promise exactly-once across a crash (the peer's
        # 2xx may arrive just before the kill, the mark never written), so
        # the promise is: every event arrives at least once, and a repeat
        # carries the webhook-id of the first send, so receivers dedupe.
        wids_before = {hh["webhook-id"] for hh, _ in rec.got("/all")}
        ids = []
        for i in range(3):
            code, x = call("POST", "/incidents", {"incident": {
                "name": f"Crash test {i}", "status": "investigating", "body": f"b{i}"}})
            ids.append(x["id"])
        h.kill("collector")
        h.start_collector()

        def crash_msgs():
            return [(d["incident"]["id"], hh["webhook-id"])
                    for hh, d in rec.got("/all")
                    if "incident" in d and d["incident"]["id"] in ids]
        ok = wait_until(lambda: {i for i, _ in crash_msgs()} == set(ids), 30)
        res.check("after kill -9 every pending message arrives (at least once)",
                  ok, f"{crash_msgs()} vs {ids}")
        res.check("... and the outbox drains",
                  wait_until(h.outbox_drained, 15),
                  h.metric("pharos_notify_outbox_backlog"))
        got = crash_msgs()
        per_event = {i: {w for j, w in got if j == i} for i in ids}
        res.check("a message sent twice carries the same webhook-id",
                  all(len(w) == 1 for w in per_event.values()), f"{per_event}")
        wids_after = {hh["webhook-id"] for hh, _ in rec.got("/all")}
        res.check("messages from before the crash got no new webhook-id",
                  wids_after == wids_before | {w for _, w in got},
                  f"{sorted(wids_after - wids_before)} vs {got}")

        # ---- unsubscribe through the link in meta ----
        unsub = doc["meta"]["unsubscribe"]
        code, page = http_get(unsub, ok_codes=None)
        res.check("unsubscribe link answers 200", code == 200 and b"Unsubscribed" in page)
        code, one = call("GET", f"/subscribers/{s_all['id']}")
        res.check("the subscriber is unsubscribed", one["state"] == "unsubscribed", f"{one}")
        n_all = len(rec.all("/all"))
        call("POST", "/incidents", {"incident": {"name": "After unsubscribe",
                                                 "status": "investigating", "body": "x"}})

        # ---- Slack: JSON shape and 429 Retry-After ----
        rec.script["/slack"] = [429, 200]
        code, s_slack = subscribe({"subscriber": {"slack_url": rec.url("/slack")}})
        res.check("Slack sign-up", code == 201 and s_slack["subscriber"]["mode"] == "slack",
                  f"{code} {s_slack}")
        code, inc2 = call("POST", "/incidents", {"incident": {
            "name": "Slack & <friends>", "status": "investigating",
            "body": "Errors <b>up</b>", "components": {"api": "major_outage"}}})
        ok = wait_until(lambda: len(rec.got("/slack")) >= 1, 20)
        res.check("Slack message delivered after a 429", ok and
                  rec.all("/slack")[0][2] == 429, f"{[a[2] for a in rec.all('/slack')]}")
        if ok:
            sd = rec.got("/slack")[0][1]
            att = sd["attachments"][0]
            res.check("Slack JSON: text, blocks, coloured attachment",
                      "Slack &amp; &lt;friends&gt;" in sd["text"] and
                      sd["blocks"][0]["type"] == "header" and
                      sd["blocks"][0]["text"]["text"] == "Slack & <friends>" and
                      att["color"] == "#e74c3c", json.dumps(sd)[:400])
        res.check("nothing more reached the unsubscribed endpoint",
                  len(rec.all("/all")) == n_all)

        # ---- quarantine: an endpoint that keeps failing ----
        rec.script["/down"] = [503]
        code, s_down = subscribe({"subscriber": {"endpoint": rec.url("/down")}})
        call("POST", "/incidents", {"incident": {"name": "Q", "status": "investigating",
                                                 "body": "q"}})
        ok = wait_until(lambda: call("GET", f"/subscribers/{s_down['subscriber']['id']}")[1]
                        ["state"] == "quarantined", 40)
        res.check("a failing endpoint is quarantined", ok)
        code, lst = call("GET", "/subscribers")
        res.check("quarantined subscribers are left out of the default list",
                  all(s["id"] != s_down["subscriber"]["id"] for s in lst))
        code, q = call("GET", "/subscribers?state=quarantined")
        res.check("... and listed with state=quarantined", len(q) == 1 and
                  q[0]["failures"] >= 4 and q[0]["last_error"], f"{q}")

        # ---- pharosctl ----
        ctl = [h.bin("pharosctl"), "--url", h.url(""), "--key", key]
        p = subprocess.run(ctl + ["subscribers", "add", "webhook", rec.url("/ctl"),
                                  "--components", "api"],
                           capture_output=True, text=True, timeout=20)
        res.check("pharosctl subscribers add prints the secret once",
                  p.returncode == 0 and "signing secret: whsec_" in p.stdout, p.stdout + p.stderr)
        p = subprocess.run(ctl + ["subscribers", "list"], capture_output=True,
                           text=True, timeout=20)
        res.check("pharosctl subscribers list", p.returncode == 0 and
                  rec.url("/ctl") in p.stdout and "whsec_" not in p.stdout, p.stdout + p.stderr)
        sid = [ln.split()[0] for ln in p.stdout.splitlines() if rec.url("/ctl") in ln][0]
        p = subprocess.run(ctl + ["subscribers", "remove", sid], capture_output=True,
                           text=True, timeout=20)
        res.check("pharosctl subscribers remove", p.returncode == 0 and
                  call("GET", f"/subscribers/{sid}")[1]["state"] == "unsubscribed")

        # ---- metrics ----
        m = http_get(h.url("/metrics"))[1].decode()
        res.check("metrics: backlog and deliveries by channel and result",
                  "pharos_notify_outbox_backlog " in m and
                  'pharos_notifications_total{channel="webhook",result="delivered"}' in m and
                  'pharos_notifications_total{channel="slack",result="failed"} 1' in m, m[-800:])

        # ---- default config: loopback refused, sign-ups rate-limited ----
        h2 = Harness("notify-default")
        h2.write_config(["r1"], "components:\n  - id: api\n    name: API\n",
                        extra_yaml="notify:\n  subscribe_burst: 2\n  subscribe_every: 1h\n")
        # The same-host proxy of the nginx site is a trusted proxy.
        with open(h2.conf_path) as f:
            text = f.read()
        with open(h2.conf_path, "w") as f:
            f.write(text.replace("server:\n", 'server:\n  trusted_proxies: ["127.0.0.1"]\n', 1))
        h2.start_collector()

        def sub2(url):
            code, out = http_get(h2.url("/api/v2/subscribers.json"), "POST",
                                 data=json.dumps({"subscriber": {"endpoint": url}}).encode(),
                                 ok_codes=None)
            return code, json.loads(out)
        code, out = sub2(rec.url("/loop"))
        res.check("by default a loopback target is refused", code == 422 and
                  "loopback" in out.get("message", ""), f"{code} {out}")
        code, out = sub2("http://10.1.2.3/hook")
        res.check("... and a private one", code == 422 and "private" in out.get("message", ""))
        code, out = sub2("https://hooks.example.org/x")
        res.check("sign-ups beyond the burst get 429", code == 429, f"{code} {out}")
        # Behind the nginx site every request comes from loopback with the
        # reader's address in X-Forwarded-For: each reader has a budget.
        code, out = http_get(h2.url("/api/v2/subscribers.json"), "POST",
                             data=b'{"subscriber":{"endpoint":"https://hooks.example.org/y"}}',
                             headers={"X-Forwarded-For": "198.51.100.7"}, ok_codes=None)
        res.check("another reader behind the proxy is not limited by the first",
                  code == 201, f"{code} {out!r}")
        code, out = http_get(h2.url("/api/v2/subscribers.json"), "POST",
                             data=b'{"subscriber":{"endpoint":"https://hooks.example.org/z"}}',
                             headers={"X-Forwarded-For": "not-an-ip"}, ok_codes=None)
        res.check("a malformed X-Forwarded-For falls back to the peer address",
                  code == 429, f"{code} {out!r}")
        if not res.items or not all(ok for _, ok in res.items):
            h.dump_logs()
    finally:
        h.stop_all()
        if h2 is not None:
            h2.stop_all()
        rec.srv.shutdown()
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
