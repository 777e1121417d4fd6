// Small random Lasso problems for the defenses tests, drawn reproducibly through avr::Rng.
#pragma once

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <string>

#include "avr/core/rng.h"

namespace avr::test {

// N(0,1) entries from a torch generator seeded by a named fork of Rng(seed).
inline torch::Tensor gaussian(uint64_t seed, const std::string& name, torch::IntArrayRef shape,
                              torch::ScalarType type = torch::kFloat64) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(Rng(seed).fork(name).next_u64());
  return torch::randn(shape, gen, torch::TensorOptions().dtype(type));
}

// A bank [d,k] with unit-norm columns, and features [B,d] of about unit scale per entry.
struct Problem {
  torch::Tensor memory, features;
};

inline Problem random_problem(uint64_t seed, int64_t d, int64_t k, int64_t batch,
                              torch::ScalarType type = torch::kFloat64) {
  torch::Tensor m = gaussian(seed, "memory", {d, k}, type);
  m = m / m.norm(2, 0, /*keepdim=*/true);
  return {m, gaussian(seed, "features", {batch, d}, type)};
}

}  // namespace avr::test

namespace avr::test {

// Problems shaped like ExFMem's real ones: a bank of non-negative, correlated columns
// (relu of Gaussians sharing a common part, like max-pooled ReLU features), k = 2d, scaled so
// that L = λ_max(MᵀM) = 1e6 as the original's MUSIC step 1e-6 assumes; λ = 0.1 is then tiny
// next to ‖Mᵀf‖∞ and the Gram matrix is ill-conditioned.
inline Problem nonnegative_problem(uint64_t seed, int64_t d, int64_t batch) {
  const int64_t k = 2 * d;
  const torch::Tensor shared = gaussian(seed, "shared", {d, 1});
  torch::Tensor m = torch::relu(shared + gaussian(seed, "bank", {d, k}) + 0.5);
  torch::Tensor f = torch::relu(shared.t() + gaussian(seed, "clips", {batch, d}) + 0.5);
  const double top = torch::linalg_svdvals(m).max().item<double>();
  const double scale = 1e3 / top;
  return {m * scale, f * scale};
}

}  // namespace avr::test
