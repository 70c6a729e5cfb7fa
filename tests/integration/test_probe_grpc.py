#!/usr/bin/env python3
"""gRPC health checks (type: grpc) with `pharos-agent once` against real
gRPC servers written with Debian's python3-grpcio on loopback: one in
cleartext HTTP/2, one with TLS from a test CA, one without the health
service. SERVING is up; NOT_SERVING, an unknown service (NOT_FOUND),
UNIMPLEMENTED, an untrusted certificate, a refused port and an HTTP/1
server that is not gRPC are down, each with the reason named."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from oncetest import BUILD, Results, run_once, write_conf  # noqa: E402
from peers import TestCA, free_port, system_python_with  # noqa: E402
from pharos_harness import (Harness, http_get, serve_target,  # noqa: E402
                            skip, wait_for, wait_until)

# The health service by hand (raw bytes in and out): the request's field 1
# is the service name, the reply's field 1 the serving status.
SERVER = r'''
import sys
from concurrent import futures
import grpc
port, mode, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
STATUS = {"": 1, "api": 1, "draining": 2, "odd": 0}
def service_of(req):
    if len(req) >= 2 and req[0] == 0x0a:
        return req[2:2 + req[1]].decode()
    return ""
def check(req, ctx):
    svc = service_of(req)
    if svc not in STATUS:
        ctx.abort(grpc.StatusCode.NOT_FOUND, "unknown service " + svc)
    return bytes([0x08, STATUS[svc]]) if STATUS[svc] else b""
server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
if mode != "nohealth":
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(
        "grpc.health.v1.Health",
        {"Check": grpc.unary_unary_rpc_method_handler(check)}),))
addr = "127.0.0.1:%d" % port
if mode == "tls":
    creds = grpc.ssl_server_credentials(
        [(open(key, "rb").read(), open(cert, "rb").read())])
    server.add_secure_port(addr, creds)
else:
    server.add_insecure_port(addr)
    if mode == "plain":
        server.add_insecure_port("[::1]:%d" % port)
server.start()
print("ready", flush=True)
sys.stdin.read()
server.stop(0)
'''


def start(py, d, mode, cert, key, port):
    path = os.path.join(d, "grpc_server.py")
    with open(path, "w") as f:
        f.write(SERVER)
    # The untrusted-certificate cases make the server log failed
    # handshakes: expected here.
    p = subprocess.Popen([py, path, str(port), mode, cert, key],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         text=True, env={**os.environ,
                                         "GRPC_VERBOSITY": "NONE"})
    wait_for(lambda: p.stdout.readline().strip() == "ready", 20,
             f"the {mode} gRPC server")
    return p


def end_to_end(res, d, grpc_port):
    """The new types through the plan (Check.type + spec_yaml): a running
    agent gets them from the collector and its results reach the feed.
    The icmp check needs a raw socket (root) or the ping range."""
    h = Harness("grpc-e2e")
    icmp = os.geteuid() == 0
    try:
        h.write_config(["r1"], f"""
components:
  - id: api
    name: API
    checks:
      - {{id: api-grpc, type: grpc, host: 127.0.0.1, port: {grpc_port}, service: api, interval: 1s, timeout: 900ms}}
      - {{id: api-grpc-draining, type: grpc, host: 127.0.0.1, port: {grpc_port}, service: draining, interval: 1s, timeout: 900ms}}
""" + ("""      - {id: api-ping, type: icmp, host: 127.0.0.1, count: 2, packet_interval: 50ms, interval: 1s, timeout: 900ms}
""" if icmp else ""))
        h.start_collector()
        h.start_agent("r1")

        def regions():
            doc = json.loads(http_get(h.url("/api/v2/regions.json"))[1])
            return {c["id"]: c["regions"][0] for c in doc["checks"]
                    if c["regions"]}

        want = {"api-grpc": "up", "api-grpc-draining": "down"}
        if icmp:
            want["api-ping"] = "up"
        ok = wait_until(lambda: all(
            regions().get(k, {}).get("state") == v for k, v in want.items()),
            30)
        res.check("agent run: grpc (and icmp) checks from the plan reach "
                  "the feed", ok, regions())
        r = regions()
        res.check("feed: the draining service's error names NOT_SERVING",
                  "NOT_SERVING" in (r.get("api-grpc-draining", {}).get(
                      "error") or ""), r)
        if icmp:
            res.check("feed: the ping's summary (replies, rtt)",
                      "2/2 replies, loss 0%, rtt min/avg/max" in
                      (r.get("api-ping", {}).get("error") or ""), r)
        plan_for_old_agents(res, h)
    finally:
        h.stop_all()


def plan_for_old_agents(res, h):
    """An agent from before the registry sends no Pharos-Check-Types and
    would reject a whole plan holding a type it does not know: its plan
    leaves those checks out, under an ETag of its own."""
    def plan(types=None, inm=None):
        hdrs = {"Authorization": f"Bearer {h.tokens['r1']}"}
        if types is not None:
            hdrs["Pharos-Check-Types"] = types
        if inm:
            hdrs["If-None-Match"] = inm
        req = urllib.request.Request(h.url("/v1/agent/plan"), headers=hdrs)
        try:
            with urllib.request.urlopen(req, timeout=5) as r:
                return r.status, r.headers.get("ETag"), r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers.get("ETag"), b""

    code, old_tag, body = plan()
    res.check("old agent: plan without the grpc checks",
              code == 200 and b"api-grpc" not in body, (code, body[:80]))
    res.check("old agent: a partial plan's ETag of its own",
              old_tag is not None and "-" in old_tag, old_tag)
    res.check("old agent: 304 with that ETag", plan(inm=old_tag)[0] == 304)
    code, new_tag, body = plan("http,tcp,dns,smtp,icmp,grpc", inm=old_tag)
    res.check("the same agent upgraded: the whole plan despite the old "
              "ETag", code == 200 and b"api-grpc" in body and
              new_tag != old_tag, (code, new_tag))
    res.check("upgraded agent: 304 with the whole plan's ETag",
              plan("http,tcp,dns,smtp,icmp,grpc", inm=new_tag)[0] == 304)
    with open(h.logs["collector"]) as f:
        log = f.read()
    res.check("collector log names the agent and what it left out",
              "ingest: agent agent-r1 runs only http,tcp,dns,smtp: " in log
              and "left out of its plan, first 'api-grpc' (grpc); upgrade "
              "the agent" in log, log[-400:])


def main():
    py = system_python_with("grpc")
    if py is None:
        skip("python3-grpcio is not installed (scripts/install-deps.sh "
             "--test)")
    res = Results()
    d = tempfile.mkdtemp(prefix="pharos-grpc-")
    procs = []
    http1 = None
    try:
        ca = TestCA(d)
        cert, key = ca.server_cert("grpc")
        p_plain, p_tls, p_none, p_http1, dead = (free_port()
                                                 for _ in range(5))
        procs.append(start(py, d, "plain", cert, key, p_plain))
        procs.append(start(py, d, "tls", cert, key, p_tls))
        procs.append(start(py, d, "nohealth", cert, key, p_none))
        http1 = serve_target(p_http1)
        conf = write_conf(d, f"""
