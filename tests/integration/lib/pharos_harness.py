"""Runs real Pharos processes on loopback for integration tests.

Harness(name) makes a temp dir; write_config() writes a collector config
with one agent per region (random tokens, stored only as token files);
start_collector()/start_agent() start the real binaries from
$PH_BUILD_DIR/bin; stop_all() stops everything (SIGTERM, then SIGKILL).
Every wait is bounded.

The daemons are judged, not just used: stop_all() reports a problem when
a process it started exited non-zero (unless the test declared it: kill()
for a deliberate SIGKILL, expect_exit() for a deliberate failure) or when
one of its logs holds a sanitizer report. Results.finish() counts those
problems as failed checks, and a failed run keeps its temp dir and prints
the tails of the logs.

Skips are skips: skip() and Results.skip() end the test with exit status
77 (ctest's SKIP_RETURN_CODE), or 1 when CI=true, where nothing may be
skipped. A test that ran no check fails.
"""
import json
import os
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

SRC = os.environ.get("PH_SOURCE_DIR",
                     os.path.abspath(os.path.join(os.path.dirname(__file__),
                                                  "..", "..", "..")))
BUILD = os.environ.get("PH_BUILD_DIR", os.path.join(SRC, "build"))


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, method="GET", data=None, headers=None, timeout=5,
             ok_codes=(200,)):
    """Returns (status, body bytes). ok_codes=None accepts any status."""
    req = urllib.request.Request(url, data=data, method=method,
                                 headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            code, body = r.status, r.read()
    except urllib.error.HTTPError as e:
        code, body = e.code, e.read()
    if ok_codes is not None and code not in ok_codes:
        raise AssertionError(f"{method} {url}: HTTP {code}: {body[:200]!r}")
    return code, body


SKIP_RC = 77
# Lines that sanitizers print when they find something (ASan, LSan, UBSan,
# TSan). Any of them in a daemon's log fails the test.
SANITIZER_RE = re.compile(r"ERROR: AddressSanitizer|ERROR: LeakSanitizer|"
                          r"runtime error:|WARNING: ThreadSanitizer")
# Problems found by stop_all() in this process, read by Results.finish().
_problems = []


def in_ci():
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def skip(why):
    """Ends the whole test as skipped (exit 77), or failed under CI."""
    print(f"SKIP: {why}")
    if in_ci():
        print("FAIL: CI=true, where a skip is a failure")
        print("0 passed, 1 failed, 1 skipped")
        sys.exit(1)
    print("0 passed, 0 failed, 1 skipped")
    sys.exit(SKIP_RC)


def take_problems():
    """Returns and forgets the daemon problems found so far (for the
    harness self-test, which provokes them on purpose)."""
    got = list(_problems)
    del _problems[:]
    return got


class Results:
    """check() records one named assertion; skip() records a part that
    could not run; finish() prints the counts and returns the exit status."""

    def __init__(self):
        self.items = []
        self.skipped = []

    def check(self, name, cond, detail=""):
        self.items.append((name, bool(cond)))
        print(("ok   " if cond else "FAIL ") + name +
              (f": {detail}" if detail and not cond else ""), flush=True)
        return bool(cond)

    def skip(self, name, why):
        """Records a part of the test that could not run. Under CI that is
        a failure unless `name` is listed in $PH_CI_ALLOWED_SKIPS (comma
        separated; .ci/run says why each entry is there)."""
        allowed = [n.strip() for n in
                   os.environ.get("PH_CI_ALLOWED_SKIPS", "").split(",")]
        if in_ci() and name in allowed:
            print(f"SKIP {name}: {why} (allowed under CI by "
                  "PH_CI_ALLOWED_SKIPS)", flush=True)
            self.allowed_skips = getattr(self, "allowed_skips", 0) + 1
            return
        self.skipped.append(name)
        print(f"SKIP {name}: {why}", flush=True)

    def finish(self):
        for p in take_problems():
            self.check("daemon: " + p, False)
        if not self.items and not self.skipped and not getattr(
                self, "allowed_skips", 0):
            self.check("the test ran at least one check", False)
        failed = sum(1 for _, ok in self.items if not ok)
        if self.skipped and in_ci():
            self.check(f"nothing skipped under CI ({len(self.skipped)} were)",
                       False)
            failed += 1
        print(f"{len(self.items) - failed} passed, {failed} failed"
              + (f", {len(self.skipped)} skipped" if self.skipped else ""))
        if failed:
            return 1
        return SKIP_RC if self.skipped else 0


def wait_for(pred, timeout_s, what, interval_s=0.2):
    """wait_until() that raises TimeoutError naming `what` on timeout, for
    waits that set up a later check rather than being one."""
    if not wait_until(pred, timeout_s, interval_s):
        raise TimeoutError(f"timed out after {timeout_s} s waiting for {what}")


def http_call(method, url, headers=None, body=None, timeout=5):
    """(status, headers, body bytes) for any status; body is sent as JSON
    unless it is bytes."""
    data = body if isinstance(body, (bytes, type(None))) else \
        json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method,
                                 headers=dict(headers or {}))
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def wait_until(pred, timeout_s, interval_s=0.2):
    end = time.time() + timeout_s
    while time.time() < end:
        try:
            if pred():
                return True
        except Exception:
            pass
        time.sleep(interval_s)
    try:
        return bool(pred())
    except Exception:
        return False


