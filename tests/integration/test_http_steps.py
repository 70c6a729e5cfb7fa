#!/usr/bin/env python3
"""Multi-step HTTP checks and JSON assertions (issue #16 items 1 and 2),
against real servers on loopback started here: nginx for static JSON and
headers, a Python http.server for a login -> token -> authorised call
flow. `pharos-agent once` runs the checks; `pharos-collector --check`
judges bad configs (file:line:col); a collector and an agent with debug
logs then run a flow with secrets from the environment and a file, and
every byte they wrote or serve is searched for the secrets."""
import glob
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from peers import Nginx, free_port, wait_port  # noqa: E402
from oncetest import Results, agent_bin, run_once, write_conf  # noqa: E402
from pharos_harness import (Harness, http_get, skip, wait_for,  # noqa: E402
                            wait_until)

PW = "pw-" + secrets.token_hex(8)        # the env secret
KEY = "key-" + secrets.token_hex(8)      # the file secret
TOKENS = set()                           # tokens handed out by /login
RELEASE = threading.Event()              # ends /slow early at teardown


class App(BaseHTTPRequestHandler):
    """POST /login {"password"} -> {"token", "echo"}; GET /me with
    Authorization: Bearer <token> and X-Api-Key: <file secret>; GET /slow
    answers after 2 s (or at teardown)."""

    def log_message(self, *a):
        pass

    def reply(self, code, obj, headers=()):
        out = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        try:
            self.wfile.write(out)
        except BrokenPipeError:
            pass    # /slow: the probe gave up first, as it should

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        try:
            body = json.loads(self.rfile.read(n) or b"{}")
        except ValueError:
            body = {}
        if self.path != "/login" or body.get("password") != PW:
            self.reply(401, {"error": "bad credentials"})
            return
        tok = "tok-" + secrets.token_hex(6)
        TOKENS.add(tok)
        # The password echoed back: a result that shows it must mask it.
        self.reply(200, {"token": tok, "expires_in": 300, "echo": PW},
                   [("Set-Cookie", "sid=s3ss10n; Path=/; HttpOnly")])

    def do_GET(self):
        if self.path == "/slow":
            RELEASE.wait(2)
            self.reply(200, {"slow": True})
            return
        auth = self.headers.get("Authorization", "")
        if (self.path.startswith("/me") and auth[7:] in TOKENS
                and self.headers.get("X-Api-Key") == KEY):
            self.reply(200, {"user": "probe", "plan": "pro",
                             "token_seen": auth[7:], "q": self.path[3:]})
            return
        self.reply(403, {"error": "forbidden"})


def nginx_site(port):
    status = json.dumps({"status": "ok", "version": "2.5.1", "count": 3,
                         "ratio": 0.25, "items": ["a", "b", "c"],
                         "user": {"id": 42, "roles": ["admin", "ops"]},
                         "maintenance": False, "next": "/item/42",
                         "none": None})
    return f"""listen 127.0.0.1:{port};
        location = /status.json {{ default_type application/json;
            add_header X-Version 2.5.1; add_header Cache-Control "max-age=60";
            return 200 '{status}'; }}
        location = /item/42 {{ default_type application/json;
            return 200 '{{"id":42,"name":"answer"}}'; }}
        location = /echo {{ default_type application/json;
            return 200 '{{"t":"$arg_t"}}'; }}
        location = /html {{ return 200 "<p>token=xyz789</p>"; }}
    """


