// PGD (Madry et al. 2018): repeated signed-gradient steps, each followed by the
// projection onto the eps ball around the clean input ∩ the valid range.
// Defaults are the original's: 10 steps of eps/8, no random start.
#pragma once

#include <cstdint>

#include "avr/attacks/attack.h"

namespace avr {

struct PgdSettings {
  int steps = 10;
  double step_size = 0.125;   // fraction of eps per step (the original: eps/8)
  bool random_start = false;  // uniform start in the eps ball (Madry et al.)
  uint64_t seed = 0;          // for the random start
  void validate() const;
};
// The step (fraction of eps) for PGD with a random start: Madry et al.'s 2.5/steps.
// From a start near −eps a coordinate must travel 2·eps to reach +eps; the
// original's 10 steps of eps/8 (1.25·eps in all) cannot, so with eps/8 a random
// start is no stronger than FGSM on ✗AV.
double pgd_random_start_step(int steps);

void to_json(nlohmann::json& j, const PgdSettings& s);
void from_json(const nlohmann::json& j, PgdSettings& s);

class Pgd : public Attack {
 public:
  explicit Pgd(PgdSettings settings = {});
  std::string name() const override { return "pgd"; }
  nlohmann::json settings_json() const override;

 protected:
  AttackResult perturb(const ObjectiveFn& objective, const detail::AttackProblem& problem) override;

 private:
  PgdSettings settings_;
};

}  // namespace avr
