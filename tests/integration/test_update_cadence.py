#!/usr/bin/env python3
"""Update cadence of incidents against a real collector: an incident
whose latest update is older than its update_every (per incident, or
incidents.update_every) is overdue in the v1 API, in `pharosctl incident
list` and in /metrics; a new update clears it; drafts and resolved
incidents are never overdue; an update's "next update by" promise
(next_update_in_minutes / next_update_at) reaches the public feed."""
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pharos_harness import Harness, http_get, wait_until  # noqa: E402
from oncetest import Results  # noqa: E402

KEY = "ph_cadence_" + "k" * 30


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def main():
    res = Results()
    h = Harness("update_cadence")
    os.environ["PH_CADENCE_KEY"] = KEY
    try:
        h.write_config(["r1"], """
components:
  - id: api
    name: API
""", extra_yaml="""api_keys:
  - {name: ops, scope: write, token_env: PH_CADENCE_KEY}
incidents:
  update_every: 20m
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

        old = iso(datetime.now(timezone.utc) - timedelta(minutes=30))
        code, late = call("POST", base, {"name": "Slow API", "body": "Looking",
                                         "display_at": old})
        res.check("incident with its update shown 30 min ago: created",
                  code == 201, (code, late))
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
        res.check("/metrics counts one overdue incident",
                  overdue_metric() == 1, overdue_metric())
        out = ctl_list()
        lines = {ln.split()[0]: ln for ln in out.splitlines() if ln.strip()}
        res.check("pharosctl incident list marks only the overdue one",
                  "[update overdue]" in lines.get(late["id"], "")
                  and "[update overdue]" not in lines.get(fresh["id"], ""),
                  out)

        code, got = call("PATCH", f"{base}/{late['id']}",
                         {"status": "identified", "body": "Found it",
                          "next_update_in_minutes": 15})
        res.check("an update clears overdue",
                  code == 200 and "update_overdue" not in got, (code, got))
        res.check("/metrics back to 0",
                  wait_until(lambda: overdue_metric() == 0, 5),
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
        h.stop("collector")
        h.start_collector()
        code, got = call("GET", f"{base}/{late['id']}")
        res.check("next_update_at survives a restart",
                  got["incident_updates"][0].get("next_update_at") == nxt,
                  got["incident_updates"][0])
    except Exception:
        h.dump_logs()
        raise
    finally:
        h.stop_all()
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
