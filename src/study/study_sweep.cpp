// Figure 3 (7, 8): accuracy vs attack strength for the Concat model under ✗A,
// ✗V and ✗AV (ε_a = ε_v), next to the unimodal models under the same attack
// on their own input and the clean accuracy of the unattacked modality's model.
#include <cmath>

#include "avr/core/fs.h"
#include "avr/report/line_chart.h"
#include "avr/report/table.h"
#include "study_scores.h"
#include "study_steps.h"

namespace avr::study {

void eps_sweep(StudyContext& ctx) {
  const auto& c = ctx.config;
  const std::string attack = c.sweep_attack;
  std::vector<double> av_a, av_v, av_av, uni_a, uni_v;
  double clean_a = NAN, clean_v = NAN;
  nlohmann::json points = nlohmann::json::array();
  Table t;
  t.columns = {"ε", "AV ✗A", "AV ✗V", "AV ✗AV", "Unimodal A ✗A", "Unimodal V ✗V"};
  for (double eps : c.sweep_eps) {
    auto s = ctx.robustness_settings({attack}, eps, eps);
    s.limit = c.sweep_limit;
    const std::string tag = attack + "-" + eps_tag(eps);
    const auto av = scores_of(robustness_step(ctx, "sweep-" + tag + "-concat", "concat", s, false), attack, "av");
    const auto a = scores_of(robustness_step(ctx, "sweep-" + tag + "-audio", "audio", s, false), attack, "audio");
    const auto v = scores_of(robustness_step(ctx, "sweep-" + tag + "-visual", "visual", s, false), attack, "visual");
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
    points.push_back({{"eps", eps}, {"concat", av}, {"unimodal_audio", a}, {"unimodal_visual", v}});
  }
  t.caption = "Figure 3 data: accuracy (%) vs ε of " + attack + " (ε_a = ε_v for ✗AV), " +
              std::to_string(c.sweep_limit ? c.sweep_limit : 0) + " test clips (0: all). Unimodal ✓A = " +
              format_number(clean_a, 2) + ", ✓V = " + format_number(clean_v, 2) + ".";
  write_table_files(ctx.dir("tables") / "fig3_sweep", t);
  ctx.results["tables"]["fig3_sweep"] = t.to_json();

  std::vector<double> x;
  for (double e : c.sweep_eps) x.push_back(e * 1000);
  auto chart = [&](const std::string& title) {
    LineChart ch;
    ch.title = title;
    ch.x.label = "ε (×10⁻³)";
    ch.y.label = "accuracy (%)";
    ch.y.min = 0;
    ch.y.max = 100;
    return ch;
  };
  auto panel_a = chart("(a) audio attacked");
  panel_a.series = {{"AV model, ✗A", x, av_a}, {"Unimodal A, ✗A", x, uni_a, true}};
  panel_a.ref_lines = {{clean_v, "Unimodal ✓V (clean)"}};
  auto panel_b = chart("(b) visual attacked");
  panel_b.series = {{"AV model, ✗V", x, av_v}, {"Unimodal V, ✗V", x, uni_v, true}};
  panel_b.ref_lines = {{clean_a, "Unimodal ✓A (clean)"}};
  auto panel_c = chart("(c) both attacked");
  panel_c.series = {{"AV model, ✗AV", x, av_av},
                    {"Unimodal A, ✗A", x, uni_a, true},
                    {"Unimodal V, ✗V", x, uni_v, true}};
  nlohmann::json figures = nlohmann::json::object();
  for (auto [name, ch] : {std::pair{"fig3_a", &panel_a}, {"fig3_b", &panel_b}, {"fig3_c", &panel_c}}) {
    const auto path = ctx.dir("figures") / (std::string(name) + ".svg");
    write_file_atomic(path, ch->to_svg());
    figures[name] = path.string();
  }
  ctx.results["sweep"] = {{"attack", attack}, {"points", points}, {"figures", figures},
                          {"unimodal_clean_audio", clean_a}, {"unimodal_clean_visual", clean_v}};
}

}  // namespace avr::study
