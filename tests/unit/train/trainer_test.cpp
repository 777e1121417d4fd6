#include "avr/train/trainer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "../data/fixture.h"
#include "avr/core/error.h"
#include "avr/core/fs.h"
#include "avr/models/checkpoint.h"
#include "test_support.h"
#include "train_fixture.h"

namespace avr {
namespace {

TrainConfig tiny_config(const std::string& kind, const std::string& loss = "ce") {
  return test::tiny_train_config(kind, 3, loss);
}

TrainOptions quiet() {
  TrainOptions o;
  o.quiet = true;
  return o;
}

}  // namespace

TEST(Trainer, ATinyRunLowersTheLossAndWritesItsFiles) {
  test::TempDir dir;
  auto spec = test::write_tiny_dataset(dir, 6);
  auto c = tiny_config("av");
  c.epochs = 4;
  auto r = train_model(c, spec, dir / "run", quiet());
  ASSERT_EQ(r.epochs_done, 4);
  const double first = r.history[0]["loss"], last = r.history[3]["loss"];
  EXPECT_LT(last, first);
  EXPECT_TRUE(fs::exists(dir / "run/best.pt"));
  EXPECT_TRUE(fs::exists(dir / "run/result.json"));
  EXPECT_TRUE(fs::exists(dir / "run/config.json"));
  EXPECT_GE(r.test_accuracy, 0.0);
}

TEST(Trainer, ResumeAfterAnInterruptionGivesTheSameWeights) {
  test::TempDir dir;
  auto spec = test::write_tiny_dataset(dir, 4);
  for (const std::string loss : {"minsim", "pcl"}) {
    auto c = tiny_config("av", loss);
    train_model(c, spec, dir / ("full-" + loss), quiet());
    auto o = quiet();
    o.stop_after_epochs = 1;
    auto part = train_model(c, spec, dir / ("split-" + loss), o);
    ASSERT_EQ(part.epochs_done, 1);
    // Without --resume an existing run is not overwritten.
    EXPECT_THROW(train_model(c, spec, dir / ("split-" + loss), quiet()), Error);
    o.stop_after_epochs = 0;
    o.resume = true;
    auto rest = train_model(c, spec, dir / ("split-" + loss), o);
    ASSERT_EQ(rest.epochs_done, 3);
    auto a = load_checkpoint(dir / ("full-" + loss) / "last.pt").model;
    auto b = load_checkpoint(dir / ("split-" + loss) / "last.pt").model;
    auto pa = a->named_parameters(), pb = b->named_parameters();
    for (const auto& item : pa)
      EXPECT_TRUE(torch::equal(item.value(), pb[item.key()])) << loss << " " << item.key();
  }
}

TEST(Trainer, ResumeWithOtherSettingsIsRefused) {
  test::TempDir dir;
  auto spec = test::write_tiny_dataset(dir, 2);
  auto c = tiny_config("audio");
  auto o = quiet();
  o.stop_after_epochs = 1;
  train_model(c, spec, dir / "run", o);
  c.lr_head = 0.5;
  o.resume = true;
  EXPECT_THROW(train_model(c, spec, dir / "run", o), Error);
}

TEST(Trainer, UnimodalModelsTrainAndSimilarityLossNeedsBothBranches) {
  test::TempDir dir;
  auto spec = test::write_tiny_dataset(dir, 2);
  auto c = tiny_config("visual");
  c.epochs = 1;
  auto r = train_model(c, spec, dir / "v", quiet());
  EXPECT_EQ(r.epochs_done, 1);
  auto bad = tiny_config("audio", "minsim");
  EXPECT_THROW(train_model(bad, spec, dir / "bad", quiet()), Error);
}

}  // namespace avr

namespace avr {

// The input sizes come from the dataset's manifest: a damaged one is a one-line error naming
// it (it once escaped as nlohmann's raw type_error).
TEST(TrainConfig, InputSizesFromADamagedManifestNameIt) {
  test::TempDir dir;
  write_file_atomic(dir / "manifest.json", R"({"image_size": "48", "audio_length": 8192})");
  const std::string e = test::error_of([&] { dataset_input_sizes(dir.path(), "embedded"); });
  EXPECT_NE(e.find("manifest.json"), std::string::npos) << e;
  EXPECT_NE(e.find("whole numbers"), std::string::npos) << e;
  write_file_atomic(dir / "manifest.json", R"({"image_size": 48, "audio_length": 8192})");
  EXPECT_EQ(dataset_input_sizes(dir.path(), "embedded"), (std::pair<int64_t, int64_t>{48, 8192}));
}

// Without a manifest (a paper dataset's folder) the sizes are the original scripts': AVE's
// audio window is 33075 samples, not MUSIC's and Kinetics-Sounds' 65535 (before, every
// dataset got 65535, so `avr train --dataset ave` trained on twice AVE's window).
TEST(TrainConfig, PaperDatasetsTakeTheOriginalScriptsInputSizes) {
  test::TempDir dir;
  using Sizes = std::pair<int64_t, int64_t>;
  EXPECT_EQ(dataset_input_sizes(dir.path(), "ave"), (Sizes{224, 33075}));
  EXPECT_EQ(dataset_input_sizes(dir.path(), "music"), (Sizes{224, 65535}));
  EXPECT_EQ(dataset_input_sizes(dir.path(), "kinetics"), (Sizes{224, 65535}));
}

}  // namespace avr
