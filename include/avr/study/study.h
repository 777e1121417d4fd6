// `avr study`: the paper's whole experimental section on one dataset — train
// every model, build the ExFMem banks, run every attack table, sweep and
// figure, check the paper's findings on the numbers, and write results.json,
// CSV/Markdown tables, figures and a self-contained report.html.
//
// Every step is cached by its config under OUT/steps: a re-run skips what is
// done, a killed run resumes (training resumes mid-run from its last epoch),
// and a changed parameter recomputes only the steps that depend on it.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "avr/report/findings.h"
#include "avr/study/study_config.h"

namespace avr {

struct StudyOutputs {
  std::filesystem::path results_json, report_html, tables_dir, figures_dir;
  std::vector<std::string> computed, reused;  // step names
  int findings = 0, findings_holding = 0;
  double seconds = 0;
};

StudyOutputs run_study(const StudyConfig& config, bool show_progress = true);

// The paper's findings decided on a study's results.json (each by the rule its
// evidence states); parts the results lack are skipped.
std::vector<Finding> check_findings(const nlohmann::json& results);

}  // namespace avr
