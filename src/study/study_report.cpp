// report.html: findings first, then each experiment's table next to the
// paper's and its figures, then the run's configuration and timings.
#include <algorithm>
#include <fstream>
#include <sstream>

#include "avr/core/fs.h"
#include "avr/report/html_report.h"
#include "avr/report/table.h"
#include "avr/study/study_models.h"
#include "study_steps.h"

namespace avr::study {
namespace {

std::vector<uint8_t> file_bytes(const std::filesystem::path& p) {
  const std::string s = read_text_file(p);
  return std::vector<uint8_t>(s.begin(), s.end());
}

// Under a table, the trust audit's verdict on it: every check that audits the table
// (robustness_audit.h), raised ones first with their first detail.
void audit_badge(HtmlReport& r, const StudyContext& ctx, const std::string& id) {
  if (!ctx.results.contains("audit")) return;
  std::vector<std::string> raised, passed, not_run;
  std::string first_detail;
  for (const auto& check : ctx.results.at("audit").at("checks").get<std::vector<AuditCheck>>()) {
    if (std::find(check.tables.begin(), check.tables.end(), id) == check.tables.end()) continue;
    if (check.raised()) {
      raised.push_back(check.id);
      if (first_detail.empty() && !check.details.empty()) first_detail = check.details.front();
    } else if (check.status == "passed") {
      passed.push_back(check.id);
    } else {
      not_run.push_back(check.id);
    }
  }
  auto list = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
  };
  if (!raised.empty())
    r.add_badge("raised", "Audit: raised",
                list(raised) + (first_detail.empty() ? "" : " — " + first_detail) +
                    (passed.empty() ? "" : "; passed: " + list(passed)) + " (see the Trust audit section)");
  else if (!passed.empty())
    r.add_badge("passed", "Audit: passed", list(passed) + (not_run.empty() ? "" : "; not run: " + list(not_run)));
  else if (!not_run.empty())
    r.add_badge("not run", "Audit: not run", list(not_run));
  else
    r.add_badge("none", "Audit:", "no check applies to this table");
}

// A table of this run with its audit badge (the paper's reference tables have none).
void table(HtmlReport& r, const StudyContext& ctx, const std::string& id) {
  const auto& tables = ctx.results.at("tables");
  if (!tables.contains(id)) return;
  r.add_table(Table::from_json(tables.at(id)));
  if (id.rfind("paper_", 0) != 0 && id != "audit" && id != "exfmem_solver" && id != "localization" &&
      id != "embeddings")
    audit_badge(r, ctx, id);
}

std::string pct(double v) { return format_number(v, 1); }

}  // namespace

