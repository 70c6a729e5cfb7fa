#!/usr/bin/env python3
"""HTTP(S) probe against a real nginx on loopback (HTTP and HTTPS with a
test CA made here: valid, expired and soon-expiring certificates) and a
small Python server for slow and silent endpoints."""
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from peers import Nginx, TestCA, free_port, wait_port  # noqa: E402
from oncetest import Results, run_once, write_conf  # noqa: E402
from pharos_harness import skip  # noqa: E402


class Slow(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_GET(self):
        time.sleep(0.6)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")


def main():
    if shutil.which("nginx") is None or shutil.which("openssl") is None:
        skip("nginx or openssl missing (scripts/install-deps.sh)")
    d = tempfile.mkdtemp(prefix="pharos-http-")
    res = Results()
    ca = TestCA(d)
    good = ca.server_cert("good", days=30)
    soon = ca.server_cert("soon", days=5)
    expired = ca.server_cert("expired", start="20200101000000Z",
                             end="20200201000000Z")
    p_http, p_good, p_soon, p_exp = (free_port() for _ in range(4))
    common = """
        location = / { return 200 "ok\\n"; }
        location = /503 { return 503 "unavailable\\n"; }
        location = /json { default_type application/json;
                           return 200 '{"status":"ok","n":[1,2],"deep":{"v":true}}'; }
        location = /redirect { return 302 /; }
        location = /echo-header { return 200 "probe=$http_x_probe\\n"; }
        location = /echo-conn { return 200 "conn=$http_connection\\n"; }
    """
    tls = "listen 127.0.0.1:%d ssl;\nssl_certificate %s;\nssl_certificate_key %s;\n"
    ng = Nginx(d, [f"listen 127.0.0.1:{p_http};\n{common}",
                   tls % (p_good, *good) + common,
                   tls % (p_soon, *soon) + common,
                   tls % (p_exp, *expired) + common])
    slow_port = free_port()
    slow = ThreadingHTTPServer(("127.0.0.1", slow_port), Slow)
    slow.daemon_threads = True
    threading.Thread(target=slow.serve_forever, daemon=True).start()
    # A listener that accepts and never answers.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    silent_port = silent.getsockname()[1]
    dead_port = free_port()
    try:
        for port in (p_http, p_good, p_soon, p_exp):
            if not wait_port(port):
                print(ng.p.stderr.read().decode() if ng.p.poll() is not None else "")
                raise RuntimeError(f"nginx not listening on {port}")
        base = f"http://127.0.0.1:{p_http}"
        conf = write_conf(d, f"""
- {{id: up, type: http, url: "{base}/", body_contains: ok}}
- {{id: status, type: http, url: "{base}/503"}}
- {{id: status-ok, type: http, url: "{base}/503", expect_status: [503]}}
- {{id: contains, type: http, url: "{base}/", body_contains: nope}}
- {{id: not-contains, type: http, url: "{base}/", body_not_contains: ok}}
- {{id: regex, type: http, url: "{base}/json", body_regex: '"n":\\[[0-9]+,'}}
- {{id: regex-bad, type: http, url: "{base}/", body_regex: '^[0-9]+$'}}
- {{id: json, type: http, url: "{base}/json", json_path: "$.n[1]", json_equals: "2"}}
- {{id: json-deep, type: http, url: "{base}/json", json_path: "$.deep.v", json_equals: "true"}}
- {{id: json-bad, type: http, url: "{base}/json", json_path: "$.status", json_equals: "down"}}
- {{id: header, type: http, url: "{base}/echo-header", headers: {{X-Probe: pharos}}, body_contains: "probe=pharos"}}
- {{id: redirect-off, type: http, url: "{base}/redirect", expect_status: [200]}}
- {{id: redirect-on, type: http, url: "{base}/redirect", follow_redirects: true, expect_status: [200]}}
- {{id: refused, type: http, url: "http://127.0.0.1:{dead_port}/"}}
- {{id: timeout, type: http, url: "http://127.0.0.1:{silent_port}/", timeout: 500ms}}
- {{id: slow, type: http, url: "http://127.0.0.1:{slow_port}/", degraded_over: 200ms}}
- {{id: tls-ok, type: http, url: "https://127.0.0.1:{p_good}/", ca_file: "{ca.ca}"}}
- {{id: tls-untrusted, type: http, url: "https://127.0.0.1:{p_good}/"}}
- {{id: tls-insecure, type: http, url: "https://127.0.0.1:{p_good}/", insecure: true}}
- {{id: tls-expired, type: http, url: "https://127.0.0.1:{p_exp}/", ca_file: "{ca.ca}"}}
- {{id: tls-soon, type: http, url: "https://127.0.0.1:{p_soon}/", ca_file: "{ca.ca}", cert_expiry_days: 14}}
- {{id: conn-close, type: http, url: "{base}/echo-conn", body_contains: "conn=close"}}
- {{id: conn-close-hdrs, type: http, url: "{base}/echo-conn", headers: {{X-Probe: a}}, body_contains: "conn=close"}}
- {{id: conn-own, type: http, url: "{base}/echo-conn", headers: {{Connection: keep-alive}}, body_contains: "conn=keep-alive"}}
""")
        rc, r, err = run_once(conf, [])
        res.check("once ran every check", len(r) == 24, err)
        res.check("exit status 1 when some check is not up", rc == 1, rc)

        def outcome(i, want, error_part=None):
            got = r.get(i, {})
            ok = got.get("outcome") == want and (
                error_part is None or error_part in (got.get("error") or ""))
            res.check(f"{i}: {want}" + (f" ({error_part})" if error_part else ""),
                      ok, got)
            return got

        u = outcome("up", "up")
        t = u.get("timing", {})
        res.check("timing phases are ordered",
                  0 <= t.get("dns_ms", -1) <= t.get("connect_ms", -1)
                  <= t.get("first_byte_ms", -1) <= t.get("total_ms", -1), t)
        res.check("status code reported", u.get("status_code") == 200, u)
        outcome("status", "down", "http: status 503 not in [200-399]")
        outcome("status-ok", "up")
        outcome("contains", "down", 'body does not contain "nope"')
        outcome("not-contains", "down", 'body contains "ok"')
        outcome("regex", "up")
        outcome("regex-bad", "down", "does not match")
        outcome("json", "up")
        outcome("json-deep", "up")
        outcome("json-bad", "down", '$.status is "ok", expected "down"')
        outcome("header", "up")
        outcome("redirect-off", "down", "status 302 not in [200]")
        outcome("redirect-on", "up")
        outcome("refused", "down", "connect: connection refused")
        outcome("timeout", "down", "timeout after 500 ms")
        outcome("slow", "slow", "slow:")
        tok = outcome("tls-ok", "up")
        res.check("certificate not-after reported",
                  (tok.get("cert_not_after") or "").startswith("20"), tok)
        res.check("tls phase measured",
                  tok.get("timing", {}).get("tls_ms", 0) > 0, tok)
        outcome("tls-untrusted", "down", "tls: certificate verify failed")
        outcome("tls-insecure", "up")
        outcome("tls-expired", "down", "tls:")
        outcome("tls-soon", "slow", "certificate expires in")
        # Each run's connection is not reused, and the request says so;
        # a check's own Connection header is sent instead.
        outcome("conn-close", "up")
        outcome("conn-close-hdrs", "up")
        outcome("conn-own", "up")

        # One at a time gives the same outcomes as the default parallel
        # run (and a second run on a pooled easy handle keeps nothing of
        # the first: the redirect and header checks still differ).
        rcp, rp, errp = run_once(conf, [], extra=["--parallel", "1"])
        res.check("--parallel 1: every check, the same outcomes",
                  rcp == 1 and {k: v["outcome"] for k, v in rp.items()}
                  == {k: v["outcome"] for k, v in r.items()},
                  (rcp, errp, {k: (v["outcome"], r.get(k, {}).get("outcome"))
                               for k, v in rp.items()}))
        rcb, _, errb = run_once(conf, [], extra=["--parallel", "0"])
        res.check("--parallel 0 is a usage error (exit 2)",
                  rcb == 2 and "--parallel takes 1-4096" in errb, (rcb, errb))

        rc1, r1, _ = run_once(conf, ["up", "json"])
        res.check("--check selects checks; exit 0 when all up",
                  rc1 == 0 and sorted(r1) == ["json", "up"], (rc1, sorted(r1)))
        rc2, _, err2 = run_once(conf, ["no-such-check"])
        res.check("unknown --check is a usage error (exit 2)",
                  rc2 == 2 and "no check 'no-such-check'" in err2, (rc2, err2))
        rc3, r3, _ = run_once(conf, ["up"], extra=["--source", "127.0.0.3"])
        res.check("--source binds the probe to a local address",
                  rc3 == 0 and r3["up"]["outcome"] == "up", r3)
    finally:
        ng.stop()
        slow.shutdown()
        silent.close()
        shutil.rmtree(d, ignore_errors=True)
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
