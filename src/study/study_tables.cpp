// Tables 1, 2, 3 and 6 of the paper, plus an adaptive-attacker table, each
// computed on this study's models and written next to the paper's MIT-MUSIC
// numbers.
#include <cmath>
#include <iostream>
#include <sstream>

#include "avr/core/error.h"
#include "avr/defenses/robustness_index.h"
#include "avr/report/table.h"
#include "avr/study/paper_reference.h"
#include "avr/study/study_models.h"
#include "study_scores.h"
#include "study_steps.h"

namespace avr::study {

RobustnessScores scores_of(const nlohmann::json& report, const std::string& attack,
                           const std::string& model_kind) {
  const nlohmann::json* row = nullptr;
  for (const auto& r : report.at("attacks"))
    if (r.at("attack") == attack) row = &r;
  AVR_ASSERT(row, "no ", attack, " row in a robustness report");
  const auto& acc = row->at("accuracy");
  const double clean = 100 * report.at("clean_accuracy").get<double>();
  auto get = [&](const char* label) { return 100 * acc.at(label).get<double>(); };
  RobustnessScores s;
  s.clean = clean;
  if (model_kind == "audio") {
    // A unimodal model ignores the other input: attacking it changes nothing
    // (the paper's Tables 3, 5, 6 list the clean accuracy there).
    s.attack_audio = s.attack_both = get("✗A");
    s.attack_visual = clean;
  } else if (model_kind == "visual") {
    s.attack_visual = s.attack_both = get("✗V");
    s.attack_audio = clean;
  } else {
    s.attack_audio = get("✗A");
    s.attack_visual = get("✗V");
    s.attack_both = get("✗AV");
  }
  return s;
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
  write_table_files(ctx.dir("tables") / id, table);
  ctx.results["tables"][id] = table.to_json();
}

std::string threat_text(const StudyContext& ctx, double eps_single, double eps_both) {
  std::ostringstream os;
  os << "ε = " << eps_single << " for ✗A and ✗V, " << eps_both << " on each input for ✗AV ("
     << to_string(ctx.config.eps_space) << " space: "
     << (ctx.config.eps_space == EpsSpace::Pixel ? "frames in [0,1], waveform in [−1,1]"
                                                 : "eps on ImageNet-normalized frames")
     << ")";
  return os.str();
}

std::string clips_text(const nlohmann::json& report) {
  return std::to_string(report.at("clips").get<int64_t>()) + " test clips";
}

const std::string& kind_of(const std::string& model) {
  for (const auto& p : study_model_plans())
    if (p.name == model) return p.kind;
  AVR_ASSERT(false, "unknown study model ", model);
}

// One row of a defense table: a model, with or without ExFMem.
struct DefenseRow {
  std::string title, model;
  bool exfmem = false, adaptive = false;
};

RobustnessScores defense_scores(StudyContext& ctx, const DefenseRow& row, const std::string& attack,
                                double eps, int64_t limit) {
  std::string step = attack + "-" + eps_tag(eps) + "-" + row.model;
  if (row.exfmem) step += "-exfmem";
  if (row.adaptive) step += "-bpda";
  auto s = ctx.robustness_settings({attack}, eps, eps);
  if (limit > 0) {
    s.limit = limit;
    step += "-n" + std::to_string(limit);
  }
  return scores_of(robustness_step(ctx, step, row.model, s, row.exfmem, row.adaptive), attack,
                   kind_of(row.model));
}

Table defense_table(StudyContext& ctx, const std::string& attack, const std::vector<DefenseRow>& rows,
                    const std::string& caption, nlohmann::json* scores_out, int64_t limit = 0) {
  Table t;
  t.caption = caption;
  t.columns = {"Defense", "✓AV", "✗A", "✗V", "✗AV", "Avg", "RI"};
  const double eps = ctx.config.eps_both;
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
    (*scores_out)[row.title] = {{"scores", s}, {"avg", s.avg()}, {"ri", ri}};
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
      {"ExFMem", "concat", true},  {"MinSim+ExFMem", "minsim", true}};

  // Tables 3 and 6 first: their unimodal rows give Table 1's unimodal columns.
  nlohmann::json t3_scores, t6_scores;
  {
    std::ostringstream cap;
    cap << "Table 3. Defenses under FGSM, ε_a = ε_v = " << c.eps_both << " ("
        << to_string(c.eps_space) << " space), " << dataset_name << " test split. Avg = (✗A + ✗V + "
        << "✗AV)/3; RI = (✓AV + Avg) − (✓AV + Avg) of None. Top-2 per column marked.";
    publish(ctx, "table3_defenses_fgsm", defense_table(ctx, "fgsm", defenses, cap.str(), &t3_scores));
  }
  {
    std::ostringstream cap;
    cap << "Table 6. Defenses under MIM (10 steps, step ε/8, decay 1.0), ε_a = ε_v = " << c.eps_both
        << ", " << dataset_name << " test split. Top-2 per column marked.";
    publish(ctx, "table6_defenses_mim", defense_table(ctx, "mim", defenses, cap.str(), &t6_scores));
  }
  ctx.results["defenses"] = {{"fgsm", t3_scores}, {"mim", t6_scores}};

