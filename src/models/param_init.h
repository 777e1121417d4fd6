// Parameter initialisation drawn from avr::Rng: every tensor gets its own
// torch::Generator seeded from a named fork, so weights do not depend on torch's
// global generator nor on which other modules were built before.
#pragma once

#include <torch/types.h>

#include <string>

#include "avr/core/rng.h"

namespace avr::detail {

// U(lo, hi) in place; `name` names the fork (e.g. the parameter's name).
void init_uniform(torch::Tensor& t, double lo, double hi, const Rng& rng, const std::string& name);
// N(0, std) in place.
void init_normal(torch::Tensor& t, double std, const Rng& rng, const std::string& name);
// PyTorch's default for Linear/ConvNd: weight and bias U(±1/√fan_in).
void init_torch_default(torch::Tensor& weight, torch::Tensor bias, const Rng& rng,
                        const std::string& name);
// fan_in of a Linear/Conv weight: in_channels × kernel elements.
int64_t fan_in(const torch::Tensor& weight);
int64_t fan_out(const torch::Tensor& weight);

}  // namespace avr::detail
