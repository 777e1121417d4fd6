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

  // A clean batch with its defended features, kept to score adversarial
  // versions of it: with ExFMem each branch costs a Lasso solve per clip, and
  // ✗A/✗V leave one branch's input unchanged.
  struct CleanBatch {
    torch::Tensor audio, frames;
    Features defended;
  };
  CleanBatch defend_clean(const torch::Tensor& audio, const torch::Tensor& frames) const;
  torch::Tensor logits(const CleanBatch& clean) const;
  // The same as logits(adv_audio, adv_frames), reusing the clean batch's
  // defended feature for a branch whose input equals the clean one.
  torch::Tensor logits(const CleanBatch& clean, const torch::Tensor& adv_audio,
                       const torch::Tensor& adv_frames) const;
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
