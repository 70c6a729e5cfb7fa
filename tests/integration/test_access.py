#!/usr/bin/env python3
"""Private pages (page.access): every document of a password page needs
the session cookie of the login form or an API key (without one: 401, the
page itself redirects to /login); a tampered or expired cookie is refused;
wrong passwords are slowed per client; token pages open with per-viewer
links made and revoked with pharosctl; internal components stay out of a
public page's documents; page.allow_ips; publish_dir refused at config
check and no files written."""
import hashlib
import hmac
import http.client
import json
import os
import sqlite3
import subprocess
import sys
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pharos_harness import Harness, http_call, wait_until  # noqa: E402
from oncetest import Results  # noqa: E402

PASSWORD = "correct horse battery"
ADMIN = "ph_admin_" + "a" * 30

DOCS = ["/api/v2/summary.json", "/api/v2/status.json",
        "/api/v2/components.json", "/api/v2/incidents.json",
        "/api/v2/scheduled-maintenances.json", "/api/v2/uptime.json",
        "/api/v2/regions.json", "/api/v2/page.json",
        "/api/v2/latency.json", "/history.atom",
        "/history.rss", "/badge/status.svg", "/badge/api.svg", "/app.js"]

COMPONENTS = """
components:
  - id: api
    name: API
  - id: db
    name: Database
    internal: true
"""


def page_yaml(access, url):
    return f"""page:
  id: itest
  name: "Private <b>&</b> test"
  url: "{url}"
{access}"""


def configure(h, access_yaml, publish_dir=False, url=None):
    h.write_config(["r1"], COMPONENTS,
                   extra_yaml="api_keys:\n  - {name: boot, scope: admin, "
                              "token_env: PH_ACCESS_ADMIN}\n",
                   agents_for=[])
    with open(h.conf_path) as f:
        text = f.read()
    if not publish_dir:
        text = text.replace("  publish_dir: public\n", "")
    start = text.index("page:\n")
    end = text.index("regions:\n")
    text = text[:start] + page_yaml(
        access_yaml, url or f"http://127.0.0.1:{h.port}") + text[end:]
    with open(h.conf_path, "w") as f:
        f.write(text)


def get(h, path, cookie=None, headers=None, source=None):
    """(status, headers, body) with no redirect following; source binds
    the client address (another client on loopback)."""
    hd = dict(headers or {})
    if cookie:
        hd["Cookie"] = cookie
    c = http.client.HTTPConnection("127.0.0.1", h.port, timeout=5,
                                   source_address=(source, 0) if source else None)
    try:
        c.request("GET", path, headers=hd)
        r = c.getresponse()
        return r.status, r.headers, r.read()
    finally:
        c.close()


def post_form(h, path, fields, source=None, cookie=None):
    body = urllib.parse.urlencode(fields)
    hd = {"Content-Type": "application/x-www-form-urlencoded"}
    if cookie:
        hd["Cookie"] = cookie
    c = http.client.HTTPConnection("127.0.0.1", h.port, timeout=5,
                                   source_address=(source, 0) if source else None)
    try:
        c.request("POST", path, body=body, headers=hd)
        r = c.getresponse()
        return r.status, r.headers, r.read()
    finally:
        c.close()


def session_of(headers):
    sc = headers.get("Set-Cookie") or ""
    return sc.split(";")[0], sc


def forge(h, exp, subject, password_sha=""):
    """A cookie signed with the collector's own key (read from its
    database) with the given expiry: how an old session looks."""
    db = sqlite3.connect(os.path.join(h.dir, "state", "pharos.db"))
    try:
        secret = db.execute("SELECT value FROM kv WHERE key = 'session_key'"
                            ).fetchone()[0]
    finally:
        db.close()
    key = hashlib.sha256(secret.encode()).digest()
    msg = f"pharos-session-1|itest|{password_sha}|{exp}|{subject}".encode()
    sig = hmac.new(key, msg, hashlib.sha256).hexdigest()
    return f"pharos_session={exp}.{sig}.{subject}"


