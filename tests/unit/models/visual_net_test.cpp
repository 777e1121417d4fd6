#include "avr/models/visual_net.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "avr/core/error.h"
#include "avr/core/rng.h"

namespace avr {
namespace {

TEST(VisualNet, FeatureMapAndPoolAtSeveralSizes) {
  EXPECT_EQ(visual_net_output_size(32), 1);
  EXPECT_EQ(visual_net_output_size(48), 2);
  EXPECT_EQ(visual_net_output_size(96), 3);
  EXPECT_EQ(visual_net_output_size(224), 7);
  VisualNet net;
  net->eval();
  torch::NoGradGuard no_grad;
  for (int64_t s : {32, 48, 96}) {
    auto x = torch::rand({2, 3, s, s});
    auto map = net->feature_map(x);
    const int64_t h = visual_net_output_size(s);
    EXPECT_EQ(map.sizes(), (std::vector<int64_t>{2, 512, h, h}));
    auto f = net->forward(x);
    ASSERT_EQ(f.sizes(), (std::vector<int64_t>{2, 512}));
    EXPECT_TRUE(torch::equal(f, std::get<0>(map.flatten(2).max(2))));
  }
}

TEST(VisualNet, ParameterNamesAreTorchvisionResnet18) {
  VisualNet net;
  auto p = net->named_parameters();
  auto b = net->named_buffers();
  EXPECT_EQ(p["conv1.weight"].sizes(), (std::vector<int64_t>{64, 3, 7, 7}));
  EXPECT_EQ(p["layer1.1.conv2.weight"].sizes(), (std::vector<int64_t>{64, 64, 3, 3}));
  EXPECT_EQ(p["layer2.0.downsample.0.weight"].sizes(), (std::vector<int64_t>{128, 64, 1, 1}));
  EXPECT_EQ(p["layer4.0.downsample.1.bias"].sizes(), (std::vector<int64_t>{512}));
  EXPECT_FALSE(p.contains("layer1.0.downsample.0.weight"));
  EXPECT_TRUE(b.contains("layer3.1.bn2.num_batches_tracked"));
  int64_t n = 0;
  for (auto& t : net->parameters()) n += t.numel();
  EXPECT_EQ(n, 11689512 - (512 * 1000 + 1000));  // torchvision resnet18 minus fc
  EXPECT_EQ(p.size(), 60u);
  EXPECT_EQ(b.size(), 60u);  // 20 BNs × (running_mean, running_var, num_batches_tracked)
}

TEST(VisualNet, NormalisesInsideWithImagenetStatistics) {
  auto x = torch::full({1, 3, 2, 2}, 0.5);
  auto y = imagenet_normalize(x);
  EXPECT_NEAR(y[0][0][0][0].item<double>(), (0.5 - 0.485) / 0.229, 1e-6);
  EXPECT_NEAR(y[0][2][1][1].item<double>(), (0.5 - 0.406) / 0.225, 1e-6);
  EXPECT_EQ(imagenet_normalize(x.to(torch::kDouble)).dtype(), torch::kDouble);
  // The model sees normalised frames: its stem output for frames equal to the
  // mean is exactly the stem's output for zeros (conv has no bias).
  VisualNet net(Rng(1));
  net->eval();
  torch::NoGradGuard no_grad;
  auto mean = torch::tensor({0.485, 0.456, 0.406}).view({1, 3, 1, 1}).expand({1, 3, 32, 32});
  auto stem = net->conv1->forward(imagenet_normalize(mean.contiguous()));
  EXPECT_LT(stem.abs().max().item<double>(), 1e-5);
}

TEST(VisualNet, KaimingFanOutInitialisation) {
  VisualNet net(Rng(3));
  auto w = net->named_parameters()["layer3.0.conv1.weight"];  // 256 out × 3×3
  EXPECT_NEAR(w.std().item<double>(), std::sqrt(2.0 / (256 * 9)), 0.01 * std::sqrt(2.0 / 2304));
  EXPECT_DOUBLE_EQ(net->named_parameters()["layer3.0.bn1.weight"].min().item<double>(), 1.0);
  VisualNet same(Rng(3));
  EXPECT_TRUE(torch::equal(w, same->named_parameters()["layer3.0.conv1.weight"]));
}

TEST(VisualNet, RejectsWrongShapesClearly) {
  VisualNet net;
  EXPECT_THROW(net->forward(torch::zeros({2, 1, 64, 64})), Error);
  EXPECT_THROW(net->forward(torch::zeros({2, 3, 16, 16})), Error);
  EXPECT_THROW(net->forward(torch::zeros({3, 64, 64})), Error);
}

}  // namespace
}  // namespace avr
