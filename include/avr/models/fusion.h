// Audio-visual fusion functions of the paper (Sec. 4.4, supplement A.4): each
// maps f_a, f_v ∈ R^[B,512] to a fused f_av ∈ R^[B,D]; a Linear(D, C)
// classifier follows (it lives in AvModel, not here).
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <memory>
#include <string>

#include "avr/models/model_config.h"

namespace avr {

class Rng;

// ---- The five fusions (d = 512; ⊙ elementwise; σ the logistic sigmoid) ----
//   Sum           f_av = f_a + f_v                                   D = d
//   Concat        f_av = [f_v ; f_a]   (visual first, as the authors' code)   D = 2d
//   FiLM          f_av = α(f_a) ⊙ f_v + β(f_a),  α(x) = W_α x + b_α (a FC layer),
//                 β(x) = x (identity), as the supplement specifies (Perez et
//                 al. 2018 conditioning, audio conditions vision)       D = d
//   Gated-Sum     f_1 = g_a(f_a) ⊙ f_v,  f_2 = g_v(f_v) ⊙ f_a,  f_av = f_1 + f_2    D = d
//   Gated-Concat  f_1, f_2 as Gated-Sum,  f_av = [f_1 ; f_2]  (f_1 carries vision)  D = 2d
//   with the gates g_m(x) = σ(W_m x + b_m) (Kiela et al. 2018: a learned gate;
//   ModelConfig::gate_projection, the default) or g_m(x) = σ(x) (supplement eqs.
//   5–6 read literally, no parameters).
// Parameters are initialised as PyTorch's nn.Linear default (U(±1/√512)).
// -----------------------------------------------------------------------------

class Fusion : public torch::nn::Module {
 public:
  explicit Fusion(std::string name) : torch::nn::Module(std::move(name)) {}
  // f_a, f_v [B, d] → f_av [B, output_dim()].
  virtual torch::Tensor forward(const torch::Tensor& f_a, const torch::Tensor& f_v) = 0;
  virtual int64_t output_dim() const = 0;
  virtual FusionKind kind() const = 0;
  // Re-draws the fusion's own parameters (if any) from `rng`.
  virtual void reset_parameters(const Rng& rng) {}
};

class SumFusion : public Fusion {
 public:
  explicit SumFusion(int64_t dim);
  torch::Tensor forward(const torch::Tensor& f_a, const torch::Tensor& f_v) override;
  int64_t output_dim() const override { return dim_; }
  FusionKind kind() const override { return FusionKind::Sum; }

 private:
  int64_t dim_;
};

class ConcatFusion : public Fusion {
 public:
  explicit ConcatFusion(int64_t dim);
  torch::Tensor forward(const torch::Tensor& f_a, const torch::Tensor& f_v) override;
  int64_t output_dim() const override { return 2 * dim_; }
  FusionKind kind() const override { return FusionKind::Concat; }

 private:
  int64_t dim_;
};

class FilmFusion : public Fusion {
 public:
  explicit FilmFusion(int64_t dim);
  torch::Tensor forward(const torch::Tensor& f_a, const torch::Tensor& f_v) override;
  int64_t output_dim() const override { return dim_; }
  FusionKind kind() const override { return FusionKind::Film; }
  void reset_parameters(const Rng& rng) override;

  torch::nn::Linear alpha{nullptr};  // α: audio → per-channel scale of vision

 private:
  int64_t dim_;
};

// Gated-Sum and Gated-Concat share their gates; `concat` picks how f_1, f_2 combine.
class GatedFusion : public Fusion {
 public:
  GatedFusion(int64_t dim, bool concat, bool projection);
  torch::Tensor forward(const torch::Tensor& f_a, const torch::Tensor& f_v) override;
  int64_t output_dim() const override { return concat_ ? 2 * dim_ : dim_; }
  FusionKind kind() const override { return concat_ ? FusionKind::GatedConcat : FusionKind::GatedSum; }
  void reset_parameters(const Rng& rng) override;
  // The two gates for inspection: {g_a(f_a) gating f_v, g_v(f_v) gating f_a}.
  std::pair<torch::Tensor, torch::Tensor> gates(const torch::Tensor& f_a, const torch::Tensor& f_v);

  torch::nn::Linear gate_a{nullptr}, gate_v{nullptr};  // null without projection

 private:
  int64_t dim_;
  bool concat_, projection_;
};

// Builds the fusion of that kind on features of `dim` channels (an avr::Error for None:
// there is nothing to build).
std::shared_ptr<Fusion> make_fusion(FusionKind kind, int64_t dim, bool gate_projection);

}  // namespace avr
