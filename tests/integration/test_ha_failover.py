#!/usr/bin/env python3
"""The whole high-availability scenario of issue #14 (item 7), against a
real PostgreSQL 15 (lib/pgserver.py, password authentication) and a real
nginx (Debian), both started here on loopback.

Three collectors share one PostgreSQL store (`store: postgresql://...`,
`ha:` with a 3 s lease; each reaches the database through its own
lib/tcpproxy.py, so one collector's link can be cut). Three agents (one
per region) list all three collectors. nginx runs the shipped HA site
(deploy/docker/nginx.ha.conf, unchanged but for addresses and the cache
path) with all three collectors as upstreams. A webhook subscriber (a
receiver here that can be told to fail) and an email subscriber
(aiosmtpd) are signed up through nginx. Asserted:

- kill -9 of the leader while results flow: a new leader within
  lease + 2 s (its "is the leader" log line against the kill), and no
  acknowledged result lost (per agent: stored rows in PostgreSQL >= the
  results the agent counts as acked, read from its SIGUSR1 status line
  before the count; no (seq, idx) stored twice);
- an outage: the target is switched to failing and the leader killed at
  once; the next leader detects it and nginx shows it (summary.json);
  its webhook deliveries fail (503) and that leader is killed too; the
  third sends them: exactly one automatic incident in the feed, every
  event delivered, and never two webhook-ids for one event (duplicates
  with one id are allowed: at-least-once), the same for the emails'
  Message-ID; then the recovery, its events likewise;
- PostgreSQL stopped (pg_ctl stop -m fast) for 30 s while agents
  report: nginx answers the page and summary.json at every sample,
  the agents spool, the collectors reconnect by themselves (one leader
  again, results stored again), and nothing acknowledged is lost;
- the leader loses the database but not its clients (its proxy frozen):
  it says follower before its lease can end, and only then another
  leads;
- over the whole run the leadership intervals in the collectors' logs
  never overlap; at the end (agents stopped cleanly) stored >= acked.

Heavy (tests/CMakeLists.txt): runs once, not under sanitizers.
"""
import email
import email.policy
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
sys.path.insert(0, os.path.dirname(__file__))
from pharos_harness import (SRC, Harness, Results, free_port,  # noqa: E402
                            http_call, serve_switchable, skip, wait_for,
                            wait_until)
from pgserver import PG_BIN, PgServer, available  # noqa: E402
from tcpproxy import TcpProxy  # noqa: E402
from test_deploy import nginx_main_conf  # noqa: E402
from test_ha_lease import lead_intervals, log_ms  # noqa: E402

try:
    from aiosmtpd.controller import Controller
except ImportError:  # pragma: no cover
    sys.path.insert(0, "/usr/lib/python3/dist-packages")
    try:
        from aiosmtpd.controller import Controller
    except ImportError:
        Controller = None

LEASE_S = 3
NODES = ("c1", "c2", "c3")
REGIONS = ("r1", "r2", "r3")
KEY = "ph_admin_" + "f" * 32
PG_DOWN_S = 30
LOAD_CHECKS = 8


def components(port):
    lines = ["defaults:", "  interval: 1s", "  timeout: 500ms",
             "  fail_after: 2", "  recover_after: 2",
             "components:", "  - id: api", "    name: API", "    checks:",
             f'      - {{id: api-http, type: http, url: '
             f'"http://127.0.0.1:{port}/"}}',
             "  - id: load", "    name: Load", "    checks:"]
    for i in range(LOAD_CHECKS):
        lines.append(f"      - {{id: load-{i}, type: tcp, host: 127.0.0.1, "
                     f"port: {port}}}")
    return "\n".join(lines) + "\n"


class Receiver:
    """A webhook endpoint recording every POST as (status answered,
    webhook-id, parsed body); answers 503 while `failing`."""

    def __init__(self):
        self.lock = threading.Lock()
        self.got = []
        self.failing = False
        rec = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = self.rfile.read(
                    int(self.headers.get("Content-Length", 0)))
                code = 503 if rec.failing else 200
                try:
                    doc = json.loads(body)
                except ValueError:
                    doc = {}
                with rec.lock:
                    rec.got.append((code, self.headers.get("webhook-id"),
                                    doc))
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.srv.daemon_threads = True
        self.port = self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def all(self):
        with self.lock:
            return list(self.got)

    def close(self):
        self.srv.shutdown()


