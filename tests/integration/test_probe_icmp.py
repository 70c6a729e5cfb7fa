#!/usr/bin/env python3
"""ICMP checks (type: icmp) with `pharos-agent once`:

- loopback, IPv4 and IPv6, a name and an address;
- an unprivileged ICMP datagram socket (a network namespace whose
  net.ipv4.ping_group_range includes us, CAP_NET_RAW dropped), a raw
  socket (root), and the message when neither is allowed;
- through a network namespace this test creates (veth pair): up over
  IPv4 and IPv6, loss (iptables and ip6tables drop every other echo
  request: a deterministic 50 %) and delay (tc netem where the kernel has it; a
  kernel without sch_netem gets a user-space echo responder in the
  namespace that answers 150 ms late instead, and the test says so),
  then netem loss 100 % / no responder: down.

Needs root (namespaces); skips (77) only when namespaces cannot be made.
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from oncetest import (BUILD, Results, agent_bin, run_once,  # noqa: E402
                      write_conf)
from pharos_harness import skip, wait_for  # noqa: E402

NS = f"phicmp{os.getpid()}"
NS2 = f"phicmq{os.getpid()}"
# A /30 and a ULA /64 of our own, per process.
OCT = os.getpid() % 250 + 1
HOST4, PEER4 = f"10.213.{OCT}.1", f"10.213.{OCT}.2"
HOST6, PEER6 = f"fd00:213:{OCT:x}::1", f"fd00:213:{OCT:x}::2"
VETH_H, VETH_P = f"phh{os.getpid()}"[:15], f"php{os.getpid()}"[:15]

# Answers ICMP echo requests late, for kernels without sch_netem: the
# namespace's own echo replies are switched off while it runs.
RESPONDER = r'''
import socket, struct, sys, threading, time
delay = float(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
def csum(b):
    if len(b) % 2: b += b"\0"
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16: t = (t & 0xffff) + (t >> 16)
    return ~t & 0xffff
def reply(pkt, addr):
    time.sleep(delay)
    icmp = bytearray(b"\0\0\0\0" + pkt[4:])
    c = csum(bytes(icmp))
    icmp[2:4] = struct.pack("!H", c)
    s.sendto(bytes(icmp), addr)
print("ready", flush=True)
while True:
    data, addr = s.recvfrom(65535)
    ihl = (data[0] & 15) * 4
    pkt = data[ihl:]
    if len(pkt) >= 8 and pkt[0] == 8:
        threading.Thread(target=reply, args=(pkt, addr), daemon=True).start()
'''


def sh(*cmd, check=True):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {p.stderr.strip()}")
    return p


def nsx(*cmd, check=True):
    return sh("ip", "netns", "exec", NS, *cmd, check=check)


def make_namespaces():
    if os.geteuid() != 0 or shutil.which("ip") is None:
        skip("network namespaces need root and iproute2")
    p = sh("ip", "netns", "add", NS, check=False)
    if p.returncode != 0:
        skip(f"cannot create a network namespace: {p.stderr.strip()}")
    sh("ip", "netns", "add", NS2)
    sh("ip", "link", "add", VETH_H, "type", "veth", "peer", "name", VETH_P)
    sh("ip", "link", "set", VETH_P, "netns", NS)
    sh("ip", "addr", "add", f"{HOST4}/30", "dev", VETH_H)
    sh("ip", "-6", "addr", "add", f"{HOST6}/64", "dev", VETH_H, "nodad")
    sh("ip", "link", "set", VETH_H, "up")
    nsx("ip", "addr", "add", f"{PEER4}/30", "dev", VETH_P)
    nsx("ip", "-6", "addr", "add", f"{PEER6}/64", "dev", VETH_P, "nodad")
    nsx("ip", "link", "set", VETH_P, "up")
    nsx("ip", "link", "set", "lo", "up")
    sh("ip", "netns", "exec", NS2, "ip", "link", "set", "lo", "up")


def cleanup():
    sh("ip", "link", "del", VETH_H, check=False)
    sh("ip", "netns", "del", NS, check=False)
    sh("ip", "netns", "del", NS2, check=False)


def once(d, yaml, ids, prefix=()):
    conf = write_conf(d, yaml)
    cmd = [*prefix, agent_bin(), "once", "-c", conf, "--json"]
    for i in ids:
        cmd += ["--check", i]
    if not prefix:
        return run_once(conf, ids)[1]
    import json
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    return {json.loads(line)["id"]: json.loads(line)
            for line in p.stdout.splitlines()}


def main():
    res = Results()
    d = tempfile.mkdtemp(prefix="pharos-icmp-")
    try:
        make_namespaces()
        run(res, d)
    finally:
        cleanup()
        shutil.rmtree(d, ignore_errors=True)
    return res.finish()


def config_errors(res, d):
    """Bad values are refused by the config check, with positions."""
    conf = write_conf(d, """
