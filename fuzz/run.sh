#!/usr/bin/env bash
# Runs each fuzz target for SECONDS (make fuzz: FUZZ_SECONDS, FUZZ_TARGETS), or
# until it has run RUNS inputs when RUNS is set and comes first (make fuzz FUZZ_RUNS=1000000).
# WORKERS=N (make fuzz FUZZ_WORKERS=N) runs N processes of each target side by side on the
# same corpus folder, RUNS/N inputs each; executions and executions/s are their sums.
# Usage: [RUNS=N] [WORKERS=N] fuzz/run.sh BUILD_DIR SECONDS TARGET...
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
  workers=${WORKERS:-1}
  [ -n "${RUNS:-}" ] && extra+=(-runs="$(( (RUNS + workers - 1) / workers ))")
  echo "== fuzz_$t: ${SECONDS_EACH} s${RUNS:+ or $RUNS inputs}, $workers worker(s) (log: $log)"
  # halt_on_error + abort: UBSan findings stop the run like ASan's (the code is
  # also compiled with -fno-sanitize-recover=undefined).
  logs=() pids=()
  for ((w = 1; w <= workers; w++)); do
    wlog=$log
    ((w > 1)) && wlog="${log%.log}.$w.log"
    logs+=("$wlog")
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/fuzz/lsan.supp:print_suppressions=0} \
      "$bin" "${extra[@]}" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$crashes/" "$work" "fuzz/corpus/$t" \
        $([ -d "fuzz/regressions/$t" ] && echo "fuzz/regressions/$t") >"$wlog" 2>&1 &
    pids+=($!)
  done
  # The first worker to fail stops the others (SIGTERM: libFuzzer prints its figures and exits).
  rc=0
  while ((${#pids[@]})); do
    done_pid=
    wait -n -p done_pid "${pids[@]}"
    r=$?
    left=()
    for p in "${pids[@]}"; do [ "$p" = "$done_pid" ] || left+=("$p"); done
    pids=("${left[@]}")
    if ((r != 0 && rc == 0)); then rc=$r; ((${#pids[@]})) && kill -TERM "${pids[@]}" 2>/dev/null; fi
  done
  runs=0 rate=0
  for wlog in "${logs[@]}"; do
    r=$(sed -n 's/^stat::number_of_executed_units: *//p' "$wlog" | tail -1)
    x=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$wlog" | tail -1)
    runs=$((runs + ${r:-0})) rate=$((rate + ${x:-0}))
  done
  status=ok
  if [ $rc -ne 0 ]; then
    status="FAILED (exit $rc)"
    failed+=("$t")
    grep -h -E "ERROR: |SUMMARY: |runtime error|fuzz: |uncaught exception|Test unit written" "${logs[@]}" \
      | head -8 >&2
  fi
  summary+=("$(printf '%-12s %12s executions %8s exec/s  %s' "$t" "${runs:-?}" "${rate:-?}" "$status")")
done
echo "== fuzz summary (${SECONDS_EACH} s${RUNS:+ or $RUNS inputs} each)"
printf '%s\n' "${summary[@]}"
if ((${#failed[@]})); then
  echo "fuzz: ${failed[*]} failed; crashing inputs are in $BUILD/fuzz-crashes/<target>/" >&2
  exit 1
fi
