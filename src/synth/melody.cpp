#include "avr/synth/melody.h"

#include <algorithm>
#include <cmath>

#include "avr/core/error.h"

namespace avr {
namespace {

int64_t to_block(double seconds, int sample_rate) {
  return static_cast<int64_t>(std::llround(seconds * sample_rate / kSynthBlock)) * kSynthBlock;
}

// Index into `weights` drawn with probability proportional to the weight.
size_t pick(const std::vector<double>& weights, Rng& rng) {
  double total = 0;
  for (double w : weights) total += w;
  double u = rng.uniform() * total;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (u < weights[i]) return i;
    u -= weights[i];
  }
  return weights.size() - 1;
}

struct PartBuilder {
  int sample_rate;
  int64_t num_samples;
  std::vector<NoteEvent> events;

  void note(double on_s, double off_s, int key, int velocity) {
    const int64_t on = to_block(on_s, sample_rate);
    if (on >= num_samples) return;
    const int64_t off = std::max(on + kSynthBlock, to_block(off_s, sample_rate));
    events.push_back({on, key, std::clamp(velocity, 1, 127)});
    events.push_back({off, key, 0});
  }

  std::vector<NoteEvent> finish() {
    std::stable_sort(events.begin(), events.end(), [](const NoteEvent& a, const NoteEvent& b) {
      if (a.sample != b.sample) return a.sample < b.sample;
      return (a.velocity == 0) > (b.velocity == 0);  // offs first: a key can be struck again
    });
    return std::move(events);
  }
};

void melody(const Instrument& in, double beat, int base_velocity, PartBuilder& b, Rng& rng) {
  static const int kMajor[7] = {0, 2, 4, 5, 7, 9, 11};
  static const int kMinor[7] = {0, 2, 3, 5, 7, 8, 10};
  const int root = static_cast<int>(rng.randint(0, 11));
  const int* mode = rng.bernoulli(0.5) ? kMajor : kMinor;
  std::vector<int> keys;  // the scale's keys within the instrument's range
  for (int k = in.low_key; k <= in.high_key; ++k)
    for (int d = 0; d < 7; ++d)
      if (((k - root) % 12 + 12) % 12 == mode[d]) keys.push_back(k);
  AVR_ASSERT(keys.size() >= 5, "range of '", in.name, "' too narrow");
  const int n = static_cast<int>(keys.size());
  int idx = static_cast<int>(rng.randint(n / 4, (3 * n) / 4));

  static const std::vector<double> kBeats = {0.25, 0.5, 1.0, 1.5, 2.0};
  static const std::vector<double> kBeatWeights = {1, 4, 4, 1, 1};
  static const std::vector<double> kStepWeights = {1, 1, 3, 5, 2, 5, 3, 1, 1};  // -4..+4
  const double duration = static_cast<double>(b.num_samples) / b.sample_rate;
  double t = rng.uniform(0.0, 0.15);
  bool first = true;
  while (t < duration) {
    const double d = kBeats[pick(kBeatWeights, rng)] * beat;
    if (!first && rng.bernoulli(0.12)) {  // a rest
      t += d;
      continue;
    }
    first = false;
    const int velocity = base_velocity + static_cast<int>(rng.randint(-12, 12));
    const double off = t + d * rng.uniform(0.7, 0.95);  // articulation gap
    b.note(t, off, keys[idx], velocity);
    if (in.chords && rng.bernoulli(0.25)) {  // a third, sometimes a fifth, above
      if (idx + 2 < n) b.note(t, off, keys[idx + 2], velocity - 8);
      if (idx + 4 < n && rng.bernoulli(0.5)) b.note(t, off, keys[idx + 4], velocity - 8);
    }
    t += d;
    idx += static_cast<int>(pick(kStepWeights, rng)) - 4;
    if (idx < 0) idx = -idx;  // reflect at the ends of the range
    if (idx >= n) idx = 2 * (n - 1) - idx;
    idx = std::clamp(idx, 0, n - 1);
  }
}

// Kit roles by GM key: kicks on the beats, snares on the back beats, toms
// fill; a one-key instrument (maracas) shakes on an eighth or sixteenth grid.
void rhythm(const Instrument& in, double beat, int base_velocity, PartBuilder& b, Rng& rng) {
  const auto& keys = in.percussion_keys;
  AVR_ASSERT(!keys.empty(), "percussion class '", in.name, "' has no keys");
  std::vector<int> kicks, snares, toms;
  for (int k : keys) (k == 35 || k == 36 ? kicks : k == 38 || k == 40 ? snares : toms).push_back(k);
  const bool shaker = keys.size() == 1;
  const int per_beat = shaker ? (rng.bernoulli(0.5) ? 2 : 4) : 4;
  const double step = beat / per_beat;
  const double duration = static_cast<double>(b.num_samples) / b.sample_rate;
  const double hit_len = std::min(0.1, step * 0.9);
  const double start = rng.uniform(0.0, 0.1);
  for (int s = 0; start + s * step < duration; ++s) {
    const double t = start + s * step;
    const bool on_beat = s % per_beat == 0;
    int key;
    double p;
    if (shaker) {
      key = keys[0];
      p = on_beat ? 0.95 : 0.8;
    } else if (s % 8 == 0 && !kicks.empty()) {
      key = kicks[rng.randint(0, kicks.size() - 1)];
      p = 0.9;
    } else if (s % 8 == 4 && !snares.empty()) {
      key = snares[rng.randint(0, snares.size() - 1)];
      p = 0.9;
    } else {
      key = keys[rng.randint(0, keys.size() - 1)];
      if (!toms.empty() && rng.bernoulli(0.6)) key = toms[rng.randint(0, toms.size() - 1)];
      p = s % 2 == 0 ? 0.45 : 0.2;
    }
    if (!rng.bernoulli(p)) continue;
    const int accent = on_beat ? 15 : 0;
    b.note(t, t + hit_len, key, base_velocity + accent + static_cast<int>(rng.randint(-10, 10)));
  }
}

}  // namespace

std::vector<NoteEvent> random_part(const Instrument& instrument, const PartStyle& style,
                                   int64_t num_samples, int sample_rate, Rng& rng) {
  AVR_ASSERT(num_samples > 0 && sample_rate > 0);
  PartBuilder b{sample_rate, num_samples, {}};
  const double beat = 60.0 / rng.uniform(style.tempo_bpm_min, style.tempo_bpm_max);
  const int base_velocity = static_cast<int>(rng.randint(style.velocity_min, style.velocity_max));
  if (instrument.percussion())
    rhythm(instrument, beat, base_velocity, b, rng);
  else
    melody(instrument, beat, base_velocity, b, rng);
  const bool any_on = std::any_of(b.events.begin(), b.events.end(),
                                  [](const NoteEvent& e) { return e.velocity > 0; });
  if (!any_on) {  // rare (a rhythm that drew no hits): one note at the start
    const int key = instrument.percussion() ? instrument.percussion_keys[0]
                                            : (instrument.low_key + instrument.high_key) / 2;
    b.note(0.0, 0.2, key, base_velocity);
  }
  return b.finish();
}

}  // namespace avr
