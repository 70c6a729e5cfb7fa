#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for
# a bounded time over its corpus in tests/fuzz/corpus/.
#   ./scripts/fuzz.sh [SECONDS]     default 20 s per target
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-20}"
./scripts/install-deps.sh
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DPH_FUZZ=ON \
  -DPH_ASAN=ON -DPH_UBSAN=ON -DPH_FUZZ_SECONDS="$secs" >/dev/null
cmake --build build-fuzz -j"$(nproc)"
cd build-fuzz
ctest --output-on-failure -L fuzz