def once_checks(ng, app, keyfile):
    """The checks `pharos-agent once` runs, as pharos.yml text."""
    ops_ok = [
        '{json: $.status, op: "==", value: ok}',
        '{json: $.status, value: ok}',
        '{json: $.count, op: "!=", value: 4}',
        '{json: $.count, op: "<", value: 4}',
        '{json: $.count, op: "<=", value: 3}',
        '{json: $.ratio, op: ">", value: 0.2}',
        '{json: $.user.id, op: ">=", value: 42}',
        '{json: $.items, op: contains, value: b}',
        '{json: $.version, op: contains, value: "2.5"}',
        '{json: $.user, op: contains, value: roles}',
        '{json: $.none, op: exists}',
        '{json: "$.user.roles[-1]"}',
        '{json: $.items, op: length, value: 3}',
        '{json: $.maintenance, value: "false"}',
        '{json: "$[\'user\'].roles[0]", value: admin}',
        '{header: X-Version, value: 2.5.1}',
        '{header: Content-Type, op: contains, value: json}',
        '{header: Cache-Control, op: exists}',
    ]
    text = f"""
- id: flow-ok
  type: http
  url: "{app}/"
  secrets:
    - {{name: pw, env: PH_STEPS_PW}}
    - {{name: key, file: "{keyfile}"}}
  steps:
    - name: login
      method: POST
      url: "{app}/login"
      headers: {{Content-Type: application/json}}
      body: '{{"user": "probe", "password": "{{{{pw}}}}"}}'
      expect_status: [200]
      extract:
        - {{var: token, json: $.token, secret: true}}
        - {{var: sid, header: Set-Cookie, regex: "sid=([a-z0-9]+)"}}
      assert:
        - {{json: $.expires_in, op: ">", value: 60}}
    - name: me
      url: "{app}/me?sid={{{{sid}}}}"
      headers: {{Authorization: "Bearer {{{{token}}}}", X-Api-Key: "{{{{key}}}}"}}
      assert:
        - {{json: $.user, value: probe}}
        - {{json: $.q, value: "?sid=s3ss10n"}}
    - name: status
      url: "{ng}/status.json"
      extract:
        - {{var: next, json: $.next}}
    - name: item
      url: "{ng}{{{{next}}}}"
      assert:
        - {{json: $.id, value: 42}}
- id: flow-missing
  type: http
  url: "{ng}/status.json"
  steps:
    - {{name: ping}}
    - name: login
      method: POST
      url: "{ng}/item/42"
      assert:
        - {{json: $.token}}
- id: ops-ok
  type: http
  url: "{ng}/status.json"
  steps:
    - name: all
      assert:
"""
    text += "".join(f"        - {a}\n" for a in ops_ok)
    text += f"""
- id: step-timeout
  type: http
  url: "{ng}/status.json"
  timeout: 5s
  steps:
    - {{name: quick}}
    - {{name: slow, url: "{app}/slow", timeout: 300ms}}
- id: step-latency
  type: http
  url: "{app}/slow"
  timeout: 5s
  steps:
    - {{name: slow, max_latency: 100ms}}
- id: check-timeout
  type: http
  url: "{app}/slow"
  timeout: 1s
  steps:
    - {{name: quick, url: "{ng}/status.json"}}
    - {{name: slow}}
- id: steps-degraded
  type: http
  url: "{app}/slow"
  timeout: 5s
  degraded_over: 200ms
  steps:
    - {{name: quick, url: "{ng}/status.json"}}
    - {{name: slow}}
- id: mask-secret
  type: http
  url: "{app}/login"
  secrets:
    - {{name: pw, env: PH_STEPS_PW}}
  steps:
    - name: login
      body: '{{"password": "{{{{pw}}}}"}}'
      assert:
        - {{json: $.echo, value: nope}}
- id: mask-token
  type: http
  url: "{app}/login"
  secrets:
    - {{name: pw, env: PH_STEPS_PW}}
    - {{name: key, file: "{keyfile}"}}
  steps:
    - name: login
      body: '{{"password": "{{{{pw}}}}"}}'
      extract:
        - {{var: token, json: $.token, secret: true}}
    - name: me
      url: "{app}/me"
      headers: {{Authorization: "Bearer {{{{token}}}}", X-Api-Key: "{{{{key}}}}"}}
      assert:
        - {{json: $.token_seen, value: nope}}
- id: secret-unset
  type: http
  url: "{app}/login"
  secrets:
    - {{name: pw, env: PH_STEPS_UNSET}}
  steps:
    - {{body: '{{{{pw}}}}'}}
- id: secret-nofile
  type: http
  url: "{app}/login"
  secrets:
    - {{name: pw, file: /nonexistent/pharos-secret}}
  steps:
    - {{body: '{{{{pw}}}}'}}
- id: regex-extract
  type: http
  url: "{ng}/html"
  steps:
    - extract:
        - {{var: tok, regex: "token=([a-z0-9]+)"}}
    - url: "{ng}/echo?t={{{{tok}}}}"
      assert:
        - {{json: $.t, value: xyz789}}
- id: wrong-status
  type: http
  url: "{app}/me"
  steps:
    - {{name: me, expect_status: [200]}}
- id: body-regex
  type: http
  url: "{ng}/html"
  steps:
    - {{name: page, body_regex: "^<div"}}
- id: plain-ok
  type: http
  url: "{ng}/status.json"
  assert:
    - {{json: $.count, op: ">=", value: 3}}
    - {{json: "$.items[0]", value: a}}
    - {{header: X-Version, value: 2.5.1}}
- id: plain-fail
  type: http
  url: "{ng}/status.json"
  assert:
    - {{json: $.status, value: ok}}
    - {{json: $.items, op: length, value: 4}}
- id: plain-not-json
  type: http
  url: "{ng}/html"
  assert:
    - {{json: $.a, op: exists}}
"""
    return text


