#!/usr/bin/env bash
# Installs everything Pharos needs to build, test and run its demo on Debian 12.
# Idempotent; safe to run as root on a fresh machine.
set -euo pipefail

pkgs=(
  build-essential cmake pkg-config clang
  libuv1-dev libcurl4-openssl-dev libc-ares-dev
  libprotobuf-c-dev protobuf-c-compiler
  libsqlite3-dev sqlite3 libmicrohttpd-dev libjansson-dev libyaml-dev
  libssl-dev libcmocka-dev zlib1g-dev libpq-dev
  curl nginx-light python3 ca-certificates openssl procps tzdata
)

# Groups, any number of them:
#   --test    test-only peers: real servers the integration tests talk to,
#             a browser for the page tests
#   --heavy   what the heavy tests (ctest label "heavy") build and run:
#             container images (podman, runc, a base made by mmdebstrap)
#             and Debian packages (CPack's DEB generator uses dpkg-deb)
#   --bench   the tools the benchmarks compare against
test=0 heavy=0 bench=0
for arg in "$@"; do
  case "$arg" in
    --test) test=1 ;;
    --heavy) heavy=1 ;;
    --bench) bench=1 ;;
    *) echo "usage: $0 [--test] [--heavy] [--bench]" >&2; exit 2 ;;
  esac
done

if [ "$test" = 1 ]; then
  pkgs+=(unbound python3-aiosmtpd chromium valgrind prometheus-alertmanager)
  # A CJK font, so that the browser tests' screenshots of the Japanese and
  # Chinese page show glyphs rather than empty boxes (test_page_i18n).
  pkgs+=(fonts-wqy-microhei)
  # systemd-analyze rates and verifies the shipped units; strace checks
  # their system call filter against what the daemons really call.
  pkgs+=(systemd strace)
  # libfaketime steps the wall clock of a running daemon (test_clock_step).
  pkgs+=(faketime)
  # A real PostgreSQL, started by the tests themselves in a temporary
  # directory (tests/integration/lib/pgserver.py): the store's tests on
  # that backend and the leader lease. The package's own cluster is not
  # used. postgresql-client for psql.
  pkgs+=(postgresql-15 postgresql-client-15)
  # gRPC health checks talk to a real gRPC server (test_probe_grpc);
  # ICMP checks run through a network namespace with a veth pair, tc
  # netem and iptables (test_probe_icmp), CAP_NET_RAW dropped by setpriv
  # (util-linux, always there).
  pkgs+=(python3-grpcio iproute2 iptables)
  # Node.js runs playwright-core (from npm); keep an existing installation.
  command -v node >/dev/null 2>&1 || pkgs+=(nodejs)
  command -v npm >/dev/null 2>&1 || pkgs+=(npm)
fi
if [ "$heavy" = 1 ]; then
  # runc, not crun: crun refuses this machine's hybrid cgroup layout.
  # uidmap for podman's user namespaces; fakeroot and dpkg-dev for
  # building the .debs.
  pkgs+=(podman runc uidmap mmdebstrap fakeroot dpkg-dev)
fi
if [ "$bench" = 1 ]; then
  # bench/ha_bench.py starts its own PostgreSQL (and psql), and
  # `--perf` profiles the leader with perf.
  pkgs+=(prometheus-blackbox-exporter wrk postgresql-15 postgresql-client-15
         linux-perf)
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
    || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
