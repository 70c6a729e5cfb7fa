#!/usr/bin/env python3
"""Load test (issue 9 item 5): many simulated agents against one collector
while wrk reads summary.json, then the collector serving summary.json from
memory beside nginx serving the same published file.

1. One collector on loopback with a generated config: REGIONS regions,
   AGENTS agents (token each, spread over the regions), CHECKS http checks
   in every region at INTERVAL, CHECKS_PER_COMPONENT checks a component.
2. bench/load_agents.c (built as load_agents) plays the agents: each runs
   all CHECKS checks of its region every INTERVAL and sends the results
   as a real agent does (passing results coalesced for 1 s, one batch in
   flight, seq per agent, retries replay the same seq) for DURATION
   seconds, then drains.
   Offered load: AGENTS x CHECKS / INTERVAL results/s.
3. Meanwhile `wrk -t1 -c16 --latency` reads /api/v2/summary.json from the
   collector; its p99 and requests/s are reported.
4. Nothing lost: for every agent, the rows in state/pharos.db `results`
   equal the results the agent got acked. Results/s ingested and the
   collector's peak RSS (VmHWM) are reported.
5. The same wrk against the collector (from memory) and against nginx
   (one worker, serving publish_dir), alternating, for ROUNDS rounds;
   the collector idle is also read for ROUNDS rounds before the load.
   "Under load / idle" divides the rate during the load by the mean of
   the idle rounds on both sides. CPU per process (and per collector
   thread, with the loop's time waiting for a CPU) is sampled over the
   middle half of the load phase.

With --pin (a machine with 2 CPUs or more) the collector's loop thread
runs alone on CPU 0, and everything else (its writer, render and
publish threads, wrk, the simulated agents, nginx) on CPU 1, in the idle
rounds as under load; --pin-collector puts all of the collector's
threads on CPU 0. Both end with control rounds: the idle collector read
while a busy loop takes, in 10 ms periods, the share of CPU 1 (CPU 0
with --pin-collector) that the rest took under load, so that "under load
/ control" near 1 says the reads lost only the CPU they shared, nothing
to the writes. The loop's busy time per pass (pharos_loop_busy_seconds)
is read from /metrics idle and under load.

Prints progress as it goes and a table at the end. Exits 1 only when
results were lost (or stored beyond what was acked), 2 when the run could
not be checked (a program failed), 3 on the hard timeout; timing goals
never fail it. Everything runs in its own process group and is killed on
the way out; a hard timeout (SIGALRM, then a watchdog thread) bounds the
whole run.

Usage: python3 bench/load_test.py [--agents 200] [--checks 500]
           [--duration 60] [--regions 3] [--interval 10] [--serve 5]
           [--read /api/v2/summary.json | / | /v1/pages/load/components]
  smoke: python3 bench/load_test.py --agents 20 --checks 50 --duration 10
Needs a build (PH_BUILD_DIR, default build/) and wrk and nginx
(`scripts/install-deps.sh --bench`).
"""
import argparse
import hashlib
import os
import re
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("PH_BUILD_DIR", os.path.join(ROOT, "build"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "lib"))
from peers import free_port, wait_port  # noqa: E402

T0 = time.monotonic()
API_KEY = "ph_" + secrets.token_urlsafe(32)
READ_HEADERS = []  # wrk -H arguments for the read path (--read /v1/...)
PIN = []  # --pin: the argv prefix that keeps a tool off the loop's CPU
PROCS = []  # every Popen we started, each in its own process group


def log(msg):
    print(f"[{time.monotonic() - T0:6.1f}s] {msg}", flush=True)


class HardTimeout(Exception):
    pass


def on_alarm(_sig, _frame):
    raise HardTimeout()


def start(argv, **kw):
    """Starts argv in a new session (its own process group)."""
    p = subprocess.Popen(argv, start_new_session=True, **kw)
    PROCS.append(p)
    return p


def stop(p, sig=signal.SIGTERM, grace=10):
    """Signals p's process group, waits at most grace s, then SIGKILL."""
    if p.poll() is None:
        try:
            os.killpg(p.pid, sig)
        except ProcessLookupError:
            pass
        try:
            p.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
    # Children left in the group (nginx workers) go too.
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        p.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def stop_all():
    for p in reversed(PROCS):
        stop(p, grace=5)


