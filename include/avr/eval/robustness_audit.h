// A trust audit of robustness results: checks that an evaluation is not fooled by a weak
// or broken attack or by gradient masking (Carlini et al. 2019, "On Evaluating Adversarial
// Robustness"; Athalye et al., ICML 2018). Every rule is fixed here, before any number is
// seen; a check is "passed", "raised" (naming the rows, threats and clips) or "not run"
// (saying why). A clean audit is evidence too, so passed checks are reported as well.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "avr/eval/robustness.h"

namespace avr {

struct AuditCheck {
  std::string id;      // e.g. "iterative-weaker-than-fgsm"
  std::string rule;    // the decision rule, in words
  std::string status;  // "passed" | "raised" | "not run"
  std::vector<std::string> details;  // one line per raised instance (or why not run)
  int64_t cases = 0;                 // how many comparisons the check made
  bool raised() const { return status == "raised"; }
};
void to_json(nlohmann::json& j, const AuditCheck& c);

// A labelled report ("Table 1 / Concat", "Table 3+6 / MinSim", …).
using LabelledReport = std::pair<std::string, RobustnessReport>;

// (1) Raised when an iterative attack (every row but "fgsm") leaves a higher accuracy than
// FGSM under the same threat on the same clips: a multi-step attack from the same start
// should fool at least what one step fools. Lists the clips FGSM fooled and it did not.
// Reports without an fgsm row (or with per-clip results missing) are skipped.
AuditCheck audit_iterative_vs_fgsm(const std::vector<LabelledReport>& reports);

// One accuracy-vs-ε curve of a sweep: ε increasing, accuracy as a fraction or percent.
struct SweepCurve {
  std::string label;  // e.g. "pgd / Concat / ✗V"
  std::vector<double> eps, accuracy;
};
// (2) Raised when a curve's accuracy rises from one ε to the next larger one.
AuditCheck audit_monotone_in_eps(const std::vector<SweepCurve>& curves);

// (4) Raised when, at a large budget (the caller's: frames 0.3, waveform 0.5), any threat
// of any report leaves an accuracy above `max_accuracy` (5 %): the attack is bounded or
// broken, or the gradient is masked.
AuditCheck audit_large_eps(const std::vector<LabelledReport>& reports, double max_accuracy = 0.05);

// (6) Raised when a clip's result under some attack and threat differs between `reference`
// and the same evaluation run with other batches (`rebatched`, on a prefix of its clips).
AuditCheck audit_batch_invariance(const LabelledReport& reference, const RobustnessReport& rebatched);

AuditCheck audit_not_run(const std::string& id, const std::string& rule, const std::string& why);

}  // namespace avr
