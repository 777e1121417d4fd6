// The study's check of a cached training step's checkpoint before it reuses it.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>

#include "avr/models/checkpoint.h"
#include "avr/study/study_models.h"
#include "test_support.h"

namespace avr {
namespace {

AvModel small_model(int64_t seed) {
  ModelConfig c;
  c.kind = ModelKind::Audio;
  c.num_classes = 3;
  c.image_size = 32;
  c.audio_length = 4096;
  c.seed = seed;
  AvModel m(c);
  torch::NoGradGuard no_grad;
  m->classifier->bias.fill_(1234.5f);  // bytes easy to find in the file
  return m;
}

TEST(CachedCheckpoint, UsableDamagedOrForeignIsTold) {
  test::TempDir dir;
  const auto best = dir / "best.pt";
  save_checkpoint(best, small_model(1));
  const nlohmann::json record = {{"test_accuracy", 0.5},
                                 {"weights_sha256", verify_checkpoint(best).weights_sha256}};
  EXPECT_EQ(cached_checkpoint_problem(best, record), "");
  // A record from before the digest was kept trusts the file.
  EXPECT_EQ(cached_checkpoint_problem(best, {{"test_accuracy", 0.5}}), "");

  // Another model's checkpoint (same architecture, other weights) copied over it.
  save_checkpoint(best, small_model(2));
  std::string why = cached_checkpoint_problem(best, record);
  EXPECT_NE(why.find("holds other weights than this step trained"), std::string::npos) << why;
  EXPECT_NE(why.find(best.string()), std::string::npos) << why;

  // The original, then one byte of its classifier's weights flipped.
  save_checkpoint(best, small_model(1));
  std::string bytes;
  {
    std::ifstream in(best, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  ASSERT_EQ(cached_checkpoint_problem(best, record), "");
  const float v = 1234.5f;
  std::string pattern;
  for (int i = 0; i < 3; ++i) pattern.append(reinterpret_cast<const char*>(&v), sizeof v);
  const size_t at = bytes.find(pattern);
  ASSERT_NE(at, std::string::npos);
  bytes[at + 1] ^= 0x01;
  std::ofstream(best, std::ios::binary) << bytes;
  why = cached_checkpoint_problem(best, record);
  EXPECT_NE(why.find("is damaged: tensor 'classifier.bias' does not match"), std::string::npos) << why;
}

}  // namespace
}  // namespace avr