# (assertion, the failure text after 'step 1 "one": ')
OPS_FAIL = [
    ('{json: $.status, op: "==", value: down}',
     '$.status: "ok", expected == "down"'),
    ('{json: $.count, op: "!=", value: 3}', '$.count: 3, expected != "3"'),
    ('{json: $.count, op: "<", value: 3}', "$.count: 3, expected < 3"),
    ('{json: $.count, op: "<=", value: 2}', "$.count: 3, expected <= 2"),
    ('{json: $.ratio, op: ">", value: 0.5}', "$.ratio: 0.25, expected > 0.5"),
    ('{json: $.user.id, op: ">=", value: 43}',
     "$.user.id: 42, expected >= 43"),
    ('{json: $.items, op: contains, value: z}',
     '$.items: ["a","b","c"] does not contain "z"'),
    ('{json: $.gone, op: exists}', "$.gone: missing"),
    ('{json: $.items, op: length, value: 2}', "$.items: length 3, expected 2"),
    ('{json: $.status, op: ">", value: 1}', '$.status: "ok" is not a number'),
    ('{header: X-Version, value: "3.0"}',
     'header X-Version: "2.5.1", expected == "3.0"'),
    ('{header: X-Missing, op: exists}', "header X-Missing: missing"),
]


def once_part(res, d, ng, app):
    keyfile = os.path.join(d, "api.key")
    with open(keyfile, "w") as f:
        f.write(KEY + "\n")
    text = once_checks(ng, app, keyfile)
    for i, (a, _) in enumerate(OPS_FAIL):
        text += (f"- id: fail-{i}\n  type: http\n  url: \"{ng}/status.json\"\n"
                 f"  steps:\n    - name: one\n      assert:\n        - {a}\n")
    conf = write_conf(d, text)
    collector = os.path.join(os.path.dirname(agent_bin()), "pharos-collector")
    p1 = subprocess.run([collector, "-nv", "-c", conf], capture_output=True,
                        text=True, timeout=30)
    printed = os.path.join(d, "printed.yml")
    with open(printed, "w") as f:
        f.write(p1.stdout)
    p2 = subprocess.run([collector, "-nv", "-c", printed],
                        capture_output=True, text=True, timeout=30)
    res.check("-nv prints steps, assert and secrets, and the printed config "
              "reads back the same",
              p1.returncode == 0 and p2.returncode == 0
              and p1.stdout == p2.stdout and "        steps:\n" in p1.stdout
              and 'op: ">="' in p1.stdout and "secrets:" in p1.stdout,
              (p1.stderr, p2.stderr))
    env = dict(os.environ, PH_STEPS_PW=PW)
    env.pop("PH_STEPS_UNSET", None)
    cmd = [agent_bin(), "once", "-c", conf, "--json"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                       env=env)
    r = {}
    for line in p.stdout.splitlines():
        o = json.loads(line)
        r[o["id"]] = o
    res.check("once ran every check", len(r) == 17 + len(OPS_FAIL),
              (len(r), p.stderr[-2000:]))
    outputs = [p.stdout, p.stderr]

    def outcome(i, want, error=None, exact=False):
        got = r.get(i, {})
        e = got.get("error") or ""
        ok = got.get("outcome") == want and (
            error is None or (e == error if exact else error in e))
        res.check(f"{i}: {want}" + (f" ({error})" if error else ""), ok, got)
        return got

    f = outcome("flow-ok", "up")
    steps = f.get("steps", [])
    res.check("flow-ok: once shows each of the 4 steps with its timing",
              [s.get("name") for s in steps] == ["login", "me", "status",
                                                 "item"]
              and all(s["timing"]["total_ms"] > 0 and s["status_code"] == 200
                      and s["error"] is None for s in steps), steps)
    res.check("flow-ok: the check's latency covers its steps",
              f.get("latency_ms", -1) >= sum(int(s["latency_ms"])
                                             for s in steps) - 1, f)
    outcome("flow-missing", "down", 'step 2 "login": $.token: missing',
            exact=True)
    outcome("ops-ok", "up")
    for i, (_, why) in enumerate(OPS_FAIL):
        outcome(f"fail-{i}", "down", f'step 1 "one": {why}', exact=True)
    st = outcome("step-timeout", "down", 'step 2 "slow": timeout after 300 ms',
                 exact=True)
    res.check("step-timeout: the first step passed, the second is the one "
              "that timed out",
              [s.get("error") is None for s in st.get("steps", [])]
              == [True, False], st)
    ct = outcome("check-timeout", "down", 'step 2 "slow": timeout after ')
    res.check("check-timeout: a step without its own timeout gets what is "
              "left of the check's (under 1000 ms after the first step)",
              0 < int(ct.get("error", "x after 0 ms").split("after ")[1]
                      .split(" ")[0]) <= 1000, ct)
    outcome("steps-degraded", "slow", "slow:")
    outcome("step-latency", "down", 'step 1 "slow": latency ')
    outcome("step-latency", "down", "expected <= 100 ms")
    outcome("mask-secret", "down",
            'step 1 "login": $.echo: "***", expected == "nope"', exact=True)
    outcome("mask-token", "down",
            'step 2 "me": $.token_seen: "***", expected == "nope"',
            exact=True)
    outcome("secret-unset", "down",
            "secret 'pw': environment variable PH_STEPS_UNSET is not set",
            exact=True)
    outcome("secret-nofile", "down",
            "secret 'pw': cannot read /nonexistent/pharos-secret")
    outcome("regex-extract", "up")
    outcome("wrong-status", "down", 'step 1 "me": status 403 not in [200]',
            exact=True)
    outcome("body-regex", "down", 'step 1 "page": body does not match /^<div/',
            exact=True)
    outcome("plain-ok", "up")
    outcome("plain-fail", "down", "http: $.items: length 3, expected 4",
            exact=True)
    outcome("plain-not-json", "down", "http: body is not JSON")
    res.check("a plain check has no steps in once's output",
              "steps" not in r.get("plain-ok", {"steps": 1}), r.get("plain-ok"))

    # The text form shows each step's timing under the check.
    p2 = subprocess.run([agent_bin(), "once", "-c", conf, "--check",
                         "flow-ok", "--check", "flow-missing"],
                        capture_output=True, text=True, timeout=60, env=env)
    outputs += [p2.stdout, p2.stderr]
    lines = p2.stdout.splitlines()
    step_lines = [ln for ln in lines if ln.lstrip().startswith("step ")]
    res.check("text output: one line per step with its phases",
              len(step_lines) == 6 and all("total" in ln and "ms" in ln
                                           for ln in step_lines),
              p2.stdout)
    res.check("text output: the failing step's error under it",
              any("error: $.token: missing" in ln for ln in lines), p2.stdout)
    leaked = [o for o in outputs if PW in o or KEY in o
              or any(t in o for t in TOKENS)]
    res.check("once: no secret or secret token in any output", not leaked,
              [o[:300] for o in leaked])
    res.check("once: the flow really used the secrets (a token was issued)",
              len(TOKENS) > 0, TOKENS)


