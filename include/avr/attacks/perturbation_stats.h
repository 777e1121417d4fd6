// Size of a perturbation per sample and modality (L∞ and L2 in raw units), for
// tests and for the reports written next to attack results.
#pragma once

#include <torch/types.h>

#include <nlohmann/json.hpp>

namespace avr {

struct ModalityPerturbation {
  torch::Tensor linf;  // [B] max |adv - clean| over the sample
  torch::Tensor l2;    // [B] ‖adv - clean‖₂ over the sample
  double max_linf() const;
  double mean_l2() const;
};

struct PerturbationStats {
  ModalityPerturbation audio, visual;
  // {"audio": {"max_linf", "mean_linf", "mean_l2"}, "visual": {...}}
  nlohmann::json summary() const;
};

ModalityPerturbation modality_perturbation(const torch::Tensor& clean, const torch::Tensor& adv);
PerturbationStats perturbation_stats(const torch::Tensor& clean_audio, const torch::Tensor& clean_frames,
                                     const torch::Tensor& adv_audio, const torch::Tensor& adv_frames);

}  // namespace avr
