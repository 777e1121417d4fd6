// The paper's defense metrics (Sec. 4.5): Avg = (✗A + ✗V + ✗AV)/3 over the three attacked
// runs, and the relative improvement RI = (✓AV_m + Avg_m) − (✓AV_none + Avg_none), which
// penalizes a defense that buys robustness with clean accuracy (modality bias).
#pragma once

#include <nlohmann/json.hpp>

namespace avr {

// Accuracies in percent, [0, 100], of one model under the paper's four runs.
struct RobustnessScores {
  double clean = 0;          // ✓AV: no attack
  double attack_audio = 0;   // ✗A: audio attacked, frames clean
  double attack_visual = 0;  // ✗V: frames attacked, audio clean
  double attack_both = 0;    // ✗AV: both attacked

  double avg() const;  // (✗A + ✗V + ✗AV) / 3
  void validate() const;
};

void to_json(nlohmann::json& j, const RobustnessScores& s);
void from_json(const nlohmann::json& j, RobustnessScores& s);

double attack_average(double attack_audio, double attack_visual, double attack_both);
// RI of `method` against the undefended base model `none` (percentage points).
double relative_improvement(const RobustnessScores& method, const RobustnessScores& none);

}  // namespace avr
