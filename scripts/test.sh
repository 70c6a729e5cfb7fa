#!/usr/bin/env bash
# Runs the whole Pharos test suite (unit + integration, under ctest) on a
# fresh Debian 12 machine as root: installs dependencies, builds, tests.
#
#   ./scripts/test.sh              normal build in build/
#   ./scripts/test.sh --sanitize   ASan + UBSan build in build-asan/
#   ./scripts/test.sh --clang      the whole tree built by clang (-Werror,
#                                  as every build) in build-clang/; runs
#                                  the unit tests only (ctest -L unit)
#
# Extra arguments after -- go to ctest (e.g. -- -R engine). The heavy
# tests (ctest label "heavy": container images, Debian packages) run in
# the normal pass only.
set -euo pipefail
cd "$(dirname "$0")/.."

build=build
flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
deps=(--test --heavy)
select=()
if [ "${1:-}" = "--sanitize" ]; then
  build=build-asan
  deps=(--test)
  select=(-LE heavy)
  flags=(-DCMAKE_BUILD_TYPE=Debug -DPH_ASAN=ON -DPH_UBSAN=ON)
  shift
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
elif [ "${1:-}" = "--clang" ]; then
  # A second compiler finds what the first lets through: other warnings,
  # and code that depends on unspecified behaviour such as the order in
  # which arguments are evaluated. Fast: no integration tests.
  build=build-clang
  deps=()
  select=(-L unit)
  export CC=clang
  shift
fi
[ "${1:-}" = "--" ] && shift

./scripts/install-deps.sh ${deps[@]+"${deps[@]}"}
cmake -S . -B "$build" "${flags[@]}" -DPH_BUILD_TESTS=ON >/dev/null
cmake --build "$build" -j"$(nproc)"
cd "$build"
ctest --output-on-failure --timeout 600 -j2 "${select[@]}" "$@"
