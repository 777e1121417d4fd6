// Everything `avr study` depends on: which dataset, how much of it each
// experiment uses, the paper's attack strengths, and the defenses' settings.
// Profiles give sensible defaults; every field can be overridden, and the
// whole config is written next to the results.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "avr/attacks/attack_budget.h"
#include "avr/attacks/auto_attack.h"
#include "avr/attacks/threat_model.h"
#include "avr/defenses/exfmem.h"
#include "avr/defenses/memory_bank.h"

namespace avr {

struct StudyConfig {
  std::string dataset = "embedded";  // embedded | music | kinetics | ave
  // Embedded: the synth profile of the generated data (smoke uses `tiny`) and
  // the size of every experiment. Paper datasets: `full`.
  std::string profile = "default";
  std::filesystem::path data_root;   // embedded: generated here when missing (default OUT/data)
  std::filesystem::path out;
  uint64_t seed = 0;
  std::string device = "cpu";
  int workers = 2;                   // loader threads

  // Training: presets per model family ("embedded-default", "...-finetune").
  std::string train_preset, finetune_preset;
  int epochs_override = 0;           // 0: the presets' epochs
  int64_t limit_train = 0;           // first N training clips (0: all)
  // Fused and defended models start from the trained unimodal encoders (the
  // embedded data trains them from scratch: DATASET.md); the paper's datasets
  // train each model on its own, from ImageNet weights when given.
  bool init_from_unimodal = true;
  std::filesystem::path visual_imagenet;

  // Attacks (Tables 1–6): the paper's strengths, in the threat model's space.
  // eps_single: Table 1's ✗A and ✗V; eps_both: Table 1's ✗AV and Tables 2, 3, 6's
  // everywhere. Written as eps_space, eps_single, eps_both beside the other keys.
  AttackBudget budget;
  int64_t attack_limit = 0;              // first N test clips per table (0: all)
  int64_t batch_size = 32;

  // Figure 3: accuracy vs eps (eps_a = eps_v for ✗AV) for each attack, over
  // log-spaced eps (doubling) up to 0.128, stopping early once every AV curve has
  // crossed below its reference (study/sweep_crossings.h). The paper sweeps up to
  // 0.03 at 224 px; at 48 px the visual attack needs a larger eps to cross.
  std::vector<std::string> sweep_attacks = {"fgsm", "pgd"};
  std::vector<double> sweep_eps = {0.0, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128};
  int64_t sweep_limit = 0;

  // ExFMem (Sec. 3.3.2): the memory banks (`banks.seed` is ignored: banks are drawn with
  // the study's seed) and the defense: its mix and one Lasso per modality (λ, solver,
  // tolerance, Newton steps; avr/defenses/lasso.h). The defaults are the paper's (1024
  // columns, mix 0.5, λ = 0.1) with the active-set solver, which stops each clip at a
  // certified duality gap ≤ tol × its objective; before it the study ran FISTA at tol
  // 1e-4 capped at 150 iterations and no clip converged (KKT/λ 33 audio, 85 visual).
  // tables/exfmem_solver reports every clip's gap. Steps that use ExFMem are keyed on
  // both whole objects, so a setting added later can never reuse a stale result.
  MemoryBankSettings banks;
  ExFMemSettings exfmem;
  std::string adaptive_attack = "pgd";   // beyond the paper: attacker through ExFMem (BPDA)
  // The adaptive attacker runs ExFMem in every attack step: its table uses
  // the first N test clips (0: attack_limit).
  int64_t adaptive_limit = 0;
  // Beyond the paper: AutoAttack (attacks/auto_attack.h: APGD-CE, APGD-T, Square, each on the
  // clips the earlier stages left robust) on Concat at Table 1's ε and on the defenses at
  // ε_both, with and without BPDA through ExFMem, and the per-clip worst case of every attack
  // the study ran; the first N test clips (0: adaptive_limit, then attack_limit). The stages'
  // budgets below are the profile's (AutoAttack's own: 100 steps, 9 targets, 5000 queries).
  AutoAttackSettings autoattack;
  int64_t autoattack_limit = 0;

  // Localization (Fig. 4) and t-SNE (Fig. 5/10/11).
  std::string localization_attack = "pgd";
  int64_t localization_limit = 0;
  int localization_examples = 4;
  int64_t tsne_limit = 300;
  int tsne_iterations = 1000;

  // Adversarial examples shown in the report (frames, perturbations, audio).
  int examples = 3;

  void validate() const;
};

void to_json(nlohmann::json& j, const StudyConfig& c);
// Reads what to_json writes (results.json's "config"); a missing key keeps its value in
// `c` (start from study_profile() for a profile's values), an unknown key or a wrong type
// is an avr::Error naming it. Does not validate: call validate().
void from_json(const nlohmann::json& j, StudyConfig& c);

// smoke | default | large | paper (embedded; the synth profile of the same name, smoke's
// being tiny), full (paper datasets). Throws avr::Error naming the valid profiles.
StudyConfig study_profile(const std::string& dataset, const std::string& profile);
std::vector<std::string> study_profile_names();

}  // namespace avr
