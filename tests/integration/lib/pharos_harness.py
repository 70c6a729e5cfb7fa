"""Runs real Pharos processes on loopback for integration tests.

Harness(name) makes a temp dir; write_config() writes a collector config
with one agent per region (random tokens, stored only as token files);
start_collector()/start_agent() start the real binaries from
$PH_BUILD_DIR/bin; stop_all() stops everything (SIGTERM, then SIGKILL).
Every wait is bounded.
"""
import json
import os
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
        self.conf_path = os.path.join(self.dir, "pharos.yml")

    def bin(self, name):
        path = os.path.join(BUILD, "bin", name)
        if not os.access(path, os.X_OK):
            raise RuntimeError(f"{path} not built")
        return path

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def write_config(self, regions, components_yaml, extra_yaml="",
                     agents_for=None):
        """agents_for: regions that get a config agent (default all)."""
        os.makedirs(os.path.join(self.dir, "secrets"), exist_ok=True)
        lines = [
            "server:",
            f'  listen: "127.0.0.1:{self.port}"',
            "  state_dir: state",
            "  publish_dir: public",
            f"  web_dir: {os.path.join(SRC, 'web')}",
            "page:",
            "  id: itest",
            "  name: Integration test",
            f'  url: "http://127.0.0.1:{self.port}"',
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

    def _start(self, key, argv):
        log = open(os.path.join(self.dir, f"{key}.log"), "w")
        self.logs[key] = log.name
        self.procs[key] = subprocess.Popen(argv, stdout=log, stderr=log)
        return self.procs[key]

    def start_collector(self):
        self._start("collector", [self.bin("pharos-collector"), "-c",
                                  self.conf_path])
        if not wait_until(lambda: http_get(self.url("/healthz"))[0] == 200,
                          15):
            self.dump_logs()
            raise RuntimeError("collector did not come up")

    def start_agent(self, region, source=None, extra=""):
        conf = os.path.join(self.dir, f"agent-{region}.yml")
        with open(conf, "w") as f:
            f.write(f'collector: "http://127.0.0.1:{self.port}"\n'
                    f"token_file: secrets/{region}.token\n"
                    "batch_delay: 100ms\nplan_refresh: 2s\nheartbeat: 2s\n")
            if source:
                f.write(f"source_address: {source}\n")
            f.write(extra)
        return self._start(f"agent-{region}",
                           [self.bin("pharos-agent"), "run", "-c", conf])

    def stop(self, key, sig=signal.SIGTERM):
        p = self.procs.pop(key, None)
        if p is None or p.poll() is not None:
            return None
        p.send_signal(sig)
        try:
            return p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            return p.wait(timeout=10)

    def stop_all(self):
        for key in list(self.procs):
            if key != "collector":
                self.stop(key)
        self.stop("collector")
        if os.environ.get("PH_KEEP_TMP") is None:
            shutil.rmtree(self.dir, ignore_errors=True)

    def region_states(self, check_id):
        doc = json.loads(http_get(self.url("/api/v2/regions.json"))[1])
        for c in doc["checks"]:
            if c["id"] == check_id:
                return {r["region"]: r["state"] for r in c["regions"]}
        return {}

    def dump_logs(self):
        for key, path in self.logs.items():
            try:
                # Logs may quote hostile input that is not UTF-8.
                with open(path, errors="replace") as f:
                    tail = f.read()[-4000:]
            except OSError:
                continue
            print(f"----- {key} log -----\n{tail}")


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
