#include "avr/attacks/attack_budget.h"

#include <cmath>

#include "avr/core/error.h"
#include "avr/core/json_fields.h"

namespace avr {

ThreatModel AttackBudget::threat(Modality m) const {
  return ThreatModel::single_eps(m, m == Modality::AudioVisual ? eps_both : eps_single, space);
}

void AttackBudget::validate() const {
  AVR_CHECK(std::isfinite(eps_single) && eps_single >= 0 && std::isfinite(eps_both) && eps_both >= 0,
            "eps must be ≥ 0 (--eps, --eps-both), got ", eps_single, " and ", eps_both);
}

void to_json(nlohmann::json& j, const AttackBudget& b) {
  j = {{"eps_space", to_string(b.space)}, {"eps_single", b.eps_single}, {"eps_both", b.eps_both}};
}

void from_json(const nlohmann::json& j, AttackBudget& b) {
  AttackBudget out = b;
  JsonFields f(j, "attack budget");
  f.read_as("eps_space", out.space, parse_eps_space);
  f.read("eps_single", out.eps_single);
  f.read("eps_both", out.eps_both);
  f.finish();
  out.validate();
  b = out;
}

}  // namespace avr
