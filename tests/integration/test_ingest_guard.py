#!/usr/bin/env python3
"""Hostile agent input at ingest (issue #17, findings 1, 2 and 5), with
hand-made protobuf batches posted to a real collector:

- results dated outside [now - max_result_age, now + max_result_ahead]
  (INT64_MIN, INT64_MAX, year 2100) are refused with 400 and counted in
  /metrics; the collector keeps running and later real results count;
- a seq that does not fit the store's signed 64-bit column is refused;
- an agent made through POST /v1/agents whose region is then removed
  from pharos.yml (SIGHUP, then a restart) is refused with 409 naming
  the region, nothing of its batch is committed, and GET /v1/agents says
  its region is unknown;
- invalid UTF-8 in an agent's error, a multi-byte error over the field
  cap, and a multi-byte alert group key cut at the reason cap all reach
  the JSON documents as valid text instead of vanishing."""
import json
import os
import signal
import sqlite3
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pharos_harness import Harness, http_get, wait_until  # noqa: E402
from pbwire import batch, result  # noqa: E402
from oncetest import Results  # noqa: E402

ADMIN_KEY = "ph_admin_" + "g" * 32
ALERT_TOKEN = "ph_alert_" + "a" * 32
INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1
YEAR_2100_MS = 4102444800000


def now_ms():
    return int(time.time() * 1000)


