#!/usr/bin/env bash
# Prints the path of a cached Debian 12 (bookworm) minbase root file
# system tarball, made by mmdebstrap on first use: the local base of the
# container images (FROM localhost/debian:12-slim, no registry) and the
# fresh system the package tests install the .debs into.
#
#   ./scripts/debian-base.sh [CACHE_DIR]
#
# CACHE_DIR defaults to $PH_CACHE_DIR or /var/cache/pharos-test. A tarball
# older than 7 days is rebuilt, so security updates reach the tests. The
# build is serialised with flock: concurrent tests share one tarball.
# Needs root (mmdebstrap's root mode) and the mirrors of /etc/apt.
set -euo pipefail

cache=${1:-${PH_CACHE_DIR:-/var/cache/pharos-test}}
mkdir -p "$cache"
tar=$cache/bookworm-minbase.tar
mirror=${PH_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${PH_DEBIAN_SECURITY:-http://deb.debian.org/debian-security}

exec 9>"$cache/.bookworm-minbase.lock"
flock 9
if [ ! -s "$tar" ] || [ -n "$(find "$tar" -mtime +7)" ]; then
  command -v mmdebstrap >/dev/null \
    || { echo "mmdebstrap missing: ./scripts/install-deps.sh --heavy" >&2; exit 1; }
  rm -f "$tar.tmp"
  mmdebstrap --quiet --variant=minbase --format=tar bookworm "$tar.tmp" \
    "deb $mirror bookworm main" \
    "deb $mirror bookworm-updates main" \
    "deb $security bookworm-security main" >&2
  mv "$tar.tmp" "$tar"
fi
echo "$tar"