def config_errors(res, d):
    """Each bad key or value named at its file:line:col."""
    bad = os.path.join(d, "bad.yml")
    many = "".join(f"          - {{name: s{i}}}\n" for i in range(11))
    text = ("page: {id: t, name: T}\n"                     # 1
            "regions: [{id: r1}]\n"                        # 2
            "components:\n"                                # 3
            "  - id: c1\n"                                 # 4
            "    name: C1\n"                               # 5
            "    checks:\n"                                # 6
            "      - id: a\n"                              # 7
            "        type: http\n"                         # 8
            "        url: http://127.0.0.1:1/\n"           # 9
            "        steps:\n"                             # 10
            "          - name: one\n"                      # 11
            "            urll: http://x/\n"                # 12
            "            assert:\n"                        # 13
            "              - {json: $.a, op: '~=', value: 1}\n"   # 14
            "              - {json: '$.a..b'}\n"           # 15
            "          - headers: {A: '{{tok}}'}\n"        # 16
            "      - id: b\n"                              # 17
            "        type: http\n"                         # 18
            "        url: http://127.0.0.1:1/\n"           # 19
            "        steps:\n"                             # 20
            + many)                                        # 21..31
    with open(bad, "w") as f:
        f.write(text)
    p = subprocess.run([os.path.join(os.path.dirname(agent_bin()),
                                     "pharos-collector"), "--check", "-c",
                        bad], capture_output=True, text=True, timeout=30)
    want = [
        f"{bad}:12:13: unknown key 'urll'; did you mean 'url'?",
        f"{bad}:14:33: 'op' must be ==, !=, <, <=, >, >=, contains, exists "
        "or length, not '~='",
        f"{bad}:15:24: bad JSONPath '$.a..b': at character 5: expected a "
        "name after '.'",
        f"{bad}:16:26: check 'a': step 2: undefined variable 'tok'",
        f"{bad}:31:13: at most 10 steps",
    ]
    res.check("bad config: --check fails", p.returncode != 0, p.returncode)
    for w in want:
        res.check(f"config error: {w.split(': ', 1)[1][:60]}",
                  any(ln.startswith(w) for ln in p.stderr.splitlines()),
                  p.stderr)


