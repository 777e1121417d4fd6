// The L∞ budget of a ✗A / ✗V / ✗AV evaluation (paper Sec. 3.1, Eq. 1): one ε for
// an attack on a single modality, one ε on each input when both are attacked,
// both in one eps space. The one place the evaluations (robustness, localization,
// embeddings, the study) turn "which modality" into a ThreatModel.
#pragma once

#include <nlohmann/json.hpp>

#include "avr/attacks/threat_model.h"

namespace avr {

struct AttackBudget {
  EpsSpace space = EpsSpace::Pixel;
  double eps_single = kPaperEpsSingle;  // ✗A and ✗V
  double eps_both = kPaperEpsBoth;      // ✗AV, on each modality

  // ε_a = ε_v = eps (the eps sweep's points, Tables 2, 3 and 6).
  static AttackBudget uniform(double eps, EpsSpace space = EpsSpace::Pixel) { return {space, eps, eps}; }

  // eps_both for ✗AV, eps_single otherwise, on the attacked inputs only
  // (ThreatModel::single_eps). Throws what ThreatModel::validate throws.
  ThreatModel threat(Modality m) const;
  // Both ε finite and ≥ 0 (an avr::Error naming --eps / --eps-both otherwise).
  void validate() const;
};

// {"eps_space": "pixel", "eps_single": 0.012, "eps_both": 0.006}: the keys the
// settings of every evaluation have always written, so results and the study's
// step-cache keys read the same; settings objects merge these keys into their own
// (j.update(budget)). from_json reads an object of these keys (a missing one keeps
// its default, any other key is an avr::Error) and validates the budget.
void to_json(nlohmann::json& j, const AttackBudget& b);
void from_json(const nlohmann::json& j, AttackBudget& b);

}  // namespace avr
