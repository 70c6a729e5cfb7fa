#!/usr/bin/env python3
"""The shipped deployment files stay valid: the example configs pass
--check / -n, every option is documented by --help-config, the nginx
site passes `nginx -t` (with throwaway certificates in place of the Let's
Encrypt paths), and `cmake --install` lays out the expected tree.

deploy/docker is checked here without building images (test_images.py
builds and runs them): the Dockerfiles copy only paths that exist, build with every -dev
package of scripts/install-deps.sh, run as a non-root user and install a
runtime package for every library the programs link; docker-compose.yml
names existing files; and its collector, nginx and agent configs run
together on loopback, as the containers would. docker-compose.ha.yml the
same way, its two collectors with a PostgreSQL started by the test, and
a kill -9 of the leader behind nginx. `docker compose config` runs only
when docker compose is installed."""
import fnmatch
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pharos_harness import (BUILD, SRC, Harness, free_port,  # noqa: E402
                            http_get, wait_until)
from oncetest import Results  # noqa: E402
from pgserver import PgServer, available  # noqa: E402


def cmake_cache(key):
    """Value of key in the build's CMakeCache.txt, or None."""
    try:
        with open(os.path.join(BUILD, "CMakeCache.txt")) as f:
            for line in f:
                m = re.match(rf"^{re.escape(key)}:[A-Z]+=(.*)$", line)
                if m:
                    return m.group(1)
    except OSError:
        pass
    return None


def check_install(res, d):
    """cmake --install into a staging prefix: programs, page, units, examples,
    with the units and examples rewritten for the configured prefix."""
    cmake = shutil.which("cmake")
    if cmake is None:
        res.skip("cmake --install", "cmake not in PATH")
        return
    root = os.path.join(d, "stage")
    p = subprocess.run([cmake, "--install", BUILD, "--prefix", root],
                       capture_output=True, text=True, timeout=120)
    res.check("cmake --install succeeds", p.returncode == 0, p.stderr)
    want = ["bin/pharos-agent", "bin/pharos-collector", "bin/pharosctl",
            "share/pharos/web/index.html", "share/pharos/web/app.js",
            "share/pharos/web/style.css",
            "lib/systemd/system/pharos-collector.service",
            "lib/systemd/system/pharos-agent.service",
            "share/doc/pharos/operator-guide.md",
            "share/doc/pharos/examples/pharos.yml.example",
            "share/doc/pharos/examples/agent.yml.example",
            "share/doc/pharos/examples/nginx/pharos.conf"]
    missing = [w for w in want if not os.path.isfile(os.path.join(root, w))]
    res.check("install tree has programs, page, units and examples",
              not missing, missing)
    notexec = [b for b in want[:3]
               if not os.access(os.path.join(root, b), os.X_OK)]
    res.check("installed programs are executable", not notexec, notexec)
    stray = [f for f in os.listdir(os.path.join(root, "bin"))
             if f not in ("pharos-agent", "pharos-collector", "pharosctl")]
    res.check("nothing but the three programs in bin/", not stray, stray)
    if missing:
        return

    # The installed copies name this build's prefix (the configured one,
    # not the staging root); for /usr they equal the files in deploy/.
    prefix = cmake_cache("CMAKE_INSTALL_PREFIX") or "/usr"
    bindir = cmake_cache("CMAKE_INSTALL_BINDIR") or "bin"
    datadir = cmake_cache("CMAKE_INSTALL_DATADIR") or "share"
    full = lambda v: v if v.startswith("/") else f"{prefix}/{v}"  # noqa: E731
    with open(os.path.join(root, "lib/systemd/system/pharos-collector.service")) as f:
        unit = f.read()
    res.check("installed collector unit runs the installed binary",
              f"ExecStart={full(bindir)}/pharos-collector -c " in unit, unit)
    with open(os.path.join(root, "lib/systemd/system/pharos-agent.service")) as f:
        unit = f.read()
    res.check("installed agent unit runs the installed binary",
              f"ExecStart={full(bindir)}/pharos-agent run " in unit, unit)
    web = f"{full(datadir)}/pharos/web"
    with open(os.path.join(root, "share/doc/pharos/examples/pharos.yml.example")) as f:
        ex = f.read()
    res.check("installed pharos.yml.example names the installed page",
              f"web_dir: {web} " in ex, web)

    # With no server.web_dir the collector serves the installed page.
    conf = os.path.join(d, "noweb.yml")
    with open(conf, "w") as f:
        f.write("page: {id: p, name: P}\nregions: [{id: r1}]\n"
                "components:\n  - id: web\n    name: Web\n")
    p = subprocess.run([os.path.join(root, "bin/pharos-collector"), "-nv",
                        "-c", conf], capture_output=True, text=True, timeout=30)
    res.check("default web_dir is the installed page",
              p.returncode == 0 and f'web_dir: "{web}"' in p.stdout,
              p.stdout + p.stderr)


