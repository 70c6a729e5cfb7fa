#!/usr/bin/env python3
"""Email through a relay that demands STARTTLS and AUTH (aiosmtpd with a
certificate from a test CA): with the CA and the right password the
message is delivered over TLS after logging in; with a wrong password it
is not delivered and the failure shows in /metrics, and with
`starttls: required` against a relay that offers no STARTTLS nothing is
sent in the clear."""
import json
import os
import ssl
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pharos_harness import Harness, free_port, http_get, wait_until  # noqa: E402
from oncetest import Results  # noqa: E402
from peers import TestCA  # noqa: E402

try:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult
except ImportError:  # pragma: no cover
    sys.path.insert(0, "/usr/lib/python3/dist-packages")
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult


class Sink:
    def __init__(self):
        self.lock = threading.Lock()
        self.got = []        # (rcpts, tls, authenticated)
        self.logins = []

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.got.append((list(envelope.rcpt_tos),
                             session.ssl is not None,
                             bool(session.authenticated)))
        return "250 OK"

    def rcpts(self):
        with self.lock:
            return [r for rs, _, _ in self.got for r in rs]


def authenticator(sink):
    def auth(server, session, envelope, mechanism, auth_data):
        ok = (auth_data.login == b"pharos" and auth_data.password == b"s3cret")
        with sink.lock:
            sink.logins.append((auth_data.login, ok, session.ssl is not None))
        return AuthResult(success=ok)
    return auth


def run_case(res, name, password, tls_relay, expect_delivery):
    d = tempfile.mkdtemp(prefix="pharos-smtptls-")
    ca = TestCA(d)
    crt, key = ca.server_cert("smtp")
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(crt, key)
    sink = Sink()
    port = free_port()
    kw = dict(hostname="127.0.0.1", port=port, authenticator=authenticator(sink),
              auth_require_tls=True)
    if tls_relay:
        kw.update(tls_context=ctx, require_starttls=True)
    smtp = Controller(sink, **kw)
    smtp.start()
    h = Harness("smtp-tls")
    key_tok = "ph_write_" + "t" * 30
    os.environ["PH_SMTPTLS_KEY"] = key_tok
    os.environ["PH_SMTP_PASSWORD"] = password
    try:
        h.write_config(["r1"], """
components:
  - id: api
    name: API
""", extra_yaml="api_keys:\n  - {name: ci, scope: write, token_env: PH_SMTPTLS_KEY}\n"
                 "notify:\n  coalesce: 200ms\n  retry_base: 300ms\n  smtp:\n"
                 f"    url: smtp://127.0.0.1:{port}\n    starttls: required\n"
                 "    username: pharos\n    password_env: PH_SMTP_PASSWORD\n"
                 f"    ca_file: {ca.ca}\n"
                 '    from: "Status <status@example.org>"\n', agents_for=[])
        h.start_collector()
        base = h.url("/v1/pages/itest")
        hd = {"Authorization": "OAuth " + key_tok}
        code, out = http_get(base + "/subscribers", "POST", data=json.dumps(
            {"subscriber": {"email": "ops@example.org",
                            "skip_confirmation_notification": True}}).encode(),
            headers=hd, ok_codes=None)
        code, out = http_get(base + "/incidents", "POST", data=json.dumps(
            {"incident": {"name": "TLS relay check", "status": "investigating",
                          "body": "x"}}).encode(), headers=hd, ok_codes=None)
        if expect_delivery:
            ok = wait_until(lambda: "ops@example.org" in sink.rcpts(), 20)
            res.check(f"{name}: delivered", ok, sink.got)
            res.check(f"{name}: over TLS after logging in",
                      ok and all(tls and auth for _, tls, auth in sink.got)
                      and any(login == b"pharos" and good and tls
                              for login, good, tls in sink.logins), (sink.got, sink.logins))
        else:
            def failed():
                m = http_get(h.url("/metrics"))[1].decode()
                return any(line.startswith('pharos_notifications_total{channel="email",result="failed"}')
                           and float(line.split()[-1]) >= 1 for line in m.splitlines())
            ok = wait_until(failed, 20)
            res.check(f"{name}: the failure is counted for a retry", ok)
            res.check(f"{name}: nothing was delivered", sink.rcpts() == [], sink.got)
            if not tls_relay:
                res.check(f"{name}: no password went out in the clear",
                          sink.logins == [], sink.logins)
    except Exception:
        h.dump_logs()
        raise
    finally:
        h.stop_all()
        smtp.stop()


def main():
    res = Results()
    run_case(res, "STARTTLS + AUTH", "s3cret", True, True)
    run_case(res, "wrong password", "nope", True, False)
    run_case(res, "relay without STARTTLS, starttls required", "s3cret", False, False)
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
