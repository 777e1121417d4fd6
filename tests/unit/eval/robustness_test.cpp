#include "avr/eval/robustness.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "../data/fixture.h"
#include "avr/attacks/attack.h"
#include "avr/core/error.h"
#include "avr/defenses/lasso.h"
#include "avr/train/losses.h"

namespace avr {
namespace {

ModelConfig tiny_model(const std::string& kind) {
  ModelConfig c;
  c.kind = parse_model_kind(kind);
  c.fusion = kind == "av" ? FusionKind::Concat : FusionKind::None;
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
  m.loss = LossKind::MinSim;
  auto audio = torch::rand({3, 4096}) * 2 - 1, frames = torch::rand({3, 3, 32, 32});
  auto labels = torch::tensor({0, 1, 0}, torch::kInt64);
  auto obj = batch_objective(m, audio, frames);
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

namespace {

// A tiny AV model with ExFMem over random non-negative banks of 64 atoms (d = 512), solved
// by the default certified active set.
DefendedModel tiny_defended_model() {
  DefendedModel m;
  m.model = AvModel(tiny_model("av"));
  m.model->eval();
  auto bank = [&](const char* modality, int64_t seed) {
    torch::manual_seed(seed);
    return MemoryBank(modality, torch::rand({512, 64}), torch::arange(64, torch::kInt64));
  };
  m.exfmem = std::make_shared<ExFMem>(bank("audio", 1), bank("visual", 2), ExFMemSettings{});
  return m;
}

// ½‖M(h − h*)‖² ≤ gap for a certified h: two certified solves' defended features are at most
// mix·(√(2·gap₁) + √(2·gap₂)) ≤ mix·2√(2·tol·P) apart; P ≤ ½‖f‖² (h = 0), so this bound
// per clip: mix·2·√(tol)·‖f‖, plus 1e-6·‖f‖ for the float32 features' rounding.
torch::Tensor certificate_bound(const DefendedModel& m, const torch::Tensor& f) {
  const auto& s = m.exfmem->settings();
  return (s.mix * 2 * std::sqrt(s.audio.tol) + 1e-6) * f.to(torch::kFloat64).norm(2, 1);
}

}  // namespace

// The clean batch's codes warm-start the adversarial solves: certified, and as close to the
// cold defended features as the certificate allows; the logits agree with a cold forward.
TEST(DefendedModel, WarmStartedAdversarialSolvesMatchColdOnesWithinTheCertificate) {
  DefendedModel m = tiny_defended_model();
  torch::manual_seed(3);
  auto audio = torch::rand({3, 4096}) * 2 - 1, frames = torch::rand({3, 3, 32, 32});
  torch::NoGradGuard ng;
  const auto clean = m.defend_clean(audio, frames);
  ASSERT_TRUE(clean.codes.audio.defined() && clean.codes.visual.defined());
  EXPECT_EQ(clean.codes.audio.size(1), 64);
  auto adv_audio = (audio + 0.02).clamp(-1, 1), adv_frames = (frames + 0.02).clamp(0, 1);
  const Features f = m.model->encode(adv_audio, adv_frames);
  const auto warm = m.defend_warm(f, ExFMemGradient::kNone, clean.codes);
  const Features cold = m.defend(f, ExFMemGradient::kNone);
  for (auto [dict, x, h] : {std::tuple{&m.exfmem->audio_dictionary(), f.audio, warm.codes.audio},
                            std::tuple{&m.exfmem->visual_dictionary(), f.visual, warm.codes.visual}}) {
    const LassoCertificate cert = lasso_certificate(*dict, x, h, 0.1);
    EXPECT_LE((cert.gap / cert.objective).max().item<double>(), 1e-6);
  }
  const torch::Tensor apart_a = (warm.features.audio - cold.audio).to(torch::kFloat64).norm(2, 1);
  const torch::Tensor apart_v = (warm.features.visual - cold.visual).to(torch::kFloat64).norm(2, 1);
  EXPECT_TRUE(apart_a.le(certificate_bound(m, f.audio)).all().item<bool>()) << apart_a;
  EXPECT_TRUE(apart_v.le(certificate_bound(m, f.visual)).all().item<bool>()) << apart_v;
  EXPECT_TRUE(torch::allclose(m.logits(clean, adv_audio, adv_frames), m.logits(adv_audio, adv_frames),
                              1e-4, 1e-5));
}

// A clip's defended result does not depend on its batch-mates: clip 0 alone (its own clean
// code as the warm start) gives the bits it gets in the batch.
TEST(DefendedModel, WarmStartsAreBatchInvariant) {
  DefendedModel m = tiny_defended_model();
  torch::manual_seed(4);
  auto audio = torch::rand({3, 4096}) * 2 - 1, frames = torch::rand({3, 3, 32, 32});
  torch::NoGradGuard ng;
  const Features f = m.model->encode(audio, frames);
  const auto clean = m.defend_warm(f, ExFMemGradient::kNone, {});
  Features adv;
  adv.audio = f.audio * 1.05 + 0.01;
  adv.visual = f.visual * 0.97;
  const auto batch = m.defend_warm(adv, ExFMemGradient::kNone, clean.codes);
  Features one;
  one.audio = adv.audio.slice(0, 0, 1);
  one.visual = adv.visual.slice(0, 0, 1);
  const auto alone = m.defend_warm(
      one, ExFMemGradient::kNone,
      {clean.codes.audio.slice(0, 0, 1), clean.codes.visual.slice(0, 0, 1)});
  EXPECT_TRUE(torch::equal(alone.codes.audio[0], batch.codes.audio[0]));
  EXPECT_TRUE(torch::equal(alone.codes.visual[0], batch.codes.visual[0]));
  EXPECT_TRUE(torch::equal(alone.features.audio[0], batch.features.audio[0]));
  // A warm start kept from another batch size is not used (that batch's rows are other clips).
  const auto mismatched = m.defend_warm(one, ExFMemGradient::kNone, clean.codes);
  const auto cold = m.defend_warm(one, ExFMemGradient::kNone, {});
  EXPECT_TRUE(torch::equal(mismatched.codes.audio, cold.codes.audio));
}

// The adaptive objective (BPDA through ExFMem) warm-starts each call from the previous call's
// codes: its loss and logits stay those of a cold defended forward, step after step, and the
// unattacked branch keeps its clean defended feature.
TEST(BatchObjective, AdaptiveWarmStartsKeepTheColdLoss) {
  DefendedModel m = tiny_defended_model();
  m.loss = LossKind::MinSim;
  torch::manual_seed(5);
  auto audio = torch::rand({3, 4096}) * 2 - 1, frames = torch::rand({3, 3, 32, 32});
  auto labels = torch::tensor({0, 1, 0}, torch::kInt64);
  DefendedModel::CleanBatch clean;
  {
    torch::NoGradGuard ng;
    clean = m.defend_clean(audio, frames);
  }
  for (auto g : {ExFMemGradient::kBpda, ExFMemGradient::kImplicit}) {
    SCOPED_TRACE(to_string(g));
    auto warm = batch_objective(m, clean, g);
    auto cold = [&](const torch::Tensor& a, const torch::Tensor& v) {
      const Features f = m.defend(m.model->encode(a, v), g);
      auto logits = m.model->classify(f);
      return std::pair{per_sample_loss(LossKind::MinSim, logits, f, labels), logits};
    };
    torch::Tensor a = audio;
    for (int step = 1; step <= 3; ++step) {
      a = (audio + 0.01 * step * torch::sin(torch::arange(4096).to(torch::kFloat32) * step))
              .clamp(-1, 1)
              .requires_grad_(true);
      const Objective o = warm(a, frames, labels);  // ✗A: frames are the clean tensor
      const auto [loss, logits] = cold(a, frames);
      EXPECT_TRUE(torch::allclose(o.loss, loss, 1e-4, 1e-5)) << "step " << step;
      EXPECT_TRUE(torch::allclose(o.logits, logits, 1e-4, 1e-5)) << "step " << step;
      // The gradient reaches the attacked input.
      const auto grad = torch::autograd::grad({o.loss.sum()}, {a})[0];
      EXPECT_GT(grad.abs().max().item<double>(), 0) << "step " << step;
    }
  }
}

// Rows of the batch (AutoAttack's later stages, Square's open samples) give what those
// rows give in the whole batch: the clean branch and ExFMem's codes are read at the rows,
// and an unattacked input is taken as clean only when it equals those clean rows.
TEST(BatchObjective, RowsOfTheBatchGiveThoseRowsOfTheWholeBatch) {
  DefendedModel m = tiny_defended_model();
  m.loss = LossKind::MinSim;
  torch::manual_seed(7);
  auto audio = torch::rand({4, 4096}) * 2 - 1, frames = torch::rand({4, 3, 32, 32});
  auto labels = torch::tensor({0, 1, 0, 1}, torch::kInt64);
  DefendedModel::CleanBatch clean;
  {
    torch::NoGradGuard ng;
    clean = m.defend_clean(audio, frames);
  }
  const auto adv_audio = (audio + 0.02 * torch::sin(torch::arange(4096).to(torch::kFloat32))).clamp(-1, 1);
  const auto adv_frames = (frames + 0.03).clamp(0, 1);
  const auto rows = torch::tensor({3, 1}, torch::kInt64);
  auto leaf = [](const torch::Tensor& t) { return t.detach().requires_grad_(true); };
  auto cold = [&](const torch::Tensor& a, const torch::Tensor& v, const ThroughDefense& g) {
    torch::NoGradGuard ng;
    const auto net = m.feature_model();
    const Features f = g ? m.defend(net->encode(a, v), ExFMemGradient::kNone) : net->encode(a, v);
    return net->classify(f);
  };
  for (const ThroughDefense& g : {ThroughDefense{}, ThroughDefense{ExFMemGradient::kBpda}}) {
    SCOPED_TRACE(to_string(g));
    for (int mode = 0; mode < 3; ++mode) {  // ✗A, ✗V, ✗AV
      SCOPED_TRACE(mode);
      const bool attack_audio = mode != 1, attack_frames = mode != 0;
      auto obj = batch_objective(m, clean, g);
      const auto whole = obj(attack_audio ? leaf(adv_audio) : audio, attack_frames ? leaf(adv_frames) : frames, labels);
      auto part = [&](const torch::Tensor& adv, const torch::Tensor& x, bool attacked) {
        return attacked ? leaf(adv.index_select(0, rows)) : x.index_select(0, rows);
      };
      const auto sub = obj(part(adv_audio, audio, attack_audio), part(adv_frames, frames, attack_frames),
                           labels.index_select(0, rows), rows);
      EXPECT_TRUE(torch::allclose(sub.logits, whole.logits.index_select(0, rows), 1e-4, 1e-5));
      EXPECT_TRUE(torch::allclose(sub.loss, whole.loss.index_select(0, rows), 1e-4, 1e-5));
    }
    // Clean rows that are not the rows named (1 and 3 given as rows 3 and 1) are other
    // inputs: computed as such, never taken from the clean cache.
    auto obj = batch_objective(m, clean, g);
    const auto swapped = torch::tensor({1, 3}, torch::kInt64);
    const auto a = adv_audio.index_select(0, rows), v = frames.index_select(0, swapped);
    const auto o = obj(leaf(a), v, labels.index_select(0, rows), rows);
    EXPECT_TRUE(torch::allclose(o.logits, cold(a, v, g), 1e-4, 1e-5));
    EXPECT_FALSE(torch::allclose(o.logits, cold(a, frames.index_select(0, rows), g), 1e-4, 1e-5));
  }
}

TEST(Robustness, EpsZeroKeepsCleanAccuracyAndUnimodalGetsItsColumnOnly) {
  test::TempDir dir;
  auto spec = test::write_tiny_dataset(dir, 3);
  AvDataset ds(spec, "test", dataset_classes(spec));
  RobustnessSettings s;
  s.attacks = {"fgsm", "pgd"};
  s.budget.eps_single = s.budget.eps_both = 0.0;
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
  s.budget.eps_single = 0.05;
  s.budget.eps_both = 0.03;
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
