// APGD-CE (Croce & Hein, ICML 2020, Alg. 1): PGD without a step-size parameter.
// Steps start at 2·eps and are halved at checkpoints where the loss oscillated
// or the best loss stopped improving (restarting from the best point), with
// momentum 0.75. Both modalities share one step-size schedule per sample
// (the loss is joint); each keeps its own eps.
#pragma once

#include <cstdint>

#include "avr/attacks/attack.h"

namespace avr {

struct ApgdSettings {
  int steps = 100;             // N_iter
  double initial_step = 2.0;   // η⁽⁰⁾ as a fraction of eps
  double momentum = 0.75;      // α: weight of the new step against the previous one
  double rho = 0.75;           // ρ: a checkpoint halves the step if ≤ ρ of its steps raised the loss
  bool random_start = true;    // the reference starts at x + eps·u/‖u‖∞, u ~ U(-1, 1)
  uint64_t seed = 0;
  void validate() const;
};
void to_json(nlohmann::json& j, const ApgdSettings& s);
void from_json(const nlohmann::json& j, ApgdSettings& s);

// Returns, per sample, the highest-loss iterate that is misclassified if any
// iterate was, else the highest-loss iterate (the reference returns the last
// misclassified one or the clean input; any misclassified point counts the same
// for accuracy, and the highest loss also suits loss-based comparisons).
class Apgd : public Attack {
 public:
  explicit Apgd(ApgdSettings settings = {});
  std::string name() const override { return "apgd"; }
  nlohmann::json settings_json() const override;

 protected:
  AttackResult perturb(const ObjectiveFn& objective, const detail::AttackProblem& problem) override;

 private:
  ApgdSettings settings_;
};

}  // namespace avr