def collector_part(res, ng, app):
    """A collector and an agent, both logging at debug, run flows with
    secrets; nothing they write or serve holds a secret."""
    h = Harness("http_steps")
    keyfile = os.path.join(h.dir, "api.key")
    with open(keyfile, "w") as f:
        f.write(KEY + "\n")
    try:
        h.write_config(["r1"], f"""
components:
  - id: api
    name: API
    checks:
      - id: flow
        type: http
        url: "{app}/"
        interval: 1s
        timeout: 900ms
        secrets:
          - {{name: pw, env: PH_STEPS_PW}}
          - {{name: key, file: "{keyfile}"}}
        steps:
          - name: login
            url: "{app}/login"
            body: '{{"password": "{{{{pw}}}}"}}'
            extract:
              - {{var: token, json: $.token, secret: true}}
          - name: me
            url: "{app}/me"
            headers: {{Authorization: "Bearer {{{{token}}}}", X-Api-Key: "{{{{key}}}}"}}
            assert:
              - {{json: $.user, value: probe}}
  - id: web
    name: Web
    checks:
      - id: leaky
        type: http
        url: "{app}/login"
        interval: 1s
        timeout: 900ms
        secrets:
          - {{name: pw, env: PH_STEPS_PW}}
        steps:
          - name: login
            body: '{{"password": "{{{{pw}}}}"}}'
            extract:
              - {{var: token, json: $.token, secret: true}}
            assert:
              - {{json: $.echo, value: nope}}
          - name: me
            url: "{app}/me"
            headers: {{Authorization: "Bearer {{{{token}}}}"}}
""")
        h._start("collector", [h.bin("pharos-collector"), "-c", h.conf_path,
                               "-d"])
        wait_for(lambda: http_get(h.url("/healthz"))[0] == 200, 15,
                 "the collector")
        conf = os.path.join(h.dir, "agent-r1.yml")
        with open(conf, "w") as f:
            f.write(f'collector: "http://127.0.0.1:{h.port}"\n'
                    "token_file: secrets/r1.token\n"
                    "batch_delay: 100ms\nplan_refresh: 2s\nheartbeat: 2s\n"
                    "state_dir: agent-state\n")   # its spool is searched too
        h._start("agent-r1", [h.bin("pharos-agent"), "run", "-c", conf, "-d"],
                 dict(os.environ, PH_STEPS_PW=PW))

        def region(check_id):
            doc = json.loads(http_get(h.url("/api/v2/regions.json"))[1])
            for c in doc["checks"]:
                if c["id"] == check_id:
                    return c["regions"][0]
            return {}

        res.check("collector: the flow with secrets is up",
                  wait_until(lambda: region("flow").get("last_result") == "up",
                             30), region("flow"))
        res.check("collector: the failing step arrives named, secret masked",
                  wait_until(lambda: region("leaky").get("error") ==
                             'step 1 "login": $.echo: "***", expected == "nope"',
                             30), region("leaky"))
        # A changed assertion reaches the agent in a new plan: the step
        # that failed passes after a reload.
        with open(h.conf_path) as f:
            conf_text = f.read()
        with open(h.conf_path, "w") as f:
            f.write(conf_text.replace("{json: $.echo, value: nope}",
                                      "{json: $.expires_in, value: 300}"))
        h.procs["collector"].send_signal(signal.SIGHUP)
        # Step 1 now passes, so step 2 (without the API key) is the one
        # that fails.
        res.check("collector: a changed step assertion is applied by the "
                  "agent after a reload",
                  wait_until(lambda: region("leaky").get("error") ==
                             'step 2 "me": status 403 not in [200-399]',
                             30), region("leaky"))
        with open(h.conf_path, "w") as f:
            f.write(conf_text)
        h.procs["collector"].send_signal(signal.SIGHUP)
        res.check("collector: and back (the masked failure again)",
                  wait_until(lambda: region("leaky").get("error") ==
                             'step 1 "login": $.echo: "***", expected == "nope"',
                             30), region("leaky"))
        wait_for(lambda: http_get(h.url("/api/v2/summary.json"))[0] == 200
                 and "major_outage" in http_get(
                     h.url("/api/v2/summary.json"))[1].decode(), 30,
                 "the failing component on the page")
        served = []
        for path in ["/", "/index.html", "/api/v2/summary.json",
                     "/api/v2/status.json", "/api/v2/components.json",
                     "/api/v2/regions.json", "/api/v2/uptime.json",
                     "/api/v2/incidents.json", "/history.atom",
                     "/history.rss", "/metrics"]:
            code, body = http_get(h.url(path), ok_codes=None)
            served.append((path, body))
        h.stop("agent-r1")
        h.stop("collector")
        written = []
        for path in glob.glob(os.path.join(h.dir, "**"), recursive=True):
            if os.path.isfile(path) and path != keyfile:
                with open(path, "rb") as f:
                    written.append((path, f.read()))
        res.check("collector: the page and feed were read",
                  all(len(b) > 0 for _, b in served), [p for p, _ in served])
        res.check("collector and agent wrote logs, a database and the feed",
                  any(p.endswith(".log") for p, _ in written)
                  and any("state" in p for p, _ in written)
                  and any("public" in p for p, _ in written)
                  and any("agent-state" in p for p, _ in written),
                  [p for p, _ in written])
        needles = [PW.encode(), KEY.encode()] + [t.encode() for t in TOKENS]
        leaks = [p for p, b in served + written
                 if any(n in b for n in needles)]
        res.check("no secret or secret token in results, logs, database, "
                  "feed or page", not leaks, leaks)
    finally:
        h.stop_all()


def main():
    if shutil.which("nginx") is None:
        skip("nginx missing (scripts/install-deps.sh)")
    d = tempfile.mkdtemp(prefix="pharos-steps-")
    res = Results()
    ng_port, app_port = free_port(), free_port()
    ng = Nginx(d, [nginx_site(ng_port)])
    app = ThreadingHTTPServer(("127.0.0.1", app_port), App)
    app.daemon_threads = True
    threading.Thread(target=app.serve_forever, daemon=True).start()
    try:
        if not wait_port(ng_port):
            raise RuntimeError("nginx not listening")
        ng_url = f"http://127.0.0.1:{ng_port}"
        app_url = f"http://127.0.0.1:{app_port}"
        once_part(res, d, ng_url, app_url)
        config_errors(res, d)
        collector_part(res, ng_url, app_url)
    finally:
        RELEASE.set()
        ng.stop()
        app.shutdown()
        shutil.rmtree(d, ignore_errors=True)
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
