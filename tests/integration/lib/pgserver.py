"""A real PostgreSQL server for tests, started by the test itself.

Debian's postgresql-15 (installed by scripts/install-deps.sh --test):
initdb and pg_ctl run in a temporary directory as the unprivileged
`postgres` user (runuser, when the test runs as root), listening on a free
loopback port and on a socket in that directory only. Host connections
need a password (scram-sha-256), so the collector's password path is the
one exercised.

    with PgServer() as pg:          # or pg = PgServer(); pg.start()
        dsn = pg.dsn                # postgresql://pharos@127.0.0.1:PORT/pharos
        pw = pg.password            # the role's password (never in dsn)
        pg.psql("SELECT 1")         # as the superuser, over the socket
        s = pg.hold_locks(["kv"])   # make writers of kv wait ...
        pg.release_locks(s)         # ... until now
        dsn2 = pg.create_db("other")
        pg.kill()                   # SIGKILL the postmaster (a crash)
        pg.start()                  # the same data directory again
    # stop() at the end: pg_ctl stop -m fast, directory removed

For the leader lease's tests (which give libpq a key=value conninfo and
need no password): PgServer(auth="trust") accepts host connections
without one, pg.conninfo(port=proxy_port, host="localhost") is the
role's key=value string (a port of a proxy in front of the server, a
host name that resolves to loopback), and pg.psql_rc(sql) gives
(exit status, output with NOTICEs) instead of raising.

available() says whether the server binaries exist (a test skips only
when they do not). Every wait is bounded.
"""
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time

PG_BIN = os.environ.get("PH_PG_BIN", "/usr/lib/postgresql/15/bin")
ROLE = "pharos"


