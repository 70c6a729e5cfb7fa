#!/usr/bin/env python3
"""TCP, DNS and SMTP probes against real servers on loopback: a Python
TCP/TLS server, unbound (Debian) for DNS, and aiosmtpd (Debian) for SMTP
with and without STARTTLS and with implicit TLS, plus failure cases."""
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from peers import (TestCA, Unbound, free_port, free_udp_port,  # noqa: E402
                   system_python_with, wait_port)
from oncetest import Results, run_once, write_conf  # noqa: E402

SMTP_SERVER = r'''
import asyncio, ssl, sys
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP
port, mode, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(cert, key)
class H:
    async def handle_DATA(self, server, session, envelope):
        return "250 OK"
kw = {}
if mode == "starttls":
    kw = dict(tls_context=ctx, require_starttls=False)
elif mode == "implicit":
    kw = dict(ssl_context=ctx)
c = Controller(H(), hostname="127.0.0.1", port=port, **kw)
c.start()
print("ready", flush=True)
sys.stdin.read()
c.stop()
'''


def tcp_server(port, banner, tls_ctx=None):
    """Answers each connection with banner, echoing what it receives."""
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(16)

    def serve():
        while True:
            try:
                c, _ = srv.accept()
            except OSError:
                return
            try:
                if tls_ctx:
                    c = tls_ctx.wrap_socket(c, server_side=True)
                c.settimeout(2)
                c.sendall(banner)
                try:
                    data = c.recv(1024)
                    if data:
                        c.sendall(b"echo:" + data)
                except (OSError, ssl.SSLError):
                    pass
                c.close()
            except (OSError, ssl.SSLError):
                pass

    threading.Thread(target=serve, daemon=True).start()
    return srv


def start_smtp(py, d, mode, cert, key, port):
    script = os.path.join(d, "smtpd.py")
    with open(script, "w") as f:
        f.write(SMTP_SERVER)
    p = subprocess.Popen([py, script, str(port), mode, cert, key],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)
    p.stdout.readline()
    if not wait_port(port):
        p.kill()
        raise RuntimeError(f"SMTP server ({mode}) did not listen on {port}")
    return p


def bad_banner_server(port):
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(8)

    def serve():
        while True:
            try:
                c, _ = srv.accept()
            except OSError:
                return
            c.sendall(b"554 5.3.2 service not available\r\n")
            time.sleep(0.2)
            c.close()

    threading.Thread(target=serve, daemon=True).start()
    return srv


