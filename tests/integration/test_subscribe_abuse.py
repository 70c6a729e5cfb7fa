#!/usr/bin/env python3
"""Public sign-up abuse (issue #17, finding 4), with a real SMTP server
(aiosmtpd) counting the emails and the collector on [::1]:

- re-submitting a pending address does not mail the victim each time:
  one confirmation per notify.confirm_every, at most
  notify.confirm_daily_max a day;
- the answer is the same 202 for a new address, a pending one and an
  active one, with no id, state, components or dates;
- the sign-up rate limit is keyed by IPv6 /64: ::1 directly, and
  addresses of one /64 named by X-Forwarded-For from a trusted proxy,
  share one budget, another /64 has its own; X-Forwarded-For from a
  peer outside server.trusted_proxies is ignored.
"""
import email
import email.policy
import json
import os
import re
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pharos_harness import Harness, free_port, http_get, wait_until  # noqa: E402
from oncetest import Results  # noqa: E402

try:
    from aiosmtpd.controller import Controller
except ImportError:  # pragma: no cover
    sys.path.insert(0, "/usr/lib/python3/dist-packages")
    from aiosmtpd.controller import Controller

CONFIRM_EVERY_S = 3
BURST = 5


class Sink:
    def __init__(self):
        self.lock = threading.Lock()
        self.msgs = []

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.msgs.append((list(envelope.rcpt_tos), msg))
        return "250 OK"

    def to(self, rcpt):
        with self.lock:
            return [m for r, m in self.msgs if rcpt in r]


def main():
    res = Results()
    sink = Sink()
    sport = free_port()
    ctl = Controller(sink, hostname="127.0.0.1", port=sport)
    ctl.start()
    h = Harness("subscribe-abuse")
    try:
        h.write_config(["r1"], "components:\n  - id: api\n    name: API\n",
                       extra_yaml="notify:\n"
                       f"  subscribe_burst: {BURST}\n  subscribe_every: 1h\n"
                       f"  confirm_every: {CONFIRM_EVERY_S}s\n  confirm_daily_max: 3\n"
                       "  retry_base: 500ms\n  smtp:\n"
                       f"    url: smtp://127.0.0.1:{sport}\n    starttls: off\n"
                       '    from: "Status <status@example.org>"\n')
        with open(h.conf_path) as f:
            text = f.read()
        text = text.replace(f'listen: "127.0.0.1:{h.port}"',
                            f'listen: "[::1]:{h.port}"\n  trusted_proxies: ["::1/128"]', 1)
        with open(h.conf_path, "w") as f:
            f.write(text)
        h.url = lambda path: f"http://[::1]:{h.port}{path}"
        h.start_collector()
        url = h.url("/api/v2/subscribers.json")

        def sign_up(addr, xff=None):
            hd = {"Content-Type": "application/json"}
            if xff is not None:
                hd["X-Forwarded-For"] = xff
            code, out = http_get(url, "POST", ok_codes=None, headers=hd,
                                 data=json.dumps({"subscriber": {"email": addr}}).encode())
            return code, out

        # ---- 30 sign-ups of one victim, each from another reader ----
        victim = "victim@example.org"
        t0 = time.time()
        replies = [sign_up(victim, f"198.51.100.{i + 1}") for i in range(30)]
        burst_s = time.time() - t0
        res.check("30 sign-ups of one address all answer 202",
                  all(c == 202 for c, _ in replies), str({c for c, _ in replies}))
        res.check("... with one and the same body",
                  len({b for _, b in replies}) == 1, str({b for _, b in replies}))
        body = json.loads(replies[0][1])
        res.check("... that names no subscriber, state or date",
                  set(body) == {"status", "message"} and
                  not re.search(r"pending|active|created|\d{4}-\d\d-\d\d", replies[0][1].decode()),
                  replies[0][1].decode())
        wait_until(lambda: len(sink.to(victim)) >= 1, 15)
        time.sleep(1.5)  # let any further (wrong) confirmation arrive
        n = len(sink.to(victim))
        print(f"victim: 30 sign-ups in {burst_s:.2f} s -> {n} email(s)", flush=True)
        res.check("30 sign-ups send the victim one confirmation", n == 1 or
                  (burst_s > CONFIRM_EVERY_S and n <= 1 + burst_s // CONFIRM_EVERY_S),
                  f"{n} emails in {burst_s:.1f} s")

        # After the interval one more, up to the daily cap (3), then none.
        counts = []
        for i in range(3):
            time.sleep(CONFIRM_EVERY_S + 0.3)
            sign_up(victim, f"198.51.100.{100 + i}")
            want = min(n + i + 1, 3)
            wait_until(lambda: len(sink.to(victim)) >= want, 10)
            counts.append(len(sink.to(victim)))
        time.sleep(1.5)
        counts.append(len(sink.to(victim)))
        res.check("one more confirmation per interval, at most 3 a day",
                  counts[-1] == 3 and counts[-2] == 3, str(counts))

        # ---- the same reply for a new, a pending and an active address ----
        code_new, new = sign_up("fresh@example.org", "198.51.100.200")
        res.check("a new address gets the same reply as an existing one",
                  code_new == 202 and new == replies[0][1], f"{code_new} {new!r}")
        # The newest confirmation's link works (links use page.url, the
        # collector is on [::1]: take the token).
        tok = ""
        last = sink.to(victim)[-1]
        for p in last.walk():
            if p.get_content_type() == "text/plain":
                m = re.search(r"confirm\?token=(\S+)", p.get_content())
                tok = m.group(1) if m else ""
        code, _ = http_get(h.url("/subscriptions/confirm?token=" + tok), ok_codes=None)
        res.check("the victim's subscription confirmed", code == 200, str(code))
        code_act, act = sign_up(victim, "198.51.100.201")
        res.check("an active address gets the same reply too",
                  code_act == 202 and act == replies[0][1], f"{code_act} {act!r}")

        # ---- the rate limit is per /64 ----
        direct = [sign_up(f"direct{i}@example.org")[0] for i in range(BURST + 1)]
        res.check(f"from ::1 directly: {BURST} sign-ups, then 429",
                  direct == [202] * BURST + [429], str(direct))
        same64 = [sign_up(f"net{i}@example.org", f"2001:db8:1:2::{i + 1:x}")[0]
                  for i in range(BURST + 1)]
        res.check("addresses of one /64 share one budget (X-Forwarded-For from a "
                  "trusted proxy)", same64 == [202] * BURST + [429], str(same64))
        code, _ = sign_up("other@example.org", "2001:db8:1:3::1")
        res.check("another /64 has its own budget", code == 202, str(code))
        if not all(ok for _, ok in res.items):
            h.dump_logs()
    finally:
        h.stop_all()
        ctl.stop()

    # ---- X-Forwarded-For is ignored from a peer that is not trusted ----
    h2 = Harness("subscribe-xff")
    try:
        h2.write_config(["r1"], "components:\n  - id: api\n    name: API\n",
                        extra_yaml="notify:\n  subscribe_burst: 2\n  subscribe_every: 1h\n")
        h2.start_collector()
        codes = []
        for i in range(3):
            code, _ = http_get(h2.url("/api/v2/subscribers.json"), "POST", ok_codes=None,
                               data=json.dumps({"subscriber": {
                                   "endpoint": f"https://hooks.example.org/{i}"}}).encode(),
                               headers={"X-Forwarded-For": f"198.51.100.{i + 1}"})
            codes.append(code)
        res.check("without trusted_proxies, X-Forwarded-For does not buy budgets",
                  codes == [201, 201, 429], str(codes))
    finally:
        h2.stop_all()
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