def ctl(h, *args):
    env = dict(os.environ, PHAROS_URL=h.url(""), PHAROS_KEY=ADMIN)
    p = subprocess.run([h.bin("pharosctl"), *args], capture_output=True,
                       text=True, timeout=30, env=env)
    return p.returncode, p.stdout, p.stderr


def password_page(res):
    h = Harness("access-pw")
    try:
        # publish_dir with a private page: refused at config check.
        configure(h, "  access: password\n  password_env: PH_ACCESS_PW\n",
                  publish_dir=True)
        p = subprocess.run([h.bin("pharos-collector"), "--check", "-c",
                            h.conf_path], capture_output=True, text=True,
                           timeout=30)
        res.check("publish_dir with access: password is refused at --check "
                  "(file:line:col)", p.returncode != 0 and
                  "pharos.yml:4:" in p.stderr + p.stdout and
                  "publish_dir cannot be used" in p.stderr + p.stdout,
                  (p.returncode, p.stderr))
        configure(h, "  access: password\n")
        p = subprocess.run([h.bin("pharos-collector"), "--check", "-c",
                            h.conf_path], capture_output=True, text=True,
                           timeout=30)
        res.check("access: password without a password is refused",
                  p.returncode != 0 and "password_file" in p.stderr + p.stdout,
                  p.stderr)

        configure(h, "  access: password\n  password_env: PH_ACCESS_PW\n")
        h.start_collector()

        for path in DOCS:
            code, hd, body = get(h, path)
            res.check(f"no credentials: {path} is 401", code == 401 and
                      hd.get("Access-Control-Allow-Origin") is None,
                      (code, body[:120]))
        code, hd, _ = get(h, "/")
        res.check("no credentials: the page redirects to the login form",
                  code == 303 and hd.get("Location") == "/login?next=/",
                  (code, hd.get("Location")))
        code, _, body = http_call("POST", h.url("/api/v2/subscribers.json"),
                                  body={"email": "a@example.org"})
        res.check("no credentials: sign-up is 401", code == 401, code)
        code, hd, body = get(h, "/login")
        res.check("the login form escapes the page name",
                  code == 200 and b"Private &lt;b&gt;&amp;&lt;/b&gt; test" in body
                  and b"<b>&</b>" not in body and b'type="password"' in body,
                  body[:300])

        # Wrong passwords: a few are free, then the client must wait; the
        # right password is refused while it waits; another client is not
        # slowed.
        codes = []
        retry = None
        for _ in range(12):
            code, hd, _ = post_form(h, "/login", {"password": "wrong guess 1"})
            codes.append(code)
            if code == 429:
                retry = hd.get("Retry-After")
                break
        res.check("wrong passwords: 401 until the client is slowed (429 + "
                  "Retry-After)", codes[:5] == [401] * 5 and codes[-1] == 429
                  and retry is not None and int(retry) >= 1, (codes, retry))
        code, hd, _ = post_form(h, "/login", {"password": PASSWORD})
        res.check("while slowed, even the right password waits (429)",
                  code == 429, code)
        code, hd, _ = post_form(h, "/login",
                                {"password": PASSWORD, "next": "/index.html"},
                                source="127.0.0.2")
        cookie, raw = session_of(hd)
        res.check("another client signs in: 303 to next with the session "
                  "cookie (HttpOnly, SameSite, Max-Age, no Secure on http)",
                  code == 303 and hd.get("Location") == "/index.html" and
                  cookie.startswith("pharos_session=") and "HttpOnly" in raw
                  and "SameSite=Lax" in raw and "Max-Age=" in raw and
                  "Secure" not in raw, (code, raw))
        code, hd, _ = post_form(h, "/login",
                                {"password": PASSWORD, "next": "//evil.example"},
                                source="127.0.0.3")
        res.check("next is kept local", code == 303 and
                  hd.get("Location") == "/", hd.get("Location"))

        ok = True
        for path in DOCS + ["/"]:
            code, hd, body = get(h, path, cookie=cookie)
            if code != 200 or hd.get("Access-Control-Allow-Origin") is not None \
                    or "private" not in (hd.get("Cache-Control") or ""):
                ok = False
                res.check(f"with the cookie: {path}", False,
                          (code, dict(hd), body[:100]))
        res.check("with the cookie every document is 200, private, no CORS *",
                  ok)
        code, _, body = get(h, "/api/v2/summary.json", cookie=cookie)
        ids = [c["id"] for c in json.loads(body)["components"]]
        res.check("signed-in viewers see internal components", "db" in ids,
                  ids)

        exp, rest = cookie.split("=", 1)[1].split(".", 1)
        sig, subject = rest.split(".", 1)
        tampered = [
            f"pharos_session={int(exp) + 86400}.{sig}.{subject}",
            f"pharos_session={exp}.{sig[:-1]}{'0' if sig[-1] != '0' else '1'}"
            f".{subject}",
            f"pharos_session={exp}.{sig}.v:someone",
            "pharos_session=garbage",
        ]
        for t in tampered:
            code, _, _ = get(h, "/api/v2/summary.json", cookie=t)
            res.check(f"tampered cookie refused: {t[:40]}...", code == 401, code)
        pw_sha = hashlib.sha256(PASSWORD.encode()).hexdigest()
        good = forge(h, int(exp), "p", pw_sha)
        res.check("the forged-with-the-key cookie equals the real one "
                  "(the test signs like the collector)", good == cookie,
                  (good, cookie))
        expired = forge(h, 1000, "p", pw_sha)
        code, _, _ = get(h, "/api/v2/summary.json", cookie=expired)
        res.check("an expired cookie is refused (401)", code == 401, code)
        code, hd, _ = get(h, "/", cookie=expired)
        res.check("an expired cookie on the page: back to the login form",
                  code == 303 and hd.get("Location", "").startswith("/login"),
                  code)

        code, _, body = get(h, "/api/v2/summary.json",
                            headers={"Authorization": "OAuth " + ADMIN})
        res.check("an API key reads the documents", code == 200, code)
        code, _, _ = get(h, "/api/v2/summary.json",
                         headers={"Authorization": "OAuth ph_wrong_key_xxxxxxxxxx"})
        res.check("an unknown API key is 401", code == 401, code)
        code, hd, _ = post_form(h, "/logout", {}, cookie=cookie)
        res.check("logout clears the cookie", code == 303 and
                  "Max-Age=0" in (hd.get("Set-Cookie") or ""), dict(hd))
        res.check("nothing is written into a publish_dir",
                  not os.path.exists(os.path.join(h.dir, "state", "public")),
                  os.listdir(os.path.join(h.dir, "state")))
    finally:
        h.stop_all()


