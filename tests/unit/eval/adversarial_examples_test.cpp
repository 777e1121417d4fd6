// Saved adversarial examples stay inside the threat model when read back with
// avr's own readers (fixed fault: PNG pairs differed by 4/255 against ε = 0.012,
// WAV pairs by one LSB more than ε).
#include "avr/eval/adversarial_examples.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "avr/core/fs.h"
#include "avr/data/tensor_media.h"
#include "avr/report/wav_bytes.h"
#include "test_support.h"

namespace avr {
namespace {

double max_pixel_diff(const Image& a, const Image& b) {
  int m = 0;
  for (size_t i = 0; i < a.rgb.size(); ++i) m = std::max(m, std::abs(int(a.rgb[i]) - int(b.rgb[i])));
  return m / 255.0;
}

double max_sample_diff(const Audio& a, const Audio& b) {
  double m = 0;
  for (size_t i = 0; i < a.samples.size(); ++i) m = std::max(m, double(std::abs(a.samples[i] - b.samples[i])));
  return m;
}

TEST(AdversarialExamples, FramePairReadBackIsWithinEpsilon) {
  test::TempDir dir;
  torch::manual_seed(0);
  const double eps = 0.012;
  // A resized frame: values off the 1/255 grid; the attack uses its whole budget.
  const auto clean = torch::rand({3, 48, 48}) * 0.9 + 0.05;
  const auto adv = clean + eps * torch::sign(torch::rand({3, 48, 48}) - 0.5);
  const auto threat = ThreatModel::single_eps(Modality::Visual, eps);
  const FramePair p = quantize_frame_pair(clean, adv, threat);
  write_png(dir / "c.png", p.clean);
  write_png(dir / "a.png", p.adversarial);
  const double d = max_pixel_diff(read_image(dir / "c.png"), read_image(dir / "a.png"));
  EXPECT_LE(d, eps);
  EXPECT_NEAR(d, 3 / 255.0, 1e-12);  // the budget is used: 3 whole steps of 1/255
  // The stored clean frame is the model's input, rounded.
  EXPECT_EQ(p.clean.rgb, tensor_to_image(clean).rgb);
  // Plain rounding of both (the fault) crosses the budget on these frames.
  EXPECT_GT(max_pixel_diff(tensor_to_image(clean), tensor_to_image(adv)), eps);

  // Normalized space: per-channel budgets eps·std_c.
  const auto norm = ThreatModel::single_eps(Modality::Visual, 0.05, EpsSpace::Normalized);
  const auto adv_n = clean + torch::tensor({0.05 * 0.229, 0.05 * 0.224, 0.05 * 0.225}).view({3, 1, 1}) *
                                 torch::sign(torch::rand({3, 48, 48}) - 0.5);
  const FramePair q = quantize_frame_pair(clean, adv_n, norm);
  for (size_t i = 0; i < q.clean.rgb.size(); ++i)
    ASSERT_LE(std::abs(int(q.clean.rgb[i]) - int(q.adversarial.rgb[i])) / 255.0, norm.pixel_eps_v(i % 3));
  // An audio-only threat leaves the frames equal.
  const FramePair none = quantize_frame_pair(clean, adv, ThreatModel::single_eps(Modality::Audio, eps));
  EXPECT_EQ(none.clean.rgb, none.adversarial.rgb);
}

TEST(AdversarialExamples, AudioPairReadBackIsWithinEpsilon) {
  test::TempDir dir;
  torch::manual_seed(1);
  const double eps = 0.012;
  const auto clean = torch::rand({4000}) * 1.8 - 0.9;
  const auto adv = (clean + eps * torch::sign(torch::rand({4000}) - 0.5)).clamp(-1, 1);
  const auto threat = ThreatModel::single_eps(Modality::Audio, eps);
  const AudioPair p = quantize_audio_pair(clean, adv, threat, 11025);
  write_file_atomic(dir / "c.wav", bytes_to_string(encode_wav(p.clean)));
  write_file_atomic(dir / "a.wav", bytes_to_string(encode_wav(p.adversarial)));
  const Audio c = read_wav(dir / "c.wav"), a = read_wav(dir / "a.wav");
  EXPECT_EQ(c.sample_rate, 11025);
  const double d = max_sample_diff(c, a);
  EXPECT_LE(d, eps);
  EXPECT_GT(d, eps - 2.0 / 32768);  // the budget is used
  // Plain 16-bit rounding of both (the fault) crosses the budget.
  write_file_atomic(dir / "c0.wav", bytes_to_string(encode_wav(tensor_to_audio(clean, 11025))));
  write_file_atomic(dir / "a0.wav", bytes_to_string(encode_wav(tensor_to_audio(adv, 11025))));
  EXPECT_GT(max_sample_diff(read_wav(dir / "c0.wav"), read_wav(dir / "a0.wav")), eps);
}

}  // namespace
}  // namespace avr
