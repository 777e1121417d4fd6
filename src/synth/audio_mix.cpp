#include "avr/synth/audio_mix.h"

#include <algorithm>
#include <cmath>

#include "avr/core/error.h"

namespace avr {

std::string noise_kind_name(NoiseKind kind) {
  switch (kind) {
    case NoiseKind::White:
      return "white";
    case NoiseKind::Pink:
      return "pink";
    case NoiseKind::Brown:
      return "brown";
  }
  AVR_ASSERT(false, "unknown noise kind");
}

double rms(const std::vector<float>& x) {
  if (x.empty()) return 0.0;
  double s = 0;
  for (float v : x) s += static_cast<double>(v) * v;
  return std::sqrt(s / static_cast<double>(x.size()));
}

std::vector<float> make_noise(NoiseKind kind, int64_t num_samples, Rng& rng) {
  std::vector<float> out(static_cast<size_t>(num_samples));
  // Pink: Paul Kellet's economy filter (~ -3 dB/octave above ~100 Hz);
  // brown: a leaky integrator (-6 dB/octave) that does not drift.
  double b0 = 0, b1 = 0, b2 = 0, brown = 0;
  for (auto& v : out) {
    const double w = rng.normal();
    switch (kind) {
      case NoiseKind::White:
        v = static_cast<float>(w);
        break;
      case NoiseKind::Pink:
        b0 = 0.99765 * b0 + w * 0.0990460;
        b1 = 0.96300 * b1 + w * 0.2965164;
        b2 = 0.57000 * b2 + w * 1.0526913;
        v = static_cast<float>(b0 + b1 + b2 + w * 0.1848);
        break;
      case NoiseKind::Brown:
        brown = 0.98 * brown + w;
        v = static_cast<float>(brown);
        break;
    }
  }
  const double r = rms(out);
  if (r > 0)
    for (auto& v : out) v = static_cast<float>(v / r);
  return out;
}

std::vector<float> mix_clip_audio(const std::vector<float>& target,
                                  const std::vector<float>& distractor,
                                  const std::vector<float>& noise, const MixLevels& levels) {
  const size_t n = target.size();
  AVR_ASSERT(n > 0 && noise.size() == n && (distractor.empty() || distractor.size() == n),
             "mix: parts of different lengths");
  const double rt = rms(target);
  AVR_ASSERT(rt > 1e-6, "mix: the target part is silent");
  std::vector<double> mix(target.begin(), target.end());
  if (!distractor.empty()) {
    const double rd = rms(distractor);
    AVR_ASSERT(rd > 1e-6, "mix: the distractor part is silent");
    const double g = rt * std::pow(10.0, levels.distractor_db / 20.0) / rd;
    for (size_t i = 0; i < n; ++i) mix[i] += g * distractor[i];
  }
  const double gn = rt * std::pow(10.0, -levels.snr_db / 20.0) / std::max(rms(noise), 1e-12);
  for (size_t i = 0; i < n; ++i) mix[i] += gn * noise[i];
  double peak = 0;
  for (double v : mix) peak = std::max(peak, std::fabs(v));
  AVR_ASSERT(peak > 0);
  const double g = levels.peak / peak;
  std::vector<float> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>(mix[i] * g);
  return out;
}

}  // namespace avr