void write_report(const StudyContext& ctx, const std::vector<Finding>& findings) {
  const auto& c = ctx.config;
  const auto& res = ctx.results;
  const bool paper_dataset = c.dataset == "music";
  HtmlReport r("Can audio-visual integration strengthen robustness under multimodal attacks?",
               "avr study on the " + c.dataset + " dataset (" + c.profile + " profile), reproducing Tian & Xu, CVPR 2021");
  r.add_summary(findings, "Each finding of the paper, checked on this run's numbers. The rule that decides "
                          "each verdict is in its evidence.");

  r.add_section("Data and models", "");
  {
    std::ostringstream os;
    os << "Dataset: " << c.dataset << " at " << ctx.spec.root.string() << ". Every model below was trained by "
       << "this run; the fused and defended models "
       << (c.init_from_unimodal ? "started from the trained unimodal encoders (the embedded data is too small "
                                  "to train ResNet18 from scratch inside a fused model in the time budget)."
                                : "were each trained on their own, as in the original scripts.");
    r.add_text(os.str());
    Table t;
    t.caption = "Models trained by this run: validation accuracy of the best epoch, test accuracy, time.";
    t.columns = {"Model", "Loss", "Started from", "Epochs", "Val acc", "Test acc", "Train s"};
    for (const auto& plan : study_model_plans()) {
      const auto& m = res.at("models").at(plan.name);
      const auto& tr = m.at("train");
      t.add_row({m.at("title").get<std::string>(), m.at("loss").get<std::string>(),
                 tr.value("started_from", std::string("?")), std::to_string(tr.value("epochs", 0)),
                 pct(100 * tr.value("best_val_accuracy", 0.0)), pct(100 * tr.value("test_accuracy", 0.0)),
                 format_number(tr.value("train_seconds", 0.0), 1)});
    }
    r.add_table(t);
  }

  r.add_section("Multimodal attacks (Table 1)",
                "Accuracy of the Concat audio-visual model when only the audio (✗A), only the frame (✗V) or "
                "both (✗AV) are attacked. Attacks maximize the model's training loss; models in eval mode.");
  table(r, ctx, "table1_attacks");
  table(r, ctx, "paper_table1");
  if (res.contains("examples")) {
    const auto& ex = res.at("examples");
    const std::filesystem::path dir = ex.at("dir").get<std::string>();
    for (const auto& item : ex.at("items")) {
      const std::string stem = item.at("stem");
      const std::string label = item.at("label");
      r.add_figure("Clip " + item.at("clip").get<std::string>() + " (" + label + "): " +
                       ex.at("attack").get<std::string>() + " ✗V with ε = " +
                       format_number(ex.at("eps").get<double>(), 3) + ". Prediction clean: " +
                       item.at("pred_clean").get<std::string>() + "; attacked: " +
                       item.at("pred_attacked_visual").get<std::string>() +
                       ". The perturbation is scaled so its largest change is white.",
                   {{"clean frame", "", file_bytes(dir / (stem + "_frame_clean.png")), ""},
                    {"attacked frame", "", file_bytes(dir / (stem + "_frame_adv.png")), ""},
                    {"perturbation (amplified)", "", file_bytes(dir / (stem + "_perturbation.png")), ""}});
      r.add_audio_pair("Clip " + item.at("clip").get<std::string>() + ": clean audio and " +
                           ex.at("attack").get<std::string>() + " ✗A audio (ε = " +
                           format_number(ex.at("eps").get<double>(), 3) + "). Prediction clean: " +
                           item.at("pred_clean").get<std::string>() + "; attacked: " +
                           item.at("pred_attacked_audio").get<std::string>() + ".",
                       file_bytes(dir / (stem + "_audio_clean.wav")), file_bytes(dir / (stem + "_audio_adv.wav")),
                       file_bytes(dir / (stem + "_spec_clean.png")), file_bytes(dir / (stem + "_spec_adv.png")));
    }
  }

  {
    const auto& sweep = res.at("sweep");
    r.add_section("Accuracy vs attack strength (Figure 3)",
                  "The Concat model under attacks of growing ε (ε_a = ε_v for ✗AV, log-spaced), next to the "
                  "unimodal models attacked on their own input. Dashed: unimodal models; horizontal line: the "
                  "clean accuracy of the other modality's model; red vertical line: ε*, the first ε at which "
                  "the AV curve is below its reference by more than two standard errors (" +
                      std::to_string(sweep.at("clips").get<int64_t>()) +
                      " clips). A sweep stops once every curve has crossed.");
    for (const auto& [attack, a] : sweep.at("attacks").items()) {
      std::vector<FigurePanel> panels;
      for (const auto& [name, path] : a.at("figures").items())
        panels.push_back({"", read_text_file(path.get<std::string>()), {}, attack + " accuracy vs eps, panel " + name});
      r.add_figure(attack + ": accuracy (%) vs ε (×10⁻³).", panels);
      table(r, ctx, "fig3_sweep_" + attack);
    }
  }

  r.add_section("Fusions under attack (Table 2)", "");
  table(r, ctx, "table2_fusions");
  table(r, ctx, "paper_table2");
  table(r, ctx, "worst_case_fusions");

  if (res.contains("localization")) {
    const auto& l = res.at("localization");
    r.add_section("Sound-source localization under attack (Figure 4)",
                  "The localizer's audio-guided attention on clean and attacked inputs, with the ground-truth "
                  "box of the sounding instrument. Beyond the paper, the embedded data's boxes turn the "
                  "pictures into numbers: pointing-game hit rate and cIoU.");
    table(r, ctx, "localization");
    if (l.contains("figure"))
      r.add_figure_png(l.at("figure_caption").get<std::string>(), file_bytes(l.at("figure").get<std::string>()),
                       "attention heatmaps on clean and attacked frames");
  }

  r.add_section("Defenses (Tables 3 and 6)",
                "MinSim, MaxSim and PCL come from training; ExFMem replaces each feature by a mix of itself and "
                "its sparse reconstruction from banks of training features. RI is relative to the undefended "
                "Concat model (None).");
  table(r, ctx, "exfmem_solver");
  table(r, ctx, "table3_defenses_fgsm");
  if (paper_dataset || c.dataset == "embedded") table(r, ctx, "paper_table3");
  table(r, ctx, "table6_defenses_mim");
  if (paper_dataset || c.dataset == "embedded") table(r, ctx, "paper_table6");
  table(r, ctx, "worst_case_defenses");
  for (const auto& [id, t] : res.at("tables").items())
    if (id.rfind("adaptive_", 0) == 0) {
      r.add_section("An attacker who knows the defense", "The paper attacks the network and applies ExFMem "
                    "afterwards. An adaptive attacker differentiates through ExFMem: BPDA (the identity as "
                    "its backward pass) or the implicit gradient (the exact Lasso solution's derivative on its "
                    "active set).");
      table(r, ctx, id);
      table(r, ctx, "worst_case_" + id);
    }
  if (res.contains("autoattack")) {
    r.add_section("AutoAttack and the worst case of every attack",
                  "AutoAttack (Croce & Hein 2020) for two inputs: APGD-CE, APGD on the targeted DLR loss and "
                  "the gradient-free Square attack (square patches on frames, segments on the waveform), each "
                  "run on the clips the earlier ones left robust. A clip counts as robust only if every attack "
                  "failed on it.");
    table(r, ctx, "autoattack_concat");
    table(r, ctx, "autoattack_defenses");
    table(r, ctx, "worst_case_all_attacks");
  }
  if (res.contains("audit")) {
    const auto& a = res.at("audit");
    r.add_section("Trust audit", std::to_string(a.at("passed").get<int>()) + " checks passed, " +
                                     std::to_string(a.at("raised").get<int>()) + " raised, " +
                                     std::to_string(a.at("not_run").get<int>()) + " not run.");
    table(r, ctx, "audit");
  }

  if (res.contains("embeddings")) {
    const auto& e = res.at("embeddings");
    r.add_section("Embeddings with and without MinSim (Figures 5, 10, 11)",
                  "t-SNE of L2-normalized audio and visual features of test clips, clean and attacked, for the "
                  "Concat model (w/o MinSim) and the MinSim model.");
    for (const auto& fig : e.at("figures"))
      r.add_figure(fig.at("caption").get<std::string>(),
                   {{"w/o MinSim", read_text_file(fig.at("without").get<std::string>()), {}, ""},
                    {"w/ MinSim", read_text_file(fig.at("with").get<std::string>()), {}, ""}});
    table(r, ctx, "embeddings");
  }

  r.add_section("The run", "Configuration, timings of each step and the software it ran on.");
  r.add_config(res.at("config"), "Study configuration");
  r.add_config(res.at("timings"), "Seconds per step (steps reused from an earlier run show their original time)");
  r.add_config(res.at("runtime"), "Runtime");
  r.write(ctx.config.out / "report.html");
}

}  // namespace avr::study
