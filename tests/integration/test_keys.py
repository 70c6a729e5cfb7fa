#!/usr/bin/env python3
"""API keys made at run time with pharosctl (shown once, stored hashed,
scoped, revocable, surviving a restart), the audit log naming the key
behind each write, and the per-key rate limit (429 with Retry-After)."""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pharos_harness import Harness, http_get, wait_until  # noqa: E402
from oncetest import Results  # noqa: E402


def main():
    res = Results()
    h = Harness("keys")
    boot = "ph_boot_" + "b" * 30
    os.environ["PH_KEYS_ADMIN"] = boot
    try:
        h.write_config(["r1"], """
components:
  - id: api
    name: API
""", extra_yaml="api_keys:\n  - {name: bootstrap, scope: admin, token_env: PH_KEYS_ADMIN}\n",
            agents_for=[], server_yaml="  api_rate_limit: 30")
        h.start_collector()

        def ctl(*args, key=boot):
            env = dict(os.environ, PHAROS_URL=h.url(""))
            env.pop("PHAROS_KEY", None)
            if key is not None:
                env["PHAROS_KEY"] = key
            p = subprocess.run([h.bin("pharosctl"), *args], capture_output=True,
                               text=True, timeout=30, env=env)
            return p.returncode, p.stdout, p.stderr

        def call(method, path, body=None, key=None):
            hd = {"Authorization": f"OAuth {key}"} if key else {}
            return http_get(h.url(path), method=method,
                            data=body.encode() if body else None, headers=hd, ok_codes=None)

        rc, out, err = ctl("--json", "key", "add", "ops", "--scope", "write")
        made = json.loads(out) if rc == 0 else {}
        ops = made.get("key", "")
        res.check("key add prints the key once", rc == 0 and ops.startswith("ph_")
                  and made["scope"] == "write", (rc, out, err))
        rc, out, err = ctl("key", "add", "viewer")
        viewer = out.strip().splitlines()[-1] if rc == 0 else ""
        res.check("key add without --scope makes a read key; text output", rc == 0
                  and "(read)" in out and viewer.startswith("ph_"), (rc, out, err))
        rc, out, err = ctl("key", "add", "ops")
        res.check("a taken name is refused (409)", rc == 1 and "409" in err, (rc, err))
        rc, out, err = ctl("key", "add", "bad name!")
        res.check("a bad name is refused (422)", rc == 1 and "422" in err, (rc, err))
        rc, out, err = ctl("key", "add", "x", key=ops)
        res.check("a write key cannot make keys (403)", rc == 1 and "403" in err, (rc, err))

        code, body = call("PATCH", "/v1/pages/itest/components/api",
                          '{"component":{"status":"degraded_performance"}}', key=ops)
        res.check("the new write key works", code == 200, (code, body))
        code, _ = call("PATCH", "/v1/pages/itest/components/api",
                       '{"component":{"status":"operational"}}', key=viewer)
        res.check("the read key cannot write", code == 403, code)
        rc, out, err = ctl("--json", "key", "list")
        keys = json.loads(out) if rc == 0 else []
        res.check("key list shows names and scopes, never keys",
                  rc == 0 and {(k["name"], k["scope"], k["source"]) for k in keys}
                  >= {("bootstrap", "admin", "config"), ("ops", "write", "api"),
                      ("viewer", "read", "api")}
                  and ops not in out and "ph_" not in out, out)
        db = open(os.path.join(h.dir, "state", "pharos.db"), "rb").read()
        wal = os.path.join(h.dir, "state", "pharos.db-wal")
        if os.path.exists(wal):
            db += open(wal, "rb").read()
        res.check("only hashes are stored", ops.encode() not in db and viewer.encode() not in db)

        code, log = call("GET", "/v1/pages/itest/audit-log", key=boot)
        log = json.loads(log)
        res.check("the audit log names the key behind each write",
                  any(e["actor"] == "ops" and e["action"].startswith("PATCH ")
                      and e["target"] == "api" and e["status"] == 200 for e in log)
                  and any(e["actor"] == "bootstrap" and e["action"] == "POST /v1/keys"
                          and e["target"] == "ops" and e["status"] == 201 for e in log)
                  and not any(ops in e["detail"] for e in log), log[:4])

        h.stop("collector")
        h.start_collector()
        code, _ = call("GET", "/v1/pages/itest/components", key=ops)
        res.check("run-time keys survive a restart", code == 200, code)
        rc, out, err = ctl("key", "revoke", "ops")
        res.check("key revoke", rc == 0 and "revoked" in out, (rc, out, err))
        code, _ = call("GET", "/v1/pages/itest/components", key=ops)
        res.check("a revoked key gets 401 at once", code == 401, code)
        rc, out, err = ctl("key", "revoke", "bootstrap")
        res.check("config keys are revoked in the config (409)", rc == 1 and "409" in err, (rc, err))

        # Rate limit: 30 per minute with bursts of 30. A key made for this
        # has its whole burst: the 31st request of a quick run is refused.
        rc, out, err = ctl("key", "add", "burst")
        burst = out.strip().splitlines()[-1] if rc == 0 else ""
        codes = []
        hdrs = None
        import urllib.request
        import urllib.error
        t0 = time.monotonic()
        for _ in range(35):
            req = urllib.request.Request(h.url("/v1/pages/itest/components"),
                                         headers={"Authorization": "OAuth " + burst})
            try:
                with urllib.request.urlopen(req, timeout=5) as r:
                    codes.append(r.status)
            except urllib.error.HTTPError as e:
                codes.append(e.code)
                if e.code == 429 and hdrs is None:
                    hdrs = dict(e.headers)
                    body = json.loads(e.read())
        # The bucket refills one token per 2 s: a slow run may earn extra.
        refill = int((time.monotonic() - t0) / 2)
        res.check("the burst is exactly the configured 30",
                  codes == [200] * 30 + [429] * 5 if refill == 0 else
                  codes[:30] == [200] * 30 and codes.count(200) <= 30 + refill,
                  (codes, refill))
        res.check("beyond the rate: 429 with Retry-After and an error body",
                  429 in codes and hdrs is not None
                  and int(hdrs.get("Retry-After", "0")) >= 1
                  and body.get("error") == "too_many_requests", (codes, hdrs))
        code, _ = call("GET", "/v1/pages/itest/components", key=boot)
        res.check("other keys keep their own budget", code == 200, code)
        metrics = http_get(h.url("/metrics"))[1].decode()
        res.check("rate-limited requests are counted",
                  any(line.startswith("pharos_api_rate_limited_total ")
                      and float(line.split()[1]) >= 1 for line in metrics.splitlines()),
                  [l for l in metrics.splitlines() if "rate" in l])
        res.check("requests are counted by route and code",
                  'pharos_http_requests_total{route="v1",code="429"}' in metrics
                  and 'pharos_http_requests_total{route="admin",code="204"}' in metrics
                  and "pharos_agents_stale 0" in metrics,
                  [l for l in metrics.splitlines() if "http_requests" in l or "stale" in l])
        code, _ = call("GET", "/v1/pages/itest/components", key=burst)
        res.check("the spent key is still refused", code == 429, code)
        # One token comes back every 2 s.
        res.check("the budget refills over time", wait_until(
            lambda: call("GET", "/v1/pages/itest/components", key=burst)[0] == 200,
            6, 0.5))
    except Exception:
        h.dump_logs()
        raise
    finally:
        h.stop_all()
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
