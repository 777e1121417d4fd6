#include "avr/data/clip.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "avr/core/error.h"
#include "avr/core/fs.h"
#include "fixture.h"

namespace avr {

TEST(Clip, CenterWindowMatchesTheOriginalsArithmetic) {
  // frame_count 8 → center frame 4 → time 3.5/8 s → sample 4823; window of
  // 4096 starts at 4823 − 2048.
  EXPECT_EQ(center_frame_index(8), 4);
  EXPECT_EQ(center_frame_index(1), 1);
  EXPECT_EQ(center_window_start(4, 8.0, 11025, 4096), 4823 - 2048);
}

TEST(Clip, EvalClipHasShapesRangesAndContent) {
  test::TempDir dir;
  auto spec = test::write_tiny_dataset(dir);
  AvDataset ds(spec, "train", dataset_classes(spec));
  ClipSettings s;
  s.image_size = 24;
  s.audio_length = 4096;
  Clip c = load_clip(ds.layout(), ds.row(0), s, false, nullptr);
  ASSERT_EQ(c.audio.sizes(), (std::vector<int64_t>{4096}));
  ASSERT_EQ(c.frame.sizes(), (std::vector<int64_t>{3, 24, 24}));
  EXPECT_GE(c.frame.min().item<float>(), 0.0f);
  EXPECT_LE(c.frame.max().item<float>(), 1.0f);
  // Class 0 is red-ish: R ≈ 200/255 after JPEG.
  EXPECT_NEAR(c.frame[0].mean().item<float>(), 200.0 / 255, 0.03);
  // 16-bit PCM of 0.05.
  EXPECT_NEAR(c.audio.mean().item<float>(), 0.05, 1e-3);
}

TEST(Clip, WindowPastTheEndIsZeroPaddedNotWrapped) {
  test::TempDir dir;
  auto spec = test::write_tiny_dataset(dir, 1, 8, 5000);  // 5000 samples, window ends at 6871
  AvDataset ds(spec, "train", dataset_classes(spec));
  auto w = audio_window(ds.layout(), ds.row(0), 4096);
  const int64_t start = center_window_start(4, 8.0, 11025, 4096);
  EXPECT_NEAR(w[5000 - start - 1].item<float>(), 0.05, 1e-3);
  EXPECT_EQ(w[5000 - start].item<float>(), 0.0f);
  EXPECT_EQ(w[4095].item<float>(), 0.0f);
}

TEST(Clip, TrainTransformsAreSeededAndBounded) {
  test::TempDir dir;
  auto spec = test::write_tiny_dataset(dir);
  AvDataset ds(spec, "train", dataset_classes(spec));
  ClipSettings s;
  s.image_size = 24;
  s.audio_length = 2048;
  Rng a(5), b(5);
  Clip c1 = load_clip(ds.layout(), ds.row(3), s, true, &a);
  Clip c2 = load_clip(ds.layout(), ds.row(3), s, true, &b);
  EXPECT_TRUE(torch::equal(c1.audio, c2.audio));
  EXPECT_TRUE(torch::equal(c1.frame, c2.frame));
  EXPECT_LE(c1.audio.abs().max().item<float>(), 1.0f);
  const float vol = c1.audio.mean().item<float>() / 0.15f;  // class 1 → 0.15
  EXPECT_GE(vol, 0.5f - 1e-2);
  EXPECT_LE(vol, 1.5f + 1e-2);
}

TEST(Clip, MissingOrCorruptFilesAreErrorsNamingTheFile) {
  test::TempDir dir;
  auto spec = test::write_tiny_dataset(dir);
  AvDataset ds(spec, "test", dataset_classes(spec));
  ClipSettings s;
  s.image_size = 24;
  s.audio_length = 2048;
  const auto wav = ds.layout().audio_path(ds.row(0));
  fs::remove(wav);
  try {
    load_clip(ds.layout(), ds.row(0), s, false, nullptr);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(wav.string()), std::string::npos) << e.what();
  }
  const auto jpg = ds.layout().frame_path(ds.row(1), 4);
  write_file_atomic(jpg, "not a jpeg");
  try {
    load_clip(ds.layout(), ds.row(1), s, false, nullptr);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(jpg.string()), std::string::npos) << e.what();
  }
}

TEST(Clip, WrongSampleRateIsAnErrorStereoIsAveraged) {
  test::TempDir dir;
  auto spec = test::write_tiny_dataset(dir);
  AvDataset ds(spec, "val", dataset_classes(spec));
  Audio a;
  a.sample_rate = 16000;
  a.channels = 1;
  a.samples.assign(16000, 0.1f);
  write_wav(ds.layout().audio_path(ds.row(0)), a);
  EXPECT_THROW(audio_window(ds.layout(), ds.row(0), 1024), Error);
  Audio st;
  st.sample_rate = 11025;
  st.channels = 2;
  for (int i = 0; i < 11025; ++i) {
    st.samples.push_back(0.2f);
    st.samples.push_back(0.4f);
  }
  write_wav(ds.layout().audio_path(ds.row(1)), st);
  auto w = audio_window(ds.layout(), ds.row(1), 1024);
  EXPECT_NEAR(w.mean().item<float>(), 0.3, 1e-3);
}

}  // namespace avr
