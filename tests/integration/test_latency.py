#!/usr/bin/env python3
"""Response-time history (issue #16 item 5): results in, /api/v2/latency.json
out, through a real collector and sqlite.

- Two regions' agents post hand-made batches with known latencies (down
  results at 30 s among them): the five-minute bucket holds the up
  results only, p50/p95/max within the sketch's 5% of the exact
  nearest-rank values; another region's series is its own; an older
  bucket comes first; range=90d gives hourly points.
- A real pharos-agent probing a local target: its check gets points.
- Filters (component, check, region), internal components left out of a
  public page, 400/404 for bad parameters, ETag and 304, CORS.
- The rollups survive a restart, and a collector killed (SIGKILL) right
  after acknowledging a batch counts that batch once after it restarts.
"""
import json
import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pharos_harness import (Harness, Results, free_port, http_call,  # noqa: E402
                            http_get, serve_target, wait_until)
from pbwire import batch, result  # noqa: E402

FIVE = 300000
HOUR = 3600000


def now_ms():
    return int(time.time() * 1000)


def exact(values, q):
    v = sorted(values)
    rank = -(-len(v) * q // 1)  # ceil
    return v[max(int(rank), 1) - 1]


def near(got, want):
    return abs(got - want) <= 0.05 * want + 0.5


def main():
    res = Results()
    h = Harness("latency")
    target_port = free_port()
    target = serve_target(target_port)
    comps = f"""
components:
  - id: web
    name: Web
    checks:
      - {{id: api, type: http, url: "http://127.0.0.1:9/", interval: 1m, regions: [eu, us]}}
  - id: site
    name: Site
    checks:
      - {{id: site-http, type: http, url: "http://127.0.0.1:{target_port}/", interval: 2s, timeout: 1s, regions: [lab]}}
  - id: db
    name: Database
    internal: true
    checks:
      - {{id: db-tcp, type: tcp, host: 127.0.0.1, port: 9, interval: 1m, regions: [eu]}}
  - id: docs
    name: Docs
"""
    h.write_config(["eu", "us", "lab"], comps)
    seqs = {"eu": 0, "us": 0}

    def post(region, results):
        seqs[region] += 1
        code, _ = http_get(h.url("/v1/agent/results"), method="POST",
                           data=batch(seqs[region], results), ok_codes=None,
                           headers={"Authorization": "Bearer " + h.tokens[region],
                                    "Content-Type": "application/x-protobuf"})
        return code

    def doc(query=""):
        code, hd, body = http_call("GET", h.url("/api/v2/latency.json" + query))
        return code, hd, (json.loads(body) if code in (200, 400, 404, 413)
                          else body)

    def series(d, comp, check, region):
        for c in d.get("components", []):
            if c["id"] != comp:
                continue
            for k in c["checks"]:
                if k["id"] != check:
                    continue
                for r in k["regions"]:
                    if r["region"] == region:
                        return r["points"]
        return []

    def point(d, comp, check, region, t):
        for p in series(d, comp, check, region):
            if p[0] == t:
                return p
        return None

    try:
        h.start_collector()
        h.start_agent("lab")
        now = now_ms()
        b5 = now - now % FIVE - FIVE          # the last whole five minutes
        old = b5 - 3 * HOUR                   # three hours earlier
        eu_up = []
        eu = []
        for i in range(100):
            if i % 10 == 9:
                eu.append(result("api", b5 + i * 1000, outcome=3,
                                 latency_ms=30000, error=b"timeout"))
            else:
                eu_up.append(i + 1)
                eu.append(result("api", b5 + i * 1000, latency_ms=i + 1))
        res.check("eu batch acked", post("eu", eu) == 200)
        res.check("older eu batch acked",
                  post("eu", [result("api", old + i * 1000, latency_ms=200)
                              for i in range(10)]) == 200)
        res.check("us batch acked",
                  post("us", [result("api", b5 + i * 1000, latency_ms=500)
                              for i in range(20)]) == 200)

        # The rollups reach the rows within a flush interval (10 s) of
        # the next commit; heartbeats make commits.
        def ready():
            post("eu", [])
            code, _, d = doc()
            return code == 200 and point(d, "web", "api", "eu", b5) is not None \
                and point(d, "web", "api", "us", b5) is not None \
                and series(d, "site", "site-http", "lab")
        res.check("latency.json shows the posted and the probed results",
                  wait_until(ready, 60, 0.5))

        code, hd, d = doc()
        res.check("200, JSON, CORS *, ETag",
                  code == 200 and hd.get("Content-Type") == "application/json"
                  and hd.get("Access-Control-Allow-Origin") == "*"
                  and (hd.get("ETag") or "").startswith('"'), dict(hd))
        res.check("range 48h in five-minute points, fields named",
                  d["range"] == "48h" and d["period_s"] == 300 and
                  d["fields"] == ["t", "n", "p50_ms", "p95_ms", "max_ms"], d)
        res.check("regions listed", [r["id"] for r in d["regions"]] ==
                  ["eu", "us", "lab"], d["regions"])
        ids = [c["id"] for c in d["components"]]
        res.check("components with checks, internal ones left out (public "
                  "page)", ids == ["web", "site"], ids)
        p = point(d, "web", "api", "eu", b5)
        res.check("eu bucket: the 90 up results only, max exact",
                  p is not None and p[1] == 90 and p[4] == max(eu_up), p)
        res.check("eu bucket: p50 and p95 within 5% of the exact values",
                  p is not None and near(p[2], exact(eu_up, 0.5)) and
                  near(p[3], exact(eu_up, 0.95)),
                  (p, exact(eu_up, 0.5), exact(eu_up, 0.95)))
        pts = series(d, "web", "api", "eu")
        res.check("eu series in time order, older bucket first",
                  [q[0] for q in pts] == [old, b5] and pts[0][1] == 10 and
                  near(pts[0][2], 200), pts)
        p = point(d, "web", "api", "us", b5)
        res.check("us is its own series", p is not None and p[1] == 20 and
                  near(p[2], 500) and p[4] == 500, p)
        lab = series(d, "site", "site-http", "lab")
        res.check("the real agent's probes: points with p50 <= p95 <= max",
                  lab and all(q[1] >= 1 and q[2] <= q[3] <= q[4] for q in lab),
                  lab)

        code, _, d90 = doc("?range=90d&check=api")
        hour = b5 - b5 % HOUR
        hp = point(d90, "web", "api", "eu", hour)
        res.check("range=90d: hourly points", code == 200 and
                  d90["period_s"] == 3600 and hp is not None and
                  hp[1] >= 90, (code, hp))
        code, _, dr = doc("?region=us")
        res.check("region=us: only us series",
                  code == 200 and series(dr, "web", "api", "us") and
                  not series(dr, "web", "api", "eu"))
        code, _, dc = doc("?component=site")
        res.check("component=site: that component only",
                  code == 200 and [c["id"] for c in dc["components"]] ==
                  ["site"], dc)
        for q, want in (("?range=1y", 400), ("?region=mars", 404),
                        ("?component=nope", 404), ("?check=" + "x" * 80, 400),
                        ("?component=db", 404)):
            code, hd, e = doc(q)
            res.check(f"{q[:30]} is {want} with CORS",
                      code == want and "error" in e and
                      hd.get("Access-Control-Allow-Origin") == "*",
                      (code, e))

        code, hd, body = http_call("GET", h.url("/api/v2/latency.json?check=api"))
        etag = hd.get("ETag")
        code2, _, body2 = http_call("GET", h.url("/api/v2/latency.json?check=api"),
                                    headers={"If-None-Match": etag})
        res.check("If-None-Match with its ETag: 304, no body",
                  code == 200 and code2 == 304 and body2 == b"", (code, code2))

        # Persisted: a clean restart keeps every point.
        h.stop("collector")
        h.start_collector()
        code, _, d2 = doc("?check=api")
        res.check("after a restart the points are the same",
                  code == 200 and point(d2, "web", "api", "eu", b5) ==
                  point(d, "web", "api", "eu", b5), d2)

        # A batch acked, then SIGKILL before any flush: counted once at
        # the next start.
        b_kill = b5 - FIVE
        code = post("us", [result("api", b_kill + i * 1000, latency_ms=700)
                           for i in range(10)])
        res.check("batch before the kill acked", code == 200)
        h.stop("collector", signal.SIGKILL)
        h.start_collector()

        def replayed():
            post("eu", [])
            code, _, d = doc("?check=api&region=us")
            return code == 200 and point(d, "web", "api", "us", b_kill)
        res.check("after SIGKILL the acked batch reaches the rollups",
                  wait_until(replayed, 40, 0.5))
        code, _, d3 = doc("?check=api&region=us")
        p = point(d3, "web", "api", "us", b_kill)
        res.check("... exactly once", p is not None and p[1] == 10 and
                  p[4] == 700, p)
    finally:
        target.shutdown()
        h.stop_all()
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
