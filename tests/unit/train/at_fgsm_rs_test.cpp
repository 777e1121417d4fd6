// Fast adversarial training's inner attack (Wong, Rice & Kolter 2020): the
// start is uniform in the ε-ball and the one step is 1.25·ε, then projected.
// Checked on an objective whose input gradient has a known sign, recording the
// point the attack evaluates (the start).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "avr/attacks/attack.h"
#include "avr/core/error.h"
#include "avr/train/adversarial_training.h"

namespace avr {
namespace {

struct Recorded {
  std::vector<torch::Tensor> audio, frames;
};

// loss_i = Σ_j w_j x_ij over both inputs: ∇ = w, whose sign alternates per element.
ObjectiveFn linear_objective(const torch::Tensor& wa, const torch::Tensor& wv, std::shared_ptr<Recorded> rec) {
  return [=](const torch::Tensor& a, const torch::Tensor& v, const torch::Tensor&) {
    rec->audio.push_back(a.detach().clone());
    rec->frames.push_back(v.detach().clone());
    Objective o;
    o.loss = (a * wa).flatten(1).sum(1) + (v * wv).flatten(1).sum(1);
    o.logits = torch::stack({o.loss, -o.loss}, 1);
    return o;
  };
}

torch::Tensor alternating(torch::IntArrayRef shape) {
  auto w = torch::ones(shape);
  w.view(-1).slice(0, 0, w.numel(), 2).fill_(-1);
  return w;
}

}  // namespace

TEST(AtFgsmRs, StartIsUniformInTheBallAndTheStepIs1p25Eps) {
  const int64_t B = 3, L = 4000;
  AdversarialTrainingSettings s;
  s.threat = ThreatModel::single_eps(Modality::AudioVisual, 0.01);
  const double eps = 0.01;
  const auto audio = torch::zeros({B, L});                  // interior: no range clipping
  const auto frames = torch::full({B, 3, 16, 16}, 0.5);
  const auto labels = torch::zeros({B}, torch::kInt64);
  const auto wa = alternating({1, L}), wv = alternating({1, 3, 16, 16});
  auto rec = std::make_shared<Recorded>();
  auto attack = make_inner_attack(LossKind::AtFgsmRs, s, 7);
  EXPECT_EQ(attack->settings_json(),
            (nlohmann::json{{"steps", 1}, {"step_size", 1.25}, {"random_start", true}, {"seed", 7}}));
  attack->set_clip_keys({0, 1, 2});
  const auto r = attack->run(linear_objective(wa, wv, rec), audio, frames, labels, s.threat);
  ASSERT_EQ(rec->audio.size(), 1u);  // one gradient evaluation, at the start
  EXPECT_EQ(r.gradient_evals, 1);

  for (int m = 0; m < 2; ++m) {
    const auto clean = m == 0 ? audio : frames;
    const auto start = m == 0 ? rec->audio[0] : rec->frames[0];
    const auto adv = m == 0 ? r.audio : r.frames;
    const auto w = m == 0 ? wa : wv;
    const auto d0 = (start - clean) / eps;  // the start in units of ε
    // In the ball, and spread over it as U(−1, 1): mean |u| ≈ 1/2, extremes near ±1.
    EXPECT_LE(d0.abs().max().item<double>(), 1 + 1e-5) << m;
    EXPECT_GT(d0.abs().max().item<double>(), 0.95) << m;
    EXPECT_NEAR(d0.abs().mean().item<double>(), 0.5, 0.05) << m;
    EXPECT_NEAR(d0.mean().item<double>(), 0.0, 0.05) << m;
    // One step of 1.25ε along sign(∇) = sign(w), then the projection onto the ball.
    const auto step = (adv - start) / eps;
    const auto expected = (d0 + 1.25 * w.sign()).clamp(-1, 1);
    EXPECT_TRUE(torch::allclose((adv - clean) / eps, expected, 1e-4, 1e-4)) << m;
    // Where the start was more than 0.25ε behind the gradient's direction the
    // projection does not bite: the displacement is exactly 1.25ε.
    const auto unclipped = (d0 * w.sign()) < -0.25 - 1e-3;
    ASSERT_GT(unclipped.sum().item<int64_t>(), 0) << m;
    EXPECT_TRUE(torch::allclose(step.masked_select(unclipped).abs(),
                                torch::full({unclipped.sum().item<int64_t>()}, 1.25), 1e-3, 1e-3))
        << m;
    EXPECT_LE((adv - clean).abs().max().item<double>(), eps * (1 + 1e-5)) << m;
  }
}

TEST(AtFgsmRs, PgdAtAndTradesUseTheConfiguredStepsAndARandomStart) {
  AdversarialTrainingSettings s;
  s.steps = 7;
  s.step_size = 0.3;
  for (const LossKind kind : {LossKind::AtPgd, LossKind::Trades})
    EXPECT_EQ(make_inner_attack(kind, s, 3)->settings_json(),
              (nlohmann::json{{"steps", 7}, {"step_size", 0.3}, {"random_start", true}, {"seed", 3}}))
        << kind;
  EXPECT_THROW(make_inner_attack(LossKind::CrossEntropy, s, 3), Error);
}

TEST(AtFgsmRs, SettingsRoundTripAndRejectMistakes) {
  AdversarialTrainingSettings s;
  s.threat = ThreatModel::single_eps(Modality::Visual, 0.02);
  s.trades_beta = 3;
  s.monitor_clips = 8;
  const nlohmann::json j = s;
  const auto back = j.get<AdversarialTrainingSettings>();
  EXPECT_EQ(nlohmann::json(back), j);
  auto bad = j;
  bad["stpes"] = 3;
  EXPECT_THROW(bad.get<AdversarialTrainingSettings>(), Error);
  bad = j;
  bad["fgsm_step"] = 0;
  EXPECT_THROW(bad.get<AdversarialTrainingSettings>(), Error);
  AdversarialTrainingSettings none;
  none.threat = ThreatModel::single_eps(Modality::AudioVisual, 0.0);
  EXPECT_THROW(none.validate(), Error);
}

}  // namespace avr
