"""Helpers for probe tests: write a pharos.yml with the given checks and
run `pharos-agent once --json` on them; results come back per check id."""
import json
import os
import subprocess

# One Results for every test: it also counts daemon problems and skips.
from pharos_harness import Results  # noqa: F401

BUILD = os.environ.get("PH_BUILD_DIR",
                       os.path.abspath(os.path.join(os.path.dirname(__file__),
                                                    "..", "..", "..", "build")))


def agent_bin():
    return os.path.join(BUILD, "bin", "pharos-agent")


def write_conf(d, checks_yaml):
    path = os.path.join(d, "pharos.yml")
    with open(path, "w") as f:
        f.write("page: {id: t, name: T}\nregions: [{id: r1}]\n"
                "defaults: {interval: 30s, timeout: 3s}\n"
                "components:\n  - id: c1\n    name: C1\n    checks:\n")
        for line in checks_yaml.strip("\n").splitlines():
            f.write("      " + line + "\n")
    return path


def run_once(conf, ids, extra=()):
    cmd = [agent_bin(), "once", "-c", conf, "--json", *extra]
    for i in ids:
        cmd += ["--check", i]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    out = {}
    for line in p.stdout.splitlines():
        r = json.loads(line)
        out[r["id"]] = r
    return p.returncode, out, p.stderr
