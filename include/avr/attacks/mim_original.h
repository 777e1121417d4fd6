// COMPATIBILITY ONLY: the MIM of the authors' released code, reproduced to
// explain the paper's MIM numbers — do not use it to measure robustness.
// It differs from MI-FGSM (see Mim) in two ways (shared/ORIGINAL.md, "Attacks"):
//  1. the gradient is divided by the L1 norm of the whole batch's gradient,
//     so a clip's step depends on the other clips in its batch;
//  2. its "projection" compares the adversarial input with itself, not with the
//     clean input: with lower bound lo it computes min(max(x, max(x-eps, lo)), x+eps),
//     which only raises values below lo by up to eps. Nothing bounds the
//     perturbation: audio drifts up to steps·step = 1.25·eps, and with
//     EpsSpace::Normalized every frame value darker than the ImageNet mean
//     (below 0 once normalized) is raised by up to eps on every step.
// Afterwards it clamps to the valid range as the original does.
#pragma once

#include "avr/attacks/attack.h"

namespace avr {

struct MimOriginalSettings {
  int steps = 10;
  double step_size = 0.125;  // fraction of eps per step
  double decay = 1.0;
  void validate() const;
};
void to_json(nlohmann::json& j, const MimOriginalSettings& s);
void from_json(const nlohmann::json& j, MimOriginalSettings& s);

class MimOriginal : public Attack {
 public:
  explicit MimOriginal(MimOriginalSettings settings = {});
  std::string name() const override { return "mim_original"; }
  nlohmann::json settings_json() const override;

 protected:
  AttackResult perturb(const ObjectiveFn& objective, const detail::AttackProblem& problem) override;

 private:
  MimOriginalSettings settings_;
};

}  // namespace avr
