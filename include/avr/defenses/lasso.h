// Batched Lasso sparse coding over a feature memory (paper Sec. 3.3.2, Eq. 4):
//   h* = argmin_h ½‖f − M h‖² + λ‖h‖₁,   M [d,k] (columns = memory features), f [B,d] → h [B,k].
// Four solvers: an active-set Newton method in double that stops on a certified duality gap
// (the default; a batched ADMM phase predicts each clip's support first), FISTA, the
// original's fixed-step ISTA (the paper's baseline) and coordinate descent (slow,
// high-precision reference). Every solver stops each clip on its own test, so
// a clip's code never depends on which clips share its batch.
//
// The certificate (Lasso duality): with r = f − M h and θ = r·min(1, λ/‖Mᵀr‖∞) (dual feasible:
// ‖Mᵀθ‖∞ ≤ λ), D(θ) = ½‖f‖² − ½‖f − θ‖² ≤ P(h*) ≤ P(h) = ½‖r‖² + λ‖h‖₁, so the gap
// P(h) − D(θ) ≥ P(h) − P(h*) bounds how far h is from optimal, and is 0 at the optimum.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace avr {

enum class LassoSolver { kActiveSet, kFista, kIsta, kCoordinateDescent };

std::string to_string(LassoSolver solver);
LassoSolver parse_lasso_solver(const std::string& name);  // "active", "fista", "ista", "cd"

struct LassoSettings {
  double lambda = 0.1;  // ℓ1 weight λ of Eq. 4 (the original uses 0.1 for both modalities)
  LassoSolver solver = LassoSolver::kActiveSet;
  // per clip: Newton steps (active set), iterations (FISTA, ISTA) or sweeps over h (CD)
  int64_t max_iter = 2000;
  // FISTA and CD: a clip stops when its optimality residual (the max-norm of the
  // proximal-gradient step × L for FISTA, the KKT residual for CD) is ≤ tol·max(λ, ‖Mᵀf‖∞).
  // ‖Mᵀf‖∞ is the gradient at h = 0, so tol is relative to the problem's own scale.
  // Active set: a clip stops when its duality gap is ≤ tol·P(h), its objective.
  double tol = 1e-6;
  bool adaptive_restart = true;  // FISTA: gradient restart (O'Donoghue & Candès 2015)
  // ISTA: fixed step; 0 means 1/L. The original's MUSIC steps: 1e-6 audio, 6e-6 visual
  // (AVE: 7e-7, 2e-6); it diverges when step > 2/L.
  double ista_step = 0.0;
  // ISTA: a clip stops when ‖h − h′‖₂ < ista_tol (the original's 8e-4). The original
  // tested one norm over the whole batch, so a clip's result depended on its batch-mates
  // (a bug); here the test is per clip.
  double ista_tol = 8e-4;
  // Active set without a warm start: iterations of its first phase, ADMM over all clips at
  // once (Boyd et al. 2011, Sec. 6.4: one cached (G + ρI)⁻¹ per bank, over-relaxed by 1.6),
  // whose sparse iterate starts the Newton method. 0: the Newton method starts from zeros.
  // Each iteration costs about one of ISTA's. On a trained Concat model's own test features
  // (bench_lasso_features, default profile, 100 clips, one thread, AMD EPYC AVX2) the certified
  // solve took, per 1000 features, audio 84 / 42 / 18 / 13 / 19 / 31 s and visual
  // 51 / 30 / 20 / 13 / 18 / 33 s for 0 / 10 / 50 / 100 / 200 / 400 iterations (ISTA stopping
  // far from the optimum: 3.2 and 2.9 s). The real optima are dense (audio ~480 of 1024 atoms,
  // visual ~370); 100 leaves 3–10 Newton steps per clip and is the fastest on both.
  int64_t admm_iter = 100;

  void validate() const;
};

void to_json(nlohmann::json& j, const LassoSettings& s);
void from_json(const nlohmann::json& j, LassoSettings& s);

// A memory M [d,k] with what every solve reuses: the Gram matrix G = MᵀM [k,k] and its
// Lipschitz constant L = λ_max(G) = σ_max(M)², computed once (in double) per bank.
// Solves run in M's dtype; f is converted to it.
class LassoDictionary {
 public:
  LassoDictionary() = default;
  explicit LassoDictionary(const torch::Tensor& memory);  // [d,k], finite, not all zero