class MailSink:
    def __init__(self):
        self.lock = threading.Lock()
        self.msgs = []

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content,
                                       policy=email.policy.default)
        with self.lock:
            self.msgs.append(msg)
        return "250 OK"

    def all(self):
        with self.lock:
            return list(self.msgs)


def event_of(doc):
    """The event a webhook body is about: ("incident", id, update id) or
    ("component", id, old status, new status)."""
    if "incident" in doc:
        inc = doc["incident"]
        ups = inc.get("incident_updates") or [{}]
        return ("incident", inc.get("id"), ups[0].get("id"),
                ups[0].get("status"))
    if "component_update" in doc:
        cu = doc["component_update"]
        return ("component", cu.get("component_id"), cu.get("old_status"),
                cu.get("new_status"))
    return ("other", json.dumps(doc)[:80])


def health(h):
    try:
        code, _, body = http_call("GET", h.url("/healthz"), timeout=2)
    except OSError:
        return {}
    out = {"code": code}
    for line in body.decode(errors="replace").splitlines()[1:]:
        k, _, v = line.partition(": ")
        out[k] = v
    return out


def role(h):
    return health(h).get("role")


def leaders(hs):
    return [n for n, h in hs.items() if "collector" in h.procs and
            role(h) == "leader"]


def main():
    if not available():
        skip(f"PostgreSQL 15 server binaries not found in {PG_BIN} "
             "(scripts/install-deps.sh --test installs postgresql-15)")
    if shutil.which("nginx") is None:
        skip("nginx not installed (scripts/install-deps.sh --test)")
    if Controller is None:
        skip("python3-aiosmtpd not installed (scripts/install-deps.sh "
             "--test)")
    res = Results()
    pg = PgServer()
    h0 = Harness("ha-failover")          # agents, nginx, shared files
    hs = {n: Harness(f"ha-failover-{n}") for n in NODES}
    proxies = {}
    deaths = {}
    rec = Receiver()
    sink = MailSink()
    smtp_port = free_port()
    smtp = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    tport = free_port()
    target, tstate = serve_switchable(tport)
    env = dict(os.environ, PH_HA_ADMIN_KEY=KEY)
    env.pop("PGPASSWORD", None)
    aports = {}
    try:
        pg.start()
        # ---- three collectors on one store ----
        first = None
        for n, h in hs.items():
            proxies[n] = TcpProxy(pg.port).start()
            aports[n] = free_port()
            with open(os.path.join(h.dir, "pg.pw"), "w") as f:
                f.write(pg.password + "\n")
            if first is not None:
                h.tokens = dict(first.tokens)
            h.write_config(list(REGIONS), components(tport), extra_yaml=(
                f'store: "postgresql://pharos@127.0.0.1:{proxies[n].port}/'
                f'{pg.dbname}?sslmode=disable&connect_timeout=2"\n'
                "store_password_file: pg.pw\n"
                f"ha:\n  lease: {LEASE_S}s\n  node_id: {n}\n"
                "incidents:\n  auto: publish\n  resolve_after: 2s\n"
                "notify:\n  allow_private_targets: true\n  coalesce: 0s\n"
                "  retry_base: 300ms\n  retry_max: 1s\n  timeout: 5s\n"
                # The webhook is made to fail for a while on purpose.
                "  quarantine_after: 100000\n"
                "  smtp:\n"
                f"    url: smtp://127.0.0.1:{smtp_port}\n"
                "    starttls: off\n"
                '    from: "Pharos Status <status@example.org>"\n'
                "api_keys:\n"
                "  - {name: ops, scope: admin, token_env: PH_HA_ADMIN_KEY}\n"))
            first = first or h
        for n, h in hs.items():
            with open(h.conf_path) as f:
                text = f.read()
            with open(h.conf_path, "w") as f:
                f.write(text.replace("server:\n", (
                    "server:\n"
                    f'  agent_listen: "127.0.0.1:{aports[n]}"\n'
                    '  trusted_proxies: ["127.0.0.1"]\n'), 1))
        for h in hs.values():
            h.start_collector(env=env)
        wait_for(lambda: len(leaders(hs)) == 1 and
                 sorted(role(h) for h in hs.values()) ==
                 ["follower", "follower", "leader"], 30,
                 "one leader and two followers")

        # ---- nginx: the shipped HA site, all three as upstreams ----
        nport = free_port()
        with open(os.path.join(SRC, "deploy", "docker",
                               "nginx.ha.conf")) as f:
            site = f.read()
        for port, up in ((8080, "listen"), (8081, "agents")):
            ports = [hs[n].port if up == "listen" else aports[n]
                     for n in NODES]
            lines = re.findall(rf"^\s*server collector-a:{port}.*$", site,
                               re.M)
            if len(lines) != 1:
                raise RuntimeError(f"nginx.ha.conf: no collector-a:{port}")
            many = "\n".join(lines[0].replace(f"collector-a:{port}",
                                              f"127.0.0.1:{p}")
                             for p in ports)
            site = site.replace(lines[0], many)
            site = re.sub(rf"^\s*server collector-b:{port}.*\n", "", site,
                          flags=re.M)
        site = site.replace("listen [::]:80;", "")
        site = site.replace("listen 80;", f"listen 127.0.0.1:{nport};")
        site = site.replace("/var/lib/nginx/pharos-cache",
                            os.path.join(h0.dir, "cache"))
        main_conf = nginx_main_conf(h0.dir, "ha-site", site)
        p = subprocess.run(["nginx", "-t", "-p", h0.dir, "-c", main_conf],
                           capture_output=True, text=True, timeout=30)
        if not res.check("nginx.ha.conf with three upstreams passes "
                         "nginx -t", p.returncode == 0, p.stderr):
            return res.finish()
        nlog = os.path.join(h0.dir, "nginx.log")
        h0.adopt("nginx", subprocess.Popen(
            ["nginx", "-p", h0.dir, "-c", main_conf, "-g",
             "daemon off; user root;"], stdout=subprocess.DEVNULL,
            stderr=open(nlog, "w")), nlog)
        nbase = f"http://127.0.0.1:{nport}"

        def via_nginx(path, method="GET", body=None, headers=None):
            return http_call(method, nbase + path, headers=headers,
                             body=body, timeout=10)

        def summary():
            code, _, body = via_nginx("/api/v2/summary.json")
            if code != 200:
                return None
            return json.loads(body)

        def comp_status(cid):
            doc = summary()
            for c in (doc or {}).get("components", []):
                if c["id"] == cid:
                    return c["status"]
            return None

        # ---- three agents, each listing all three collectors ----
        os.makedirs(os.path.join(h0.dir, "secrets"), exist_ok=True)
        urls = "".join(f'  - "http://127.0.0.1:{aports[n]}"\n'
                       for n in NODES)
        for i, r in enumerate(REGIONS):
            with open(os.path.join(h0.dir, "secrets", f"{r}.token"),
                      "w") as f:
                f.write(first.tokens[r] + "\n")
            conf = os.path.join(h0.dir, f"agent-{r}.yml")
            # Each prefers a different collector, so all three ingest.
            order = urls.splitlines(True)
            order = "".join(order[i:] + order[:i])
            with open(conf, "w") as f:
                f.write(f"collector:\n{order}"
                        "collector_retry: 3s\n"
                        f"token_file: secrets/{r}.token\n"
                        f"state_dir: {os.path.join(h0.dir, 'spool-' + r)}\n"
                        "batch_delay: 100ms\nplan_refresh: 2s\n"
                        "heartbeat: 2s\n")
            h0._start(f"agent-{r}", [h0.bin("pharos-agent"), "run", "-c",
                                     conf])

        def stored():
            """{agent: (rows, distinct (seq, idx))} in PostgreSQL."""
            out = {}
            rows = pg.psql("SELECT agent_id, count(*), count(DISTINCT "
                           "(seq, idx)) FROM results GROUP BY agent_id",
                           db=pg.dbname)
            for line in rows.splitlines():
                a, c, d = line.split("|")
                out[a] = (int(c), int(d))
            return out

        def total():
            return sum(c for c, _ in stored().values())

        def status_line(r):
            """(acked, queued, dropped, failed requests) from a fresh
            SIGUSR1 status line of agent-<r>."""
            key = f"agent-{r}"

            def lines():
                with open(h0.logs[key], errors="replace") as f:
                    return re.findall(
                        r"agent: status: .*?(\d+) results sent, (\d+) "
                        r"queued, (\d+) dropped, (\d+) failed", f.read())
            n = len(lines())
            h0.procs[key].send_signal(signal.SIGUSR1)
            wait_for(lambda: len(lines()) > n, 10, f"{key} status line")
            return tuple(int(x) for x in lines()[-1])

        def nothing_lost(label):
            acked = {r: status_line(r) for r in REGIONS}
            got = stored()
            bad = []
            for r in REGIONS:
                a, _, dropped, _ = acked[r]
                s, d = got.get(f"agent-{r}", (0, 0))
                if s < a or s != d or dropped != 0:
                    bad.append((r, "acked", a, "stored", s, "distinct", d,
                                "dropped", dropped))
            res.check(f"{label}: 0 acknowledged results lost (stored >= "
                      "acked per agent, none twice, none dropped)",
                      not bad and all(a[0] > 0 for a in acked.values()),
                      bad or acked)
            print(f"{label}: acked {[acked[r][0] for r in REGIONS]}, "
                  f"stored "
                  f"{[got.get(f'agent-{r}', (0, 0))[0] for r in REGIONS]}",
                  flush=True)

        wait_for(lambda: comp_status("api") == "operational" and
                 comp_status("load") == "operational", 60,
                 "api and load operational through nginx")
        res.check("nginx serves the page from the collectors",
                  via_nginx("/")[0] == 200)

        # ---- subscribers, through nginx ----
        def post(path, doc, headers):
            """POST through nginx, again while the answer is 503 (a
            follower that does not know the leader yet says retry; nginx
            never resends a POST)."""
            got = []

            def once():
                got[:] = [via_nginx(path, "POST", doc, headers)]
                return got[0][0] != 503
            wait_until(once, 20, 0.5)
            return got[0]
        code, _, body = post("/api/v2/subscribers.json", {
            "subscriber": {"endpoint":
                           f"http://127.0.0.1:{rec.port}/hook"}},
            {"Content-Type": "application/json"})
        res.check("webhook sign-up through nginx", code == 201, body[:300])
        code, _, body = post("/v1/pages/itest/subscribers", {
            "subscriber": {"email": "ops@example.org",
                           "skip_confirmation_notification": True}},
            {"Content-Type": "application/json",
             "Authorization": "OAuth " + KEY})
        res.check("email subscriber (active at once) through nginx",
                  code in (200, 201), body[:300])

        # ---- kill -9 of the leader during ingest ----
        wait_for(lambda: all(stored().get(f"agent-{r}", (0, 0))[0] > 30
                             for r in REGIONS), 60,
                 "every agent's results stored")
        def kill_leader(label, after_kill=None):
            """kill -9 of the leader; checks that another leads within
            lease + 2 s of the kill (by its "is the leader" log line);
            returns the killed node."""
            lead = leaders(hs)[0]
            t_kill = time.time()
            deaths[hs[lead].logs["collector"]] = int(t_kill * 1000)
            hs[lead].kill("collector")
            if after_kill:
                after_kill()
            others = {n: h for n, h in hs.items() if n != lead}
            wait_for(lambda: len(leaders(others)) == 1, LEASE_S + 20,
                     f"a new leader after kill -9 {label}")
            new = leaders(others)[0]
            took = lead_taken_after(hs[new], t_kill)
            print(f"kill -9 {label}: {new} leads {took} s after the kill of "
                  f"{lead} (lease {LEASE_S} s)", flush=True)
            res.check(f"kill -9 {label}: a new leader within lease + 2 s",
                      took is not None and took <= LEASE_S + 2, took)
            return lead

        before = total()
        lead = kill_leader("during ingest")
        res.check("ingest goes on after the kill",
                  wait_until(lambda: total() > before + 60, 30),
                  (before, total()))
        hs[lead].start_collector(env=env)
        wait_for(lambda: role(hs[lead]) == "follower", 20,
                 f"{lead} back as a follower")
        nothing_lost("after kill -9 during ingest")

        # ---- kill -9 of the leader as an outage starts ----
        rec.failing = True
        t_out = time.time()
        tstate["ok"] = False
        lead = kill_leader("as the outage starts")
        res.check("outage: detected after the failover and shown through "
                  "nginx (summary.json: api major_outage)",
                  wait_until(lambda: comp_status("api") == "major_outage",
                             30), comp_status("api"))
        shown = time.time() - t_out

        def direct_status(h):
            code, _, body = http_call("GET", h.url("/api/v2/summary.json"),
                                      timeout=5)
            return {c["id"]: c["status"] for c in
                    json.loads(body)["components"]}.get("api")
        live = {n: h for n, h in hs.items() if "collector" in h.procs}
        res.check("outage: every live collector serves it (the leader's "
                  "documents)", wait_until(lambda: all(
                      direct_status(h) == "major_outage"
                      for h in live.values()), 20),
                  {n: direct_status(h) for n, h in live.items()})
        det = first_log_after(hs, r"status api: operational -> \S*outage",
                              t_out)
        print(f"outage: the next leader derived it {rnd(det)} s and nginx "
              f"showed it {shown:.1f} s after the target failed (kill -9 "
              "at once; nginx keeps the feed up to its max-age, 10 s)",
              flush=True)
        hs[lead].start_collector(env=env)

        def incidents():
            code, _, body = via_nginx("/api/v2/incidents.json")
            return json.loads(body)["incidents"] if code == 200 else None
        wait_for(lambda: len(incidents() or []) >= 1, 20,
                 "the automatic incident in the feed")
        # The new leader tries its deliveries; they fail (503).
        wait_for(lambda: any(c == 503 and event_of(d)[0] == "incident"
                             for c, _, d in rec.all()), 20,
                 "a failed delivery of the incident")
        # The receiver accepts again once that leader is dead: what it
        # held is sent by the next one.
        lead = kill_leader("with deliveries pending",
                           lambda: setattr(rec, "failing", False))
        hs[lead].start_collector(env=env)

        def delivered(kind, *want):
            """A 200 for an event of kind whose tuple ends with want."""
            return any(c == 200 and event_of(d)[0] == kind and
                       (not want or event_of(d)[-len(want):] == want)
                       for c, _, d in rec.all())
        res.check("the next leader delivers the held messages: the "
                  "incident and the component's outage",
                  wait_until(lambda: delivered("incident") and
                             delivered("component", "operational",
                                       "major_outage"), 30),
                  [(c, w, event_of(d)) for c, w, d in rec.all()])
        incs = incidents() or []
        res.check("exactly one automatic incident in the feed (through "
                  "nginx)", len(incs) == 1 and incs[0]["status"] !=
                  "resolved", [(i["id"], i["name"], i["status"])
                               for i in incs])

        # ---- recovery ----
        tstate["ok"] = True
        res.check("recovery shown through nginx and the incident resolves",
                  wait_until(lambda: comp_status("api") == "operational" and
                             [i["status"] for i in incidents() or []] ==
                             ["resolved"], 40),
                  (comp_status("api"), incidents()))
        lead = leaders(hs)[0]
        wait_for(lambda: delivered("incident", "resolved") and
                 delivered("component", "operational") and
                 hs[lead].outbox_drained(), 30,
                 "the recovery's messages delivered")
        incs = incidents() or []
        res.check("still exactly one incident after the recovery",
                  len(incs) == 1, [(i["id"], i["name"]) for i in incs])
        got = rec.all()
        ids_per_event = {}
        for c, w, d in got:
            ids_per_event.setdefault(event_of(d), set()).add(w)
        res.check("webhook: never two webhook-ids for one event "
                  "(retries after the failover carry the first one)",
                  all(len(w) == 1 for w in ids_per_event.values()),
                  ids_per_event)
        ok_events = {event_of(d) for c, _, d in got if c == 200}
        inc_ids = {e[1] for e in ids_per_event if e[0] == "incident"}
        # Recovery may pass through partial_outage (regions recover one
        # by one); the outage itself starts once.
        comp_events = [e for e in ok_events if e[0] == "component"]
        res.check("webhook: every event delivered; one incident, the "
                  "component's outage started once",
                  len(inc_ids) == 1 and all(
                      e in ok_events for e in ids_per_event) and
                  [e for e in comp_events if e[2] == "operational"] ==
                  [("component", "api", "operational", "major_outage")],
                  (inc_ids, sorted(ids_per_event), comp_events))
        res.check("webhook: a delivery failed before the failover and "
                  "was retried after it with the same webhook-id",
                  any(c == 503 and any(c2 == 200 and w2 == w for c2, w2, _
                                       in got) for c, w, _ in got),
                  [(c, w) for c, w, _ in got])
        print(f"webhook deliveries: {len(got)} "
              f"({sum(c == 503 for c, _, _ in got)} refused), "
              f"{len(ids_per_event)} events", flush=True)
        # Email has no event key: each incident event delivered to the
        # webhook is one email, so a new Message-ID for an event already
        # mailed would show as more ids than events (a repeat with the
        # same id is allowed: SMTP cannot dedupe).
        inc_events = {e for e in ids_per_event if e[0] == "incident"}
        mails = [m for m in sink.all() if "ops@example.org" in str(m["To"])]
        mids = {str(m["Message-ID"]) for m in mails}
        res.check("email: one message per incident event (a repeat "
                  "carries the same Message-ID)",
                  len(inc_events) >= 3 and len(mids) == len(inc_events),
                  (sorted(inc_events), [(str(m["Subject"]),
                                         str(m["Message-ID"]))
                                        for m in mails]))

        # ---- PostgreSQL stopped for 30 s under load ----
        before = total()
        served = {"ok": 0, "bad": []}
        stop_poll = threading.Event()

        def poll_page():
            while not stop_poll.is_set():
                for path in ("/", "/api/v2/summary.json"):
                    try:
                        code, _, body = via_nginx(path)
                        if path.endswith(".json"):
                            json.loads(body)
                        if code == 200:
                            served["ok"] += 1
                        else:
                            served["bad"].append((path, code))
                    except (OSError, ValueError) as e:
                        served["bad"].append((path, repr(e)))
                time.sleep(0.3)
        poller = threading.Thread(target=poll_page, daemon=True)
        poller.start()
        t_stop = time.time()
        pg.stop_server()
        # Ingest needs the database: agents keep their results.
        spooled = wait_until(lambda: all(status_line(r)[1] > 30
                                         for r in REGIONS), PG_DOWN_S - 5,
                             1.0)
        res.check("PostgreSQL down: every agent spools its results",
                  spooled, {r: status_line(r) for r in REGIONS})
        res.check("PostgreSQL down: no collector leads",
                  wait_until(lambda: leaders(hs) == [], PG_DOWN_S - 5),
                  leaders(hs))
        time.sleep(max(0.0, PG_DOWN_S - (time.time() - t_stop)))
        pg.start()
        t_start = time.time()
        res.check("PostgreSQL back: the collectors reconnect by "
                  "themselves (one leader, every lease database up)",
                  wait_until(lambda: len(leaders(hs)) == 1 and all(
                      health(h).get("lease database") == "up"
                      for h in hs.values()), 30),
                  {n: health(h) for n, h in hs.items()})
        res.check("PostgreSQL back: results stored again",
                  wait_until(lambda: total() > before + 60, 60),
                  (before, total()))
        print(f"PostgreSQL back: leader and ingest "
              f"{time.time() - t_start:.1f} s after the start", flush=True)
        res.check("PostgreSQL back: agents' spools drain",
                  wait_until(lambda: all(status_line(r)[1] < 50
                                         for r in REGIONS), 60, 1.0),
                  {r: status_line(r) for r in REGIONS})
        stop_poll.set()
        poller.join(timeout=15)
        res.check(f"nginx answered the page and summary.json at every "
                  f"sample ({served['ok']}) while PostgreSQL was down and "
                  "came back", served["ok"] > 50 and not served["bad"],
                  served["bad"][:10])
        nothing_lost("after PostgreSQL was down for 30 s")

        # ---- the leader loses the database, not its clients ----
        lead = leaders(hs)[0]
        others = {n: h for n, h in hs.items() if n != lead}
        t_freeze = time.time()
        proxies[lead].freeze()
        down_at = up_at = lease_end = None
        end = t_freeze + LEASE_S + 20
        while time.time() < end and (down_at is None or up_at is None):
            if down_at is None and role(hs[lead]) == "follower":
                down_at = time.time() - t_freeze
            if up_at is None and leaders(others):
                up_at = time.time() - t_freeze
            if lease_end is None and time.time() - t_freeze > 0.3:
                # Its last renewal has landed (none can pass the frozen
                # proxy): the lease row says when its lease ends, by the
                # database's clock (this machine's).
                row = pg.psql("SELECT holder, extract(epoch FROM "
                              "expires_at) FROM pharos_lease",
                              db=pg.dbname).split("|")
                lease_end = (float(row[1]) - t_freeze
                             if row[0] == lead else -1.0)
            time.sleep(0.05)
        # The collectors' own log lines, to the millisecond.
        stepped = first_log_after(
            hs, rf"lease: {lead} steps down as leader", t_freeze)
        took_over = first_log_after(
            hs, rf"lease: (?!{lead} )\S+ is the leader", t_freeze)
        print(f"freeze: {lead} steps down {rnd(stepped)} s after the "
              f"freeze (/healthz: follower at {rnd(down_at)} s), its lease "
              f"ended at {rnd(lease_end)} s, {leaders(others)} leads at "
              f"{rnd(took_over)} s (/healthz: {rnd(up_at)} s)", flush=True)
        res.check("cut off from the database, the leader steps down "
                  "before its lease ends (the lease row), and another "
                  "leads only after it ended (log lines)",
                  None not in (stepped, took_over, lease_end) and
                  stepped < lease_end <= took_over and
                  down_at is not None and up_at is not None and
                  down_at < up_at,
                  (stepped, lease_end, took_over, down_at, up_at))
        res.check("... and another leads within lease + 2 s",
                  up_at is not None and up_at <= LEASE_S + 2, up_at)
        res.check("... the cut-off collector still serves its page",
                  http_call("GET", hs[lead].url("/api/v2/summary.json"),
                            timeout=5)[0] == 200)
        proxies[lead].thaw()
        wait_for(lambda: role(hs[lead]) == "follower" and
                 health(hs[lead]).get("lease database") == "up",
                 LEASE_S + 20, f"{lead} reconnected as a follower")

        # Over five takeovers and 30 s without a database, an agent that
        # waits between rounds of its collectors fails a few hundred
        # requests; one that spins fails thousands a second.
        fails = {r: status_line(r)[3] for r in REGIONS}
        print(f"failed requests per agent over the run: {fails}", flush=True)
        res.check("agents back off between rounds of their collectors "
                  "(under 2,000 failed requests each)",
                  all(f < 2000 for f in fails.values()), fails)

        # ---- the end: agents stop cleanly, nothing acked is lost ----
        finals = {}
        for r in REGIONS:
            h0.stop(f"agent-{r}")
            with open(h0.logs[f"agent-{r}"], errors="replace") as f:
                m = re.findall(r"\((\d+) results sent, (\d+) unsent, "
                               r"(\d+) dropped\)", f.read())
            finals[r] = tuple(int(x) for x in m[-1]) if m else None
        got = stored()
        bad = [(r, finals[r], got.get(f"agent-{r}")) for r in REGIONS
               if finals[r] is None or
               got.get(f"agent-{r}", (0, 0))[0] < finals[r][0] or
               got[f"agent-{r}"][0] != got[f"agent-{r}"][1] or
               finals[r][2] != 0]
        res.check("end: every result an agent counts as acked is stored "
                  "once in PostgreSQL", not bad, bad or (finals, got))
        print(f"end: acked {[finals[r][0] for r in REGIONS]}, stored "
              f"{[got[f'agent-{r}'][0] for r in REGIONS]}", flush=True)

        iv = lead_intervals(hs, deaths)
        overlap = [f"{a} and {b}" for a, b in zip(iv, iv[1:])
                   if b[0] < a[1]]
        res.check(f"never two leaders at once ({len(iv)} leadership "
                  "intervals in the logs)", len(iv) >= 5 and not overlap,
                  overlap or iv)
    except Exception:
        print(pg.log_tail(), flush=True)
        raise
    finally:
        rec.close()
        smtp.stop()
        target.shutdown()
        h0.stop_all()
        for h in hs.values():
            h.stop_all()
        for p in proxies.values():
            p.close()
        pg.stop()
    return res.finish()


def first_log_after(hs, pattern, t):
    """Seconds from t to the first line of any collector log matching
    pattern and logged after t, or None."""
    best = None
    for h in hs.values():
        for r in h.runs:
            with open(r.log, errors="replace") as f:
                for line in f:
                    m = re.match(r"^(\S+)Z ", line)
                    if m and re.search(pattern, line):
                        at = log_ms(m.group(1)) / 1000.0
                        if at >= t and (best is None or at < best):
                            best = at
    return None if best is None else best - t


def rnd(x):
    return None if x is None else round(x, 2)


def lead_taken_after(h, t):
    """Seconds from t to the first "lease: <node> is the leader" line
    logged after it in h's collector logs (rounded), or None."""
    best = None
    for r in h.runs:
        with open(r.log, errors="replace") as f:
            for line in f:
                m = re.match(r"^(\S+)Z .*lease: \S+ is the leader", line)
                if m:
                    at = log_ms(m.group(1)) / 1000.0
                    if at >= t and (best is None or at < best):
                        best = at
    return None if best is None else round(best - t, 2)


if __name__ == "__main__":
    sys.exit(main())