def watchdog(seconds):
    """Last resort if the main thread is stuck where SIGALRM cannot reach
    it: kill every process group we started and exit."""
    def fire():
        print(f"load_test: watchdog fired after {seconds:.0f} s; killing "
              "everything", flush=True)
        for p in PROCS:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        os._exit(3)
    t = threading.Timer(seconds, fire)
    t.daemon = True
    t.start()
    return t


def cpu_seconds(pid):
    """user + system CPU seconds of pid so far (/proc/pid/stat)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def thread_cpu(pid):
    """{thread name: CPU seconds} of pid's threads, summed by name (the
    collector's loop is the thread named after the program)."""
    out = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                raw = f.read()
        except OSError:
            continue
        name = raw[raw.index("(") + 1:raw.rindex(")")]
        if tid == str(pid):
            name = "loop"
        fields = raw.rsplit(")", 1)[1].split()
        out[name] = out.get(name, 0.0) + (int(fields[11]) + int(fields[12])) \
            / os.sysconf("SC_CLK_TCK")
        if name == "loop":
            # Time runnable but waiting for a CPU (schedstat, ns): what
            # the loop loses to the other processes on the machine.
            try:
                with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                    out["loop waiting for a CPU"] = int(f.read().split()[1]) / 1e9
            except (OSError, IndexError, ValueError):
                pass
    return out