def main():
    res = Results()
    h = Harness("ingest_guard")
    with open(os.path.join(h.dir, "admin.key"), "w") as f:
        f.write(ADMIN_KEY + "\n")
    os.environ["PH_GUARD_ALERT_TOKEN"] = ALERT_TOKEN
    extra = ("api_keys:\n"
             "  - {name: ops, scope: admin, token_file: admin.key}\n"
             "alerts:\n"
             "  tokens:\n"
             "    - {name: am, token_env: PH_GUARD_ALERT_TOKEN}\n"
             "  rules:\n"
             "    - match: {service: api}\n"
             "      component: api\n"
             "      status: major_outage\n")
    comps = """
components:
  - id: web
    name: Web
    checks:
      - {id: web-http, type: http, url: "http://127.0.0.1:9/", interval: 1m, timeout: 5s}
  - id: api
    name: API
"""
    admin = {"Authorization": f"OAuth {ADMIN_KEY}"}

    def post(token, body):
        code, out = http_get(h.url("/v1/agent/results"), method="POST",
                             data=body, ok_codes=None,
                             headers={"Authorization": "Bearer " + token,
                                      "Content-Type": "application/x-protobuf"})
        return code, out

    def plan(token):
        return http_get(h.url("/v1/agent/plan"), ok_codes=None,
                        headers={"Authorization": "Bearer " + token})

    def alive():
        p = h.procs.get("collector")
        return (p is not None and p.poll() is None
                and http_get(h.url("/healthz"), ok_codes=None)[0] == 200)

    def metric(name):
        text = http_get(h.url("/metrics"))[1].decode()
        for line in text.splitlines():
            if line.startswith(name + " "):
                return int(float(line.split()[1]))
        return None

    def region_view(check, region):
        doc = json.loads(http_get(h.url("/api/v2/regions.json"))[1])
        for c in doc["checks"]:
            if c["id"] == check:
                for r in c["regions"]:
                    if r["region"] == region:
                        return r
        return {}

    def db_rows(sql, args=()):
        db = sqlite3.connect(os.path.join(h.dir, "state", "pharos.db"))
        try:
            return db.execute(sql, args).fetchall()
        finally:
            db.close()

    try:
        h.write_config(["r1", "r2"], comps, extra_yaml=extra,
                       agents_for=["r1"])
        h.start_collector()
        tok = h.tokens["r1"]

        # -- finding 1: result times outside the window, seq out of range --
        for label, t in (("INT64_MIN", INT64_MIN), ("INT64_MAX", INT64_MAX),
                         ("year 2100", YEAR_2100_MS),
                         ("8 days old", now_ms() - 8 * 86400000),
                         ("10 minutes ahead", now_ms() + 600000)):
            code, out = post(tok, batch(1, [result("web-http", t, 3)]))
            res.check(f"a result dated {label} is refused with 400 and why",
                      code == 400 and b"outside the accepted window" in out
                      and b"web-http" in out, (code, out[:300]))
        res.check("the refusals are counted in /metrics",
                  metric("pharos_batches_out_of_window_total") == 5,
                  metric("pharos_batches_out_of_window_total"))
        res.check("nothing of them was stored",
                  db_rows("SELECT count(*) FROM results")[0][0] == 0,
                  db_rows("SELECT count(*) FROM results"))
        code, out = post(tok, batch((1 << 64) - 1,
                                    [result("web-http", now_ms(), 1)]))
        res.check("seq 2^64-1 is refused with 400 naming the limit",
                  code == 400 and b"seq 18446744073709551615" in out
                  and b"9223372036854775807" in out, (code, out[:300]))
        code, _ = post(tok, batch(1 << 63, []))
        res.check("seq 2^63 (a heartbeat) is refused too", code == 400, code)
        res.check("the collector survived all of it", alive(), "")

        # -- finding 5: invalid UTF-8 and a multi-byte error over the cap --
        t1 = now_ms()
        code, _ = post(tok, batch(1, [result("web-http", t1 - 1000, 3,
                                             b"conn \xff\xfe refused \xe2\x82"),
                                      result("web-http", t1, 3,
                                             b"conn \xff\xfe refused \xe2\x82")]))
        res.check("real results are accepted after the refusals", code == 200,
                  code)
        res.check("invalid UTF-8 in an error shows as U+FFFD in regions.json",
                  wait_until(lambda: region_view("web-http", "r1").get("error")
                             == "conn \ufffd\ufffd refused \ufffd", 10),
                  region_view("web-http", "r1"))
        res.check("the pair is down from the real results, dated now",
                  region_view("web-http", "r1").get("state") == "down"
                  and (region_view("web-http", "r1").get("last_at")
                       or "")[:2] == "20",
                  region_view("web-http", "r1"))
        long_err = ("\u00e9" * 200).encode()   # 400 bytes, cap is 160
        code, _ = post(tok, batch(2, [result("web-http", now_ms(), 3,
                                             long_err)]))
        res.check("a long multi-byte error is accepted", code == 200, code)
        res.check("and cut on a character boundary, not dropped",
                  wait_until(lambda: region_view("web-http", "r1").get("error")
                             == "\u00e9" * 79, 10),
                  region_view("web-http", "r1"))
        res.check("stored seqs are the ones sent, none negative",
                  db_rows("SELECT min(seq), max(seq) FROM results "
                          "WHERE agent_id='agent-r1'") == [(1, 2)],
                  db_rows("SELECT min(seq), max(seq) FROM results"))

        # A multi-byte alert group key cut at the reason cap: with the
        # reason's "group " prefix, 235 bytes of two-byte characters are
        # left before the 255-byte cap, so a byte cut splits one.
        key = "{}:{service=\"x" + "\u00e9" * 150 + "\"}"
        body = {"receiver": "statuspage", "status": "firing",
                "alerts": [{"status": "firing",
                            "labels": {"service": "api", "alertname": "X"},
                            "annotations": {},
                            "startsAt": "2026-01-01T00:00:00Z",
                            "endsAt": "0001-01-01T00:00:00Z",
                            "generatorURL": "", "fingerprint": "0011"}],
                "groupLabels": {}, "commonLabels": {},
                "commonAnnotations": {}, "externalURL": "http://am",
                "version": "4", "groupKey": key, "truncatedAlerts": 0}
        code, out = http_get(h.url("/v1/integrations/alertmanager"),
                             method="POST", data=json.dumps(body).encode(),
                             ok_codes=None,
                             headers={"Authorization": "Bearer " + ALERT_TOKEN,
                                      "Content-Type": "application/json"})
        res.check("an alert with a long multi-byte group key is accepted",
                  code == 200, (code, out[:200]))

        def api_transitions():
            return json.loads(http_get(
                h.url("/v1/pages/itest/components/api/transitions"),
                headers=admin)[1])
        res.check("api goes major_outage from the alert",
                  wait_until(lambda: api_transitions() and
                             api_transitions()[-1]["new_status"]
                             == "major_outage", 10), api_transitions())
        last = api_transitions()[-1] if api_transitions() else {}
        res.check("the transition keeps its reason, cut between characters",
                  isinstance(last.get("reason"), str)
                  and last["reason"].startswith("alert: group {}:{service=\"x\u00e9")
                  and "\ufffd" not in last["reason"], last)

        # Error messages that quote input cut it between characters.
        def json_error(code_out):
            try:
                return code_out[0], json.loads(code_out[1].decode("utf-8"))
            except ValueError as e:
                return code_out[0], repr(e)
        got = json_error(http_get(
            h.url("/v1/agents"), method="POST", ok_codes=None,
            data=json.dumps({"id": "q", "region": "x" + "\u00e9" * 40}).encode(),
            headers=dict(admin, **{"Content-Type": "application/json"})))
        res.check("an unknown multi-byte region is quoted as valid UTF-8",
                  got[0] in (400, 422) and isinstance(got[1], dict)
                  and got[1]["message"].startswith("unknown region 'x\u00e9"),
                  got)
        bad = dict(body, groupKey="g2")
        bad["alerts"] = [dict(body["alerts"][0],
                              labels={"x" + "\u00e9" * 50: "v" * 1100})]
        got = json_error(http_get(
            h.url("/v1/integrations/alertmanager"), method="POST",
            data=json.dumps(bad).encode(), ok_codes=None,
            headers={"Authorization": "Bearer " + ALERT_TOKEN,
                     "Content-Type": "application/json"}))
        res.check("a too long label value is refused, its multi-byte name "
                  "quoted as valid UTF-8",
                  got[0] in (400, 413) and isinstance(got[1], dict)
                  and "label 'x\u00e9" in got[1]["message"], got)

        # -- finding 2: an API-made agent whose region is removed --
        code, out = http_get(h.url("/v1/agents"), method="POST",
                             data=json.dumps({"id": "dyn",
                                              "region": "r2"}).encode(),
                             headers=dict(admin, **{
                                 "Content-Type": "application/json"}),
                             ok_codes=None)
        dyn_tok = json.loads(out).get("token", "") if code in (200, 201) else ""
        res.check("POST /v1/agents makes an agent in r2", dyn_tok, (code, out))
        code, _ = post(dyn_tok, batch(1, [result("web-http", now_ms(), 1)]))
        res.check("it reports while r2 exists", code == 200, code)
        h.write_config(["r1"], comps, extra_yaml=extra, agents_for=["r1"])
        h.procs["collector"].send_signal(signal.SIGHUP)
        res.check("after SIGHUP without r2, its plan request gets 409",
                  wait_until(lambda: plan(dyn_tok)[0] == 409, 10),
                  plan(dyn_tok))
        code, out = plan(dyn_tok)
        res.check("the plan refusal names the missing region",
                  b"region_unknown" in out and b"'r2'" in out, out[:300])
        before = db_rows("SELECT count(*) FROM results WHERE agent_id='dyn'")
        code, out = post(dyn_tok, batch(2, [result("web-http", now_ms(), 3)]))
        res.check("its batch gets 409 naming the region",
                  code == 409 and b"'r2'" in out, (code, out[:300]))
        res.check("and nothing of the batch was committed",
                  db_rows("SELECT count(*) FROM results WHERE agent_id='dyn'")
                  == before and db_rows("SELECT max(last_seq) FROM agents "
                                        "WHERE agent_id='dyn'") == [(1,)],
                  (before, db_rows("SELECT * FROM agents")))
        res.check("the refusals are counted in /metrics",
                  (metric("pharos_agent_region_unknown_total") or 0) >= 2,
                  metric("pharos_agent_region_unknown_total"))
        res.check("the collector is still up", alive(), "")
        agents = {a["id"]: a for a in json.loads(
            http_get(h.url("/v1/agents"), headers=admin)[1])}
        res.check("GET /v1/agents says its region is unknown",
                  agents.get("dyn", {}).get("region_known") is False
                  and agents.get("dyn", {}).get("region") == "r2"
                  and agents.get("agent-r1", {}).get("region_known") is True,
                  agents)

        h.stop("collector")
        h.start_collector()
        code, out = post(dyn_tok, batch(2, [result("web-http", now_ms(), 3)]))
        res.check("after a restart its batch still gets 409", code == 409,
                  (code, out[:200]))
        res.check("and its plan request too", plan(dyn_tok)[0] == 409,
                  plan(dyn_tok))
        res.check("the collector is still up after the restart", alive(), "")
    finally:
        if not all(ok for _, ok in res.items):
            h.dump_logs()
        h.stop_all()
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
