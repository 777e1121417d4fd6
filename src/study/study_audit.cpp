// The trust audit of the study's robustness results (eval/robustness_audit.h): FGSM vs the
// iterative attacks in Tables 1, 2 (with its worst case's MIM), 3 and 6, monotonicity of the
// Fig. 3 sweeps, the Concat model at a large budget, the batch invariance of Table 1's clips,
// Square against the gradient attacks (computed with the AutoAttack tables,
// study_autoattack.cpp), and PGD transferred from the undefended model to each defense against
// the white-box PGD of the adaptive table.
#include <algorithm>
#include <map>
#include <iostream>

#include "avr/core/error.h"
#include "avr/eval/robustness_audit.h"
#include "avr/eval/worst_case.h"
#include "avr/report/table.h"
#include "avr/study/study_results.h"
#include "study_scores.h"
#include "study_steps.h"

namespace avr::study {
namespace {

// The audit's large budget: frames 0.3, waveform 0.5 (✗AV: 0.3 on each input, the
// settings hold one ✗AV budget), PGD-10 on the first 64 test clips of the Concat model.
constexpr double kLargeEpsFrames = 0.3, kLargeEpsAudio = 0.5;
constexpr int64_t kAuditClips = 64;
// Batch invariance: Table 1's attacks rerun on its first 32 clips in batches of 5.
constexpr int64_t kBatchClips = 32, kOddBatch = 5;

const RobustnessReport& step_report(const StudyContext& ctx, const std::string& step) {
  const auto it = ctx.reports.find(step);
  AVR_ASSERT(it != ctx.reports.end(), "the audit reads step ", step, ", which the study did not run");
  return it->second;
}

// Tables 3 and 6 run FGSM and MIM on the same clips, and so do Table 2's fusions with the
// MIM of its worst case: one report per model with both rows (step names as
// study_tables.cpp writes them).
std::vector<LabelledReport> fgsm_and_mim_reports(const StudyContext& ctx) {
  static const std::vector<std::pair<std::string, std::string>> models = {
      {"Tables 3+6 / None", "concat"},
      {"Tables 3+6 / Unimodal A", "audio"},
      {"Tables 3+6 / Unimodal V", "visual"},
      {"Tables 3+6 / PCL", "pcl"},
      {"Tables 3+6 / MaxSim", "maxsim"},
      {"Tables 3+6 / MinSim", "minsim"},
      {"Tables 3+6 / ExFMem", "concat-exfmem"},
      {"Tables 3+6 / MinSim+ExFMem", "minsim-exfmem"},
      {"Tables 3+6 / FGSM-RS AT", "at_fgsm_rs"},
      {"Table 2 / Sum", "sum"},
      {"Table 2 / FiLM", "film"},
      {"Table 2 / Gated-Sum", "gated_sum"},
      {"Table 2 / Gated-Concat", "gated_concat"}};
  const std::string eps = eps_tag(ctx.config.budget.eps_both);
  std::vector<LabelledReport> out;
  for (const auto& [title, suffix] : models) {
    const std::string fgsm = "fgsm-" + eps + "-" + suffix, mim = "mim-" + eps + "-" + suffix;
    if (!ctx.reports.count(fgsm) || !ctx.reports.count(mim)) continue;
    RobustnessReport r = step_report(ctx, fgsm);
    const RobustnessReport m = step_report(ctx, mim);
    if (m.clip_indices != r.clip_indices) continue;
    r.rows.insert(r.rows.end(), m.rows.begin(), m.rows.end());
    out.emplace_back(title, r);
  }
  return out;
}

std::vector<SweepCurve> sweep_curves(const StudyContext& ctx) {
  std::vector<SweepCurve> curves;
  if (!ctx.results.contains("sweep")) return curves;
  const auto sweep = ctx.results.at("sweep").get<SweepResult>();
  for (const auto& [attack, result] : sweep.attacks) {
    struct Series {
      RobustnessScores SweepPoint::*model;
      double RobustnessScores::*score;
      const char* label;
    };
    for (const Series s : {Series{&SweepPoint::concat, &RobustnessScores::attack_audio, "Concat ✗A"},
                           Series{&SweepPoint::concat, &RobustnessScores::attack_visual, "Concat ✗V"},
                           Series{&SweepPoint::concat, &RobustnessScores::attack_both, "Concat ✗AV"},
                           Series{&SweepPoint::unimodal_audio, &RobustnessScores::attack_audio, "Unimodal A ✗A"},
                           Series{&SweepPoint::unimodal_visual, &RobustnessScores::attack_visual, "Unimodal V ✗V"}}) {
      SweepCurve c;
      c.label = attack + " sweep / " + s.label;
      for (const auto& p : result.points) {
        c.eps.push_back(p.eps);
        c.accuracy.push_back(p.*(s.model).*(s.score));
      }
      curves.push_back(std::move(c));
    }
  }
  return curves;
}

// PGD at ε_both made on Concat and scored on each defense, against the white-box PGD of the
// adaptive table on the same clips (for ExFMem, the per-clip worst case of its three attackers).
AuditCheck transfer_check(StudyContext& ctx) {
  const auto& c = ctx.config;
  const std::string a = c.adaptive_attack;
  const int64_t limit = c.adaptive_limit ? c.adaptive_limit : c.attack_limit;
  const std::string eps = eps_tag(c.budget.eps_both), tag = limit ? "-n" + std::to_string(limit) : "";
  struct Target {
    const char* title;
    const char* model;
    bool exfmem;
  };
  std::vector<TransferComparison> comparisons;
  for (const Target t : {Target{"MinSim", "minsim", false}, Target{"ExFMem", "concat", true},
                         Target{"MinSim+ExFMem", "minsim", true}}) {
    const std::string white = a + "-" + eps + "-" + t.model + (t.exfmem ? "-exfmem" : "");
    std::vector<RobustnessReport> white_box;
    for (const auto& step : {white + tag, white + "-bpda" + tag, white + "-implicit" + tag})
      if (ctx.reports.count(step)) white_box.push_back(step_report(ctx, step));
    if (white_box.empty()) continue;
    auto s = ctx.robustness_settings({a}, c.budget.eps_both, c.budget.eps_both);
    s.limit = limit;
    const std::string step = "transfer-" + a + "-" + eps + "-concat-to-" + t.model + (t.exfmem ? "-exfmem" : "") + tag;
    const auto transfer = transfer_step(ctx, step, "concat", t.model, s, t.exfmem);
    TransferComparison tc;
    tc.label = std::string(t.title) + " ← Concat";
    tc.report = transfer;
    tc.transfer = transfer.rows.front();
    tc.white_box = as_row(worst_case(white_box), a + (white_box.size() > 1 ? " (every attacker)" : ""));
    comparisons.push_back(std::move(tc));
  }
  return audit_transfer_beats_white_box(comparisons);
}

std::string status_cell(const AuditCheck& c) {
  if (c.status == "passed") return "passed (" + std::to_string(c.cases) + " comparisons)";
  return c.status;
}

}  // namespace

void robustness_audit(StudyContext& ctx) {
  const auto& c = ctx.config;
  std::vector<AuditCheck> checks;

  std::vector<LabelledReport> fgsm_vs = fgsm_and_mim_reports(ctx);
  const RobustnessReport table1 = step_report(ctx, "table1-concat");
  fgsm_vs.emplace(fgsm_vs.begin(), "Table 1 / Concat", table1);
  checks.push_back(audit_iterative_vs_fgsm(fgsm_vs));
  checks.push_back(audit_monotone_in_eps(sweep_curves(ctx)));
  for (const auto& check : ctx.audit_checks) checks.push_back(check);

  {
    auto s = ctx.robustness_settings({"pgd"}, kLargeEpsAudio, kLargeEpsFrames);
    s.limit = kAuditClips;
    s.modalities = {Modality::Audio};
    const auto audio = robustness_step(ctx, "audit-large-eps-a-concat", "concat", s, false);
    s.budget.eps_single = kLargeEpsFrames;
    s.modalities = {Modality::Visual, Modality::AudioVisual};
    const auto frames = robustness_step(ctx, "audit-large-eps-v-concat", "concat", s, false);
    checks.push_back(audit_large_eps({{"Concat, waveform ε 0.5", audio}, {"Concat, frames ε 0.3", frames}}));
  }
  checks.push_back(transfer_check(ctx));
  {
    auto s = ctx.robustness_settings({"fgsm", "pgd", "mim"}, c.budget.eps_single, c.budget.eps_both);
    s.limit = std::min(kBatchClips, table1.clips);  // a prefix of Table 1's clips
    s.batch_size = kOddBatch;
    const auto rebatched = robustness_step(ctx, "audit-batch-concat", "concat", s, false);
    checks.push_back(audit_batch_invariance({"Table 1 / Concat", table1}, rebatched));
  }

  // The tables each check audits (the report shows a badge under each).
  const std::map<std::string, std::vector<std::string>> audited = {
      {"iterative-weaker-than-fgsm",
       {"table1_attacks", "table2_fusions", "worst_case_fusions", "table3_defenses_fgsm", "table6_defenses_mim",
        "worst_case_defenses"}},
      {"not-monotone-in-eps", {}},
      {"square-finds-what-gradients-missed", {"autoattack_concat", "autoattack_defenses", "worst_case_all_attacks"}},
      {"accuracy-survives-large-eps", {"table1_attacks"}},
      {"transfer-beats-white-box",
       {"adaptive_" + c.adaptive_attack, "worst_case_adaptive_" + c.adaptive_attack, "autoattack_defenses",
        "worst_case_all_attacks"}},
      {"result-depends-on-batch", {"table1_attacks"}}};
  for (auto& check : checks) {
    const auto it = audited.find(check.id);
    if (it != audited.end()) check.tables = it->second;
    if (check.id == "not-monotone-in-eps")
      for (const auto& a : c.sweep_attacks) check.tables.push_back("fig3_sweep_" + a);
  }

  int raised = 0, passed = 0, not_run = 0;
  Table t;
  t.caption = "Trust audit of the robustness results (rules fixed before the numbers; Carlini et al. "
              "2019). Raised checks name the rows and clips; passed checks are evidence too.";
  t.columns = {"Check", "Status", "Rule", "Details"};
  for (const auto& check : checks) {
    raised += check.status == "raised";
    passed += check.status == "passed";
    not_run += check.status == "not run";
    std::string details;
    for (const auto& d : check.details) details += (details.empty() ? "" : "; ") + d;
    t.add_row({check.id, status_cell(check), check.rule, details});
  }
  ctx.write_table("audit", t);
  ctx.results["tables"]["audit"] = t.to_json();
  ctx.results["audit"] = {{"checks", checks}, {"raised", raised}, {"passed", passed}, {"not_run", not_run}};
  if (ctx.progress)
    std::cerr << "study: audit " << passed << " passed, " << raised << " raised, " << not_run
              << " not run\n";
}

}  // namespace avr::study
