#!/usr/bin/env bash
# Runs the integration suite twice in a row while stress-ng keeps the CPUs
# busy, to shake out tests that stand a fixed time in for a condition.
# Not part of CI (it takes a while); run it after touching a test's waits.
#
#   ./scripts/stress-test.sh            build/, 2 CPU hogs, 2 rounds
#   STRESS_CPUS=4 ROUNDS=3 ./scripts/stress-test.sh -- -R spool
#
# Extra arguments after -- go to ctest. Installs stress-ng (Debian) when
# it is missing. Exit status: 0 when every round passed.
set -euo pipefail
cd "$(dirname "$0")/.."

cpus="${STRESS_CPUS:-2}"
rounds="${ROUNDS:-2}"
[ "${1:-}" = "--" ] && shift

if ! command -v stress-ng >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends stress-ng
fi

cmake -S . -B build -DPH_BUILD_TESTS=ON >/dev/null
cmake --build build -j2

stress-ng --cpu "$cpus" --timeout 0 --quiet &
hog=$!
trap 'kill "$hog" 2>/dev/null || true; wait "$hog" 2>/dev/null || true' EXIT
echo "stress-ng --cpu $cpus running (pid $hog)"

failed=0
cd build
for i in $(seq 1 "$rounds"); do
  echo "=== round $i of $rounds (integration tests under CPU load)"
  start=$(date +%s)
  if ctest -L integration --output-on-failure --timeout 600 -j2 "$@"; then
    echo "=== round $i passed in $(( $(date +%s) - start )) s"
  else
    echo "=== round $i FAILED after $(( $(date +%s) - start )) s"
    failed=1
  fi
done
exit "$failed"
