// Attacks find what they should: the closed-form optimum on a linear model, and
// on a nonlinear one the iterative attacks beat one FGSM step, APGD beats PGD.
#include <gtest/gtest.h>

#include <iostream>

#include "avr/attacks/attack.h"
#include "toy_models.h"

namespace avr {
namespace {

using test::Batch;

// Binary linear model, CE loss: L = log(1 + exp(z_y' - z_y)) and
// ∇_x L = σ(z_y' - z_y)·(w_y' - w_y) with σ > 0, so sign(∇_x L) = sign(w_y' - w_y)
// whatever x is. FGSM is therefore x* = clip(x + eps·sign(w_y' - w_y)), which is
// also the maximizer of L over the box (L grows with (w_y' - w_y)·x).
torch::Tensor analytic(const torch::Tensor& x, const torch::Tensor& w /*[2, D]*/, const torch::Tensor& y,
                       const torch::Tensor& eps, double lo, double hi) {
  auto other = 1 - y;
  auto dir = (w.index_select(0, other) - w.index_select(0, y)).sign().view(x.sizes());
  return (x + eps * dir).clamp(lo, hi);
}

struct LinearCase {
  Batch b;
  test::LinearModel model;
  ThreatModel threat;
  torch::Tensor want_audio, want_frames;
};

LinearCase linear_case(uint64_t seed, EpsSpace space) {
  constexpr int64_t B = 6, L = 32, H = 4;
  LinearCase c{test::make_batch(seed, B, L, H, 2), test::LinearModel(seed + 100, L, H, 2),
               ThreatModel::single_eps(Modality::AudioVisual, 0.1, space), {}, {}};
  c.want_audio = analytic(c.b.audio, c.model.wa, c.b.labels, torch::tensor(0.1f), -1, 1);
  auto eps_v = torch::tensor({c.threat.pixel_eps_v(0), c.threat.pixel_eps_v(1), c.threat.pixel_eps_v(2)})
                   .to(torch::kFloat32)
                   .view({1, 3, 1, 1});
  c.want_frames = analytic(c.b.frames, c.model.wv, c.b.labels, eps_v, 0, 1);
  return c;
}

TEST(AttackStrength, FgsmOnALinearModelIsTheAnalyticAnswerIncludingClamping) {
  for (auto space : {EpsSpace::Pixel, EpsSpace::Normalized}) {
    for (uint64_t seed = 0; seed < 5; ++seed) {
      auto c = linear_case(seed, space);
      const auto r = make_attack("fgsm")->run(c.model.objective(), c.b.audio, c.b.frames, c.b.labels, c.threat);
      EXPECT_TRUE(torch::allclose(r.audio, c.want_audio, 0, 1e-7)) << "seed " << seed;
      EXPECT_TRUE(torch::allclose(r.frames, c.want_frames, 0, 1e-7)) << "seed " << seed;
      // The clamp mattered: some elements would have left the valid range.
      EXPECT_TRUE(((c.b.audio + 0.1).gt(1) | (c.b.audio - 0.1).lt(-1)).any().item<bool>());
    }
  }
}

TEST(AttackStrength, IterativeAttacksReachTheLinearOptimum) {
  for (auto space : {EpsSpace::Pixel, EpsSpace::Normalized}) {
    auto c = linear_case(42, space);
    for (const std::string name : {"pgd", "mim", "apgd"}) {
      // APGD starts randomly (its 2·eps first step reaches the corner from
      // anywhere in the ball); PGD/MIM start at x, 8 of their 10 steps suffice.
      const auto s = name == "apgd" ? nlohmann::json{{"steps", 20}} : nlohmann::json::object();
      const auto r = make_attack(name, s)->run(c.model.objective(), c.b.audio, c.b.frames, c.b.labels, c.threat);
      EXPECT_TRUE(torch::allclose(r.audio, c.want_audio, 0, 1e-6)) << name;
      EXPECT_TRUE(torch::allclose(r.frames, c.want_frames, 0, 1e-6)) << name;
    }
  }
}

TEST(AttackStrength, IterativeAttacksBeatFgsmAndApgdBeatsPgdOnANonlinearModel) {
  constexpr int64_t B = 32, L = 48, H = 6, C = 6;
  const Modality modalities[] = {Modality::Audio, Modality::Visual, Modality::AudioVisual};
  double sum_pgd = 0, sum_apgd = 0;
  for (uint64_t seed = 0; seed < 4; ++seed) {
    const Batch b = test::make_batch(200 + seed, B, L, H, C);
    const test::Mlp model(300 + seed, L, H, C);
    const auto f = model.objective();
    for (auto m : modalities) {
      const auto threat = ThreatModel::single_eps(m, 0.1, seed % 2 ? EpsSpace::Normalized : EpsSpace::Pixel);
      auto loss_of = [&](const std::string& name) {
        const auto r = make_attack(name)->run(f, b.audio, b.frames, b.labels, threat);
        return test::mean_loss(f, r.audio, r.frames, b.labels);
      };
      const double clean = test::mean_loss(f, b.audio, b.frames, b.labels);
      const double fgsm = loss_of("fgsm"), pgd = loss_of("pgd"), mim = loss_of("mim"), apgd = loss_of("apgd");
      SCOPED_TRACE("seed " + std::to_string(seed) + " " + threat.describe());
      std::cout << threat.describe() << " seed " << seed << ": clean " << clean << " fgsm " << fgsm << " pgd "
                << pgd << " mim " << mim << " apgd " << apgd << "\n";
      EXPECT_GT(fgsm, clean);
      EXPECT_GE(pgd, fgsm);
      EXPECT_GE(mim, fgsm);
      EXPECT_GE(apgd, fgsm);
      sum_pgd += pgd;
      sum_apgd += apgd;
    }
  }
  EXPECT_GE(sum_apgd, sum_pgd);
}

}  // namespace
}  // namespace avr
