#!/usr/bin/env python3
"""The Debian packages install, run, remove and purge cleanly on a fresh
Debian 12.

`cpack -G DEB` makes pharos-collector and pharos-agent from this build
(deploy/debian/cpack.cmake); a fresh minbase chroot is unpacked from the
cached mmdebstrap tarball (scripts/debian-base.sh); apt installs the two
.debs there, fetching their dependencies from the Debian mirror. Inside
the chroot: the system users and state directories exist, the conffiles
are registered, `pharos-collector --check` and `pharos-agent -n` accept
the packaged /etc/pharos files, and the packaged collector, run as its
user on a loopback port, serves /healthz and the installed page;
installing again keeps an edited conffile. Then
`apt-get remove` leaves only the conffiles, and `dpkg --purge` leaves
nothing: no file of the packages, no /etc/pharos, no state directories.

Heavy (ctest label "heavy": run once in CI, not in the sanitizer pass).
Needs root (chroot, dpkg) and the tools of scripts/install-deps.sh
--heavy; exits 77 (skipped) saying which is missing."""
import glob
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from pharos_harness import BUILD, SRC, free_port, http_get, wait_until  # noqa: E402
from oncetest import Results  # noqa: E402

SKIP = 77
CHROOT_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C.UTF-8",
              "DEBIAN_FRONTEND": "noninteractive", "HOME": "/root"}


def skip(why):
    print(f"skipped: {why}")
    sys.exit(SKIP)


def chroot_argv(root, argv):
    """argv run inside root, with /proc mounted in a private mount
    namespace (gone with the process: nothing to unmount, nothing left
    mounted inside the tree the test deletes)."""
    return ["unshare", "--mount", "--propagation", "private", "--",
            "chroot", root, "/bin/sh", "-c",
            'mount -t proc proc /proc && exec "$@"', "sh"] + argv


def in_chroot(root, argv, env=None, timeout=300):
    e = dict(CHROOT_ENV, **(env or {}))
    return subprocess.run(chroot_argv(root, argv), env=e, capture_output=True,
                          text=True, timeout=timeout)


def deb_field(deb, field):
    return subprocess.run(["dpkg-deb", "-f", deb, field], capture_output=True,
                          text=True, check=True).stdout.strip()


def deb_files(deb):
    """Paths (without the leading '.') of the files and links of a .deb."""
    out = subprocess.run(["dpkg-deb", "-c", deb], capture_output=True,
                         text=True, check=True).stdout
    files = []
    for line in out.splitlines():
        perms, path = line.split()[0], line.split()[5]
        if not perms.startswith("d"):
            files.append(path[1:])
    return files


def deb_control(deb, member):
    d = tempfile.mkdtemp(prefix="pharos-deb-ctl-")
    try:
        subprocess.run(["dpkg-deb", "-e", deb, d], check=True)
        p = os.path.join(d, member)
        return open(p).read() if os.path.exists(p) else None
    finally:
        shutil.rmtree(d)


def build_debs(res, out):
    p = subprocess.run(["cpack", "-G", "DEB", "-B", out], cwd=BUILD,
                       capture_output=True, text=True, timeout=600)
    res.check("cpack -G DEB succeeds", p.returncode == 0,
              p.stdout[-2000:] + p.stderr[-2000:])
    debs = {}
    for name in ("pharos-collector", "pharos-agent"):
        found = glob.glob(os.path.join(out, f"{name}_*.deb"))
        res.check(f"{name} .deb made", len(found) == 1, found)
        if found:
            debs[name] = found[0]
    return debs


def check_debs(res, debs):
    """What each package holds, its dependencies and maintainer scripts."""
    want = {
        "pharos-collector": ["/usr/bin/pharos-collector", "/usr/bin/pharosctl",
                             "/usr/share/pharos/web/index.html",
                             "/usr/share/pharos/web/app.js",
                             "/usr/lib/systemd/system/pharos-collector.service",
                             "/etc/pharos/pharos.yml",
                             "/usr/share/doc/pharos/operator-guide.md",
                             "/usr/share/doc/pharos/examples/pharos.yml.example"],
        "pharos-agent": ["/usr/bin/pharos-agent",
                         "/usr/lib/systemd/system/pharos-agent.service",
                         "/etc/pharos/agent.yml",
                         "/usr/share/doc/pharos/examples/agent.yml.example"],
    }
    files = {n: deb_files(d) for n, d in debs.items()}
    for name, deb in debs.items():
        lack = [w for w in want[name] if w not in files[name]]
        res.check(f"{name}: holds its programs, unit, page and conffile",
                  not lack, lack)
        dep = deb_field(deb, "Depends")
        res.check(f"{name}: depends on adduser and its libraries",
                  "adduser" in dep and "libuv1" in dep and "libc6" in dep, dep)
        conff = (deb_control(deb, "conffiles") or "").split()
        res.check(f"{name}: /etc/pharos files are conffiles",
                  sorted(conff) == sorted(f for f in files[name]
                                          if f.startswith("/etc/")), conff)
        for script in ("postinst", "prerm", "postrm"):
            res.check(f"{name}: has a {script}",
                      deb_control(deb, script) is not None)
    if len(files) == 2:
        both = set(files["pharos-collector"]) & set(files["pharos-agent"])
        res.check("no file is in both packages", not both, sorted(both))
    return files


