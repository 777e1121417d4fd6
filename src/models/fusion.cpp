#include "avr/models/fusion.h"

#include <torch/torch.h>

#include "avr/core/error.h"
#include "avr/core/rng.h"
#include "avr/models/model_config.h"
#include "param_init.h"

namespace avr {
namespace {

void check_pair(const torch::Tensor& f_a, const torch::Tensor& f_v, int64_t dim, const char* who) {
  AVR_CHECK(f_a.defined() && f_v.defined(), who,
            " fusion needs both an audio and a visual feature (one is undefined)");
  AVR_CHECK(f_a.dim() == 2 && f_v.dim() == 2 && f_a.size(1) == dim && f_v.size(1) == dim, who,
            " fusion: expected features [B, ", dim, "], got audio ", f_a.sizes(), " and visual ",
            f_v.sizes());
  AVR_CHECK(f_a.size(0) == f_v.size(0), who, " fusion: audio batch ", f_a.size(0),
            " differs from visual batch ", f_v.size(0));
}

void reset_linear(torch::nn::Linear& l, const Rng& rng, const std::string& name) {
  detail::init_torch_default(l->weight, l->bias, rng, name);
}

}  // namespace

SumFusion::SumFusion(int64_t dim) : Fusion("SumFusion"), dim_(dim) {}

torch::Tensor SumFusion::forward(const torch::Tensor& f_a, const torch::Tensor& f_v) {
  check_pair(f_a, f_v, dim_, "sum");
  return f_a + f_v;
}

ConcatFusion::ConcatFusion(int64_t dim) : Fusion("ConcatFusion"), dim_(dim) {}

torch::Tensor ConcatFusion::forward(const torch::Tensor& f_a, const torch::Tensor& f_v) {
  check_pair(f_a, f_v, dim_, "concat");
  return torch::cat({f_v, f_a}, 1);
}

FilmFusion::FilmFusion(int64_t dim) : Fusion("FilmFusion"), dim_(dim) {
  alpha = register_module("alpha", torch::nn::Linear(dim, dim));
}

void FilmFusion::reset_parameters(const Rng& rng) { reset_linear(alpha, rng, "alpha"); }

torch::Tensor FilmFusion::forward(const torch::Tensor& f_a, const torch::Tensor& f_v) {
  check_pair(f_a, f_v, dim_, "film");
  return alpha->forward(f_a) * f_v + f_a;
}

GatedFusion::GatedFusion(int64_t dim, bool concat, bool projection)
    : Fusion(concat ? "GatedConcatFusion" : "GatedSumFusion"),
      dim_(dim),
      concat_(concat),
      projection_(projection) {
  if (projection_) {
    gate_a = register_module("gate_a", torch::nn::Linear(dim, dim));
    gate_v = register_module("gate_v", torch::nn::Linear(dim, dim));
  }
}

void GatedFusion::reset_parameters(const Rng& rng) {
  if (!projection_) return;
  reset_linear(gate_a, rng, "gate_a");
  reset_linear(gate_v, rng, "gate_v");
}

std::pair<torch::Tensor, torch::Tensor> GatedFusion::gates(const torch::Tensor& f_a,
                                                           const torch::Tensor& f_v) {
  if (projection_) return {torch::sigmoid(gate_a->forward(f_a)), torch::sigmoid(gate_v->forward(f_v))};
  return {torch::sigmoid(f_a), torch::sigmoid(f_v)};
}

torch::Tensor GatedFusion::forward(const torch::Tensor& f_a, const torch::Tensor& f_v) {
  check_pair(f_a, f_v, dim_, concat_ ? "gated_concat" : "gated_sum");
  auto [g_a, g_v] = gates(f_a, f_v);
  auto f1 = g_a * f_v;  // vision, gated by audio
  auto f2 = g_v * f_a;  // audio, gated by vision
  return concat_ ? torch::cat({f1, f2}, 1) : f1 + f2;
}

std::shared_ptr<Fusion> make_fusion(FusionKind kind, int64_t dim, bool gate_projection) {
  switch (kind) {
    case FusionKind::Sum: return std::make_shared<SumFusion>(dim);
    case FusionKind::Concat: return std::make_shared<ConcatFusion>(dim);
    case FusionKind::Film: return std::make_shared<FilmFusion>(dim);
    case FusionKind::GatedSum: return std::make_shared<GatedFusion>(dim, false, gate_projection);
    case FusionKind::GatedConcat: return std::make_shared<GatedFusion>(dim, true, gate_projection);
    case FusionKind::None: break;
  }
  AVR_FAIL("no fusion to build: a model of kind av needs one of sum, concat, film, gated_sum, gated_concat");
}

}  // namespace avr
