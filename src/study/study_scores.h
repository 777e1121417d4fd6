// Reading a robustness report as the paper's four numbers (internal).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "avr/defenses/robustness_index.h"
#include "avr/eval/robustness.h"
#include "avr/models/model_config.h"

namespace avr::study {

// ✓AV/✗A/✗V/✗AV in percent for one attack of a report; a unimodal model's
// unattacked input keeps its clean accuracy, as in the paper's defense tables.
RobustnessScores scores_of(const RobustnessReport& report, const std::string& attack, ModelKind model_kind);
// The same four numbers for the per-clip worst case over every row of `reports` (same
// clips; eval/worst_case.h); `detail` (optional) receives the WorstCase as JSON.
RobustnessScores worst_case_scores(const std::vector<RobustnessReport>& reports,
                                   ModelKind model_kind, nlohmann::json* detail = nullptr);

// "0.006" → "0p006", for step names.
std::string eps_tag(double eps);

}  // namespace avr::study