def status_kb(pid, field):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def write_config(d, port, args):
    tokens = ["ph_" + secrets.token_urlsafe(32) for _ in range(args.agents)]
    with open(os.path.join(d, "tokens"), "w") as f:
        f.write("\n".join(tokens) + "\n")
    regions = [f"r{i}" for i in range(args.regions)]
    lines = [
        "server:",
        f'  listen: "127.0.0.1:{port}"',
        "  state_dir: state",
        "  publish_dir: public",
        f"  web_dir: {os.path.join(ROOT, 'web')}",
        # Every simulated agent comes from 127.0.0.1: one client to the
        # per-client connection limit, which would refuse most of them.
        "  max_connections_per_client: 0",
        # wrk reading the v1 API with one key (--read /v1/...).
        "  api_rate_limit: 0",
        "page: {id: load, name: Load test}",
        "regions:",
    ]
    lines += [f"  - {{id: {r}}}" for r in regions]
    lines.append("agents:")
    agent_ids = []
    for i, t in enumerate(tokens):
        aid = f"a{i}"
        agent_ids.append(aid)
        lines.append(f"  - {{id: {aid}, region: {regions[i % len(regions)]}, "
                     f"token_sha256: {hashlib.sha256(t.encode()).hexdigest()}}}")
    # A read key for --read /v1/... (the Statuspage v1 API).
    lines.append("api_keys:")
    lines.append(f"  - {{name: bench, scope: read, token_sha256: "
                 f"{hashlib.sha256(API_KEY.encode()).hexdigest()}}}")
    lines.append(f"defaults: {{interval: {args.interval}s, timeout: "
                 f"{max(1, args.interval // 2)}s}}")
    lines.append("components:")
    per = max(1, args.checks_per_component)
    for c in range((args.checks + per - 1) // per):
        lines += [f"  - id: c{c}", f"    name: Component {c}", "    checks:"]
        for k in range(c * per, min(args.checks, (c + 1) * per)):
            lines.append(f'      - {{id: p{k}, type: http, '
                         f'url: "http://127.0.0.1:9/p{k}"}}')
    conf = os.path.join(d, "pharos.yml")
    with open(conf, "w") as f:
        f.write("\n".join(lines) + "\n")
    return conf, agent_ids


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def parse_wrk(text):
    """Returns {rps, p50_ms, p99_ms, requests, errors, non2xx} (None when
    wrk printed nothing useful)."""
    r = {"rps": None, "p50_ms": None, "p99_ms": None, "requests": 0,
         "errors": 0, "non2xx": 0}
    for line in text.splitlines():
        s = line.strip()
        m = re.match(r"^(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s|m|h)$", s)
        if m:
            r[f"p{m.group(1)}_ms"] = float(m.group(2)) * UNITS[m.group(3)]
        elif s.startswith("Requests/sec:"):
            r["rps"] = float(s.split()[1])
        elif re.match(r"^\d+ requests in", s):
            r["requests"] = int(s.split()[0])
        elif s.startswith("Non-2xx or 3xx responses:"):
            r["non2xx"] = int(s.split(":")[1])
        elif s.startswith("Socket errors:"):
            r["errors"] = sum(int(x) for x in re.findall(r"\d+", s))
    return r


PIN_WHOLE_COLLECTOR = [False]  # --pin-collector


def pin_collector(pid):
    """--pin: the collector's loop (its main thread) alone on CPU 0, its
    other threads on CPU 1 (--pin-collector: on CPU 0 too). Called again
    before each phase, for threads started meanwhile."""
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            os.sched_setaffinity(int(tid), {0} if int(tid) == pid or
                                 PIN_WHOLE_COLLECTOR[0] else {1})
        except OSError:
            pass  # the thread ended meanwhile


def wrk_argv(url, seconds, conns):
    argv = PIN + ["wrk", "-t1", f"-c{conns}", f"-d{seconds}s", "--timeout", "10s",
            "--latency"]
    for h in READ_HEADERS:
        argv += ["-H", h]
    return argv + [url]


def run_wrk(url, seconds, conns, pid_box=None):
    p = start(wrk_argv(url, seconds, conns), stdout=subprocess.PIPE,
              stderr=subprocess.STDOUT, text=True)
    if pid_box is not None:
        pid_box.append(p.pid)
    try:
        out, _ = p.communicate(timeout=seconds + 30)
    except subprocess.TimeoutExpired:
        stop(p, signal.SIGKILL)
        return parse_wrk("")
    return parse_wrk(out)


def machine_busy(cpu=""):
    """Busy CPU seconds of the whole machine so far, or of one CPU
    (cpu="1"), from /proc/stat (softirqs included)."""
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith(f"cpu{cpu} "):
                v = [int(x) for x in line.split()[1:]]
                break
        else:
            return 0.0
    idle = v[3] + (v[4] if len(v) > 4 else 0)
    return (sum(v[:8]) - idle) / os.sysconf("SC_CLK_TCK")


HOG = r"""
import sys, time
frac, end = float(sys.argv[1]), time.monotonic() + float(sys.argv[2])
while time.monotonic() < end:
    t = time.perf_counter()
    while time.perf_counter() - t < 0.01 * frac:
        pass
    time.sleep(0.01 * (1 - frac))
"""


def control_rounds(url, args, frac, cpu):
    """--pin: the idle collector read while a busy loop takes `frac` of CPU
    `cpu` in 10 ms periods: the share everything else took of it under
    load. CPU 1 (wrk's) with --pin: the simulated agents, the collector's
    writer, render and publish threads, the kernel's work for the agents'
    traffic; CPU 0 (the loop's) with --pin-collector: the collector's
    other threads.
    What the reads lose here they lose to sharing a CPU, with nothing
    written; under load they should lose no more."""
    out = []
    for _ in range(args.rounds):
        hog = start(["taskset", "-c", str(cpu), sys.executable, "-c", HOG,
                     f"{frac:.3f}", str(args.serve + 2)])
        time.sleep(0.3)
        out.append(run_wrk(url, args.serve, args.wrk_connections))
        stop(hog)
    return out


def cpu_during(pids, seconds, box):
    """CPU seconds each process (and each collector thread) used over the
    next `seconds` (the middle of the load phase): box gets
    {name: cores}."""
    before = {n: (thread_cpu(p) if n == "collector" else
                  {"all": cpu_seconds(p)}) for n, p in pids.items()}
    m0, c00, c10 = machine_busy(), machine_busy("0"), machine_busy("1")
    t0 = time.monotonic()
    time.sleep(seconds)
    span = time.monotonic() - t0
    box[f"machine ({os.cpu_count()} CPUs)"] = (machine_busy() - m0) / span
    box["CPU 0"] = (machine_busy("0") - c00) / span
    box["CPU 1"] = (machine_busy("1") - c10) / span
    for n, p in pids.items():
        after = thread_cpu(p) if n == "collector" else {"all": cpu_seconds(p)}
        for k, v in after.items():
            key = n if k == "all" else f"{n} {k}"
            box[key] = (v - before[n].get(k, 0.0)) / span


def parse_agents_report(text):
    agents, total = {}, None
    for line in text.splitlines():
        words = line.split()
        if len(words) < 2:
            continue
        kv = dict(w.split("=", 1) for w in words[1:] if "=" in w)
        if words[0] == "agent":
            agents[int(words[1])] = {k: int(v) for k, v in kv.items()}
        elif words[0] == "total":
            total = {k: float(v) for k, v in kv.items()}
    return agents, total


def stored_by_agent(db):
    con = sqlite3.connect(db, timeout=30)
    try:
        rows = con.execute("SELECT agent_id, COUNT(*), COUNT(DISTINCT seq), "
                           "MAX(seq) FROM results GROUP BY agent_id").fetchall()
    finally:
        con.close()
    return {a: (n, nseq, mx) for a, n, nseq, mx in rows}


def compare(agents, agent_ids, stored):
    """agents: index -> the agent's report; stored: agent id -> (rows,
    distinct seqs, max seq). Every acked result must be stored, and
    nothing beyond what was acked except the batch that was in flight
    when the agents stopped (committed, ack not seen). Returns (lost,
    unexpected, mismatch descriptions)."""
    lost = extra = 0
    bad = []
    for idx, a in sorted(agents.items()):
        aid = agent_ids[idx]
        n, nseq, maxseq = stored.get(aid, (0, 0, None))
        last = a["last_seq"]
        ok = (a["acked"] <= n <= a["acked"] + a["inflight"] and
              nseq in (last, last + 1) and (maxseq or 0) in (last, last + 1))
        if not ok:
            bad.append(f"{aid}: acked {a['acked']} results in seq 1..{last} "
                       f"(+{a['inflight']} in flight at the end), stored "
                       f"{n} in {nseq} batches, max seq {maxseq}")
        lost += max(0, a["acked"] - n)
        extra += max(0, n - a["acked"] - a["inflight"])
    return lost, extra, bad


def nginx_start(d, publish, port):
    os.makedirs(os.path.join(d, "logs"), exist_ok=True)
    os.makedirs(os.path.join(d, "tmp"), exist_ok=True)
    conf = os.path.join(d, "nginx.conf")
    # As in deploy/nginx/pharos.conf: publish_dir served directly. One
    # worker, like the collector's one loop thread.
    with open(conf, "w") as f:
        f.write(f"""worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/logs/error.log warn;
worker_rlimit_nofile 4096;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  sendfile on;
  tcp_nopush on;
  client_body_temp_path {d}/tmp; proxy_temp_path {d}/tmp;
  fastcgi_temp_path {d}/tmp; uwsgi_temp_path {d}/tmp; scgi_temp_path {d}/tmp;
  server {{
    listen 127.0.0.1:{port};
    root {publish};
    location /api/v2/ {{
      default_type application/json;
      add_header Access-Control-Allow-Origin * always;
      add_header Cache-Control "public, max-age=10, stale-while-revalidate=30" always;
      try_files $uri =404;
    }}
  }}
}}
""")
    g = "daemon off;" + (" user root;" if os.geteuid() == 0 else "")
    return start(PIN + ["nginx", "-p", d, "-c", conf, "-g", g],
                 stdout=subprocess.DEVNULL,
                 stderr=open(os.path.join(d, "logs", "stderr"), "w"))


def fetch(url, timeout=10):
    req = urllib.request.Request(url, headers=dict(
        h.split(": ", 1) for h in READ_HEADERS))
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.read()


def loop_busy(base):
    """The collector's pharos_loop_busy_seconds histogram: {le: cumulative
    count} (le as float, +Inf as inf), or {} when it cannot be read."""
    try:
        text = fetch(f"{base}/metrics").decode()
    except OSError:
        return {}
    out = {}
    for m in re.finditer(r'^pharos_loop_busy_seconds_bucket\{le="([^"]+)"\} '
                         r'(\d+)', text, re.M):
        out[float(m.group(1))] = int(m.group(2))
    return out


def busy_summary(h0, h1):
    """Quantiles of the loop's busy time per iteration between two
    histogram reads, as bucket upper bounds: "n iterations, p50 <= ...,
    p99 <= ..., p99.9 <= ..., longest <= ..." (None when unreadable)."""
    if not h0 or not h1:
        return None
    les = sorted(h1)
    cum = [h1[le] - h0.get(le, 0) for le in les]
    n = cum[-1]
    if n <= 0:
        return None

    def q(frac):
        for le, c in zip(les, cum):
            if c >= frac * n:
                return le
        return les[-1]

    def ms(le):
        return "> 1 s" if le == float("inf") else f"{le * 1e3:g} ms"
    longest = next(le for le, c in zip(les, cum) if c == n)
    return (f"{n:,} iterations, p50 <= {ms(q(0.5))}, p99 <= {ms(q(0.99))}, "
            f"p99.9 <= {ms(q(0.999))}, longest <= {ms(longest)}")


def tail(path, n=3000):
    try:
        with open(path, errors="replace") as f:
            return f.read()[-n:]
    except OSError:
        return ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--agents", type=int, default=200)
    ap.add_argument("--checks", type=int, default=500,
                    help="checks per region (each agent reports them all)")
    ap.add_argument("--regions", type=int, default=3)
    ap.add_argument("--checks-per-component", type=int, default=10)
    ap.add_argument("--interval", type=int, default=10, help="seconds")
    ap.add_argument("--duration", type=int, default=60,
                    help="seconds of load (results produced)")
    ap.add_argument("--drain", type=int, default=30,
                    help="max seconds to drain the agents' queues after")
    ap.add_argument("--batch-delay", type=int, default=1000,
                    help="agent coalescing window, ms (agent default 1000)")
    ap.add_argument("--max-batch", type=int, default=1000,
                    help="results per batch at most (agent default 1000)")
    ap.add_argument("--wrk-connections", type=int, default=16)
    ap.add_argument("--serve", type=int, default=5,
                    help="seconds of each wrk run in the serving comparison")
    ap.add_argument("--rounds", type=int, default=2,
                    help="alternating collector/nginx rounds")
    ap.add_argument("--hard-timeout", type=int, default=0,
                    help="abort after this many seconds (default: "
                         "duration + drain + serving + 90)")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir")
    ap.add_argument("--pin", action="store_true",
                    help="the collector's loop alone on CPU 0, the rest on "
                         "CPU 1 (idle and under load alike)")
    ap.add_argument("--pin-collector", action="store_true",
                    help="with --pin: every collector thread on CPU 0 "
                         "(the loop shares it with the writer), the rest "
                         "on CPU 1")
    ap.add_argument("--read", default="/api/v2/summary.json",
                    help="what wrk reads: a feed document, / (the page) or "
                         "a v1 API path such as /v1/pages/load/components "
                         "(read with an API key; no nginx rounds then)")
    args = ap.parse_args()
    if args.pin:
        if (os.cpu_count() or 1) < 2 or not shutil.which("taskset"):
            print("load_test: --pin needs 2 CPUs and taskset", flush=True)
            return 2
        PIN.extend(["taskset", "-c", "1"])
        PIN_WHOLE_COLLECTOR[0] = args.pin_collector
    elif args.pin_collector:
        print("load_test: --pin-collector goes with --pin", flush=True)
        return 2
    if args.read.startswith("/v1/"):
        READ_HEADERS.append(f"Authorization: OAuth {API_KEY}")

    hard = args.hard_timeout or (args.duration + args.drain +
                                 3 * args.rounds * (args.serve + 5) + 90)
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(hard)
    watchdog(hard + 30)
    signal.signal(signal.SIGTERM, lambda *_: on_alarm(None, None))

    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None:
            print(f"load_test: {tool} not found: run scripts/install-deps.sh "
                  "--bench", flush=True)
            return 2
    collector_bin = os.path.join(BUILD, "bin", "pharos-collector")
    agents_bin = os.path.join(BUILD, "bin", "load_agents")
    for b in (collector_bin, agents_bin):
        if not os.access(b, os.X_OK):
            print(f"load_test: {b} not built (PH_BUILD_DIR={BUILD})", flush=True)
            return 2

    d = tempfile.mkdtemp(prefix="pharos-load-", dir=os.environ.get("BENCH_DIR"))
    offered = args.agents * args.checks / args.interval
    log(f"dir {d}; hard timeout {hard} s")
    log(f"{args.agents} agents x {args.checks} checks every {args.interval} s "
        f"in {args.regions} regions = {offered:,.0f} results/s offered "
        f"for {args.duration} s")
    fig = {}
    rc = 0
    keep = args.keep
    try:
        port = free_port()
        conf, agent_ids = write_config(d, port, args)
        col_log = os.path.join(d, "collector.log")
        col = start([collector_bin, "-c", conf], stdout=open(col_log, "w"),
                    stderr=subprocess.STDOUT)
        # A large configuration (100,000 checks) takes a while to load.
        if not wait_port(port, timeout=30 + args.checks // 1000):
            log("collector did not come up:\n" + tail(col_log))
            return 2
        base = f"http://127.0.0.1:{port}"
        if args.pin:
            pin_collector(col.pid)
        log(f"collector up on {base} (pid {col.pid}, RSS "
            f"{status_kb(col.pid, 'VmRSS:') / 1024:.1f} MB)")

        # Phase 0: the same read from the idle collector before the load
        # too: on a shared machine the others' load drifts, and idle
        # rounds on both sides of the load phase average that out.
        idle_before = []
        busy_idle0 = loop_busy(base)
        for r in range(args.rounds):
            w = run_wrk(f"{base}{args.read}", args.serve, args.wrk_connections)
            idle_before.append(w)
            log(f"idle before load, round {r + 1}: {w['rps']} req/s, p99 "
                f"{w['p99_ms']} ms")
        fig["idle_before"] = idle_before
        fig["busy_idle"] = busy_summary(busy_idle0, loop_busy(base))
        log(f"loop busy per iteration, idle: {fig['busy_idle']}")

        # Phase 1: agents + wrk at once.
        agents_out = os.path.join(d, "agents.out")
        if args.pin:
            pin_collector(col.pid)
        ag = start(PIN + [agents_bin, "-u", f"{base}/v1/agent/results",
                    "-t", os.path.join(d, "tokens"), "-c", str(args.checks),
                    "-i", str(args.interval * 1000), "-d", str(args.duration),
                    "-b", str(args.batch_delay), "-m", str(args.max_batch),
                    "-D", str(args.drain)],
                   stdout=open(agents_out, "w"), stderr=sys.stdout)
        t_agents = time.time()
        log(f"agents started (pid {ag.pid}); wrk -c{args.wrk_connections} on "
            f"{args.read} for {args.duration} s")
        wrk_load = {}
        wrk_pid = []
        wt = threading.Thread(target=lambda: wrk_load.update(run_wrk(
            f"{base}{args.read}", args.duration,
            args.wrk_connections, wrk_pid)), daemon=True)
        wt.start()
        # CPU per process over the middle half of the load phase: on a
        # small machine the load generator and wrk take their share of
        # the cores the collector serves from.
        cpu_box = {}
        time.sleep(min(2.0, args.duration / 4))
        busy_box = {}

        def busy_during(secs):
            h0 = loop_busy(base)
            time.sleep(secs)
            busy_box["load"] = busy_summary(h0, loop_busy(base))
        bt = threading.Thread(target=busy_during, args=(args.duration / 2,),
                              daemon=True)
        bt.start()
        if wrk_pid:
            ct = threading.Thread(target=cpu_during, args=(
                {"collector": col.pid, "load_agents": ag.pid,
                 "wrk": wrk_pid[0]}, args.duration / 2, cpu_box),
                daemon=True)
            ct.start()
        try:
            ag_rc = ag.wait(timeout=args.duration + args.drain + 30)
        except subprocess.TimeoutExpired:
            log("load_agents did not finish in time; killing it")
            stop(ag, signal.SIGKILL)
            ag_rc = None
        wt.join(timeout=args.duration + 40)
        bt.join(timeout=args.duration + 40)
        fig["busy_load"] = busy_box.get("load")
        log(f"loop busy per iteration, under load: {fig['busy_load']}")
        fig["hwm_load_kb"] = status_kb(col.pid, "VmHWM:")
        fig["rss_load_kb"] = status_kb(col.pid, "VmRSS:")
        fig["cpu_s"] = cpu_seconds(col.pid)
        fig["cpu_span_s"] = time.time() - t_agents
        if col.poll() is not None:
            log(f"collector exited with {col.returncode}:\n" + tail(col_log))
            return 2
        agents, total = parse_agents_report(tail(agents_out, 10 ** 8))
        if ag_rc != 0 or total is None:
            log(f"load_agents failed (exit {ag_rc}); no report to check")
            return 2
        fig["wrk_load"] = wrk_load
        fig["cpu_box"] = cpu_box
        log("CPU during load (cores): " + ", ".join(
            f"{k} {v:.2f}" for k, v in sorted(cpu_box.items())))
        fig["total"] = total
        log(f"agents done: {int(total['acked']):,} results acked in "
            f"{int(total['batches']):,} batches, {int(total['pending']):,} "
            f"still queued, {int(total['failures'])} failed requests, "
            f"{int(total['connects'])} connections opened")
        log(f"wrk during load: {wrk_load.get('rps')} req/s, p99 "
            f"{wrk_load.get('p99_ms')} ms")

        # Nothing lost: the store holds exactly what was acked.
        stored = stored_by_agent(os.path.join(d, "state", "pharos.db"))
        lost, extra, bad = compare(agents, agent_ids, stored)
        for line in bad[:5]:
            log("MISMATCH " + line)
        stored_total = sum(v[0] for v in stored.values())
        fig.update(lost=lost, extra=extra, bad_agents=len(bad),
                   stored=stored_total)
        log(f"store: {stored_total:,} results rows; acked "
            f"{int(total['acked']):,}; lost {lost}, unexpected {extra}")
        if lost or extra:
            rc = 1
            keep = True
        try:
            metrics = fetch(f"{base}/metrics").decode()
            m = re.search(r"^pharos_results_ingested_total (\d+)", metrics, re.M)
            fig["metric_ingested"] = int(m.group(1)) if m else None
        except OSError:
            fig["metric_ingested"] = None

        # Phase 2: the same read from the idle collector (from memory)
        # vs nginx serving publish_dir (not for the v1 API).
        publish = os.path.join(d, "public")
        doc = fetch(f"{base}{args.read}")
        path = os.path.join(publish, args.read.lstrip("/") or "index.html")
        fsize = os.path.getsize(path) if os.path.exists(path) else 0
        nport = free_port()
        ng = nginx_start(os.path.join(d, "nginx"), publish, nport)
        if not wait_port(nport, timeout=15):
            log("nginx did not come up:\n" +
                tail(os.path.join(d, "nginx", "logs", "error.log")) +
                tail(os.path.join(d, "nginx", "logs", "stderr")))
            return 2 if rc == 0 else rc
        v1 = args.read.startswith("/v1/")
        ndoc = b"" if v1 else fetch(f"http://127.0.0.1:{nport}{args.read}")
        fig["doc_bytes"] = (len(doc), fsize, len(ndoc))
        log(f"{args.read}: {len(doc):,} bytes from the collector, "
            f"{len(ndoc):,} from nginx (file {fsize:,})")
        rounds = {"collector": [], "nginx": []}
        for r in range(args.rounds):
            for name, url in (("collector", f"{base}{args.read}"),
                              ("nginx", f"http://127.0.0.1:{nport}"
                                        f"{args.read}")):
                if v1 and name == "nginx":
                    continue
                w = run_wrk(url, args.serve, args.wrk_connections)
                rounds[name].append(w)
                log(f"round {r + 1} {name:9s}: {w['rps']} req/s, p99 "
                    f"{w['p99_ms']} ms, errors {w['errors']}, non-2xx "
                    f"{w['non2xx']}")
        fig["rounds"] = rounds
        # What else ran beside what is measured under load: on wrk's CPU
        # (its busy time, softirqs included, less wrk's own), or with
        # --pin-collector on the loop's (less the loop's own).
        cb = fig.get("cpu_box", {})
        hog_cpu = 0 if args.pin_collector else 1
        own = cb.get("collector loop", 0.0) if hog_cpu == 0 else \
            cb.get("wrk", 0.0)
        frac = min(0.95, max(0.0, cb.get(f"CPU {hog_cpu}", 0.0) - own))
        if args.pin and frac > 0:
            fig["control"] = control_rounds(f"{base}{args.read}", args, frac,
                                            hog_cpu)
            fig["control_frac"] = frac
            fig["control_cpu"] = hog_cpu
            for r, w in enumerate(fig["control"]):
                log(f"control round {r + 1} (idle, {frac:.2f} of CPU "
                    f"{hog_cpu} busy): {w['rps']} req/s, p99 "
                    f"{w['p99_ms']} ms")
        stop(ng)
        fig["hwm_end_kb"] = status_kb(col.pid, "VmHWM:")
        stop(col, grace=20)
        fig["collector_exit"] = col.returncode
        report(args, offered, fig)
    except HardTimeout:
        log(f"HARD TIMEOUT after {hard} s: stopping everything")
        rc = 3
        keep = True
    finally:
        signal.alarm(0)
        stop_all()
        if keep or os.environ.get("PH_KEEP_TMP"):
            log(f"kept {d}")
        else:
            shutil.rmtree(d, ignore_errors=True)
    return rc


def fmt(v, spec=",.0f", unit=""):
    return "-" if v is None else f"{v:{spec}}{unit}"


def mean(xs):
    xs = [x for x in xs if x is not None]
    return sum(xs) / len(xs) if xs else None


def report(args, offered, fig):
    t = fig["total"]
    acked = t["acked"]
    gen_rate = acked / t["end_s"] if t["end_s"] else None
    wl = fig["wrk_load"]
    col = fig["rounds"]["collector"] + fig.get("idle_before", [])
    ngx = fig["rounds"]["nginx"]
    c_rps = mean([w["rps"] for w in col])
    n_rps = mean([w["rps"] for w in ngx])
    ratio = c_rps / n_rps if c_rps and n_rps else None
    rows = [
        ("Offered", f"{args.agents} agents x {args.checks} checks / "
                    f"{args.interval} s", fmt(offered, unit=" results/s")),
        ("Produced in the run", f"{args.duration} s",
         fmt(t["generated"], unit=" results")),
        ("Acked by the collector", f"all done after {t['end_s']:.1f} s",
         fmt(acked, unit=" results")),
        ("Ingested rate", "acked / time to last ack",
         fmt(gen_rate, unit=" results/s")),
        ("Still queued at the end", "not sent (drain timeout)",
         fmt(t["pending"])),
        ("Batches / failed POSTs", "retried with the same seq",
         f"{t['batches']:,.0f} / {t['failures']:,.0f}"),
        ("Ack latency p50 / p99", "POST to Ack",
         f"{t['ack_p50_ms']:.1f} / {t['ack_p99_ms']:.1f} ms"),
        ("Stored rows vs acked", "sqlite results by agent",
         f"{fig['stored']:,} vs {acked:,.0f}: "
         + ("NOTHING LOST" if not fig["lost"] and not fig["extra"] else
            f"LOST {fig['lost']}, UNEXPECTED {fig['extra']}")),
        (f"{args.read} under load", f"wrk -t1 -c{args.wrk_connections}",
         f"{fmt(wl.get('rps'))} req/s, p50 {fmt(wl.get('p50_ms'), '.2f')} ms, "
         f"p99 {fmt(wl.get('p99_ms'), '.2f')} ms"),
        ("Collector CPU", "user+sys (ingest and wrk) / load wall time",
         f"{fig['cpu_s']:.0f} s in {fig['cpu_span_s']:.0f} s = "
         f"{fig['cpu_s'] / max(fig['cpu_span_s'], 1):.2f} cores"),
        ("Collector RSS", "VmHWM after load / VmRSS",
         f"{fig['hwm_load_kb'] / 1024:.1f} MB / "
         f"{fig['rss_load_kb'] / 1024:.1f} MB"),
        ("Idle: collector", f"{args.read}, {args.rounds} x {args.serve} s "
                            "before and after",
         f"{fmt(c_rps)} req/s, p50 "
         f"{fmt(mean([w['p50_ms'] for w in col]), '.2f')} ms, p99 "
         f"{fmt(mean([w['p99_ms'] for w in col]), '.2f')} ms"),
        ("Idle: nginx", "same file from publish_dir",
         f"{fmt(n_rps)} req/s, p50 "
         f"{fmt(mean([w['p50_ms'] for w in ngx]), '.2f')} ms, p99 "
         f"{fmt(mean([w['p99_ms'] for w in ngx]), '.2f')} ms"),
        ("Ratio collector / nginx", "goal >= 0.5", fmt(ratio, ".2f")),
        ("Under load / idle", "req/s (goal >= 0.9, p99 <= 5 ms)",
         fmt(wl.get("rps") / c_rps if wl.get("rps") and c_rps else None,
             ".2f")),
        (f"Control: idle, CPU {fig.get('control_cpu', 1)} shared",
         f"a busy loop taking {fig.get('control_frac', 0):.2f} of CPU "
         f"{fig.get('control_cpu', 1)}",
         (f"{fmt(mean([w['rps'] for w in fig['control']]))} req/s, p99 "
          f"{fmt(mean([w['p99_ms'] for w in fig['control']]), '.2f')} ms"
          if fig.get("control") else "- (--pin only)")),
        ("Under load / control", "1.0 = reads lose only the shared CPU",
         fmt(wl.get("rps") / mean([w["rps"] for w in fig["control"]])
             if fig.get("control") and wl.get("rps") else None, ".2f")),
        ("Loop busy, idle", "per iteration (/metrics histogram)",
         fig.get("busy_idle") or "-"),
        ("Loop busy, under load", "per iteration, middle of the load",
         fig.get("busy_load") or "-"),
        ("CPU during load", "cores, middle of the load phase",
         ", ".join(f"{k} {v:.2f}" for k, v in
                   sorted(fig.get("cpu_box", {}).items())) or "-"),
    ]
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    print("\n" + "=" * 78, flush=True)
    print(f"{'What':{w0}}  {'How':{w1}}  Figure")
    print(f"{'-' * w0}  {'-' * w1}  {'-' * 30}")
    for a, b, c in rows:
        print(f"{a:{w0}}  {b:{w1}}  {c}")
    print("=" * 78)
    print(f"{args.read}: {fig['doc_bytes'][0]:,} bytes; collector counted "
          f"{fmt(fig.get('metric_ingested'))} results ingested; exit on "
          f"SIGTERM {fig.get('collector_exit')}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
