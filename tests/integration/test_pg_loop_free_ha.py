#!/usr/bin/env python3
"""No PostgreSQL round trip blocks a collector's loop under `ha:` either
(issue #14 item 1): two collectors on one PostgreSQL 15 (lib/pgserver.py)
reached through lib/tcpproxy.py, a 3 s lease in the store's database.

- with one leader and one follower (which reloads run-time agents, keys
  and viewers from the store every 2 s), the proxy is frozen for 10 s
  (nothing forwarded, nothing closed); throughout, both collectors'
  /healthz, /api/v2/summary.json and page answer within 1 s each (the
  leader steps down meanwhile: it cannot renew its lease);
- after the thaw one collector leads again and both serve; an agent
  created through the leader then reports to the follower (its reload
  works again).
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pbwire import batch, result  # noqa: E402
from pgserver import PG_BIN, PgServer, available  # noqa: E402
from pharos_harness import (Harness, Results, http_get, skip,  # noqa: E402
                            wait_for, wait_until)
from tcpproxy import TcpProxy  # noqa: E402

LEASE_S = 3
FREEZE_S = 10
KEY = "ph_admin_" + "z" * 32

COMPONENTS = """components:
  - id: api
    name: API
    checks:
      - {id: api-http, type: http, url: "http://127.0.0.1:9/", interval: 30s,
         timeout: 1s}
"""


def role(h):
    try:
        code, body = http_get(h.url("/healthz"), ok_codes=None, timeout=2)
    except OSError:
        return None
    for line in body.decode().splitlines()[1:]:
        k, _, v = line.partition(": ")
        if k == "role":
            return v
    return None


def main():
    if not available():
        skip(f"PostgreSQL 15 server binaries not found in {PG_BIN} "
             "(scripts/install-deps.sh --test installs postgresql-15)")
    res = Results()
    pg = PgServer()
    proxy = None
    hs = {"c1": Harness("pg_free_ha_c1"), "c2": Harness("pg_free_ha_c2")}
    env = dict(os.environ, PH_HA_ADMIN_KEY=KEY)
    env.pop("PGPASSWORD", None)
    try:
        pg.start()
        proxy = TcpProxy(pg.port).start()
        dsn = f"postgresql://pharos@127.0.0.1:{proxy.port}/{pg.dbname}"
        first = None
        for node, h in hs.items():
            with open(os.path.join(h.dir, "pg.pw"), "w") as f:
                f.write(pg.password + "\n")
            if first is not None:
                h.tokens = dict(first.tokens)
            h.write_config(["r1"], COMPONENTS, extra_yaml=(
                f'store: "{dsn}"\n'
                "store_password_file: pg.pw\n"
                f"ha:\n  lease: {LEASE_S}s\n  node_id: {node}\n"
                "api_keys:\n"
                "  - {name: ops, scope: admin, token_env: PH_HA_ADMIN_KEY}\n"))
            first = first or h
        for h in hs.values():
            h.start_collector(env=env)
        wait_for(lambda: sorted(role(h) or "?" for h in hs.values()) ==
                 ["follower", "leader"], 30, "one leader and one follower")
        # Two follower reloads at least before the freeze.
        time.sleep(4)

        proxy.freeze()
        frozen_at = time.monotonic()
        slow = []
        probes = 0
        while time.monotonic() - frozen_at < FREEZE_S:
            for node, h in hs.items():
                for p in ("/healthz", "/api/v2/summary.json", "/"):
                    try:
                        code, _ = http_get(h.url(p), ok_codes=None,
                                           timeout=1)
                    except Exception as e:  # a timeout: the loop is stuck
                        code = repr(e)
                    probes += 1
                    ok = isinstance(code, int) and (code == 200 or
                                                    p == "/healthz")
                    if not ok:
                        slow.append((node, p,
                                     round(time.monotonic() - frozen_at, 1),
                                     code))
            time.sleep(0.2)
        res.check(f"during a {FREEZE_S} s freeze of the database both "
                  "collectors answered /healthz, summary.json and the page "
                  f"within 1 s ({probes} requests)", not slow, slow[:10])
        proxy.thaw()

        res.check("after the thaw one collector leads again",
                  wait_until(lambda: sorted(role(h) or "?"
                                            for h in hs.values()) ==
                             ["follower", "leader"], 40),
                  [role(h) for h in hs.values()])
        lead = next(n for n, h in hs.items() if role(h) == "leader")
        foll = "c2" if lead == "c1" else "c1"
        L, F = hs[lead], hs[foll]
        code, out = http_get(L.url("/v1/agents"), method="POST",
                             ok_codes=None,
                             data=json.dumps({"id": "agent-late",
                                              "region": "r1"}).encode(),
                             headers={"Authorization": "OAuth " + KEY,
                                      "Content-Type": "application/json"})
        tok = json.loads(out).get("token", "") if code == 201 else ""
        res.check("an agent is created through the leader",
                  code in (200, 201) and tok, (code, out[:200]))

        def reports():
            body = batch(1, [result("api-http",
                                    int(time.time() * 1000) - 100)])
            try:
                return http_get(F.url("/v1/agent/results"), method="POST",
                                data=body, ok_codes=None, timeout=3,
                                headers={"Authorization": "Bearer " + tok,
                                         "Content-Type":
                                         "application/x-protobuf"})[0]
            except OSError:
                return None

        res.check("it reports to the follower (the follower's reload of "
                  "run-time agents works after the thaw)",
                  wait_until(lambda: reports() == 200, 20))
        for node, h in hs.items():
            code, _ = http_get(h.url("/api/v2/summary.json"), ok_codes=None)
            res.check(f"{node} serves the feed after the thaw", code == 200,
                      code)
    finally:
        for h in hs.values():
            h.stop_all()
        if proxy is not None:
            proxy.close()
        pg.stop()
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
