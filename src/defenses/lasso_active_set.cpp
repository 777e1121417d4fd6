// The active-set Newton Lasso solver (the method: lasso_active_set_kernel.h): without a warm
// start, a batched ADMM phase first predicts every clip's support (products over all clips at
// once, through row_product so that a clip's bits never depend on its batch-mates); then clips
// are solved one per task in double on the CPU, and each is certified from scratch by its
// duality gap.
#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>

#include "avr/core/error.h"
#include "avr/defenses/lasso.h"
#include "avr/defenses/row_product.h"
#include "lasso_active_set_kernel.h"

namespace avr {
namespace {

// ADMM for Eq. 4 with the splitting h = z (Boyd et al. 2011, Sec. 6.4), over-relaxed (α = 1.6,
// their Sec. 3.4.3), from z = u = 0, `iterations` times, in M's dtype and device:
//   x = (G + ρI)⁻¹(Mᵀf + ρ(z − u)),  x̂ = αx + (1 − α)z,  z = S_{λ/ρ}(x̂ + u),  u += x̂ − z.
// (G + ρI)⁻¹Mᵀf = f·(M A) per row, computed once. Returns z [B,k] (sparse). Only row products
// and element-wise operations, so every row is computed alone. On bank-like problems (d = 512,
// k = 1024) 100 iterations leave ~40 Newton steps per clip, against ~860 from zeros.
torch::Tensor admm_support(const LassoDictionary& dict, const torch::Tensor& f, double lambda,
                           int64_t iterations) {
  const double rho = dict.admm_rho(), alpha = 1.6;
  const torch::Tensor x0 = row_product(f.to(dict.memory().options()), dict.admm_start());
  torch::Tensor z = torch::zeros_like(x0), u = torch::zeros_like(x0);
  for (int64_t it = 0; it < iterations; ++it) {
    const torch::Tensor x = x0 + row_product(rho * (z - u), dict.admm_inverse());
    const torch::Tensor x_hat = alpha * x + (1.0 - alpha) * z;
    const torch::Tensor v = x_hat + u;
    z = soft_threshold(v, lambda / rho);
    u = v - z;
  }
  return z;
}

}  // namespace

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
  } else if (settings.admm_iter > 0 && n > 0) {
    h = admm_support(dict, f.detach(), settings.lambda, settings.admm_iter)
            .to(torch::kCPU, torch::kFloat64)
            .contiguous();
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
