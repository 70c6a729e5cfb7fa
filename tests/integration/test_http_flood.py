#!/usr/bin/env python3
"""Connection floods (issue #17, finding 3). All traffic stays on
loopback and is bounded in count and time.

1. From 127.0.0.2: 1,100 slow-header connections (a header line every
   second) and 2,000 idle ones, held for a bounded time. Meanwhile the
   page and /healthz answer readers on 127.0.0.1, and the agent's result
   uploads (through server.agent_listen) keep being acknowledged. The
   flooder holds at most max_connections_per_client; a slowloris is cut
   at server.request_timeout although it is never idle.
2. From 60 addresses of 127.0.1.0/24 (each under its per-client limit):
   enough idle connections to fill the public listener's budget. The
   agent listener, with its own budget, still serves agents and /healthz.
"""
import os
import resource
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pharos_harness import Harness, free_port, http_get, serve_target, wait_until  # noqa: E402
from oncetest import Results  # noqa: E402

SLOW = 1100
IDLE = 2000
HOLD_S = 12          # how long the first flood is held
PER_CLIENT = 32


def raise_nofile(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE,
                           (min(want, hard) if hard != resource.RLIM_INFINITY else want,
                            hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class Flood:
    """Opens n connections from src to 127.0.0.1:port without waiting
    for the server (non-blocking connects); slow ones start a request and
    then send one more header line every second."""

    def __init__(self, port):
        self.port = port
        self.socks = []      # (socket, slow)
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread = None

    def open(self, src, n, slow):
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((src, 0))
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", self.port))
            with self.lock:
                self.socks.append([s, slow, True])

    def _trickle(self):
        line = 0
        while not self.stop.wait(1.0):
            with self.lock:
                socks = list(self.socks)
            for ent in socks:
                s, slow, alive = ent
                if not alive:
                    continue
                # A closed connection shows as EOF or an error.
                try:
                    if s.recv(4096, socket.MSG_DONTWAIT) == b"":
                        ent[2] = False
                        continue
                except BlockingIOError:
                    pass
                except OSError:
                    ent[2] = False
                    continue
                if slow:
                    data = (b"GET / HTTP/1.1\r\nHost: x\r\n" if line == 0
                            else b"X-Slow-%d: y\r\n" % line)
                    try:
                        s.send(data, socket.MSG_DONTWAIT)
                    except BlockingIOError:
                        pass
                    except OSError:
                        ent[2] = False
            line += 1

    def start(self):
        self.thread = threading.Thread(target=self._trickle, daemon=True)
        self.thread.start()

    def alive(self, slow=None):
        with self.lock:
            return sum(1 for s, sl, a in self.socks if a and (slow is None or sl == slow))

    def close(self):
        self.stop.set()
        if self.thread is not None:
            self.thread.join(10)
        with self.lock:
            for s, _, _ in self.socks:
                s.close()
            self.socks = []


def metric(text, name):
    for ln in text.splitlines():
        if ln.startswith(name + " "):
            return float(ln.split()[1])
    return None


def timed_get(url, timeout=5):
    t0 = time.time()
    try:
        code, _ = http_get(url, timeout=timeout, ok_codes=None)
    except Exception as e:  # noqa: BLE001 - a timeout is the failure we look for
        return f"error {e.__class__.__name__}", time.time() - t0
    return code, time.time() - t0


def main():
    res = Results()
    nofile = raise_nofile(SLOW + IDLE + 2000)
    print(f"RLIMIT_NOFILE {nofile}")
    tport = free_port()
    target = serve_target(tport)
    h = Harness("flood")
    aport = free_port()
    flood = None
    try:
        h.write_config(["r1"], f"""
components:
  - id: api
    name: API
    checks:
      - {{id: api-http, type: http, url: "http://127.0.0.1:{tport}/", interval: 1s, timeout: 800ms}}
""", extra_yaml="")
        # The server section is written by the harness; add the budgets.
        with open(h.conf_path) as f:
            text = f.read()
        text = text.replace(
            "server:\n",
            "server:\n"
            f'  agent_listen: "127.0.0.1:{aport}"\n'
            "  max_connections: 1000\n"
            f"  max_connections_per_client: {PER_CLIENT}\n"
            "  request_timeout: 3s\n"
            "  idle_timeout: 30s\n", 1)
        with open(h.conf_path, "w") as f:
            f.write(text)
        h.start_collector()
        agent_url = f"http://127.0.0.1:{aport}"
        res.check("the agent listener answers /healthz",
                  http_get(agent_url + "/healthz")[0] == 200)
        code, _ = http_get(agent_url + "/", ok_codes=None)
        res.check("the agent listener does not serve the page", code == 404, str(code))

        conf = os.path.join(h.dir, "agent-r1.yml")
        with open(conf, "w") as f:
            f.write(f'collector: "{agent_url}"\ntoken_file: secrets/r1.token\n'
                    "batch_delay: 100ms\nplan_refresh: 2s\nheartbeat: 1s\n")
        h._start("agent-r1", [h.bin("pharos-agent"), "run", "-c", conf])

        def agent_2xx():
            m = http_get(agent_url + "/metrics")[1].decode()
            return sum(float(ln.split()[1]) for ln in m.splitlines()
                       if ln.startswith('pharos_http_requests_total{route="agent",code="2'))
        ok = wait_until(lambda: agent_2xx() >= 3, 20)
        res.check("the agent uploads before the flood", ok)

        # ---- 1: one address floods the public listener ----
        flood = Flood(h.port)
        t0 = time.time()
        flood.open("127.0.0.2", SLOW, True)
        flood.open("127.0.0.2", IDLE, False)
        flood.start()
        print(f"flood 1: {SLOW} slow + {IDLE} idle connections opened in "
              f"{time.time() - t0:.1f} s", flush=True)
        before = agent_2xx()
        worst = {"page": 0.0, "healthz": 0.0}
        failures = []
        rounds = 0
        end = time.time() + HOLD_S
        while time.time() < end:
            for name, path in (("page", "/"), ("healthz", "/healthz")):
                code, dt = timed_get(h.url(path))
                worst[name] = max(worst[name], dt)
                if code != 200:
                    failures.append(f"{name}: {code} after {dt:.1f} s")
            rounds += 1
            time.sleep(0.5)
        after = agent_2xx()
        m = http_get(agent_url + "/metrics")[1].decode()
        refused = metric(m, "pharos_http_connections_refused_total")
        cut = metric(m, "pharos_http_requests_cut_total")
        alive = flood.alive()
        print(f"flood 1: {rounds} rounds, worst page {worst['page']:.2f} s, "
              f"worst healthz {worst['healthz']:.2f} s, agent 2xx during the "
              f"flood {after - before:.0f}, refused {refused}, cut {cut}, "
              f"flood connections still open {alive}", flush=True)
        res.check("during the flood the page and /healthz answer every time",
                  not failures and rounds >= 5, "; ".join(failures[:5]))
        res.check("... within generous bounds", max(worst.values()) < 4, str(worst))
        res.check("the agent's uploads keep being acknowledged", after - before >= 3,
                  f"{before} -> {after}")
        res.check("connections over the client's limit are refused",
                  refused is not None and refused >= SLOW + IDLE - 2 * PER_CLIENT,
                  str(refused))
        res.check("slow requests are cut at the deadline though never idle",
                  cut is not None and cut >= 1, str(cut))
        res.check("the flooder holds no more than its limit",
                  alive <= PER_CLIENT, str(alive))
        flood.close()

        # A lone slowloris (under the limit) is cut within the deadline.
        s = socket.create_connection(("127.0.0.1", h.port), timeout=2)
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        t0 = time.time()
        closed = False
        s.settimeout(1.0)
        while time.time() - t0 < 15:
            try:
                s.sendall(b"X-Drip: 1\r\n")
                if s.recv(4096) == b"":
                    closed = True
                    break
            except socket.timeout:
                continue
            except OSError:
                closed = True
                break
        s.close()
        res.check("a slowloris sending a line a second is closed (deadline 3 s)",
                  closed and time.time() - t0 < 15, f"{time.time() - t0:.1f} s")

        # ---- 2: many addresses fill the public budget ----
        flood = Flood(h.port)
        for i in range(60):
            flood.open(f"127.0.1.{i + 1}", 20, False)
        flood.start()
        def public_open():
            return metric(http_get(agent_url + "/metrics")[1].decode(),
                          'pharos_http_connections_open{listener="public"}') or 0
        full = wait_until(lambda: public_open() >= 900, 3)
        before = agent_2xx()
        agent_ok = []
        end = time.time() + 2.5
        while time.time() < end:
            code, dt = timed_get(agent_url + "/healthz")
            agent_ok.append(code == 200 and dt < 4)
            time.sleep(0.3)
        after = agent_2xx()
        m = http_get(agent_url + "/metrics")[1].decode()
        print(f"flood 2: 1,200 idle connections from 60 addresses; metrics: " +
              " ".join(ln for ln in m.splitlines()
                       if ln.startswith("pharos_http_connections")), flush=True)
        res.check("with the public budget full, the agent listener answers",
                  full and agent_ok and all(agent_ok), str(agent_ok))
        res.check("... and agents keep uploading", after - before >= 1, f"{before} -> {after}")
        flood.close()
        res.check("after the floods the page answers at once",
                  wait_until(lambda: timed_get(h.url("/"))[0] == 200, 10))
        if not all(ok for _, ok in res.items):
            h.dump_logs()
    finally:
        if flood is not None:
            flood.close()
        h.stop_all()
        target.shutdown()
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
