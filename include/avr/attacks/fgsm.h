// FGSM (Goodfellow et al. 2015; paper Sec. 4.2): one step of the full budget,
// x_adv = clip(x + eps · sign(∇_x L)), on each attacked modality.
#pragma once

#include "avr/attacks/attack.h"

namespace avr {

// FGSM has no tunables; the struct exists so every attack writes its settings.
struct FgsmSettings {
  void validate() const {}
};
void to_json(nlohmann::json& j, const FgsmSettings& s);
void from_json(const nlohmann::json& j, FgsmSettings& s);

class Fgsm : public Attack {
 public:
  explicit Fgsm(FgsmSettings settings = {}) : settings_(settings) { settings_.validate(); }
  std::string name() const override { return "fgsm"; }
  nlohmann::json settings_json() const override;

 protected:
  AttackResult perturb(const ObjectiveFn& objective, const detail::AttackProblem& problem) override;

 private:
  FgsmSettings settings_;
};

}  // namespace avr