def token_page(res):
    h = Harness("access-token")
    try:
        # page.url on https (a TLS proxy in front): the cookie is Secure
        # and viewer links use that address.
        configure(h, "  access: token\n", url="https://status.example.test/")
        h.start_collector()
        rc, out, err = ctl(h, "--json", "viewer", "add", "alice")
        made = json.loads(out) if rc == 0 else {}
        link = made.get("link", "")
        token = made.get("token", "")
        res.check("viewer add prints a link once (on page.url)", rc == 0 and
                  link == "https://status.example.test/?viewer=" + token and
                  token.startswith("ph_"), (rc, out, err))
        rc, out, err = ctl(h, "viewer", "add", "bob")
        bob = out.strip().splitlines()[-1] if rc == 0 else ""
        res.check("viewer add, text output", rc == 0 and "?viewer=ph_" in bob,
                  (rc, out, err))
        rc, out, err = ctl(h, "viewer", "add", "bad name!")
        res.check("a viewer with a bad name is refused (422)",
                  rc == 1 and "422" in err, (rc, out, err))
        rc, out, err = ctl(h, "viewer", "list")
        res.check("viewer list names viewers, never tokens", rc == 0 and
                  "alice" in out and "bob" in out and "ph_" not in out, out)
        db = open(os.path.join(h.dir, "state", "pharos.db"), "rb").read()
        wal = os.path.join(h.dir, "state", "pharos.db-wal")
        if os.path.exists(wal):
            db += open(wal, "rb").read()
        res.check("only viewer token hashes are stored",
                  token.encode() not in db and
                  hashlib.sha256(token.encode()).hexdigest().encode() in db)

        code, _, _ = get(h, "/api/v2/summary.json")
        res.check("token page: no credentials is 401", code == 401, code)
        code, hd, _ = get(h, "/?viewer=" + token)
        cookie, raw = session_of(hd)
        res.check("the viewer link sets the session and drops the token "
                  "from the address", code == 303 and hd.get("Location") == "/"
                  and "HttpOnly" in raw, (code, dict(hd)))
        res.check("with page.url on https the cookie is Secure",
                  "; Secure" in raw, raw)
        code, _, body = get(h, "/api/v2/summary.json", cookie=cookie)
        res.check("the viewer's cookie reads the feed", code == 200, code)
        code, _, _ = get(h, "/history.atom?viewer=" + token)
        res.check("a feed reader uses ?viewer= directly", code == 200, code)
        code, _, _ = get(h, "/history.atom?viewer=ph_not_a_viewer_token_at_all")
        res.check("an unknown viewer token is 401", code == 401, code)
        code, _, _ = post_form(h, "/login", {"password": "anything at all"})
        res.check("a token page takes no password", code == 403, code)

        rc, out, err = ctl(h, "viewer", "revoke", "alice")
        res.check("viewer revoke", rc == 0 and "revoked" in out, (rc, out, err))
        code, _, _ = get(h, "/api/v2/summary.json", cookie=cookie)
        res.check("a revoked viewer's session is refused at once", code == 401,
                  code)
        code, hd, _ = get(h, "/?viewer=" + token)
        res.check("a revoked viewer's link leads to the login page",
                  code == 303 and hd.get("Location", "").startswith("/login"),
                  (code, hd.get("Location")))
        code, _, _ = get(h, "/history.atom?viewer=" + token)
        res.check("a revoked viewer token on a feed is 401", code == 401, code)
        rc, out, err = ctl(h, "viewer", "revoke", "alice")
        res.check("revoking twice is 404", rc == 1 and "404" in err, err)

        h.stop("collector")
        h.start_collector()
        bob_token = bob.split("viewer=")[1]
        code, _, _ = get(h, "/api/v2/summary.json?viewer=" + bob_token)
        res.check("viewers survive a restart", code == 200, code)
        code, _, _ = get(h, "/api/v2/summary.json?viewer=" + token)
        res.check("revocation survives a restart", code == 401, code)
    finally:
        h.stop_all()


