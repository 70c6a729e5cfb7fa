#!/usr/bin/env python3
"""Email notifications through a real SMTP server (aiosmtpd) on loopback:
the double opt-in (a confirmation email, nothing else before the link is
followed), incident emails with plain-text and HTML parts (incident text
escaped in the HTML), Date, Message-ID and List-Unsubscribe headers, and
the RFC 8058 one-click unsubscribe."""
import email
import email.policy
import json
import os
import re
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pharos_harness import Harness, free_port, http_get, wait_until  # noqa: E402
from oncetest import Results  # noqa: E402

try:
    from aiosmtpd.controller import Controller
except ImportError:  # pragma: no cover
    sys.path.insert(0, "/usr/lib/python3/dist-packages")
    from aiosmtpd.controller import Controller


class Sink:
    def __init__(self):
        self.lock = threading.Lock()
        self.msgs = []   # (envelope from, rcpts, parsed message, raw)

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.content
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        with self.lock:
            self.msgs.append((envelope.mail_from, list(envelope.rcpt_tos), msg, raw))
        return "250 OK"

    def to(self, rcpt):
        with self.lock:
            return [m for f, r, m, raw in self.msgs if rcpt in r]


def parts(msg):
    text = html = None
    for p in msg.walk():
        if p.get_content_type() == "text/plain":
            text = p.get_content()
        elif p.get_content_type() == "text/html":
            html = p.get_content()
    return text, html


