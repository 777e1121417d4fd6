#include "avr/media/wav.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <vector>

#include "avr/core/error.h"
#include "avr/core/fs.h"
#include "avr/core/rng.h"
#include "media_fixtures.h"
#include "test_support.h"

namespace avr {
namespace {

using test::error_of;

TEST(Wav, RoundTripKeepsRateChannelsAndSamplesTo16Bits) {
  test::TempDir dir;
  Audio a = test::sine(440, 0.25, 11025, 2, 0.7f);
  a.samples[0] = 3.0f;  // clipped to 1, not wrapped
  write_wav(dir / "a.wav", a);
  const Audio b = read_wav(dir / "a.wav");
  EXPECT_EQ(b.sample_rate, 11025);
  EXPECT_EQ(b.channels, 2);
  ASSERT_EQ(b.samples.size(), a.samples.size());
  EXPECT_NEAR(b.samples[0], 1.0f, 1e-4);
  for (size_t i = 1; i < a.samples.size(); ++i) ASSERT_NEAR(b.samples[i], a.samples[i], 2.0 / 32768);  // 16-bit, scale 32767 vs 32768
  const Audio m = to_mono(b);
  EXPECT_EQ(m.channels, 1);
  EXPECT_EQ(m.frames(), b.frames());
  EXPECT_NEAR(m.samples[5], 0.5f * (b.samples[10] + b.samples[11]), 1e-6);
}

// libsndfile alone reads a half-copied WAV as a shorter clip; read_wav must not.
TEST(Wav, TruncatedFileIsAnErrorNamingIt) {
  test::TempDir dir;
  write_wav(dir / "a.wav", test::sine(440, 1.0, 11025, 1));
  const std::string full = read_text_file(dir / "a.wav");
  std::ofstream(dir / "cut.wav", std::ios::binary) << full.substr(0, full.size() / 2);
  const std::string e = error_of([&] { read_wav(dir / "cut.wav"); });
  EXPECT_NE(e.find("cut.wav\" is truncated"), std::string::npos) << e;
  // Cut inside the header: libsndfile's own error, still naming the file.
  std::ofstream(dir / "head.wav", std::ios::binary) << full.substr(0, 30);
  const std::string h = error_of([&] { read_wav(dir / "head.wav"); });
  EXPECT_NE(h.find("cannot read audio"), std::string::npos) << h;
  EXPECT_NE(h.find("head.wav"), std::string::npos) << h;
}

// A mono IEEE-float WAV (format tag 3) written byte by byte, so the test does
// not depend on the writer under test.
void write_float_wav(const std::filesystem::path& path, const std::vector<float>& samples, int rate) {
  std::ofstream out(path, std::ios::binary);
  auto u32 = [&](uint32_t v) { out.write(reinterpret_cast<const char*>(&v), 4); };
  auto u16 = [&](uint16_t v) { out.write(reinterpret_cast<const char*>(&v), 2); };
  const uint32_t data_bytes = static_cast<uint32_t>(samples.size() * 4);
  out << "RIFF";
  u32(36 + data_bytes);
  out << "WAVEfmt ";
  u32(16);
  u16(3);  // IEEE float
  u16(1);  // mono
  u32(rate);
  u32(rate * 4);
  u16(4);
  u16(32);
  out << "data";
  u32(data_bytes);
  out.write(reinterpret_cast<const char*>(samples.data()), data_bytes);
}

// Fixed fault: a float WAV at twice full scale was scored silently by every
// command that read it. Now reading it is an error naming the file.
TEST(Wav, FloatSamplesBeyondFullScaleAreAnErrorNamingTheFile) {
  test::TempDir dir;
  std::vector<float> samples(1000);
  for (size_t i = 0; i < samples.size(); ++i) samples[i] = 0.85f * std::sin(0.05f * i);
  write_float_wav(dir / "in_range.wav", samples, 8000);
  const Audio ok = read_wav(dir / "in_range.wav");
  ASSERT_EQ(ok.samples.size(), samples.size());
  EXPECT_EQ(ok.samples[31], samples[31]);  // float samples read as they are

  for (float& v : samples) v *= 2;  // peak 1.7
  write_float_wav(dir / "loud.wav", samples, 8000);
  const std::string e = error_of([&] { read_wav(dir / "loud.wav"); });
  EXPECT_NE(e.find("loud.wav"), std::string::npos) << e;
  EXPECT_NE(e.find("beyond full scale"), std::string::npos) << e;

  samples[10] = std::nanf("");
  write_float_wav(dir / "nan.wav", samples, 8000);
  const std::string n = error_of([&] { read_wav(dir / "nan.wav"); });
  EXPECT_NE(n.find("nan.wav"), std::string::npos) << n;
  EXPECT_NE(n.find("non-finite"), std::string::npos) << n;
}

TEST(Wav, CorruptAndMissingFilesAreErrorsNamingThem) {
  test::TempDir dir;
  Rng rng(3);
  std::string junk(4096, '\0');
  for (char& c : junk) c = static_cast<char>(rng.next_u64());
  std::ofstream(dir / "junk.wav", std::ios::binary) << junk;
  const std::string e = error_of([&] { read_wav(dir / "junk.wav"); });
  EXPECT_NE(e.find("junk.wav"), std::string::npos) << e;
  const std::string m = error_of([&] { read_wav(dir / "missing.wav"); });
  EXPECT_NE(m.find("audio file not found"), std::string::npos) << m;
}

TEST(Wav, WritingWithoutRateOrChannelsIsAnError) {
  test::TempDir dir;
  Audio a;
  a.samples = {0.1f};
  EXPECT_THROW(write_wav(dir / "x.wav", a), Error);
  EXPECT_FALSE(std::filesystem::exists(dir / "x.wav"));
}

}  // namespace
}  // namespace avr
