#include "avr/attacks/perturbation_stats.h"

#include <torch/torch.h>

#include "avr/core/error.h"

namespace avr {

double ModalityPerturbation::max_linf() const { return linf.numel() ? linf.max().item<double>() : 0.0; }
double ModalityPerturbation::mean_l2() const { return l2.numel() ? l2.mean().item<double>() : 0.0; }

ModalityPerturbation modality_perturbation(const torch::Tensor& clean, const torch::Tensor& adv) {
  AVR_CHECK(clean.sizes() == adv.sizes(), "perturbation_stats: clean ", clean.sizes(), " and adversarial ",
            adv.sizes(), " shapes differ");
  AVR_CHECK(clean.dim() >= 1, "perturbation_stats: inputs need a batch dimension");
  torch::NoGradGuard no_grad;
  // Double precision: the budgets are ~1e-3 and the sums run over 65535 samples.
  auto d = (adv.detach().to(torch::kFloat64) - clean.detach().to(torch::kFloat64)).reshape({clean.size(0), -1});
  ModalityPerturbation m;
  if (d.size(1) == 0) {
    m.linf = m.l2 = torch::zeros({clean.size(0)}, torch::kFloat64);
    return m;
  }
  m.linf = d.abs().amax(1).cpu();
  m.l2 = d.norm(2, 1).cpu();
  return m;
}

PerturbationStats perturbation_stats(const torch::Tensor& clean_audio, const torch::Tensor& clean_frames,
                                     const torch::Tensor& adv_audio, const torch::Tensor& adv_frames) {
  return {modality_perturbation(clean_audio, adv_audio), modality_perturbation(clean_frames, adv_frames)};
}

nlohmann::json PerturbationStats::summary() const {
  auto one = [](const ModalityPerturbation& m) {
    return nlohmann::json{{"max_linf", m.max_linf()},
                          {"mean_linf", m.linf.numel() ? m.linf.mean().item<double>() : 0.0},
                          {"mean_l2", m.mean_l2()}};
  };
  return {{"audio", one(audio)}, {"visual", one(visual)}};
}

}  // namespace avr
