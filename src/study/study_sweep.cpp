// Figure 3 (7, 8): accuracy vs attack strength for the Concat model under ✗A,
// ✗V and ✗AV (ε_a = ε_v), next to the unimodal models under the same attack on
// their own input and the clean accuracy of the unattacked modality's model —
// for every sweep attack (FGSM and PGD-10 by default), over log-spaced ε, until
// every AV curve has crossed below its reference (sweep_crossings.h) or the ε
// list ends. Each point is its own cached step.
#include <algorithm>
#include <cmath>
#include <sstream>

#include "avr/core/fs.h"
#include "avr/eval/eps_sweep.h"
#include "avr/report/line_chart.h"
#include "avr/report/table.h"
#include "study_scores.h"
#include "study_steps.h"
#include "sweep_crossings.h"

namespace avr::study {
namespace {

// The shortest decimal form (0.004, 0.064), as the swept values were given.
std::string eps_label(double eps) {
  std::ostringstream os;
  os << eps;
  return os.str();
}

// One attack's sweep: its points (in increasing ε, cut at the crossings), table,
// figures and ε*.
SweepAttackResult sweep_attack(StudyContext& ctx, const std::string& attack, int64_t& clips) {
  const auto& c = ctx.config;
  std::vector<double> xs, av_a, av_v, av_av, uni_a, uni_v;
  double clean_a = NAN, clean_v = NAN;
  SweepAttackResult result;
  auto& points = result.points;
  Table t;
  t.columns = {"ε", "AV ✗A", "AV ✗V", "AV ✗AV", "Unimodal A ✗A", "Unimodal V ✗V"};
  std::vector<Crossing> crossings;
  for (double eps : c.sweep_eps) {
    auto s = eps_sweep_settings(ctx.robustness_settings({attack}, c.budget.eps_single, c.budget.eps_both), eps);
    s.limit = c.sweep_limit;
    const std::string tag = attack + "-" + eps_tag(eps);
    auto run = [&](const std::string& model, std::vector<Modality> modalities) {
      auto ms = s;
      ms.modalities = std::move(modalities);
      return robustness_step(ctx, "sweep-" + tag + "-" + model, model, ms, false);
    };
    const auto av_report = run("concat", {Modality::Audio, Modality::Visual, Modality::AudioVisual});
    const auto av = scores_of(av_report, attack, ModelKind::AudioVisual);
    const auto a = scores_of(run("audio", {Modality::Audio}), attack, ModelKind::Audio);
    const auto v = scores_of(run("visual", {Modality::Visual}), attack, ModelKind::Visual);
    clips = av_report.clips;
    xs.push_back(eps * 1000);
    av_a.push_back(av.attack_audio);
    av_v.push_back(av.attack_visual);
    av_av.push_back(av.attack_both);
    uni_a.push_back(a.attack_audio);
    uni_v.push_back(v.attack_visual);
    clean_a = a.clean;
    clean_v = v.clean;
    t.add_row({format_number(eps, 4), format_number(av.attack_audio, 2), format_number(av.attack_visual, 2),
               format_number(av.attack_both, 2), format_number(a.attack_audio, 2),
               format_number(v.attack_visual, 2)});
    points.push_back({eps, av, a, v});
    crossings = fig3_crossings(points, clean_a, clean_v, clips);
    if (std::all_of(crossings.begin(), crossings.end(), [](const Crossing& x) { return x.eps.has_value(); }))
      break;  // every curve has crossed: larger ε adds nothing to the figure's question
  }
  std::string stars;
  for (const auto& x : crossings) {
    result.eps_star[x.panel] = x.eps;
    stars += " (" + x.panel + ") " + x.curve + " below " + x.reference + ": ε* = " +
             (x.eps ? format_number(*x.eps, 4) : std::string("not reached")) + ".";
  }
  t.caption = "Figure 3 data: accuracy (%) vs ε of " + attack + " (ε_a = ε_v for ✗AV), " +
              std::to_string(clips) + " test clips. Unimodal ✓A = " + format_number(clean_a, 2) +
              ", ✓V = " + format_number(clean_v, 2) + ". ε* is the first ε at which the curve is below its "
              "reference by more than two standard errors (" + format_number(two_standard_errors(clips), 1) +
              " points):" + stars;
  ctx.write_table("fig3_sweep_" + attack, t);
  ctx.results["tables"]["fig3_sweep_" + attack] = t.to_json();

  auto chart = [&](const std::string& title, const Crossing& x) {
    LineChart ch;
    ch.title = title + " — " + attack;
    ch.x.label = "ε (×10⁻³, log scale; ε = 0 in the table)";
    ch.x.log = true;
    ch.y.label = "accuracy (%)";
    ch.y.min = 0;
    ch.y.max = 100;
    if (x.eps) ch.x_marks = {{*x.eps * 1000, "ε* = " + eps_label(*x.eps)}};
    return ch;
  };
  auto panel_a = chart("(a) audio attacked", crossings[0]);
  panel_a.series = {{"AV model, ✗A", xs, av_a}, {"Unimodal A, ✗A", xs, uni_a, true}};
  panel_a.ref_lines = {{clean_v, "Unimodal ✓V (clean)"}};
  auto panel_b = chart("(b) visual attacked", crossings[1]);
  panel_b.series = {{"AV model, ✗V", xs, av_v}, {"Unimodal V, ✗V", xs, uni_v, true}};
  panel_b.ref_lines = {{clean_a, "Unimodal ✓A (clean)"}};
  auto panel_c = chart("(c) both attacked", crossings[2]);
  panel_c.series = {{"AV model, ✗AV", xs, av_av},
                    {"Unimodal A, ✗A", xs, uni_a, true},
                    {"Unimodal V, ✗V", xs, uni_v, true}};
  for (auto [name, ch] : {std::pair{"a", &panel_a}, {"b", &panel_b}, {"c", &panel_c}}) {
    const auto path = ctx.dir("figures") / ("fig3_" + std::string(name) + "_" + attack + ".svg");
    if (ctx.is_root()) write_file_atomic(path, ch->to_svg());
    result.figures[name] = path.string();
  }
  result.unimodal_clean_audio = clean_a;
  result.unimodal_clean_visual = clean_v;
  return result;
}

}  // namespace

void eps_sweep(StudyContext& ctx) {
  SweepResult sweep;
  for (const auto& attack : ctx.config.sweep_attacks) sweep.attacks[attack] = sweep_attack(ctx, attack, sweep.clips);
  sweep.eps_list = ctx.config.sweep_eps;
  ctx.results["sweep"] = sweep;
}

}  // namespace avr::study
