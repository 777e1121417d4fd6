// What the study's steps share while it runs (internal to src/study).
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/types.h>

#include "avr/data/dataset.h"
#include "avr/defenses/exfmem.h"
#include "avr/dist/process_group.h"
#include "avr/defenses/memory_bank.h"
#include "avr/eval/robustness.h"
#include "avr/eval/robustness_audit.h"
#include "avr/report/table.h"
#include "avr/study/step_cache.h"
#include "avr/study/study_config.h"

namespace avr::study {

// A trained model of the study: where its checkpoint is and the key of the
// step that trained it (downstream steps include the key in their configs).
struct TrainedModel {
  std::string name, title;
  std::filesystem::path checkpoint;
  std::string key;
  nlohmann::json result;  // the trainer's accuracies and timings
};

// Which ranks of a distributed study compute a step (run_step).
enum class StepRanks {
  Shared,  // every rank computes its share (training: data parallel; attacks: clips sharded)
  Root,    // rank 0 computes; the others wait and then read its record
};

struct StudyContext {
  StudyConfig config;
  DatasetSpec spec;  // resolved
  torch::Device device = torch::kCPU;
  StepCache cache;
  std::map<std::string, TrainedModel> models;
  nlohmann::json results = nlohmann::json::object();  // becomes results.json
  // The robustness steps run so far (robustness_step, transfer_step): step name → report, as
  // results.json's "robustness"/<step>/"report", for the later steps that combine them.
  std::map<std::string, RobustnessReport> reports;
  std::vector<std::string> computed, reused;           // step names, for the summary
  bool progress = true;
  // Audit checks computed by the steps that have what they need (AutoAttack's Square check),
  // collected by robustness_audit.
  std::vector<AuditCheck> audit_checks;
  // The ranks of a distributed study (null: one process). Every rank runs the
  // study's code in lockstep over one output folder that all of them read
  // (one machine, or a shared file system): run_step decides on rank 0 whether
  // a step is cached, the ranks compute it together (StepRanks::Shared) or rank
  // 0 alone (Root), rank 0 stores the record, and every other rank then reads
  // that record, so all ranks hold the same results and take the same
  // decisions after it. Only rank 0 writes into the output folder.
  dist::ProcessGroup* group = nullptr;

  StudyContext(StudyConfig c, DatasetSpec s, torch::Device d)
      : config(std::move(c)), spec(std::move(s)), device(d), cache(config.out / "steps") {}

  bool is_root() const { return !group || group->is_root(); }
  bool distributed() const { return group && group->distributed(); }
  // Waits for every rank (nothing for one process).
  void barrier() const;
  // Rank 0's `value` on every rank.
  bool root_says(bool value) const;
  // The cached result of step `name` for `config`, or `compute`'s (then stored
  // and noted in computed/reused). `check` looks at a cached result before it
  // is reused ("" when it may be) and runs on rank 0 only; see `group` for how
  // the ranks share the work.
  nlohmann::json run_step(const std::string& name, const nlohmann::json& config,
                          const std::function<nlohmann::json()>& compute, StepRanks ranks,
                          const std::function<std::string(const nlohmann::json&)>& check = {});
  // OUT/tables/<id>.{md,csv} (rank 0 only).
  void write_table(const std::string& id, const Table& table);

  const TrainedModel& model(const std::string& name) const;
  std::filesystem::path dir(const std::string& sub) const;  // OUT/sub, created
  void note_step(const std::string& name, bool ran);
  // ExFMem as the config sets it: the banks, and mix + Lasso per modality.
  MemoryBankSettings bank_settings() const;
  ExFMemSettings exfmem_settings() const;
  // The settings of one robustness table (limit, batch, seed, space).
  RobustnessSettings robustness_settings(std::vector<std::string> attacks, double eps_single,
                                         double eps_both) const;
};

// Runs (or reuses) `evaluate_robustness` for one model, optionally behind ExFMem and,
// with `through` set, with an attacker that differentiates through it (BPDA, the implicit
// derivative, unrolled FISTA); empty: the paper's protocol (attack the network). The
// report's JSON also goes into results.json under "robustness"/`step`.
RobustnessReport robustness_step(StudyContext& ctx, const std::string& step, const std::string& model,
                               const RobustnessSettings& settings, bool exfmem,
                               const ThroughDefense& through = std::nullopt);

// Runs (or reuses) `evaluate_transfer`: `settings`' attacks white-box on `source`, their
// adversarial examples scored on `target` (behind ExFMem when `exfmem`).
RobustnessReport transfer_step(StudyContext& ctx, const std::string& step, const std::string& source,
                             const std::string& target, const RobustnessSettings& settings, bool exfmem);

}  // namespace avr::study
