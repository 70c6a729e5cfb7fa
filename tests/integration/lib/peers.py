"""Real peers for probe tests, all on loopback and started by the test:
nginx (HTTP and HTTPS), unbound (DNS), aiosmtpd (SMTP), plus a test CA
made with the openssl CLI. Every process is stopped by stop()."""
import os
import shutil
import socket
import subprocess
import tempfile
import textwrap
import time


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_udp_port():
    """A port free for both UDP and TCP on 127.0.0.1: a DNS server
    (unbound) binds both, and a port free for UDP alone was once taken
    for TCP (CI: "can't bind socket: Address already in use")."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind(("127.0.0.1", 0))
            port = u.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
                try:
                    t.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no port free for both UDP and TCP")


def wait_port(port, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def wait_dns(port, timeout=10, alive=None):
    """Waits until a DNS server on 127.0.0.1:port answers a query (any
    answer: the server is up); False at the timeout, or at once when
    alive() says the server has exited."""
    query = (b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
             b"\x06pharos\x04test\x00\x00\x01\x00\x01")
    end = time.time() + timeout
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.2)
        while time.time() < end:
            if alive is not None and not alive():
                return False
            try:
                s.sendto(query, ("127.0.0.1", port))
                if s.recv(512)[:2] == b"\x12\x34":
                    return True
            except OSError:   # refused (not bound yet) or timed out
                time.sleep(0.05)
    return False


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True,
                          timeout=60, **kw)


class TestCA:
    """A CA plus server certificates for 127.0.0.1/localhost: valid,
    expiring in 5 days, and already expired."""

    def __init__(self, d):
        self.d = d
        self.ca_key = os.path.join(d, "ca.key")
        self.ca = os.path.join(d, "ca.pem")
        run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
             "-keyout", self.ca_key, "-out", self.ca, "-days", "30",
             "-subj", "/CN=Pharos Test CA"])
        with open(os.path.join(d, "ca.cnf"), "w") as f:
            f.write(textwrap.dedent(f"""\
                [ca]
                default_ca = test
                [test]
                dir = {d}
                database = {d}/index.txt
                new_certs_dir = {d}
                serial = {d}/serial
                certificate = {self.ca}
                private_key = {self.ca_key}
                default_md = sha256
                policy = any
                copy_extensions = copy
                unique_subject = no
                [any]
                commonName = supplied
                """))
        open(os.path.join(d, "index.txt"), "w").close()
        with open(os.path.join(d, "serial"), "w") as f:
            f.write("1000\n")

    def server_cert(self, name, start=None, end=None, days=None):
        key = os.path.join(self.d, f"{name}.key")
        csr = os.path.join(self.d, f"{name}.csr")
        crt = os.path.join(self.d, f"{name}.pem")
        run(["openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes",
             "-keyout", key, "-out", csr, "-subj", "/CN=localhost",
             "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
        cmd = ["openssl", "ca", "-batch", "-notext", "-config",
               os.path.join(self.d, "ca.cnf"), "-in", csr, "-out", crt]
        if start:
            cmd += ["-startdate", start, "-enddate", end]
        else:
            cmd += ["-days", str(days or 30)]
        run(cmd)
        return crt, key


class Nginx:
    def __init__(self, d, servers, worker_connections=256):
        """servers: list of nginx 'server { ... }' bodies."""
        self.d = d
        os.makedirs(os.path.join(d, "logs"), exist_ok=True)
        conf = os.path.join(d, "nginx.conf")
        with open(conf, "w") as f:
            f.write("worker_processes 1;\npid %s/nginx.pid;\n"
                    "error_log %s/logs/error.log warn;\n"
                    "worker_rlimit_nofile 16384;\n"
                    "events { worker_connections %d; }\nhttp {\n"
                    "access_log off;\ndefault_type text/plain;\n"
                    "client_body_temp_path %s/tmp;\nproxy_temp_path %s/tmp;\n"
                    "fastcgi_temp_path %s/tmp;\nuwsgi_temp_path %s/tmp;\n"
                    "scgi_temp_path %s/tmp;\n" % ((d, d, worker_connections) + (d,) * 5))
            for s in servers:
                f.write("server {\n%s\n}\n" % s)
            f.write("}\n")
        os.makedirs(os.path.join(d, "tmp"), exist_ok=True)
        self.p = subprocess.Popen(["nginx", "-p", d, "-c", conf, "-g",
                                   "daemon off; user root;"],
                                  stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE)

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.p.kill()


class Unbound:
    def __init__(self, d, port, local_data, extra=""):
        conf = os.path.join(d, "unbound.conf")
        with open(conf, "w") as f:
            f.write(textwrap.dedent(f"""\
                server:
                  interface: 127.0.0.1
                  port: {port}
                  do-daemonize: no
                  use-syslog: no
                  logfile: ""
                  username: ""
                  chroot: ""
                  directory: "{d}"
                  pidfile: ""
                  do-ip6: no
                  access-control: 127.0.0.0/8 allow
                  module-config: "iterator"
                  local-zone: "pharos.test." static
                """))
            for rr in local_data:
                f.write(f"  local-data: '{rr}'\n")
            f.write(extra)
            f.write("remote-control:\n  control-enable: no\n")
        subprocess.run(["unbound-checkconf", conf], check=True,
                       capture_output=True, timeout=30)
        self.log = os.path.join(d, "unbound.log")
        with open(self.log, "w") as log:
            self.p = subprocess.Popen(["unbound", "-d", "-c", conf],
                                      stdout=log, stderr=log)
        # Generous: a busy machine (the sanitizer pass) starts it slowly.
        if not wait_dns(port, timeout=30, alive=lambda: self.p.poll() is None):
            self.stop()
            with open(self.log, errors="replace") as f:
                why = f.read()[-2000:]
            raise RuntimeError(f"unbound did not answer on port {port} "
                               f"(exit {self.p.returncode}): {why}")

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.p.kill()


def system_python_with(module):
    """Debian's python3 has the Debian-packaged modules (aiosmtpd)."""
    for py in ("/usr/bin/python3", shutil.which("python3")):
        if py and subprocess.run([py, "-c", f"import {module}"],
                                 capture_output=True).returncode == 0:
            return py
    return None
