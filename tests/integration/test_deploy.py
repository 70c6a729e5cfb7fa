#!/usr/bin/env python3
"""The shipped deployment files stay valid: the example configs pass
--check / -n, every option is documented by --help-config, the nginx
site passes `nginx -t` (with throwaway certificates in place of the Let's
Encrypt paths), and `cmake --install` lays out the expected tree."""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pharos_harness import BUILD, SRC, Harness  # noqa: E402
from oncetest import Results  # noqa: E402


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
        print("skipped cmake --install: cmake not in PATH")
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
            print("skipped nginx -t: nginx not installed")
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
            with open(os.path.join(d, "site.conf"), "w") as f:
                f.write(s)
            os.makedirs(os.path.join(d, "logs"), exist_ok=True)
            main_conf = os.path.join(d, "nginx.conf")
            with open(main_conf, "w") as f:
                f.write(f"pid {d}/nginx.pid;\nerror_log {d}/logs/error.log;\n"
                        "events {}\nhttp {\n"
                        f"  access_log off;\n  include {d}/site.conf;\n}}\n")
            p = subprocess.run(["nginx", "-t", "-p", d, "-c", main_conf],
                               capture_output=True, text=True, timeout=30)
            res.check("deploy/nginx/pharos.conf passes nginx -t", p.returncode == 0,
                      p.stderr)

        check_install(res, d)
    finally:
        shutil.rmtree(d, ignore_errors=True)
        h.stop_all()
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