def public_page(res):
    h = Harness("access-public")
    try:
        configure(h, "", publish_dir=True)
        h.start_collector()
        code, hd, body = get(h, "/api/v2/summary.json")
        doc = json.loads(body)
        ids = [c["id"] for c in doc["components"]]
        res.check("public page: the feed is open with CORS *", code == 200 and
                  hd.get("Access-Control-Allow-Origin") == "*", dict(hd))
        res.check("internal components are absent from the public feed",
                  ids == ["api"], ids)
        for path in ["/api/v2/components.json", "/api/v2/uptime.json"]:
            _, _, body = get(h, path)
            res.check(f"internal component absent from {path}",
                      b'"db"' not in body and b"Database" not in body, body[:200])
        code, _, _ = get(h, "/badge/db.svg")
        res.check("an internal component has no public badge", code == 404, code)
        pub = os.path.join(h.dir, "public", "api", "v2", "summary.json")
        res.check("nor in publish_dir", wait_until(lambda: os.path.exists(pub), 10)
                  and b"Database" not in open(pub, "rb").read())
        code, _, body = get(h, "/v1/pages/itest/components",
                            headers={"Authorization": "OAuth " + ADMIN})
        res.check("the v1 API (a key) lists internal components",
                  code == 200 and "db" in [c["id"] for c in json.loads(body)],
                  body[:200])
        h.stop("collector")

        # An allowlist that leaves loopback out: readers get 403, keys pass.
        configure(h, '  allow_ips: ["10.0.0.0/8", "2001:db8::/32"]\n',
                  publish_dir=True)
        h.start_collector()
        code, _, _ = get(h, "/api/v2/summary.json")
        res.check("allow_ips: a reader outside the networks gets 403",
                  code == 403, code)
        code, _, _ = get(h, "/")
        res.check("allow_ips: the page too", code == 403, code)
        code, _, _ = get(h, "/api/v2/summary.json",
                         headers={"Authorization": "OAuth " + ADMIN})
        res.check("allow_ips: an API key still reads", code == 200, code)
        h.stop("collector")
        configure(h, '  allow_ips: ["127.0.0.1"]\n', publish_dir=True)
        h.start_collector()
        code, _, _ = get(h, "/api/v2/summary.json")
        res.check("allow_ips: a reader inside reads", code == 200, code)
        code, _, _ = get(h, "/api/v2/summary.json", source="127.0.0.2")
        res.check("allow_ips: a single address, not its neighbour",
                  code == 403, code)
    finally:
        h.stop_all()


