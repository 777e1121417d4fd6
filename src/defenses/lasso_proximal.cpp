// Proximal-gradient Lasso solvers on the cached Gram matrix: FISTA (Beck & Teboulle 2009,
// step 1/L, optional gradient restart) and the original's fixed-step ISTA. Both iterate a
// shrinking set of active clips: a clip that meets its own stopping test is written out and
// dropped. Products and row sums go through row_product/row_dot and the rest is
// element-wise, so a clip's code does not depend on its batch-mates, to the last bit.
#include <torch/torch.h>

#include <cmath>

#include "avr/core/error.h"
#include "avr/defenses/lasso.h"
#include "avr/defenses/row_product.h"

namespace avr {
namespace {

struct Prepared {
  torch::Tensor b;  // Mᵀf [B,k]
  torch::Tensor x;  // starting code [B,k]
};

Prepared prepare(const LassoDictionary& dict, const torch::Tensor& f,
                 const torch::Tensor& warm_start, const char* solver) {
  AVR_CHECK(dict.defined(), solver, ": the Lasso memory is empty; build it from a memory bank");
  AVR_CHECK(f.dim() == 2 && f.size(1) == dict.dim(), solver, ": features must be [B,", dict.dim(),
            "] to match the memory bank, got ", f.sizes());
  AVR_CHECK(torch::isfinite(f).all().item<bool>(), solver,
            ": the features hold NaN or infinite values; check the encoder's input");
  Prepared p;
  p.b = dict.correlate(f.detach());
  if (warm_start.defined()) {
    AVR_CHECK(warm_start.sizes() == p.b.sizes(), solver, ": warm start must be [", f.size(0), ",",
              dict.atoms(), "], got ", warm_start.sizes());
    p.x = warm_start.detach().to(p.b.device(), p.b.scalar_type()).clone();
  } else {
    p.x = torch::zeros_like(p.b);
  }
  return p;
}

// The rows of a batch still iterating, with `index` pointing at their place in the output.
struct Active {
  torch::Tensor index, b, x, y, t, threshold;