- {{id: up, type: grpc, host: 127.0.0.1, port: {p_plain}}}
- {{id: up-svc, type: grpc, host: 127.0.0.1, port: {p_plain}, service: api}}
- {{id: up-v6, type: grpc, host: "::1", port: {p_plain}, service: api}}
- {{id: draining, type: grpc, host: 127.0.0.1, port: {p_plain}, service: draining}}
- {{id: odd, type: grpc, host: 127.0.0.1, port: {p_plain}, service: odd}}
- {{id: unknown, type: grpc, host: 127.0.0.1, port: {p_plain}, service: nope}}
- {{id: tls, type: grpc, host: localhost, port: {p_tls}, tls: true, ca_file: "{ca.ca}", service: api}}
- {{id: tls-untrusted, type: grpc, host: localhost, port: {p_tls}, tls: true}}
- {{id: tls-insecure, type: grpc, host: 127.0.0.1, port: {p_tls}, tls: true, insecure: true}}
- {{id: plain-to-tls, type: grpc, host: 127.0.0.1, port: {p_tls}, timeout: 2s}}
- {{id: nohealth, type: grpc, host: 127.0.0.1, port: {p_none}}}
- {{id: http1, type: grpc, host: 127.0.0.1, port: {p_http1}, timeout: 2s}}
- {{id: refused, type: grpc, host: 127.0.0.1, port: {dead}}}
""")
        rc, r, err = run_once(conf, [])
        res.check("exit status 1 when some check fails", rc == 1, (rc, err))

        def outcome(i, want, part=None):
            got = r.get(i, {})
            ok = got.get("outcome") == want and (
                part is None or part in (got.get("error") or ""))
            res.check(f"{i}: {want}" + (f" ({part})" if part else ""), ok,
                      got)
            return got

        g = outcome("up", "up")
        res.check("up: status_code is SERVING (1)",
                  g.get("status_code") == 1, g)
        outcome("up-svc", "up")
        outcome("up-v6", "up")
        outcome("draining", "down", "grpc: health NOT_SERVING (2)")
        outcome("odd", "down", "grpc: health UNKNOWN (0)")
        outcome("unknown", "down",
                "grpc: status NOT_FOUND (5): unknown service nope")
        g = outcome("tls", "up")
        res.check("tls: certificate expiry read",
                  bool(g.get("cert_not_after")), g)
        res.check("tls: TLS phase timed", (g.get("timing") or {}).get(
            "tls_ms", 0) > 0, g)
        outcome("tls-untrusted", "down", "tls: certificate verify failed")
        outcome("tls-insecure", "up")
        outcome("plain-to-tls", "down")
        outcome("nohealth", "down", "grpc: status UNIMPLEMENTED (12)")
        outcome("http1", "down")
        outcome("refused", "down", "connect: connection refused")

        # Bad values are refused by the config check, with positions.
        bad = write_conf(d, f"""
- {{id: b1, type: grpc, host: 127.0.0.1, port: 0}}
- {{id: b2, type: grpc, host: "127.0.0.1/x", port: 1, service: ok}}
- {{id: b3, type: grpc, host: 127.0.0.1, port: 1, insecure: true}}
- {{id: b4, type: grpc, host: 127.0.0.1, port: 1, tsl: true}}
""")
        col = os.path.join(BUILD, "bin", "pharos-collector")
        p = subprocess.run([col, "--check", "-c", bad], capture_output=True,
                           text=True)
        out = p.stdout + p.stderr
        res.check("config check fails on bad grpc values", p.returncode != 0,
                  out)
        end_to_end(res, d, p_plain)
        for part in ("pharos.yml:10:", "'port': 0 is out of range",
                     "check 'b2': host must be a name or an address",
                     "check 'b3': insecure and ca_file need tls: true",
                     "unknown key 'tsl'; did you mean 'tls'?"):
            res.check(f"config check says: {part}", part in out, out)
    finally:
        for p in procs:
            p.stdin.close()
            p.wait(timeout=10)
        if http1 is not None:
            http1.shutdown()
        shutil.rmtree(d, ignore_errors=True)
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
