#!/usr/bin/env bash
# Installs every system package avr needs, from Debian's archive. Idempotent and
# quiet when everything is present. Run as root (or with sudo available).
set -euo pipefail

PACKAGES=(
  cmake ninja-build g++ pkg-config ccache
  libtorch-dev                 # LibTorch (CPU build)
  libgloo-dev                  # headers of c10d's ProcessGroupGloo (multi-process runs)
  libopenblas0-openmp          # switches libblas.so.3 from the reference BLAS (~6 → ~100 GFLOP/s)
  libsndfile1-dev              # wav read/write
  libavformat-dev libavcodec-dev libswscale-dev libswresample-dev libavutil-dev  # avr extract
  libfluidsynth-dev fluid-soundfont-gm  # embedded dataset: instrument sounds
  fonts-noto-color-emoji libfreetype-dev  # embedded dataset: instrument pictograms
  libstb-dev                   # JPEG/PNG encode/decode
  libzip-dev                   # checks a checkpoint's zip records before LibTorch allocates for them
  libcli11-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev
  chromium                     # the HTML report's browser test
  python3-torch python3-torchvision  # tests: PyTorch reads avr's files and writes the ones avr imports
  python3-pil                  # tests: libjpeg (through Pillow) writes the most compressible JPEGs
  clang libclang-rt-dev        # make fuzz / make test-sanitize: libFuzzer, ASan and UBSan runtimes
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "avr: installing ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# libopenblas0-openmp registers itself as the libblas.so.3 alternative with a
# higher priority than the reference BLAS; make sure it is the one selected.
alt=/usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3
if [ -e "$alt" ] && command -v update-alternatives >/dev/null; then
  cur=$(readlink -f /etc/alternatives/libblas.so.3-x86_64-linux-gnu 2>/dev/null || true)
  if [ "$cur" != "$(readlink -f $alt)" ]; then
    SUDO=""; if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
    $SUDO update-alternatives --set libblas.so.3-x86_64-linux-gnu "$alt" >/dev/null
  fi
fi