  // Table 1: the Concat model under each attack at the paper's two strengths.
  {
    auto s = ctx.robustness_settings({"fgsm", "pgd", "mim"}, c.eps_single, c.eps_both);
    const auto report = robustness_step(ctx, "table1-concat", "concat", s, false);
    const double uni_a = t3_scores["Unimodal A"]["scores"]["clean"].get<double>();
    const double uni_v = t3_scores["Unimodal V"]["scores"]["clean"].get<double>();
    Table t;
    t.caption = "Table 1. Concat audio-visual model under attack, " + threat_text(ctx, c.eps_single, c.eps_both) +
                ", " + dataset_name + ", " + clips_text(report) +
                ". Unimodal ✓A / ✓V: the clean single-modality models on the same clips.";
    t.columns = {"Attack", "✓AV", "✗A", "✗V", "✗AV", "Avg", "Unimodal ✓A", "Unimodal ✓V"};
    nlohmann::json table1;
    for (const char* attack : {"fgsm", "pgd", "mim"}) {
      const auto sc = scores_of(report, attack, "av");
      t.add_row({attack_title(attack), pct(sc.clean), pct(sc.attack_audio), pct(sc.attack_visual),
                 pct(sc.attack_both), pct(sc.avg()), pct(uni_a), pct(uni_v)});
      table1[attack] = sc;
    }
    for (size_t col = 2; col <= 5; ++col) t.emphasize_top(col, 1, false);
    publish(ctx, "table1_attacks", t);
    ctx.results["table1"] = {{"concat", table1}, {"unimodal_audio", uni_a}, {"unimodal_visual", uni_v}};
  }

  // Table 2: fusions under FGSM (the paper's Concat row equals Table 3's None
  // row, so ε = eps_both everywhere). The paper's "Avg" there averages all
  // four columns, clean included; we print both averages.
  {
    Table t;
    std::ostringstream cap;
    cap << "Table 2. Fusions under FGSM, ε_a = ε_v = " << c.eps_both << ", " << dataset_name
        << ". Avg4 = (✓AV + ✗A + ✗V + ✗AV)/4 as the paper's Table 2; Avg = attacked runs only.";
    t.caption = cap.str();
    t.columns = {"Fusion", "✓AV", "✗A", "✗V", "✗AV", "Avg4", "Avg"};
    nlohmann::json table2;
    for (const auto& p : study_model_plans()) {
      if (p.kind != "av" || p.loss != "ce") continue;
      const auto sc = defense_scores(ctx, {p.title, p.name}, "fgsm", c.eps_both, 0);
      const double avg4 = (sc.clean + sc.attack_audio + sc.attack_visual + sc.attack_both) / 4;
      t.add_row({p.title, pct(sc.clean), pct(sc.attack_audio), pct(sc.attack_visual),
                 pct(sc.attack_both), pct(avg4), pct(sc.avg())});
      table2[p.name] = {{"scores", sc}, {"avg", sc.avg()}, {"avg4", avg4}};
    }
    for (size_t col = 1; col < t.columns.size(); ++col) t.emphasize_top(col, 1);
    publish(ctx, "table2_fusions", t);
    ctx.results["table2"] = table2;
  }

  // Beyond the paper: does the defense survive an attacker who knows it?
  {
    const std::string a = c.adaptive_attack;
    const std::vector<DefenseRow> rows = {{"None", "concat"},
                                          {"MinSim", "minsim"},
                                          {"ExFMem (attack the network)", "concat", true},
                                          {"ExFMem (BPDA through it)", "concat", true, true},
                                          {"MinSim+ExFMem (attack the network)", "minsim", true},
                                          {"MinSim+ExFMem (BPDA through it)", "minsim", true, true}};
    nlohmann::json scores;
    std::ostringstream cap;
    cap << "Adaptive attacker (beyond the paper): " << attack_title(a) << ", ε_a = ε_v = " << c.eps_both
        << ". \"Attack the network\" is the paper's protocol (ExFMem applied after the attack); "
        << "\"BPDA\" differentiates through ExFMem with the identity as its backward pass.";
    const int64_t limit = c.adaptive_limit ? c.adaptive_limit : c.attack_limit;
    if (limit) cap << " First " << limit << " test clips.";
    publish(ctx, "adaptive_" + a, defense_table(ctx, a, rows, cap.str(), &scores, limit));
    ctx.results["adaptive"] = {{"attack", a}, {"rows", scores}};
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
      if (p.kind != "av" || p.loss != "ce") continue;
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
