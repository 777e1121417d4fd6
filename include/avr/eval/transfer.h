// Transfer attack (Papernot et al. 2016; the check of Carlini et al. 2019, Sec. 5.2.2): the
// adversarial examples of a white-box attack on a `source` model — normally the undefended
// one — scored on a `target` model (a defense). On a defended model a transfer attack that
// beats the white-box one means the white-box attacker is not using what it knows (gradient
// masking, or an objective that misses the defense): audit flag 5 (robustness_audit.h).
#pragma once

#include "avr/eval/robustness.h"

namespace avr {

// Runs `settings` (attacks, threats, ε, seeds, clips) white-box on `source`, exactly as
// evaluate_robustness does (same per-clip random streams), and scores every adversarial
// example on `target` (with its defense, if any). The report is the target's: its clean
// accuracy and per-clip flags, one row per attack named "<attack> (transfer)". Both models
// must take the same inputs (image size, audio length) and classes; a mismatch is an error.
RobustnessReport evaluate_transfer(const DefendedModel& source, const DefendedModel& target,
                                   const AvDataset& dataset, const ClipSettings& clip,
                                   const RobustnessSettings& settings, const torch::Device& device,
                                   bool show_progress = true);

}  // namespace avr
