#include "avr/train/losses.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "test_support.h"

namespace avr {

TEST(Losses, SimilarityTermsAreCePlusCosOrPlusOneMinusCos) {
  torch::manual_seed(0);
  auto logits = torch::randn({5, 3});
  auto labels = torch::tensor({0, 1, 2, 0, 1}, torch::kInt64);
  Features f;
  f.audio = torch::randn({5, 8});
  f.visual = torch::randn({5, 8});
  auto ce = per_sample_loss(LossKind::CrossEntropy, logits, f, labels);
  auto cos = (f.audio * f.visual).sum(1) / (f.audio.norm(2, 1) * f.visual.norm(2, 1));
  EXPECT_TRUE(torch::allclose(per_sample_loss(LossKind::MinSim, logits, f, labels), ce + cos, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(per_sample_loss(LossKind::MaxSim, logits, f, labels), ce + 1 - cos, 1e-5, 1e-6));
  auto expected_ce = -torch::log_softmax(logits, 1).gather(1, labels.unsqueeze(1)).squeeze(1);
  EXPECT_TRUE(torch::allclose(ce, expected_ce, 1e-5, 1e-6));
}

TEST(Losses, PclTermsAreTheSquaredDistancesToOwnAndOtherCenters) {
  PclCenters pcl(3, 4, 7);
  auto f = torch::randn({2, 4});
  auto y = torch::tensor({2, 0}, torch::kInt64);
  auto c = pcl->centers.detach(), cc = pcl->con_centers.detach();
  const double prox = ((f[0] - c[2]).pow(2).sum() + (f[1] - c[0]).pow(2).sum()).item<double>() / 2;
  double con = 0;
  for (int j : {0, 1}) con += (f[0] - cc[j]).pow(2).sum().item<double>();
  for (int j : {1, 2}) con += (f[1] - cc[j]).pow(2).sum().item<double>();
  EXPECT_NEAR(pcl->prox(f, y).item<double>(), prox, 1e-4);
  EXPECT_NEAR(pcl->conprox(f, y).item<double>(), con / 2, 1e-4);
}

// The kinds keep the names checkpoints and flags have always used; an unknown name, in a
// flag or a checkpoint's JSON, is an error listing them.
TEST(Losses, KindsReadAndWriteTheirNames) {
  for (const char* name : {"ce", "minsim", "maxsim", "pcl", "at-fgsm-rs", "at-pgd", "trades"}) {
    EXPECT_EQ(to_string(parse_loss(name)), name);
    EXPECT_EQ(nlohmann::json(parse_loss(name)), name);
  }
  EXPECT_EQ(adversarial_losses().size(), 3u);
  for (const LossKind k : adversarial_losses()) EXPECT_TRUE(is_adversarial_loss(k)) << k;
  EXPECT_FALSE(is_adversarial_loss(LossKind::Pcl));
  const std::string e = test::error_of([] { parse_loss("cross-entropy"); });
  EXPECT_NE(e.find("loss 'cross-entropy' is unknown: use one of ce, minsim, maxsim, pcl, at-fgsm-rs, at-pgd, trades"),
            std::string::npos) << e;
  const std::string j = test::error_of([] { nlohmann::json{{"kind", "cross-entropy"}}.get<LossSettings>(); });
  EXPECT_NE(j.find("loss 'cross-entropy' is unknown"), std::string::npos) << j;
}

}  // namespace avr
