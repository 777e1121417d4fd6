#include "avr/attacks/apgd_targeted.h"

#include <gtest/gtest.h>

#include "avr/core/error.h"
#include "toy_models.h"

namespace avr {
namespace {

TEST(DlrTargeted, MatchesTheFormulaAndIgnoresShiftAndScale) {
  // z = [3, 1, 2, 0, −1], y = 0, t = 2: sorted 3, 2, 1, 0 → −(3 − 2) / (3 − ½(1 + 0)) = −0.4.
  const auto z = torch::tensor({{3.0, 1.0, 2.0, 0.0, -1.0}}, torch::kFloat64);
  const auto y = torch::tensor({0}, torch::kInt64), t = torch::tensor({2}, torch::kInt64);
  EXPECT_NEAR(dlr_targeted_loss(z, y, t).item<double>(), -0.4, 1e-9);
  EXPECT_NEAR(dlr_targeted_loss(z * 7 + 3, y, t).item<double>(), -0.4, 1e-9);
  // Positive once the target's logit passes the true class's.
  EXPECT_GT(dlr_targeted_loss(torch::tensor({{1.0, 0.0, 3.0, 0.5}}, torch::kFloat64), y, t).item<double>(), 0);
  EXPECT_THROW(dlr_targeted_loss(torch::zeros({1, 3}), y, t), Error);
}

TEST(ApgdTargeted, FoolsMostOfALinearModelInsideTheBudget) {
  const int64_t B = 32, L = 64, H = 4, C = 10;
  const auto b = test::make_batch(3, B, L, H, C);
  const test::LinearModel m(4, L, H, C, 0.2);
  const auto f = m.objective();
  ApgdTargetedSettings s;
  s.apgd.steps = 20;
  s.targets = 3;
  const double eps = 0.05;
  const auto threat = ThreatModel::single_eps(Modality::AudioVisual, eps);
  const auto r = ApgdTargeted(s).run(f, b.audio, b.frames, b.labels, threat);
  EXPECT_LE((r.audio - b.audio).abs().max().item<double>(), eps + 1e-6);
  EXPECT_LE((r.frames - b.frames).abs().max().item<double>(), eps + 1e-6);
  EXPECT_LE(r.audio.abs().max().item<double>(), 1.0);
  torch::NoGradGuard ng;
  const double clean = m.logits(b.audio, b.frames).argmax(1).eq(b.labels).to(torch::kFloat64).mean().item<double>();
  const double adv = m.logits(r.audio, r.frames).argmax(1).eq(b.labels).to(torch::kFloat64).mean().item<double>();
  EXPECT_LT(adv, 0.5 * clean + 1e-9) << "clean " << clean << " adversarial " << adv;
  // At least as strong as its first target alone (later targets only add fooled samples).
  s.targets = 1;
  const auto one = ApgdTargeted(s).run(f, b.audio, b.frames, b.labels, threat);
  const double adv_one = m.logits(one.audio, one.frames).argmax(1).eq(b.labels).to(torch::kFloat64).mean().item<double>();
  EXPECT_LE(adv, adv_one + 1e-9);
}

TEST(ApgdTargeted, SettingsRoundTripAndFewClassesAreAnError) {
  const auto a = make_attack("apgd-t", {{"targets", 4}, {"steps", 7}});
  EXPECT_EQ(a->settings_json().at("targets"), 4);
  EXPECT_EQ(a->settings_json().at("steps"), 7);
  EXPECT_THROW(make_attack("apgd-t", {{"targets", 0}}), Error);
  EXPECT_THROW(make_attack("apgd-t", {{"target", 3}}), Error);  // a typo is an error
  const auto b = test::make_batch(1, 4, 16, 2, 3);
  const test::LinearModel m(2, 16, 2, 3);
  try {
    ApgdTargeted().run(m.objective(), b.audio, b.frames, b.labels,
                       ThreatModel::single_eps(Modality::Audio, 0.01));
    FAIL() << "3 classes accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("at least 4 classes"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace avr