def available():
    return all(os.access(os.path.join(PG_BIN, b), os.X_OK)
               for b in ("initdb", "pg_ctl", "postgres", "pg_isready"))


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    def __init__(self, dbname="pharos", port=None, auth="scram-sha-256"):
        self.dbname = dbname
        self.auth = auth
        self.port = port or _free_port()
        self.password = secrets.token_hex(16)
        self.dir = None
        self.started = False

    # -- paths and commands -------------------------------------------

    @property
    def data(self):
        return os.path.join(self.dir, "data")

    @property
    def log(self):
        return os.path.join(self.dir, "server.log")

    @property
    def dsn(self):
        return self.dsn_for(self.dbname)

    def dsn_for(self, dbname):
        return (f"postgresql://{ROLE}@127.0.0.1:{self.port}/{dbname}"
                "?sslmode=disable")

    def conninfo(self, port=None, extra="", host="127.0.0.1", dbname=None):
        """The role's libpq key=value string (no password: use
        auth="trust", PGPASSWORD or a passfile); port overrides the
        server's (to go through a proxy), host may be a name that
        resolves to 127.0.0.1."""
        return (f"host={host} port={port or self.port} user={ROLE} "
                f"dbname={dbname or self.dbname} sslmode=disable "
                f"connect_timeout=5 {extra}").strip()

    def _as_postgres(self, argv):
        if os.geteuid() == 0:
            return ["runuser", "-u", "postgres", "--"] + argv
        return argv

    def _run(self, argv, timeout=60, check=True, input=None):
        r = subprocess.run(self._as_postgres(argv), capture_output=True,
                           text=True, timeout=timeout, input=input)
        if check and r.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)}: exit {r.returncode}: "
                               f"{r.stderr.strip()}\n{self.log_tail()}")
        return r

    def log_tail(self, n=20):
        try:
            with open(self.log, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    # -- life cycle ---------------------------------------------------

    def _init(self):
        self.dir = tempfile.mkdtemp(prefix="pharos-pg-")
        os.chmod(self.dir, 0o755)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        pwfile = os.path.join(self.dir, "superuser.pw")
        with open(pwfile, "w") as f:
            f.write(secrets.token_hex(16) + "\n")
        if os.geteuid() == 0:
            shutil.chown(pwfile, "postgres", "postgres")
        self._run([os.path.join(PG_BIN, "initdb"), "-D", self.data,
                   "-U", "postgres", "--pwfile", pwfile, "-E", "UTF8",
                   "--locale=C", "--auth-local=trust",
                   f"--auth-host={self.auth}"], timeout=120)
        os.unlink(pwfile)

    def start(self):
        """Starts the server (initialising the directory the first time),
        waits until it accepts connections, and on the first start
        creates the role and the database."""
        first = self.dir is None
        if first:
            self._init()
        opts = (f"-p {self.port} -k {self.dir} "
                "-c listen_addresses=127.0.0.1 -c fsync=off "
                "-c max_connections=100")
        self._run([os.path.join(PG_BIN, "pg_ctl"), "-D", self.data, "-l",
                   self.log, "-o", opts, "-w", "-t", "60", "start"],
                  timeout=90)
        self.started = True
        self._wait_ready()
        if first:
            self.psql(f"CREATE ROLE {ROLE} LOGIN PASSWORD "
                      f"'{self.password}'")
            self.create_db(self.dbname)
        return self

    def _wait_ready(self, timeout_s=30):
        end = time.time() + timeout_s
        while time.time() < end:
            r = self._run([os.path.join(PG_BIN, "pg_isready"), "-h",
                           "127.0.0.1", "-p", str(self.port)], check=False)
            if r.returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError(f"PostgreSQL not ready on port {self.port}\n"
                           f"{self.log_tail()}")

    def psql(self, sql, db="postgres"):
        """Runs sql as the superuser over the socket; returns the output
        rows as text (tuples only, unaligned, '|' between columns)."""
        r = self._run(["psql", "-X", "-q", "-A", "-t", "-v",
                       "ON_ERROR_STOP=1", "-h", self.dir, "-p",
                       str(self.port), "-U", "postgres", "-d", db, "-c",
                       sql])
        return r.stdout.strip()

    def psql_rc(self, sql, db=None):
        """Runs sql as the superuser on db (default the role's database)
        without raising; returns (exit status, stdout and stderr: the
        NOTICEs and errors too)."""
        r = self._run(["psql", "-X", "-q", "-A", "-t", "-v",
                       "ON_ERROR_STOP=1", "-h", self.dir, "-p",
                       str(self.port), "-U", "postgres", "-d",
                       db or self.dbname, "-c", sql], check=False)
        return r.returncode, (r.stdout + r.stderr).strip()

    def hold_locks(self, tables, db=None, mode="EXCLUSIVE"):
        """Opens a session that takes locks on tables and keeps them until
        release_locks(session); returns once they are held. EXCLUSIVE
        makes every writer of those tables wait (plain reads go on);
        ACCESS EXCLUSIVE makes readers wait too."""
        p = subprocess.Popen(
            self._as_postgres(["psql", "-X", "-q", "-A", "-t", "-h",
                               self.dir, "-p", str(self.port), "-U",
                               "postgres", "-d", db or self.dbname]),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True)
        p.stdin.write(f"BEGIN; LOCK TABLE {', '.join(tables)} IN {mode} "
                      "MODE; SELECT 'locked';\n")
        p.stdin.flush()
        line = p.stdout.readline()     # bounded: psql answers or exits
        if line.strip() != "locked":
            p.kill()
            raise RuntimeError(f"could not lock {tables}: {line!r}")
        return p

    def release_locks(self, session):
        session.stdin.write("ROLLBACK;\n")
        session.stdin.close()
        session.wait(timeout=30)

    def create_db(self, name):
        """A new empty database owned by the role; returns its dsn."""
        self.psql(f'CREATE DATABASE "{name}" OWNER {ROLE}')
        return self.dsn_for(name)

    def pid(self):
        try:
            with open(os.path.join(self.data, "postmaster.pid")) as f:
                return int(f.readline())
        except (OSError, ValueError):
            return None

    def stop_server(self):
        """Stops the server (fast shutdown) and keeps the directory, so
        that start() brings the same data back."""
        if self.started:
            self._run([os.path.join(PG_BIN, "pg_ctl"), "-D", self.data,
                       "-m", "fast", "-w", "-t", "60", "stop"], check=False,
                      timeout=90)
            self.started = False

    def kill(self):
        """SIGKILL of the postmaster: a crash. Its backends exit on their
        own; start() recovers the same data directory."""
        pid = self.pid()
        if pid is not None:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            end = time.time() + 30
            while time.time() < end:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.05)
        self.started = False

    def stop(self):
        """Stops the server and removes its directory."""
        if self.dir is None:
            return
        self.stop_server()
        if self.pid() is not None:   # a stop that failed leaves the file
            self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False
