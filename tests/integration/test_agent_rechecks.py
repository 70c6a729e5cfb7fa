#!/usr/bin/env python3
"""The request an agent holds open for re-checks (issue #20):
GET /v1/agent/rechecks, spoken by hand (no real agent), against a real
collector with three regions.

- without a token: 401;
- a held request is answered at once when another region's result makes
  the collector ask this region for a re-check, with the check's id, and
  counted in pharos_recheck_sent_held_total (the acks gave nothing);
- a region holding no request still gets its re-check in the ack of
  its next heartbeat (pharos_recheck_sent_total);
- one held request per agent: a newer one answers the older, empty;
- a request nothing answers is answered empty after the hold (20 s);
- a reload (SIGHUP: regions may have moved) answers held requests empty;
- a request held while the collector stops is answered, and the
  collector exits cleanly (the harness judges its exit and sanitizer
  lines)."""
import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pharos_harness import Harness, http_call, http_get, wait_until  # noqa: E402
from pbwire import batch, field_varint, result  # noqa: E402
from oncetest import Results  # noqa: E402

REGIONS = ["eu", "us", "ap"]


def read_varint(b, i):
    n = shift = 0
    while True:
        c = b[i]
        i += 1
        n |= (c & 0x7f) << shift
        shift += 7
        if not c & 0x80:
            return n, i


def decode_ack(b):
    """Ack: acked_seq (1), plan_version (2), recheck (3, repeated)."""
    out = {"acked_seq": 0, "plan_version": 0, "recheck": []}
    i = 0
    while i < len(b):
        key, i = read_varint(b, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = read_varint(b, i)
            if num == 1:
                out["acked_seq"] = v
            elif num == 2:
                out["plan_version"] = v
        elif wt == 2:
            n, i = read_varint(b, i)
            if num == 3:
                out["recheck"].append(b[i:i + n].decode())
            i += n
        else:
            raise ValueError(f"wire type {wt}")
    return out


class Held(threading.Thread):
    """One GET /v1/agent/rechecks in the background."""

    def __init__(self, h, token):
        super().__init__(daemon=True)
        self.h, self.token = h, token
        self.code, self.body, self.err = None, b"", None
        self.start()

    def run(self):
        try:
            self.code, _, self.body = http_call(
                "GET", self.h.url("/v1/agent/rechecks"),
                headers={"Authorization": "Bearer " + self.token},
                timeout=60)
        except Exception as e:  # noqa: BLE001 - reported by the checks
            self.err = repr(e)

    def outcome(self):
        return (self.code, decode_ack(self.body)["recheck"]
                if self.code == 200 else self.body[:200], self.err)


def main():
    res = Results()
    h = Harness("rechecks")
    seqs = {r: 0 for r in REGIONS}
    try:
        h.write_config(REGIONS, """
components:
  - id: api
    name: API
    checks:
      - {id: api-http, type: http, url: "http://127.0.0.1:9/", interval: 60s, timeout: 1s}
""")
        h.start_collector()

        def post(region, results, accepts=True):
            seqs[region] += 1
            body = batch(seqs[region], results)
            if accepts:
                body += field_varint(6, 1)
            code, _, out = http_call(
                "POST", h.url("/v1/agent/results"), body=body,
                headers={"Authorization": "Bearer " + h.tokens[region],
                         "Content-Type": "application/x-protobuf"})
            return code, out

        def metric(name):
            for line in http_get(h.url("/metrics"))[1].decode().splitlines():
                if line.startswith(name + " "):
                    return float(line.split()[-1])
            return None

        now = int(time.time() * 1000)
        for r in REGIONS:
            code, _ = post(r, [result("api-http", now - 2000, 1),
                               result("api-http", now - 1000, 1)])
            res.check(f"{r}: two passing results accepted", code == 200, code)
        res.check("every region up (fresh: re-checks ask only those)",
                  wait_until(lambda: h.region_states("api-http") ==
                             {r: "up" for r in REGIONS}, 10),
                  h.region_states("api-http"))

        code, _, _ = http_call("GET", h.url("/v1/agent/rechecks"))
        res.check("without a token: 401", code == 401, code)

        us = Held(h, h.tokens["us"])
        res.check("us holds a request",
                  wait_until(lambda: metric("pharos_agent_rechecks_held") == 1,
                             10), metric("pharos_agent_rechecks_held"))
        code, _ = post("eu", [result("api-http", int(time.time() * 1000), 3)])
        res.check("eu reports the check failing", code == 200, code)
        us.join(10)
        res.check("us's held request is answered with the check to re-check",
                  us.outcome()[:2] == (200, ["api-http"]), us.outcome())
        res.check("... counted as sent through a held request, none in acks",
                  (metric("pharos_recheck_sent_held_total"),
                   metric("pharos_recheck_sent_total")) == (1, 0),
                  (metric("pharos_recheck_sent_held_total"),
                   metric("pharos_recheck_sent_total")))
        code, out = post("ap", [])
        res.check("ap, holding nothing, gets it in its heartbeat's ack",
                  code == 200 and decode_ack(out)["recheck"] == ["api-http"],
                  (code, out[:100]))
        res.check("... counted as sent in an ack",
                  metric("pharos_recheck_sent_total") == 1,
                  metric("pharos_recheck_sent_total"))

        first = Held(h, h.tokens["eu"])
        wait_until(lambda: metric("pharos_agent_rechecks_held") == 1, 10)
        second = Held(h, h.tokens["eu"])
        first.join(10)
        res.check("a second request of the same agent answers the first, "
                  "empty", first.outcome()[:2] == (200, []), first.outcome())
        res.check("... and is held in its place",
                  wait_until(lambda: metric("pharos_agent_rechecks_held") == 1
                             and second.is_alive(), 5),
                  (metric("pharos_agent_rechecks_held"), second.outcome()))
        second.join(40)
        res.check("a request nothing answers is answered empty after the "
                  "hold", second.outcome()[:2] == (200, []), second.outcome())

        reload_ = Held(h, h.tokens["us"])
        wait_until(lambda: metric("pharos_agent_rechecks_held") == 1, 10)
        h.procs["collector"].send_signal(signal.SIGHUP)
        reload_.join(10)
        res.check("a reload answers a held request, empty",
                  reload_.outcome()[:2] == (200, []), reload_.outcome())

        last = Held(h, h.tokens["ap"])
        res.check("ap holds a request before the collector stops",
                  wait_until(lambda: metric("pharos_agent_rechecks_held") == 1,
                             10), metric("pharos_agent_rechecks_held"))
        status = h.stop("collector")
        last.join(10)
        res.check("the collector stops cleanly with a request held",
                  status == 0, status)
        res.check("... and answers it", last.outcome()[:2] == (200, []),
                  last.outcome())
    finally:
        h.stop_all()
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
