#include "avr/media/video_decoder.h"

#include <gtest/gtest.h>

#include <fstream>

#include "avr/core/error.h"
#include "avr/core/fs.h"
#include "avr/core/rng.h"
#include "media_fixtures.h"
#include "test_support.h"

namespace avr {
namespace {

using test::error_of;

struct Container {
  const char* ext;
  const char* video_codec;
  const char* audio_codec;  // "" = the writer's default for the container
};

void PrintTo(const Container& c, std::ostream* os) {
  *os << c.ext << "/" << c.video_codec << "/" << (*c.audio_codec ? c.audio_codec : "default");
}

class DecodeRoundTrip : public ::testing::TestWithParam<Container> {};

// 1.5 s at 24 fps → 12 frames at 8 fps, each the red source frame 3k with the
// square at x = 2k; a 440 Hz stereo tone at 22050 Hz → mono 11025 Hz.
TEST_P(DecodeRoundTrip, SamplesEightFpsAndResamplesMonoAudio) {
  test::TempDir dir;
  const auto p = dir / (std::string("clip.") + GetParam().ext);
  EncodeSettings es;
  es.video_codec = GetParam().video_codec;
  es.audio_codec = GetParam().audio_codec;
  test::write_clip(p, 1.5, 24.0, 440.0, es);

  const DecodedVideo v = read_video(p);
  ASSERT_EQ(v.frames.size(), 12u) << v.info.container;
  EXPECT_EQ(v.info.frames, 12);
  EXPECT_EQ(v.info.source_frames, 36);
  EXPECT_NEAR(v.info.duration_s, 1.5, 2e-3);  // Matroska stores milliseconds
  EXPECT_NEAR(v.info.source_fps, 24.0, 1e-6);
  EXPECT_EQ(v.info.video_codec, GetParam().video_codec);
  for (int k = 0; k < 12; ++k) {
    SCOPED_TRACE("output frame " + std::to_string(k));
    test::expect_source_frame(v.frames[static_cast<size_t>(k)], 3 * k);
  }

  EXPECT_EQ(v.audio.channels, 1);
  EXPECT_EQ(v.audio.sample_rate, 11025);
  EXPECT_EQ(v.info.source_channels, 2);
  EXPECT_EQ(v.info.source_sample_rate, 22050);
  // AAC adds/drops up to a frame at the ends; PCM is exact to a sample or two.
  const double tol = std::string(v.info.audio_codec) == "aac" ? 600 : 3;
  EXPECT_NEAR(static_cast<double>(v.audio.samples.size()), 1.5 * 11025, tol);
  EXPECT_NEAR(test::zero_crossings(v.audio.samples), 2 * 440 * 1.5, 2 * 440 * 1.5 * 0.01);
  // The mean downmix keeps a tone present in both channels at its amplitude.
  EXPECT_NEAR(test::rms(v.audio.samples), 0.5 / std::sqrt(2.0), 0.02);
}

INSTANTIATE_TEST_SUITE_P(Containers, DecodeRoundTrip,
                         ::testing::Values(Container{"mkv", "mpeg4", ""},
                                           Container{"mp4", "mpeg4", "aac"},
                                           Container{"avi", "mjpeg", "pcm_s16le"}),
                         [](const auto& info) { return std::string(info.param.ext); });

TEST(VideoDecoder, FourFpsTakesEverySixthFrame) {
  test::TempDir dir;
  test::write_clip(dir / "c.mkv");
  DecodeSettings s;
  s.fps = 4;
  const DecodedVideo v = read_video(dir / "c.mkv", s);
  ASSERT_EQ(v.frames.size(), 6u);
  for (int k = 0; k < 6; ++k) test::expect_source_frame(v.frames[static_cast<size_t>(k)], 6 * k);
}

// A 5 fps source at 8 fps: ticks k/8 take the nearest frame i/5, so some
// frames repeat. (Tick 4 at 0.5 s is a tie and left out.)
TEST(VideoDecoder, UpsamplingPicksTheNearestFrame) {
  test::TempDir dir;
  std::vector<Image> frames;
  for (int i = 0; i < 5; ++i) {
    Image im(16, 16);
    std::fill(im.rgb.begin(), im.rgb.end(), static_cast<uint8_t>(20 + 50 * i));
    frames.push_back(im);
  }
  EncodeSettings es;
  es.fps = 5;
  write_video(dir / "slow.mkv", frames, {}, es);
  const DecodedVideo v = read_video(dir / "slow.mkv");
  EXPECT_FALSE(v.info.has_audio());
  EXPECT_TRUE(v.audio.samples.empty());
  ASSERT_EQ(v.frames.size(), 8u);  // 1.0 s at 8 fps
  const int want[8] = {0, 1, 1, 2, -1, 3, 4, 4};
  for (int k = 0; k < 8; ++k) {
    if (want[k] < 0) continue;
    EXPECT_NEAR(v.frames[static_cast<size_t>(k)].at(8, 8)[0], 20 + 50 * want[k], 6)
        << "tick " << k;
  }
}

TEST(VideoDecoder, ShortSideShrinksKeepingTheAspect) {
  test::TempDir dir;
  test::write_clip(dir / "c.mkv");
  DecodeSettings s;
  s.short_side = 12;
  const DecodedVideo v = read_video(dir / "c.mkv", s);
  ASSERT_FALSE(v.frames.empty());
  EXPECT_EQ(v.frames[0].width, 16);
  EXPECT_EQ(v.frames[0].height, 12);
  EXPECT_EQ(v.info.source_width, 32);
  // The square's center (x 4, y 6 after halving) is still white.
  EXPECT_TRUE(test::near_rgb(v.frames[0].at(2, 6), {255, 255, 255}, 50));
  s.short_side = 100;  // never enlarges
  EXPECT_EQ(read_video(dir / "c.mkv", s).frames[0].width, 32);
}

// Fixed fault: a 64×32 video with a 90° display matrix (a phone's portrait clip)
// was extracted as 64×32 frames where players show 32×64. Frames now come out as
// displayed: left half red, right half blue becomes top red, bottom blue.
TEST(VideoDecoder, FramesAreTurnedAsTheDisplayMatrixAsks) {
  test::TempDir dir;
  Image im(64, 32);
  for (int y = 0; y < 32; ++y)
    for (int x = 0; x < 64; ++x) {
      uint8_t* px = im.at(x, y);
      px[0] = x < 32 ? 230 : 20;
      px[2] = x < 32 ? 20 : 230;
    }
  for (int turn : {0, 90, 180, 270}) {
    SCOPED_TRACE("display rotation " + std::to_string(turn));
    EncodeSettings es;
    es.display_rotation = turn;
    const auto p = dir / ("turned" + std::to_string(turn) + ".mp4");
    write_video(p, std::vector<Image>(8, im), Audio{}, es);
    const DecodedVideo v = read_video(p);
    ASSERT_FALSE(v.frames.empty());
    EXPECT_EQ(v.info.rotation, turn);
    const Image& f = v.frames[0];
    const bool portrait = turn == 90 || turn == 270;
    ASSERT_EQ(f.width, portrait ? 32 : 64);
    ASSERT_EQ(f.height, portrait ? 64 : 32);
    EXPECT_EQ(v.info.width, f.width);
    EXPECT_EQ(v.info.height, f.height);
    EXPECT_EQ(v.info.source_width, 64);
    // Where the source's red (left) half went: top for 90, right for 180, bottom for 270.
    const int rx = turn == 180 ? 48 : 16, ry = turn == 90 ? 16 : turn == 270 ? 48 : 16;
    const int bx = turn == 180 ? 16 : portrait ? 16 : 48, by = turn == 90 ? 48 : turn == 270 ? 16 : 16;
    EXPECT_GT(f.at(rx, ry)[0], 180);
    EXPECT_LT(f.at(rx, ry)[2], 70);
    EXPECT_LT(f.at(bx, by)[0], 70);
    EXPECT_GT(f.at(bx, by)[2], 180);
  }
}

TEST(Image, RotateClockwiseMovesPixelsAndSwapsSides) {
  Image im(3, 2);
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 3; ++x) im.at(x, y)[0] = static_cast<uint8_t>(10 * y + x);
  const Image r = rotate_clockwise(im, 90);
  ASSERT_EQ(r.width, 2);
  ASSERT_EQ(r.height, 3);
  EXPECT_EQ(r.at(1, 0)[0], 0);   // top-left goes to the top-right
  EXPECT_EQ(r.at(0, 0)[0], 10);  // bottom-left goes to the top-left
  EXPECT_EQ(r.at(0, 2)[0], 12);
  const Image back = rotate_clockwise(rotate_clockwise(rotate_clockwise(r, 90), 90), 90);
  EXPECT_EQ(back.rgb, im.rgb);
  EXPECT_EQ(rotate_clockwise(im, 180).at(0, 0)[0], 12);
  EXPECT_THROW(rotate_clockwise(im, 45), Error);
}

TEST(VideoDecoder, AudioOnlyDecodeSkipsFrames) {
  test::TempDir dir;
  test::write_clip(dir / "c.mkv");
  DecodeSettings s;
  s.video = false;
  s.sample_rate = 8000;
  const DecodedVideo v = read_video(dir / "c.mkv", s);
  EXPECT_TRUE(v.frames.empty());
  EXPECT_NEAR(static_cast<double>(v.audio.samples.size()), 12000, 3);
}

TEST(VideoDecoder, RandomBytesAreAnErrorNamingTheFile) {
  test::TempDir dir;
  const auto p = dir / "garbage.mp4";
  Rng rng(7);
  std::string bytes(20000, '\0');
  for (char& c : bytes) c = static_cast<char>(rng.next_u64() & 0xff);
  std::ofstream(p, std::ios::binary) << bytes;
  const std::string e = error_of([&] { read_video(p); });
  EXPECT_NE(e.find("garbage.mp4"), std::string::npos) << e;
  EXPECT_NE(e.find("cannot open video"), std::string::npos) << e;
}

TEST(VideoDecoder, MissingFileAndWrongStreamsAreClearErrors) {
  test::TempDir dir;
  EXPECT_NE(error_of([&] { read_video(dir / "nope.mkv"); }).find("video not found"),
            std::string::npos);
  write_wav(dir / "tone.wav", test::sine(440, 0.2, 11025, 1));
  const std::string e = error_of([&] { read_video(dir / "tone.wav"); });
  EXPECT_NE(e.find("tone.wav\" has no video stream"), std::string::npos) << e;

  write_video(dir / "silent.mkv", {test::clip_frame(0), test::clip_frame(1)}, {});
  DecodeSettings s;
  s.require_audio = true;
  const std::string e2 = error_of([&] { read_video(dir / "silent.mkv", s); });
  EXPECT_NE(e2.find("silent.mkv\" has no audio stream"), std::string::npos) << e2;
}

// A file cut short must not pass as a whole video: either an error naming
// it, or only the frames that really are in it.
TEST(VideoDecoder, TruncatedFileIsAnErrorOrShorter) {
  test::TempDir dir;
  test::write_clip(dir / "c.avi", 1.5, 24.0, 440.0, {24.0, "mjpeg", "pcm_s16le", 2});
  const std::string full = read_text_file(dir / "c.avi");
  std::ofstream(dir / "cut.avi", std::ios::binary) << full.substr(0, full.size() / 2);
  try {
    const DecodedVideo v = read_video(dir / "cut.avi");
    EXPECT_LT(v.frames.size(), 12u);
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cut.avi"), std::string::npos) << e.what();
  }
}

TEST(VideoDecoder, SettingsAreValidated) {
  DecodeSettings s;
  s.fps = 0;
  EXPECT_THROW(s.validate(), Error);
  s = {};
  s.sample_rate = 10;
  EXPECT_THROW(s.validate(), Error);
  s = {};
  s.video = s.audio = false;
  EXPECT_THROW(s.validate(), Error);
}

// fuzz/video_fuzz.cpp: a 4 KB Matroska file (tests/unit/media/data/bad_audio_layout.mkv)
// whose audio swresample refuses; the error did not say which file.
TEST(VideoDecoder, AudioTheResamplerRefusesIsAnErrorNamingTheFile) {
  const auto path = test::source_dir() / "tests/unit/media/data/bad_audio_layout.mkv";
  DecodeSettings s;
  s.require_audio = true;
  const std::string e = test::error_of([&] { decode_video(path, s, [](int64_t, const Image&) {}); });
  EXPECT_NE(e.find("bad_audio_layout.mkv"), std::string::npos) << e;
  EXPECT_NE(e.find("audio"), std::string::npos) << e;
}

// fuzz/video_fuzz.cpp: a 15 KB AVI (tests/unit/media/data/timestamp_gap.avi, the
// fuzzer's input as found) whose damaged timestamps made the sampler hand out
// frames for 14 s (each a JPEG file in `avr extract`); now refused at once.
TEST(VideoDecoder, DamagedTimestampsThatAskForEndlessFramesAreAnErrorNamingTheFile) {
  const auto path = test::source_dir() / "tests/unit/media/data/timestamp_gap.avi";
  int64_t frames = 0;
  DecodeSettings s;
  s.require_audio = true;
  const std::string e = test::error_of([&] { decode_video(path, s, [&](int64_t, const Image&) { ++frames; }); });
  EXPECT_NE(e.find("timestamp_gap.avi"), std::string::npos) << e;
  EXPECT_NE(e.find("damaged timestamps"), std::string::npos) << e;
  EXPECT_LT(frames, 100000) << e;
}

// Audio that starts after the first frame gets the gap as silence in front, so audio
// sample i stays at time i / rate like the frames.
TEST(VideoDecoder, AudioThatStartsLateGetsSilenceInFront) {
  test::TempDir dir;
  EncodeSettings e;
  e.audio_start = 0.5;
  test::write_clip(dir / "late.mkv", 1.5, 24.0, 440.0, e);
  const DecodedVideo v = read_video(dir / "late.mkv");
  EXPECT_EQ(v.frames.size(), 12u);
  const std::vector<float>& x = v.audio.samples;
  ASSERT_NEAR(static_cast<double>(x.size()), 2.0 * 11025, 3);
  const auto at = [&](double s) { return x.begin() + std::lround(s * 11025); };
  EXPECT_LT(test::rms({x.begin(), at(0.49)}), 1e-3);
  EXPECT_NEAR(test::rms({at(0.51), x.end()}), 0.5 / std::sqrt(2.0), 0.02);
}

// The silence in front is bounded like a gap between frames: a first audio timestamp
// hours after the first frame is damaged, not hours of silence to allocate.
TEST(VideoDecoder, AudioStartingHoursAfterTheFirstFrameIsAnErrorNamingTheFile) {
  test::TempDir dir;
  EncodeSettings e;
  e.audio_start = 7200;
  test::write_clip(dir / "hours_late.mkv", 0.5, 24.0, 440.0, e);
  DecodeSettings s;
  s.require_audio = true;
  const std::string err = test::error_of([&] { read_video(dir / "hours_late.mkv", s); });
  EXPECT_NE(err.find("hours_late.mkv"), std::string::npos) << err;
  EXPECT_NE(err.find("the audio starts at 7200 s"), std::string::npos) << err;
  EXPECT_NE(err.find("damaged timestamps"), std::string::npos) << err;
}

// fuzz/video_fuzz.cpp: a 41 KB AVI (fuzz/regressions/video/audio_claims_1hz.avi) whose
// header said its audio was sampled at 1 Hz, so each of its 8,688 samples became 11,025
// (2.4 h of audio; 25 s and 1.5 GB under ASan). Audio below 4 kHz is refused as a
// damaged header; 4 kHz itself decodes.
TEST(VideoDecoder, AudioSampledBelow4kHzIsAnErrorNamingTheFile) {
  test::TempDir dir;
  const std::vector<Image> frames = {test::clip_frame(0), test::clip_frame(1)};
  write_video(dir / "low_rate.mkv", frames, test::sine(100, 0.5, 3999, 2));
  write_video(dir / "four_khz.mkv", frames, test::sine(100, 0.5, 4000, 2));
  const std::string err = test::error_of([&] { read_video(dir / "low_rate.mkv"); });
  EXPECT_NE(err.find("low_rate.mkv"), std::string::npos) << err;
  EXPECT_NE(err.find("audio sampled at 3999 Hz: below 4000 Hz"), std::string::npos) << err;
  const DecodedVideo ok = read_video(dir / "four_khz.mkv");
  EXPECT_EQ(ok.info.source_sample_rate, 4000);
  EXPECT_NEAR(static_cast<double>(ok.audio.samples.size()), 0.5 * 11025, 3);
  const std::string fuzzed = test::error_of(
      [&] { read_video(test::source_dir() / "fuzz/regressions/video/audio_claims_1hz.avi"); });
  EXPECT_NE(fuzzed.find("audio_claims_1hz.avi"), std::string::npos) << fuzzed;
  EXPECT_NE(fuzzed.find("audio sampled at 1 Hz"), std::string::npos) << fuzzed;
}

// A playlist or file list names other files (or URLs) for FFmpeg to read: the
// decoder opens only the file itself, so each is a one-line error naming the
// file and its format, and nothing it points at is read.
TEST(VideoDecoder, PlaylistsAndFileListsThatPointElsewhereAreRefused) {
  test::TempDir dir;
  test::write_clip(dir / "real.mkv");
  ASSERT_EQ(read_video(dir / "real.mkv").frames.size(), 12u);  // what they point at decodes
  std::ofstream(dir / "list.m3u8") << "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n"
                                      "#EXTINF:1.5,\nreal.mkv\n#EXT-X-ENDLIST\n";
  std::ofstream(dir / "list.ffconcat") << "ffconcat version 1.0\nfile 'real.mkv'\nfile '"
                                        << (dir / "real.mkv").string() << "'\n";
  // The same list under a video's name: FFmpeg goes by the contents.
  std::ofstream(dir / "disguised.mp4") << "ffconcat version 1.0\nfile 'real.mkv'\n";
  for (auto [file, format] : {std::pair<const char*, const char*>{"list.m3u8", "'hls' file"},
                              {"list.ffconcat", "'concat' file"},
                              {"disguised.mp4", "'concat' file"}}) {
    int64_t frames = 0;
    const std::string e = error_of([&] {
      decode_video(dir / file, DecodeSettings{}, [&](int64_t, const Image&) { ++frames; });
    });
    EXPECT_EQ(frames, 0) << file;
    EXPECT_NE(e.find(std::string("cannot open video \"") + (dir / file).string() + "\": it is a " + format),
              std::string::npos) << e;
    EXPECT_NE(e.find("give it the video file itself"), std::string::npos) << e;
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  }
}

// A file whose name reads as an FFmpeg protocol ("concat:", "subfile,") is
// still that file: the path goes to FFmpeg as file:<path>.
TEST(VideoDecoder, FileNamesThatLookLikeProtocolsAreFiles) {
  test::TempDir dir;
  test::write_clip(dir / "real.mkv");
  std::filesystem::copy_file(dir / "real.mkv", dir / "concat:real.mkv");
  EXPECT_EQ(read_video(dir / "concat:real.mkv").frames.size(), 12u);
}

}  // namespace
}  // namespace avr