def nginx_main_conf(d, name, site_text, extra=""):
    """Writes site_text as d/<name>.conf inside a minimal nginx.conf rooted
    in d; returns the main config's path."""
    os.makedirs(os.path.join(d, "logs"), exist_ok=True)
    os.makedirs(os.path.join(d, "tmp"), exist_ok=True)
    with open(os.path.join(d, f"{name}.conf"), "w") as f:
        f.write(site_text)
    main_conf = os.path.join(d, f"nginx-{name}.conf")
    with open(main_conf, "w") as f:
        f.write(f"pid {d}/nginx-{name}.pid;\nerror_log {d}/logs/error.log;\n"
                "events {}\nhttp {\n  access_log off;\n"
                f"  client_body_temp_path {d}/tmp;\n  proxy_temp_path {d}/tmp;\n"
                f"  fastcgi_temp_path {d}/tmp;\n  uwsgi_temp_path {d}/tmp;\n"
                f"  scgi_temp_path {d}/tmp;\n{extra}"
                f"  include {d}/{name}.conf;\n}}\n")
    return main_conf


def dockerfile_stages(path):
    """Parses a Dockerfile into stages: [{"from": image, "name": alias,
    "instr": [(KEYWORD, args)]}], continuation lines joined."""
    with open(path) as f:
        text = re.sub(r"\\\n", " ", f.read())
    stages, args_before = [], {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        kw, _, args = line.partition(" ")
        kw, args = kw.upper(), args.strip()
        if kw == "ARG" and not stages:
            # An ARG before the first FROM: its default fills ${NAME}.
            name, _, default = args.partition("=")
            args_before[name] = default
        elif kw == "FROM":
            m = re.match(r"(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$",
                         args, re.I)
            image = re.sub(r"\$\{?(\w+)\}?",
                           lambda a: args_before.get(a.group(1), a.group(0)),
                           m.group(1))
            stages.append({"from": image, "name": m.group(2),
                           "instr": []})
        elif stages:
            stages[-1]["instr"].append((kw, args))
    return stages


def apt_packages(stage):
    """Packages named by apt-get install in a stage's RUN instructions."""
    pkgs = []
    for kw, args in stage["instr"]:
        if kw != "RUN":
            continue
        for cmd in args.split("&&"):
            words = cmd.split()
            if words[:2] == ["apt-get", "install"]:
                pkgs += [w for w in words[2:] if not w.startswith("-")]
    return pkgs


def copy_sources(stage):
    """(from, [sources]) of each COPY/ADD of a stage."""
    out = []
    for kw, args in stage["instr"]:
        if kw not in ("COPY", "ADD"):
            continue
        words = args.split()
        if words and words[0].startswith("["):
            words = json.loads(args)
        frm = None
        while words and words[0].startswith("--"):
            if words[0].startswith("--from="):
                frm = words[0][7:]
            words = words[1:]
        out.append((frm, words[:-1]))
    return out


def deps_packages():
    """The base package list of scripts/install-deps.sh."""
    with open(os.path.join(SRC, "scripts", "install-deps.sh")) as f:
        m = re.search(r"^pkgs=\((.*?)^\)", f.read(), re.M | re.S)
    return re.sub(r"#.*", "", m.group(1)).split()


def linked_packages(binary):
    """Debian packages of the libraries binary links directly (NEEDED),
    or None when readelf, ldd or dpkg is missing."""
    if not all(shutil.which(t) for t in ("readelf", "ldd", "dpkg")):
        return None
    p = subprocess.run(["readelf", "-d", binary], capture_output=True,
                       text=True, timeout=30)
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", p.stdout)
    p = subprocess.run(["ldd", binary], capture_output=True, text=True,
                       timeout=30)
    where = dict(re.findall(r"^\s*(\S+) => (/\S+)", p.stdout, re.M))
    pkgs = set()
    for so in needed:
        path = where.get(so)
        if path is None:
            return None
        cands = {path, os.path.realpath(path)}
        cands |= {c[4:] if c.startswith("/usr/") else "/usr" + c
                  for c in list(cands)}
        for c in cands:
            q = subprocess.run(["dpkg", "-S", c], capture_output=True,
                               text=True, timeout=30)
            if q.returncode == 0:
                pkgs.add(q.stdout.split(":")[0])
                break
        else:
            return None
    return pkgs


def dockerignored(rel, patterns):
    first = rel.strip("/").split("/")[0]
    return any(fnmatch.fnmatch(first, pat) or fnmatch.fnmatch(rel.strip("/"), pat)
               for pat in patterns)


def check_dockerfile(res, name, programs):
    """Static checks of deploy/docker/<name>; programs: what it ships."""
    path = os.path.join(SRC, "deploy", "docker", name)
    stages = dockerfile_stages(path)
    res.check(f"{name}: multi-stage, every stage FROM debian:12-slim "
              "(by default: ARG BASE names a local base)",
              len(stages) >= 2 and all(st["from"] == "debian:12-slim"
                                       for st in stages),
              [st["from"] for st in stages])
    with open(os.path.join(SRC, ".dockerignore")) as f:
        ignore = [ln.strip() for ln in f
                  if ln.strip() and not ln.startswith("#")]
    bad = []
    for st in stages:
        for frm, srcs in copy_sources(st):
            if frm is None:
                bad += [s for s in srcs
                        if not os.path.exists(os.path.join(SRC, s))
                        or dockerignored(s, ignore)]
    res.check(f"{name}: every COPY'd path exists in the build context", not bad,
              bad)

    build, run = stages[0], stages[-1]
    dev = {p for p in deps_packages()
           if p.endswith("-dev") or p == "protobuf-c-compiler"}
    dev.discard("libcmocka-dev")    # tests only; images build with them off
    missing = sorted(dev - set(apt_packages(build)))
    res.check(f"{name}: build stage installs every -dev package of "
              "install-deps.sh", not missing, missing)
    cmake_run = " ".join(a for k, a in build["instr"] if k == "RUN")
    res.check(f"{name}: builds with CMake, tests off, and installs",
              "cmake -S" in cmake_run and "-DPH_BUILD_TESTS=OFF" in cmake_run
              and "cmake --install" in cmake_run, cmake_run)

    rt = apt_packages(run)
    heavy = [p for p in rt if p.endswith("-dev") or p in
             ("build-essential", "cmake", "gcc", "clang", "pkg-config")]
    res.check(f"{name}: runtime stage installs no build tools", rt and not heavy,
              heavy)
    for prog in programs:
        pkgs = linked_packages(os.path.join(BUILD, "bin", prog))
        if pkgs is None:
            res.skip(f"{name}: runtime libraries of {prog}",
                     "readelf, ldd or dpkg missing")
            continue
        # libc6 and libgcc-s1 are in every Debian image; sanitizer
        # runtimes come from a -DPH_ASAN/-DPH_UBSAN test build, never an
        # image.
        sanitizers = {p for p in pkgs
                      if p.startswith(("libasan", "libubsan", "libtsan", "liblsan"))}
        lack = sorted(pkgs - set(rt) - {"libc6", "libgcc-s1"} - sanitizers)
        res.check(f"{name}: runtime stage has every library {prog} links",
                  not lack, lack)
    shipped = " ".join(" ".join(s) for frm, s in copy_sources(run) if frm)
    lack = [p for p in programs if f"/bin/{p}" not in shipped]
    res.check(f"{name}: runtime stage ships {', '.join(programs)}", not lack,
              lack)
    users = [a for k, a in run["instr"] if k == "USER"]
    res.check(f"{name}: runtime stage runs as a non-root user",
              users and users[-1].split(":")[0] not in ("root", "0"), users)
    vols = [a for k, a in run["instr"] if k == "VOLUME"]
    res.check(f"{name}: state lives in a VOLUME", vols, vols)


def compose_services(text):
    """{service: block text} of the top-level services: mapping (a minimal
    reader for this file's shape: two-space indents, no anchors)."""
    m = re.search(r"^services:\n((?:[ \t]+.*\n|\n)*)", text, re.M)
    blocks, cur = {}, None
    for line in m.group(1).splitlines():
        k = re.match(r"^  ([A-Za-z0-9_.-]+):\s*$", line)
        if k:
            cur = k.group(1)
            blocks[cur] = ""
        elif cur:
            blocks[cur] += line + "\n"
    return blocks


def check_compose(res, d, fname="docker-compose.yml",
                  want=("collector", "nginx", "agent"),
                  confs=(("collector", "pharos.yml"), ("agent", "agent.yml")),
                  public_ro=True, env_extra=None):
    ddir = os.path.join(SRC, "deploy", "docker")
    path = os.path.join(ddir, fname)
    with open(path) as f:
        text = f.read()
    svcs = compose_services(text)
    res.check(f"{fname}: {', '.join(want)} services",
              set(want) <= set(svcs), list(svcs))
    bad = []
    for svc, block in svcs.items():
        ctx = re.search(r"^\s+context:\s*(\S+)", block, re.M)
        dfile = re.search(r"^\s+dockerfile:\s*(\S+)", block, re.M)
        if dfile:
            f = os.path.join(ddir, ctx.group(1) if ctx else ".", dfile.group(1))
            if not os.path.isfile(f):
                bad.append(f"{svc}: {dfile.group(1)}")
        for src in re.findall(r"^\s+- \"?(\.{1,2}/[^:\"]+):", block, re.M):
            if not os.path.exists(os.path.join(ddir, src)):
                bad.append(f"{svc}: {src}")
    res.check(f"{fname}: every Dockerfile and mounted file exists", not bad,
              bad)
    named = set()
    for block in svcs.values():
        named |= set(re.findall(r"^\s+- \"?([A-Za-z0-9_-]+):/", block, re.M))
    vm = re.search(r"^volumes:\n((?:[ \t]+.*\n)*)", text, re.M)
    declared = set(re.findall(r"^  ([A-Za-z0-9_-]+):", vm.group(1) if vm else "",
                              re.M))
    res.check(f"{fname}: named volumes are declared", named <= declared,
              sorted(named - declared))
    if public_ro:
        res.check("compose: nginx mounts publish_dir read-only",
                  re.search(r"- public:\S+:ro", svcs.get("nginx", ""))
                  is not None)
    # Every token_env of the configs is passed to its container.
    lack = []
    for svc, conf in confs:
        with open(os.path.join(ddir, conf)) as f:
            envs = re.findall(r"token_env:\s*(\S+)", f.read())
        lack += [f"{svc}: {e}" for e in envs
                 if not re.search(rf"^\s+{e}:", svcs.get(svc, ""), re.M)]
    res.check(f"{fname}: token variables of the configs reach the "
              "containers", not lack, lack)

    compose = None
    for argv in (["docker", "compose"], ["docker-compose"]):
        if shutil.which(argv[0]) and subprocess.run(
                argv + ["version"], capture_output=True,
                timeout=30).returncode == 0:
            compose = argv
            break
    if compose is None:
        res.skip("docker compose config", "docker compose not installed")
    else:
        env = dict(os.environ, PHAROS_AGENT_TOKEN="t" * 32, PHAROS_KEY="k" * 32,
                   **(env_extra or {}))
        p = subprocess.run(compose + ["-f", path, "config", "-q"], env=env,
                           capture_output=True, text=True, timeout=60)
        res.check(f"docker compose config accepts {fname}",
                  p.returncode == 0, p.stderr)


def check_compose_on_loopback(res, d, h):
    """The compose configs run together as the containers would: the
    collector writes publish_dir, nginx serves it and proxies the agent to
    the collector. Hostnames and paths are mapped onto loopback and d."""
    ddir = os.path.join(SRC, "deploy", "docker")
    env = dict(os.environ, PHAROS_AGENT_TOKEN="ph_" + "a" * 40,
               PHAROS_KEY="ph_" + "k" * 40)
    cport, nport = h.port, free_port()
    state, public = os.path.join(d, "c-state"), os.path.join(d, "c-public")
    with open(os.path.join(ddir, "pharos.yml")) as f:
        conf = f.read()
    conf = conf.replace('"0.0.0.0:8080"', f'"127.0.0.1:{cport}"')
    aport = free_port()
    conf = conf.replace('"0.0.0.0:8081"', f'"127.0.0.1:{aport}"')
    conf = conf.replace("publish_dir: /var/lib/pharos/public",
                        f"publish_dir: {public}")
    conf = conf.replace("state_dir: /var/lib/pharos", f"state_dir: {state}")
    conf = conf.replace("server:\n", "server:\n  web_dir: "
                        f"{os.path.abspath(SRC)}/web\n", 1)
    cpath = os.path.join(d, "c-pharos.yml")
    with open(cpath, "w") as f:
        f.write(conf)
    p = subprocess.run([h.bin("pharos-collector"), "--check", "-c", cpath],
                       capture_output=True, text=True, env=env, timeout=30)
    res.check("deploy/docker/pharos.yml passes --check", p.returncode == 0,
              p.stderr)

    with open(os.path.join(ddir, "agent.yml")) as f:
        aconf = f.read()
    aconf = aconf.replace("http://nginx", f"http://127.0.0.1:{nport}")
    aconf = aconf.replace("/var/lib/pharos-agent", os.path.join(d, "a-spool"))
    apath = os.path.join(d, "a-agent.yml")
    with open(apath, "w") as f:
        f.write(aconf + "plan_refresh: 2s\nheartbeat: 2s\n")
    p = subprocess.run([h.bin("pharos-agent"), "-n", "-c", apath],
                       capture_output=True, text=True, env=env, timeout=30)
    res.check("deploy/docker/agent.yml passes -n", p.returncode == 0, p.stderr)

    if shutil.which("nginx") is None:
        res.skip("compose on loopback", "nginx not installed")
        return
    with open(os.path.join(ddir, "nginx.conf")) as f:
        site = f.read()
    site = site.replace("server collector:8080;", f"server 127.0.0.1:{cport};")
    site = site.replace("server collector:8081;", f"server 127.0.0.1:{aport};")
    site = site.replace("listen [::]:80;", "")
    site = site.replace("listen 80;", f"listen 127.0.0.1:{nport};")
    site = site.replace("root /srv/pharos/public;", f"root {public};")
    main_conf = nginx_main_conf(d, "docker-site", site)
    p = subprocess.run(["nginx", "-t", "-p", d, "-c", main_conf],
                       capture_output=True, text=True, timeout=30)
    res.check("deploy/docker/nginx.conf passes nginx -t", p.returncode == 0,
              p.stderr)
    if p.returncode != 0:
        return

    h.adopt("collector", subprocess.Popen(
        [h.bin("pharos-collector"), "-c", cpath], env=env,
        stdout=open(os.path.join(d, "c.log"), "w"), stderr=subprocess.STDOUT),
        os.path.join(d, "c.log"))
    h.adopt("nginx", subprocess.Popen(
        ["nginx", "-p", d, "-c", main_conf, "-g", "daemon off; user root;"],
        stdout=subprocess.DEVNULL, stderr=open(os.path.join(d, "n.log"), "w")))
    h.adopt("agent", subprocess.Popen(
        [h.bin("pharos-agent"), "run", "-c", apath], env=env,
        stdout=open(os.path.join(d, "a.log"), "w"), stderr=subprocess.STDOUT),
        os.path.join(d, "a.log"))
    base = f"http://127.0.0.1:{nport}"
    ok = wait_until(lambda: http_get(base + "/healthz")[0] == 200, 15)
    res.check("compose nginx proxies /healthz to the collector", ok)
    ok = wait_until(lambda: b"<html" in http_get(base + "/")[1].lower(), 15)
    res.check("compose nginx serves the page from publish_dir", ok)
    ok = wait_until(lambda: json.loads(http_get(
        base + "/api/v2/summary.json")[1])["page"]["name"] == "Example Inc.", 15)
    res.check("compose nginx serves the feed from publish_dir", ok)

    def agent_seen():
        _, body = http_get(f"http://127.0.0.1:{cport}/v1/agents",
                           headers={"Authorization": "OAuth " + env["PHAROS_KEY"]})
        agents = json.loads(body)
        agents = agents.get("agents", agents) if isinstance(agents, dict) else agents
        return any(a.get("id") == "agent-local" and a.get("last_contact_at")
                   for a in agents)
    ok = wait_until(agent_seen, 20)
    res.check("compose agent reaches the collector through nginx", ok)
    if not ok:
        for log in ("c.log", "a.log", "n.log"):
            with open(os.path.join(d, log)) as f:
                print(f"--- {log}\n{f.read()[-2000:]}")
    for key in ("agent", "nginx", "collector"):
        h.stop(key)


def check_compose_ha(res, d, h):
    """docker-compose.ha.yml: the structure as for docker-compose.yml,
    every collector an upstream of nginx.ha.conf with the database
    password from the environment; then its configs run together on
    loopback with a PostgreSQL started here: nginx serves the page from
    either collector, one leads, and after kill -9 of the leader the
    other leads while nginx serves the page at every sample."""
    ddir = os.path.join(SRC, "deploy", "docker")
    collectors = ("collector-a", "collector-b")
    check_compose(res, d, "docker-compose.ha.yml",
                  ("postgres",) + collectors + ("nginx", "agent"),
                  tuple((c, "pharos.ha.yml") for c in collectors) +
                  (("agent", "agent.yml"),), public_ro=False,
                  env_extra={"PHAROS_DB_PASSWORD": "p" * 24})
    with open(os.path.join(ddir, "docker-compose.ha.yml")) as f:
        svcs = compose_services(f.read())
    with open(os.path.join(ddir, "nginx.ha.conf")) as f:
        site = f.read()
    ups = set(re.findall(r"^\s*server (collector-[a-z]):8080", site, re.M))
    res.check("nginx.ha.conf: every collector is an upstream",
              ups == set(collectors), sorted(ups))
    res.check("docker-compose.ha.yml: collectors get PGPASSWORD, not a "
              "password in pharos.ha.yml",
              all("PGPASSWORD:" in svcs.get(c, "") for c in collectors))

    if not available():
        res.skip("HA compose on loopback", "PostgreSQL 15 not installed")
        return
    if shutil.which("nginx") is None:
        res.skip("HA compose on loopback", "nginx not installed")
        return
    env = dict(os.environ, PHAROS_AGENT_TOKEN="ph_" + "a" * 40,
               PHAROS_KEY="ph_" + "k" * 40)
    pg = PgServer(auth="trust").start()
    try:
        with open(os.path.join(ddir, "pharos.ha.yml")) as f:
            base = f.read()
        ports = {}
        for c in collectors:
            ports[c] = (free_port(), free_port())
            conf = base.replace('"0.0.0.0:8080"', f'"127.0.0.1:{ports[c][0]}"')
            conf = conf.replace('"0.0.0.0:8081"', f'"127.0.0.1:{ports[c][1]}"')
            conf = conf.replace("publish_dir: /var/lib/pharos/public",
                                f"publish_dir: {d}/{c}/public")
            conf = conf.replace("state_dir: /var/lib/pharos",
                                f"state_dir: {d}/{c}")
            conf = conf.replace("server:\n", "server:\n  web_dir: "
                                f"{os.path.abspath(SRC)}/web\n", 1)
            conf = conf.replace(
                '"host=postgres dbname=pharos user=pharos connect_timeout=5"',
                f'"{pg.conninfo()}"')
            # One host: the host name cannot tell them apart.
            conf = conf.replace("  lease: 10s", f"  lease: 3s\n  node_id: {c}")
            path = os.path.join(d, f"{c}.yml")
            with open(path, "w") as f:
                f.write(conf)
            p = subprocess.run([h.bin("pharos-collector"), "--check", "-c",
                                path], capture_output=True, text=True,
                               env=env, timeout=30)
            res.check(f"pharos.ha.yml passes --check ({c})",
                      p.returncode == 0, p.stderr)
            h.adopt(c, subprocess.Popen(
                [h.bin("pharos-collector"), "-c", path], env=env,
                stdout=open(os.path.join(d, f"{c}.log"), "w"),
                stderr=subprocess.STDOUT), os.path.join(d, f"{c}.log"))
        nport = free_port()
        s = site
        for c in collectors:
            s = s.replace(f"server {c}:8080", f"server 127.0.0.1:{ports[c][0]}")
            s = s.replace(f"server {c}:8081", f"server 127.0.0.1:{ports[c][1]}")
        s = s.replace("listen [::]:80;", "")
        s = s.replace("listen 80;", f"listen 127.0.0.1:{nport};")
        s = s.replace("/var/lib/nginx/pharos-cache", os.path.join(d, "cache"))
        main_conf = nginx_main_conf(d, "ha-site", s)
        p = subprocess.run(["nginx", "-t", "-p", d, "-c", main_conf],
                           capture_output=True, text=True, timeout=30)
        res.check("nginx.ha.conf passes nginx -t", p.returncode == 0,
                  p.stderr)
        if p.returncode != 0:
            return
        h.adopt("ha-nginx", subprocess.Popen(
            ["nginx", "-p", d, "-c", main_conf, "-g",
             "daemon off; user root;"], stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(d, "ha-n.log"), "w")))
        nbase = f"http://127.0.0.1:{nport}"

        def role(c):
            body = http_get(f"http://127.0.0.1:{ports[c][0]}/healthz",
                            ok_codes=None, timeout=2)[1].decode()
            m = re.search(r"^role: (\w+)", body, re.M)
            return m.group(1) if m else None

        def leaders():
            out = []
            for c in collectors:
                try:
                    if role(c) == "leader":
                        out.append(c)
                except OSError:
                    pass
            return out

        ok = wait_until(lambda: len(leaders()) == 1 and http_get(
            nbase + "/api/v2/summary.json")[0] == 200, 20)
        res.check("HA compose: one leader, nginx serves the feed", ok,
                  leaders())
        if not ok:
            return
        lead = leaders()[0]
        other = [c for c in collectors if c != lead][0]
        t0 = time.time()
        h.stop(lead, signal.SIGKILL)
        codes = []

        def sample():
            for path in ("/", "/api/v2/summary.json"):
                try:
                    codes.append(http_get(nbase + path, ok_codes=None,
                                          timeout=3)[0])
                except OSError as e:
                    codes.append(str(e))
            return leaders() == [other]
        ok = wait_until(sample, 15, 0.2)
        took = time.time() - t0
        print(f"HA compose: {other} leads {took:.2f} s after kill -9 of "
              f"{lead} (lease 3 s); nginx answered {len(codes)} requests "
              "meanwhile", flush=True)
        res.check("HA compose: after kill -9 of the leader the other leads",
                  ok, leaders())
        res.check("HA compose: nginx serves the page and the feed at every "
                  "sample during the takeover",
                  codes and all(c == 200 for c in codes),
                  [c for c in codes if c != 200][:5])
    finally:
        for key in ("ha-nginx",) + collectors:
            h.stop(key)
        pg.stop()


