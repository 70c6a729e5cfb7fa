#!/usr/bin/env python3
"""The agent link: tokens, run-time agents, revocation, liveness, and
exactly-once delivery across a kill -9 of the collector.

- pharosctl agent add creates an agent and prints its token once; the
  agent runs with it; pharosctl agents lists it with its last contact;
- wrong, missing and revoked tokens get 401; a read-only key cannot add;
- an agent removed from the config is refused after SIGHUP;
- results are stored under the token's region, never the payload's;
- kill -9 the collector while agents stream, restart it: every result an
  agent reports as acknowledged is in sqlite exactly once."""
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pharos_harness import serve_target, Harness, free_port, http_get, wait_for, wait_until  # noqa: E402
from oncetest import Results  # noqa: E402



def main():
    res = Results()
    tport = free_port()
    srv = serve_target(tport)
    h = Harness("agent_link")
    admin_key = "ph_admin_" + "k" * 32
    read_key = "ph_read_" + "r" * 32
    with open(os.path.join(h.dir, "admin.key"), "w") as f:
        f.write(admin_key + "\n")
    keys = ("api_keys:\n"
            "  - {name: ops, scope: admin, token_file: admin.key}\n"
            f"  - {{name: viewer, scope: read, token_env: PH_TEST_READ_KEY}}\n")
    os.environ["PH_TEST_READ_KEY"] = read_key
    comps = f"""
components:
  - id: web
    name: Web
    checks:
      - {{id: web-http, type: http, url: "http://127.0.0.1:{tport}/", interval: 1s, timeout: 500ms}}
      - {{id: web-tcp, type: tcp, host: 127.0.0.1, port: {tport}, interval: 1s, timeout: 500ms}}
"""
    ctl = [h.bin("pharosctl"), "--url", f"http://127.0.0.1:{h.port}"]
    try:
        h.write_config(["r1", "r2"], comps, extra_yaml=keys, agents_for=["r1"])
        h.start_collector()

        p = subprocess.run(ctl + ["--key-file", os.path.join(h.dir, "admin.key"),
                                  "agent", "add", "--region", "r2", "--id", "dyn"],
                           capture_output=True, text=True, timeout=30)
        m = re.search(r"token: (\S+)", p.stdout)
        res.check("pharosctl agent add prints a token once", p.returncode == 0 and m,
                  (p.returncode, p.stdout, p.stderr))
        token = m.group(1) if m else ""
        db = sqlite3.connect(os.path.join(h.dir, "state", "pharos.db"))
        stored = db.execute("SELECT token_sha256 FROM agent_tokens WHERE agent_id='dyn'"
                            ).fetchone()
        import hashlib
        res.check("only the token's SHA-256 is stored",
                  stored and stored[0] == hashlib.sha256(token.encode()).hexdigest()
                  and token not in stored[0], stored)
        db.close()
        p = subprocess.run(ctl + ["--key", read_key, "agent", "add", "--region",
                                  "r1", "--id", "nope"],
                           capture_output=True, text=True, timeout=30)
        res.check("a read-only key cannot add agents (403 shown)",
                  p.returncode == 1 and "HTTP 403" in p.stderr, p.stderr)
        p = subprocess.run(ctl + ["--key", "wrong", "agents"],
                           capture_output=True, text=True, timeout=30)
        res.check("a wrong key is refused with the API's message",
                  p.returncode == 1 and "Could not authenticate" in p.stderr,
                  p.stderr)
        p = subprocess.run(ctl + ["--key", admin_key, "agent", "add", "--region",
                                  "nowhere", "--id", "x"],
                           capture_output=True, text=True, timeout=30)
        res.check("an unknown region is refused",
                  p.returncode == 1 and "unknown region" in p.stderr, p.stderr)

        # Run the API-created agent (region r2) and a config agent (r1).
        h.tokens["r2"] = token
        with open(os.path.join(h.dir, "secrets", "r2.token"), "w") as f:
            f.write(token + "\n")
        h.start_agent("r1")
        h.start_agent("r2")
        res.check("both agents report",
                  wait_until(lambda: h.region_states("web-http") ==
                             {"r1": "up", "r2": "up"}, 20),
                  h.region_states("web-http"))
        p = subprocess.run(ctl + ["--key", read_key, "--json", "agents"],
                           capture_output=True, text=True, timeout=30)
        agents = {a["id"]: a for a in json.loads(p.stdout)} if p.returncode == 0 else {}
        dyn = agents.get("dyn", {})
        res.check("pharosctl agents lists the run-time agent as live",
                  dyn.get("source") == "api" and dyn.get("stale") is False
                  and dyn.get("last_contact_at") and dyn.get("version") == "0.1.0"
                  and dyn.get("results", 0) > 0, dyn)
        res.check("and the config agent", agents.get("agent-r1", {}).get("source")
                  == "config", agents.get("agent-r1"))

        # kill -9 the collector while both agents stream, then restart.
        def stored():
            c = sqlite3.connect(os.path.join(h.dir, "state", "pharos.db"))
            try:
                return dict(c.execute("SELECT agent_id, count(*) FROM results "
                                      "GROUP BY agent_id"))
            finally:
                c.close()
        n0 = stored()
        wait_for(lambda: all(stored().get(a, 0) > n0.get(a, 0)
                             for a in ("agent-r1", "dyn")), 20,
                 "both agents streaming")

        def failures(key):
            with open(h.logs[key]) as f:
                return len(re.findall(r"report: [^\n]* failed: ", f.read()))
        agent_keys = [k for k in h.procs if k.startswith("agent-")]
        f0 = {k: failures(k) for k in agent_keys}
        h.kill("collector")
        # Agents keep probing; results queue up until they have missed the
        # collector at least once each.
        wait_for(lambda: all(failures(k) > f0[k] for k in agent_keys), 20,
                 "every agent noticing the collector is gone")
        h.start_collector()

        def drained():
            p = subprocess.run(ctl + ["--key", read_key, "--json", "agents"],
                               capture_output=True, text=True, timeout=30)
            a = {x["id"]: x for x in json.loads(p.stdout)}
            return all(a[i]["backlog"] == 0 and a[i]["stale"] is False
                       and a[i]["last_seq"] > last_seq[i] for i in ("agent-r1", "dyn"))
        db = sqlite3.connect(os.path.join(h.dir, "state", "pharos.db"))
        last_seq = dict(db.execute("SELECT agent_id, last_seq FROM agents"))
        db.close()
        res.check("agents backfill after the restart (backoff with jitter)",
                  wait_until(drained, 40), "")
        sent = {}
        for r in ("r1", "r2"):
            h.stop(f"agent-{r}")
            with open(h.logs[f"agent-{r}"]) as f:
                log = f.read()
            m = re.search(r"\((\d+) results sent, (\d+) unsent", log)
            sent[r] = (int(m.group(1)), int(m.group(2))) if m else None
        db = sqlite3.connect(os.path.join(h.dir, "state", "pharos.db"))
        for r, agent in (("r1", "agent-r1"), ("r2", "dyn")):
            n = db.execute("SELECT count(*) FROM results WHERE agent_id=?",
                           (agent,)).fetchone()[0]
            regions = {x[0] for x in db.execute(
                "SELECT DISTINCT region FROM results WHERE agent_id=?", (agent,))}
            res.check(f"{agent}: every acknowledged result stored exactly once "
                      f"across kill -9", sent[r] is not None and sent[r][0] == n,
                      (sent[r], n))
            res.check(f"{agent}: SIGTERM flushed the queue first",
                      sent[r] is not None and sent[r][1] == 0, sent[r])
            res.check(f"{agent}: results carry the token's region", regions == {r},
                      regions)
        dups = db.execute("SELECT count(*) FROM (SELECT agent_id, seq, idx FROM "
                          "results GROUP BY 1, 2, 3 HAVING count(*) > 1)").fetchone()[0]
        res.check("no (agent, seq, idx) stored twice", dups == 0, dups)
        db.close()

        # Revocation takes effect at once.
        p = subprocess.run(ctl + ["--key", admin_key, "agent", "revoke", "dyn"],
                           capture_output=True, text=True, timeout=30)
        res.check("pharosctl agent revoke", p.returncode == 0, p.stderr)
        code, _ = http_get(h.url("/v1/agent/plan"), ok_codes=None,
                           headers={"Authorization": "Bearer " + token})
        res.check("a revoked token gets 401 at once", code == 401, code)
        p = subprocess.run(ctl + ["--key", admin_key, "agent", "revoke", "agent-r1"],
                           capture_output=True, text=True, timeout=30)
        res.check("config agents are revoked in the config, not the API",
                  p.returncode == 1 and "HTTP 409" in p.stderr, p.stderr)

        # Removing a config agent and sending SIGHUP revokes it too.
        code, _ = http_get(h.url("/v1/agent/plan"), ok_codes=None,
                           headers={"Authorization": "Bearer " + h.tokens["r1"]})
        res.check("config agent accepted before reload", code == 200, code)
        with open(h.conf_path) as f:
            text = f.read()
        text = re.sub(r"  - id: agent-r1\n    region: r1\n    token_file: secrets/r1.token\n",
                      "", text)
        with open(h.conf_path, "w") as f:
            f.write(text)
        h.procs["collector"].send_signal(signal.SIGHUP)
        res.check("after SIGHUP the removed agent gets 401",
                  wait_until(lambda: http_get(
                      h.url("/v1/agent/plan"), ok_codes=None,
                      headers={"Authorization": "Bearer " + h.tokens["r1"]})[0] == 401,
                      10), "")
        with open(h.conf_path, "a") as f:
            f.write("bogus_section: 1\n")
        h.procs["collector"].send_signal(signal.SIGHUP)

        def log():
            with open(h.logs["collector"]) as f:
                return f.read()
        res.check("the bad config is refused on SIGHUP",
                  wait_until(lambda: "the running configuration stays" in log(), 10))
        code, _ = http_get(h.url("/healthz"), ok_codes=None)
        log = log()
        res.check("a bad config on SIGHUP is reported and the old one keeps running",
                  code == 200 and "unknown section 'bogus_section'" in log
                  and "the running configuration stays" in log, log[-300:])
        for tok in ("", "Bearer ", "Bearer ph_nope", "Basic abc"):
            hdrs = {"Authorization": tok} if tok else {}
            code, _ = http_get(h.url("/v1/agent/results"), method="POST",
                               data=b"", ok_codes=None, headers=hdrs)
            res.check(f"results with auth {tok!r} get 401", code == 401, code)
    finally:
        srv.shutdown()
        h.stop_all()
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
