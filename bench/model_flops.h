// Shared by the benchmarks: analytic FLOPs of the paper's networks (2 per
// multiply-add; convolutions, the fusion's and classifier's linear layers, the
// localizer's attention — BN, ReLU and pooling are left out) and a GEMM peak
// measured in the calling run, to say what fraction of this machine's float32
// matrix-multiply speed a network reaches.
#pragma once

#include <torch/torch.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "avr/core/timer.h"
#include "avr/models/av_model.h"

namespace avr_bench {

inline int64_t conv_out(int64_t n, int64_t k, int64_t s, int64_t p) { return (n + 2 * p - k) / s + 1; }

// Multiply-adds ×2 of the audio net's convolutions for one clip of `len` samples.
inline double audio_flops(int64_t len) {
  const int64_t ch[4] = {64, 128, 256, 512};
  double f = 0;
  int64_t in = 1, n = len;
  for (int64_t out : ch) {
    for (int r = 0; r < 2; ++r) {
      n = conv_out(n, 3, 2, 1);
      f += 2.0 * out * (r == 0 ? in : out) * 3 * n;
    }
    n /= 2;
    in = out;
  }
  return f;
}

// Side of ResNet18's last feature map (before the average pool) for S×S frames.
inline int64_t visual_feature_side(int64_t s) {
  int64_t n = conv_out(conv_out(s, 7, 2, 3), 3, 2, 1);
  for (int i = 0; i < 3; ++i) n = conv_out(n, 3, 2, 1);
  return n;
}

// ResNet18 convolutions (no avgpool/fc) for one S×S frame.
inline double visual_flops(int64_t s) {
  auto conv = [](int64_t cin, int64_t cout, int64_t k, int64_t out) {
    return 2.0 * cin * cout * k * k * out * out;
  };
  int64_t n = conv_out(s, 7, 2, 3);
  double f = conv(3, 64, 7, n);
  n = conv_out(n, 3, 2, 1);
  int64_t in = 64;
  for (int64_t out : {64, 128, 256, 512}) {
    const int64_t stride = out == 64 ? 1 : 2;
    const int64_t m = conv_out(n, 3, stride, 1);
    f += conv(in, out, 3, m) + conv(out, out, 3, m) + 2 * conv(out, out, 3, m);
    if (stride != 1) f += conv(in, out, 1, m);
    n = m;
    in = out;
  }
  return f;
}

// Fusion + classifier for one clip: 2 FLOPs per weight of every matrix in the
// fusion and the linear classifier, plus, for the localizer, the attention
// (f_aᵀ f_v^i and Σ_i w_i f_v^i over the h·w positions of a 512-channel map).
inline double head_flops(avr::AvModel& m) {
  double f = 0;
  auto count = [&f](const std::vector<torch::Tensor>& ps) {
    for (const auto& p : ps)
      if (p.dim() == 2) f += 2.0 * p.numel();
  };
  if (m->fusion) count(m->fusion->parameters());
  if (m->classifier) count(m->classifier->parameters());
  if (m->visual_needs_audio()) {
    const int64_t side = visual_feature_side(m->config().image_size);
    f += 2 * 2.0 * 512 * side * side;
  }
  return f;
}

// One clip's forward through the branches the model has and its head.
inline double forward_flops(avr::AvModel& m) {
  double f = head_flops(m);
  if (m->has_audio()) f += audio_flops(m->config().audio_length);
  if (m->has_visual()) f += visual_flops(m->config().image_size);
  return f;
}

// GFLOP/s of a float32 n×n×n torch::mm (2n³ FLOPs) on the current intra-op
// thread count, best of `reps` after one warm-up: the speed the BLAS reaches
// on a large, square, cache-friendly GEMM, the ceiling the networks' convolutions
// (lowered to GEMMs or run by oneDNN) can approach.
inline double gemm_peak_gflops(int64_t n = 1024, int reps = 5) {
  torch::NoGradGuard ng;
  const auto a = torch::rand({n, n}), b = torch::rand({n, n});
  auto c = torch::empty({n, n});
  torch::mm_out(c, a, b);  // warm-up: thread pool, pages of c
  double best = 0;
  for (int r = 0; r < reps; ++r) {
    avr::Timer t;
    torch::mm_out(c, a, b);
    best = std::max(best, 2.0 * n * n * n / t.seconds() / 1e9);
  }
  return best;
}

// A model of `kind` (audio | visual | av with Concat | localizer) at the given
// input sizes, 11 classes (the embedded dataset's order of magnitude).
inline avr::AvModel make_model(const std::string& kind, int64_t image, int64_t audio) {
  avr::ModelConfig c;
  c.kind = avr::parse_model_kind(kind);
  c.fusion = kind == "av" ? avr::FusionKind::Concat : avr::FusionKind::None;
  c.num_classes = 11;
  c.image_size = image;
  c.audio_length = audio;
  return avr::AvModel(c);
}

}  // namespace avr_bench
