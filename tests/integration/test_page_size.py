#!/usr/bin/env python3
"""A page at its component cap (CONF_COMPONENTS_MAX, 2000: the file's
and the API's together). Every component has its badge, served and
written into publish_dir, and its 90 days in uptime.json (28 MB): once
there were at most 512 documents, so the badges past about 480
components were missing, and uptime.json was refused past 16 MB. Past
the cap: a file of 2001 components is refused at --check; an API create
on a full page answers 422; a reload whose file fills the page leaves the
API's components out, with a warning."""
import json
import os
import signal
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pharos_harness import Harness, http_call, wait_until  # noqa: E402
from oncetest import Results  # noqa: E402

CAP = 2000
KEY = "ph_size_admin_" + "s" * 30
P = "/v1/pages/itest"


def components(n):
    return "components:\n" + "".join(
        f"  - id: c{i}\n    name: Component {i}\n" for i in range(n))


def main():
    res = Results()
    h = Harness("page-size")
    os.environ["PH_SIZE_ADMIN"] = KEY
    keys = "api_keys:\n  - {name: ops, scope: admin, token_env: PH_SIZE_ADMIN}\n"
    try:
        def configure(n):
            h.write_config(["r1"], components(n), extra_yaml=keys,
                           server_yaml="  api_rate_limit: 0", agents_for=[])

        configure(CAP + 1)
        p = subprocess.run([h.bin("pharos-collector"), "--check", "-c",
                            h.conf_path], capture_output=True, text=True,
                           timeout=60)
        out = p.stdout + p.stderr
        res.check(f"a file of {CAP + 1} components is refused at --check",
                  p.returncode != 0 and "components" in out and
                  str(CAP) in out, (p.returncode, out[-300:]))

        configure(CAP - 1)
        h.start_collector()
        auth = {"Authorization": "OAuth " + KEY}

        def get(path):
            code, _, raw = http_call("GET", h.url(path))
            return code, raw

        def feed_ids(doc):
            code, raw = get(f"/api/v2/{doc}")
            return [c["id"] for c in json.loads(raw)["components"]] \
                if code == 200 else []

        missing = [i for i in range(CAP - 1)
                   if get(f"/badge/c{i}.svg")[0] != 200]
        res.check(f"all {CAP - 1} badges are served", missing == [],
                  missing[:10])
        badges = os.path.join(h.dir, "public", "badge")

        def written():
            return len(os.listdir(badges)) if os.path.isdir(badges) else 0
        ok = wait_until(lambda: written() == CAP, 120)
        res.check("... and written into publish_dir (and the page's own)",
                  ok, written())
        res.check(f"summary.json lists {CAP - 1} components",
                  len(feed_ids("summary.json")) == CAP - 1,
                  len(feed_ids("summary.json")))
        code, raw = get("/api/v2/uptime.json")
        res.check(f"uptime.json has {CAP - 1} components of 90 days "
                  "(past 16 MB)", code == 200 and len(raw) > 16 << 20 and
                  len(json.loads(raw)["components"]) == CAP - 1,
                  (code, len(raw)))

        code, _, raw = http_call("POST", h.url(P + "/components"),
                                 headers=auth,
                                 body={"component": {"name": "Last one"}})
        last = json.loads(raw).get("id") if code == 201 else None
        res.check("the page's last component is made through the API",
                  code == 201 and last, (code, raw[:200]))
        res.check("... with its badge at once",
                  get(f"/badge/{last}.svg")[0] == 200)
        code, _, raw = http_call("POST", h.url(P + "/components"),
                                 headers=auth,
                                 body={"component": {"name": "One more"}})
        res.check(f"one more is 422: the page has {CAP}",
                  code == 422 and b"the most it can have" in raw,
                  (code, raw[:200]))

        # The file grows by one: its own come first.
        configure(CAP)
        h.procs["collector"].send_signal(signal.SIGHUP)
        log = os.path.join(h.dir, "collector.log")
        ok = wait_until(lambda: "created through the API are not shown"
                        in open(log, errors="replace").read(), 60)
        res.check("a reload filling the page from the file warns that the "
                  "API's component is not shown", ok)
        # The documents follow the reload on the render worker.
        def shown():
            ids = feed_ids("summary.json")
            return len(ids) == CAP and f"c{CAP - 1}" in ids and \
                last not in ids
        res.check("... and the page shows the file's",
                  wait_until(shown, 30), len(feed_ids("summary.json")))
    finally:
        h.stop_all()
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
