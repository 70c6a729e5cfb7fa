#!/usr/bin/env python3
"""Demo targets for Pharos: a small HTTP service on loopback whose
endpoints stand in for a company's components. Each can be broken on
purpose so the demo shows the page react within seconds:

    curl -X POST 'http://127.0.0.1:PORT/_control?component=api&mode=down'
    modes: up (default), down (HTTP 503), slow (1.5 s), refuse (close)

Endpoints: /website, /api/health (JSON), /auth/login, /payments/health,
/cdn/asset.txt, /email (answers like a mail gateway's health URL).
Only the Python standard library is used.
"""
import argparse
import json
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

ROUTES = {
    "/website": ("website", "text/html", b"<html><body>Example Inc.</body></html>"),
    "/api/health": ("api", "application/json", b'{"status":"ok","version":"1.4.2"}'),
    "/auth/login": ("auth", "text/html", b"<form>login</form>"),
    "/payments/health": ("payments", "application/json", b'{"status":"ok"}'),
    "/cdn/asset.txt": ("cdn", "text/plain", b"static asset ok\n"),
    "/email": ("email", "application/json", b'{"status":"ok","queue":0}'),
}
MODES = {name: "up" for (name, _, _) in ROUTES.values()}
LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet
        pass

    def _send(self, code, ctype, body):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_POST(self):
        u = urlparse(self.path)
        if u.path != "/_control":
            return self._send(404, "text/plain", b"not found\n")
        q = parse_qs(u.query)
        comp = q.get("component", [""])[0]
        mode = q.get("mode", ["up"])[0]
        if comp not in MODES or mode not in ("up", "down", "slow", "refuse"):
            return self._send(400, "text/plain", b"bad component or mode\n")
        with LOCK:
            MODES[comp] = mode
        self._send(200, "application/json", json.dumps(MODES).encode())

    def do_GET(self):
        u = urlparse(self.path)
        if u.path == "/_control":
            with LOCK:
                return self._send(200, "application/json", json.dumps(MODES).encode())
        route = ROUTES.get(u.path)
        if route is None:
            return self._send(404, "text/plain", b"not found\n")
        name, ctype, body = route
        with LOCK:
            mode = MODES[name]
        if mode == "down":
            return self._send(503, "text/plain", b"service unavailable\n")
        if mode == "refuse":
            self.close_connection = True
            self.connection.close()
            return None
        if mode == "slow":
            time.sleep(1.5)
        return self._send(200, ctype, body)

    do_HEAD = do_GET


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=18081)
    args = ap.parse_args()
    srv = ThreadingHTTPServer((args.listen, args.port), Handler)
    srv.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    try:
        srv.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass


if __name__ == "__main__":
    main()
