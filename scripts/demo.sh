#!/usr/bin/env bash
# make demo: generate the embedded dataset (default profile), train the
# unimodal and audio-visual models, attack them, and print where results are.
# Every step is skipped when its output exists, so a re-run resumes.
set -euo pipefail
AVR=${1:-build/bin/avr}
DATA=${2:-data/embedded/default}
OUT=${3:-runs/demo}
PROFILE=${AVR_PROFILE:-default}
LIMIT=${AVR_ATTACK_LIMIT:-200}

step() { echo; echo "== $*"; }

if [ ! -f "$DATA/manifest.json" ]; then
  step "generating the embedded dataset ($PROFILE profile) in $DATA"
  "$AVR" synth --profile "$PROFILE" --out "$DATA"
fi

train() {  # name, flags...
  local name=$1; shift
  if [ ! -f "$OUT/$name/result.json" ]; then
    step "training $name"
    local resume=""
    [ -f "$OUT/$name/last.pt" ] && resume="--resume"
    "$AVR" train --dataset embedded --data-root "$DATA" --out "$OUT/$name" $resume "$@"
  fi
}

train audio --model audio
train visual --model visual
train concat --model av --fusion concat --preset "embedded-$PROFILE-finetune" \
  --init-audio "$OUT/audio/best.pt" --init-visual "$OUT/visual/best.pt"

# `avr attack` is being integrated; the demo attacks the models once it is built in.
if ! "$AVR" attack --help >/dev/null 2>&1; then
  step "results"
  for m in audio visual concat; do
    echo "$m test $(grep -o '"accuracy": [0-9.]*' "$OUT/$m/result.json" | head -1)  ($OUT/$m/best.pt)"
  done
  echo "avr demo: models and result.json files in $OUT"
  exit 0
fi

attack() {  # name, checkpoint, flags...
  local name=$1 ckpt=$2; shift 2
  if [ ! -f "$OUT/attacks/$name/robustness.json" ]; then
    step "attacking $name"
    "$AVR" attack --dataset embedded --data-root "$DATA" --checkpoint "$ckpt" \
      --limit "$LIMIT" --out "$OUT/attacks/$name" "$@"
  fi
}

attack concat "$OUT/concat/best.pt"
attack audio "$OUT/audio/best.pt" --modality a
attack visual "$OUT/visual/best.pt" --modality v

step "results"
for f in "$OUT"/attacks/*/robustness.md; do echo; cat "$f"; done
echo
echo "avr demo: results in $OUT (robustness.{json,csv,md} under $OUT/attacks/)"
