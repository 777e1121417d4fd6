// What the study's steps share while it runs (internal to src/study).
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/types.h>

#include "avr/data/dataset.h"
#include "avr/defenses/exfmem.h"
#include "avr/defenses/memory_bank.h"
#include "avr/eval/robustness.h"
#include "avr/eval/robustness_audit.h"
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

struct StudyContext {
  StudyConfig config;
  DatasetSpec spec;  // resolved
  torch::Device device = torch::kCPU;
  StepCache cache;
  std::map<std::string, TrainedModel> models;
  nlohmann::json results = nlohmann::json::object();  // becomes results.json
  std::vector<std::string> computed, reused;           // step names, for the summary
  bool progress = true;
  // Audit checks computed by the steps that have what they need (AutoAttack's Square check),
  // collected by robustness_audit.
  std::vector<AuditCheck> audit_checks;

  StudyContext(StudyConfig c, DatasetSpec s, torch::Device d)
      : config(std::move(c)), spec(std::move(s)), device(d), cache(config.out / "steps") {}

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
// derivative, unrolled FISTA); empty: the paper's protocol (attack the network).
nlohmann::json robustness_step(StudyContext& ctx, const std::string& step, const std::string& model,
                               const RobustnessSettings& settings, bool exfmem,
                               const ThroughDefense& through = std::nullopt);

// Runs (or reuses) `evaluate_transfer`: `settings`' attacks white-box on `source`, their
// adversarial examples scored on `target` (behind ExFMem when `exfmem`).
nlohmann::json transfer_step(StudyContext& ctx, const std::string& step, const std::string& source,
                             const std::string& target, const RobustnessSettings& settings, bool exfmem);

}  // namespace avr::study
