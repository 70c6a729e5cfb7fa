#!/usr/bin/env python3
"""Operating the programs: --help on every program and subcommand; a
missing web_dir is fatal with a reason; database trouble is named with
what to do (corrupt header, truncated file, damaged page, directory in
place of the file, zero-length file, schema newer than the binary); an
online backup restored in place starts with the same data; acknowledged
batches lost with a deleted WAL are reported at the next start."""
import os
import shutil
import signal
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pharos_harness import Harness, free_port, http_get, wait_until  # noqa: E402
from oncetest import Results  # noqa: E402

COMPONENTS = """components:
  - id: svc
    name: Service
    checks:
      - {id: t1, type: tcp, host: 127.0.0.1, port: %d, interval: 1s, timeout: 500ms}
"""


def run(argv, timeout=30):
    return subprocess.run(argv, capture_output=True, text=True,
                          timeout=timeout)


def check_help(res, h):
    col, agent, ctl = (h.bin("pharos-collector"), h.bin("pharos-agent"),
                       h.bin("pharosctl"))
    cases = [
        ([col, "--help"], "backup"),
        ([col, "-h"], "--init-empty-db"),
        ([col, "backup", "--help"], "backup"),
        ([col, "-c", "x.yml", "backup", "--help"], "backup"),
        ([agent, "--help"], "once"),
        ([agent, "run", "--help"], "run"),
        ([agent, "once", "--help"], "--check"),
        ([ctl, "--help"], "subscribers"),
    ]
    for sub in ("status", "regions", "agents", "agent", "component", "key",
                "incident", "maintenance", "drafts", "draft", "subscribers"):
        cases.append(([ctl, sub, "--help"], sub))
    cases.append(([ctl, "incident", "open", "--help"], "incident open"))
    for argv, word in cases:
        p = run(argv)
        name = " ".join([os.path.basename(argv[0])] + argv[1:])
        res.check(f"{name}: usage on stdout, exit 0",
                  p.returncode == 0 and p.stdout.startswith("usage:")
                  and word in p.stdout and p.stderr == "",
                  (p.returncode, p.stdout[:200], p.stderr[:200]))
    # --help-config walks the same tables that read pharos.yml.
    p = run([col, "--help-config"])
    res.check("pharos-collector --help-config lists every section's keys",
              p.returncode == 0 and all(k in p.stdout for k in (
                  "server.listen", "server.trusted_proxies", "retention.raw",
                  "incidents.auto", "notify.smtp.url", "alerts.tokens",
                  "components[].checks")),
              (p.returncode, p.stdout[:300], p.stderr[:200]))
    # A subcommand's help shows that command, not every other one.
    p = run([ctl, "key", "--help"])
    res.check("pharosctl key --help shows only the key commands",
              "key add" in p.stdout and "incident open" not in p.stdout,
              p.stdout)
    # Errors still go to stderr with status 2.
    p = run([agent, "once", "--bogus"])
    res.check("pharos-agent once --bogus: exit 2, usage on stderr",
              p.returncode == 2 and "usage:" in p.stderr and p.stdout == "",
              (p.returncode, p.stderr))


def start_fails(h, *extra):
    """Runs the collector, expects it to exit 1; returns its stderr."""
    p = run([h.bin("pharos-collector"), "-c", h.conf_path, *extra])
    return p.returncode, p.stderr


def db_path(h):
    return os.path.join(h.dir, "state", "pharos.db")


def reset_state(h):
    shutil.rmtree(os.path.join(h.dir, "state"), ignore_errors=True)
    os.makedirs(os.path.join(h.dir, "state"))


def count(path, sql):
    c = sqlite3.connect(path)
    try:
        return c.execute(sql).fetchone()[0]
    finally:
        c.close()


def acked(h):
    try:
        with open(db_path(h) + ".acked") as f:
            for line in f:
                if line.startswith("agent-r1 "):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def check_web_dir(res, h):
    bad = os.path.join(h.dir, "no-such-web")
    conf = os.path.join(h.dir, "badweb.yml")
    with open(h.conf_path) as f:
        text = f.read()
    with open(conf, "w") as f:
        f.write("\n".join(
            f"  web_dir: {bad}" if line.startswith("  web_dir:") else line
            for line in text.splitlines()) + "\n")
    p = run([h.bin("pharos-collector"), "-c", conf])
    last = p.stderr.strip().splitlines()[-2:] if p.stderr.strip() else []
    res.check("missing web_dir: exit 1 with a fatal line naming the path "
              "and server.web_dir",
              p.returncode == 1 and any("fatal" in l and bad in l and
                                        "server.web_dir" in l for l in last),
              p.stderr[-600:])


