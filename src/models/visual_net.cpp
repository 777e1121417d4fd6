#include "avr/models/visual_net.h"

#include <torch/torch.h>

#include <cmath>

#include "avr/core/error.h"
#include "avr/core/rng.h"
#include "param_init.h"

namespace nn = torch::nn;

namespace avr {
namespace {

nn::Conv2d conv(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t pad,
                int64_t dilation = 1) {
  return nn::Conv2d(
      nn::Conv2dOptions(in, out, k).stride(stride).padding(pad).dilation(dilation).bias(false));
}

// torchvision's _make_layer: with `dilate`, the stride becomes dilation; the
// first block's first conv keeps the previous dilation, everything after it
// uses the new one.
nn::Sequential make_layer(int64_t in, int64_t out, int64_t stride, bool dilate,
                          int64_t& dilation) {
  const int64_t previous = dilation;
  if (dilate) {
    dilation *= stride;
    stride = 1;
  }
  nn::Sequential layer;
  layer->push_back(BasicBlock(in, out, stride, previous, dilation));
  layer->push_back(BasicBlock(out, out, 1, dilation, dilation));
  return layer;
}

int64_t conv_out(int64_t n, int64_t k, int64_t s, int64_t p) { return (n + 2 * p - k) / s + 1; }

}  // namespace

BasicBlockImpl::BasicBlockImpl(int64_t in, int64_t out, int64_t stride, int64_t dilation1,
                               int64_t dilation2) {
  conv1 = register_module("conv1", conv(in, out, 3, stride, dilation1, dilation1));
  bn1 = register_module("bn1", nn::BatchNorm2d(out));
  conv2 = register_module("conv2", conv(out, out, 3, 1, dilation2, dilation2));
  bn2 = register_module("bn2", nn::BatchNorm2d(out));
  if (stride != 1 || in != out) {
    downsample = register_module("downsample", nn::Sequential(conv(in, out, 1, stride, 0),
                                                              nn::BatchNorm2d(out)));
  }
}

torch::Tensor BasicBlockImpl::forward(const torch::Tensor& x) {
  auto y = torch::relu(bn1->forward(conv1->forward(x)));
  y = bn2->forward(conv2->forward(y));
  return torch::relu(y + (downsample ? downsample->forward(x) : x));
}

VisualNetImpl::VisualNetImpl() : VisualNetImpl(Rng(0)) {}

VisualNetImpl::VisualNetImpl(const Rng& init_rng, int64_t output_stride)
    : output_stride_(output_stride) {
  AVR_CHECK(output_stride == 8 || output_stride == 16 || output_stride == 32,
            "visual net: output stride ", output_stride, " must be 8, 16 or 32");
  conv1 = register_module("conv1", conv(3, 64, 7, 2, 3));
  bn1 = register_module("bn1", nn::BatchNorm2d(64));
  int64_t dilation = 1;
  layer1 = register_module("layer1", make_layer(64, 64, 1, false, dilation));
  layer2 = register_module("layer2", make_layer(64, 128, 2, false, dilation));
  layer3 = register_module("layer3", make_layer(128, 256, 2, output_stride == 8, dilation));
  layer4 = register_module("layer4", make_layer(256, 512, 2, output_stride <= 16, dilation));
  reset_parameters(init_rng);
}

void VisualNetImpl::reset_parameters(const Rng& rng) {
  torch::NoGradGuard no_grad;
  for (const auto& item : named_modules("", /*include_self=*/false)) {
    if (auto* c = item.value()->as<nn::Conv2d>()) {
      // kaiming_normal_(mode="fan_out", nonlinearity="relu"): std = √2 / √fan_out.
      const double std = std::sqrt(2.0 / static_cast<double>(detail::fan_out(c->weight)));
      detail::init_normal(c->weight, std, rng, item.key() + ".weight");
    } else if (auto* bn = item.value()->as<nn::BatchNorm2d>()) {
      bn->reset_parameters();
    }
  }
}

torch::Tensor imagenet_normalize(const torch::Tensor& frames) {
  const auto opts = frames.options();
  auto mean = torch::tensor({kImageNetMean[0], kImageNetMean[1], kImageNetMean[2]},
                            opts.dtype(torch::kDouble)).to(opts).view({1, 3, 1, 1});
  auto std = torch::tensor({kImageNetStd[0], kImageNetStd[1], kImageNetStd[2]},
                           opts.dtype(torch::kDouble)).to(opts).view({1, 3, 1, 1});
  return (frames - mean) / std;
}

torch::Tensor VisualNetImpl::feature_map(const torch::Tensor& frames) {
  return layer2_and_feature_map(frames).second;
}

std::pair<torch::Tensor, torch::Tensor> VisualNetImpl::layer2_and_feature_map(const torch::Tensor& frames) {
  AVR_CHECK(frames.defined(), "visual net: the frames tensor is undefined");
  AVR_CHECK(frames.dim() == 4 && frames.size(1) == 3,
            "visual net: expected RGB frames [batch, 3, height, width] in [0,1], got ",
            frames.sizes());
  AVR_CHECK(frames.size(2) >= 32 && frames.size(3) >= 32, "visual net: frames of ",
            frames.size(2), "x", frames.size(3), " px are too small; ResNet18 needs at least 32 px");
  auto x = imagenet_normalize(frames);
  x = torch::relu(bn1->forward(conv1->forward(x)));
  x = torch::max_pool2d(x, 3, 2, 1);
  x = layer1->forward(x);
  auto local = layer2->forward(x);
  return {local, layer4->forward(layer3->forward(local))};
}

torch::Tensor VisualNetImpl::forward(const torch::Tensor& frames) {
  return torch::amax(feature_map(frames), {2, 3});
}

int64_t visual_net_output_size(int64_t image_size, int64_t output_stride) {
  int64_t n = conv_out(image_size, 7, 2, 3);  // conv1
  n = conv_out(n, 3, 2, 1);                   // maxpool
  // layer2..4 stride 2, except the layers a finer output stride dilates.
  const int strided = output_stride == 32 ? 3 : output_stride == 16 ? 2 : 1;
  for (int i = 0; i < strided; ++i) n = conv_out(n, 3, 2, 1);
  return n;
}

}  // namespace avr
