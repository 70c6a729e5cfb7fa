#!/usr/bin/env python3
"""The store's tests on PostgreSQL: the same cmocka executables that run
on sqlite under ctest (unit/test_store_*) run again here, each on a new
empty database of a real PostgreSQL 15 started by this test
(lib/pgserver.py), through PH_TEST_STORE. Then the backend's own cases:
several collectors' connections at once (migrations under the advisory
lock), a schema newer than the binary, a wrong password (a clear error,
and the password in no message)."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import pgserver  # noqa: E402
from pharos_harness import BUILD, Harness, Results, free_port, skip  # noqa: E402

STORE_TESTS = ["test_store_api", "test_store_access", "test_store_results",
               "test_store_outbox", "test_store_async_notify"]


def run_unit(name, dsn, password):
    exe = os.path.join(BUILD, "bin", name)
    env = dict(os.environ, PH_TEST_STORE=dsn, PH_TEST_STORE_PASSWORD=password)
    env.pop("PGPASSWORD", None)
    r = subprocess.run([exe], env=env, capture_output=True, text=True,
                       timeout=120)
    return r.returncode, r.stdout + r.stderr


def main():
    if not pgserver.available():
        skip(f"PostgreSQL 15 server binaries not found in {pgserver.PG_BIN} "
             "(scripts/install-deps.sh --test installs postgresql-15)")
    res = Results()
    with pgserver.PgServer() as pg:
        for name in STORE_TESTS:
            dsn = pg.create_db(name)
            rc, out = run_unit(name, dsn, pg.password)
            res.check(f"{name} passes on PostgreSQL", rc == 0, out[-2000:])

        # The same schema version on both backends.
        n_pg = pg.psql("SELECT max(version) FROM schema_version",
                       db="test_store_api")
        n_sq = len([f for f in os.listdir(os.path.join(
            os.path.dirname(__file__), "..", "..", "collector", "store",
            "migrations")) if f.endswith(".sql")])
        res.check("every migration applied, as on sqlite",
                  n_pg == str(n_sq), f"{n_pg} vs {n_sq}")

        # Four stores opening one new database at once: one migrates, the
        # others wait on the advisory lock and find nothing to do.
        # Several collectors starting on one new database at once: one
        # migrates, the others wait on the advisory lock and then find
        # nothing left to do.
        race = pg.create_db("race")
        racers = []
        for i in range(4):
            racers.append(subprocess.Popen(
                [os.path.join(BUILD, "bin", "test_store_results")],
                env=dict(os.environ, PH_TEST_STORE=race,
                         PH_TEST_STORE_PASSWORD=pg.password,
                         PH_TEST_STORE_OPEN_ONLY="1"),
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
        outs = [(p.wait(timeout=120), p.stdout.read()) for p in racers]
        res.check("four stores migrating one database at once all open",
                  all(rc == 0 for rc, _ in outs),
                  "\n".join(o[-500:] for _, o in outs))
        versions = pg.psql("SELECT count(*), count(DISTINCT version) FROM "
                           "schema_version", db="race")
        res.check("a database migrated once, each version recorded once",
                  versions == f"{n_sq}|{n_sq}", versions)

        # A wrong password: refused with libpq's words, the password in
        # no message.
        rc, out = run_unit("test_store_api", pg.dsn_for("race"),
                           "not-the-password")
        res.check("a wrong password fails the store's open",
                  rc != 0 and "password authentication failed" in out,
                  out[-500:])
        res.check("the password appears in no message",
                  "not-the-password" not in out)

        # A collector that cannot open its PostgreSQL store does not start,
        # and says why (never with the password).
        h = Harness("store_pg_start")
        try:
            pwf = os.path.join(h.dir, "pg.pw")
            with open(pwf, "w") as f:
                f.write("wrong-secret-pw\n")
            for label, dsn, want in (
                    ("a wrong password", pg.dsn,
                     "password authentication failed"),
                    ("a port where no server listens",
                     f"postgresql://pharos@127.0.0.1:{free_port()}/pharos",
                     "cannot connect")):
                h.write_config(["r1"], "components: [{id: web, name: Web}]\n",
                               extra_yaml=f'store: "{dsn}"\n'
                                          "store_password_file: pg.pw\n")
                r = subprocess.run([h.bin("pharos-collector"), "-c",
                                    h.conf_path], capture_output=True,
                                   text=True, timeout=60)
                out = r.stdout + r.stderr
                res.check(f"collector with {label}: exits 1 and says why",
                          r.returncode == 1 and want in out
                          and "wrong-secret-pw" not in out,
                          (r.returncode, out[-800:]))
        finally:
            h.stop_all()

        # A schema newer than this binary: refused, saying what to do.
        pg.psql("INSERT INTO schema_version VALUES (9999)", db="race")
        rc, out = run_unit("test_store_api", pg.dsn_for("race"), pg.password)
        res.check("a newer schema is refused",
                  rc != 0 and "newer than this pharos-collector" in out,
                  out[-500:])
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
