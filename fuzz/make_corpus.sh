#!/usr/bin/env bash
# Regenerates fuzz/corpus/<target>/: the seeds `make fuzz` starts from.
# fuzz_make_corpus (avr's own writers) writes every format but PyTorch's
# state_dicts, which PyTorch writes here (python3-torch, `make deps`).
# Usage: fuzz/make_corpus.sh [BUILD_DIR]   (default build-fuzz, configured by make fuzz)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build-fuzz}
OUT=fuzz/corpus
cmake --build "$BUILD" --target fuzz_make_corpus >/dev/null
rm -rf "$OUT"
ASAN_OPTIONS=detect_leaks=0 "$BUILD/bin/fuzz_make_corpus" "$OUT"
/usr/bin/python3 - "$OUT/state_dict" <<'PY'
import collections, sys, torch
out = sys.argv[1]
torch.manual_seed(0)
# What torch.save(model.state_dict(), f) writes: an OrderedDict with _metadata,
# parameters and BN buffers (an int64 num_batches_tracked among them).
m = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 2), torch.nn.BatchNorm2d(2), torch.nn.Linear(2, 3))
torch.save(m.state_dict(), f"{out}/sequential.pth")
# Nested dicts, shared storage (a view at an offset), every dtype the reader maps.
base = torch.arange(12, dtype=torch.float32)
torch.save({"net": {"w": base.view(3, 4), "tail": base[6:]},
            "t": base.view(4, 3).t(),
            "d": torch.ones(2, dtype=torch.float64), "h": torch.ones(2, dtype=torch.float16),
            "bf": torch.ones(2, dtype=torch.bfloat16), "i": torch.arange(3, dtype=torch.int32),
            "s": torch.arange(2, dtype=torch.int16), "c": torch.arange(2, dtype=torch.int8),
            "u": torch.arange(2, dtype=torch.uint8), "b": torch.tensor([True, False]),
            "scalar": torch.tensor(5)}, f"{out}/dtypes.pth")
torch.save(collections.OrderedDict(), f"{out}/empty.pth")
PY
du -sh "$OUT"
