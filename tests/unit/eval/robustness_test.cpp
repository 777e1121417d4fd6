#include "avr/eval/robustness.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "../data/fixture.h"
#include "avr/attacks/attack.h"
#include "avr/core/error.h"

namespace avr {
namespace {

ModelConfig tiny_model(const std::string& kind) {
  ModelConfig c;
  c.kind = kind;
  c.fusion = kind == "av" ? "concat" : "";
  c.num_classes = 2;
  c.image_size = 32;
  c.audio_length = 4096;
  return c;
}

ClipSettings tiny_clip() {
  ClipSettings s;
  s.image_size = 32;
  s.audio_length = 4096;
  return s;
}

}  // namespace

TEST(BatchObjective, CachedBranchGivesTheSameLossAsAFullForward) {
  torch::manual_seed(0);
  DefendedModel m;
  m.model = AvModel(tiny_model("av"));
  m.model->eval();
  m.loss = "minsim";
  auto audio = torch::rand({3, 4096}) * 2 - 1, frames = torch::rand({3, 3, 32, 32});
  auto labels = torch::tensor({0, 1, 0}, torch::kInt64);
  auto obj = batch_objective(m, audio, frames, false, ExFMemGradient::kNone);
  auto adv_audio = (audio + 0.01).clamp(-1, 1);
  auto cached = obj(adv_audio, frames, labels);  // visual branch from the cache
  auto full = obj(adv_audio, frames.clone(), labels);  // a new tensor: recomputed
  EXPECT_TRUE(torch::allclose(cached.loss, full.loss, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(cached.logits, m.model->forward(adv_audio, frames), 1e-5, 1e-6));
}

TEST(DefendedModel, ReusingTheCleanBranchGivesTheSameLogitsAsAFullForward) {
  torch::manual_seed(0);
  DefendedModel m;
  m.model = AvModel(tiny_model("av"));
  m.model->eval();
  const int64_t d = 512;
  auto bank = [&](const char* modality) {
    return MemoryBank(modality, torch::rand({d, 16}), torch::arange(16, torch::kInt64));
  };
  ExFMemSettings es;
  es.audio.max_iter = es.visual.max_iter = 50;
  m.exfmem = std::make_shared<ExFMem>(bank("audio"), bank("visual"), es);
  auto audio = torch::rand({3, 4096}) * 2 - 1, frames = torch::rand({3, 3, 32, 32});
  torch::NoGradGuard ng;
  const auto clean = m.defend_clean(audio, frames);
  EXPECT_TRUE(torch::allclose(m.logits(clean), m.logits(audio, frames), 1e-5, 1e-6));
  auto adv_audio = (audio + 0.05).clamp(-1, 1), adv_frames = (frames + 0.05).clamp(0, 1);
  // ✗A (frames object reused, or an equal copy), ✗V, ✗AV.
  for (auto [a, f] : {std::pair{adv_audio, frames}, std::pair{adv_audio, frames.clone()},
                      std::pair{audio, adv_frames}, std::pair{adv_audio, adv_frames}}) {
    EXPECT_TRUE(torch::allclose(m.logits(clean, a, f), m.logits(a, f), 1e-5, 1e-6));
  }
  // A changed branch is recomputed, not taken from the clean batch.
  EXPECT_FALSE(torch::allclose(m.logits(clean, adv_audio, frames), m.logits(clean), 1e-5, 1e-6));
}

TEST(Robustness, EpsZeroKeepsCleanAccuracyAndUnimodalGetsItsColumnOnly) {
  test::TempDir dir;
  auto spec = test::write_tiny_dataset(dir, 3);
  AvDataset ds(spec, "test", dataset_classes(spec));
  RobustnessSettings s;
  s.attacks = {"fgsm", "pgd"};
  s.eps_single = s.eps_both = 0.0;
  s.batch_size = 4;
  for (const std::string kind : {"av", "audio", "visual"}) {
    DefendedModel m;
    m.model = AvModel(tiny_model(kind));
    auto r = evaluate_robustness(m, ds, tiny_clip(), s, torch::kCPU, false);
    EXPECT_EQ(r.clips, 6);
    for (const auto& row : r.rows) {
      EXPECT_EQ(row.accuracy.size(), kind == "av" ? 3u : 1u) << kind;
      for (const auto& [mod, acc] : row.accuracy) EXPECT_DOUBLE_EQ(acc, r.clean_accuracy) << kind;
    }
  }
}

TEST(Robustness, AttacksStayInTheirBudgetAndDoNotRaiseAccuracyOnAverage) {
  test::TempDir dir;
  auto spec = test::write_tiny_dataset(dir, 3);
  AvDataset ds(spec, "test", dataset_classes(spec));
  RobustnessSettings s;
  s.attacks = {"pgd"};
  s.eps_single = 0.05;
  s.eps_both = 0.03;
  s.batch_size = 6;
  DefendedModel m;
  m.model = AvModel(tiny_model("av"));
  auto r = evaluate_robustness(m, ds, tiny_clip(), s, torch::kCPU, false);
  const auto& row = r.row("pgd");
  EXPECT_LE(row.max_linf_audio.at(Modality::Audio), 0.05 + 1e-6);
  EXPECT_EQ(row.max_linf_frames.at(Modality::Audio), 0.0);
  EXPECT_LE(row.max_linf_frames.at(Modality::Visual), 0.05 + 1e-6);
  EXPECT_EQ(row.max_linf_audio.at(Modality::Visual), 0.0);
  EXPECT_LE(row.max_linf_audio.at(Modality::AudioVisual), 0.03 + 1e-6);
  EXPECT_LE(row.accuracy.at(Modality::AudioVisual), r.clean_accuracy + 1e-9);
  EXPECT_NE(robustness_csv(r).find("pgd,"), std::string::npos);
}

}  // namespace avr
