#include "avr/models/audio_net.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "avr/core/error.h"
#include "avr/core/rng.h"

namespace avr {
namespace {

TEST(AudioNet, DownsamplesBy4096AndPoolsTo512) {
  EXPECT_EQ(audio_net_output_length(4096), 1);
  EXPECT_EQ(audio_net_output_length(8192), 2);
  EXPECT_EQ(audio_net_output_length(65535), 16);
  EXPECT_EQ(audio_net_min_length(), 2341);
  EXPECT_EQ(audio_net_output_length(2340), 0);

  AudioNet net;
  net->eval();
  torch::NoGradGuard no_grad;
  for (int64_t len : {4096, 8192, 65535}) {
    auto x = torch::rand({2, len}) * 2 - 1;
    auto map = net->feature_map(x);
    EXPECT_EQ(map.sizes(), (std::vector<int64_t>{2, 512, audio_net_output_length(len)}));
    auto f = net->forward(x);
    ASSERT_EQ(f.sizes(), (std::vector<int64_t>{2, 512}));
    EXPECT_TRUE(torch::equal(f, std::get<0>(map.max(2))));  // global max pool
  }
}

TEST(AudioNet, LayoutMatchesTheOriginalCheckpoints) {
  AudioNet net;
  auto params = net->named_parameters();
  // Sequential indices as the authors' nn.Sequential: conv at 0, BN at 1, ReLU 2, conv 3 …
  // MaxPool at 6, 13, 20, 27; the last conv is features.24.
  EXPECT_EQ(params["features.0.weight"].sizes(), (std::vector<int64_t>{64, 1, 3}));
  EXPECT_TRUE(params["features.0.bias"].defined());
  EXPECT_EQ(params["features.1.weight"].sizes(), (std::vector<int64_t>{64}));
  EXPECT_EQ(params["features.7.weight"].sizes(), (std::vector<int64_t>{128, 64, 3}));
  EXPECT_EQ(params["features.24.weight"].sizes(), (std::vector<int64_t>{512, 512, 3}));
  EXPECT_EQ(net->named_buffers()["features.25.running_var"].sizes(), (std::vector<int64_t>{512}));
  int64_t n = 0;
  for (auto& p : net->parameters()) n += p.numel();
  // 8 convs (weights + biases) and 8 BNs (γ, β).
  EXPECT_EQ(n, 64 * 4 + 64 * 193 + 128 * 193 + 128 * 385 + 256 * 385 + 256 * 769 + 512 * 769 +
                   512 * 1537 + 2 * (64 + 64 + 128 + 128 + 256 + 256 + 512 + 512));
}

TEST(AudioNet, InitialisationFollowsTheRngAndPyTorchDefaults) {
  AudioNet a(Rng(5)), b(Rng(5)), c(Rng(6));
  auto wa = a->named_parameters()["features.3.weight"];
  EXPECT_TRUE(torch::equal(wa, b->named_parameters()["features.3.weight"]));
  EXPECT_FALSE(torch::equal(wa, c->named_parameters()["features.3.weight"]));
  // U(±1/√fan_in), fan_in = 64·3.
  const double bound = 1.0 / std::sqrt(192.0);
  EXPECT_LE(wa.abs().max().item<double>(), bound);
  EXPECT_GT(wa.abs().max().item<double>(), 0.95 * bound);
  EXPECT_NEAR(wa.std().item<double>(), bound / std::sqrt(3.0), 0.02 * bound);
}

TEST(AudioNet, RejectsWrongShapesClearly) {
  AudioNet net;
  EXPECT_THROW(net->forward(torch::zeros({2, 1, 8192})), Error);
  try {
    net->forward(torch::zeros({2, 2000}));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("2000 samples are too few"), std::string::npos);
  }
}

}  // namespace
}  // namespace avr
