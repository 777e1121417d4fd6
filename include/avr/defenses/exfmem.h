// ExFMem, the external feature memory defense (paper Sec. 3.3.2, Eq. 4): a feature f is
// replaced by mix·M h + (1 − mix)·f, with h its Lasso code over a bank M of clean training
// features. Works on [B,d] features, between an encoder and the classifier.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "avr/defenses/lasso.h"
#include "avr/defenses/memory_bank.h"

namespace avr {

// What autograd sees through ExFMem (an adaptive attacker needs one of the last three).
enum class ExFMemGradient {
  kNone,      // exact solve, h a constant: gradients reach f only through (1 − mix)·f
  kUnrolled,  // a fixed number of FISTA iterations from h = 0, recorded by autograd
  kBpda,      // forward = exact ExFMem, backward = identity (Athalye et al. 2018)
  // forward = exact ExFMem; backward = the exact solution's own derivative. On the active set
  // A (h_A ≠ 0, signs s_A, locally constant) the optimum is h_A = G_AA⁻¹(M_Aᵀf − λ s_A), so
  // dh/df = G_AA⁻¹M_Aᵀ and d(M h)/df = M_A G_AA⁻¹ M_Aᵀ, the projection onto the active
  // columns' span. Needs a solve to the optimum (the active-set solver).
  kImplicit,
};

std::string to_string(ExFMemGradient gradient);
ExFMemGradient parse_exfmem_gradient(const std::string& name);  // "none", "unrolled", "bpda", "implicit"

// Throws when `gradient` cannot be taken through a Lasso solved by `lasso`: kImplicit is the
// derivative of the exact solution, so only the active-set solver (which stops at a certified
// duality gap with the exact support) qualifies; ISTA, FISTA and CD stop short of the optimum,
// where that derivative is not the map's. The message names --exfmem-solver and --adaptive.
void check_exfmem_gradient(ExFMemGradient gradient, const LassoSettings& lasso);

struct ExFMemSettings {
  double mix = 0.5;  // weight of M h; the original uses 0.5, and 0.6 for Kinetics-Sounds
  LassoSettings audio;   // Lasso for the audio bank (λ = 0.1, active set by default)
  LassoSettings visual;  // Lasso for the visual bank
  // When an attacker asks for ExFMemGradient::kUnrolled: the FISTA iterations kept in the
  // graph (memory grows linearly with them). Which gradient an attacker takes is the
  // attacker's choice, not the defense's: RobustnessSettings::through_defense.
  int64_t unrolled_iterations = 100;

  void validate() const;
};

void to_json(nlohmann::json& j, const ExFMemSettings& s);
void from_json(const nlohmann::json& j, ExFMemSettings& s);

// The original's mix for a dataset ("music", "ave": 0.5; "kinetics": 0.6).
double original_exfmem_mix(const std::string& dataset);
// The mix a run on `dataset` uses unless told otherwise: the original's for its datasets,
// ExFMemSettings' default (0.5) for any other (embedded, extracted).
double default_exfmem_mix(const std::string& dataset);
// The original's fixed-step ISTA for "music" or "ave" and "audio" or "visual" (steps
// 1e-6/6e-6 and 7e-7/2e-6, stop at ‖h − h′‖ < 8e-4 or 2000 iterations, λ = 0.1). The
// original's Kinetics-Sounds steps are not known: asking for them is an error.
LassoSettings original_ista_settings(const std::string& dataset, const std::string& modality);

// mix·M h + (1 − mix)·f with h solved to the settings' tolerance; h is a constant to autograd.
torch::Tensor exfmem(const LassoDictionary& dict, const torch::Tensor& f, double mix,
                     const LassoSettings& lasso);
// The same map with h from `iterations` plain FISTA steps (from h = 0, no restart), all in
// autograd, so gradients are those of the unrolled computation.
torch::Tensor exfmem_unrolled(const LassoDictionary& dict, const torch::Tensor& f, double mix,
                              double lambda, int64_t iterations);
// Forward: exfmem(); backward: identity (f + (exfmem(f) − f).detach()).
torch::Tensor exfmem_bpda(const LassoDictionary& dict, const torch::Tensor& f, double mix,
                          const LassoSettings& lasso);
// Forward: exfmem(); backward: the implicit-function derivative on the active set (above),
// built from autograd-friendly ops (a Cholesky solve with G_AA per clip, in double).
torch::Tensor exfmem_implicit(const LassoDictionary& dict, const torch::Tensor& f, double mix,
                              const LassoSettings& lasso);
// Dispatches on `gradient`.
torch::Tensor exfmem(const LassoDictionary& dict, const torch::Tensor& f, double mix,
                     const LassoSettings& lasso, ExFMemGradient gradient,
                     int64_t unrolled_iterations);

// ExFMem with a warm start, returning the codes too (to warm-start the next solve of a nearly
// equal feature: the same clip after an attack step). `warm_start` [B,k] (optional) starts the
// Lasso of row i at warm_start[i]: give each row its own clip's earlier code, and its result
// depends only on that clip. Only the exact gradients (kNone, kBpda, kImplicit) solve; kUnrolled
// keeps its fixed FISTA chain from h = 0 and ignores `warm_start`.
// Warm and cold solves both stop at a certified duality gap ≤ tol·P(h) (tol = 1e-6 by default),
// but at different points of that set: the codes and the defended feature may differ from a
// cold solve's within the certificate's tolerance (not to the bit).
struct ExFMemResult {
  torch::Tensor feature;  // [B,d]: the same map as exfmem(dict, f, mix, lasso, gradient, ...)
  // [B,k] the Lasso codes, detached, as the solver returns them (double for the active set);
  // undefined when no solve ran (mix = 0, or kUnrolled).
  torch::Tensor codes;
};
ExFMemResult exfmem_warm(const LassoDictionary& dict, const torch::Tensor& f, double mix,
                         const LassoSettings& lasso, ExFMemGradient gradient,
                         int64_t unrolled_iterations, const torch::Tensor& warm_start = {});

// The defense for an audio-visual model: one dictionary per modality, built once.
class ExFMem {
 public:
  ExFMem(const MemoryBank& audio, const MemoryBank& visual, ExFMemSettings settings = {});

  // [B,d] → [B,d], exact, with `gradient` deciding what autograd sees through it.
  torch::Tensor audio(const torch::Tensor& f_a,
                      ExFMemGradient gradient = ExFMemGradient::kNone) const;
  torch::Tensor visual(const torch::Tensor& f_v,
                       ExFMemGradient gradient = ExFMemGradient::kNone) const;

  const ExFMemSettings& settings() const { return settings_; }
  const LassoDictionary& audio_dictionary() const { return audio_; }
  const LassoDictionary& visual_dictionary() const { return visual_; }

 private:
  ExFMemSettings settings_;
  LassoDictionary audio_, visual_;
};

}  // namespace avr
