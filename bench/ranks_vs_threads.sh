#!/bin/bash
# 1 rank × 2 threads against 2 ranks × 1 thread on the same work (README "Scale-out"):
# one training epoch of AV Concat on 512 clips (global batch 16) and an FGSM + PGD table on
# 64 test clips, each REPS times, on the default embedded dataset (generated if missing).
# Two ranks train twice: all-reducing while backward runs (the default) and after it
# (--allreduce after-backward). Prints wall seconds per command and, for training, the
# epoch's seconds and the seconds rank 0 waited for the all-reduce. Run it on an otherwise idle machine: both layouts use
# every core, so anything else running decides the result.
#   usage: bench/ranks_vs_threads.sh [BUILD=build] [REPS=2]
set -euo pipefail
BUILD=${1:-build}; REPS=${2:-2}
AVR=$BUILD/bin/avr
DATA=data/embedded/default
OUT=$(mktemp -d /tmp/avr-ranks-XXXXXX)
trap 'rm -rf "$OUT"' EXIT
[ -f "$DATA/manifest.json" ] || "$AVR" synth --out "$DATA" --quiet
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
seconds() { local s=$(date +%s.%N); "$@" > "$OUT/log" 2>&1 || { cat "$OUT/log"; exit 1; }; awk -v a="$s" -v b="$(date +%s.%N)" 'BEGIN { print b - a }'; }
for rep in $(seq "$REPS"); do
  for layout in "1 2 overlap" "2 1 overlap" "2 1 after-backward"; do
    set -- $layout
    run="$OUT/train-$1-$3-$rep"
    wall=$(seconds "$AVR" train --data-root "$DATA" --out "$run" --model av --epochs 1 \
             --limit-train 512 --batch-size 16 --nproc "$1" --threads "$2" --allreduce "$3")
    python3 - "$run/result.json" "$1" "$2" "$wall" "$3" <<'PY'
import json, sys
h = json.load(open(sys.argv[1]))["history"][0]
dp = h.get("data_parallel", {})
how = f" ({sys.argv[5]})" if dp else ""
print(f"train  {sys.argv[2]} rank(s) x {sys.argv[3]} thread(s){how}: {float(sys.argv[4]):6.1f} s wall, "
      f"epoch {h['seconds']:.2f} s ({h['clips_per_second']:.1f} clips/s)"
      + (f", all-reduce {dp['allreduce_seconds']:.2f} s for {dp['steps']} steps of "
         f"{dp['allreduce_bytes_per_step']} bytes" if dp else ""))
PY
  done
done
for layout in "1 2" "2 1"; do
  set -- $layout
  wall=$(seconds "$AVR" attack --data-root "$DATA" --checkpoint "$OUT/train-1-overlap-1/best.pt" \
           --out "$OUT/attack-$1" --attack fgsm,pgd --limit 64 --batch-size 16 --nproc "$1" --threads "$2")
  printf 'attack %s rank(s) x %s thread(s): %6.1f s wall\n' "$1" "$2" "$wall"
done
cmp -s "$OUT/attack-1/robustness.csv" "$OUT/attack-2/robustness.csv" \
  && echo "attack tables of the two layouts: identical" \
  || { echo "attack tables of the two layouts differ"; exit 1; }
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
