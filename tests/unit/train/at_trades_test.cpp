// TRADES' objective (Zhang et al. 2019) against values worked out by hand:
// L = mean CE(clean, y) + β · mean KL(p_clean ‖ p_adv).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "avr/train/adversarial_training.h"

namespace avr {

TEST(AtTrades, LossEqualsHandValues) {
  // Sample 1: clean logits (0, 0) → p = (1/2, 1/2); adv (ln 3, 0) → q = (3/4, 1/4); y = 0.
  //   CE = ln 2; KL(p‖q) = ½ ln(½ / ¾) + ½ ln(½ / ¼) = ½ ln(4/3).
  // Sample 2: clean (ln 3, 0) → p = (3/4, 1/4); adv (0, 0) → q = (1/2, 1/2); y = 1.
  //   CE = ln 4; KL(p‖q) = ¾ ln(3/2) + ¼ ln(1/2).
  const auto clean = torch::tensor({{0.0, 0.0}, {std::log(3.0), 0.0}}, torch::kFloat64);
  const auto adv = torch::tensor({{std::log(3.0), 0.0}, {0.0, 0.0}}, torch::kFloat64);
  const auto y = torch::tensor({0, 1}, torch::kInt64);
  const double kl1 = 0.5 * std::log(4.0 / 3.0), kl2 = 0.75 * std::log(1.5) + 0.25 * std::log(0.5);
  const auto kl = kl_per_sample(clean, adv);
  EXPECT_NEAR(kl[0].item<double>(), kl1, 1e-12);
  EXPECT_NEAR(kl[1].item<double>(), kl2, 1e-12);
  // The direction matters: KL(q‖p) of sample 1 is ¾ ln(3/2) + ¼ ln(1/2) ≠ ½ ln(4/3).
  EXPECT_GT(std::abs(kl_per_sample(adv, clean)[0].item<double>() - kl1), 1e-3);
  const double ce = (std::log(2.0) + std::log(4.0)) / 2;
  EXPECT_NEAR(trades_loss(clean, adv, y, 6.0).item<double>(), ce + 6.0 * (kl1 + kl2) / 2, 1e-12);
  EXPECT_NEAR(trades_loss(clean, adv, y, 0.0).item<double>(), ce, 1e-12);
  // Equal distributions: no KL term.
  EXPECT_NEAR(trades_loss(clean, clean + 5.0, y, 6.0).item<double>(), ce, 1e-12);
}

TEST(AtTrades, GradientReachesBothTheCleanAndTheAdversarialLogits) {
  // As the reference code: p_clean is not detached in the outer loss.
  auto clean = torch::tensor({{0.3, -0.2, 0.1}}, torch::kFloat64).requires_grad_(true);
  auto adv = torch::tensor({{-0.1, 0.4, 0.0}}, torch::kFloat64).requires_grad_(true);
  const auto y = torch::tensor({2}, torch::kInt64);
  trades_loss(clean, adv, y, 6.0).backward();
  // CE alone would give clean.grad = softmax − onehot; the KL term changes it.
  auto ce_only = torch::softmax(clean.detach(), 1) - torch::one_hot(y, 3).to(torch::kFloat64);
  EXPECT_FALSE(torch::allclose(clean.grad(), ce_only));
  EXPECT_GT(adv.grad().abs().sum().item<double>(), 0);
}

}  // namespace avr
