// Cyclic coordinate descent for the Lasso on the Gram matrix, in double: the slow,
// high-precision reference the fast solvers are tested against. Each clip keeps the
// correlation c = Mᵀf − G h up to date as single coordinates move, and stops on its
// KKT residual, recomputed exactly (not from the running c) before it is trusted.
// CD alone crawls when the columns on the support are nearly dependent (measured: stuck at
// a KKT residual of 3e-8 after 1e5 sweeps, d = 64, k = 128, λ = 0.01), so every few sweeps
// it tries to polish: once CD has found the support S and signs s, the optimum solves
// G_SS h_S = b_S − λ s_S exactly; the polished point is kept only if its signs agree and its
// exact KKT residual passes, so the result is certified either way.
#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "avr/core/error.h"
#include "avr/defenses/lasso.h"
#include "avr/defenses/row_product.h"

namespace avr {
namespace {

// c = b − G h, exactly.
void correlation(const double* G, const double* b, const double* h, int64_t k, double* c) {
  for (int64_t j = 0; j < k; ++j) {
    const double* row = G + j * k;
    double s = 0;
    for (int64_t i = 0; i < k; ++i) s += row[i] * h[i];
    c[j] = b[j] - s;
  }
}

double kkt(const double* c, const double* h, int64_t k, double lambda) {
  double worst = 0;
  for (int64_t j = 0; j < k; ++j) {
    const double v = h[j] != 0 ? std::abs(c[j] - (h[j] > 0 ? lambda : -lambda))
                               : std::max(0.0, std::abs(c[j]) - lambda);
    worst = std::max(worst, v);
  }
  return worst;
}

// Solves A x = y in place for a symmetric positive definite A [n,n] (Cholesky); false if A
// is not numerically positive definite (dependent columns on the support).
bool cholesky_solve(std::vector<double>& A, std::vector<double>& y, int64_t n) {
  for (int64_t j = 0; j < n; ++j) {
    double d = A[j * n + j];
    for (int64_t p = 0; p < j; ++p) d -= A[j * n + p] * A[j * n + p];
    if (!(d > 0)) return false;
    const double l = std::sqrt(d);
    A[j * n + j] = l;
    for (int64_t i = j + 1; i < n; ++i) {
      double v = A[i * n + j];
      for (int64_t p = 0; p < j; ++p) v -= A[i * n + p] * A[j * n + p];
      A[i * n + j] = v / l;
    }
  }
  for (int64_t i = 0; i < n; ++i) {  // L z = y
    for (int64_t p = 0; p < i; ++p) y[i] -= A[i * n + p] * y[p];
    y[i] /= A[i * n + i];
  }
  for (int64_t i = n - 1; i >= 0; --i) {  // Lᵀ x = z
    for (int64_t p = i + 1; p < n; ++p) y[i] -= A[p * n + i] * y[p];
    y[i] /= A[i * n + i];
  }
  return true;
}

// The exact optimum for h's current support and signs, if it is one; replaces h and c then.
bool polish(const double* G, const double* b, int64_t k, double lambda, double threshold,
            double* h, std::vector<double>& c) {
  std::vector<int64_t> support;
  for (int64_t j = 0; j < k; ++j)
    if (h[j] != 0) support.push_back(j);
  const auto n = static_cast<int64_t>(support.size());
  std::vector<double> A(static_cast<size_t>(n * n)), x(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < n; ++j) A[i * n + j] = G[support[i] * k + support[j]];
    x[i] = b[support[i]] - std::copysign(lambda, h[support[i]]);
  }
  if (!cholesky_solve(A, x, n)) return false;
  std::vector<double> candidate(static_cast<size_t>(k), 0.0), exact(static_cast<size_t>(k));
  for (int64_t i = 0; i < n; ++i) {
    if (!(x[i] * h[support[i]] > 0)) return false;  // a sign flipped: not this support
    candidate[support[i]] = x[i];
  }
  correlation(G, b, candidate.data(), k, exact.data());
  if (kkt(exact.data(), candidate.data(), k, lambda) > threshold) return false;
  std::copy(candidate.begin(), candidate.end(), h);
  c = exact;
  return true;
}

constexpr int64_t kPolishEvery = 16;  // sweeps; a polish costs about as much as 16 sweeps

struct ClipOutcome {
  int64_t sweeps = 0;
  bool converged = false;
};

ClipOutcome solve_clip(const double* G, const double* b, int64_t k, double lambda, double tol,
                       int64_t max_sweeps, double* h, std::vector<double>& c) {
  double scale = lambda;
  for (int64_t j = 0; j < k; ++j) scale = std::max(scale, std::abs(b[j]));
  const double threshold = tol * scale;
  correlation(G, b, h, k, c.data());
  for (int64_t sweep = 1; sweep <= max_sweeps; ++sweep) {
    for (int64_t j = 0; j < k; ++j) {
      const double gjj = G[j * k + j];
      if (gjj <= 0) {  // a zero column: its coefficient is free of the fit; ℓ1 sets it to 0
        h[j] = 0;
        continue;
      }
      const double z = c[j] + gjj * h[j];  // b_j − Σ_{i≠j} G_ji h_i
      const double shrunk = std::abs(z) > lambda ? z - std::copysign(lambda, z) : 0.0;
      const double delta = shrunk / gjj - h[j];
      if (delta == 0) continue;
      h[j] += delta;
      const double* col = G + j * k;  // G is symmetric: row j is column j
      for (int64_t i = 0; i < k; ++i) c[i] -= delta * col[i];
    }
    if (kkt(c.data(), h, k, lambda) <= threshold) {
      correlation(G, b, h, k, c.data());  // the running c drifts: confirm on the exact one
      if (kkt(c.data(), h, k, lambda) <= threshold) return {sweep, true};
    }
    if (sweep % kPolishEvery == 0 && polish(G, b, k, lambda, threshold, h, c)) return {sweep, true};
  }
  return {max_sweeps, false};
}

}  // namespace

