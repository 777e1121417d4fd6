// Small differentiable models the attack tests run against: a linear classifier
// on flattened audio + frames (whose best L∞ attack is known in closed form) and
// a two-branch tanh MLP (nonlinear, fusing the branches like the real network).
#pragma once

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "avr/attacks/attack.h"

namespace avr::test {

inline at::Generator gen(uint64_t seed) { return at::make_generator<at::CPUGeneratorImpl>(seed); }

struct Batch {
  torch::Tensor audio, frames, labels;
};

// audio [B, L] in [-1, 1], frames [B, 3, H, W] in [0, 1], with ~10% of the values
// exactly on the range's ends so clamping is exercised.
inline Batch make_batch(uint64_t seed, int64_t B, int64_t L, int64_t H, int64_t C) {
  auto g = gen(seed);
  Batch b;
  b.audio = torch::rand({B, L}, g) * 2 - 1;
  auto ends_a = torch::rand({B, L}, g);
  b.audio = torch::where(ends_a < 0.05, torch::ones_like(b.audio), b.audio);
  b.audio = torch::where(ends_a > 0.95, -torch::ones_like(b.audio), b.audio);
  b.frames = torch::rand({B, 3, H, H}, g);
  auto ends_v = torch::rand({B, 3, H, H}, g);
  b.frames = torch::where(ends_v < 0.05, torch::zeros_like(b.frames), b.frames);
  b.frames = torch::where(ends_v > 0.95, torch::ones_like(b.frames), b.frames);
  b.labels = torch::randint(C, {B}, g, torch::kInt64);
  return b;
}

struct LinearModel {
  torch::Tensor wa, wv, bias;  // [C, L], [C, 3HW], [C]
  LinearModel(uint64_t seed, int64_t L, int64_t H, int64_t C, double scale = 0.05) {
    auto g = gen(seed);
    wa = torch::randn({C, L}, g) * scale;
    wv = torch::randn({C, 3 * H * H}, g) * scale;
    bias = torch::randn({C}, g) * scale;
  }
  torch::Tensor logits(const torch::Tensor& a, const torch::Tensor& v) const {
    return a.flatten(1).matmul(wa.t()) + v.flatten(1).matmul(wv.t()) + bias;
  }
  ObjectiveFn objective() const {
    LinearModel m = *this;
    return cross_entropy_objective([m](const torch::Tensor& a, const torch::Tensor& v) { return m.logits(a, v); });
  }
};

struct Mlp {
  torch::Tensor wa, wv, w2, b2;
  Mlp(uint64_t seed, int64_t L, int64_t H, int64_t C, int64_t hidden = 16, double gain = 3.0) {
    auto g = gen(seed);
    wa = torch::randn({hidden, L}, g) * (gain / std::sqrt(double(L)));
    wv = torch::randn({hidden, 3 * H * H}, g) * (gain / std::sqrt(3.0 * H * H));
    w2 = torch::randn({C, 2 * hidden}, g) * (gain / std::sqrt(2.0 * hidden));
    b2 = torch::randn({C}, g) * 0.1;
  }
  torch::Tensor logits(const torch::Tensor& a, const torch::Tensor& v) const {
    auto fa = torch::tanh(a.flatten(1).matmul(wa.t()));
    auto fv = torch::tanh(v.flatten(1).matmul(wv.t()));
    return torch::cat({fv, fa}, 1).matmul(w2.t()) + b2;
  }
  ObjectiveFn objective() const {
    Mlp m = *this;
    return cross_entropy_objective([m](const torch::Tensor& a, const torch::Tensor& v) { return m.logits(a, v); });
  }
};

// Mean objective loss at the given inputs.
inline double mean_loss(const ObjectiveFn& f, const torch::Tensor& a, const torch::Tensor& v,
                        const torch::Tensor& y) {
  torch::NoGradGuard no_grad;
  return f(a, v, y).loss.mean().item<double>();
}

}  // namespace avr::test
