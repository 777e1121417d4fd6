#include "avr/defenses/exfmem.h"

#include <torch/torch.h>

#include <cmath>
#include <vector>

#include "avr/core/error.h"
#include "avr/core/json_fields.h"

namespace avr {

std::string to_string(ExFMemGradient gradient) {
  switch (gradient) {
    case ExFMemGradient::kNone: return "none";
    case ExFMemGradient::kUnrolled: return "unrolled";
    case ExFMemGradient::kBpda: return "bpda";
    case ExFMemGradient::kImplicit: return "implicit";
  }
  AVR_ASSERT(false, "unknown ExFMemGradient");
}

ExFMemGradient parse_exfmem_gradient(const std::string& name) {
  if (name == "none") return ExFMemGradient::kNone;
  if (name == "unrolled") return ExFMemGradient::kUnrolled;
  if (name == "bpda") return ExFMemGradient::kBpda;
  if (name == "implicit") return ExFMemGradient::kImplicit;
  AVR_FAIL("unknown ExFMem gradient '", name,
           "': use none (the code is a constant), unrolled (FISTA steps in autograd), bpda "
           "(backward as identity) or implicit (the exact solution's derivative on its active set)");
}

void check_exfmem_gradient(ExFMemGradient gradient, const LassoSettings& lasso) {
  AVR_CHECK(gradient != ExFMemGradient::kImplicit || lasso.solver == LassoSolver::kActiveSet,
            "ExFMem's implicit gradient is the derivative of the exact Lasso solution, which the ",
            to_string(lasso.solver), " solver stops short of: use the active-set solver "
            "(--exfmem-solver active), or attack with BPDA (--adaptive bpda)");
}

void ExFMemSettings::validate() const {
  AVR_CHECK(std::isfinite(mix) && mix >= 0 && mix <= 1, "ExFMem mix must be in [0, 1], got ", mix);
  audio.validate();
  visual.validate();
  AVR_CHECK(unrolled_iterations >= 1, "ExFMem unrolled_iterations must be >= 1, got ",
            unrolled_iterations);
}

void to_json(nlohmann::json& j, const ExFMemSettings& s) {
  j = nlohmann::json{{"mix", s.mix},
                     {"audio", s.audio},
                     {"visual", s.visual},
                     {"unrolled_iterations", s.unrolled_iterations}};
}

void from_json(const nlohmann::json& j, ExFMemSettings& s) {
  ExFMemSettings out;
  JsonFields f(j, "ExFMem settings");
  f.read("mix", out.mix);
  f.read("audio", out.audio);
  f.read("visual", out.visual);
  f.read("unrolled_iterations", out.unrolled_iterations);
  f.finish();
  out.validate();
  s = out;
}

double original_exfmem_mix(const std::string& dataset) {
  if (dataset == "music" || dataset == "ave") return 0.5;
  if (dataset == "kinetics") return 0.6;
  AVR_FAIL("no original ExFMem mix for dataset '", dataset, "': use music, ave or kinetics");
}

double default_exfmem_mix(const std::string& dataset) {
  if (dataset == "music" || dataset == "ave" || dataset == "kinetics") return original_exfmem_mix(dataset);
  return ExFMemSettings{}.mix;
}

LassoSettings original_ista_settings(const std::string& dataset, const std::string& modality) {
  AVR_CHECK(modality == "audio" || modality == "visual", "modality must be audio or visual, got '",
            modality, "'");
  LassoSettings s;
  s.solver = LassoSolver::kIsta;
  s.lambda = 0.1;
  s.max_iter = 2000;
  s.ista_tol = 8e-4;
  if (dataset == "music") {
    s.ista_step = modality == "audio" ? 1e-6 : 6e-6;
  } else if (dataset == "ave") {
    s.ista_step = modality == "audio" ? 7e-7 : 2e-6;
  } else {
    AVR_FAIL("the original's ISTA steps are known for music and ave only, not '", dataset,
             "'; use FISTA (step 1/L, no tuning needed)");
  }
  return s;
}

namespace {

void check_features(const LassoDictionary& dict, const torch::Tensor& f) {
  AVR_CHECK(dict.defined(), "ExFMem: the memory bank is empty; load or build it first");
  AVR_CHECK(f.defined() && f.dim() == 2 && f.size(1) == dict.dim(), "ExFMem: features must be [B,",
            dict.dim(), "] to match the memory bank, got ",
            f.defined() ? f.sizes() : torch::IntArrayRef{});
}

}  // namespace

namespace {

// The exact map (h a constant to autograd), from `warm_start` when given; also returns h.
ExFMemResult exfmem_solved(const LassoDictionary& dict, const torch::Tensor& f, double mix,
                           const LassoSettings& lasso, const torch::Tensor& warm_start) {
  check_features(dict, f);
  AVR_CHECK(mix >= 0 && mix <= 1, "ExFMem mix must be in [0, 1], got ", mix);
  // mix = 0 returns f itself: the defense switched off must be exactly the identity.
  if (mix == 0) return {f, {}};
  torch::Tensor denoised, h;
  {
    torch::NoGradGuard no_grad;
    h = solve_lasso(dict, f, lasso, warm_start).h;
    denoised = dict.reconstruct(h).to(f.scalar_type());
  }
  return {mix * denoised + (1.0 - mix) * f, h};
}

ExFMemResult exfmem_bpda_solved(const LassoDictionary& dict, const torch::Tensor& f, double mix,
                                const LassoSettings& lasso, const torch::Tensor& warm_start) {
  ExFMemResult r = exfmem_solved(dict, f.detach(), mix, lasso, warm_start);
  r.feature = f + (r.feature - f).detach();
  return r;
}

ExFMemResult exfmem_implicit_solved(const LassoDictionary& dict, const torch::Tensor& f,
                                    double mix, const LassoSettings& lasso,
                                    const torch::Tensor& warm_start);

}  // namespace

torch::Tensor exfmem(const LassoDictionary& dict, const torch::Tensor& f, double mix,
                     const LassoSettings& lasso) {
  return exfmem_solved(dict, f, mix, lasso, {}).feature;
}

torch::Tensor exfmem_unrolled(const LassoDictionary& dict, const torch::Tensor& f, double mix,
                              double lambda, int64_t iterations) {
  check_features(dict, f);
  AVR_CHECK(mix >= 0 && mix <= 1, "ExFMem mix must be in [0, 1], got ", mix);
  AVR_CHECK(iterations >= 1, "ExFMem unrolled iterations must be >= 1, got ", iterations);
  AVR_CHECK(std::isfinite(lambda) && lambda >= 0, "ExFMem lambda must be >= 0, got ", lambda);
  const torch::ScalarType type = dict.memory().scalar_type();
  const torch::Tensor G = dict.gram();  // constants: no gradient flows into the bank
  const double L = dict.lipschitz();
  const torch::Tensor b = f.to(type).mm(dict.memory());  // Mᵀf, differentiable in f
  torch::Tensor x = torch::zeros_like(b), y = x;
  double t = 1.0;
  for (int64_t i = 0; i < iterations; ++i) {
    const torch::Tensor x_new = soft_threshold(y - (y.mm(G) - b) / L, lambda / L);
    const double t_new = 0.5 * (1.0 + std::sqrt(1.0 + 4.0 * t * t));
    y = x_new + ((t - 1.0) / t_new) * (x_new - x);
    x = x_new;
    t = t_new;
  }
  const torch::Tensor denoised = x.mm(dict.memory().t()).to(f.scalar_type());
  return mix * denoised + (1.0 - mix) * f;
}

torch::Tensor exfmem_bpda(const LassoDictionary& dict, const torch::Tensor& f, double mix,
                          const LassoSettings& lasso) {
  return exfmem_bpda_solved(dict, f, mix, lasso, {}).feature;
}

torch::Tensor exfmem_implicit(const LassoDictionary& dict, const torch::Tensor& f, double mix,
                              const LassoSettings& lasso) {
  return exfmem_implicit_solved(dict, f, mix, lasso, {}).feature;
}

namespace {

ExFMemResult exfmem_implicit_solved(const LassoDictionary& dict, const torch::Tensor& f,
                                    double mix, const LassoSettings& lasso,
                                    const torch::Tensor& warm_start) {
  check_exfmem_gradient(ExFMemGradient::kImplicit, lasso);
  check_features(dict, f);
  AVR_CHECK(mix >= 0 && mix <= 1, "ExFMem mix must be in [0, 1], got ", mix);
  if (mix == 0) return {f, {}};
  torch::Tensor codes, h, value;
  {
    torch::NoGradGuard no_grad;
    codes = solve_lasso(dict, f.detach(), lasso, warm_start).h;
    h = codes.to(torch::kCPU, torch::kFloat64);
    value = mix * dict.reconstruct(h.to(dict.memory().device())).to(f.scalar_type()) +
            (1.0 - mix) * f.detach();
  }
  if (!f.requires_grad()) return {value, codes};
  // δ = f − f.detach() is zero with f's gradient: value + J δ has value's bits and J's backward.
  const torch::Tensor delta = (f - f.detach()).to(torch::kCPU, torch::kFloat64);
  const torch::Tensor& m = dict.memory_double();
  const torch::Tensor& G = dict.gram_double();
  std::vector<torch::Tensor> rows;
  rows.reserve(static_cast<size_t>(f.size(0)));
  for (int64_t i = 0; i < f.size(0); ++i) {
    const torch::Tensor active = h[i].nonzero().squeeze(1);
    const torch::Tensor di = delta[i].unsqueeze(1);  // [d,1]
    if (active.numel() == 0) {
      rows.push_back(torch::zeros_like(delta[i]) * di.sum());  // keeps the graph connected
      continue;
    }
    const torch::Tensor m_a = m.index_select(1, active);                          // [d,n]
    const torch::Tensor g_aa = G.index_select(0, active).index_select(1, active);  // [n,n]
    auto [chol, info] = torch::linalg_cholesky_ex(g_aa);
    AVR_CHECK(info.item<int64_t>() == 0,
              "ExFMem implicit gradient: the active columns are dependent (G_AA is singular); "
              "the code is not an exact Lasso solution: use the active-set solver");
    const torch::Tensor x = torch::cholesky_solve(m_a.t().mm(di), chol);  // G_AA⁻¹ M_Aᵀ δ
    rows.push_back(m_a.mm(x).squeeze(1));
  }
  const torch::Tensor moved = torch::stack(rows).to(f.device(), f.scalar_type());
  return {value + (1.0 - mix) * (f - f.detach()) + mix * moved, codes};
}

}  // namespace

torch::Tensor exfmem(const LassoDictionary& dict, const torch::Tensor& f, double mix,
                     const LassoSettings& lasso, ExFMemGradient gradient,
                     int64_t unrolled_iterations) {
  switch (gradient) {
    case ExFMemGradient::kNone: return exfmem(dict, f, mix, lasso);
    case ExFMemGradient::kUnrolled:
      return exfmem_unrolled(dict, f, mix, lasso.lambda, unrolled_iterations);
    case ExFMemGradient::kBpda: return exfmem_bpda(dict, f, mix, lasso);
    case ExFMemGradient::kImplicit: return exfmem_implicit(dict, f, mix, lasso);
  }
  AVR_ASSERT(false, "unknown ExFMemGradient");
}

ExFMemResult exfmem_warm(const LassoDictionary& dict, const torch::Tensor& f, double mix,
                         const LassoSettings& lasso, ExFMemGradient gradient,
                         int64_t unrolled_iterations, const torch::Tensor& warm_start) {
  switch (gradient) {
    case ExFMemGradient::kNone: return exfmem_solved(dict, f, mix, lasso, warm_start);
    case ExFMemGradient::kUnrolled:
      return {exfmem_unrolled(dict, f, mix, lasso.lambda, unrolled_iterations), {}};
    case ExFMemGradient::kBpda: return exfmem_bpda_solved(dict, f, mix, lasso, warm_start);
    case ExFMemGradient::kImplicit: return exfmem_implicit_solved(dict, f, mix, lasso, warm_start);
  }
  AVR_ASSERT(false, "unknown ExFMemGradient");
}

ExFMem::ExFMem(const MemoryBank& audio, const MemoryBank& visual, ExFMemSettings settings)
    : settings_(std::move(settings)) {
  settings_.validate();
  AVR_CHECK(audio.defined() && audio.modality() == "audio",
            "ExFMem needs an audio memory bank first, got ",
            audio.defined() ? audio.modality() : std::string("an empty bank"));
  AVR_CHECK(visual.defined() && visual.modality() == "visual",
            "ExFMem needs a visual memory bank second, got ",
            visual.defined() ? visual.modality() : std::string("an empty bank"));
  audio_ = LassoDictionary(audio.matrix());
  visual_ = LassoDictionary(visual.matrix());
}

torch::Tensor ExFMem::audio(const torch::Tensor& f_a, ExFMemGradient gradient) const {
  return exfmem(audio_, f_a, settings_.mix, settings_.audio, gradient, settings_.unrolled_iterations);
}

torch::Tensor ExFMem::visual(const torch::Tensor& f_v, ExFMemGradient gradient) const {
  return exfmem(visual_, f_v, settings_.mix, settings_.visual, gradient, settings_.unrolled_iterations);
}

}  // namespace avr