def run_collector(res, root):
    """The packaged collector runs as its user from its state directory
    and serves the installed page on a loopback port."""
    port = free_port()
    conf = os.path.join(root, "tmp", "run.yml")
    with open(conf, "w") as f:
        f.write(f'server:\n  listen: "127.0.0.1:{port}"\n'
                "  state_dir: /var/lib/pharos\n"
                "page: {id: p, name: Packaged}\nregions: [{id: r1}]\n"
                "components:\n  - id: web\n    name: Web\n")
    os.chmod(conf, 0o644)
    log = open(os.path.join(os.path.dirname(root), "collector.log"), "w")
    proc = subprocess.Popen(
        chroot_argv(root, ["runuser", "-u", "pharos", "--",
                           "pharos-collector", "-c", "/tmp/run.yml"]),
        env=CHROOT_ENV, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        ok = wait_until(lambda: http_get(base + "/healthz")[0] == 200, 20)
        res.check("packaged collector runs as pharos and answers /healthz", ok)
        ok = ok and wait_until(
            lambda: b"<html" in http_get(base + "/")[1].lower(), 10)
        res.check("packaged collector serves the installed page", ok)
        db = os.path.join(root, "var/lib/pharos/pharos.db")
        st = os.stat(db) if os.path.exists(db) else None
        uid = in_chroot(root, ["id", "-u", "pharos"]).stdout.strip()
        res.check("its database is in /var/lib/pharos, owned by pharos",
                  st is not None and str(st.st_uid) == uid, (st, uid))
    finally:
        try:
            os.killpg(proc.pid, 15)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait(timeout=10)
        log.close()
    if not ok:
        with open(log.name, errors="replace") as f:
            print("--- collector log\n" + f.read()[-3000:])


def main():
    if os.geteuid() != 0:
        skip("needs root (chroot, dpkg and apt in a fresh Debian 12 tree)")
    lack = [t for t in ("cpack", "dpkg-deb", "dpkg-shlibdeps", "mmdebstrap",
                        "fakeroot", "unshare", "chroot")
            if shutil.which(t) is None]
    if lack:
        skip(f"{', '.join(lack)} missing: ./scripts/install-deps.sh --heavy")

    res = Results()
    d = tempfile.mkdtemp(prefix="pharos-packages-")
    try:
        p = subprocess.run([os.path.join(SRC, "scripts", "debian-base.sh")],
                           capture_output=True, text=True, timeout=1200)
        res.check("Debian 12 base tarball (mmdebstrap, cached)",
                  p.returncode == 0, p.stderr[-2000:])
        if p.returncode != 0:
            return res.finish()
        base = p.stdout.strip().splitlines()[-1]

        debs = build_debs(res, os.path.join(d, "debs"))
        if len(debs) != 2:
            return res.finish()
        files = check_debs(res, debs)

        root = os.path.join(d, "root")
        os.mkdir(root)
        subprocess.run(["tar", "-xf", base, "-C", root], check=True,
                       timeout=300)
        shutil.copy("/etc/resolv.conf", os.path.join(root, "etc/resolv.conf"))
        os.makedirs(os.path.join(root, "tmp/debs"))
        for deb in debs.values():
            shutil.copy(deb, os.path.join(root, "tmp/debs"))
        debpaths = ["/tmp/debs/" + os.path.basename(x) for x in debs.values()]

        p = in_chroot(root, ["apt-get", "update", "-q"])
        res.check("apt-get update in the chroot", p.returncode == 0, p.stderr)
        p = in_chroot(root, ["apt-get", "install", "-y", "-q",
                             "--no-install-recommends"] + debpaths, timeout=600)
        res.check("apt installs both .debs with their dependencies",
                  p.returncode == 0, p.stdout[-3000:] + p.stderr[-2000:])
        if p.returncode != 0:
            return res.finish()

        for user, home in (("pharos", "/var/lib/pharos"),
                           ("pharos-agent", "/var/lib/pharos-agent")):
            p = in_chroot(root, ["getent", "passwd", user])
            f = p.stdout.strip().split(":")
            res.check(f"system user {user} made by postinst",
                      p.returncode == 0 and int(f[2]) < 1000
                      and f[5] == home and f[6] == "/usr/sbin/nologin",
                      p.stdout)
            p = in_chroot(root, ["stat", "-c", "%U:%G %a", home])
            res.check(f"{home} belongs to {user}, mode 0750",
                      p.stdout.strip() == f"{user}:{user} 750", p.stdout)
        p = in_chroot(root, ["dpkg-query", "-W", "-f", "${Conffiles}\n",
                             "pharos-collector", "pharos-agent"])
        res.check("dpkg registered the conffiles",
                  "/etc/pharos/pharos.yml" in p.stdout
                  and "/etc/pharos/agent.yml" in p.stdout, p.stdout)

        # The packaged configs as an operator completes them: the
        # example's agent token variable, the agent's token file.
        p = in_chroot(root, ["pharos-collector", "--check", "-c",
                             "/etc/pharos/pharos.yml"],
                      env={"PHAROS_AGENT_US_TOKEN_HASHED_ON_LOAD_EXAMPLE":
                           "ph_example_token_0123456789"})
        res.check("pharos-collector --check -c /etc/pharos/pharos.yml",
                  p.returncode == 0, p.stdout + p.stderr)
        with open(os.path.join(root, "etc/pharos/agent.token"), "w") as f:
            f.write("ph_example_agent_token_0123456789\n")
        p = in_chroot(root, ["pharos-agent", "-n", "-c",
                             "/etc/pharos/agent.yml"])
        res.check("pharos-agent -n -c /etc/pharos/agent.yml",
                  p.returncode == 0, p.stdout + p.stderr)
        p = in_chroot(root, ["pharosctl", "--help"])
        res.check("pharosctl runs", p.returncode == 0, p.stderr)
        run_collector(res, root)

        # Installing again (as an upgrade does) keeps the operator's
        # edit of a conffile and the users.
        uid = in_chroot(root, ["id", "-u", "pharos"]).stdout.strip()
        with open(os.path.join(root, "etc/pharos/agent.yml"), "a") as f:
            f.write("# edited by the operator\n")
        p = in_chroot(root, ["dpkg", "-i"] + debpaths)
        res.check("dpkg -i again (an upgrade's path) succeeds",
                  p.returncode == 0, p.stdout + p.stderr)
        with open(os.path.join(root, "etc/pharos/agent.yml")) as f:
            res.check("the edited conffile is kept",
                      "# edited by the operator" in f.read())
        res.check("the pharos user keeps its uid",
                  in_chroot(root, ["id", "-u", "pharos"]).stdout.strip() == uid)

        p = in_chroot(root, ["apt-get", "remove", "-y", "-q",
                             "pharos-collector", "pharos-agent"])
        res.check("apt-get remove", p.returncode == 0, p.stdout + p.stderr)
        owned = [f for fs in files.values() for f in fs]
        left = [f for f in owned if not f.startswith("/etc/")
                and os.path.lexists(root + f)]
        res.check("remove leaves no file of the packages outside /etc",
                  not left, left)
        res.check("remove keeps the conffiles",
                  os.path.exists(os.path.join(root, "etc/pharos/pharos.yml")))

        p = in_chroot(root, ["dpkg", "--purge", "pharos-collector",
                             "pharos-agent"])
        res.check("dpkg --purge", p.returncode == 0, p.stdout + p.stderr)
        left = [f for f in owned if os.path.lexists(root + f)]
        for rel in ("etc/pharos", "var/lib/pharos", "var/lib/pharos-agent"):
            if os.path.lexists(os.path.join(root, rel)):
                left.append("/" + rel)
        res.check("purge leaves nothing: no files, /etc/pharos, state dirs",
                  not left, left)
        p = in_chroot(root, ["dpkg-query", "-W", "-f", "${db:Status-Abbrev}",
                             "pharos-collector", "pharos-agent"])
        res.check("dpkg forgets both packages",
                  "i" not in p.stdout and "c" not in p.stdout, p.stdout)
    finally:
        if os.environ.get("PH_KEEP_TMP") is None:
            shutil.rmtree(d, ignore_errors=True)
        else:
            print(f"kept {d}")
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