def main():
    res = Results()
    sink = Sink()
    port = free_port()
    ctl = Controller(sink, hostname="127.0.0.1", port=port)
    ctl.start()
    h = Harness("notify-email")
    key = "ph_write_" + "e" * 30
    os.environ["PH_EMAIL_KEY"] = key
    try:
        h.write_config(["r1"], """
components:
  - id: api
    name: API
  - id: web
    name: Web
""", extra_yaml="api_keys:\n  - {name: ci, scope: write, token_env: PH_EMAIL_KEY}\n"
                 "notify:\n  coalesce: 500ms\n  retry_base: 500ms\n  smtp:\n"
                 f"    url: smtp://127.0.0.1:{port}\n    starttls: off\n"
                 '    from: "Pharos Status <status@example.org>"\n')
        h.start_collector()
        base = h.url("/v1/pages/itest")

        def call(method, path, body=None):
            data = json.dumps(body).encode() if body is not None else None
            code, out = http_get(base + path, method=method, data=data,
                                 headers={"Authorization": "OAuth " + key},
                                 ok_codes=None)
            return code, json.loads(out) if out else None

        # ---- sign-up with the Statuspage form shape ----
        form = urllib.parse.urlencode({"subscriber[email]": "reader@example.org"}).encode()
        code, out = http_get(h.url("/api/v2/subscribers.json"), "POST", data=form,
                             headers={"Content-Type": "application/x-www-form-urlencoded"},
                             ok_codes=None)
        res.check("email sign-up answers 202 without details", code == 202 and
                  "subscriber" not in json.loads(out), f"{code} {out!r}")
        code, out = http_get(h.url("/api/v2/subscribers.json"), "POST",
                             data=b'{"subscriber":{"email":"not an address"}}', ok_codes=None)
        res.check("an invalid address is refused (422)", code == 422)

        # An incident before confirmation must not be mailed.
        call("POST", "/incidents", {"incident": {"name": "Before confirming",
                                                 "status": "investigating", "body": "x"}})
        ok = wait_until(lambda: len(sink.to("reader@example.org")) >= 1, 15)
        res.check("the confirmation email arrives", ok)
        res.check("the outbox drains", wait_until(h.outbox_drained, 15))
        got = sink.to("reader@example.org")
        res.check("nothing but the confirmation before confirming", len(got) == 1,
                  f"{[m['Subject'] for m in got]}")
        conf = got[0]
        text, html = parts(conf)
        link = re.search(r"(http://\S+/subscriptions/confirm\?token=\S+)", text or "")
        res.check("the confirmation has the link in text and HTML",
                  link is not None and html is not None and
                  link.group(1).replace("&", "&amp;") in html, (text or "")[:300])
        res.check("confirmation headers", conf["From"] == "Pharos Status <status@example.org>"
                  and conf["To"] == "reader@example.org" and conf["Date"] and
                  conf["Message-ID"].endswith("@example.org>") and
                  "Confirm" in conf["Subject"], f"{dict(conf.items())}")
        code, page = http_get(link.group(1), ok_codes=None)
        res.check("following the link confirms", code == 200 and b"confirmed" in page)
        code, again = http_get(link.group(1), ok_codes=None)
        res.check("the link works once", code == 404)
        code, lst = call("GET", "/subscribers")
        res.check("the subscriber is active", lst and lst[0]["state"] == "active", f"{lst}")

        # ---- an incident email, escaped HTML ----
        code, inc = call("POST", "/incidents", {"incident": {
            "name": "Login <script>alert(1)</script> failures",
            "status": "identified",
            "body": "Users see <script>alert('x')</script> & errors",
            "components": {"api": "partial_outage"}}})
        res.check("incident created", code == 201)
        ok = wait_until(lambda: len(sink.to("reader@example.org")) >= 2, 15)
        res.check("the incident email arrives", ok)
        if ok:
            m = sink.to("reader@example.org")[1]
            text, html = parts(m)
            res.check("plain text has the update text", text is not None and
                      "Users see <script>alert('x')</script> & errors" in text, text)
            res.check("HTML escapes the incident text", html is not None and
                      "<script>" not in html and
                      "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; errors" in html,
                      (html or "")[:600])
            res.check("Date and Message-ID", m["Date"] and
                      re.match(r"^<msg_[a-z0-9]+@example\.org>$", m["Message-ID"]),
                      f"{m['Date']} {m['Message-ID']}")
            lu = m["List-Unsubscribe"] or ""
            res.check("List-Unsubscribe and List-Unsubscribe-Post",
                      lu.startswith("<http") and "/subscriptions/unsubscribe?token=" in lu
                      and m["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click", lu)
            res.check("the subject names the page, incident and status",
                      m["Subject"].startswith("[Integration test] Login") and
                      m["Subject"].endswith("Identified"), m["Subject"])
            # RFC 8058 one-click.
            url = lu.strip("<>")
            code, _ = http_get(url, "POST", data=b"List-Unsubscribe=One-Click",
                               headers={"Content-Type": "application/x-www-form-urlencoded"},
                               ok_codes=None)
            res.check("one-click unsubscribe (POST) answers 200", code == 200)
            code, allsubs = call("GET", "/subscribers?state=all")
            res.check("the subscriber is unsubscribed",
                      allsubs and allsubs[0]["state"] == "unsubscribed", f"{allsubs}")
            n = len(sink.to("reader@example.org"))
            call("POST", "/incidents", {"incident": {"name": "After", "status":
                                                     "investigating", "body": "y"}})
            res.check("the outbox drains after the incident",
                      wait_until(h.outbox_drained, 15))
            res.check("no email after unsubscribing",
                      len(sink.to("reader@example.org")) == n)

        # ---- v1 create with skip_confirmation_notification ----
        code, s2 = call("POST", "/subscribers", {"subscriber": {
            "email": "ops@example.org", "skip_confirmation_notification": True,
            "component_ids": ["web"]}})
        res.check("v1 create with skip_confirmation is active at once",
                  code == 201 and s2["state"] == "active", f"{code} {s2}")
        call("POST", "/incidents", {"incident": {"name": "Web slow", "status":
                                                 "investigating", "body": "z",
                                                 "component_ids": ["web"]}})
        call("POST", "/incidents", {"incident": {"name": "API only", "status":
                                                 "investigating", "body": "z",
                                                 "component_ids": ["api"]}})
        ok = wait_until(lambda: len(sink.to("ops@example.org")) >= 1, 15)
        ok = ok and wait_until(h.outbox_drained, 15)
        subj = [m["Subject"] for m in sink.to("ops@example.org")]
        res.check("component filter applies to email",
                  ok and len(subj) == 1 and "Web slow" in subj[0], f"{subj}")

        # ---- maintenance: reminder, start and completion by email ----
        now = time.time()

        def iso(t):
            return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
        before = len(sink.to("ops@example.org"))
        code, m = call("POST", "/incidents", {"incident": {
            "name": "Database window", "status": "scheduled",
            "scheduled_for": iso(now + 4), "scheduled_until": iso(now + 8),
            "scheduled_remind_prior_minutes": 1, "body": "Planned.",
            "component_ids": ["web"]}})
        res.check("maintenance scheduled", code == 201, f"{code} {m}")

        def subjects():
            return [x["Subject"] for x in sink.to("ops@example.org")[before:]
                    if "Database window" in x["Subject"]]
        ok = wait_until(lambda: any(sj.endswith("Completed") for sj in subjects()), 25)
        res.check("the maintenance completion is emailed", ok, subjects())
        res.check("the reminder and the start were emailed before it",
                  any(re.search(r"Starts in 1 minute\b", sj) for sj in subjects())
                  and any(sj.endswith("In progress") for sj in subjects()), subjects())
        if not all(ok for _, ok in res.items):
            h.dump_logs()
    finally:
        h.stop_all()
        ctl.stop()
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
