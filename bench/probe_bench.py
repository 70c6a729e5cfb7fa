#!/usr/bin/env python3
"""Agent benchmarks (issue: probes), each printed beside a reference
measured in the same run on the same target:

1. CPU per HTTP probe: pharos-agent vs prometheus-blackbox-exporter, both
   probing the same nginx URL N times (CPU time from the kernel's rusage
   of each process, divided by N). Goal: pharos <= 1/16 of blackbox.
2. Probe rate: pharos-agent running N checks at once vs `wrk -t1 -c32`
   with 'Connection: close' (a new connection per request, like a probe)
   on the same URL; 5 rounds interleaved, medians. Goal: pharos >= 0.7 x
   wrk. With --pin the client (the agent, or wrk) runs on CPU 0 and nginx
   on CPU 1, so that the rate is the client's and not how the two share
   the cores.
3. Memory of a running agent with a plan of 10,000 checks from a
   collector, against the same agent with 1 check: private memory
   (Private_Clean + Private_Dirty of /proc/PID/smaps_rollup) per
   scheduled check. Goal: <= 300 bytes (10,000 checks in 3 MB).

Usage: bench/probe_bench.py [--probes N]   (needs a build in build/ and
`scripts/install-deps.sh --bench`). Prints figures; asserts nothing.

Before/after (issue #13 item 7): bench/probe_bench.py --compare OLD_BUILD
[--rounds R] runs the agent of OLD_BUILD and of build/ in turn, R rounds
interleaved (old, new, new, old, ...) so the noise of a shared machine
falls on both, and prints the median of each: CPU time per HTTP probe
(`pharos-agent once`, the kernel's rusage of the process) and CPU time
of an agent taking a plan of 10,000 checks from a collector (plan fetch
and decode, schedule set-up; 10 min interval so no probe runs).
"""
import argparse
import json
import os
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("PH_BUILD_DIR", os.path.join(ROOT, "build"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "lib"))
from peers import Nginx, free_port, wait_port  # noqa: E402

# `pharos-agent once` runs 32 probes at a time, as wrk below holds 32
# connections (-c32); blackbox_exporter is asked one probe at a time.
PARALLEL = ["--parallel", "32"]


# --pin: the client measured (the agent or wrk) on CPU 0, nginx on CPU 1,
# so that neither takes the other's CPU and the rate is the client's.
CLIENT_PIN = []


def pin_nginx(master_pid):
    pids = [master_pid]
    try:
        with open(f"/proc/{master_pid}/task/{master_pid}/children") as f:
            pids += [int(x) for x in f.read().split()]
    except OSError:
        pass
    for pid in pids:
        for tid in os.listdir(f"/proc/{pid}/task"):
            os.sched_setaffinity(int(tid), {1})
    return len(pids)


def cpu_of(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def private_kb(pid):
    """Private memory of pid: Private_Clean + Private_Dirty of
    /proc/PID/smaps_rollup (heap, stacks, written library data; not the
    library pages it shares with other processes)."""
    total = 0
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith(("Private_Clean:", "Private_Dirty:")):
                total += int(line.split()[1])
    return total


def rss_kb(pid, field="VmRSS:"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])
    return 0


def write_checks_conf(path, url, n, interval="30s", port=None, token_sha=None,
                      timeout="5s"):
    with open(path, "w") as f:
        f.write("page: {id: bench, name: Bench}\nregions: [{id: r1}]\n")
        if port:
            f.write(f'server: {{listen: "127.0.0.1:{port}", state_dir: state,'
                    f' web_dir: {os.path.join(ROOT, "web")}}}\n')
        if token_sha:
            f.write(f"agents: [{{id: a1, region: r1, token_sha256: {token_sha}}}]\n")
        f.write(f"defaults: {{interval: {interval}, timeout: {timeout}}}\n")
        f.write("components:\n  - id: c\n    name: C\n    checks:\n")
        for i in range(n):
            f.write(f'      - {{id: p{i}, type: http, url: "{url}"}}\n')


