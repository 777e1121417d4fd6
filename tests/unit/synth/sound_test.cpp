// Melodies, the FluidSynth renderer and the mix.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>

#include "avr/synth/audio_mix.h"
#include "avr/synth/melody.h"
#include "avr/synth/sound_renderer.h"

namespace avr {

TEST(Melody, EventsAreOnTheBlockGridSortedInRangeAndEveryNoteEnds) {
  const PartStyle style;
  for (const auto& in : instruments()) {
    for (uint64_t seed = 0; seed < 20; ++seed) {
      Rng rng = Rng(seed).fork(in.name);
      const auto ev = random_part(in, style, 11025, 11025, rng);
      std::map<int, int> sounding;
      int ons = 0;
      for (size_t i = 0; i < ev.size(); ++i) {
        ASSERT_EQ(ev[i].sample % kSynthBlock, 0);
        if (i > 0) {
          ASSERT_LE(ev[i - 1].sample, ev[i].sample);
        }
        if (ev[i].velocity > 0) {
          ++ons;
          ASSERT_LT(ev[i].sample, 11025);
          ASSERT_LE(ev[i].velocity, 127);
          ASSERT_EQ(sounding[ev[i].key]++, 0) << in.name << ": key struck while sounding";
          if (in.percussion()) {
            ASSERT_NE(std::find(in.percussion_keys.begin(), in.percussion_keys.end(), ev[i].key),
                      in.percussion_keys.end());
          } else {
            ASSERT_TRUE(ev[i].key >= in.low_key && ev[i].key <= in.high_key) << in.name;
          }
        } else {
          ASSERT_EQ(sounding[ev[i].key]--, 1) << in.name << ": note-off without note-on";
        }
      }
      EXPECT_GE(ons, 1);
      for (auto& [key, n] : sounding) EXPECT_EQ(n, 0) << in.name << " key " << key << " never ends";
    }
  }
}

TEST(Melody, SameStreamSameEventsOtherStreamOtherEvents) {
  const auto& in = find_instrument("flute");
  Rng a(5), b(5), c(6);
  const auto ea = random_part(in, {}, 11025, 11025, a);
  const auto eb = random_part(in, {}, 11025, 11025, b);
  const auto ec = random_part(in, {}, 11025, 11025, c);
  ASSERT_EQ(ea.size(), eb.size());
  for (size_t i = 0; i < ea.size(); ++i) EXPECT_EQ(ea[i].key, eb[i].key);
  bool differ = ea.size() != ec.size();
  for (size_t i = 0; !differ && i < ea.size(); ++i) differ = ea[i].key != ec[i].key;
  EXPECT_TRUE(differ);
}

TEST(SoundRenderer, EveryClassSoundsAndARenderDoesNotDependOnThePreviousOne) {
  SoundRenderer r(default_soundfont_path(), 11025);
  Rng rng(3);
  const auto& flute = find_instrument("flute");
  const auto flute_events = random_part(flute, {}, 8000, 11025, rng);
  const auto first = r.render(flute, flute_events, 8000);
  ASSERT_EQ(first.size(), 8000u);
  for (const auto& in : instruments()) {
    Rng prng = rng.fork(in.name);
    const auto a = r.render(in, random_part(in, {}, 8000, 11025, prng), 8000);
    EXPECT_GT(rms(a), 1e-3) << in.name << " is silent";
  }
  // Measured pitfall: a reused synth keeps ~1e-3 of what it played before.
  const auto again = r.render(flute, flute_events, 8000);
  EXPECT_EQ(0, std::memcmp(first.data(), again.data(), first.size() * sizeof(float)));
}

TEST(SoundRenderer, PitchFollowsTheKey) {
  // A4 (key 69) and A5 (81) on the flute: the autocorrelation of the
  // sustained part peaks at the period, 11025 / 440 = 25.1 and 12.5 samples.
  SoundRenderer r(default_soundfont_path(), 11025);
  auto period = [&](int key) {
    const auto x = r.render(find_instrument("flute"), {{0, key, 100}, {10944, key, 0}}, 11025);
    int best = 0;
    double best_c = -1e30;
    for (int lag = 8; lag <= 40; ++lag) {
      double c = 0;
      for (int i = 2000; i < 10000; ++i) c += x[i] * x[i + lag];
      if (c > best_c) best_c = c, best = lag;
    }
    return best;
  };
  EXPECT_NEAR(period(69), 25, 1);
  const int p81 = period(81);  // the first peak or its double
  EXPECT_TRUE(std::abs(p81 - 12.5) <= 1 || std::abs(p81 - 25) <= 1) << p81;
}

TEST(AudioMix, NoiseHasUnitRmsAndItsColour) {
  auto lag1 = [](const std::vector<float>& x) {
    double s01 = 0, s00 = 0;
    for (size_t i = 1; i < x.size(); ++i) s01 += x[i] * x[i - 1], s00 += x[i] * x[i];
    return s01 / s00;
  };
  Rng rng(9);
  const auto w = make_noise(NoiseKind::White, 20000, rng);
  const auto p = make_noise(NoiseKind::Pink, 20000, rng);
  const auto b = make_noise(NoiseKind::Brown, 20000, rng);
  for (const auto* x : {&w, &p, &b}) EXPECT_NEAR(rms(*x), 1.0, 1e-4);
  EXPECT_NEAR(lag1(w), 0.0, 0.03);
  EXPECT_GT(lag1(p), 0.3);
  EXPECT_GT(lag1(b), 0.9);
}

TEST(AudioMix, LevelsAreRelativeToTheTargetAndThePeakIsSet) {
  const int n = 4000;
  std::vector<float> t(n), d(n), z(n, 0.0f);
  for (int i = 0; i < n; ++i) {
    t[i] = 0.3f * std::sin(0.05f * i);
    d[i] = 0.9f * std::sin(0.31f * i);
  }
  MixLevels lv;
  lv.distractor_db = -6.0;
  lv.peak = 0.5;
  const auto m = mix_clip_audio(t, d, z, lv);
  double peak = 0;
  for (float v : m) peak = std::max(peak, std::fabs(static_cast<double>(v)));
  EXPECT_NEAR(peak, 0.5, 1e-6);
  // Project out the target (orthogonal sinusoids) to measure both levels.
  double tt = 0, mt = 0;
  for (int i = 0; i < n; ++i) tt += t[i] * t[i], mt += m[i] * t[i];
  const double gt = mt / tt;
  std::vector<float> rest(n);
  for (int i = 0; i < n; ++i) rest[i] = static_cast<float>(m[i] - gt * t[i]);
  EXPECT_NEAR(20 * std::log10(rms(rest) / (gt * rms(t))), -6.0, 0.1);

  lv.snr_db = 10.0;  // no distractor: what is left is the noise, 10 dB down
  Rng rng(1);
  const auto noise = make_noise(NoiseKind::White, n, rng);
  const auto m2 = mix_clip_audio(t, {}, noise, lv);
  double mt2 = 0;
  for (int i = 0; i < n; ++i) mt2 += m2[i] * t[i];
  const double g2 = mt2 / tt;
  for (int i = 0; i < n; ++i) rest[i] = static_cast<float>(m2[i] - g2 * t[i]);
  EXPECT_NEAR(20 * std::log10(g2 * rms(t) / rms(rest)), 10.0, 0.5);
}

}  // namespace avr
