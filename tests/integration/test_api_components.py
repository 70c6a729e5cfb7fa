#!/usr/bin/env python3
"""Components and component groups managed through the v1 API (the
Statuspage shapes: 201 on create, 200 on update, 204 on delete): they show
on the page's feed, take a status, survive a restart; those of pharos.yml
answer 409 to changes of their definition and to deletes (their status can
still be set); a deleted component's definition stays in the audit log."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pharos_harness import Harness, http_call, wait_until  # noqa: E402
from oncetest import Results  # noqa: E402

KEY = "ph_comp_admin_" + "c" * 30
P = "/v1/pages/itest"


def main():
    res = Results()
    h = Harness("api-components")
    os.environ["PH_COMP_ADMIN"] = KEY
    try:
        h.write_config(["r1"], """
groups:
  - id: core
    name: Core
components:
  - id: api
    name: API
    group: core
""", extra_yaml="api_keys:\n  - {name: tf, scope: admin, token_env: PH_COMP_ADMIN}\n",
            server_yaml="  api_rate_limit: 0",
            agents_for=[])
        h.start_collector()
        auth = {"Authorization": "OAuth " + KEY}

        def call(method, path, body=None, headers=auth):
            code, hd, raw = http_call(method, h.url(path), headers=headers,
                                      body=body)
            try:
                return code, json.loads(raw) if raw else None
            except ValueError:
                return code, raw

        def summary_ids():
            _, doc = call("GET", "/api/v2/summary.json", headers={})
            return {c["id"]: c for c in doc["components"]}

        code, c = call("POST", P + "/components",
                       {"component": {"name": "Billing <eu>",
                                      "description": "Invoices",
                                      "showcase": True,
                                      "status": "degraded_performance"}})
        cid = c.get("id") if isinstance(c, dict) else None
        res.check("POST components: 201 with the v1 component object",
                  code == 201 and cid and len(cid) == 12 and
                  c["name"] == "Billing <eu>" and c["description"] == "Invoices"
                  and c["status"] == "degraded_performance" and
                  c["page_id"] == "itest" and "automation_email" in c, (code, c))
        ids = summary_ids()
        res.check("the new component is in the feed at once (read-your-writes)",
                  cid in ids and ids[cid]["status"] == "degraded_performance",
                  list(ids))

        def uptime_ids():
            _, doc = call("GET", "/api/v2/uptime.json", headers={})
            return [c["id"] for c in doc["components"]]

        # uptime.json (days, not now) is rendered off the loop just after.
        res.check("and in uptime.json moments later",
                  wait_until(lambda: cid in uptime_ids(), 10), uptime_ids())
        code, _ = call("POST", P + "/components",
                       {"component": {"description": "no name"}})
        res.check("a component without a name is 422", code == 422, code)
        code, _ = call("POST", P + "/components",
                       {"component": {"name": "x", "group_id": "nope"}})
        res.check("an unknown group_id is 422", code == 422, code)
        code, _ = call("POST", P + "/components", b"{not json")
        res.check("a malformed body is 400", code == 400, code)
        code, _ = call("POST", P + "/components", {"component": {"name": "x"}},
                       headers={})
        res.check("no key: 401", code == 401, code)

        code, c = call("PATCH", P + f"/components/{cid}",
                       {"component": {"name": "Billing", "internal": True}})
        res.check("PATCH an API component: 200 with the change", code == 200
                  and c["name"] == "Billing", (code, c))
        res.check("an internal API component leaves the public feed",
                  cid not in summary_ids())
        code, c = call("PUT", P + f"/components/{cid}",
                       {"component": {"internal": False, "status": "major_outage"}})
        res.check("PUT works as PATCH; status and definition together",
                  code == 200 and c["status"] == "major_outage", (code, c))
        res.check("back in the feed with its status",
                  summary_ids().get(cid, {}).get("status") == "major_outage")

        code, body = call("PATCH", P + "/components/api",
                          {"component": {"name": "Renamed"}})
        res.check("renaming a file component: 409 naming the file",
                  code == 409 and "configuration file" in body["message"],
                  (code, body))
        code, body = call("DELETE", P + "/components/api")
        res.check("deleting a file component: 409 naming the file",
                  code == 409 and "configuration file" in body["message"],
                  (code, body))
        code, c = call("PATCH", P + "/components/api",
                       {"component": {"status": "partial_outage"}})
        res.check("a file component's status can still be set", code == 200
                  and c["status"] == "partial_outage", (code, c))
        whole = {k: c[k] for k in ("name", "description", "group_id",
                                   "showcase", "only_show_if_degraded",
                                   "start_date")}
        whole["status"] = "degraded_performance"
        code, c = call("PUT", P + "/components/api", {"component": whole})
        res.check("the whole object sent back unchanged (as tools do) only "
                  "sets the status", code == 200 and
                  c["status"] == "degraded_performance", (code, c))

        code, g = call("POST", P + "/component-groups",
                       {"component_group": {"name": "Money",
                                            "components": [cid]}})
        gid = g.get("id") if isinstance(g, dict) else None
        res.check("POST component-groups: 201 with the group", code == 201
                  and gid and g["components"] == [cid], (code, g))
        code, _ = call("POST", P + "/component-groups",
                       {"component_group": {"name": "Empty", "components": []}})
        res.check("an empty group is 422", code == 422, code)
        code, _ = call("POST", P + "/component-groups",
                       {"component_group": {"name": "Steal", "components": ["api"]}})
        res.check("a group taking a file component is 409", code == 409, code)
        ids = summary_ids()
        res.check("the group and its member are in the feed",
                  ids.get(gid, {}).get("group") is True and
                  ids[gid]["components"] == [cid] and ids[cid]["group_id"] == gid,
                  ids.get(gid))
        code, g = call("PATCH", P + f"/component-groups/{gid}",
                       {"component_group": {"name": "Finance"}})
        res.check("PATCH a group", code == 200 and g["name"] == "Finance", (code, g))
        code, _ = call("PATCH", P + "/component-groups/core",
                       {"component_group": {"name": "x"}})
        res.check("changing a file group is 409", code == 409, code)
        code, _ = call("DELETE", P + "/component-groups/core")
        res.check("deleting a file group is 409", code == 409, code)
        codes = (call("DELETE", P + "/component-groups/nope")[0],
                 call("PATCH", P + "/component-groups/nope",
                      {"component_group": {"name": "x"}})[0])
        res.check("an unknown group is 404 to DELETE and PATCH",
                  codes == (404, 404), codes)

        h.stop("collector")
        h.start_collector()
        ids = summary_ids()
        res.check("API components and groups survive a restart, status too",
                  ids.get(cid, {}).get("status") == "major_outage" and
                  ids[cid]["name"] == "Billing" and gid in ids, ids.get(cid))

        code, _ = call("DELETE", P + f"/component-groups/{gid}")
        ids = summary_ids()
        res.check("DELETE a group: 204, its components stay ungrouped",
                  code == 204 and gid not in ids and ids[cid]["group_id"] is None,
                  (code, ids.get(cid)))
        code, _ = call("DELETE", P + f"/components/{cid}")
        res.check("DELETE an API component: 204", code == 204, code)
        res.check("gone from the feed", cid not in summary_ids())
        code, _ = call("GET", P + f"/components/{cid}")
        res.check("and from the API (404)", code == 404, code)
        code, _ = call("DELETE", P + f"/components/{cid}")
        res.check("deleting again is 404", code == 404, code)
        code, log = call("GET", P + "/audit-log")
        res.check("the deleted component's definition is in the audit log",
                  any(e["action"] == "component deleted" and e["target"] == cid
                      and '"name":"Billing"' in e["detail"] for e in log) and
                  any(e["action"].startswith("POST ") and e["target"] == cid
                      for e in log), log[:5])
        h.stop("collector")
        h.start_collector()
        res.check("a deleted component stays deleted after a restart",
                  cid not in summary_ids())
        code, a1 = call("GET", P + "/audit-log?limit=1")
        code2, older = call("GET", P + "/audit-log?limit=1000&before=" +
                            str(a1[0]["id"] if code == 200 and a1 else 0))
        res.check("audit log: limit, then before an id gives the older entries",
                  code == 200 and len(a1) == 1 and code2 == 200 and
                  len(older) > 1 and
                  all(e["id"] < a1[0]["id"] for e in older), (a1, older[:3]))

        # The caps on what the API may create: 200 groups (each taking
        # the one component in turn), then 422 and nothing made (the
        # list holds them and the file's group).
        code, m = call("POST", P + "/components", {"component": {"name": "M"}})
        codes = [call("POST", P + "/component-groups",
                      {"component_group": {"name": f"G{i}",
                                           "components": [m["id"]]}})[0]
                 for i in range(200)]
        code, body = call("POST", P + "/component-groups",
                          {"component_group": {"name": "One too many",
                                               "components": [m["id"]]}})
        res.check("the 201st group made through the API is 422, the 200 "
                  "before it 201", codes == [201] * 200 and code == 422 and
                  "too many groups" in json.dumps(body) and
                  len(call("GET", P + "/component-groups")[1]) == 201,
                  (sorted(set(codes)), code, body))
    finally:
        h.stop_all()
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
