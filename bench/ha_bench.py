#!/usr/bin/env python3
"""High availability benches (issue #14 item 8): three collectors with
`ha:` on one PostgreSQL 15 that the script starts for the run
(tests/integration/lib/pgserver.py: initdb and pg_ctl in a temporary
directory, loopback, fsync=off), each mode printing its figures beside
its reference in the same run. Measures; asserts nothing.

  ingest     simulated agents (bench/ingest_bench, one batch in flight
             each, waiting for the Ack) spread over the three
             collectors (agent i posts to collector i mod 3; followers
             hand batches to the leader, which commits before the ack),
             against bench/pg_insert_loop: a bare libpq loop inserting
             the same rows (the store's result tables, same batch size,
             one transaction per batch) into the same server, once as one
             INSERT of arrays per batch (the store's statement shape) and
             once as pipelined single-row INSERTs. Also one collector
             without `ha:` on the same server (--no-single skips it).
             Prints results/s, the ratios, rows stored against results
             acked, and where the batches went.
  takeover   --kills N times: kill -9 of the leader, then the time until
             another collector holds the lease (the lease row's
             acquired_at, the server's clock on this same host) and until
             its /healthz says leader (sampled every 20 ms); the killed
             collector is restarted as a follower, and the next kill
             comes at a random phase of the leader's renewals.
             Three agents report meanwhile. Median and max beside the
             bound lease + 2 s, and the lease time left at each kill.
  detection  bench/detection_latency.py's runs (measure(), imported) with
             three collectors: the three agents are given all three
             (each a different one first); the outage counts as shown
             when every collector's summary.json shows it. Then the
             same runs with one collector without `ha:` (detection_
             latency.py's setup; --no-single skips it), and the bound
             interval x fail_after + 2 s.

Usage: bench/ha_bench.py ingest [--agents 8] [--batches 100] [--batch 500]
                                [--checks 500] [--perf FILE] [--no-single]
       bench/ha_bench.py takeover [--kills 10] [--lease 10] [--seed N]
       bench/ha_bench.py detection [--runs 5] [--interval 2] [--seed N]
                                   [--failure 503|refuse] [--watch]
                                   [--lease 10] [--no-single]
"""
import argparse
import hashlib
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("PH_BUILD_DIR", os.path.join(ROOT, "build"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "lib"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import detection_latency  # noqa: E402
import pgserver  # noqa: E402
from pharos_harness import (Harness, free_port, http_get,  # noqa: E402
                            serve_target, wait_for, wait_until)

NODES = ("c1", "c2", "c3")
REGIONS = ("eu", "us", "ap")


def load():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


class Cluster:
    """Collectors (Harness each: its port, state dir, logs) on one
    PostgreSQL database, all with the same agents (token hashes)."""

    def __init__(self, pg, dbname, nodes=NODES, lease_s=10, ha=True):
        self.pg = pg
        self.dsn = pg.dsn_for(dbname)
        self.lease_s = lease_s
        self.ha = ha
        self.hs = {n: Harness(f"habench_{n}") for n in nodes}
        self.agents = {}          # agent id -> (region, token)

    def add_agent(self, agent_id, region):
        tok = "ph_" + secrets.token_urlsafe(32)
        self.agents[agent_id] = (region, tok)
        return tok

    def write(self, regions, components_yaml, max_batch=5000):
        for node, h in self.hs.items():
            with open(os.path.join(h.dir, "pg.pw"), "w") as f:
                f.write(self.pg.password + "\n")
            lines = [
                "server:",
                f'  listen: "127.0.0.1:{h.port}"',
                "  state_dir: state",
                f"  web_dir: {os.path.join(ROOT, 'web')}",
                f"  max_results_per_batch: {max_batch}",
                '  trusted_proxies: ["127.0.0.1"]',
                "page: {id: bench, name: Bench}",
                "regions:",
            ] + [f"  - id: {r}" for r in regions] + ["agents:"]
            for aid, (region, tok) in self.agents.items():
                sha = hashlib.sha256(tok.encode()).hexdigest()
                lines.append(f"  - {{id: {aid}, region: {region}, "
                             f"token_sha256: {sha}}}")
            lines += [f'store: "{self.dsn}"', "store_password_file: pg.pw"]
            if self.ha:
                lines += ["ha:", f"  lease: {self.lease_s}s",
                          f"  node_id: {node}"]
            with open(h.conf_path, "w") as f:
                f.write("\n".join(lines) + "\n" + components_yaml)

    def start(self):
        for h in self.hs.values():
            h.start_collector(env=child_env())
        if self.ha:
            wait_for(lambda: sorted(self.roles().values()) ==
                     ["follower"] * (len(self.hs) - 1) + ["leader"], 30,
                     "one leader, the others following")

    def urls(self):
        return [h.url("") for h in self.hs.values()]

    def roles(self):
        return {n: role(h) for n, h in self.hs.items()}

    def leader(self):
        for n, h in self.hs.items():
            if role(h) == "leader":
                return n
        return None

    def stop(self):
        for h in self.hs.values():
            h.stop_all()


def child_env():
    """Our environment without PGPASSWORD: the collectors read the
    password from store_password_file."""
    env = dict(os.environ)
    env.pop("PGPASSWORD", None)
    return env


def role(h):
    try:
        body = http_get(h.url("/healthz"), ok_codes=None, timeout=1)[1]
    except OSError:
        return None
    for line in body.decode().splitlines()[1:]:
        k, _, v = line.partition(": ")
        if k == "role":
            return v.strip()
    return None


def metric_sum(h, name):
    """Sum of a metric over its labels, from h's /metrics (0 if absent)."""
    tot = 0.0
    for line in http_get(h.url("/metrics"))[1].decode().splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            tot += float(line.split()[-1])
    return tot


def peak_rss_mb(proc):
    try:
        with open(f"/proc/{proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def cpu_s(proc):
    """User + system CPU seconds of a process (all its threads)."""
    try:
        with open(f"/proc/{proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def rate_of(out):
    return float(out.split("= ")[1].split()[0])


# ---------------------------------------------------------------- ingest

def run_ingest(pg, dbname, args, nodes, ha, perf=None):
    """Ingest through `nodes` collectors on database dbname; returns
    (acked results/s, stdout line)."""
    pg.create_db(dbname)
    cl = Cluster(pg, dbname, nodes=nodes, ha=ha)
    tokens = [cl.add_agent(f"a{i}", "r1") for i in range(args.agents)]
    comps = "components:\n  - id: c\n    name: C\n    checks:\n" + "".join(
        f'      - {{id: p{i}, type: http, url: "http://127.0.0.1:1/"}}\n'
        for i in range(args.checks))
    cl.write(["r1"], comps, max_batch=20000)
    tokfile = os.path.join(cl.hs[nodes[0]].dir, "tokens")
    with open(tokfile, "w") as f:
        f.write("\n".join(tokens) + "\n")
    try:
        cl.start()
        lead = cl.leader() if ha else nodes[0]
        perf_proc = None
        if perf:
            perf_proc = subprocess.Popen(
                ["perf", "record", "--call-graph", "dwarf,16384", "-o", perf,
                 "-p",
                 str(cl.hs[lead].procs["collector"].pid)],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        cpu0 = {n: cpu_s(h.procs["collector"]) for n, h in cl.hs.items()}
        out = subprocess.run(
            [os.path.join(BUILD, "bin", "ingest_bench"), "http",
             ",".join(h.url("/v1/agent/results") for h in cl.hs.values()),
             tokfile, str(args.batches), str(args.batch), str(args.checks)],
            capture_output=True, text=True)
        cpu = {n: cpu_s(h.procs["collector"]) - cpu0[n]
               for n, h in cl.hs.items()}
        if perf_proc is not None:
            perf_proc.send_signal(2)
            perf_proc.wait(timeout=60)
        line = out.stdout.strip()
        where = (f"{len(nodes)} collectors, ha on, leader {lead}" if ha
                 else "1 collector, no ha")
        print(f"[{where}] {line}", flush=True)
        if out.returncode != 0 or not line:
            print(out.stderr.strip())
            return None
        acked = int(line.split(" results acked")[0].split()[-1])
        stored = int(pg.psql("SELECT count(*) FROM result_rows", db=dbname))
        print(f"  rows stored in PostgreSQL: {stored} (acked {acked}"
              f"{', equal' if stored == acked else ', DIFFERENT'})")
        for n, h in cl.hs.items():
            ing = metric_sum(h, "pharos_results_ingested_total")
            fwd = metric_sum(h, "pharos_writes_forwarded_total")
            print(f"  {n} ({role(h) or 'no ha'}): results ingested {ing:.0f}, "
                  f"writes forwarded to the leader {fwd:.0f}, CPU "
                  f"{cpu[n]:.2f} s = {cpu[n] * 1e6 / max(acked, 1):.2f} us "
                  f"per result acked, peak RSS "
                  f"{peak_rss_mb(h.procs['collector']):.1f} MB")
        return rate_of(line)
    finally:
        cl.stop()


def bare(pg, dbname, mode, args):
    dsn = pg.create_db(dbname)
    env = dict(os.environ, PGPASSWORD=pg.password)
    out = subprocess.run(
        [os.path.join(BUILD, "bin", "pg_insert_loop"), dsn, mode,
         str(args.agents * args.batches), str(args.batch), str(args.checks)],
        capture_output=True, text=True, env=env)
    if out.returncode != 0:
        print(out.stderr.strip())
        return None
    print(out.stdout.strip(), flush=True)
    return rate_of(out.stdout)


def mode_ingest(args):
    pg = pgserver.PgServer().start()
    try:
        print(f"load average before: {load()} (2 cores shared with other "
              "builds and tests)", flush=True)
        ha = run_ingest(pg, "ha", args, NODES, True, perf=args.perf)
        arr = bare(pg, "bare_arrays", "arrays", args)
        rows = bare(pg, "bare_rows", "rows", args)
        one = (None if args.no_single
               else run_ingest(pg, "single", args, ("solo",), False))
        print(f"load average after: {load()}")
        if ha is None:
            print("no HA figure: see the output above")
            return 1
        for what, ref in (("bare loop, one INSERT of arrays per batch", arr),
                          ("bare loop, pipelined row INSERTs", rows),
                          ("one collector without ha", one)):
            if ref:
                print(f"ratio 3 collectors (ha) / {what} = {ha / ref:.2f}")
        if args.perf:
            rep = subprocess.run(["perf", "report", "-i", args.perf,
                                  "--stdio", "--no-children",
                                  "--percent-limit", "2", "-g", "none"],
                                 capture_output=True, text=True)
            print("leader's profile during the HA run (perf report, "
                  "self time >= 2 %):")
            print("\n".join(ln for ln in rep.stdout.splitlines()
                            if ln.strip() and not ln.startswith("#")))
    finally:
        pg.stop()
    return 0


# -------------------------------------------------------------- takeover

def lease_row(pg):
    """(holder, epoch, acquired_at, expires_at) with times as Unix
    seconds, from the server."""
    out = pg.psql("SELECT holder, epoch, extract(epoch FROM acquired_at), "
                  "extract(epoch FROM expires_at) FROM pharos_lease",
                  db="pharos")
    holder, epoch, acq, exp = out.split("|")
    return holder, int(epoch), float(acq), float(exp)


def start_agents(cl, agents_h):
    """The three agents (regions eu, us, ap; sources 127.0.0.2-4), each
    given all collectors' URLs, a different one first."""
    urls = cl.urls()
    for i, r in enumerate(REGIONS):
        tok = cl.agents[f"agent-{r}"][1]
        tf = os.path.join(agents_h.dir, f"{r}.token")
        with open(tf, "w") as f:
            f.write(tok + "\n")
        mine = urls[i:] + urls[:i]
        conf = os.path.join(agents_h.dir, f"agent-{r}.yml")
        with open(conf, "w") as f:
            f.write("collector:\n" + "".join(f'  - "{u}"\n' for u in mine) +
                    f"token_file: {tf}\nbatch_delay: 100ms\n"
                    "plan_refresh: 2s\nheartbeat: 2s\n"
                    f"source_address: 127.0.0.{i + 2}\n")
        agents_h._start(f"agent-{r}",
                        [agents_h.bin("pharos-agent"), "run", "-c", conf])


def summary_status(h):
    doc = json.loads(http_get(h.url("/api/v2/summary.json"), timeout=2)[1])
    return doc["components"][0]["status"]


def mode_takeover(args):
    pg = pgserver.PgServer().start()
    port = free_port()
    tgt = serve_target(port)
    cl = Cluster(pg, "pharos", lease_s=args.lease)
    agents_h = Harness("habench_agents")
    for r in REGIONS:
        cl.add_agent(f"agent-{r}", r)
    dl = argparse.Namespace(interval=2, watch=False)
    cl.write(REGIONS, detection_latency.components_yaml(port, dl))
    bound = args.lease + 2
    rows = []
    try:
        cl.start()
        start_agents(cl, agents_h)
        wait_for(lambda: all(summary_status(h) == "operational"
                             for h in cl.hs.values()), 60,
                 "the component operational on every collector")
        print(f"3 collectors, lease {args.lease} s (renewed every lease/3), "
              f"3 agents reporting every 2 s; load average {load()} "
              "(2 cores shared with other builds and tests)", flush=True)
        trans0 = int(pg.psql("SELECT count(*) FROM transitions",
                             db="pharos"))
        rnd = random.Random(args.seed)
        for k in range(args.kills):
            # At a random phase of the leader's renewals (every lease/3),
            # not always right after the last takeover.
            time.sleep(rnd.uniform(0, args.lease / 3))
            lead = cl.leader()
            if lead is None:
                wait_for(lambda: cl.leader() is not None, bound + 10,
                         "a leader")
                lead = cl.leader()
            holder, epoch, _, expires = lease_row(pg)
            others = [n for n in cl.hs if n != lead]
            cl.hs[lead].kill("collector")
            t0 = time.time()
            left = expires - t0
            got = {}

            def someone_leads():
                for n in others:
                    if role(cl.hs[n]) == "leader":
                        got["node"] = n
                        return True
                return False
            ok = wait_until(someone_leads, bound + 30, 0.02)
            t_health = time.time() - t0
            holder2, epoch2, acquired, _ = lease_row(pg)
            t_row = acquired - t0
            flap = {n: summary_status(cl.hs[n]) for n in others}
            rows.append((t_row, t_health, acquired - expires))
            print(f"  kill {k + 1:2d}: {lead} (epoch {epoch}, lease {left:5.2f} s "
                  f"left) -> {holder2} epoch {epoch2}: lease row taken after "
                  f"{t_row:5.2f} s, /healthz leader after {t_health:5.2f} s"
                  f"{'' if ok else ' (NO LEADER)'} (bound {bound} s); "
                  f"component {sorted(set(flap.values()))}", flush=True)
            cl.hs[lead].start_collector(env=child_env())
            wait_for(lambda: role(cl.hs[lead]) == "follower", 30,
                     f"{lead} following again")
        trans = int(pg.psql("SELECT count(*) FROM transitions",
                            db="pharos")) - trans0
        print(f"status transitions stored during the {args.kills} kills: "
              f"{trans} (a takeover that restores the engine stores none)")
        for i, label in ((0, "lease row taken"), (1, "/healthz says leader")):
            v = [r[i] for r in rows]
            print(f"takeover, {label}: median {statistics.median(v):.2f} s, "
                  f"max {max(v):.2f} s over {len(v)} kills (bound lease + 2 s "
                  f"= {bound} s; max/bound {max(v) / bound:.2f})")
        late = [r[2] for r in rows]
        print(f"lease row taken after the dead leader's lease ran out: "
              f"median {statistics.median(late):.2f} s, max {max(late):.2f} s "
              "(followers try every min(lease/3, 1 s))")
        print(f"load average after: {load()}")
    finally:
        agents_h.stop_all()
        cl.stop()
        tgt.shutdown()
        pg.stop()
    return 0


# ------------------------------------------------------------- detection

def mode_detection(args):
    pg = pgserver.PgServer().start()
    port = free_port()
    tgt = detection_latency.new_target(port)
    cl = Cluster(pg, "pharos", lease_s=args.lease)
    agents_h = Harness("habench_agents")
    for r in REGIONS:
        cl.add_agent(f"agent-{r}", r)
    cl.write(REGIONS, detection_latency.components_yaml(port, args))
    try:
        cl.start()
        start_agents(cl, agents_h)
        lead = cl.hs[cl.leader()]

        def everywhere():
            got = {summary_status(h) for h in cl.hs.values()}
            return got.pop() if len(got) == 1 else "mixed"

        print(f"load average {load()} (2 cores shared with other builds "
              "and tests)", flush=True)
        detection_latency.measure(
            args, tgt, everywhere, lambda: lead.region_states("api-http"),
            lambda: http_get(lead.url("/metrics"))[1].decode(),
            shown="; 3 collectors (ha on, lease "
                  f"{args.lease} s), shown = on all three")
    finally:
        agents_h.stop_all()
        cl.stop()
        pg.stop()
    try:
        if not args.no_single:
            print("reference, the same runs with one collector (sqlite, no "
                  "ha), same target:", flush=True)
            tgt.status = 200
            if tgt.srv is None:
                tgt.start()
            detection_latency.run_one_collector(
                args, port, tgt, shown="; 1 collector, no ha")
        print(f"load average after: {load()}")
    finally:
        tgt.stop()
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("ingest")
    p.add_argument("--agents", type=int, default=8)
    p.add_argument("--batches", type=int, default=100)
    p.add_argument("--batch", type=int, default=500)
    p.add_argument("--checks", type=int, default=500)
    p.add_argument("--perf", metavar="FILE",
                   help="perf record (DWARF call graphs) the leader during the HA run")
    p.add_argument("--no-single", action="store_true")
    p = sub.add_parser("takeover")
    p.add_argument("--kills", type=int, default=10)
    p.add_argument("--lease", type=int, default=10)
    p.add_argument("--seed", type=int, default=None)
    p = sub.add_parser("detection")
    detection_latency.add_arguments(p)
    p.add_argument("--lease", type=int, default=10)
    p.add_argument("--no-single", action="store_true")
    args = ap.parse_args()
    if not pgserver.available():
        print(f"PostgreSQL 15 not found in {pgserver.PG_BIN} "
              "(scripts/install-deps.sh --test installs postgresql-15)")
        return 2
    return {"ingest": mode_ingest, "takeover": mode_takeover,
            "detection": mode_detection}[args.mode](args)


if __name__ == "__main__":
    sys.exit(main())
