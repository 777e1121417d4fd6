#include "avr/report/wav_bytes.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "avr/core/error.h"
#include "avr/core/fs.h"
#include "avr/report/markup.h"
#include "test_support.h"

namespace avr {
namespace {

TEST(WavBytes, LibsndfileReadsBackWhatWeEncoded) {
  Audio a;
  a.sample_rate = 11025;
  a.channels = 2;
  for (int i = 0; i < 300; ++i) {
    a.samples.push_back(0.8f * std::sin(i * 0.05f));
    a.samples.push_back(i == 7 ? 1.7f : -0.3f);  // one sample beyond full scale
  }
  const auto bytes = encode_wav(a);
  EXPECT_EQ(bytes.size(), 44u + 600 * 2);
  EXPECT_EQ(sniff_mime(bytes), "audio/wav");
  test::TempDir dir;
  write_file_atomic(dir / "x.wav", std::string(bytes.begin(), bytes.end()));
  const Audio back = read_wav(dir / "x.wav");
  EXPECT_EQ(back.sample_rate, 11025);
  EXPECT_EQ(back.channels, 2);
  ASSERT_EQ(back.samples.size(), a.samples.size());
  for (size_t i = 0; i < a.samples.size(); ++i)
    EXPECT_NEAR(back.samples[i], std::clamp(a.samples[i], -1.f, 1.f), 1.0 / 16384) << i;
}

TEST(WavBytes, RejectsNonFiniteSamplesAndRaggedChannels) {
  Audio a;
  a.sample_rate = 8000;
  a.channels = 1;
  a.samples = {0.f, std::nanf(""), 0.f};
  EXPECT_THROW(encode_wav(a), Error);
  a.samples = {0.f, 0.f, 0.f};
  a.channels = 2;
  EXPECT_THROW(encode_wav(a), Error);
  a.channels = 0;
  EXPECT_THROW(encode_wav(a), Error);
}

}  // namespace
}  // namespace avr