class Harness:
    def __init__(self, name):
        self.dir = tempfile.mkdtemp(prefix=f"pharos-{name}-")
        self.port = free_port()
        self.procs = {}
        self.tokens = {}
        self.logs = {}
        self.runs = []        # every process started, in order: _Run
        self.conf_path = os.path.join(self.dir, "pharos.yml")

    def bin(self, name):
        path = os.path.join(BUILD, "bin", name)
        if not os.access(path, os.X_OK):
            raise RuntimeError(f"{path} not built")
        return path

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def write_config(self, regions, components_yaml, extra_yaml="",
                     agents_for=None, page_yaml="", web_dir=None,
                     server_yaml=""):
        """agents_for: regions that get a config agent (default all);
        page_yaml, server_yaml: more keys of page: or server: (indented
        two spaces); web_dir: the page's files (default the source tree's
        web/)."""
        os.makedirs(os.path.join(self.dir, "secrets"), exist_ok=True)
        lines = [
            "server:",
            f'  listen: "127.0.0.1:{self.port}"',
            "  state_dir: state",
            "  publish_dir: public",
            f"  web_dir: {web_dir or os.path.join(SRC, 'web')}",
        ]
        lines += [ln for ln in server_yaml.splitlines() if ln.strip()]
        lines += [
            "page:",
            "  id: itest",
            "  name: Integration test",
            f'  url: "http://127.0.0.1:{self.port}"',
        ]
        lines += [ln for ln in page_yaml.splitlines() if ln.strip()]
        lines += [
            "regions:",
        ]
        lines += [f"  - id: {r}" for r in regions]
        lines.append("agents:")
        for r in (regions if agents_for is None else agents_for):
            # Rewriting the config keeps each region's token, as an operator
            # changing checks would.
            tok = self.tokens.get(r) or "ph_" + secrets.token_urlsafe(32)
            self.tokens[r] = tok
            tf = os.path.join(self.dir, "secrets", f"{r}.token")
            with open(tf, "w") as f:
                f.write(tok + "\n")
            lines += [f"  - id: agent-{r}", f"    region: {r}",
                      f"    token_file: secrets/{r}.token"]
        text = "\n".join(lines) + "\n" + extra_yaml + components_yaml
        with open(self.conf_path, "w") as f:
            f.write(text)

    def _start(self, key, argv, env=None):
        # A restarted process gets a new log, so that the first run's log
        # (and any sanitizer report in it) is still there to be judged.
        n = sum(1 for r in self.runs if r.key == key)
        name = f"{key}.log" if n == 0 else f"{key}.{n + 1}.log"
        with open(os.path.join(self.dir, name), "w") as log:
            p = subprocess.Popen(argv, stdout=log, stderr=log, env=env)
        return self.adopt(key, p, log.name)

    def adopt(self, key, proc, log=None):
        """Puts a process started by the test under the harness: stopped
        by stop_all() and judged by its exit status and its log."""
        self.procs[key] = proc
        if log:
            self.logs[key] = log
        self.runs.append(_Run(key, proc, log))
        return proc

    def _run_of(self, proc):
        for r in self.runs:
            if r.proc is proc:
                return r
        return None

    def expect_exit(self, key, *codes):
        """Declares that the running process `key` may end with one of
        these exit statuses (negative: killed by that signal)."""
        self._run_of(self.procs[key]).allowed.update(codes)

    def start_collector(self, env=None):
        """env: the whole environment of the process (default ours)."""
        argv = [self.bin("pharos-collector"), "-c", self.conf_path]
        # Subclasses override _start(key, argv) (test_systemd_units).
        self._start("collector", argv, *([env] if env is not None else []))
        if not wait_until(lambda: http_get(self.url("/healthz"))[0] == 200,
                          15):
            self.dump_logs()
            raise RuntimeError("collector did not come up")

    def start_agent(self, region, source=None, extra="", env=None,
                    batch_delay="100ms"):
        conf = os.path.join(self.dir, f"agent-{region}.yml")
        with open(conf, "w") as f:
            f.write(f'collector: "http://127.0.0.1:{self.port}"\n'
                    f"token_file: secrets/{region}.token\n"
                    f"batch_delay: {batch_delay}\n"
                    "plan_refresh: 2s\nheartbeat: 2s\n")
            if source:
                f.write(f"source_address: {source}\n")
            f.write(extra)
        return self._start(f"agent-{region}",
                           [self.bin("pharos-agent"), "run", "-c", conf],
                           *([env] if env is not None else []))

    def stop(self, key, sig=signal.SIGTERM):
        """Signals `key` and waits for it; returns its exit status (None
        when it had already exited: the status is still judged)."""
        p = self.procs.pop(key, None)
        if p is None:
            return None
        run = self._run_of(p)
        if run is None:
            run = _Run(key, p, None)
            self.runs.append(run)
        if p.poll() is not None:
            return None
        if sig == signal.SIGKILL:
            run.allowed.add(-signal.SIGKILL)
        p.send_signal(sig)
        try:
            return p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            run.problems.append(f"did not exit within 10 s of signal {sig}")
            p.kill()
            return p.wait(timeout=10)

    def kill(self, key):
        """A deliberate kill -9 (a crash): not counted against `key`."""
        return self.stop(key, signal.SIGKILL)

    def problems(self):
        """What went wrong with the processes that have ended: non-zero
        exits nobody declared, and sanitizer reports in their logs."""
        out = []
        for r in self.runs:
            rc = r.proc.poll()
            if rc is None:
                continue
            what = f"{r.key} (pid {r.proc.pid}"
            what += f", log {r.log})" if r.log else ")"
            out += [f"{what} {p}" for p in r.problems]
            if rc != 0 and rc not in r.allowed:
                how = (f"was killed by signal {-rc}" if rc < 0
                       else f"exited with status {rc}")
                out.append(f"{what} {how}")
            for line in r.sanitizer_lines():
                out.append(f"{what} sanitizer: {line}")
        return out

    def stop_all(self):
        """Stops everything, judges every process this harness started and
        returns the problems (also recorded for Results.finish()). Keeps
        the temp dir when there were problems, an exception is escaping the
        test, or PH_KEEP_TMP is set."""
        for key in list(self.procs):
            if key != "collector":
                self.stop(key)
        self.stop("collector")
        found = self.problems()
        _problems.extend(found)
        # Called from a `finally:` while an exception escapes the test.
        aborted = sys.exc_info()[0] is not None
        if found or aborted:
            for p in found:
                print(f"FAIL daemon: {p}", flush=True)
            self.dump_logs()
            print(f"logs kept in {self.dir}", flush=True)
        elif os.environ.get("PH_KEEP_TMP") is None:
            shutil.rmtree(self.dir, ignore_errors=True)
        return found

    def metric(self, name):
        """The value of an unlabelled metric from /metrics, or None."""
        for line in http_get(self.url("/metrics"))[1].decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        return None

    def outbox_drained(self):
        """True when no notification waits in the outbox. Outbox rows are
        written with the change that causes them (before the API answers),
        so once this holds after a change, nothing more will be sent. On
        PostgreSQL a scrape shows what the read started by an earlier
        scrape found, and one read runs at a time: the second read to
        complete after this call's first scrape started after it."""
        reads = "pharos_store_gauge_reads_total"
        n0 = self.metric(reads) or 0
        if not wait_until(lambda: (self.metric(reads) or 0) >= n0 + 2, 10,
                          0.05):
            return False
        return self.metric("pharos_notify_outbox_backlog") == 0

    def region_states(self, check_id):
        doc = json.loads(http_get(self.url("/api/v2/regions.json"))[1])
        for c in doc["checks"]:
            if c["id"] == check_id:
                return {r["region"]: r["state"] for r in c["regions"]}
        return {}

    def dump_logs(self):
        for r in self.runs:
            if not r.log:
                continue
            try:
                # Logs may quote hostile input that is not UTF-8.
                with open(r.log, errors="replace") as f:
                    tail = f.read()[-4000:]
            except OSError:
                continue
            print(f"----- {r.log} (tail) -----\n{tail}", flush=True)