- {id: b1, type: icmp, host: 127.0.0.1, count: 50}
- {id: b2, type: icmp, host: 127.0.0.1, socket: rawish}
- {id: b3, type: icmp, host: 127.0.0.1, max_los: 3}
- {id: b4, type: icmp, host: 127.0.0.1, count: 10, packet_interval: 2s, timeout: 5s}
- {id: b5, type: icmp, host: 127.0.0.1, max_loss: 100, family: ipv5}
""")
    p = subprocess.run([os.path.join(BUILD, "bin", "pharos-collector"),
                        "--check", "-c", conf], capture_output=True, text=True)
    out = p.stdout + p.stderr
    res.check("config check fails on bad icmp values", p.returncode != 0, out)
    for part in ("pharos.yml:8:54: 'count': 50 is out of range [1, 20]",
                 "pharos.yml:9:55: 'socket' must be auto, dgram or raw, not "
                 "'rawish'",
                 "pharos.yml:10:47: unknown key 'max_los'; did you mean "
                 "'max_loss'?",
                 "pharos.yml:11:9: check 'b4': count 10 x packet_interval "
                 "2000 ms does not fit in timeout 5000 ms",
                 "'max_loss': 100 is out of range [0, 99]",
                 "'family' must be any, ipv4 or ipv6, not 'ipv5'"):
        res.check(f"config check says: {part}", part in out, out)


def run(res, d):
    config_errors(res, d)
    # -- loopback, raw socket (root) ------------------------------------
    out = once(d, """
- {id: lo4, type: icmp, host: 127.0.0.1, count: 4, packet_interval: 20ms}
- {id: lo6, type: icmp, host: "::1", count: 4, packet_interval: 20ms}
- {id: name4, type: icmp, host: localhost, family: ipv4, count: 2}
- {id: raw, type: icmp, host: 127.0.0.1, socket: raw, count: 2}
""", ["lo4", "lo6", "name4", "raw"])
    for cid, addr in (("lo4", "127.0.0.1"), ("lo6", "::1")):
        r = out.get(cid, {})
        res.check(f"{cid}: up on loopback", r.get("outcome") == "up", r)
        msg = r.get("error") or ""
        res.check(f"{cid}: summary names {addr}, 4/4 replies, loss 0%, "
                  "rtt min/avg/max", msg.startswith(f"{addr}: 4/4 replies, "
                                                    "loss 0%, rtt min/avg/max "),
                  msg)
    r = out.get("name4", {})
    res.check("a name resolves (localhost, family ipv4)",
              r.get("outcome") == "up" and "127.0.0.1: 2/2" in
              (r.get("error") or ""), r)
    r = out.get("raw", {})
    res.check("socket: raw works with CAP_NET_RAW",
              r.get("outcome") == "up" and "(raw socket)" in
              (r.get("error") or ""), r)

    # -- unprivileged datagram socket: a namespace whose ping_group_range
    # includes every group, and no CAP_NET_RAW after exec -----------------
    drop = ["ip", "netns", "exec", NS2, "setpriv", "--bounding-set=-net_raw",
            "--inh-caps=-net_raw"]
    sh("ip", "netns", "exec", NS2, "sysctl", "-qw",
       "net.ipv4.ping_group_range=0 2147483647")
    out = once(d, """
- {id: dg4, type: icmp, host: 127.0.0.1, count: 3, packet_interval: 20ms}
- {id: dg6, type: icmp, host: "::1", count: 3, packet_interval: 20ms}
- {id: rawno, type: icmp, host: 127.0.0.1, socket: raw, count: 1}
""", ["dg4", "dg6", "rawno"], prefix=drop)
    for cid in ("dg4", "dg6"):
        r = out.get(cid, {})
        res.check(f"{cid}: up through an unprivileged ICMP socket",
                  r.get("outcome") == "up" and "(dgram socket)" in
                  (r.get("error") or ""), r)
    r = out.get("rawno", {})
    res.check("socket: raw without CAP_NET_RAW: down, says it needs it",
              r.get("outcome") == "down" and "CAP_NET_RAW" in
              (r.get("error") or ""), r)

    # -- neither allowed: the message says what to change ---------------
    sh("ip", "netns", "exec", NS2, "sysctl", "-qw",
       "net.ipv4.ping_group_range=1 0")
    out = once(d, "- {id: none, type: icmp, host: 127.0.0.1, count: 1}\n",
               ["none"], prefix=drop)
    r = out.get("none", {})
    msg = r.get("error") or ""
    res.check("no ICMP socket and no CAP_NET_RAW: down, names "
              "ping_group_range and CAP_NET_RAW",
              r.get("outcome") == "down" and "ping_group_range (1 0)" in msg
              and "CAP_NET_RAW" in msg, r)

    # -- through the namespace (veth) -----------------------------------
    out = once(d, f"""
