// The visual network of the paper (supplement A.3): torchvision's ResNet18
// without avgpool/fc, then a global max pool → f_v ∈ R^512. Frames come in
// [0,1] pixel space; ImageNet mean/std normalisation happens inside forward so
// that attacks and defenses work in raw units.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

namespace avr {

class Rng;

// torchvision's BasicBlock: conv3x3 → bn → relu → conv3x3 → bn, + identity or
// downsample (1×1 conv stride s → bn), → relu. `dilation1` / `dilation2` dilate
// the two 3×3 convs (padding = dilation), as torchvision's Bottleneck does for
// replace_stride_with_dilation; the weights' shapes do not change.
class BasicBlockImpl : public torch::nn::Module {
 public:
  BasicBlockImpl(int64_t in_channels, int64_t out_channels, int64_t stride,
                 int64_t dilation1 = 1, int64_t dilation2 = 1);
  torch::Tensor forward(const torch::Tensor& x);

  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
  torch::nn::Sequential downsample{nullptr};  // null when the identity fits
};
TORCH_MODULE(BasicBlock);

class VisualNetImpl : public torch::nn::Module {
 public:
  static constexpr int64_t kFeatureDim = 512;

  VisualNetImpl();  // initialised from Rng(0)
  // `output_stride` 32 is ResNet18; 16 replaces layer4's stride by dilation 2,
  // 8 also layer3's (layer3 dilation 2, layer4 dilation 4): the feature map is
  // 2× / 4× finer, and at the stride-32 map's positions it equals that map up
  // to the zero padding at the borders (the à-trous identity). Same parameters.
  explicit VisualNetImpl(const Rng& init_rng, int64_t output_stride = 32);
  int64_t output_stride() const { return output_stride_; }
  // frames [B,3,H,W] in [0,1] → layer4 output [B,512,h,w]
  // (h = visual_net_output_size(H, output_stride())).
  torch::Tensor feature_map(const torch::Tensor& frames);
  // Both the layer2 output [B,128,H/8,W/8] (stride 8: cells that see their
  // neighbourhood) and the layer4 output feature_map() returns, in one pass.
  static constexpr int64_t kLayer2Channels = 128;
  std::pair<torch::Tensor, torch::Tensor> layer2_and_feature_map(const torch::Tensor& frames);
  // frames [B,3,H,W] in [0,1] → global max pool [B,512].
  torch::Tensor forward(const torch::Tensor& frames);
  // torchvision's ResNet initialisation (Kaiming normal, fan_out; BN 1/0), from `rng`.
  void reset_parameters(const Rng& rng);

  // Names as torchvision's resnet18: conv1, bn1, layer1..4.{0,1}.{conv1,bn1,
  // conv2,bn2,downsample.0,downsample.1}.
  torch::nn::Conv2d conv1{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr};
  torch::nn::Sequential layer1{nullptr}, layer2{nullptr}, layer3{nullptr}, layer4{nullptr};

 private:
  int64_t output_stride_ = 32;
};
TORCH_MODULE(VisualNet);

// ImageNet statistics the model normalises with (per RGB channel).
constexpr double kImageNetMean[3] = {0.485, 0.456, 0.406};
constexpr double kImageNetStd[3] = {0.229, 0.224, 0.225};
// (frames − mean) / std, built with the input's dtype and device.
torch::Tensor imagenet_normalize(const torch::Tensor& frames);
// Spatial side of the feature map for an input side (1 at 32 px, 7 at 224 px
// at stride 32; 6 at 48 px at stride 8).
int64_t visual_net_output_size(int64_t image_size, int64_t output_stride = 32);

}  // namespace avr
