#include "param_init.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cmath>

namespace avr::detail {
namespace {

// Draw on the CPU with our generator, then copy: works whatever device or
// dtype the parameter lives on.
template <typename Fill>
void fill_from(torch::Tensor& t, const Rng& rng, const std::string& name, Fill fill) {
  torch::NoGradGuard no_grad;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(rng.fork(name).next_u64());
  auto cpu = torch::empty(t.sizes(), torch::TensorOptions().dtype(torch::kFloat32));
  fill(cpu, gen);
  t.copy_(cpu);
}

}  // namespace

void init_uniform(torch::Tensor& t, double lo, double hi, const Rng& rng, const std::string& name) {
  fill_from(t, rng, name, [&](torch::Tensor& c, at::Generator& g) { c.uniform_(lo, hi, g); });
}

void init_normal(torch::Tensor& t, double std, const Rng& rng, const std::string& name) {
  fill_from(t, rng, name, [&](torch::Tensor& c, at::Generator& g) { c.normal_(0.0, std, g); });
}

int64_t fan_in(const torch::Tensor& weight) {
  return weight.numel() / weight.size(0);
}

int64_t fan_out(const torch::Tensor& weight) {
  return weight.numel() / weight.size(1);
}

void init_torch_default(torch::Tensor& weight, torch::Tensor bias, const Rng& rng,
                        const std::string& name) {
  // kaiming_uniform(a=√5) gives bound √(6 / ((1 + 5)·fan_in)) = 1/√fan_in.
  const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in(weight)));
  init_uniform(weight, -bound, bound, rng, name + ".weight");
  if (bias.defined()) init_uniform(bias, -bound, bound, rng, name + ".bias");
}

}  // namespace avr::detail
