#!/usr/bin/env python3
"""X-Forwarded-For trust through the shipped nginx site (issue #22 item
5): deploy/nginx/pharos.conf, unchanged but for ports, paths and a
throwaway certificate, run by a real nginx in front of a collector with
`server.trusted_proxies: ["127.0.0.1"]` and a sign-up burst of 2. Readers
are real TLS clients from distinct loopback addresses (127.0.0.2-4):

- each reader behind nginx has its own sign-up budget: the third sign-up
  from one address gets the collector's 429 (JSON, Retry-After), while
  another reader's first is accepted;
- a reader cannot buy a new budget with its own X-Forwarded-For: nginx
  replaces the header, so the forged one still gets 429;
- a client reaching the collector directly (not a trusted proxy) with an
  X-Forwarded-For is counted by its own address.
Skips (exit 77; a failure under CI=true) without nginx."""
import http.client
import json
import os
import re
import shutil
import ssl
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
sys.path.insert(0, os.path.dirname(__file__))
from pharos_harness import (SRC, Harness, free_port, skip,  # noqa: E402
                            wait_until)
from oncetest import Results  # noqa: E402
from test_deploy import nginx_main_conf  # noqa: E402


def main():
    if shutil.which("nginx") is None:
        skip("nginx not installed (scripts/install-deps.sh --test)")
    res = Results()
    h = Harness("nginx-proxy")
    d = h.dir
    try:
        aport, hport, sport = free_port(), free_port(), free_port()
        h.write_config(["r1"], "components:\n  - id: api\n    name: API\n",
                       extra_yaml="notify:\n  subscribe_burst: 2\n"
                       "  subscribe_every: 1h\n")
        with open(h.conf_path) as f:
            text = f.read()
        with open(h.conf_path, "w") as f:
            f.write(text.replace("server:\n", "server:\n"
                                 '  trusted_proxies: ["127.0.0.1"]\n'
                                 f'  agent_listen: "127.0.0.1:{aport}"\n', 1))
        h.start_collector()

        crt, key = os.path.join(d, "fullchain.pem"), os.path.join(d, "privkey.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                        "-keyout", key, "-out", crt, "-days", "1", "-subj",
                        "/CN=status.example.com"], check=True,
                       capture_output=True, timeout=60)
        with open(os.path.join(SRC, "deploy", "nginx", "pharos.conf")) as f:
            site = f.read()
        # Only what ties the site to a host: ports, paths, certificates.
        site = site.replace("/etc/letsencrypt/live/status.example.com/fullchain.pem", crt)
        site = site.replace("/etc/letsencrypt/live/status.example.com/privkey.pem", key)
        site = site.replace("server 127.0.0.1:8080;", f"server 127.0.0.1:{h.port};")
        site = site.replace("server 127.0.0.1:8081;", f"server 127.0.0.1:{aport};")
        site = site.replace("root /var/lib/pharos/public;",
                            f"root {os.path.join(d, 'public')};")
        site = re.sub(r"\n\s*listen \[::\]:\d+[^;]*;", "", site)
        site = site.replace("listen 80;", f"listen 127.0.0.1:{hport};")
        site = site.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{sport} ssl http2;")
        main_conf = nginx_main_conf(d, "site", site)
        p = subprocess.run(["nginx", "-t", "-p", d, "-c", main_conf],
                           capture_output=True, text=True, timeout=30)
        res.check("the shipped site passes nginx -t", p.returncode == 0, p.stderr)
        if p.returncode != 0:
            return res.finish()
        h.adopt("nginx", subprocess.Popen(
            ["nginx", "-p", d, "-c", main_conf, "-g", "daemon off; user root;"],
            stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(d, "nginx.log"), "w")),
            os.path.join(d, "nginx.log"))

        tls = ssl.create_default_context(cafile=crt)
        tls.check_hostname = False

        def sign_up(src, endpoint, xff=None):
            c = http.client.HTTPSConnection("127.0.0.1", sport, context=tls,
                                            source_address=(src, 0), timeout=10)
            try:
                hdrs = {"Host": "status.example.com",
                        "Content-Type": "application/json"}
                if xff:
                    hdrs["X-Forwarded-For"] = xff
                c.request("POST", "/api/v2/subscribers.json", json.dumps(
                    {"subscriber": {"endpoint": endpoint}}), hdrs)
                r = c.getresponse()
                body = r.read()
                try:
                    doc = json.loads(body)
                except ValueError:
                    doc = {"raw": body[:200].decode(errors="replace")}
                return r.status, doc, r.getheader("Retry-After")
            finally:
                c.close()

        def healthy():
            c = http.client.HTTPSConnection("127.0.0.1", sport, context=tls,
                                            timeout=5)
            try:
                c.request("GET", "/healthz", headers={"Host": "status.example.com"})
                return c.getresponse().status == 200
            except OSError:
                return False
            finally:
                c.close()
        res.check("nginx proxies to the collector over TLS", wait_until(healthy, 15))

        a, b = "127.0.0.2", "127.0.0.3"
        got = [sign_up(a, f"https://hooks.example.org/a{i}")[0] for i in range(2)]
        res.check("reader A's first two sign-ups through nginx are accepted",
                  got == [201, 201], got)
        code, doc, retry = sign_up(a, "https://hooks.example.org/a2")
        res.check("reader A's third is the collector's 429 (JSON, Retry-After)",
                  code == 429 and doc.get("error") == "rate_limited" and
                  retry is not None and int(retry) > 0, f"{code} {doc} {retry}")
        code, doc, _ = sign_up(b, "https://hooks.example.org/b0")
        res.check("reader B behind the same nginx has its own budget",
                  code == 201, f"{code} {doc}")
        code, doc, _ = sign_up(a, "https://hooks.example.org/a3",
                               xff="198.51.100.23")
        res.check("reader A forging X-Forwarded-For still gets 429 (nginx "
                  "replaces the header)", code == 429 and
                  doc.get("error") == "rate_limited", f"{code} {doc}")
        res.check("the collector refused exactly those two",
                  h.metric("pharos_subscribe_rate_limited_total") == 2,
                  h.metric("pharos_subscribe_rate_limited_total"))

        # Straight to the collector from a peer it does not trust: the
        # header names nobody, the peer's own address is counted.
        def direct(xff, n):
            c = http.client.HTTPConnection("127.0.0.1", h.port, timeout=10,
                                           source_address=("127.0.0.4", 0))
            try:
                c.request("POST", "/api/v2/subscribers.json", json.dumps(
                    {"subscriber": {"endpoint": f"https://hooks.example.org/c{n}"}}),
                    {"Content-Type": "application/json", "X-Forwarded-For": xff})
                r = c.getresponse()
                r.read()
                return r.status
            finally:
                c.close()
        got = [direct(f"203.0.113.{n}", n) for n in range(3)]
        res.check("without a trusted proxy X-Forwarded-For is ignored "
                  "(three addresses claimed, one budget)", got == [201, 201, 429], got)
        if not all(ok for _, ok in res.items):
            h.dump_logs()
    finally:
        h.stop_all()
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
