// Tiny synthetic videos for the media and layout tests: every source frame
// says which frame it is (background color cycles red/green/blue, so only
// frames 0, 3, 6, … are red) and where it is (a white 8×8 square moves 2 px
// every third frame); the audio is a sine tone.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include "avr/media/image.h"
#include "avr/media/video_encoder.h"
#include "avr/media/wav.h"

namespace avr::test {

constexpr int kClipW = 32, kClipH = 24, kSquare = 8, kSquareY = 8;
using Rgb = std::array<int, 3>;
inline const std::array<Rgb, 3> kPalette = {{{200, 30, 30}, {30, 200, 30}, {30, 30, 200}}};

inline int square_x(int source_frame) { return 2 * (source_frame / 3); }

inline Image clip_frame(int i) {
  Image im(kClipW, kClipH);
  const Rgb bg = kPalette[static_cast<size_t>(i % 3)];
  for (int y = 0; y < kClipH; ++y)
    for (int x = 0; x < kClipW; ++x) {
      const bool sq = x >= square_x(i) && x < square_x(i) + kSquare && y >= kSquareY &&
                      y < kSquareY + kSquare;
      for (int c = 0; c < 3; ++c) im.at(x, y)[c] = static_cast<uint8_t>(sq ? 255 : bg[c]);
    }
  return im;
}

inline Audio sine(double hz, double seconds, int rate, int channels, float amplitude = 0.5f) {
  Audio a;
  a.sample_rate = rate;
  a.channels = channels;
  const auto n = static_cast<int64_t>(std::llround(seconds * rate));
  for (int64_t i = 0; i < n; ++i)
    for (int c = 0; c < channels; ++c)
      a.samples.push_back(amplitude * static_cast<float>(std::sin(2 * M_PI * hz * i / rate)));
  return a;
}

// Zero crossings of a tone, with hysteresis: the signal must reach ±0.05
// between crossings, so codec noise in silent padding does not count.
inline int zero_crossings(const std::vector<float>& x) {
  int n = 0, state = 0;
  for (float v : x) {
    const int s = v > 0.05f ? 1 : v < -0.05f ? -1 : 0;
    if (s != 0 && state != 0 && s != state) ++n;
    if (s != 0) state = s;
  }
  return n;
}

inline double rms(const std::vector<float>& x) {
  double s = 0;
  for (float v : x) s += static_cast<double>(v) * v;
  return x.empty() ? 0.0 : std::sqrt(s / static_cast<double>(x.size()));
}

// A clip of `seconds` at `fps` with a `tone_hz` stereo tone at 22050 Hz.
inline void write_clip(const std::filesystem::path& path, double seconds = 1.5,
                       double fps = 24.0, double tone_hz = 440.0, EncodeSettings s = {}) {
  s.fps = fps;
  std::vector<Image> frames;
  const int n = static_cast<int>(std::lround(seconds * fps));
  for (int i = 0; i < n; ++i) frames.push_back(clip_frame(i));
  write_video(path, frames, sine(tone_hz, seconds, 22050, 2), s);
}

inline bool near_rgb(const uint8_t* px, const Rgb& want, int tol) {
  for (int c = 0; c < 3; ++c)
    if (std::abs(static_cast<int>(px[c]) - want[c]) > tol) return false;
  return true;
}

// Output frame k of a clip sampled at 8 fps from 24 fps is source frame 3k:
// red, with the square at x = 2k.
inline void expect_source_frame(const Image& im, int source, int tol = 40) {
  ASSERT_EQ(im.width, kClipW);
  ASSERT_EQ(im.height, kClipH);
  const Rgb bg = kPalette[static_cast<size_t>(source % 3)];
  EXPECT_TRUE(near_rgb(im.at(kClipW - 1 - 1, 2), bg, tol)) << "background of source " << source;
  EXPECT_TRUE(near_rgb(im.at(square_x(source) + kSquare / 2, kSquareY + kSquare / 2),
                       {255, 255, 255}, tol))
      << "square of source " << source;
  const int away = square_x(source) + kSquare + 2;  // just right of the square
  if (away < kClipW - 2) {
    EXPECT_TRUE(near_rgb(im.at(away, kSquareY + kSquare / 2), bg, tol))
        << "no square right of x=" << away << " in source " << source;
  }
}

}  // namespace avr::test
