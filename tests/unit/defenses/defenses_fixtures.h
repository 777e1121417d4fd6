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
