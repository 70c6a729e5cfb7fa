#!/usr/bin/env bash
# Starts the Pharos demo on a fresh Debian 12 machine (run as root):
# installs dependencies, builds, then runs a collector, three agents
# (regions eu-west, us-east, ap-south) and demo targets on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPH_BUILD_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
exec python3 scripts/demo.py
