// A trained model as the evaluation sees it: its training loss (the objective
// an attacker maximizes) and, optionally, the ExFMem defense applied between
// the encoders and the classifier (paper Sec. 3.3.2).
#pragma once

#include <memory>
#include <string>

#include "avr/attacks/objective.h"
#include "avr/defenses/exfmem.h"
#include "avr/models/av_model.h"

namespace avr {

struct DefendedModel {
  AvModel model{nullptr};
  std::string loss = "ce";               // ce | minsim | maxsim | pcl (pcl attacks CE)
  std::shared_ptr<const ExFMem> exfmem;  // null: no feature-memory defense

  // Features after the defense (if any), with `gradient` deciding what
  // autograd sees through ExFMem.
  Features defend(Features f, ExFMemGradient gradient) const;
  // Logits with the defense applied (exact ExFMem, no gradient through it).
  torch::Tensor logits(const torch::Tensor& audio, const torch::Tensor& frames) const;
};

// The attack objective for one batch. `through_defense` false attacks the bare
// network (the paper's protocol: the defense is applied afterwards); true
// differentiates through ExFMem with `gradient` (unrolled FISTA or BPDA), the
// adaptive attacker. The unattacked modality's feature is computed once and
// reused while the attack passes that modality's clean tensor back.
ObjectiveFn batch_objective(const DefendedModel& m, const torch::Tensor& clean_audio,
                            const torch::Tensor& clean_frames, bool through_defense,
                            ExFMemGradient gradient);

}  // namespace avr