def main():
    d = tempfile.mkdtemp(prefix="pharos-net-")
    res = Results()
    procs, socks = [], []
    try:
        ca = TestCA(d)
        good = ca.server_cert("good", days=30)
        soon = ca.server_cert("soon", days=5)
        expired = ca.server_cert("expired", start="20200101000000Z",
                                 end="20200201000000Z")

        def ctx_for(pair):
            c = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            c.load_cert_chain(*pair)
            return c

        p_plain, p_tls, p_soon, p_exp = (free_port() for _ in range(4))
        socks += [tcp_server(p_plain, b"HELLO pharos\r\n"),
                  tcp_server(p_tls, b"HELLO tls\r\n", ctx_for(good)),
                  tcp_server(p_soon, b"HELLO soon\r\n", ctx_for(soon)),
                  tcp_server(p_exp, b"HELLO old\r\n", ctx_for(expired))]
        dead = free_port()
        silent = socket.socket()
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        socks.append(silent)
        p_silent = silent.getsockname()[1]

        checks = f"""
- {{id: tcp-up, type: tcp, host: 127.0.0.1, port: {p_plain}}}
- {{id: tcp-expect, type: tcp, host: 127.0.0.1, port: {p_plain}, expect: "HELLO pharos"}}
- {{id: tcp-send, type: tcp, host: 127.0.0.1, port: {p_plain}, send: "ping\\r\\n", expect: "echo:ping"}}
- {{id: tcp-wrong, type: tcp, host: 127.0.0.1, port: {p_plain}, expect: "SSH-2.0"}}
- {{id: tcp-refused, type: tcp, host: 127.0.0.1, port: {dead}}}
- {{id: tcp-timeout, type: tcp, host: 127.0.0.1, port: {p_silent}, expect: x, timeout: 500ms}}
- {{id: tls-ok, type: tcp, host: 127.0.0.1, port: {p_tls}, tls: true, ca_file: "{ca.ca}", expect: "HELLO tls"}}
- {{id: tls-untrusted, type: tcp, host: 127.0.0.1, port: {p_tls}, tls: true}}
- {{id: tls-insecure, type: tcp, host: 127.0.0.1, port: {p_tls}, tls: true, insecure: true}}
- {{id: tls-soon, type: tcp, host: 127.0.0.1, port: {p_soon}, tls: true, ca_file: "{ca.ca}", cert_expiry_days: 14}}
- {{id: tls-expired, type: tcp, host: 127.0.0.1, port: {p_exp}, tls: true, ca_file: "{ca.ca}"}}
"""
        dns_ok = shutil.which("unbound") is not None
        if dns_ok:
            dport = free_udp_port()
            ub = Unbound(d, dport, [
                "www.pharos.test. A 192.0.2.10",
                "www.pharos.test. A 192.0.2.11",
                "www.pharos.test. AAAA 2001:db8::10",
                "alias.pharos.test. CNAME www.pharos.test.",
                "pharos.test. MX 10 mail.pharos.test.",
                "pharos.test. TXT \"v=spf1 -all\"",
                "pharos.test. NS ns1.pharos.test.",
            ], extra='  local-zone: "refused.test." refuse\n'
                     '  local-zone: "broken.test." transparent\n'
                     '  forward-zone:\n    name: "broken.test."\n'
                     f'    forward-addr: 127.0.0.1@{free_udp_port()}\n')
            procs.append(ub)   # up: Unbound() waits for an answer
            srv = f"server: 127.0.0.1, port: {dport}, timeout: 2s"
            checks += f"""
- {{id: dns-a, type: dns, name: www.pharos.test, {srv}, expect_answers: [192.0.2.10, 192.0.2.11]}}
- {{id: dns-aaaa, type: dns, name: www.pharos.test, record_type: AAAA, {srv}, expect_answers: ["2001:db8:0::10"]}}
- {{id: dns-cname, type: dns, name: alias.pharos.test, record_type: CNAME, {srv}, expect_answers: [www.pharos.test.]}}
- {{id: dns-mx, type: dns, name: pharos.test, record_type: MX, {srv}, expect_answers: ["10 mail.pharos.test"]}}
- {{id: dns-txt, type: dns, name: pharos.test, record_type: TXT, {srv}, expect_answers: ["v=spf1 -all"]}}
- {{id: dns-ns, type: dns, name: pharos.test, record_type: NS, {srv}, expect_answers: [ns1.pharos.test]}}
- {{id: dns-wrong, type: dns, name: www.pharos.test, {srv}, expect_answers: [192.0.2.99]}}
- {{id: dns-nx, type: dns, name: nope.pharos.test, {srv}}}
- {{id: dns-nx-ok, type: dns, name: nope.pharos.test, {srv}, expect_rcode: NXDOMAIN}}
- {{id: dns-refused, type: dns, name: www.refused.test, {srv}}}
- {{id: dns-servfail, type: dns, name: www.broken.test, server: 127.0.0.1, port: {dport}, timeout: 4s}}
"""
        py = system_python_with("aiosmtpd")
        if py:
            s_plain, s_tls, s_imp, s_bad = (free_port() for _ in range(4))
            procs.append(start_smtp(py, d, "plain", *good, s_plain))
            procs.append(start_smtp(py, d, "starttls", *good, s_tls))
            procs.append(start_smtp(py, d, "implicit", *good, s_imp))
            socks.append(bad_banner_server(s_bad))
            checks += f"""
- {{id: smtp-plain, type: smtp, host: 127.0.0.1, port: {s_plain}, starttls: off}}
- {{id: smtp-optional, type: smtp, host: 127.0.0.1, port: {s_plain}}}
- {{id: smtp-required-missing, type: smtp, host: 127.0.0.1, port: {s_plain}, starttls: required}}
- {{id: smtp-starttls, type: smtp, host: 127.0.0.1, port: {s_tls}, starttls: required, ca_file: "{ca.ca}"}}
- {{id: smtp-starttls-untrusted, type: smtp, host: 127.0.0.1, port: {s_tls}, starttls: required}}
- {{id: smtp-implicit, type: smtp, host: 127.0.0.1, port: {s_imp}, implicit_tls: true, ca_file: "{ca.ca}"}}
- {{id: smtp-banner, type: smtp, host: 127.0.0.1, port: {s_bad}}}
- {{id: smtp-refused, type: smtp, host: 127.0.0.1, port: {dead}}}
"""
        for port in (p_plain, p_tls):
            res.check(f"peer on port {port} listens", wait_port(port))
        conf = write_conf(d, checks)
        rc, r, err = run_once(conf, [])
        res.check("exit status 1 when some check fails", rc == 1, (rc, err))

        def outcome(i, want, error_part=None):
            got = r.get(i, {})
            ok = got.get("outcome") == want and (
                error_part is None or error_part in (got.get("error") or ""))
            res.check(f"{i}: {want}" + (f" ({error_part})" if error_part else ""),
                      ok, got)
            return got

        outcome("tcp-up", "up")
        outcome("tcp-expect", "up")
        outcome("tcp-send", "up")
        outcome("tcp-wrong", "down", 'expected "SSH-2.0" not in reply')
        outcome("tcp-refused", "down", "connect: connection refused")
        outcome("tcp-timeout", "down", "timeout after 500 ms")
        t = outcome("tls-ok", "up")
        res.check("tcp tls: cert expiry and tls phase",
                  (t.get("cert_not_after") or "").startswith("20")
                  and t.get("timing", {}).get("tls_ms", 0) > 0, t)
        outcome("tls-untrusted", "down", "tls: certificate verify failed")
        outcome("tls-insecure", "up")
        outcome("tls-soon", "slow", "certificate expires in")
        e = outcome("tls-expired", "down", "tls: certificate verify failed")
        res.check("expired cert's date still reported",
                  (e.get("cert_not_after") or "").startswith("2020-02-01"), e)
        if dns_ok:
            a = outcome("dns-a", "up")
            res.check("dns rcode reported as status_code 0 (NOERROR)",
                      a.get("status_code") in (0, None), a)
            outcome("dns-aaaa", "up")
            outcome("dns-cname", "up")
            outcome("dns-mx", "up")
            outcome("dns-txt", "up")
            outcome("dns-ns", "up")
            outcome("dns-wrong", "down", "answer 192.0.2.99 missing")
            outcome("dns-nx", "down", "dns: rcode NXDOMAIN")
            outcome("dns-nx-ok", "up")
            outcome("dns-refused", "down", "dns: rcode REFUSED")
            outcome("dns-servfail", "down", "dns: rcode SERVFAIL")
        else:
            res.skip("DNS", "unbound is not installed")
        if py:
            outcome("smtp-plain", "up")
            outcome("smtp-optional", "up")
            outcome("smtp-required-missing", "down", "smtp: no STARTTLS offered")
            s = outcome("smtp-starttls", "up")
            res.check("smtp starttls: cert expiry reported",
                      (s.get("cert_not_after") or "").startswith("20"), s)
            outcome("smtp-starttls-untrusted", "down",
                    "tls: certificate verify failed")
            outcome("smtp-implicit", "up")
            outcome("smtp-banner", "down", "smtp: banner 554")
            outcome("smtp-refused", "down", "connect: connection refused")
        else:
            res.skip("SMTP", "python3-aiosmtpd is not installed")
    finally:
        for p in procs:
            if hasattr(p, "stop"):
                p.stop()
            else:
                try:
                    p.stdin.close()
                    p.wait(timeout=10)
                except Exception:
                    p.kill()
        for s in socks:
            s.close()
        shutil.rmtree(d, ignore_errors=True)
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
