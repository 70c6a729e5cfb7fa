#!/usr/bin/env python3
"""The shipped systemd units stay hardened and still fit the daemons.

1. `systemd-analyze security --offline=true` rates each unit in
   deploy/systemd at most 1.5 ("Overall exposure level"); a bare unit is
   rated far above that, so the measurement itself is checked too.
2. `systemd-analyze verify` accepts each unit (with ExecStart pointing at
   this build) and reports nothing: an unknown or misspelt directive is
   only a warning to systemd, here it fails.
3. The units' seccomp allow list (SystemCallFilter=, as systemd expands
   it) covers every system call the collector and the agent make while
   they validate their configs, start, ingest results, reload and stop,
   traced with strace; and the sockets they open are of the families
   RestrictAddressFamilies= allows. No systemd runs as PID 1 in the test
   container, so this is how the filter is shown not to break them.

systemd-analyze and strace come from scripts/install-deps.sh --test; a
missing tool is a failure, not a skip."""
import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pharos_harness import (BUILD, SRC, Harness, free_port,  # noqa: E402
                            http_get, serve_target, wait_until)
from oncetest import Results  # noqa: E402

MAX_EXPOSURE = 1.5
NOBODY = (65534, 65534)
UNITS = sorted(glob.glob(os.path.join(SRC, "deploy", "systemd", "*.service")))


def exposure(analyze, path):
    """systemd-analyze's overall exposure of the unit file at path, or
    (None, output) when it cannot be read from the output."""
    p = subprocess.run([analyze, "security", "--offline=true", "--no-pager",
                        path], capture_output=True, text=True, timeout=60)
    m = re.search(r"Overall exposure level for \S+: (\d+(?:\.\d+)?)",
                  p.stdout + p.stderr)
    return (float(m.group(1)) if m else None), p.stdout + p.stderr


def unit_settings(path):
    """[Service] settings of a unit file: name -> list of values."""
    out, section = {}, None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("["):
                section = line
                continue
            if section == "[Service]" and "=" in line:
                k, v = line.split("=", 1)
                out.setdefault(k, []).append(v)
    return out


def expand_filter(analyze, items):
    """Names of the system calls that SystemCallFilter items stand for."""
    names = set()
    groups = [i for i in items if i.startswith("@")]
    names |= {i for i in items if not i.startswith("@")}
    if groups:
        p = subprocess.run([analyze, "syscall-filter", "--no-pager"] + groups,
                           capture_output=True, text=True, timeout=60)
        for line in p.stdout.splitlines():
            line = line.strip()
            if line and not line.startswith(("#", "@")):
                names.add(line)
        # Groups name groups; expand those nested ones too.
        nested = {ln.strip() for ln in p.stdout.splitlines()
                  if ln.startswith("    @")}
        if nested:
            names |= expand_filter(analyze, sorted(nested))
    return names


def allowed_syscalls(analyze, settings):
    """The allow list systemd builds from SystemCallFilter= lines: the
    first non-~ line starts an allow list, ~ lines remove from it."""
    allow = set()
    for v in settings.get("SystemCallFilter", []):
        deny = v.startswith("~")
        items = v.lstrip("~").split()
        if deny:
            allow -= expand_filter(analyze, items)
        else:
            allow |= expand_filter(analyze, items)
    return allow


CALL = re.compile(r"^\d+\s+(?:<\.\.\. )?([a-z0-9_]+)(?:\(| resumed>)")
SOCKET = re.compile(r"^\d+\s+socket(?:pair)?\((AF_[A-Z0-9]+)")


def trace_summary(text):
    """(system call names, socket families) in strace -f output."""
    calls, families = set(), set()
    for line in text.splitlines():
        m = CALL.match(line)
        if m:
            calls.add(m.group(1))
        m = SOCKET.match(line)
        if m:
            families.add(m.group(1))
    return calls, families


class TracedHarness(Harness):
    """Starts every program under strace -f; stop() signals the traced
    program itself so it shuts down as it would under systemd."""

    def __init__(self, name, strace):
        super().__init__(name)
        self.traces = {}
        self.prefix = [strace, "-f", "-qq", "-o"]
        # LeakSanitizer cannot work under ptrace (it aborts the program at
        # exit): in a sanitizer build the traced programs run without it.
        # Every other test still checks for leaks.
        opts = os.environ.get("ASAN_OPTIONS")
        os.environ["ASAN_OPTIONS"] = (opts + ":" if opts else "") + \
            "detect_leaks=0"
        # The units run the daemons as their own users, and some libraries
        # behave differently for root (sqlite fchown()s its journal to the
        # database's owner), so trace them as an unprivileged user too.
        if os.geteuid() == 0:
            self.prefix = [shutil.which("setpriv"), f"--reuid={NOBODY[0]}",
                           f"--regid={NOBODY[1]}", "--clear-groups",
                           "--"] + self.prefix
            os.chown(self.dir, *NOBODY)

    def traced(self, key, argv):
        out = os.path.join(self.dir, f"{key}.strace")
        self.traces[key] = out
        return self.prefix + [out] + argv

    def _start(self, key, argv):
        return super()._start(key, self.traced(key, argv))

    def stop(self, key, sig=signal.SIGTERM):
        p = self.procs.get(key)
        if p is not None and p.poll() is None:
            kids = traced_children(p.pid)
            for k in kids:
                os.kill(k, sig)
            if kids:
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    pass
            if p.poll() is not None:
                self.procs.pop(key)
                return p.returncode
        return super().stop(key, sig)