def reload_to_private(res):
    """A public page made private by a reload (SIGHUP): the documents need
    the credential at once and publish_dir is no longer written."""
    import signal
    h = Harness("access-reload")
    try:
        configure(h, "")   # public, default publish_dir (state/public)
        h.start_collector()
        pub = os.path.join(h.dir, "state", "public", "api", "v2",
                           "summary.json")
        res.check("public: publish_dir written",
                  wait_until(lambda: os.path.exists(pub), 10))
        configure(h, "  access: password\n  password_env: PH_ACCESS_PW\n")
        h.procs["collector"].send_signal(signal.SIGHUP)
        res.check("after the reload the feed needs a credential",
                  wait_until(lambda: get(h, "/api/v2/summary.json")[0] == 401,
                             10))
        auth = {"Authorization": "OAuth " + ADMIN}

        def publishes():
            code, _, body = get(h, "/metrics", headers=auth)
            for ln in body.decode().splitlines() if code == 200 else []:
                if ln.startswith("pharos_publishes_total "):
                    return int(float(ln.split()[1]))
            return -1
        # A render after the reload: whatever was written before it (a
        # render of the public page may end just after the reload) is
        # there by now, and nothing is written from here on.
        n0 = publishes()
        wait_until(lambda: publishes() > n0, 15)
        before = open(pub, "rb").read()
        code, _, _ = http_call("PATCH", h.url("/v1/pages/itest/components/api"),
                               headers=auth,
                               body={"component": {"status": "major_outage"}})
        _, _, body = get(h, "/api/v2/summary.json", headers=auth)
        res.check("the collector serves the change (with a key)",
                  code == 200 and b"major_outage" in body, code)
        n1 = publishes()
        res.check("renders go on after the change",
                  wait_until(lambda: publishes() >= n1 + 2, 20),
                  (n1, publishes()))
        res.check("and publish_dir is not written any more (nor does it "
                  "show the internal component)",
                  open(pub, "rb").read() == before and b"Database" not in before)
    finally:
        h.stop_all()


def main():
    os.environ["PH_ACCESS_ADMIN"] = ADMIN
    os.environ["PH_ACCESS_PW"] = PASSWORD
    res = Results()
    password_page(res)
    token_page(res)
    public_page(res)
    reload_to_private(res)
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
