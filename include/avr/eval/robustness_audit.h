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
  std::vector<std::string> tables;   // ids of the tables it audits (set by the caller, e.g. the study)
  bool raised() const { return status == "raised"; }
};
void to_json(nlohmann::json& j, const AuditCheck& c);
// Strict: "id" and "status" (passed | raised | not run) are required, the rest default.
void from_json(const nlohmann::json& j, AuditCheck& c);

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

// (3) Raised when, in a report with an AutoAttack row (AttackRow::stages holds "square"),
// Square alone fooled more than `max_fraction` (1 %) of the clips under some threat: clips
// the ensemble's gradient stages and every gradient row of the report (fgsm, pgd, mim, apgd,
// apgd-t) left robust. A gradient-free attack beating gradients suggests masked gradients.
AuditCheck audit_square_finds_missed(const std::vector<LabelledReport>& reports, double max_fraction = 0.01);

// (5) One defended model's white-box row and the same attack transferred from the undefended
// model (adversarial examples made on it, scored on the defended one), on the same clips:
// `report` holds the clip order both rows' per-clip flags follow.
struct TransferComparison {
  std::string label;  // e.g. "MinSim+ExFMem ← Concat"
  RobustnessReport report;
  AttackRow white_box, transfer;
};
// Raised when transfer leaves an accuracy lower than the white-box attack's by more than
// `max_gap` (2 points) under some threat: the white-box attack is not using what it knows.
AuditCheck audit_transfer_beats_white_box(const std::vector<TransferComparison>& comparisons,
                                          double max_gap = 0.02);

// (4) Raised when, at a large budget (the caller's: frames 0.3, waveform 0.5), any threat
// of any report leaves an accuracy above `max_accuracy` (5 %): the attack is bounded or
// broken, or the gradient is masked.
AuditCheck audit_large_eps(const std::vector<LabelledReport>& reports, double max_accuracy = 0.05);

// (6) Raised when a clip's result under some attack and threat differs between `reference`
// and the same evaluation run with other batches (`rebatched`, on a prefix of its clips).
AuditCheck audit_batch_invariance(const LabelledReport& reference, const RobustnessReport& rebatched);

AuditCheck audit_not_run(const std::string& id, const std::string& rule, const std::string& why);

}  // namespace avr
