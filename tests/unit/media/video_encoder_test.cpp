#include "avr/media/video_encoder.h"

#include <gtest/gtest.h>

#include "avr/core/error.h"
#include "avr/media/video_decoder.h"
#include "media_fixtures.h"
#include "test_support.h"

namespace avr {
namespace {

using test::error_of;

int count_files(const std::filesystem::path& dir) {
  int n = 0;
  for (auto& e : std::filesystem::directory_iterator(dir)) (void)e, ++n;
  return n;
}

// ffv1 is lossless: what goes in comes out bit for bit (RGB survives the
// codec's own pixel format), and 8 fps in gives every frame back.
TEST(VideoEncoder, LosslessRoundTripIsExact) {
  test::TempDir dir;
  std::vector<Image> frames;
  for (int i = 0; i < 4; ++i) frames.push_back(test::clip_frame(i));
  EncodeSettings s;
  s.fps = 8;
  s.video_codec = "ffv1";
  write_video(dir / "x.mkv", frames, test::sine(300, 0.5, 16000, 1), s);
  DecodeSettings d;
  d.sample_rate = 16000;
  const DecodedVideo v = read_video(dir / "x.mkv", d);
  ASSERT_EQ(v.frames.size(), 4u);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(v.frames[i].rgb, frames[i].rgb) << "frame " << i;
  EXPECT_EQ(v.info.audio_codec, "pcm_s16le");
  const Audio want = test::sine(300, 0.5, 16000, 1);
  ASSERT_EQ(v.audio.samples.size(), want.samples.size());
  for (size_t i = 0; i < want.samples.size(); i += 97)
    EXPECT_NEAR(v.audio.samples[i], want.samples[i], 1.0 / 32768 + 1e-6);
  EXPECT_EQ(count_files(dir.path()), 1);  // no temporary left next to it
}

TEST(VideoEncoder, BadInputsAreClearErrorsAndWriteNothing) {
  test::TempDir dir;
  const std::vector<Image> two = {test::clip_frame(0), test::clip_frame(1)};
  EXPECT_NE(error_of([&] { write_video(dir / "a.mkv", {}, {}); }).find("no frames"),
            std::string::npos);
  EXPECT_NE(error_of([&] { write_video(dir / "a.mkv", {two[0], Image(8, 8)}, {}); })
                .find("frame 1 is 8x8"),
            std::string::npos);
  EXPECT_NE(error_of([&] { write_video(dir / "a.unknownext", two, {}); })
                .find("unknown container"),
            std::string::npos);
  EncodeSettings s;
  s.video_codec = "no_such_codec";
  EXPECT_NE(error_of([&] { write_video(dir / "a.mkv", two, {}, s); })
                .find("no video encoder named 'no_such_codec'"),
            std::string::npos);
  s = {};
  s.audio_codec = "aac";
  Audio odd = test::sine(440, 0.1, 12345, 1);  // not a rate AAC can store
  EXPECT_NE(error_of([&] { write_video(dir / "a.mp4", two, odd, s); }).find("12345 Hz"),
            std::string::npos);
  EXPECT_EQ(count_files(dir.path()), 0);
}

}  // namespace
}  // namespace avr
