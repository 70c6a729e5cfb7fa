#!/usr/bin/env python3
"""Promises the docs make that no other test checks (issue #22, item 6):

- 413 over HTTP for server.max_body_bytes (agent upload and public
  sign-up) and for server.max_results_per_batch, nothing stored;
- ETag / If-None-Match -> 304, and gzip: the compressed document
  decompresses to exactly the plain one;
- a running agent picks up a plan changed by SIGHUP without a restart
  (the same process probes the new check);
- alert groups survive a reload: the status they set holds across
  SIGHUP without a flip in the transition log.
"""
import gzip
import json
import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pharos_harness import (Harness, free_port, http_call, http_get,  # noqa: E402
                            serve_target, wait_until)
from oncetest import Results  # noqa: E402
from pbwire import batch, result  # noqa: E402

ALERT = "ph_alert_" + "p" * 30
ADMIN = "ph_admin_" + "q" * 30
BODY_MAX = 8192
RESULTS_MAX = 10


def main():
    res = Results()
    port = free_port()
    srv = serve_target(port)
    h = Harness("promises")
    os.environ["PH_PROM_ALERT"] = ALERT
    os.environ["PH_PROM_ADMIN"] = ADMIN
    extra = (f"api_keys:\n  - {{name: boss, scope: admin, token_env: PH_PROM_ADMIN}}\n"
             "alerts:\n  tokens:\n    - {name: am, token_env: PH_PROM_ALERT}\n"
             "  rules:\n    - match: {service: db}\n      component: db\n"
             "      status: partial_outage\n")

    def components(with_new):
        c = f"""
components:
  - id: web
    name: Web
    checks:
      - {{id: web-http, type: http, url: "http://127.0.0.1:{port}/", interval: 1s, timeout: 500ms}}
  - id: db
    name: Database
"""
        if with_new:
            c += f"""  - id: cdn
    name: CDN
    checks:
      - {{id: cdn-http, type: http, url: "http://127.0.0.1:{port}/cdn", interval: 1s, timeout: 500ms}}
"""
        return c

    def caps(text):
        return text.replace("server:\n", f"server:\n  max_body_bytes: {BODY_MAX}\n"
                            f"  max_results_per_batch: {RESULTS_MAX}\n", 1)

    def write(with_new):
        h.write_config(["r1", "r2"], components(with_new), extra_yaml=extra,
                       agents_for=["r1", "r2"])
        with open(h.conf_path) as f:
            text = caps(f.read())
        with open(h.conf_path, "w") as f:
            f.write(text)

    def checks_seen():
        doc = json.loads(http_get(h.url("/api/v2/regions.json"))[1])
        return {c["id"]: {r["region"]: r["state"] for r in c["regions"]}
                for c in doc.get("checks", [])}

    try:
        write(False)
        h.start_collector()
        h.start_agent("r1")
        res.check("the agent reports web-http",
                  wait_until(lambda: checks_seen().get("web-http", {}).get("r1")
                             == "up", 30), checks_seen())

        # ---- 413 ----
        agent = {"Authorization": "Bearer " + h.tokens["r2"],
                 "Content-Type": "application/x-protobuf"}
        now = int(time.time() * 1000)
        big = batch(1, [result("web-http", now, error=b"x" * 150)
                        for _ in range(80)])
        code, _, _ = http_call("POST", h.url("/v1/agent/results"), agent, big)
        res.check(f"agent upload over max_body_bytes ({len(big)} > {BODY_MAX}): 413",
                  len(big) > BODY_MAX and code == 413, code)
        many = batch(1, [result("web-http", now + i) for i in range(RESULTS_MAX + 1)])
        code, _, out = http_call("POST", h.url("/v1/agent/results"), agent, many)
        res.check("a batch over max_results_per_batch: 413",
                  len(many) <= BODY_MAX and code == 413, (code, out[:120]))
        ok = batch(1, [result("web-http", now + i) for i in range(RESULTS_MAX)])
        code, _, _ = http_call("POST", h.url("/v1/agent/results"), agent, ok)
        res.check("a batch at the cap: 200 (and seq 1 was not used before)",
                  code == 200, code)
        code, _, _ = http_call("POST", h.url("/api/v2/subscribers.json"),
                               {"Content-Type": "application/json"},
                               b'{"subscriber":{"email":"' + b"a" * BODY_MAX +
                               b'@example.com"}}')
        res.check("public sign-up over max_body_bytes: 413", code == 413, code)

        # ---- ETag / 304 and gzip ----
        url = h.url("/api/v2/summary.json")
        code, hd, plain = http_call("GET", url)
        etag = hd.get("ETag")
        res.check("summary.json has an ETag", code == 200 and etag, etag)
        code, hd2, body = http_call("GET", url, {"If-None-Match": etag})
        res.check("If-None-Match with the current ETag: 304, no body",
                  code == 304 and body == b"" or
                  # the document may have changed in between: then a 200
                  # with a new ETag is the honest answer
                  (code == 200 and hd2.get("ETag") != etag), (code, len(body)))
        code, hd, gz = http_call("GET", url, {"Accept-Encoding": "gzip"})
        ok = code == 200 and hd.get("Content-Encoding") == "gzip"
        same = False
        if ok:
            unz = gzip.decompress(gz)
            code2, hd3, plain2 = http_call("GET", url)
            same = unz == plain2 or hd3.get("ETag") != hd.get("ETag")
        res.check("gzip: Content-Encoding set, decompresses to the plain "
                  "document", ok and same, (code, hd.get("Content-Encoding")))

        # ---- alert group before the reload ----
        am = {"version": "4", "groupKey": "db-group", "status": "firing",
              "receiver": "pharos", "alerts": [{
                  "status": "firing", "labels": {"service": "db"},
                  "annotations": {}, "startsAt": "2026-01-01T00:00:00Z"}]}
        code, _, _ = http_call("POST", h.url("/v1/integrations/alertmanager"),
                               {"Authorization": "Bearer " + ALERT,
                                "Content-Type": "application/json"}, am)
        res.check("alert accepted", code == 200, code)

        def db_status():
            doc = json.loads(http_get(h.url("/api/v2/summary.json"))[1])
            return {c["id"]: c["status"] for c in doc["components"]}.get("db")
        res.check("the alert holds db at partial_outage",
                  wait_until(lambda: db_status() == "partial_outage", 10),
                  db_status())

        # ---- SIGHUP: a new check, the same agent process ----
        agent_pid = h.procs["agent-r1"].pid
        write(True)
        h.procs["collector"].send_signal(signal.SIGHUP)
        res.check("after SIGHUP the running agent probes the new check",
                  wait_until(lambda: checks_seen().get("cdn-http", {}).get("r1")
                             == "up", 40), checks_seen().get("cdn-http"))
        res.check("... without being restarted",
                  h.procs["agent-r1"].pid == agent_pid and
                  h.procs["agent-r1"].poll() is None)
        res.check("the alert group survived the reload",
                  db_status() == "partial_outage", db_status())
        code, _, out = http_call(
            "GET", h.url("/v1/pages/itest/components/db/transitions.json"),
            {"Authorization": "OAuth " + ADMIN})
        trs = json.loads(out) if code == 200 else []
        res.check("no flip of db in its transition log across the reload",
                  code == 200 and [t.get("new_status") for t in trs] ==
                  ["partial_outage"], (code, trs))
    except Exception:
        h.dump_logs()
        raise
    finally:
        h.stop_all()
        srv.shutdown()
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