def traced_children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def check_security(res, analyze):
    res.check("deploy/systemd has the collector and agent units",
              [os.path.basename(u) for u in UNITS]
              == ["pharos-agent.service", "pharos-collector.service"], UNITS)
    for u in UNITS:
        level, out = exposure(analyze, u)
        res.check(f"{os.path.basename(u)}: exposure {level} <= {MAX_EXPOSURE}",
                  level is not None and level <= MAX_EXPOSURE, out[-3000:])

    # The same measurement rates an unhardened unit high: the number is
    # read from the right line and the bar means something.
    with tempfile.TemporaryDirectory() as d:
        bare = os.path.join(d, "bare.service")
        with open(bare, "w") as f:
            f.write("[Service]\nExecStart=/bin/true\n")
        level, out = exposure(analyze, bare)
        res.check("a bare unit is rated above the bar",
                  level is not None and level > 5.0, out[-1000:])


def check_verify(res, analyze):
    """verify each unit with its programs pointing at this build."""
    with tempfile.TemporaryDirectory() as d:
        for u in UNITS:
            with open(u) as f:
                text = f.read()
            text = text.replace("/usr/bin/", os.path.join(BUILD, "bin") + "/")
            path = os.path.join(d, os.path.basename(u))
            with open(path, "w") as f:
                f.write(text)
            p = subprocess.run([analyze, "verify", path], capture_output=True,
                               text=True, timeout=60)
            res.check(f"{os.path.basename(u)}: systemd-analyze verify is clean",
                      p.returncode == 0 and not (p.stdout + p.stderr).strip(),
                      p.stdout + p.stderr)


def run_traced(res, strace):
    """Runs the ExecStartPre checks, then a collector and an agent through
    ingest and a reload, all under strace. Returns {unit name: trace files}."""
    h = TracedHarness("units", strace)
    tport = free_port()
    target = serve_target(tport)
    files = {"pharos-collector.service": [], "pharos-agent.service": []}
    try:
        h.write_config(regions=["r1"], components_yaml=f"""
components:
  - id: web
    name: Web site
    checks:
      - id: web-http
        type: http
        url: "http://127.0.0.1:{tport}/"
        interval: 1s
        timeout: 500ms
""")
        # ExecStartPre= of each unit, traced the same way.
        p = subprocess.run(h.traced("collector-check",
                                    [h.bin("pharos-collector"), "--check",
                                     "-c", h.conf_path]),
                           capture_output=True, text=True, timeout=60)
        res.check("traced collector --check passes", p.returncode == 0,
                  p.stdout + p.stderr)
        files["pharos-collector.service"].append(h.traces["collector-check"])

        h.start_collector()
        h.start_agent("r1")
        aconf = os.path.join(h.dir, "agent-r1.yml")
        p = subprocess.run(h.traced("agent-check", [h.bin("pharos-agent"),
                                                    "-n", "-c", aconf]),
                           capture_output=True, text=True, timeout=60,
                           cwd=h.dir)
        res.check("traced agent -n passes", p.returncode == 0,
                  p.stdout + p.stderr)
        files["pharos-agent.service"].append(h.traces["agent-check"])

        ok = wait_until(lambda: h.region_states("web-http") == {"r1": "up"},
                        30)
        res.check("traced agent's results reach the traced collector", ok,
                  str(h.region_states("web-http")))
        coll = h.procs["collector"]
        kids = traced_children(coll.pid)
        for k in kids:
            os.kill(k, signal.SIGHUP)
        ok = wait_until(lambda: "reload" in open(h.logs["collector"]).read(),
                        15)
        res.check("traced collector reloads on SIGHUP", kids and ok)
        res.check("traced collector still serves the feed",
                  http_get(h.url("/api/v2/summary.json"))[0] == 200)
        res.check("page is served", http_get(h.url("/"))[0] == 200)
        res.check("agent stops cleanly under strace",
                  h.stop("agent-r1") == 0)
        res.check("collector stops cleanly under strace",
                  h.stop("collector") == 0)
        files["pharos-collector.service"].append(h.traces["collector"])
        files["pharos-agent.service"].append(h.traces["agent-r1"])
        if not all(ok for _, ok in res.items):
            h.dump_logs()
    finally:
        target.shutdown()
        texts = {unit: [open(t).read() for t in fl if os.path.exists(t)]
                 for unit, fl in files.items()}
        h.stop_all()
    return texts


def check_filters(res, analyze, traces):
    for u in UNITS:
        name = os.path.basename(u)
        settings = unit_settings(u)
        allow = allowed_syscalls(analyze, settings)
        res.check(f"{name}: SystemCallFilter= is an allow list",
                  len(allow) > 100, len(allow))
        families = set(" ".join(settings.get("RestrictAddressFamilies",
                                             [])).split())
        calls, used = set(), set()
        for text in traces.get(name, []):
            c, fam = trace_summary(text)
            calls |= c
            used |= fam
        res.check(f"{name}: the daemon was traced", len(calls) > 20,
                  sorted(calls))
        res.check(f"{name}: every traced system call is allowed",
                  calls and calls <= allow, sorted(calls - allow))
        res.check(f"{name}: every socket family is allowed",
                  used <= families, sorted(used - families))


def main():
    res = Results()
    analyze = shutil.which("systemd-analyze")
    strace = shutil.which("strace")
    res.check("systemd-analyze is installed (scripts/install-deps.sh --test)",
              analyze is not None)
    res.check("strace is installed (scripts/install-deps.sh --test)",
              strace is not None)
    if analyze is None or strace is None:
        return res.finish()
    check_security(res, analyze)
    check_verify(res, analyze)
    check_filters(res, analyze, run_traced(res, strace))
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
