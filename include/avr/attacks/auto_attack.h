// AutoAttack for two inputs (Croce & Hein, ICML 2020, "standard" version without FAB-T):
// APGD-CE, then APGD-T (targeted DLR) and then Square (score-based, black-box), each run
// only on the samples that every earlier stage left correctly classified, so a sample
// counts as robust only if all of them failed: its robust accuracy is the per-sample worst
// case of the ensemble at roughly the cost of its first stage. The threat model is avr's:
// per-modality L∞ budgets on the waveform and the frames (✗A, ✗V, ✗AV), in pixel or
// normalized units. Stages are avr's own attacks (apgd.h, apgd_targeted.h, square.h),
// run with the same seed, so a sample's stage-k result equals what that attack alone gives
// it (same per-clip random stream), whatever else is in the batch.
//
// What counts as "fooled" between stages is the objective's own logits (the attacked
// network; for the paper's ExFMem protocol the bare network, the defense is applied by the
// caller afterwards). Later stages see the still-robust subset of the batch and call the
// objective with those samples' rows of the batch (objective.h), so an objective that keeps
// per-sample state (the clean branch, ExFMem's warm-start codes) goes on using it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "avr/attacks/attack.h"

namespace avr {

struct AutoAttackSettings {
  // Stages in order, from apgd | apgd-t | square (AutoAttack "standard": all three, FAB-T
  // is not implemented). A subset runs a smaller ensemble, e.g. {apgd, apgd-t}: gradients only.
  std::vector<std::string> stages = {"apgd", "apgd-t", "square"};
  int steps = 100;              // APGD-CE iterations, and APGD-T's per target (AutoAttack: 100)
  int targets = 9;              // APGD-T target classes (AutoAttack: 9)
  int square_queries = 5000;    // Square's query budget per sample (AutoAttack: 5000)
  double square_p_init = 0.8;   // Square's initial fraction of the input changed (AutoAttack: 0.8)
  uint64_t seed = 0;
  void validate() const;
  // The settings make_attack gets for stage `name`.
  nlohmann::json stage_settings(const std::string& name) const;
};
void to_json(nlohmann::json& j, const AutoAttackSettings& s);
// Missing keys keep the defaults above; unknown keys and invalid values are errors.
void from_json(const nlohmann::json& j, AutoAttackSettings& s);

// Returns, per sample, the first stage's result that fools the objective; a sample no stage
// fooled gets the first stage's result (APGD-CE's highest-loss point: the most damaging
// candidate for a defense applied afterwards). AttackResult::stages/fooled_at say which
// stage fooled each sample ("clean": misclassified before any attack, never attacked).
class AutoAttack : public Attack {
 public:
  explicit AutoAttack(AutoAttackSettings settings = {});
  std::string name() const override { return "autoattack"; }
  nlohmann::json settings_json() const override;

 protected:
  AttackResult perturb(const ObjectiveFn& objective, const detail::AttackProblem& problem) override;

 private:
  AutoAttackSettings settings_;
  std::vector<std::unique_ptr<Attack>> stages_;
};

}  // namespace avr
