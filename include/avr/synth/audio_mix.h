// The clip's soundtrack: the target instrument, a distractor instrument at a
// level relative to it, and background noise at a signal-to-noise ratio, mixed
// and scaled to a peak level (DATASET.md: neither modality alone is sure).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "avr/core/rng.h"

namespace avr {

enum class NoiseKind { White, Pink, Brown };
std::string noise_kind_name(NoiseKind kind);

// Unit-RMS noise of the given colour.
std::vector<float> make_noise(NoiseKind kind, int64_t num_samples, Rng& rng);

double rms(const std::vector<float>& x);

struct MixLevels {
  double distractor_db = 0.0;  // distractor RMS / target RMS, in dB
  double snr_db = 10.0;        // target RMS / noise RMS, in dB
  double peak = 0.8;           // peak |sample| of the result
};

// target + distractor (may be empty: none) + noise, scaled to `levels.peak`.
// A silent target or distractor is our bug (AVR_ASSERT): levels relative to
// silence mean nothing.
std::vector<float> mix_clip_audio(const std::vector<float>& target,
                                  const std::vector<float>& distractor,
                                  const std::vector<float>& noise, const MixLevels& levels);

}  // namespace avr
