#!/usr/bin/env bash
# Deep fuzzing, by hand (not run in CI; CI's short runs are scripts/fuzz.sh):
# builds every libFuzzer target in tests/fuzz/ with clang (ASan + UBSan,
# optimised as OSS-Fuzz does) and runs each for a fixed number of
# executions, several targets at once, then prints per target the
# executions done, coverage, peak memory and any crash.
#
#   ./scripts/fuzz-deep.sh [-r RUNS] [-j JOBS] [TARGET...]
#     -r RUNS   executions per target (default 10000000)
#     -j JOBS   targets run at once (default: the core count)
#     TARGET    e.g. conf wire (default: every tests/fuzz/fuzz_*.c)
#
# Work corpora, logs and crash inputs go to build-fuzz-deep/deep/; the
# seed corpora in tests/fuzz/corpus/ are only read. Exit status 1 when a
# target crashed or stopped early. Results of a real run: docs/fuzzing.md.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

runs=10000000
jobs=$(nproc)
while getopts "r:j:" opt; do
  case $opt in
    r) runs=$OPTARG ;;
    j) jobs=$OPTARG ;;
    *) sed -n '2,15p' "$0"; exit 2 ;;
  esac
done
shift $((OPTIND - 1))

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in tests/fuzz/fuzz_*.c; do
    n=${f##*/fuzz_}
    targets+=("${n%.c}")
  done
fi

./scripts/install-deps.sh
# PH_FUZZ puts coverage counters in the code under test (every library,
# cmake/sanitizers.cmake), not only in the fuzz_*.c harness.
CC=clang cmake -S . -B build-fuzz-deep -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPH_FUZZ=ON -DPH_ASAN=ON -DPH_UBSAN=ON -DPH_BUILD_TESTS=ON >/dev/null
cmake --build build-fuzz-deep -j"$(nproc)" \
  --target "${targets[@]/#/fuzz_}"

out=$root/build-fuzz-deep/deep
mkdir -p "$out"
bin=$(dirname "$(find build-fuzz-deep -type f -name "fuzz_${targets[0]}" | head -1)")

# One target: its own work corpus (seeded from the checked-in one), log,
# and crash inputs ($out/<target>-crash-<sha1>). libFuzzer stops at the first crash and saves its input.
run_one() {
  local t=$1
  mkdir -p "$out/corpus-$t"
  rm -f "$out/$t.log" "$out/$t-"*
  echo "$(date -u +%H:%M:%S) start $t"
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$root/$bin/fuzz_$t" -runs="$runs" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$out/$t-" \
    "$out/corpus-$t" "$root/tests/fuzz/corpus/$t" >"$out/$t.log" 2>&1 &
  echo $! >"$out/$t.pid"
  local rc=0
  wait $! || rc=$?
  rm -f "$out/$t.pid"
  if [ $rc -eq 0 ]; then
    echo "$(date -u +%H:%M:%S) done  $t"
  else
    echo "$(date -u +%H:%M:%S) FAIL  $t (exit $rc, see $out/$t.log)"
  fi
}
export -f run_one
export out root bin runs

# Ctrl-C or a TERM to this script stops every running fuzzer with SIGINT
# (libFuzzer then prints its final stats) and still prints the summary
# of what each target reached; targets not yet started are skipped.
stopped=0
stop() {
  stopped=1
  for f in "$out"/*.pid; do
    [ -e "$f" ] && kill -INT "$(cat "$f")" 2>/dev/null
  done
  return 0
}
trap stop INT TERM
rm -f "$out"/*.pid "$out/.stop"
for t in "${targets[@]}"; do rm -f "$out/$t.log"; done

start=$(date +%s)
printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} bash -c \
  '[ -e "$out/.stop" ] || run_one {}' &
xargs_pid=$!
while kill -0 $xargs_pid 2>/dev/null; do
  if [ $stopped -eq 1 ]; then touch "$out/.stop"; stop; fi
  wait $xargs_pid 2>/dev/null || true
done
# Fuzzers still writing their final stats (xargs itself may have died
# of the Ctrl-C).
for _ in $(seq 60); do
  compgen -G "$out/*.pid" >/dev/null || break
  sleep 1
done
rm -f "$out/.stop"
secs=$(( $(date +%s) - start ))

# Summary from each log: libFuzzer's final stats, or its last status line
# when it did not finish.
status=0
printf '\n%-14s %12s %8s %8s %8s %8s  %s\n' target executions exec/s cov ft rss_mb result
for t in "${targets[@]}"; do
  log=$out/$t.log
  if [ ! -e "$log" ]; then
    printf '%-14s %12s %8s %8s %8s %8s  %s\n' "$t" - - - - - "not run"
    status=1
    continue
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
  ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
  [ -n "$execs" ] || execs=$(sed -nE 's/^#([0-9]+).*/\1/p' <<<"$last")
  result=ok
  if grep -qE '^==[0-9]+==ERROR|runtime error:|^SUMMARY: ' "$log"; then
    result="CRASH: $(grep -m1 -E '^SUMMARY: |runtime error:' "$log" | cut -c1-100)"
    status=1
  elif [ "${execs:-0}" -lt "$runs" ]; then
    result="$([ $stopped -eq 1 ] && echo interrupted || echo "stopped early (see $log)")"
    status=1
  fi
  printf '%-14s %12s %8s %8s %8s %8s  %s\n' "$t" "${execs:-?}" "${speed:-?}" \
    "${cov:-?}" "${ft:-?}" "${rss:-?}" "$result"
done
crashes=$(find "$out" -maxdepth 1 -type f \
  \( -name '*-crash-*' -o -name '*-leak-*' -o -name '*-timeout-*' -o -name '*-oom-*' \))
echo
[ $stopped -eq 0 ] || echo "interrupted after ${secs}s"
echo "runs=$runs per target, jobs=$jobs, wall time ${secs}s, $(nproc) cores, clang $(clang -dumpversion)"
if [ -n "$crashes" ]; then
  echo "crash inputs (replay: build-fuzz-deep/.../fuzz_<target> FILE):"
  echo "$crashes"
fi
exit $status