LassoResult solve_lasso_cd(const LassoDictionary& dict, const torch::Tensor& f,
                           const LassoSettings& settings, const torch::Tensor& warm_start) {
  settings.validate();
  torch::NoGradGuard no_grad;
  AVR_CHECK(dict.defined(), "CD: the Lasso memory is empty; build it from a memory bank");
  AVR_CHECK(f.dim() == 2 && f.size(1) == dict.dim(), "CD: features must be [B,", dict.dim(),
            "] to match the memory bank, got ", f.sizes());
  AVR_CHECK(torch::isfinite(f).all().item<bool>(),
            "CD: the features hold NaN or infinite values; check the encoder's input");
  const int64_t n = f.size(0), k = dict.atoms();
  // A reference, not a production path: it runs on the CPU in double whatever the inputs.
  const torch::Tensor m = dict.memory().to(torch::kCPU, torch::kFloat64);
  const torch::Tensor G = m.t().mm(m).contiguous();
  const torch::Tensor b = row_product(f.detach().to(torch::kCPU, torch::kFloat64), m);
  torch::Tensor h;
  if (warm_start.defined()) {
    AVR_CHECK(warm_start.dim() == 2 && warm_start.size(0) == n && warm_start.size(1) == k,
              "CD: warm start must be [", n, ",", k, "], got ", warm_start.sizes());
    h = warm_start.detach().to(torch::kCPU, torch::kFloat64).contiguous().clone();
  } else {
    h = torch::zeros({n, k}, torch::kFloat64);
  }
  LassoResult out{h, torch::zeros({n}, torch::kInt64), torch::zeros({n}, torch::kBool), {}, {}};
  const double* g = G.data_ptr<double>();
  const double* bp = b.data_ptr<double>();
  double* hp = h.data_ptr<double>();
  int64_t* iters = out.iterations.data_ptr<int64_t>();
  bool* conv = out.converged.data_ptr<bool>();
  // Clips are independent: one per task, so the split never changes a clip's arithmetic.
  at::parallel_for(0, n, 1, [&](int64_t begin, int64_t end) {
    std::vector<double> c(static_cast<size_t>(k));
    for (int64_t s = begin; s < end; ++s) {
      const ClipOutcome o = solve_clip(g, bp + s * k, k, settings.lambda, settings.tol,
                                       settings.max_iter, hp + s * k, c);
      iters[s] = o.sweeps;
      conv[s] = o.converged;
    }
  });
  return out;
}

}  // namespace avr