class _Run:
    """One process started (or adopted) by a Harness."""

    def __init__(self, key, proc, log):
        self.key = key
        self.proc = proc
        self.log = log
        self.allowed = {0}
        self.problems = []

    def sanitizer_lines(self):
        if not self.log:
            return []
        try:
            with open(self.log, errors="replace") as f:
                return [ln.strip() for ln in f if SANITIZER_RE.search(ln)][:5]
        except OSError:
            return []


def serve_target(port, respond=None):
    """Starts a threaded HTTP target on 127.0.0.1:port. respond(handler)
    returns (status, body bytes); the default answers 200 "ok". Returns
    the server (call .shutdown())."""
    def default(_h):
        return 200, b"ok\n"
    fn = respond or default

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def do_GET(self):
            code, body = fn(self)
            self.send_response(code)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    srv = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def serve_switchable(port):
    """A target that answers 200 "ok" while state["ok"] is true and 503
    "down" otherwise. Returns (server, state)."""
    state = {"ok": True}

    def respond(_h):
        return (200, b"ok\n") if state["ok"] else (503, b"down\n")

    return serve_target(port, respond), state


class KillableTarget:
    """An HTTP target on 127.0.0.1:port that can die like a crashed
    process: stop() closes the listening socket and every open connection
    (new connections are refused), start() listens again on the same port.
    While up it answers `status` (200 by default); idle_timeout (seconds)
    makes it close idle keep-alive connections, as real servers do.
    on_request(status) is called for every answer; accepted counts
    connections."""

    def __init__(self, port, idle_timeout=None, on_request=None):
        self.port = port
        self.status = 200
        self.accepted = 0
        self.idle_timeout = idle_timeout
        self.on_request = on_request
        self.lock = threading.Lock()
        self.conns = set()
        self.srv = None
        self.start()

    def start(self):
        tgt = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = tgt.idle_timeout

            def log_message(self, *a):
                pass

            def setup(self):
                with tgt.lock:
                    tgt.accepted += 1
                    tgt.conns.add(self.request)
                super().setup()

            def finish(self):
                with tgt.lock:
                    tgt.conns.discard(self.request)
                try:
                    super().finish()
                except OSError:
                    pass

            def do_GET(self):
                code = tgt.status
                if tgt.on_request:
                    tgt.on_request(code)
                body = b"ok\n" if code < 400 else b"down\n"
                self.send_response(code)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        srv = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        srv.daemon_threads = True
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        self.srv = srv

    def stop(self):
        srv, self.srv = self.srv, None
        if srv is None:
            return
        srv.shutdown()
        srv.server_close()
        with self.lock:
            conns = list(self.conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            c.close()
