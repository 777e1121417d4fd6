#include "avr/models/original_checkpoint.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>

#include "avr/core/error.h"
#include "test_support.h"

namespace avr {
namespace {

// The original's three state_dicts and their logits (tests/support/make_original_checkpoints.py).
struct OriginalFiles {
  test::TempDir dir;
  OriginalCheckpointFiles files;
  OriginalFiles() {
    const auto r = test::run_shell("/usr/bin/python3 " AVR_SOURCE_DIR
                                   "/tests/support/make_original_checkpoints.py " + dir.path().string());
    EXPECT_EQ(r.exit_code, 0) << r.output << "\n(`make deps` installs python3-torchvision)";
    files = {dir / "sound_best.pth", dir / "frame_best.pth", dir / "classifier_best.pth"};
  }
};

using test::error_of;

TEST(OriginalCheckpoint, ImportedModelGivesTheOriginalsLogits) {
  OriginalFiles o;
  AvModel m = import_original_checkpoints(o.files, 64, 8192, 5);
  EXPECT_EQ(m->config().visual_pool, "avg");
  torch::NoGradGuard no_grad;
  const auto frames = torch::linspace(0, 1, 3 * 64 * 64).view({1, 3, 64, 64});
  const auto audio = 0.5 * torch::sin(torch::arange(8192.0) * 0.05).view({1, 8192});
  const auto ours = m->forward(audio, frames)[0];
  std::ifstream in(o.dir / "logits.txt");
  std::vector<float> ref;
  for (float v; in >> v;) ref.push_back(v);
  ASSERT_EQ(ref.size(), 5u);
  const auto theirs = torch::tensor(ref);
  EXPECT_TRUE(torch::allclose(ours, theirs, 1e-4, 1e-4)) << ours << "\nvs PyTorch\n" << theirs;

  // The paper's max pool would not reproduce them: the pooling is what the import must get right.
  ModelConfig max_pool = m->config();
  max_pool.visual_pool = "max";
  AvModel as_paper(max_pool);
  auto src = m->named_parameters(true);
  for (auto& p : as_paper->named_parameters(true)) p.value().copy_(src[p.key()]);
  auto bufs = m->named_buffers(true);
  for (auto& b : as_paper->named_buffers(true)) b.value().copy_(bufs[b.key()]);
  as_paper->eval();
  EXPECT_FALSE(torch::allclose(as_paper->forward(audio, frames)[0], theirs, 1e-3, 1e-3));
}

TEST(OriginalCheckpoint, WrongOrSwappedFilesNameTheFile) {
  OriginalFiles o;
  auto swapped = o.files;
  std::swap(swapped.sound, swapped.frame);
  const std::string s = error_of([&] { import_original_checkpoints(swapped, 64, 8192); });
  EXPECT_NE(s.find("frame_best.pth"), std::string::npos) << s;  // the file given as --sound
  EXPECT_NE(s.find("features.0.weight"), std::string::npos) << s;
  auto head_as_sound = o.files;
  head_as_sound.sound = o.files.classifier;
  const std::string e = error_of([&] { import_original_checkpoints(head_as_sound, 64, 8192); });
  EXPECT_NE(e.find("classifier_best.pth"), std::string::npos) << e;
  EXPECT_NE(e.find("lacks tensor 'features.0.weight'"), std::string::npos) << e;
  const std::string classes = error_of([&] { import_original_checkpoints(o.files, 64, 8192, 11); });
  EXPECT_NE(classes.find("has 5 classes but the dataset has 11"), std::string::npos) << classes;
}

TEST(OriginalCheckpoint, ClassOrderIsTheOriginalScripts) {
  EXPECT_EQ(original_class_order("music").size(), 11u);
  EXPECT_EQ(original_class_order("music").front(), "flute");  // not alphabetical
  EXPECT_EQ(original_class_order("ave").size(), 28u);
  EXPECT_EQ(original_class_order("kinetics").size(), 27u);
  EXPECT_EQ(original_audio_length("ave"), 33075);
  EXPECT_EQ(original_audio_length("music"), 65535);
  EXPECT_NE(error_of([] { original_class_order("embedded"); }).find("--classes"), std::string::npos);
}

}  // namespace
}  // namespace avr
