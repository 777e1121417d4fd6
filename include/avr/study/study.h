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

#include "avr/dist/process_group.h"
#include "avr/report/findings.h"
#include "avr/study/study_config.h"

namespace avr {

struct StudyOutputs {
  std::filesystem::path results_json, report_html, tables_dir, figures_dir;
  std::vector<std::string> computed, reused;  // step names
  int findings = 0, findings_holding = 0;
  double seconds = 0;
};

// With `group` (ranks of a distributed run: `avr study --nproc N` or torchrun),
// every rank calls run_study with the same config and output folder, which all
// of them must read (one machine or shared storage): training is data parallel,
// every attack table shards its clips over the ranks (tables equal one
// process's bit for bit), the other steps run on rank 0 while the others wait,
// and rank 0 alone writes results, tables, figures and the report. The cache is
// shared: a study resumes on any number of ranks. Collectives wait at most
// AVR_DIST_TIMEOUT seconds (default 1800), which must exceed the longest work
// rank 0 does alone (generating the embedded dataset on first use, localization,
// t-SNE). BatchNorm normalizes each rank's
// share of a batch (as DistributedDataParallel), so models trained on several
// ranks differ from one process's (README, "Scale-out").
StudyOutputs run_study(const StudyConfig& config, bool show_progress = true,
                       dist::ProcessGroup* group = nullptr);

// The paper's findings decided on a study's results.json (each by the rule its
// evidence states); parts the results lack are skipped.
std::vector<Finding> check_findings(const nlohmann::json& results);

}  // namespace avr
