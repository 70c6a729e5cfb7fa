#!/usr/bin/env python3
"""How a delivery's answer changes a webhook or Slack subscriber, against
real receivers on loopback (docs/api.md "Webhooks", operator guide
"Notifications"); quarantine_after is set far out of reach, so every
quarantine seen here comes from the answer itself:

- a webhook answering 410 is disabled (quarantined) after one attempt,
  and gets nothing while quarantined;
- a Slack hook answering 404 or 403 is quarantined after one attempt; a
  Slack 500 and a webhook 404 are retried and delivered instead;
- reactivation (v1 POST subscribers/<id>/reactivate) ends the quarantine:
  new events arrive, what happened meanwhile is not replayed, and
  reactivating an active subscriber is refused (422);
- a 302 is not followed: the Location target never gets a request, the
  endpoint is retried as a failure and the message is never marked
  delivered."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
sys.path.insert(0, os.path.dirname(__file__))
from pharos_harness import Harness, http_get, wait_until  # noqa: E402
from oncetest import Results  # noqa: E402
from test_notify_webhook import Receiver  # noqa: E402


def main():
    res = Results()
    rec = Receiver()
    h = Harness("notify-failures")
    key = "ph_write_" + "f" * 30
    os.environ["PH_NOTIFY_FAIL_KEY"] = key
    try:
        h.write_config(["r1"], "components:\n  - id: api\n    name: API\n",
                       extra_yaml="api_keys:\n  - {name: ci, scope: admin, "
                       "token_env: PH_NOTIFY_FAIL_KEY}\n"
                       "notify:\n  allow_private_targets: true\n  coalesce: 0\n"
                       "  retry_base: 200ms\n  retry_max: 1s\n"
                       "  quarantine_after: 100000\n  subscribe_burst: 50\n")
        h.start_collector()
        base = h.url("/v1/pages/itest")

        def call(method, path, body=None):
            data = json.dumps(body).encode() if body is not None else None
            code, out = http_get(base + path, method=method, data=data,
                                 headers={"Authorization": "OAuth " + key},
                                 ok_codes=None)
            return code, json.loads(out) if out else None

        def subscribe(sub):
            code, out = http_get(h.url("/api/v2/subscribers.json"), "POST",
                                 data=json.dumps({"subscriber": sub}).encode(),
                                 headers={"Content-Type": "application/json"},
                                 ok_codes=None)
            out = json.loads(out) if out else {}
            res.check(f"sign-up {sub} answers 201", code == 201, f"{code} {out}")
            return out.get("subscriber", {}).get("id", "")

        def state(sid):
            return call("GET", f"/subscribers/{sid}")[1]["state"]

        def incident(name):
            code, inc = call("POST", "/incidents", {"incident": {
                "name": name, "status": "investigating", "body": name}})
            res.check(f"incident {name!r} created", code == 201, f"{code} {inc}")
            return inc["id"]

        def names(path):
            """Incident names delivered (2xx) to path."""
            return [d["incident"]["name"] if "incident" in d else
                    d.get("text", "") for _, d in rec.got(path)]

        rec.script.update({"/gone": [410], "/slack-404": [404],
                           "/slack-403": [403], "/slack-500": [500, 200],
                           "/hook-404": [404, 200], "/moved": [302],
                           "/target": [200]})
        rec.location["/moved"] = rec.url("/target")
        gone = subscribe({"endpoint": rec.url("/gone")})
        s404 = subscribe({"slack_url": rec.url("/slack-404")})
        s403 = subscribe({"slack_url": rec.url("/slack-403")})
        s500 = subscribe({"slack_url": rec.url("/slack-500")})
        h404 = subscribe({"endpoint": rec.url("/hook-404")})
        moved = subscribe({"endpoint": rec.url("/moved")})

        incident("First")
        for sid, path, code, what in (
                (gone, "/gone", "410", "a webhook answering 410"),
                (s404, "/slack-404", "404", "a Slack hook answering 404"),
                (s403, "/slack-403", "403", "a Slack hook answering 403")):
            ok = wait_until(lambda: state(sid) == "quarantined", 20)
            res.check(f"{what} is quarantined", ok, state(sid))
            _, one = call("GET", f"/subscribers/{sid}")
            res.check(f"... after one attempt, the answer recorded",
                      len(rec.all(path)) == 1 and
                      f"HTTP {code}" in (one.get("last_error") or ""),
                      f"{len(rec.all(path))} {one}")
        for sid, path, what in ((s500, "/slack-500", "a Slack 500"),
                                (h404, "/hook-404", "a webhook 404")):
            ok = wait_until(lambda: names(path) != [], 20)
            res.check(f"{what} is retried and delivered",
                      ok and [a[2] for a in rec.all(path)][:2] ==
                      [int(path[-3:]), 200], f"{[a[2] for a in rec.all(path)]}")
            res.check(f"... and the subscriber stays active",
                      state(sid) == "active", state(sid))

        # ---- redirects are not followed ----
        ok = wait_until(lambda: len(rec.all("/moved")) >= 3, 20)
        res.check("a 302 is retried as a failure", ok, len(rec.all("/moved")))
        res.check("... the Location target never gets a request",
                  rec.all("/target") == [], rec.all("/target"))
        # The third request has reached the recorder; its failure is
        # recorded once the collector has read the answer, moments later.
        def moved_failures():
            _, one = call("GET", f"/subscribers/{moved}")
            return one
        wait_until(lambda: moved_failures()["failures"] >= 3, 10)
        one = moved_failures()
        res.check("... and the endpoint counts failures, not deliveries",
                  one["state"] == "active" and one["failures"] >= 3 and
                  "302" in (one.get("last_error") or ""), f"{one}")
        # Stop the redirect loop so the outbox can drain below.
        call("DELETE", f"/subscribers/{moved}")

        # ---- nothing while quarantined; reactivation ----
        incident("While quarantined")
        ok = wait_until(lambda: "While quarantined" in names("/hook-404"), 20)
        res.check("the next event reaches the active subscribers", ok,
                  names("/hook-404"))
        res.check("... and the outbox drains", wait_until(h.outbox_drained, 20),
                  h.metric("pharos_notify_outbox_backlog"))
        res.check("a quarantined webhook gets nothing",
                  len(rec.all("/gone")) == 1, len(rec.all("/gone")))
        rec.script["/gone"] = [200]
        code, out = call("POST", f"/subscribers/{gone}/reactivate")
        res.check("reactivation answers 200 with state active",
                  code == 200 and out["state"] == "active", f"{code} {out}")
        code, out = call("POST", f"/subscribers/{gone}/reactivate")
        res.check("reactivating an active subscriber is refused (422)",
                  code == 422, f"{code} {out}")
        incident("After reactivation")
        ok = wait_until(lambda: names("/gone") != [], 20)
        res.check("a reactivated webhook gets new events", ok)
        res.check("the outbox drains again", wait_until(h.outbox_drained, 20),
                  h.metric("pharos_notify_outbox_backlog"))
        res.check("... and only those: nothing from its quarantine is replayed",
                  names("/gone") == ["After reactivation"], names("/gone"))
        res.check("the Slack hooks stay quarantined (no reactivation asked)",
                  state(s404) == "quarantined" and state(s403) == "quarantined"
                  and len(rec.all("/slack-404")) == 1)
        if not all(ok for _, ok in res.items):
            h.dump_logs()
    finally:
        h.stop_all()
        rec.srv.shutdown()
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