def check_docker(res, d, h):
    check_dockerfile(res, "Dockerfile.collector",
                     ["pharos-collector", "pharosctl"])
    check_dockerfile(res, "Dockerfile.agent", ["pharos-agent"])
    path = os.path.join(SRC, "deploy", "docker", "Dockerfile.collector")
    run = dockerfile_stages(path)[-1]
    hc = [a for k, a in run["instr"] if k == "HEALTHCHECK"]
    res.check("Dockerfile.collector: HEALTHCHECK on /healthz",
              hc and "/healthz" in hc[-1], hc)
    res.check("Dockerfile.collector: exposes 8080",
              ("EXPOSE", "8080") in run["instr"])
    with open(os.path.join(SRC, "deploy", "docker", "pharos.yml")) as f:
        res.check("deploy/docker/pharos.yml listens on the exposed port",
                  '"0.0.0.0:8080"' in f.read())
    check_compose(res, d)
    check_compose_on_loopback(res, d, h)
    check_compose_ha(res, d, h)


def main():
    res = Results()
    h = Harness("deploy")
    d = tempfile.mkdtemp(prefix="pharos-deploy-")
    try:
        conf = os.path.join(SRC, "deploy", "pharos.yml.example")
        env = dict(os.environ,
                   PHAROS_AGENT_US_TOKEN_HASHED_ON_LOAD_EXAMPLE="ph_example_token_0123456789")
        p = subprocess.run([h.bin("pharos-collector"), "--check", "-c", conf],
                           capture_output=True, text=True, env=env, timeout=30)
        res.check("deploy/pharos.yml.example passes --check", p.returncode == 0,
                  p.stderr)
        p = subprocess.run([h.bin("pharos-collector"), "-nv", "-c", conf],
                           capture_output=True, text=True, env=env, timeout=30)
        res.check("-nv prints the normalised config",
                  p.returncode == 0 and "components:" in p.stdout
                  and "token_sha256" in p.stdout, p.stderr)

        agent_conf = os.path.join(d, "agent.yml")
        with open(os.path.join(SRC, "deploy", "agent.yml.example")) as f:
            text = f.read()
        tok = os.path.join(d, "agent.token")
        with open(tok, "w") as f:
            f.write("ph_example_agent_token_0123456789\n")
        text = text.replace("/etc/pharos/agent.token", tok).replace(
            "/var/lib/pharos-agent", os.path.join(d, "agent-state"))
        with open(agent_conf, "w") as f:
            f.write(text)
        p = subprocess.run([h.bin("pharos-agent"), "-n", "-c", agent_conf],
                           capture_output=True, text=True, timeout=30)
        res.check("deploy/agent.yml.example passes -n", p.returncode == 0,
                  p.stderr)
        p = subprocess.run([h.bin("pharos-agent"), "--help-config"],
                           capture_output=True, text=True, timeout=30)
        keys = set(re.findall(r"^([a-z_]+):", text, re.M))
        missing = [k for k in keys if not re.search(rf"^{k} \(", p.stdout, re.M)]
        res.check("every key of the agent example is documented by --help-config",
                  p.returncode == 0 and not missing, missing)

        if shutil.which("nginx") is None:
            res.skip("nginx -t", "nginx not installed")
        else:
            site = os.path.join(SRC, "deploy", "nginx", "pharos.conf")
            with open(site) as f:
                s = f.read()
            crt, key = os.path.join(d, "fullchain.pem"), os.path.join(d, "privkey.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                            "-keyout", key, "-out", crt, "-days", "1", "-subj",
                            "/CN=status.example.com"], check=True,
                           capture_output=True, timeout=60)
            s = s.replace("/etc/letsencrypt/live/status.example.com/fullchain.pem", crt)
            s = s.replace("/etc/letsencrypt/live/status.example.com/privkey.pem", key)
            s = re.sub(r"listen (\[::\]:)?(80|443)", lambda m: "listen 127.0.0.1:"
                       + ("18443" if m.group(2) == "443" else "18080")
                       if not m.group(1) else "listen [::1]:"
                       + ("18443" if m.group(2) == "443" else "18080"), s)
            main_conf = nginx_main_conf(d, "site", s)
            p = subprocess.run(["nginx", "-t", "-p", d, "-c", main_conf],
                               capture_output=True, text=True, timeout=30)
            res.check("deploy/nginx/pharos.conf passes nginx -t", p.returncode == 0,
                      p.stderr)

        check_install(res, d)
        check_docker(res, d, h)
    finally:
        shutil.rmtree(d, ignore_errors=True)
        h.stop_all()
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