  const torch::Tensor& memory() const { return memory_; }  // M [d,k]
  const torch::Tensor& gram() const { return gram_; }      // G [k,k]
  // M and G in double on the CPU, for the active-set solver and the certificates.
  const torch::Tensor& memory_double() const { return memory64_; }
  const torch::Tensor& gram_double() const { return gram64_; }
  double lipschitz() const { return lipschitz_; }          // L
  // The active set's ADMM phase: ρ = 0.4 × the smallest positive eigenvalue λ⁺ of MᵀM (at
  // least 1e-9·L; on bank-like problems ρ/λ⁺ = 0.4 left the fewest Newton steps among
  // 0.008, 0.025, 0.08, 0.15, 0.25, 0.4, 0.8, 2.4), A = (G + ρI)⁻¹
  // [k,k] and M·A [d,k] (so that A·Mᵀf = f·(M A) per row), in M's dtype and device.
  double admm_rho() const { return admm_rho_; }
  const torch::Tensor& admm_inverse() const { return admm_inverse_; }
  const torch::Tensor& admm_start() const { return admm_start_; }
  int64_t dim() const { return memory_.size(0); }           // d
  int64_t atoms() const { return memory_.size(1); }         // k
  bool defined() const { return memory_.defined(); }

  // Mᵀf per row: [B,d] → [B,k]; checks the feature dimension. Like every product in the
  // solvers, a row's result does not depend on the other rows (see row_product.h).
  torch::Tensor correlate(const torch::Tensor& f) const;
  torch::Tensor reconstruct(const torch::Tensor& h) const;  // M h per row: [B,k] → [B,d]

 private:
  torch::Tensor memory_, memory_t_, gram_, memory64_, gram64_, admm_inverse_, admm_start_;
  double lipschitz_ = 0.0, admm_rho_ = 0.0;
};

struct LassoResult {
  torch::Tensor h;           // [B,k] codes
  torch::Tensor iterations;  // [B] int64: iterations (or CD sweeps; active set: Newton steps) each clip ran
  torch::Tensor converged;   // [B] bool: stopped on its tolerance, not on max_iter
  // Active set only (undefined for the others; lasso_duality_gap computes it for any h):
  torch::Tensor gap;         // [B] double: duality gap P(h) − D(θ), recomputed from scratch
  torch::Tensor objective;   // [B] double: P(h); converged = gap ≤ tol·objective
};

// Solves Eq. 4 for every row of f [B,d] with the chosen solver. `warm_start` [B,k]
// (optional) is the starting code; zeros otherwise. Runs without autograd.
LassoResult solve_lasso(const LassoDictionary& dict, const torch::Tensor& f,
                        const LassoSettings& settings, const torch::Tensor& warm_start = {});

// Active-set Newton in double on the CPU (src/defenses/lasso_active_set_kernel.h says how):
// returns h in double on the memory's device, each clip certified by its duality gap.
LassoResult solve_lasso_active_set(const LassoDictionary& dict, const torch::Tensor& f,
                                   const LassoSettings& settings,
                                   const torch::Tensor& warm_start = {});
LassoResult solve_lasso_fista(const LassoDictionary& dict, const torch::Tensor& f,
                              const LassoSettings& settings, const torch::Tensor& warm_start = {});
LassoResult solve_lasso_ista(const LassoDictionary& dict, const torch::Tensor& f,
                             const LassoSettings& settings, const torch::Tensor& warm_start = {});
// Cyclic coordinate descent in double on the CPU (a reference); returns h in double on the CPU.
LassoResult solve_lasso_cd(const LassoDictionary& dict, const torch::Tensor& f,
                           const LassoSettings& settings, const torch::Tensor& warm_start = {});

// Diagnostics, per clip, computed in double: [B] tensors.
// ½‖f − M h‖² + λ‖h‖₁
torch::Tensor lasso_objective(const LassoDictionary& dict, const torch::Tensor& f,
                              const torch::Tensor& h, double lambda);
// objective(h) − objective(h_ref): how far h is above a reference (≥ 0 when h_ref is optimal).
torch::Tensor lasso_objective_gap(const LassoDictionary& dict, const torch::Tensor& f,
                                  const torch::Tensor& h, const torch::Tensor& h_ref, double lambda);
// Duality gap P(h) − D(θ) with θ = r·min(1, λ/‖Mᵀr‖∞), r = f − M h (see the top): ≥ the
// objective's distance to the optimum, 0 at the optimum. Batch-invariant (row_product).
torch::Tensor lasso_duality_gap(const LassoDictionary& dict, const torch::Tensor& f,
                                const torch::Tensor& h, double lambda);
struct LassoCertificate {
  torch::Tensor objective;  // [B] double: P(h)
  torch::Tensor gap;        // [B] double: P(h) − D(θ)
};
LassoCertificate lasso_certificate(const LassoDictionary& dict, const torch::Tensor& f,
                                   const torch::Tensor& h, double lambda);
// KKT residual: max over j of the violation of c_j = λ·sign(h_j) where h_j ≠ 0 and
// |c_j| ≤ λ where h_j = 0, with c = Mᵀ(f − M h). Zero exactly at the optimum.
torch::Tensor lasso_kkt_residual(const LassoDictionary& dict, const torch::Tensor& f,
                                 const torch::Tensor& h, double lambda);

// Soft thresholding sign(z)·max(|z| − t, 0), differentiable almost everywhere.
torch::Tensor soft_threshold(const torch::Tensor& z, double t);

}  // namespace avr
