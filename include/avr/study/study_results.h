// The study's results as typed values: what its table, sweep and localization steps
// compute, what results.json holds under "table1", "table2", "defenses", "adaptive",
// "sweep" and "localization"/"summary", and what the findings (check_findings) are
// decided on. Scores are percent (RobustnessScores: ✓AV, ✗A, ✗V, ✗AV); localization
// numbers are fractions. Each type reads its JSON strictly (core/json_fields.h): a
// missing or unknown key is an avr::Error naming it, so a results.json edited by hand
// or written by another version is never half read.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "avr/defenses/robustness_index.h"

namespace avr {

// One row of a defense table (Tables 3 and 6, the adaptive table): its four scores,
// Avg = (✗A + ✗V + ✗AV)/3 and RI against the table's undefended row (percentage points,
// defenses/robustness_index.h).
struct DefenseRowScores {
  RobustnessScores scores;
  double avg = 0;
  double ri = 0;
};
void to_json(nlohmann::json& j, const DefenseRowScores& r);
void from_json(const nlohmann::json& j, DefenseRowScores& r);
// Row title ("None", "MinSim", "MinSim+ExFMem", …) → its scores.
using DefenseTableScores = std::map<std::string, DefenseRowScores>;

// One fusion of Table 2: Avg as above and the paper's Avg4 = (✓AV + ✗A + ✗V + ✗AV)/4.
struct FusionRowScores {
  RobustnessScores scores;
  double avg = 0;
  double avg4 = 0;
};
void to_json(nlohmann::json& j, const FusionRowScores& r);
void from_json(const nlohmann::json& j, FusionRowScores& r);

// Table 1: the Concat model per attack ("fgsm", "pgd", "mim") and the clean accuracies
// of the unimodal models on the same clips.
struct Table1Scores {
  std::map<std::string, RobustnessScores> concat;
  double unimodal_audio = 0;
  double unimodal_visual = 0;
};
void to_json(nlohmann::json& j, const Table1Scores& t);
void from_json(const nlohmann::json& j, Table1Scores& t);

// The adaptive-attacker table (beyond the paper): its attack and rows.
struct AdaptiveScores {
  std::string attack;
  DefenseTableScores rows;
};
void to_json(nlohmann::json& j, const AdaptiveScores& a);
void from_json(const nlohmann::json& j, AdaptiveScores& a);

// One ε of Figure 3's sweep: the Concat model and each unimodal model under the attack.
struct SweepPoint {
  double eps = 0;
  RobustnessScores concat, unimodal_audio, unimodal_visual;
};
void to_json(nlohmann::json& j, const SweepPoint& p);
void from_json(const nlohmann::json& j, SweepPoint& p);

// One attack's sweep: its points in increasing ε (cut once every curve has crossed its
// reference), ε* per panel ("a", "b", "c"; empty when the curve never crossed), the
// figures' files per panel, and the clean unimodal accuracies panels (a) and (b) compare with.
struct SweepAttackResult {
  std::vector<SweepPoint> points;
  std::map<std::string, std::optional<double>> eps_star;
  std::map<std::string, std::string> figures;
  double unimodal_clean_audio = 0;
  double unimodal_clean_visual = 0;
};
void to_json(nlohmann::json& j, const SweepAttackResult& a);
void from_json(const nlohmann::json& j, SweepAttackResult& a);

// Figure 3: every swept attack, the clips per point and the ε list it was given.
struct SweepResult {
  std::map<std::string, SweepAttackResult> attacks;
  int64_t clips = 0;
  std::vector<double> eps_list;
};
void to_json(nlohmann::json& j, const SweepResult& s);
void from_json(const nlohmann::json& j, SweepResult& s);

// Localization under attack, per condition (fractions): classification accuracy,
// pointing-game hit rate, mean cIoU and the AUC of the cIoU success curve.
struct LocalizationConditionScores {
  double accuracy = 0;
  double pointing = 0;
  double ciou = 0;
  double auc = 0;
};
// The summary of Figure 4's step. JSON: one flat object keyed by condition ("clean",
// "✗A", "✗V", "✗AV"), "center prior" ({pointing, ciou, auc}: a fixed Gaussian at the
// image center) and "best fixed guess" ({pointing, point}: the one input pixel inside
// the most boxes; absent in results written before avr computed it).
struct LocalizationSummary {
  std::map<std::string, LocalizationConditionScores> conditions;
  double center_prior_pointing = 0, center_prior_ciou = 0, center_prior_auc = 0;
  struct FixedGuess {
    double pointing = 0;
    std::vector<double> point;  // x, y in input pixels
  };
  std::optional<FixedGuess> best_fixed_guess;
};
void to_json(nlohmann::json& j, const LocalizationSummary& s);
void from_json(const nlohmann::json& j, LocalizationSummary& s);

}  // namespace avr
