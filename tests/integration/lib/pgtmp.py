"""A throw-away PostgreSQL 15 for integration tests (self-contained).

PgTmp().start() runs Debian's postgresql-15 binaries (initdb, pg_ctl from
/usr/lib/postgresql/15/bin) in a new temporary directory, as the
`postgres` user when the test runs as root (PostgreSQL refuses to run as
root), listening on a free 127.0.0.1 port with trust authentication and
fsync off. conninfo() is what libpq clients take; psql() runs SQL;
stop() shuts it down (fast) and removes the directory.

PgTmp.available() says whether the binaries exist: a test skips only
when they do not (scripts/install-deps.sh --test installs them).
"""
import os
import pwd
import shutil
import socket
import subprocess
import tempfile

PG_BIN = os.environ.get("PH_PG_BIN", "/usr/lib/postgresql/15/bin")


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgTmp:
    def __init__(self, prefix="pharos-pg-"):
        self.prefix = prefix
        self.dir = None
        self.port = None
        self.running = False

    @staticmethod
    def available():
        return all(os.access(os.path.join(PG_BIN, b), os.X_OK)
                   for b in ("initdb", "pg_ctl", "postgres", "psql"))

    def _as_owner(self, argv):
        if os.geteuid() == 0:
            return ["runuser", "-u", "postgres", "--"] + argv
        return argv

    def _run(self, argv, **kw):
        return subprocess.run(self._as_owner(argv), check=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=120, **kw)

    def start(self):
        self.dir = tempfile.mkdtemp(prefix=self.prefix)
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        os.chmod(self.dir, 0o700)
        self.port = _free_port()
        data = os.path.join(self.dir, "data")
        self._run([os.path.join(PG_BIN, "initdb"), "-D", data, "-U",
                   "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
        opts = (f"-p {self.port} -k {self.dir} "
                "-c listen_addresses=127.0.0.1 -c fsync=off "
                "-c max_connections=50")
        self._run([os.path.join(PG_BIN, "pg_ctl"), "-D", data, "-o", opts,
                   "-l", os.path.join(self.dir, "postgres.log"), "-w",
                   "-t", "60", "start"])
        self.running = True
        return self

    def conninfo(self, port=None, extra="", host="127.0.0.1"):
        """A libpq connection string; port overrides the server's (to go
        through a proxy), host may be a name that resolves to 127.0.0.1."""
        return (f"host={host} port={port or self.port} user=postgres "
                f"dbname=postgres connect_timeout=5 {extra}").strip()

    def psql(self, sql, check=True):
        """Runs sql; returns (exit status, output). Output is unaligned,
        tuples only."""
        p = subprocess.run([os.path.join(PG_BIN, "psql"), "-X", "-At",
                            "-v", "ON_ERROR_STOP=1", "-d",
                            self.conninfo(), "-c", sql],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=60)
        if check and p.returncode != 0:
            raise RuntimeError(f"psql: {sql}: {p.stdout}")
        return p.returncode, p.stdout.strip()

    def log_tail(self, n=4000):
        try:
            with open(os.path.join(self.dir, "postgres.log"),
                      errors="replace") as f:
                return f.read()[-n:]
        except OSError:
            return ""

    def stop(self, keep=False):
        if self.running:
            try:
                self._run([os.path.join(PG_BIN, "pg_ctl"), "-D",
                           os.path.join(self.dir, "data"), "-m", "fast",
                           "-w", "stop"])
            except subprocess.SubprocessError:
                pass
            self.running = False
        if self.dir and not keep:
            shutil.rmtree(self.dir, ignore_errors=True)
