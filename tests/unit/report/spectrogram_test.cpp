#include "avr/report/spectrogram.h"

#include <gtest/gtest.h>

#include <cmath>

#include "avr/core/error.h"

namespace avr {
namespace {

Audio sine(double hz, float amplitude, int n, int rate = 16000) {
  Audio a;
  a.sample_rate = rate;
  a.channels = 1;
  for (int i = 0; i < n; ++i)
    a.samples.push_back(amplitude * static_cast<float>(std::sin(2 * M_PI * hz * i / rate)));
  return a;
}

TEST(Spectrogram, PureToneLandsInItsBinWithTheHannWindowsExactMagnitude) {
  // 1000 Hz at 16 kHz with n_fft 512 is exactly bin 32; a periodic Hann window
  // sums to N/2, so the tone's magnitude there is A·N/4.
  const Spectrogram s = compute_spectrogram(sine(1000, 0.5f, 4096));
  EXPECT_EQ(s.bins, 257);
  EXPECT_EQ(s.frames, 1 + (4096 - 512) / 128);
  EXPECT_DOUBLE_EQ(s.bin_hz(32), 1000.0);
  for (int f = 0; f < s.frames; ++f) {
    int peak = 0;
    for (int b = 1; b < s.bins; ++b)
      if (s.at(f, b) > s.at(f, peak)) peak = b;
    EXPECT_EQ(peak, 32) << "frame " << f;
    EXPECT_NEAR(s.at(f, 32), 0.5 * 512 / 4, 1e-3);
    EXPECT_NEAR(s.at(f, 31), 0.5 * 512 / 8, 1e-3) << "Hann leaks half the peak into each neighbour";
    EXPECT_LT(s.at(f, 100), 1e-3);
  }
}

TEST(Spectrogram, ImagePutsLowFrequenciesAtTheBottomAndTheToneBrightest) {
  SpectrogramSettings st;
  st.n_fft = 64;
  st.hop = 32;
  // 2000 Hz at 16 kHz with n_fft 64 is bin 8.
  const Spectrogram s = compute_spectrogram(sine(2000, 0.5f, 640), st);
  const Image im = spectrogram_image(s, st);
  EXPECT_EQ(im.width, s.frames);
  EXPECT_EQ(im.height, 33);
  const uint8_t* tone = im.at(3, 32 - 8);
  const Rgb top = colormap(Colormap::viridis, 1);
  EXPECT_EQ((Rgb{tone[0], tone[1], tone[2]}), top);
  const uint8_t* quiet = im.at(3, 0);  // Nyquist row: at the floor
  EXPECT_EQ((Rgb{quiet[0], quiet[1], quiet[2]}), colormap(Colormap::viridis, 0));
}

TEST(Spectrogram, ASharedReferenceShowsAQuieterClipDarker) {
  SpectrogramSettings st;
  st.n_fft = 64;
  st.hop = 32;
  const Spectrogram loud = compute_spectrogram(sine(2000, 0.5f, 640), st);
  const Spectrogram soft = compute_spectrogram(sine(2000, 0.05f, 640), st);  // −20 dB
  const Image own = spectrogram_image(soft, st);
  const Image shared = spectrogram_image(soft, st, loud.max_magnitude());
  EXPECT_EQ(own.at(3, 24)[1], colormap(Colormap::viridis, 1).g);
  const Rgb expect = colormap(Colormap::viridis, (80.0 - 20.0) / 80.0);
  EXPECT_NEAR(shared.at(3, 24)[1], expect.g, 1);
}

TEST(Spectrogram, RejectsClipsShorterThanAWindowAndBadSettings) {
  EXPECT_THROW(compute_spectrogram(sine(1000, 0.5f, 100)), Error);
  SpectrogramSettings st;
  st.n_fft = 500;
  EXPECT_THROW(st.validate(), Error);
  st.n_fft = 512;
  st.hop = 0;
  EXPECT_THROW(st.validate(), Error);
  Audio bad = sine(1000, 0.5f, 1024);
  bad.samples[7] = std::nanf("");
  EXPECT_THROW(compute_spectrogram(bad), Error);
}

TEST(Spectrogram, StereoIsAveragedToMono) {
  Audio st = sine(1000, 0.5f, 1024);
  Audio stereo;
  stereo.sample_rate = st.sample_rate;
  stereo.channels = 2;
  for (float v : st.samples) stereo.samples.push_back(v), stereo.samples.push_back(-v);
  const Spectrogram s = compute_spectrogram(stereo);
  EXPECT_LT(s.max_magnitude(), 1e-4) << "the channels cancel";
}

}  // namespace
}  // namespace avr
