// The active-set Newton Lasso solver (the method: lasso_active_set_kernel.h): clips are solved
// one per task in double on the CPU, then each is certified from scratch by its duality gap.
#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>

#include "avr/core/error.h"
#include "avr/defenses/lasso.h"
#include "avr/defenses/row_product.h"
#include "lasso_active_set_kernel.h"

namespace avr {

LassoResult solve_lasso_active_set(const LassoDictionary& dict, const torch::Tensor& f,
                                   const LassoSettings& settings, const torch::Tensor& warm_start) {
  settings.validate();
  torch::NoGradGuard no_grad;
  AVR_CHECK(dict.defined(), "active set: the Lasso memory is empty; build it from a memory bank");
  AVR_CHECK(f.dim() == 2 && f.size(1) == dict.dim(), "active set: features must be [B,", dict.dim(),
            "] to match the memory bank, got ", f.sizes());
  AVR_CHECK(torch::isfinite(f).all().item<bool>(),
            "active set: the features hold NaN or infinite values; check the encoder's input");
  const int64_t n = f.size(0), k = dict.atoms(), d = dict.dim();
  const torch::Tensor fd = f.detach().to(torch::kCPU, torch::kFloat64).contiguous();
  const torch::Tensor b = row_product(fd, dict.memory_double());  // Mᵀf
  const torch::Tensor f_norm2 = row_dot(fd, fd).squeeze(1);
  torch::Tensor h;
  if (warm_start.defined()) {
    AVR_CHECK(warm_start.dim() == 2 && warm_start.size(0) == n && warm_start.size(1) == k,
              "active set: warm start must be [", n, ",", k, "], got ", warm_start.sizes());
    AVR_CHECK(torch::isfinite(warm_start).all().item<bool>(),
              "active set: the warm start holds NaN or infinite values");
    h = warm_start.detach().to(torch::kCPU, torch::kFloat64).contiguous().clone();
  } else {
    h = torch::zeros({n, k}, torch::kFloat64);
  }
  LassoResult out{h, torch::zeros({n}, torch::kInt64), torch::zeros({n}, torch::kBool), {}, {}};
  lasso_impl::Problem p;
  p.G = dict.gram_double().data_ptr<double>();
  p.k = k;
  p.capacity = std::min(k, d + 8);
  p.lambda = settings.lambda;
  p.tol = settings.tol;
  p.max_steps = settings.max_iter;
  const double* bp = b.data_ptr<double>();
  const double* fn = f_norm2.data_ptr<double>();
  double* hp = h.data_ptr<double>();
  int64_t* steps = out.iterations.data_ptr<int64_t>();
  // One clip per task: the split never changes a clip's arithmetic.
  at::parallel_for(0, n, 1, [&](int64_t begin, int64_t end) {
    lasso_impl::Workspace w;
    for (int64_t s = begin; s < end; ++s) {
      lasso_impl::Problem q = p;
      q.f_norm2 = fn[s];
      steps[s] = lasso_impl::solve_clip(q, bp + s * k, hp + s * k, w).steps;
    }
  });
  // The certificate, from scratch (r = f − M h, not the solver's running correlations).
  const LassoCertificate cert = lasso_certificate(dict, fd, h, settings.lambda);
  out.gap = cert.gap;
  out.objective = cert.objective;
  out.converged = out.gap.le(settings.tol * out.objective);
  const torch::Device device = dict.memory().device();
  if (!device.is_cpu()) {
    out.h = out.h.to(device);
    out.iterations = out.iterations.to(device);
    out.converged = out.converged.to(device);
  }
  return out;
}

}  // namespace avr
