#!/usr/bin/env bash
# Runs every unit test, and the collector's config check, under valgrind
# (leaks and memory errors are failures). Uses the normal build in build/
# (./scripts/test.sh makes it).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null 2>&1 || ./scripts/install-deps.sh --test
vg=(valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect
    --error-exitcode=99 --trace-children=no)
fail=0
n=0
for t in build/bin/test_*; do
  n=$((n + 1))
  if "${vg[@]}" "$t" >/tmp/valgrind-$$.log 2>&1; then
    echo "ok   valgrind $(basename "$t")"
  else
    echo "FAIL valgrind $(basename "$t")"; tail -30 /tmp/valgrind-$$.log; fail=$((fail + 1))
  fi
done
for conf in tests/golden/conf/full.yml tests/golden/conf/errors.yml; do
  n=$((n + 1))
  set +e
  "${vg[@]}" build/bin/pharos-collector --check -c "$conf" >/dev/null 2>/tmp/valgrind-$$.log
  rc=$?
  set -e
  if [ "$rc" -ne 99 ]; then
    echo "ok   valgrind pharos-collector --check $conf (exit $rc)"
  else
    echo "FAIL valgrind pharos-collector --check $conf"; cat /tmp/valgrind-$$.log; fail=$((fail + 1))
  fi
done
rm -f /tmp/valgrind-$$.log
echo "$((n - fail)) passed, $fail failed"
[ "$fail" -eq 0 ]
