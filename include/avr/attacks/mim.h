// MIM / MI-FGSM (Dong et al. CVPR 2018): signed steps along an accumulated
// gradient g ← μ·g + ∇/‖∇‖₁ (L1 norm per sample and per modality), projected onto
// the eps ball ∩ valid range after every step. Defaults: 10 steps of eps/8, μ = 1.
#pragma once

#include <cstdint>

#include "avr/attacks/attack.h"

namespace avr {

struct MimSettings {
  int steps = 10;
  double step_size = 0.125;   // fraction of eps per step
  double decay = 1.0;         // μ, the momentum decay
  bool random_start = false;  // not part of MI-FGSM; offered for symmetry with PGD
  uint64_t seed = 0;
  void validate() const;
};
void to_json(nlohmann::json& j, const MimSettings& s);
void from_json(const nlohmann::json& j, MimSettings& s);

class Mim : public Attack {
 public:
  explicit Mim(MimSettings settings = {});
  std::string name() const override { return "mim"; }
  nlohmann::json settings_json() const override;

 protected:
  AttackResult perturb(const ObjectiveFn& objective, const detail::AttackProblem& problem) override;

 private:
  MimSettings settings_;
};

}  // namespace avr
