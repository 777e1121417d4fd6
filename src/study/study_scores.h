// Reading a robustness report as the paper's four numbers (internal).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "avr/defenses/robustness_index.h"

namespace avr::study {

// ✓AV/✗A/✗V/✗AV in percent for one attack of a report; a unimodal model's
// unattacked input keeps its clean accuracy, as in the paper's defense tables.
RobustnessScores scores_of(const nlohmann::json& report, const std::string& attack,
                           const std::string& model_kind);

// "0.006" → "0p006", for step names.
std::string eps_tag(double eps);

}  // namespace avr::study