def bench_cpu(d, url, n):
    conf = os.path.join(d, "once.yml")
    write_checks_conf(conf, url, n)
    t0 = time.time()
    p = subprocess.Popen([os.path.join(BUILD, "bin", "pharos-agent"), "once",
                          "-c", conf] + PARALLEL, stdout=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.time() - t0
    pharos_cpu = ru.ru_utime + ru.ru_stime
    p.returncode = os.waitstatus_to_exitcode(status)

    bb = shutil.which("prometheus-blackbox-exporter")
    bb_cpu = None
    if bb:
        bport = free_port()
        bconf = os.path.join(d, "blackbox.yml")
        with open(bconf, "w") as f:
            f.write("modules:\n  http_2xx:\n    prober: http\n    timeout: 5s\n")
        bp = subprocess.Popen([bb, f"--config.file={bconf}",
                               f"--web.listen-address=127.0.0.1:{bport}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(bport)
        probe = f"http://127.0.0.1:{bport}/probe?module=http_2xx&target={url}"
        for _ in range(20):  # warm up
            urllib.request.urlopen(probe).read()
        c0 = cpu_of(bp.pid)
        for _ in range(n):
            urllib.request.urlopen(probe).read()
        bb_cpu = cpu_of(bp.pid) - c0
        bp.terminate()
        bp.wait()
    print(f"[cpu] {n} HTTP probes of {url}")
    print(f"  pharos-agent:     {pharos_cpu * 1e6 / n:8.1f} us CPU per probe "
          f"(exit {p.returncode}, {n / wall:.0f} probes/s wall)")
    if bb_cpu is not None:
        print(f"  blackbox_exporter:{bb_cpu * 1e6 / n:8.1f} us CPU per probe")
        print(f"  ratio pharos/blackbox = {pharos_cpu / bb_cpu:.3f} (goal <= 0.0625)")
    else:
        print("  blackbox_exporter not installed: run scripts/install-deps.sh --bench")
    return n / wall


def agent_burst_rate(conf, n):
    """Probes per second of `pharos-agent once` running n checks, 32 at a
    time, from process start to exit (start-up and config parse
    included), and its CPU time (user + system) per probe in us."""
    t0 = time.time()
    p = subprocess.Popen(CLIENT_PIN + [os.path.join(BUILD, "bin", "pharos-agent"),
                                       "once", "-c", conf] + PARALLEL,
                         stdout=subprocess.DEVNULL)
    _, _, ru = os.wait4(p.pid, 0)
    return n / (time.time() - t0), (ru.ru_utime + ru.ru_stime) * 1e6 / n


def wrk_rate(wrk, url, conns=32, secs=5):
    """Requests per second of `wrk -t1` with keep-alive off (the header
    makes nginx close each connection, so every request is a new one),
    and wrk's CPU time per request in us."""
    p = subprocess.Popen(CLIENT_PIN + [wrk, "-t1", f"-c{conns}", f"-d{secs}s", "-H",
                          "Connection: close", url],
                         stdout=subprocess.PIPE, text=True)
    out = p.stdout.read()
    _, _, ru = os.wait4(p.pid, 0)
    rate, total = 0.0, 0
    for line in out.splitlines():
        if line.startswith("Requests/sec:"):
            rate = float(line.split()[1])
        if "requests in" in line:
            total = int(line.split()[0])
    cpu = (ru.ru_utime + ru.ru_stime) * 1e6 / total if total else 0.0
    return rate, cpu


def bench_rate(d, url, n, rounds=5):
    conf = os.path.join(d, "rate.yml")
    write_checks_conf(conf, url, n)
    wrk = shutil.which("wrk")
    agent, ref, agent_cpu, ref_cpu = [], [], [], []
    # Interleaved rounds, so the noise of a shared machine falls on both.
    for _ in range(rounds):
        r, c = agent_burst_rate(conf, n)
        agent.append(r)
        agent_cpu.append(c)
        if wrk:
            r, c = wrk_rate(wrk, url)
            ref.append(r)
            ref_cpu.append(c)
    print(f"[rate] probes per second, new connection each, {n} probes, "
          f"median of {rounds} rounds")
    print(f"  pharos-agent: {median(agent):9.0f} probes/s  "
          f"({' '.join(f'{x:.0f}' for x in agent)})")
    if wrk:
        print(f"  wrk -t1 -c32 'Connection: close': {median(ref):9.0f} "
              f"requests/s  ({' '.join(f'{x:.0f}' for x in ref)})")
        if median(ref):
            print(f"  ratio pharos/wrk = {median(agent) / median(ref):.2f} "
                  f"(goal >= 0.7)")
        print(f"  CPU per request (user + system): pharos-agent "
              f"{median(agent_cpu):.1f} us, wrk {median(ref_cpu):.1f} us "
              f"(medians; the rate ratio a CPU-bound agent could reach: "
              f"{median(ref_cpu) / median(agent_cpu):.2f})")
    else:
        print("  wrk not installed: run scripts/install-deps.sh --bench")


def agent_memory(d, url, n):
    """RSS and private kB of a running agent with a plan of n checks (10 min
    interval, so few probes run) from a collector, once the plan is
    applied (the agent's CPU time stops growing)."""
    token = "ph_" + secrets.token_urlsafe(32)
    import hashlib
    sha = hashlib.sha256(token.encode()).hexdigest()
    port = free_port()
    conf = os.path.join(d, f"rss{n}.yml")
    write_checks_conf(conf, url, n, interval="10m", port=port, token_sha=sha)
    with open(os.path.join(d, "agent.token"), "w") as f:
        f.write(token + "\n")
    with open(os.path.join(d, "agent.yml"), "w") as f:
        f.write(f'collector: "http://127.0.0.1:{port}"\ntoken_file: agent.token\n')
    col = subprocess.Popen([os.path.join(BUILD, "bin", "pharos-collector"), "-c",
                            conf], cwd=d, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    try:
        wait_port(port)
        ag = subprocess.Popen([os.path.join(BUILD, "bin", "pharos-agent"), "run",
                               "-c", os.path.join(d, "agent.yml")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True)
        # The plan is applied when the agent logs it; then let it settle.
        wait_plan(ag, col)
        time.sleep(2)
        rss, priv = rss_kb(ag.pid), private_kb(ag.pid)
        ag.terminate()
        ag.communicate()
    finally:
        col.terminate()
        col.wait()
    return rss, priv


def wait_plan(ag, col, secs=120):
    """Until the agent logs its plan; fails if either process exits."""
    import select
    end = time.time() + secs
    while time.time() < end:
        if col.poll() is not None or ag.poll() is not None:
            raise SystemExit("the collector or the agent exited")
        if select.select([ag.stderr], [], [], 1)[0]:
            line = ag.stderr.readline()
            if "plan" in line and "checks" in line:
                return
    raise SystemExit("no plan in time")


def ingested(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics") as r:
        for line in r.read().decode().splitlines():
            if line.startswith("pharos_results_ingested_total "):
                return int(float(line.split()[1]))
    return 0


def bench_run(d, url, n=2000, secs=10):
    """The running agent (`pharos-agent run`, scheduler and result batches
    to a collector included): n checks at a 1 s interval, CPU of the agent
    per result the collector committed, over secs seconds once the plan
    has run for a while."""
    token = "ph_" + secrets.token_urlsafe(32)
    import hashlib
    sha = hashlib.sha256(token.encode()).hexdigest()
    port = free_port()
    conf = os.path.join(d, "run.yml")
    write_checks_conf(conf, url, n, interval="1s", port=port, token_sha=sha,
                      timeout="900ms")
    with open(os.path.join(d, "agent.token"), "w") as f:
        f.write(token + "\n")
    with open(os.path.join(d, "agent.yml"), "w") as f:
        f.write(f'collector: "http://127.0.0.1:{port}"\ntoken_file: agent.token\n')
    col = subprocess.Popen([os.path.join(BUILD, "bin", "pharos-collector"), "-c",
                            conf], cwd=d, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    try:
        wait_port(port)
        ag = subprocess.Popen([os.path.join(BUILD, "bin", "pharos-agent"), "run",
                               "-c", os.path.join(d, "agent.yml")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True)
        wait_plan(ag, col)
        time.sleep(3)
        c0, m0, t0 = cpu_of(ag.pid), ingested(port), time.time()
        time.sleep(secs)
        c1, m1, t1 = cpu_of(ag.pid), ingested(port), time.time()
        ag.terminate()
        ag.communicate()
    finally:
        col.terminate()
        col.wait()
    got = m1 - m0
    print(f"[run] pharos-agent run, {n} http checks every 1 s, {secs} s:")
    if got:
        print(f"  {got / (t1 - t0):.0f} results/s committed (scheduled: {n}/s);"
              f" agent CPU {(c1 - c0) * 1e6 / got:.1f} us per probe "
              f"(probe, scheduler, batches to the collector)")


def bench_rss(d, url, n=10000):
    rss0, priv0 = agent_memory(d, url, 1)
    rss, priv = agent_memory(d, url, n)
    per = (priv - priv0) * 1024 / (n - 1)
    print(f"[memory] pharos-agent run, plan of {n} checks (10 min interval):"
          f" {rss / 1024:.1f} MB RSS, {priv / 1024:.2f} MB private"
          f" (Private_Clean + Private_Dirty, smaps_rollup)")
    print(f"  with 1 check: {rss0 / 1024:.1f} MB RSS, {priv0 / 1024:.2f} MB "
          f"private; {per:.0f} bytes private per scheduled check (goal <= 300;"
          f" 10,000 checks in 3 MB private)")


def once_cpu(build, conf):
    p = subprocess.Popen([os.path.join(build, "bin", "pharos-agent"), "once",
                          "-c", conf], stdout=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{build}: pharos-agent once failed")
    return ru.ru_utime + ru.ru_stime


def plan_cpu(build, d, port, n):
    """CPU seconds of an agent of build from start until it has fetched and
    applied the plan of n checks (the collector's log of the agent's first
    batch is not needed: the plan version shows in the agent's debug log)."""
    ag = subprocess.Popen([os.path.join(build, "bin", "pharos-agent"), "run",
                           "-c", os.path.join(d, "agent.yml")],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Wait until the agent's CPU stops growing: the plan is applied.
    last, still = -1.0, 0
    while still < 5:
        time.sleep(0.2)
        c = cpu_of(ag.pid)
        still = still + 1 if c == last else 0
        last = c
    ag.terminate()
    ag.wait()
    return last


def median(xs):
    xs = sorted(xs)
    m = len(xs) // 2
    return xs[m] if len(xs) % 2 else (xs[m - 1] + xs[m]) / 2


def compare(d, url, old_build, probes, rounds, nplan=10000):
    conf = os.path.join(d, "once.yml")
    write_checks_conf(conf, url, probes)
    token = "ph_" + secrets.token_urlsafe(32)
    import hashlib
    sha = hashlib.sha256(token.encode()).hexdigest()
    port = free_port()
    pconf = os.path.join(d, "plan.yml")
    write_checks_conf(pconf, url, nplan, interval="10m", port=port,
                      token_sha=sha)
    with open(os.path.join(d, "agent.token"), "w") as f:
        f.write(token + "\n")
    with open(os.path.join(d, "agent.yml"), "w") as f:
        f.write(f'collector: "http://127.0.0.1:{port}"\n'
                "token_file: agent.token\n")
    # The new collector: it sends both forms, and an old agent reads the
    # frozen one, so both agents load the same plan from it.
    col = subprocess.Popen([os.path.join(BUILD, "bin", "pharos-collector"),
                            "-c", pconf], cwd=d, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    wait_port(port)
    builds = {"before": old_build, "after": BUILD}
    once = {"before": [], "after": []}
    plan = {"before": [], "after": []}
    try:
        for name in builds:  # warm-up, not counted
            once_cpu(builds[name], conf)
        for r in range(rounds):
            order = ["before", "after"] if r % 2 == 0 else ["after", "before"]
            for name in order:
                once[name].append(once_cpu(builds[name], conf) * 1e6 / probes)
                plan[name].append(plan_cpu(builds[name], d, port, nplan) * 1e3)
    finally:
        col.terminate()
        col.wait()
    print(f"[compare] {rounds} interleaved rounds; before = {old_build}, "
          f"after = {BUILD}")
    for label, data, unit in (
            (f"CPU per HTTP probe ({probes} probes, once)", once, "us"),
            (f"CPU to load a plan of {nplan} checks (run)", plan, "ms")):
        b, a = median(data["before"]), median(data["after"])
        print(f"  {label}: before {b:.1f} {unit}, after {a:.1f} {unit} "
              f"(median), change {(a - b) / b * 100:+.1f} %")
        print(f"    before: {' '.join(f'{x:.1f}' for x in data['before'])}")
        print(f"    after:  {' '.join(f'{x:.1f}' for x in data['after'])}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--probes", type=int, default=2000)
    ap.add_argument("--rate-probes", type=int, default=20000,
                    help="probes per round of the rate bench (start-up is "
                    "spread over them)")
    ap.add_argument("--compare", metavar="OLD_BUILD",
                    help="build dir of the version to compare with")
    ap.add_argument("--rounds", type=int, default=None,
                    help="rounds (default 7 with --compare, else 5)")
    ap.add_argument("--pin", action="store_true",
                    help="rate: the client on CPU 0, nginx on CPU 1")
    ap.add_argument("--only", choices=["cpu", "rate", "memory", "run"],
                    help="run one of the three")
    args = ap.parse_args()
    d = tempfile.mkdtemp(prefix="pharos-bench-")
    port = free_port()
    ng = Nginx(d, [f"listen 127.0.0.1:{port} backlog=4096;\n"
                   'location = / { return 200 "ok\\n"; }'],
               worker_connections=8192)
    try:
        wait_port(port)
        if args.pin:
            if (os.cpu_count() or 1) < 2:
                print("probe_bench: --pin needs 2 CPUs")
                return
            CLIENT_PIN.extend(["taskset", "-c", "0"])
            print(f"[pin] nginx ({pin_nginx(ng.p.pid)} processes) on CPU 1, "
                  "the client on CPU 0")
        url = f"http://127.0.0.1:{port}/"
        if args.compare:
            compare(d, url, args.compare, args.probes, args.rounds or 7)
            return
        if args.only in (None, "cpu"):
            bench_cpu(d, url, args.probes)
        if args.only in (None, "rate"):
            bench_rate(d, url, args.rate_probes, args.rounds or 5)
        if args.only in (None, "memory"):
            bench_rss(d, url)
        if args.only in (None, "run"):
            bench_run(d, url)
    finally:
        ng.stop()
        shutil.rmtree(d, ignore_errors=True)

if __name__ == "__main__":
    main()