  void keep(const torch::Tensor& rows) {
    index = index.index_select(0, rows);
    b = b.index_select(0, rows);
    x = x.index_select(0, rows);
    if (y.defined()) y = y.index_select(0, rows);
    if (t.defined()) t = t.index_select(0, rows);
    threshold = threshold.index_select(0, rows);
  }
};

// Writes the rows flagged `done` into the result and drops them from `a`.
void retire(Active& a, const torch::Tensor& done, LassoResult& out, int64_t iteration,
            bool converged) {
  const torch::Tensor rows = done.nonzero().squeeze(1);
  const torch::Tensor where = a.index.index_select(0, rows);
  out.h.index_copy_(0, where, a.x.index_select(0, rows));
  out.iterations.index_fill_(0, where, iteration);
  out.converged.index_fill_(0, where, converged);
  a.keep(torch::logical_not(done).nonzero().squeeze(1));
}

// Everything on b's device, so banks moved to a GPU solve there.
LassoResult make_result(const torch::Tensor& b) {
  const auto n = b.size(0);
  const auto on = torch::TensorOptions().device(b.device());
  return {torch::zeros_like(b), torch::zeros({n}, on.dtype(torch::kInt64)),
          torch::zeros({n}, on.dtype(torch::kBool)), {}, {}};
}

torch::Tensor all_rows(const torch::Tensor& b) {
  return torch::arange(b.size(0), torch::TensorOptions().dtype(torch::kInt64).device(b.device()));
}

void retire_all(Active& a, LassoResult& out, int64_t iteration) {
  retire(a, torch::ones({a.index.size(0)}, a.index.options().dtype(torch::kBool)), out, iteration,
         /*converged=*/false);
}

}  // namespace

LassoResult solve_lasso_fista(const LassoDictionary& dict, const torch::Tensor& f,
                              const LassoSettings& settings, const torch::Tensor& warm_start) {
  settings.validate();
  torch::NoGradGuard no_grad;
  Prepared p = prepare(dict, f, warm_start, "FISTA");
  LassoResult out = make_result(p.b);
  if (p.b.size(0) == 0) return out;
  const double L = dict.lipschitz();
  // Multiplying by 1/L, never dividing by a scalar: ATen may turn a scalar division into a
  // reciprocal product in its vector loop only, which would make a bit depend on the row.
  const double inv_L = 1.0 / L;
  const double lambda = settings.lambda;
  const torch::Tensor& G = dict.gram();

  Active a;
  a.index = all_rows(p.b);
  a.b = p.b;
  a.x = p.x;
  a.y = p.x.clone();
  a.t = torch::ones({p.b.size(0), 1}, p.b.options());
  // ‖Mᵀf‖∞ is the gradient at h = 0: tol is relative to it (and never below λ).
  a.threshold = settings.tol * p.b.abs().amax(1).clamp_min(lambda);

  for (int64_t it = 1; it <= settings.max_iter; ++it) {
    const torch::Tensor grad = row_product(a.y, G) - a.b;
    const torch::Tensor x_new = soft_threshold(a.y - grad * inv_L, lambda * inv_L);
    // L·(y − x_new) is the gradient mapping: zero exactly at the optimum, and it bounds a
    // subgradient of the objective at x_new by twice its norm.
    const torch::Tensor y_minus_x = a.y - x_new;
    const torch::Tensor done = (y_minus_x.abs().amax(1) * L).le(a.threshold);

    const torch::Tensor t_new = 0.5 * (1.0 + torch::sqrt(1.0 + 4.0 * a.t * a.t));
    torch::Tensor y_new = x_new + ((a.t - 1.0) / t_new) * (x_new - a.x);
    torch::Tensor t_next = t_new;
    if (settings.adaptive_restart) {
      // Restart where momentum points uphill: (y − x_new)ᵀ(x_new − x) > 0.
      const torch::Tensor restart = row_dot(y_minus_x, x_new - a.x).gt(0);
      y_new = torch::where(restart, x_new, y_new);
      t_next = torch::where(restart, torch::ones_like(t_new), t_new);
    }
    a.x = x_new;
    a.y = y_new;
    a.t = t_next;
    if (done.any().item<bool>()) retire(a, done, out, it, /*converged=*/true);
    if (a.index.size(0) == 0) return out;
  }
  retire_all(a, out, settings.max_iter);
  return out;
}

LassoResult solve_lasso_ista(const LassoDictionary& dict, const torch::Tensor& f,
                             const LassoSettings& settings, const torch::Tensor& warm_start) {
  settings.validate();
  torch::NoGradGuard no_grad;
  Prepared p = prepare(dict, f, warm_start, "ISTA");
  LassoResult out = make_result(p.b);
  if (p.b.size(0) == 0) return out;
  const double L = dict.lipschitz();
  const double step = settings.ista_step > 0 ? settings.ista_step : 1.0 / L;
  // Past 2/L the iteration amplifies the top eigendirection of G: it diverges.
  AVR_CHECK(step < 2.0 / L, "ISTA step ", step, " is too large for this memory bank: it must be < 2/L = ",
            2.0 / L, " (L = λ_max(MᵀM) = ", L, "); lower ista_step, or set it to 0 for 1/L");
  const double lambda = settings.lambda;
  const torch::Tensor& G = dict.gram();

  Active a;
  a.index = all_rows(p.b);
  a.b = p.b;
  a.x = p.x;
  a.threshold = torch::full({p.b.size(0)}, settings.ista_tol * settings.ista_tol, p.b.options());  // on ‖Δh‖²

  for (int64_t it = 1; it <= settings.max_iter; ++it) {
    const torch::Tensor x_new = soft_threshold(a.x - step * (row_product(a.x, G) - a.b), step * lambda);
    const torch::Tensor change = x_new - a.x;
    const torch::Tensor done = row_dot(change, change).squeeze(1).lt(a.threshold);
    a.x = x_new;
    if (done.any().item<bool>()) retire(a, done, out, it, /*converged=*/true);
    if (a.index.size(0) == 0) return out;
  }
  retire_all(a, out, settings.max_iter);
  return out;
}

}  // namespace avr
