#!/usr/bin/env python3
"""deploy/docker builds and runs: the images of docker-compose.yml, built
by podman from a clean copy of this source tree (what git tracks or
would track: no build directories) on a local Debian 12 base (no registry),
run together as compose describes them, serve the page through nginx
with a probe result from the agent.

The base is the cached mmdebstrap tarball (scripts/debian-base.sh)
imported as localhost/debian:12-slim and passed as the compose build
argument BASE (PHAROS_BASE_IMAGE). Each service is built with its
context, Dockerfile and arguments from docker-compose.yml, then run with
its environment and volumes (named volumes are real podman volumes; the
mounted configs are copies rewritten for loopback) on the host network:
the collector, the nginx site and the agent talk over free loopback
ports instead of the compose network's names, and the agent probes a
target this test serves on loopback.

podman runs with this run's own storage (overlay where the kernel allows
it, else vfs), deleted at the end, and a containers.conf that suits this
machine: runc (crun refuses hybrid cgroup setups), cgroupfs, no default
ulimits. Only the base tarball is cached between runs; the collector and
agent images share their build stage, so the sources compile once.

Heavy (ctest label "heavy": run once in CI, not in the sanitizer pass).
Exits 77 (skipped) only when podman cannot run a container at all,
saying why."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pharos_harness import (SRC, free_port, http_get,  # noqa: E402
                            serve_target, wait_until)
from oncetest import Results  # noqa: E402
from test_deploy import compose_services, dockerfile_stages  # noqa: E402

SKIP = 77
BASE = "localhost/debian:12-slim"
DDIR = os.path.join(SRC, "deploy", "docker")
RUN = f"pharos-test-{os.getpid()}"

CONTAINERS_CONF = """\
# podman for tests/integration/test_images.py on this machine.
[containers]
default_ulimits = []
[engine]
cgroup_manager = "cgroupfs"
runtime = "runc"
events_logger = "file"
"""


def skip(why):
    print(f"skipped: {why}")
    sys.exit(SKIP)


def podman_env(d, driver):
    """podman's environment: this run's own storage in d (nothing shared
    with other runs or the host's images; the whole of it goes with d)
    and a containers.conf for this machine."""
    conf, storage = os.path.join(d, "containers.conf"), os.path.join(d, "storage.conf")
    with open(conf, "w") as f:
        f.write(CONTAINERS_CONF)
    with open(storage, "w") as f:
        f.write(f'[storage]\ndriver = "{driver}"\n'
                f'graphroot = "{d}/storage"\nrunroot = "{d}/run"\n')
    return dict(os.environ, CONTAINERS_CONF=conf, CONTAINERS_STORAGE_CONF=storage)


def podman(env, *args, timeout=120, check=False):
    p = subprocess.run(["podman"] + list(args), env=env, capture_output=True,
                       text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise RuntimeError(f"podman {' '.join(args)}: {p.stderr[-2000:]}")
    return p


def clean_storage(env):
    """Removes what this run made in its storage, so that no mount is
    left when the directory goes. (Not podman system reset: as root it
    also deletes the host's podman networks.)"""
    podman(env, "rm", "--all", "--force", "-t", "5", timeout=300)
    podman(env, "volume", "rm", "--all", "--force", timeout=300)
    podman(env, "rmi", "--all", "--force", timeout=600)


def podman_with_base(d, tar):
    """Imports the base tarball as localhost/debian:12-slim into this
    run's storage and runs a container of it: with the overlay driver
    where the kernel allows it (fast, small), else with vfs (a full copy
    per layer: about 25 min and 25 GB for the three images here);
    PH_PODMAN_DRIVER=vfs forces one. Returns
    (env, driver) or (None, reasons) when podman cannot run a container."""
    why = []
    drivers = os.environ.get("PH_PODMAN_DRIVER", "overlay vfs").split()
    for driver in drivers:
        sd = os.path.join(d, driver)
        os.makedirs(sd)
        env = podman_env(sd, driver)
        p = podman(env, "import", "--change", 'CMD ["/bin/bash"]', tar, BASE,
                   timeout=600)
        if p.returncode == 0:
            p = podman(env, "run", "--rm", "--network", "host", BASE, "true")
            if p.returncode == 0:
                return env, driver
        why.append(f"{driver}: {p.stderr.strip()[-300:]}")
        clean_storage(env)
        shutil.rmtree(sd, ignore_errors=True)
    return None, "; ".join(why)


def expand(value, env):
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?message}."""
    def one(m):
        name, op, arg = m.group(1), m.group(2), m.group(3)
        v = env.get(name)
        if op == ":-" and not v:
            return arg
        if op == ":?" and not v:
            raise KeyError(f"{name}: {arg}")
        return v or ""
    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:[-?])([^}]*))?\}", one,
                  value)


def service(block, env):
    """The parts of a compose service this test runs: build (context,
    dockerfile, args), image, environment, volumes."""
    svc = {"build": {"args": {}}, "environment": {}, "volumes": []}
    section = sub = None
    for line in block.splitlines():
        if not line.strip() or line.strip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip())
        text = line.strip()
        if indent == 4:
            section, sub = text.split(":", 1)[0], None
            rest = text.split(":", 1)[1].strip()
            if section == "image":
                svc["image"] = expand(rest, env)
        elif indent == 6 and section == "build":
            key, _, rest = text.partition(":")
            if key == "args":
                sub = "args"
            else:
                svc["build"][key] = expand(rest.strip(), env)
        elif indent == 8 and section == "build" and sub == "args":
            key, _, rest = text.partition(":")
            svc["build"]["args"][key] = expand(rest.strip(), env)
        elif indent == 6 and section == "environment":
            key, _, rest = text.partition(":")
            svc["environment"][key] = expand(rest.strip().strip('"'), env)
        elif indent == 6 and section == "volumes" and text.startswith("- "):
            svc["volumes"].append(expand(text[2:].strip().strip('"'), env))
    return svc


def loopback_files(d, cport, nport, tport, aport):
    """The compose directory's mounted configs, rewritten for the host
    network: the collector on cport (its agent listener on aport), nginx
    on nport, the agent through nginx, one check against the test's target
    on tport, short intervals."""
    with open(os.path.join(DDIR, "pharos.yml")) as f:
        conf = f.read()
    conf = conf.replace('"0.0.0.0:8080"', f'"127.0.0.1:{cport}"')
    conf = conf.replace('"0.0.0.0:8081"', f'"127.0.0.1:{aport}"')
    conf = re.sub(r"interval: \S+", "interval: 2s", conf)
    conf = re.sub(r"timeout: \S+", "timeout: 1s", conf)
    conf = conf[:conf.index("\ncomponents:")] + f"""
components:
  - id: website
    name: Website
    checks:
      - id: website-http
        type: http
        url: http://127.0.0.1:{tport}/
        body_contains: "Example Domain"
"""
    with open(os.path.join(DDIR, "nginx.conf")) as f:
        site = f.read()
    site = site.replace("server collector:8080;", f"server 127.0.0.1:{cport};")
    site = site.replace("server collector:8081;", f"server 127.0.0.1:{aport};")
    site = site.replace("listen [::]:80;", "")
    site = site.replace("listen 80;", f"listen 127.0.0.1:{nport};")
    with open(os.path.join(DDIR, "agent.yml")) as f:
        agent = f.read()
    agent = agent.replace("http://nginx", f"http://127.0.0.1:{nport}")
    agent += "plan_refresh: 2s\nheartbeat: 2s\n"
    out = {}
    for name, text in (("pharos.yml", conf), ("nginx.conf", site),
                       ("agent.yml", agent)):
        out[name] = os.path.join(d, name)
        with open(out[name], "w") as f:
            f.write(text)
        os.chmod(out[name], 0o644)
    return out


def clean_context(d):
    """The build context as a fresh clone would have it, uncommitted
    changes included: the files git tracks or would track, without build
    directories or anything else git ignores. Falls back to SRC itself
    (with .dockerignore) outside a git checkout."""
    p = subprocess.run(["git", "-C", SRC, "ls-files", "-z", "--cached",
                        "--others", "--exclude-standard"],
                       capture_output=True, timeout=60)
    if p.returncode != 0:
        return SRC
    ctx = os.path.join(d, "context")
    for rel in p.stdout.decode().split("\0"):
        src = os.path.join(SRC, rel)
        if not rel or not os.path.isfile(src):
            continue    # deleted in the worktree, or a submodule
        os.makedirs(os.path.dirname(os.path.join(ctx, rel)), exist_ok=True)
        shutil.copy2(src, os.path.join(ctx, rel))
    return ctx


def healthcheck_cmd(port):
    """The collector image's HEALTHCHECK command, for the test's port."""
    stages = dockerfile_stages(os.path.join(DDIR, "Dockerfile.collector"))
    hc = [a for k, a in stages[-1]["instr"] if k == "HEALTHCHECK"][-1]
    cmd = hc[hc.index("CMD ") + 4:]
    return cmd.replace("127.0.0.1:8080", f"127.0.0.1:{port}")


def main():
    if os.geteuid() != 0:
        skip("needs root (podman storage and chroot builds, mmdebstrap)")
    if shutil.which("podman") is None or shutil.which("runc") is None:
        skip("podman or runc missing: ./scripts/install-deps.sh --heavy")

    res = Results()
    # Under /var/tmp: podman's storage is large for /tmp on tmpfs.
    d = tempfile.mkdtemp(prefix="pharos-images-", dir="/var/tmp")
    env = None
    containers, volumes = [], []
    target = None
    try:
        t0 = time.time()
        p = subprocess.run([os.path.join(SRC, "scripts", "debian-base.sh")],
                           capture_output=True, text=True, timeout=1200)
        res.check("Debian 12 base tarball (mmdebstrap, cached)",
                  p.returncode == 0, p.stderr[-2000:])
        if p.returncode != 0:
            return res.finish()
        env, driver = podman_with_base(d, p.stdout.strip().splitlines()[-1])
        if env is None:
            skip(f"podman cannot run a container here: {driver}")
        print(f"podman storage driver {driver}; base {BASE} imported "
              f"({time.time() - t0:.0f} s)")

        run_env = {"PHAROS_AGENT_TOKEN": "ph_" + "a" * 40,
                   "PHAROS_KEY": "ph_" + "k" * 40, "PHAROS_BASE_IMAGE": BASE}
        with open(os.path.join(DDIR, "docker-compose.yml")) as f:
            svcs = {n: service(b, run_env)
                    for n, b in compose_services(f.read()).items()}
        res.check("compose: collector, nginx and agent, each built here",
                  all("dockerfile" in svcs.get(n, {}).get("build", {})
                      for n in ("collector", "nginx", "agent")), svcs)

        # compose's contexts name SRC; build from a clean copy of it.
        ctx_root = clean_context(d)

        # Build in dependency order; the collector and agent Dockerfiles
        # share their build stage, so the second build reuses its layers.
        for name in ("collector", "agent", "nginx"):
            b = svcs[name]["build"]
            tag = f"localhost/{RUN}-{name}:test"
            ctx = os.path.normpath(os.path.join(DDIR, b.get("context", ".")))
            ctx = ctx.replace(os.path.normpath(SRC), ctx_root, 1)
            argv = ["build", "--isolation", "chroot", "--pull=never",
                    # docker format: OCI images drop HEALTHCHECK.
                    "--format", "docker",
                    "-f", os.path.join(ctx, b["dockerfile"]), "-t", tag]
            for k, v in b["args"].items():
                argv += ["--build-arg", f"{k}={v}"]
            argv.append(ctx)
            t = time.time()
            p = podman(env, *argv, timeout=1800)
            res.check(f"podman build {b['dockerfile']} "
                      f"({time.time() - t:.0f} s)", p.returncode == 0,
                      p.stdout[-3000:] + p.stderr[-3000:])
            if p.returncode != 0:
                return res.finish()
            svcs[name]["tag"] = tag

        for name in ("collector", "agent"):
            p = podman(env, "image", "inspect", "--format",
                       "{{.Config.User}}", svcs[name]["tag"])
            user = p.stdout.strip()
            res.check(f"{name} image runs as a non-root user",
                      user and user.split(":")[0] not in ("0", "root"), user)

        cport, nport, tport, aport = (free_port(), free_port(), free_port(),
                                      free_port())
        hits = []

        def respond(_h):
            hits.append(time.time())
            return 200, b"<html><body>Example Domain</body></html>\n"
        target = serve_target(tport, respond)
        files = loopback_files(d, cport, nport, tport, aport)

        def run(name, extra=()):
            svc = svcs[name]
            argv = ["run", "-d", "--name", f"{RUN}-{name}", "--network", "host"]
            for k, v in svc["environment"].items():
                argv += ["-e", f"{k}={v}"]
            for vol in svc["volumes"]:
                src, _, rest = vol.partition(":")
                if src.startswith("."):
                    src = files[os.path.basename(src)]
                else:
                    src = f"{RUN}-{src}"
                    if src not in volumes:
                        podman(env, "volume", "create", src, check=True)
                        volumes.append(src)
                argv += ["-v", f"{src}:{rest}"]
            argv += list(extra) + [svc["tag"]]
            p = podman(env, *argv)
            containers.append(f"{RUN}-{name}")
            res.check(f"{name} container starts", p.returncode == 0, p.stderr)
            return p.returncode == 0

        # The collector first, healthy by its image's HEALTHCHECK (with
        # the test's port), then nginx and the agent, as compose's
        # depends_on orders them.
        if not run("collector", ["--health-cmd", healthcheck_cmd(cport)]):
            return res.finish()
        ok = wait_until(lambda: podman(
            env, "healthcheck", "run", f"{RUN}-collector").returncode == 0, 30,
            interval_s=0.5)
        res.check("collector container is healthy (its HEALTHCHECK)", ok)
        p = podman(env, "exec", f"{RUN}-collector", "id", "-un")
        res.check("collector runs as pharos", p.stdout.strip() == "pharos",
                  p.stdout + p.stderr)
        run("nginx")
        run("agent")

        base = f"http://127.0.0.1:{nport}"
        ok = wait_until(lambda: http_get(base + "/healthz")[0] == 200, 30)
        res.check("nginx container proxies /healthz to the collector", ok)
        ok = wait_until(lambda: b"<html" in http_get(base + "/")[1].lower(), 30)
        res.check("nginx container serves the page from the public volume", ok)

        def probe_result():
            doc = json.loads(http_get(base + "/api/v2/regions.json")[1])
            for c in doc["checks"]:
                if c["id"] == "website-http":
                    return any(r["region"] == "local"
                               and r.get("last_result") == "up"
                               for r in c["regions"])
            return False
        ok = wait_until(probe_result, 60, interval_s=0.5)
        res.check("agent container's probe result shows through nginx "
                  "(regions.json: website-http up in local)",
                  ok and hits, len(hits))

        def operational():
            doc = json.loads(http_get(base + "/api/v2/summary.json")[1])
            return {c["id"]: c["status"] for c in doc["components"]
                    }.get("website") == "operational"
        ok = wait_until(operational, 30, interval_s=0.5)
        res.check("summary.json through nginx: website operational", ok)
        p = podman(env, "exec", f"{RUN}-agent", "id", "-un")
        res.check("agent runs as pharos-agent",
                  p.stdout.strip() == "pharos-agent", p.stdout + p.stderr)
        if not res.items or not all(okk for _, okk in res.items):
            for c in containers:
                p = podman(env, "logs", c)
                print(f"--- {c}\n{(p.stdout + p.stderr)[-3000:]}")
        print(f"total {time.time() - t0:.0f} s")
    finally:
        if env is not None:
            for c in containers:
                podman(env, "rm", "-f", "-t", "5", c)
            clean_storage(env)
        if target is not None:
            target.shutdown()
        shutil.rmtree(d, ignore_errors=True)
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