def main():
    res = Results()
    dead = free_port()
    h = Harness("ops")
    try:
        h.write_config(["r1"], COMPONENTS % dead)
        check_help(res, h)
        check_web_dir(res, h)

        # A database with data, and an online backup taken while it runs.
        h.start_collector()
        h.start_agent("r1")
        res.check("results are acked and recorded in pharos.db.acked",
                  wait_until(lambda: acked(h) >= 3, 30), acked(h))
        backup = os.path.join(h.dir, "backup.db")
        p = run([h.bin("pharos-collector"), "backup", "-c", h.conf_path,
                 backup])
        res.check("backup -c FILE OUT while the collector runs", p.returncode == 0
                  and os.path.exists(backup), p.stderr)
        p = run([h.bin("pharos-collector"), "backup", "-c", h.conf_path,
                 backup])
        res.check("backup refuses to overwrite OUT",
                  p.returncode == 1 and "exists" in p.stderr, p.stderr)
        b_results = count(backup, "SELECT count(*) FROM results")
        b_seq = count(backup, "SELECT last_seq FROM agents "
                              "WHERE agent_id = 'agent-r1'")
        res.check("the backup is whole and holds results",
                  count(backup, "PRAGMA integrity_check") == "ok"
                  and b_results > 0, b_results)
        # More batches are acked after the backup.
        res.check("more batches are acked after the backup",
                  wait_until(lambda: acked(h) > b_seq + 2, 30), acked(h))
        h.stop("agent-r1")
        h.stop("collector")
        good = os.path.join(h.dir, "good.db")
        shutil.copy(db_path(h), good)
        size = os.path.getsize(good)

        # Corrupt header: the magic bytes overwritten.
        reset_state(h)
        shutil.copy(good, db_path(h))
        with open(db_path(h), "r+b") as f:
            f.write(b"this is no sqlite file at all")
        rc, err = start_fails(h)
        res.check("corrupt header: refused, says so and to restore",
                  rc == 1 and "not a sqlite database" in err
                  and "header" in err and "restore" in err, err[-500:])

        # Truncated file: shorter than its header says.
        reset_state(h)
        shutil.copy(good, db_path(h))
        os.truncate(db_path(h), size // 2)
        rc, err = start_fails(h)
        res.check("truncated file: refused, with the sizes",
                  rc == 1 and "truncated" in err and str(size // 2) in err
                  and "restore" in err, err[-500:])

        # A damaged page inside: quick_check finds it.
        reset_state(h)
        shutil.copy(good, db_path(h))
        with open(db_path(h), "r+b") as f:
            for page in range(2, size // 4096):
                f.seek(page * 4096)
                f.write(b"\xff" * 64)
        rc, err = start_fails(h)
        res.check("damaged pages: refused after quick_check",
                  rc == 1 and "damaged" in err and "quick_check" in err,
                  err[-500:])

        # A directory where the file should be.
        reset_state(h)
        os.makedirs(db_path(h))
        rc, err = start_fails(h)
        res.check("directory in place of the file: refused, named",
                  rc == 1 and "pharos.db is a directory" in err
                  and "state_dir" in err, err[-500:])

        # A zero-length file is not a fresh install without the flag.
        reset_state(h)
        open(db_path(h), "w").close()
        rc, err = start_fails(h)
        res.check("zero-length file: refused, names --init-empty-db",
                  rc == 1 and "empty (0 bytes)" in err
                  and "--init-empty-db" in err, err[-500:])
        res.check("zero-length file left as it was",
                  os.path.getsize(db_path(h)) == 0)
        h._start("collector", [h.bin("pharos-collector"), "-c", h.conf_path,
                               "--init-empty-db"])
        res.check("--init-empty-db makes it a new database",
                  wait_until(lambda: http_get(h.url("/healthz"))[0] == 200,
                             15))
        h.stop("collector")

        # Schema newer than this binary.
        reset_state(h)
        shutil.copy(good, db_path(h))
        c = sqlite3.connect(db_path(h))
        c.execute("PRAGMA user_version = 999")
        c.commit()
        c.close()
        rc, err = start_fails(h)
        res.check("newer schema: refused with both versions",
                  rc == 1 and "schema version 999" in err and "newer" in err,
                  err[-500:])
        res.check("newer schema: database left untouched",
                  count(db_path(h), "PRAGMA user_version") == 999)

        # Restore as docs/operator-guide.md says, keeping pharos.db.acked
        # from the lost database: the restored copy starts with the same
        # data, and the acked batches the backup lacks are named.
        reset_state(h)
        shutil.copy(good, db_path(h))
        shutil.copy(good, os.path.join(h.dir, "lost.db"))
        with open(db_path(h) + ".acked", "w") as f:
            f.write(f"agent-r1 {count(good, 'SELECT last_seq FROM agents')}\n")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(db_path(h) + suffix):
                os.rename(db_path(h) + suffix, db_path(h) + suffix + ".broken")
        shutil.copy(backup, db_path(h))
        h.start_collector()
        res.check("restored copy serves the feed",
                  b"svc" in http_get(h.url("/api/v2/components.json"))[1])
        h.stop("collector")
        with open(h.logs["collector"]) as f:
            log = f.read()
        res.check("restored copy: same results and seq as the backup",
                  count(db_path(h), "SELECT count(*) FROM results") == b_results
                  and count(db_path(h), "SELECT last_seq FROM agents "
                            "WHERE agent_id = 'agent-r1'") == b_seq,
                  (b_results, b_seq))
        res.check("restore from an older copy: lost acked batches named",
                  "behind its acknowledgement record" in log
                  and f"holds up to {b_seq}" in log, log[-800:])

        # The WAL deleted after a crash: acknowledged batches are gone, and
        # the next start says so.
        reset_state(h)
        h.start_collector()
        h.start_agent("r1")
        res.check("fresh database acks batches",
                  wait_until(lambda: acked(h) >= 3, 30), acked(h))
        h.stop("agent-r1")
        h.stop("collector", signal.SIGKILL)
        res.check("kill -9 leaves a WAL", os.path.exists(db_path(h) + "-wal"))
        os.unlink(db_path(h) + "-wal")
        h.start_collector()
        h.stop("collector")
        with open(h.logs["collector"]) as f:
            log = f.read()
        res.check("deleted WAL: the lost acked batches are reported",
                  "behind its acknowledgement record" in log
                  and "agent agent-r1" in log and "WAL" in log, log[-800:])
        h.start_collector()
        h.stop("collector")
        with open(h.logs["collector"]) as f:
            log = f.read()
        res.check("reported once: the record follows the database after",
                  "behind its acknowledgement record" not in log, log[-800:])
    finally:
        rc = res.finish()
        if rc:
            h.dump_logs()
        h.stop_all()
    sys.exit(rc)


if __name__ == "__main__":
    main()