- {{id: v4, type: icmp, host: {PEER4}, count: 4, packet_interval: 20ms}}
- {{id: v6, type: icmp, host: "{PEER6}", count: 4, packet_interval: 20ms}}
""", ["v4", "v6"])
    for cid in ("v4", "v6"):
        r = out.get(cid, {})
        res.check(f"{cid}: up through the veth pair",
                  r.get("outcome") == "up" and "4/4 replies" in
                  (r.get("error") or ""), r)

    # Loss: every other echo request dropped in the namespace.
    nsx("iptables", "-A", "INPUT", "-p", "icmp", "--icmp-type",
        "echo-request", "-m", "statistic", "--mode", "nth", "--every", "2",
        "--packet", "0", "-j", "DROP")
    # One check per run: the rule's counter is shared, and two checks
    # probing at once would split the drops between them.
    out = once(d, f"""
- {{id: loss, type: icmp, host: {PEER4}, count: 6, packet_interval: 20ms, timeout: 1s}}
""", ["loss"])
    out.update(once(d, f"""
- {{id: lossok, type: icmp, host: {PEER4}, count: 6, packet_interval: 20ms, timeout: 1s, max_loss: 50}}
""", ["lossok"]))
    r = out.get("loss", {})
    res.check("50% loss over max_loss 0: down, 'loss 50% over 0% (3/6 "
              "replies)'", r.get("outcome") == "down" and
              "loss 50% over 0% (3/6 replies), rtt min/avg/max" in
              (r.get("error") or ""), r)
    r = out.get("lossok", {})
    res.check("50% loss within max_loss 50: up, 'loss 50%' in the summary",
              r.get("outcome") == "up" and "3/6 replies, loss 50%" in
              (r.get("error") or ""), r)
    nsx("iptables", "-F", "INPUT")
    # The same over IPv6.
    nsx("ip6tables", "-A", "INPUT", "-p", "ipv6-icmp", "--icmpv6-type",
        "echo-request", "-m", "statistic", "--mode", "nth", "--every", "2",
        "--packet", "0", "-j", "DROP")
    out = once(d, f"""
- {{id: loss6, type: icmp, host: "{PEER6}", count: 6, packet_interval: 20ms, timeout: 1s}}
""", ["loss6"])
    r = out.get("loss6", {})
    res.check("IPv6, 50% loss: down, 'loss 50% over 0% (3/6 replies)'",
              r.get("outcome") == "down" and
              "loss 50% over 0% (3/6 replies), rtt min/avg/max" in
              (r.get("error") or ""), r)
    nsx("ip6tables", "-F", "INPUT")

    # Delay: netem, or a late responder where the kernel has no netem.
    responder = None
    p = nsx("tc", "qdisc", "add", "dev", VETH_P, "root", "netem", "delay",
            "150ms", check=False)
    netem = p.returncode == 0
    if not netem:
        print(f"note: tc netem unavailable ({p.stderr.strip()}): "
              "a late echo responder stands in for the delay")
        nsx("sysctl", "-qw", "net.ipv4.icmp_echo_ignore_all=1")
        responder = subprocess.Popen(
            ["ip", "netns", "exec", NS, sys.executable, "-c", RESPONDER,
             "0.15"], stdout=subprocess.PIPE, text=True)
        wait_for(lambda: responder.stdout.readline().strip() == "ready", 10,
                 "the echo responder")
    try:
        out = once(d, f"""
- {{id: slow, type: icmp, host: {PEER4}, count: 3, packet_interval: 20ms, timeout: 2s, max_rtt: 100ms}}
- {{id: fastok, type: icmp, host: {PEER4}, count: 3, packet_interval: 20ms, timeout: 2s, max_rtt: 1s}}
""", ["slow", "fastok"])
    finally:
        if responder:
            responder.kill()
            responder.wait()
    r = out.get("slow", {})
    res.check("150 ms delay over max_rtt 100ms: slow, says rtt avg over "
              "100 ms", r.get("outcome") == "slow" and
              "over 100 ms (3/3 replies, loss 0%)" in (r.get("error") or ""),
              r)
    res.check("latency_ms is the average RTT (>= 150 ms)",
              (r.get("latency_ms") or 0) >= 150, r)
    r = out.get("fastok", {})
    res.check("the same delay within max_rtt 1s: up", r.get("outcome") ==
              "up", r)

    # Everything lost: netem loss 100 %, or the responder stopped.
    if netem:
        nsx("tc", "qdisc", "change", "dev", VETH_P, "root", "netem", "loss",
            "100%")
    out = once(d, f"""
- {{id: dead, type: icmp, host: {PEER4}, count: 2, packet_interval: 20ms, timeout: 1s}}
""", ["dead"])
    r = out.get("dead", {})
    res.check("no reply at all: down, 'no reply from <addr> (0/2, loss "
              "100%)'", r.get("outcome") == "down" and
              f"no reply from {PEER4} (0/2, loss 100%)" in
              (r.get("error") or ""), r)


if __name__ == "__main__":
    sys.exit(main())
