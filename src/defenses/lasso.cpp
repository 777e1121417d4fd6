#include "avr/defenses/lasso.h"

#include <torch/torch.h>

#include <cmath>

#include "avr/core/error.h"
#include "avr/core/json_fields.h"
#include "avr/defenses/row_product.h"

namespace avr {

std::string to_string(LassoSolver solver) {
  switch (solver) {
    case LassoSolver::kActiveSet: return "active";
    case LassoSolver::kFista: return "fista";
    case LassoSolver::kIsta: return "ista";
    case LassoSolver::kCoordinateDescent: return "cd";
  }
  AVR_ASSERT(false, "unknown LassoSolver");
}

LassoSolver parse_lasso_solver(const std::string& name) {
  if (name == "active") return LassoSolver::kActiveSet;
  if (name == "fista") return LassoSolver::kFista;
  if (name == "ista") return LassoSolver::kIsta;
  if (name == "cd") return LassoSolver::kCoordinateDescent;
  AVR_FAIL("unknown Lasso solver '", name,
           "': use active (active-set Newton to a certified duality gap, default), fista, ista "
           "(the original's fixed step) or cd (coordinate descent, slow reference)");
}

void LassoSettings::validate() const {
  AVR_CHECK(std::isfinite(lambda) && lambda >= 0, "lasso lambda must be a finite number >= 0, got ",
            lambda);
  AVR_CHECK(max_iter >= 1, "lasso max_iter must be >= 1, got ", max_iter);
  AVR_CHECK(std::isfinite(tol) && tol > 0, "lasso tol must be > 0 (e.g. 1e-6), got ", tol);
  AVR_CHECK(std::isfinite(ista_step) && ista_step >= 0,
            "lasso ista_step must be >= 0 (0 means 1/L), got ", ista_step);
  AVR_CHECK(std::isfinite(ista_tol) && ista_tol > 0,
            "lasso ista_tol must be > 0 (the original uses 8e-4), got ", ista_tol);
  AVR_CHECK(admm_iter >= 0, "lasso admm_iter must be >= 0 (0: no ADMM phase), got ", admm_iter);
}

void to_json(nlohmann::json& j, const LassoSettings& s) {
  j = nlohmann::json{{"lambda", s.lambda},       {"solver", to_string(s.solver)},
                     {"max_iter", s.max_iter},   {"tol", s.tol},
                     {"adaptive_restart", s.adaptive_restart},
                     {"ista_step", s.ista_step}, {"ista_tol", s.ista_tol},
                     {"admm_iter", s.admm_iter}};
}

void from_json(const nlohmann::json& j, LassoSettings& s) {
  LassoSettings out;
  JsonFields f(j, "Lasso settings");
  f.read("lambda", out.lambda);
  f.read_as("solver", out.solver, parse_lasso_solver);
  f.read("max_iter", out.max_iter);
  f.read("tol", out.tol);
  f.read("adaptive_restart", out.adaptive_restart);
  f.read("ista_step", out.ista_step);
  f.read("ista_tol", out.ista_tol);
  f.read("admm_iter", out.admm_iter);
  f.finish();
  out.validate();
  s = out;
}

LassoDictionary::LassoDictionary(const torch::Tensor& memory) {
  AVR_CHECK(memory.defined() && memory.dim() == 2,
            "a Lasso memory must be a [d,k] matrix (columns = features), got ",
            memory.defined() ? memory.sizes() : torch::IntArrayRef{});
  AVR_CHECK(memory.is_floating_point(), "a Lasso memory must hold floating-point features, got ",
            memory.scalar_type());
  AVR_CHECK(memory.size(0) > 0 && memory.size(1) > 0, "a Lasso memory must not be empty, got ",
            memory.sizes());
  AVR_CHECK(torch::isfinite(memory).all().item<bool>(),
            "the Lasso memory holds NaN or infinite values: rebuild the memory bank from "
            "finite training features");
  memory_ = memory.detach().contiguous();
  memory_t_ = memory_.t().contiguous();
  gram_ = memory_t_.mm(memory_).contiguous();
  // λ_max(MᵀM) = λ_max(MMᵀ): decompose the smaller of the two, in double.
  const torch::Tensor m = memory_.to(torch::kFloat64);
  const torch::Tensor small = m.size(0) <= m.size(1) ? m.mm(m.t()) : m.t().mm(m);
  const torch::Tensor eig = torch::linalg_eigvalsh(small);
  lipschitz_ = eig.max().item<double>();
  memory64_ = m.cpu().contiguous();
  gram64_ = m.t().mm(m).cpu().contiguous();
  AVR_CHECK(lipschitz_ > 0, "the Lasso memory is all zeros: its features carry no information; "
                            "rebuild the memory bank from a trained model's features");
  // The ADMM phase's ρ and (G + ρI)⁻¹ (see the header), from the eigenvalues just computed.
  const torch::Tensor positive = eig.masked_select(eig > 1e-9 * lipschitz_);
  admm_rho_ = std::max(0.4 * positive.min().item<double>(), 1e-9 * lipschitz_);
  const torch::Tensor g64 = gram64_.to(m.device());
  const torch::Tensor a = torch::cholesky_inverse(torch::linalg_cholesky(
      g64 + admm_rho_ * torch::eye(g64.size(0), g64.options())));
  admm_inverse_ = a.to(memory_.scalar_type()).contiguous();
  admm_start_ = m.mm(a).to(memory_.scalar_type()).contiguous();
}

torch::Tensor LassoDictionary::correlate(const torch::Tensor& f) const {
  AVR_ASSERT(defined());
  AVR_CHECK(f.dim() == 2 && f.size(1) == dim(), "features must be [B,", dim(),
            "] to match the memory bank, got ", f.sizes());
  return row_product(f.to(memory_.scalar_type()), memory_);
}

torch::Tensor LassoDictionary::reconstruct(const torch::Tensor& h) const {
  AVR_ASSERT(defined());
  AVR_CHECK(h.dim() == 2 && h.size(1) == atoms(), "codes must be [B,", atoms(),
            "] to match the memory bank, got ", h.sizes());
  return row_product(h.to(memory_.scalar_type()), memory_t_);
}

torch::Tensor soft_threshold(const torch::Tensor& z, double t) {
  // z − clamp(z, −t, t) equals sign(z)·max(|z| − t, 0) bit for bit, in two ops, and its
  // autograd derivative is the indicator of |z| > t.
  return z - z.clamp(-t, t);
}

LassoResult solve_lasso(const LassoDictionary& dict, const torch::Tensor& f,
                        const LassoSettings& settings, const torch::Tensor& warm_start) {
  switch (settings.solver) {
    case LassoSolver::kActiveSet: return solve_lasso_active_set(dict, f, settings, warm_start);
    case LassoSolver::kFista: return solve_lasso_fista(dict, f, settings, warm_start);
    case LassoSolver::kIsta: return solve_lasso_ista(dict, f, settings, warm_start);
    case LassoSolver::kCoordinateDescent: return solve_lasso_cd(dict, f, settings, warm_start);
  }
  AVR_ASSERT(false, "unknown LassoSolver");
}

namespace {

struct Double {
  torch::Tensor m, f, h;
};

Double in_double(const LassoDictionary& dict, const torch::Tensor& f, const torch::Tensor& h) {
  AVR_ASSERT(dict.defined());
  AVR_CHECK(f.dim() == 2 && f.size(1) == dict.dim(), "features must be [B,", dict.dim(),
            "], got ", f.sizes());
  AVR_CHECK(h.dim() == 2 && h.size(0) == f.size(0) && h.size(1) == dict.atoms(),
            "codes must be [", f.size(0), ",", dict.atoms(), "], got ", h.sizes());
  return {dict.memory().to(torch::kFloat64), f.detach().to(torch::kFloat64),
          h.detach().to(torch::kFloat64)};
}

}  // namespace

torch::Tensor lasso_objective(const LassoDictionary& dict, const torch::Tensor& f,
                              const torch::Tensor& h, double lambda) {
  torch::NoGradGuard no_grad;
  const Double d = in_double(dict, f, h);
  const torch::Tensor r = d.f - d.h.mm(d.m.t());
  return 0.5 * r.pow(2).sum(1) + lambda * d.h.abs().sum(1);
}

torch::Tensor lasso_objective_gap(const LassoDictionary& dict, const torch::Tensor& f,
                                  const torch::Tensor& h, const torch::Tensor& h_ref,
                                  double lambda) {
  return lasso_objective(dict, f, h, lambda) - lasso_objective(dict, f, h_ref, lambda);
}

LassoCertificate lasso_certificate(const LassoDictionary& dict, const torch::Tensor& f,
                                   const torch::Tensor& h, double lambda) {
  torch::NoGradGuard no_grad;
  AVR_ASSERT(dict.defined());
  AVR_CHECK(f.dim() == 2 && f.size(1) == dict.dim(), "features must be [B,", dict.dim(),
            "], got ", f.sizes());
  AVR_CHECK(h.dim() == 2 && h.size(0) == f.size(0) && h.size(1) == dict.atoms(),
            "codes must be [", f.size(0), ",", dict.atoms(), "], got ", h.sizes());
  const torch::Tensor& m = dict.memory_double();
  const torch::Tensor fd = f.detach().to(torch::kCPU, torch::kFloat64).contiguous();
  const torch::Tensor hd = h.detach().to(torch::kCPU, torch::kFloat64).contiguous();
  const torch::Tensor r = fd - row_product(hd, m.t().contiguous());
  const torch::Tensor c_max = row_product(r, m).abs().amax(1);
  const torch::Tensor l1 = row_dot(hd.abs(), torch::ones_like(hd)).squeeze(1);
  const torch::Tensor primal = 0.5 * row_dot(r, r).squeeze(1) + lambda * l1;
  // θ = α r; D = fᵀθ − ½‖θ‖² (= ½‖f‖² − ½‖f − θ‖², without the cancellation).
  const torch::Tensor alpha = torch::where(c_max > lambda, lambda / c_max, torch::ones_like(c_max));
  const torch::Tensor dual = alpha * row_dot(fd, r).squeeze(1) - 0.5 * alpha * alpha * row_dot(r, r).squeeze(1);
  return {primal.to(f.device()), (primal - dual).to(f.device())};
}

torch::Tensor lasso_duality_gap(const LassoDictionary& dict, const torch::Tensor& f,
                                const torch::Tensor& h, double lambda) {
  return lasso_certificate(dict, f, h, lambda).gap;
}

torch::Tensor lasso_kkt_residual(const LassoDictionary& dict, const torch::Tensor& f,
                                 const torch::Tensor& h, double lambda) {
  torch::NoGradGuard no_grad;
  const Double d = in_double(dict, f, h);
  const torch::Tensor c = (d.f - d.h.mm(d.m.t())).mm(d.m);  // Mᵀ(f − M h) per row
  const torch::Tensor on_support = (c - lambda * d.h.sign()).abs();
  const torch::Tensor off_support = torch::relu(c.abs() - lambda);
  return torch::where(d.h != 0, on_support, off_support).amax(1);
}

}  // namespace avr
