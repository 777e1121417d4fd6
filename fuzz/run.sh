#!/usr/bin/env bash
# Runs each fuzz target for SECONDS (make fuzz: FUZZ_SECONDS, FUZZ_TARGETS), or
# until it has run RUNS inputs when RUNS is set and comes first (make fuzz FUZZ_RUNS=1000000).
# Usage: [RUNS=N] fuzz/run.sh BUILD_DIR SECONDS TARGET...
# Each target starts from its seeds (fuzz/corpus/<target>, kept small in git), the
# inputs earlier reports were about (fuzz/regressions/<target>) and what earlier runs
# found (BUILD_DIR/fuzz-corpus/<target>, grows);
# a crash, leak, timeout (> 10 s an input), out-of-memory (> 2 GB) or sanitizer
# report stops the target and leaves the input in BUILD_DIR/fuzz-crashes/<target>/.
# Prints executions and executions/s per target; exits 1 if any target failed.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=$1 SECONDS_EACH=$2
shift 2
failed=()
summary=()
for t in "$@"; do
  bin="$BUILD/bin/fuzz_$t"
  [ -x "$bin" ] || { echo "fuzz: $bin not built" >&2; exit 2; }
  work="$BUILD/fuzz-corpus/$t" crashes="$BUILD/fuzz-crashes/$t"
  mkdir -p "$work" "$crashes"
  log="$BUILD/fuzz-$t.log"
  # LibTorch's targets: libFuzzer's leak check after every input that allocated
  # more than it freed costs them 5x (LibTorch keeps caches); their leaks are
  # found by LeakSanitizer's check of the whole run at exit instead (the run fails,
  # the input is not named: replay fuzz-corpus/<target> with -detect_leaks=1).
  extra=()
  case $t in state_dict|checkpoint) extra=(-detect_leaks=0) ;; esac
  [ -n "${RUNS:-}" ] && extra+=(-runs="$RUNS")
  echo "== fuzz_$t: ${SECONDS_EACH} s${RUNS:+ or $RUNS inputs} (log: $log)"
  # halt_on_error + abort: UBSan findings stop the run like ASan's (the code is
  # also compiled with -fno-sanitize-recover=undefined).
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
  LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/fuzz/lsan.supp:print_suppressions=0} \
    "$bin" "${extra[@]}" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$crashes/" "$work" "fuzz/corpus/$t" $([ -d "fuzz/regressions/$t" ] && echo "fuzz/regressions/$t") \
      >"$log" 2>&1
  rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  status=ok
  if [ $rc -ne 0 ]; then
    status="FAILED (exit $rc)"
    failed+=("$t")
    grep -E "ERROR: |SUMMARY: |runtime error|fuzz: |uncaught exception|Test unit written" "$log" | head -8 >&2
  fi
  summary+=("$(printf '%-12s %12s executions %8s exec/s  %s' "$t" "${runs:-?}" "${rate:-?}" "$status")")
done
echo "== fuzz summary (${SECONDS_EACH} s${RUNS:+ or $RUNS inputs} each)"
printf '%s\n' "${summary[@]}"
if ((${#failed[@]})); then
  echo "fuzz: ${failed[*]} failed; crashing inputs are in $BUILD/fuzz-crashes/<target>/" >&2
  exit 1
fi
