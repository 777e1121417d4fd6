// Tables 1, 2, 3 and 6 of the paper, plus an adaptive-attacker table, each
// computed on this study's models and written next to the paper's MIT-MUSIC
// numbers.
#include <cmath>
#include <iostream>
#include <sstream>

#include "avr/core/error.h"
#include "avr/defenses/robustness_index.h"
#include "avr/eval/robustness.h"
#include "avr/eval/worst_case.h"
#include "avr/report/table.h"
#include "avr/study/paper_reference.h"
#include "avr/study/study_models.h"
#include "avr/study/study_results.h"
#include "study_scores.h"
#include "study_steps.h"

namespace avr::study {

namespace {

// Accuracies (fractions) per threat as the paper's four numbers (percent).
RobustnessScores paper_scores(double clean_accuracy, const std::map<Modality, double>& acc,
                              ModelKind model_kind) {
  auto get = [&](Modality m) {
    const auto it = acc.find(m);
    AVR_ASSERT(it != acc.end(), "no ", paper_label(m), " result for a ", model_kind, " model");
    return 100 * it->second;
  };
  RobustnessScores s;
  s.clean = 100 * clean_accuracy;
  if (model_kind == ModelKind::Audio) {
    // A unimodal model ignores the other input: attacking it changes nothing
    // (the paper's Tables 3, 5, 6 list the clean accuracy there).
    s.attack_audio = s.attack_both = get(Modality::Audio);
    s.attack_visual = s.clean;
  } else if (model_kind == ModelKind::Visual) {
    s.attack_visual = s.attack_both = get(Modality::Visual);
    s.attack_audio = s.clean;
  } else {
    s.attack_audio = get(Modality::Audio);
    s.attack_visual = get(Modality::Visual);
    s.attack_both = get(Modality::AudioVisual);
  }
  return s;
}

}  // namespace

RobustnessScores scores_of(const RobustnessReport& report, const std::string& attack, ModelKind model_kind) {
  return paper_scores(report.clean_accuracy, report.row(attack).accuracy, model_kind);
}

RobustnessScores worst_case_scores(const std::vector<RobustnessReport>& reports, ModelKind model_kind,
                                   nlohmann::json* detail) {
  const WorstCase w = worst_case(reports);
  if (detail) *detail = w;
  return paper_scores(w.clean_accuracy, w.accuracy, model_kind);
}

std::string eps_tag(double eps) {
  std::ostringstream os;
  os << eps;
  std::string t = os.str();
  for (auto& ch : t)
    if (ch == '.') ch = 'p';
  return t;
}

namespace {

std::string pct(double v) { return format_number(v, 2); }

void publish(StudyContext& ctx, const std::string& id, const Table& table) {
  table.validate();
  ctx.write_table(id, table);
  ctx.results["tables"][id] = table.to_json();
}

std::string threat_text(const StudyContext& ctx, double eps_single, double eps_both) {
  std::ostringstream os;
  os << "ε = " << eps_single << " for ✗A and ✗V, " << eps_both << " on each input for ✗AV ("
     << to_string(ctx.config.budget.space) << " space: "
     << (ctx.config.budget.space == EpsSpace::Pixel ? "frames in [0,1], waveform in [−1,1]"
                                                 : "eps on ImageNet-normalized frames")
     << ")";
  return os.str();
}

std::string clips_text(const RobustnessReport& report) { return std::to_string(report.clips) + " test clips"; }

ModelKind kind_of(const std::string& model) {
  for (const auto& p : study_model_plans())
    if (p.name == model) return p.kind;
  AVR_ASSERT(false, "unknown study model ", model);
}

// One row of a defense table: a model, with or without ExFMem, attacked through the network
// (the paper's protocol) or, `through` set, through ExFMem (an adaptive attacker).
struct DefenseRow {
  std::string title, model;
  bool exfmem = false;
  ThroughDefense through{};  // the network (none): the paper's attacker
};

RobustnessReport defense_report(StudyContext& ctx, const DefenseRow& row, const std::string& attack,
                              double eps, int64_t limit) {
  std::string step = attack + "-" + eps_tag(eps) + "-" + row.model;
  if (row.exfmem) step += "-exfmem";
  if (row.through) step += "-" + to_string(*row.through);  // -bpda, -implicit
  auto s = ctx.robustness_settings({attack}, eps, eps);
  if (limit > 0) {
    s.limit = limit;
    step += "-n" + std::to_string(limit);
  }
  return robustness_step(ctx, step, row.model, s, row.exfmem, row.through);
}

RobustnessScores defense_scores(StudyContext& ctx, const DefenseRow& row, const std::string& attack,
                                double eps, int64_t limit) {
  return scores_of(defense_report(ctx, row, attack, eps, limit), attack, kind_of(row.model));
}

// Per defense, the per-clip worst case over the given (row, attack) runs: a clip counts as
// robust only if every one of them failed on it (same ε, same clips). RI against the first
// entry's worst case.
struct WorstCaseRow {
  std::string title;
  std::vector<std::pair<DefenseRow, std::string>> runs;  // (defense row, attack)
};

Table worst_case_table(StudyContext& ctx, const std::vector<WorstCaseRow>& rows, double eps,
                       int64_t limit, const std::string& caption, nlohmann::json* out,
                       const std::string& row_header = "Defense") {
  Table t;
  t.caption = caption;
  t.columns = {row_header, "✓AV", "✗A", "✗V", "✗AV", "Avg", "RI"};
  RobustnessScores none;
  for (size_t i = 0; i < rows.size(); ++i) {
    std::vector<RobustnessReport> reports;
    std::vector<std::string> runs;
    for (const auto& [row, attack] : rows[i].runs) {
      reports.push_back(defense_report(ctx, row, attack, eps, limit));
      runs.push_back(attack + (row.through ? " (" + to_string(*row.through) + ")" : ""));
    }
    nlohmann::json detail;
    const auto s = worst_case_scores(reports, kind_of(rows[i].runs.front().first.model), &detail);
    if (i == 0) none = s;
    const double ri = relative_improvement(s, none);
    t.add_row({rows[i].title, pct(s.clean), pct(s.attack_audio), pct(s.attack_visual),
               pct(s.attack_both), pct(s.avg()), pct(ri)});
    (*out)[rows[i].title] = {{"scores", s}, {"avg", s.avg()}, {"ri", ri}, {"runs", runs},
                             {"worst_case", detail}};
  }
  for (size_t c = 1; c < t.columns.size(); ++c) t.emphasize_top(c, 2);
  return t;
}

Table defense_table(StudyContext& ctx, const std::string& attack, const std::vector<DefenseRow>& rows,
                    const std::string& caption, DefenseTableScores* scores_out, int64_t limit = 0) {
  Table t;
  t.caption = caption;
  t.columns = {"Defense", "✓AV", "✗A", "✗V", "✗AV", "Avg", "RI"};
  const double eps = ctx.config.budget.eps_both;
  RobustnessScores none;
  bool have_none = false;
  for (const auto& row : rows) {
    const auto s = defense_scores(ctx, row, attack, eps, limit);
    if (row.model == "concat" && !row.exfmem) {
      none = s;
      have_none = true;
    }
    AVR_ASSERT(have_none, "the undefended row comes first (RI is relative to it)");
    const double ri = relative_improvement(s, none);
    t.add_row({row.title, pct(s.clean), pct(s.attack_audio), pct(s.attack_visual),
               pct(s.attack_both), pct(s.avg()), pct(ri)});
    (*scores_out)[row.title] = {s, s.avg(), ri};
  }
  for (size_t c = 1; c < t.columns.size(); ++c) t.emphasize_top(c, 2);
  return t;
}

Table paper_defense_table(const std::map<std::string, RobustnessScores>& ref,
                          const std::string& caption) {
  Table t;
  t.caption = caption;
  t.columns = {"Defense", "✓AV", "✗A", "✗V", "✗AV", "Avg", "RI"};
  const auto& none = ref.at("None");
  for (const char* name : {"None", "Unimodal A", "Unimodal V", "PCL", "MaxSim", "MinSim", "ExFMem",
                           "MinSim+ExFMem"}) {
    auto it = ref.find(name);
    if (it == ref.end()) continue;
    const auto& s = it->second;
    t.add_row({name, pct(s.clean), pct(s.attack_audio), pct(s.attack_visual), pct(s.attack_both),
               pct(s.avg()), pct(relative_improvement(s, none))});
  }
  for (size_t c = 1; c < t.columns.size(); ++c) t.emphasize_top(c, 2);
  return t;
}

std::string attack_title(const std::string& a) {
  if (a == "fgsm") return "FGSM";
  if (a == "pgd") return "PGD";
  if (a == "mim") return "MIM";
  if (a == "apgd") return "APGD-CE";
  return a;
}

}  // namespace

void attack_tables(StudyContext& ctx) {
  const auto& c = ctx.config;
  const std::string dataset_name = ctx.spec.name;
  const std::vector<DefenseRow> defenses = {
      {"None", "concat"},          {"Unimodal A", "audio"},          {"Unimodal V", "visual"},
      {"PCL", "pcl"},              {"MaxSim", "maxsim"},             {"MinSim", "minsim"},
      {"ExFMem", "concat", true},  {"MinSim+ExFMem", "minsim", true},
      {"FGSM-RS AT", "at_fgsm_rs"}};  // beyond the paper: adversarial training on ✗AV

  // Tables 3 and 6 first: their unimodal rows give Table 1's unimodal columns.
  DefenseTableScores t3_scores, t6_scores;
  {
    std::ostringstream cap;
    cap << "Table 3. Defenses under FGSM, ε_a = ε_v = " << c.budget.eps_both << " ("
        << to_string(c.budget.space) << " space), " << dataset_name << " test split. Avg = (✗A + ✗V + "
        << "✗AV)/3; RI = (✓AV + Avg) − (✓AV + Avg) of None. Top-2 per column marked.";
    publish(ctx, "table3_defenses_fgsm", defense_table(ctx, "fgsm", defenses, cap.str(), &t3_scores));
  }
  {
    std::ostringstream cap;
    cap << "Table 6. Defenses under MIM (10 steps, step ε/8, decay 1.0), ε_a = ε_v = " << c.budget.eps_both
        << ", " << dataset_name << " test split. Top-2 per column marked.";
    publish(ctx, "table6_defenses_mim", defense_table(ctx, "mim", defenses, cap.str(), &t6_scores));
  }
  ctx.results["defenses"] = {{"fgsm", t3_scores}, {"mim", t6_scores}};
  {
    std::vector<WorstCaseRow> rows;
    for (const auto& d : defenses) rows.push_back({d.title, {{d, "fgsm"}, {d, "mim"}}});
    std::ostringstream cap;
    cap << "Worst case of Tables 3 and 6 (beyond the paper): per clip, robust only if FGSM and MIM "
        << "both failed on it, ε_a = ε_v = " << c.budget.eps_both << ", " << dataset_name
        << " test split. RI against None's worst case. Top-2 per column marked.";
    nlohmann::json scores;
    publish(ctx, "worst_case_defenses",
            worst_case_table(ctx, rows, c.budget.eps_both, 0, cap.str(), &scores));
    ctx.results["worst_case"]["defenses"] = scores;
  }

  // Table 1: the Concat model under each attack at the paper's two strengths.
  {
    auto s = ctx.robustness_settings({"fgsm", "pgd", "mim"}, c.budget.eps_single, c.budget.eps_both);
    const auto report = robustness_step(ctx, "table1-concat", "concat", s, false);
    Table1Scores table1;
    table1.unimodal_audio = t3_scores.at("Unimodal A").scores.clean;
    table1.unimodal_visual = t3_scores.at("Unimodal V").scores.clean;
    const double uni_a = table1.unimodal_audio, uni_v = table1.unimodal_visual;
    Table t;
    t.caption = "Table 1. Concat audio-visual model under attack, " + threat_text(ctx, c.budget.eps_single, c.budget.eps_both) +
                ", " + dataset_name + ", " + clips_text(report) +
                ". Unimodal ✓A / ✓V: the clean single-modality models on the same clips.";
    t.columns = {"Attack", "✓AV", "✗A", "✗V", "✗AV", "Avg", "Unimodal ✓A", "Unimodal ✓V"};
    for (const char* attack : {"fgsm", "pgd", "mim"}) {
      const auto sc = scores_of(report, attack, ModelKind::AudioVisual);
      t.add_row({attack_title(attack), pct(sc.clean), pct(sc.attack_audio), pct(sc.attack_visual),
                 pct(sc.attack_both), pct(sc.avg()), pct(uni_a), pct(uni_v)});
      table1.concat[attack] = sc;
    }
    for (size_t col = 2; col <= 5; ++col) t.emphasize_top(col, 1, false);
    // Beyond the paper: per clip, robust only if all three attacks failed.
    nlohmann::json detail;
    const auto worst = worst_case_scores({report}, ModelKind::AudioVisual, &detail);
    t.add_row({"Worst case (per clip)", pct(worst.clean), pct(worst.attack_audio),
               pct(worst.attack_visual), pct(worst.attack_both), pct(worst.avg()), pct(uni_a),
               pct(uni_v)});
    ctx.results["worst_case"]["table1"] = {{"scores", worst}, {"worst_case", detail}};
    publish(ctx, "table1_attacks", t);
    ctx.results["table1"] = table1;
  }

  // Table 2: fusions under FGSM (the paper's Concat row equals Table 3's None
  // row, so ε = eps_both everywhere). The paper's "Avg" there averages all
  // four columns, clean included; we print both averages.
  {
    Table t;
    std::ostringstream cap;
    cap << "Table 2. Fusions under FGSM, ε_a = ε_v = " << c.budget.eps_both << ", " << dataset_name
        << ". Avg4 = (✓AV + ✗A + ✗V + ✗AV)/4 as the paper's Table 2; Avg = attacked runs only.";
    t.caption = cap.str();
    t.columns = {"Fusion", "✓AV", "✗A", "✗V", "✗AV", "Avg4", "Avg"};
    std::map<std::string, FusionRowScores> table2;
    for (const auto& p : study_model_plans()) {
      if (p.kind != ModelKind::AudioVisual || p.loss != LossKind::CrossEntropy) continue;
      const auto sc = defense_scores(ctx, {p.title, p.name}, "fgsm", c.budget.eps_both, 0);
      const double avg4 = (sc.clean + sc.attack_audio + sc.attack_visual + sc.attack_both) / 4;
      t.add_row({p.title, pct(sc.clean), pct(sc.attack_audio), pct(sc.attack_visual),
                 pct(sc.attack_both), pct(avg4), pct(sc.avg())});
      table2[p.name] = {sc, sc.avg(), avg4};
    }
    for (size_t col = 1; col < t.columns.size(); ++col) t.emphasize_top(col, 1);
    publish(ctx, "table2_fusions", t);
    ctx.results["table2"] = table2;

    // Beyond the paper: Table 2 has one attack, so its worst case adds Table 6's MIM on every
    // fusion (Concat's MIM run is Table 6's None row, reused).
    std::vector<WorstCaseRow> rows;
    for (const auto& p : study_model_plans()) {
      if (p.kind != ModelKind::AudioVisual || p.loss != LossKind::CrossEntropy) continue;
      const DefenseRow fusion{p.title, p.name};
      rows.push_back({p.title, {{fusion, "fgsm"}, {fusion, "mim"}}});
    }
    std::ostringstream wcap;
    wcap << "Worst case of the fusions (beyond the paper): per clip, robust only if FGSM and MIM "
         << "(10 steps) both failed on it, ε_a = ε_v = " << c.budget.eps_both << ", " << dataset_name
         << " test split. RI against Concat's worst case. Top-2 per column marked.";
    nlohmann::json worst;
    publish(ctx, "worst_case_fusions", worst_case_table(ctx, rows, c.budget.eps_both, 0, wcap.str(), &worst, "Fusion"));
    ctx.results["worst_case"]["fusions"] = worst;
  }

  // Beyond the paper: does the defense survive an attacker who knows it? Per defended model,
  // the paper's protocol and two adaptive attackers: BPDA (the identity as ExFMem's backward)
  // and the implicit derivative of the exact Lasso solution on its active set.
  {
    const std::string a = c.adaptive_attack;
    const auto bpda = ExFMemGradient::kBpda, implicit = ExFMemGradient::kImplicit;
    const std::vector<DefenseRow> rows = {{"None", "concat"},
                                          {"MinSim", "minsim"},
                                          {"ExFMem (attack the network)", "concat", true},
                                          {"ExFMem (BPDA through it)", "concat", true, bpda},
                                          {"ExFMem (implicit gradient through it)", "concat", true, implicit},
                                          {"MinSim+ExFMem (attack the network)", "minsim", true},
                                          {"MinSim+ExFMem (BPDA through it)", "minsim", true, bpda},
                                          {"MinSim+ExFMem (implicit gradient through it)", "minsim", true, implicit}};
    constexpr size_t kAttackersPerDefense = 3;  // network, BPDA, implicit
    AdaptiveScores adaptive{a, {}};
    std::ostringstream cap;
    cap << "Adaptive attacker (beyond the paper): " << attack_title(a) << ", ε_a = ε_v = " << c.budget.eps_both
        << ". \"Attack the network\" is the paper's protocol (ExFMem applied after the attack); "
        << "\"BPDA\" differentiates through ExFMem with the identity as its backward pass; \"implicit\" "
        << "with the exact solution's derivative on its active set (the projection onto the active "
        << "columns' span).";
    const int64_t limit = c.adaptive_limit ? c.adaptive_limit : c.attack_limit;
    if (limit) cap << " First " << limit << " test clips.";
    publish(ctx, "adaptive_" + a, defense_table(ctx, a, rows, cap.str(), &adaptive.rows, limit));
    ctx.results["adaptive"] = adaptive;
    // Per clip, a defended model is robust only if every attacker failed.
    std::vector<WorstCaseRow> worst_rows = {{"None", {{rows[0], a}}}, {"MinSim", {{rows[1], a}}}};
    for (size_t i = 2; i + kAttackersPerDefense <= rows.size(); i += kAttackersPerDefense) {
      WorstCaseRow w{rows[i].title.substr(0, rows[i].title.find(" (")) + " (every attacker)", {}};
      for (size_t k = 0; k < kAttackersPerDefense; ++k) w.runs.push_back({rows[i + k], a});
      worst_rows.push_back(std::move(w));
    }
    std::ostringstream wcap;
    wcap << "Worst case of the adaptive table: per clip, a defended model is robust only if the "
         << "attack on the network, the BPDA attack and the implicit-gradient attack through ExFMem all "
         << "failed; " << attack_title(a) << ", ε_a = ε_v = " << c.budget.eps_both << "."
         << (limit ? " First " + std::to_string(limit) + " test clips." : "");
    nlohmann::json worst;
    publish(ctx, "worst_case_adaptive_" + a, worst_case_table(ctx, worst_rows, c.budget.eps_both, limit, wcap.str(), &worst));
    ctx.results["worst_case"]["adaptive"] = worst;
  }

  // The paper's MIT-MUSIC numbers, for comparison.
  const auto& ref = paper_music();
  {
    Table t;
    t.caption = "Paper, Table 1 (MIT-MUSIC): ε = 0.012 for ✗A and ✗V, 0.006 for ✗AV (normalized space).";
    t.columns = {"Attack", "✓AV", "✗A", "✗V", "✗AV", "Avg", "Unimodal ✓A", "Unimodal ✓V"};
    for (const char* attack : {"fgsm", "pgd", "mim"}) {
      const auto& s = ref.attacks.at(attack);
      t.add_row({attack_title(attack), pct(s.clean), pct(s.attack_audio), pct(s.attack_visual),
                 pct(s.attack_both), pct(s.avg()), pct(ref.unimodal_audio), pct(ref.unimodal_visual)});
    }
    publish(ctx, "paper_table1", t);
  }
  {
    Table t;
    t.caption = "Paper, Table 2 (MIT-MUSIC, FGSM).";
    t.columns = {"Fusion", "✓AV", "✗A", "✗V", "✗AV", "Avg4", "Avg"};
    for (const auto& p : study_model_plans()) {
      if (p.kind != ModelKind::AudioVisual || p.loss != LossKind::CrossEntropy) continue;
      const auto& s = ref.fusions.at(p.name);
      t.add_row({p.title, pct(s.clean), pct(s.attack_audio), pct(s.attack_visual), pct(s.attack_both),
                 pct((s.clean + s.attack_audio + s.attack_visual + s.attack_both) / 4), pct(s.avg())});
    }
    publish(ctx, "paper_table2", t);
  }
  publish(ctx, "paper_table3", paper_defense_table(ref.defenses_fgsm, "Paper, Table 3 (MIT-MUSIC, FGSM, ε = 0.006)."));
  publish(ctx, "paper_table6", paper_defense_table(ref.defenses_mim, "Paper, Table 6 (MIT-MUSIC, MIM, ε = 0.006); \"Ours (Full)\" is MinSim+ExFMem."));
}

}  // namespace avr::study
