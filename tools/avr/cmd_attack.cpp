// avr attack: accuracy of a checkpoint under FGSM/PGD/MIM/APGD on audio only,
// visual only and both (paper Tables 1, 2, 4), optionally with the ExFMem
// defense (Tables 3, 5, 6) and an adaptive attacker; --eps-sweep draws the
// accuracy-vs-eps curves of Figures 3, 7 and 8.
#include <iostream>
#include <optional>
#include <sstream>

#include "avr/attacks/auto_attack.h"
#include "avr/attacks/random_start.h"
#include "avr/attacks/square.h"
#include "avr/core/error.h"
#include "avr/core/fs.h"
#include "avr/data/runtime.h"
#include "avr/eval/adversarial_examples.h"
#include "avr/eval/eps_sweep.h"
#include "avr/eval/memory_banks.h"
#include "avr/eval/robustness.h"
#include "avr/eval/model_on_dataset.h"
#include "avr/eval/scripted_model.h"
#include "avr/report/line_chart.h"
#include "avr/eval/worst_case.h"
#include "avr/report/table.h"
#include "command.h"
#include "dataset_flags.h"
#include "list_flags.h"
#include "setting_flags.h"

namespace avr::cli {
namespace {

struct AttackCliOptions {
  RuntimeFlags runtime;
  DistFlags dist;
  DatasetFlags data;
  std::string checkpoint, model, split = "test", out;
  ScriptedModelSizes sizes;  // --model only
  // --attack, --modality, --eps, --eps-both, --eps-space, --limit, --batch-size, --seed,
  // --workers and --adaptive (through_defense) write these directly.
  RobustnessSettings settings;
  std::string sweep;
  std::string loss;  // default: the checkpoint's training loss
  bool random_start = false;
  // --aa-steps, --aa-targets, --square-queries (also the square attack's budget); its seed
  // is --seed.
  AutoAttackSettings autoattack;
  bool exfmem = false;
  // --exfmem-lambda and --exfmem-solver set both banks' Lasso; the mix is --exfmem-mix or
  // the dataset's (default_exfmem_mix).
  ExFMemSettings exfmem_settings;
  std::optional<double> exfmem_mix;
  int64_t save_examples = 0;
};

Table robustness_table(const RobustnessReport& r, const std::string& caption) {
  Table t;
  t.caption = caption;
  // The paper's Avg is over ✗A, ✗V and ✗AV; over fewer threats the column says so.
  bool all_three = true;
  for (const auto& row : r.rows) all_three = all_three && row.accuracy.size() == 3;
  t.columns = {"attack", "✓AV", "✗A", "✗V", "✗AV", all_three ? "Avg" : "Avg of those run"};
  for (const auto& row : r.rows) {
    auto cell = [&](Modality m) {
      auto it = row.accuracy.find(m);
      return it == row.accuracy.end() ? std::string("—") : format_number(100 * it->second, 2);
    };
    t.add_row({row.attack, format_number(100 * r.clean_accuracy, 2), cell(Modality::Audio),
               cell(Modality::Visual), cell(Modality::AudioVisual), format_number(100 * row.average(), 2)});
  }
  if (r.rows.size() > 1) {  // a clip is robust only if every attack above failed on it
    const WorstCase w = worst_case({r});
    auto cell = [&](Modality m) {
      auto it = w.accuracy.find(m);
      return it == w.accuracy.end() ? std::string("—") : format_number(100 * it->second, 2);
    };
    t.add_row({"worst case", format_number(100 * r.clean_accuracy, 2), cell(Modality::Audio),
               cell(Modality::Visual), cell(Modality::AudioVisual), format_number(100 * w.average(), 2)});
  }
  return t;
}

void run(const AttackCliOptions& o) {
  if (launch_local_ranks(o.dist)) return;
  // Several ranks attack their shares of the clips; rank 0 writes the merged results.
  dist::ProcessGroup group = join_process_group();
  apply_runtime_flags(o.runtime);
  const auto device = parse_device(o.runtime.device);
  AVR_CHECK(o.checkpoint.empty() != o.model.empty(),
            "give --checkpoint (an avr model) or --model (a TorchScript module)");
  const auto loaded = o.model.empty()
                          ? open_model_on_dataset(o.checkpoint, o.data.spec(), device)
                          : open_scripted_on_dataset(o.model, o.data.spec(), device, o.sizes);
  const DatasetSpec& spec = loaded.spec;
  const auto ds = loaded.split(o.split);
  const ClipSettings& clip = loaded.clip;
  DefendedModel m = loaded.attackable();
  if (!o.loss.empty()) m.loss = parse_loss(o.loss);
  RobustnessSettings s = o.settings;
  if (s.through_defense)
    for (const LassoSettings* lasso : {&o.exfmem_settings.audio, &o.exfmem_settings.visual})
      check_exfmem_gradient(*s.through_defense, *lasso);
  for (const auto& a : s.attacks) {
    if (a == "square") s.attack_settings[a] = {{"n_queries", o.autoattack.square_queries}};
    if (a == "autoattack") {
      AutoAttackSettings aa = o.autoattack;
      aa.seed = s.seed;
      s.attack_settings[a] = aa;
    }
  }
  if (o.random_start) {  // to every listed attack that has a random start
    std::string listed;
    bool any = false;
    for (const auto& a : s.attacks) {
      listed += (listed.empty() ? "" : ",") + a;
      if (!random_start_settings(a)) continue;
      apply_random_start(a, s.attack_settings[a]);
      any = true;
    }
    AVR_CHECK(any, "--random-start: none of --attack ", listed,
               " has a random start (pgd, mim, apgd and apgd-t have one)");
  }
  ExFMemSettings es = o.exfmem_settings;  // recorded with the results when --exfmem
  es.mix = o.exfmem_mix ? *o.exfmem_mix : default_exfmem_mix(spec.name);
  es.validate();
  if (o.exfmem) {
    // A TorchScript module needs encode and classify (its banks go next to the .ts file).
    std::shared_ptr<const FeatureModel> split;
    if (!m.model) split = m.feature_model();
    AVR_CHECK(m.model || split, "--exfmem needs the model split at its features: ", o.model,
              " has no encode and classify methods (ExFMem replaces f_a and f_v by their memory "
              "reconstructions before the classifier); add encode(audio, frames) -> (f_a, f_v) and "
              "classify(f_a, f_v) -> logits (docs/own_models.md), or use an avr checkpoint");
    auto exfmem = [&] {
      return m.model ? load_or_build_exfmem(o.checkpoint, m.model, loaded.split("train"), clip,
                                            MemoryBankSettings{}, es, device)
                     : load_or_build_exfmem(o.model, *split, loaded.split("train"), clip,
                                            MemoryBankSettings{}, es, device);
    };
    if (group.distributed()) {
      // Rank 0 builds the banks next to the checkpoint; then every rank reads the same files.
      if (group.is_root()) exfmem();
      group.barrier();
    }
    m.exfmem = exfmem();
  } else {
    AVR_CHECK(!s.through_defense, "--adaptive needs --exfmem (it attacks through the defense)");
  }

  const bool root = group.is_root();
  if (root) ensure_dir(o.out);
  nlohmann::json meta = {{"split", o.split},   {"dataset", spec},   {"attack_loss", m.loss},
                         {"defense", o.exfmem ? "exfmem" : "none"},
                         {"exfmem", o.exfmem ? nlohmann::json(es) : nlohmann::json(nullptr)},
                         {"settings", s},              {"runtime", runtime_info()}};
  if (m.model) {
    meta["checkpoint"] = o.checkpoint;
    meta["model"] = m.model->config();
  } else {
    meta["torchscript"] = o.model;
    meta["model"] = m.describe();
  }
  if (o.sweep.empty()) {
    AdversarialHook hook;
    if (o.save_examples > 0)
      hook = adversarial_example_writer(std::filesystem::path(o.out) / "examples", o.save_examples,
                                        ds.layout().sample_rate);
    auto r = evaluate_robustness(m, ds, clip, s, device, true, hook, &group);
    if (!root) return;
    std::ostringstream caption;
    caption << "Accuracy (%) of " << m.describe() << " on "
            << spec.name << " " << o.split << " (" << r.clips << " clips), eps " << s.budget.eps_single
            << " (✗A, ✗V) / " << s.budget.eps_both << " (✗AV), " << to_string(s.budget.space) << " space"
            << (o.exfmem ? ", ExFMem defense" : "") << (s.through_defense ? ", adaptive attacker" : "");
    Table t = robustness_table(r, caption.str());
    meta["result"] = r;
    if (r.rows.size() > 1) meta["worst_case"] = worst_case({r});
    write_file_atomic(std::filesystem::path(o.out) / "robustness.json", meta.dump(2) + "\n");
    write_table_files(std::filesystem::path(o.out) / "robustness", t);
    std::cout << t.to_markdown() << "\nwrote " << o.out << "/robustness.{json,csv,md}\n";
    return;
  }
  // Accuracy vs eps (eps_a = eps_v = eps for ✗AV), one curve per modality.
  const auto sweep = run_eps_sweep(m, ds, clip, s, parse_number_list(o.sweep, "--eps-sweep"), device, true, &group);
  if (!root) return;
  Table t;
  t.caption = "Accuracy (%) vs eps, " + s.attacks[0] + ", " + spec.name + " " + o.split;
  t.columns = {"eps", "✗A", "✗V", "✗AV"};
  nlohmann::json points = nlohmann::json::array();
  for (const auto& p : sweep) {
    std::vector<std::string> cells = {format_number(p.eps, 4)};
    for (auto mod : {Modality::Audio, Modality::Visual, Modality::AudioVisual}) {
      const auto& acc = p.report.rows[0].accuracy;
      const auto it = acc.find(mod);
      cells.push_back(it == acc.end() ? "—" : format_number(100 * it->second, 2));
    }
    t.add_row(cells);
    points.push_back({{"eps", p.eps}, {"result", p.report}});
  }
  LineChart chart;
  chart.title = s.attacks[0] + " accuracy vs eps (" + m.describe() + ")";
  chart.x.label = "eps";
  chart.y.label = "accuracy (%)";
  for (auto mod : {Modality::Audio, Modality::Visual, Modality::AudioVisual}) {
    const EpsSweepCurve c = eps_sweep_curve(sweep, mod);
    if (!c.eps.empty()) chart.series.push_back({paper_label(mod), c.eps, c.accuracy_percent});
  }
  meta["sweep"] = points;
  write_file_atomic(std::filesystem::path(o.out) / "sweep.json", meta.dump(2) + "\n");
  write_table_files(std::filesystem::path(o.out) / "sweep", t);
  write_file_atomic(std::filesystem::path(o.out) / "sweep.svg", chart.to_svg());
  std::cout << t.to_markdown() << "\nwrote " << o.out << "/sweep.{json,csv,md,svg}\n";
}

const bool registered = register_command(
    {"attack", "accuracy under FGSM/PGD/MIM/APGD on audio, visual and both (+ ExFMem, eps sweeps)", 40,
     [](CLI::App& app) {
       auto o = std::make_shared<AttackCliOptions>();
       add_runtime_flags(app, o->runtime);
       add_dist_flags(app, o->dist);
       add_dataset_flags(app, o->data);
       app.add_option("--checkpoint", o->checkpoint, "a .pt written by `avr train`");
       app.add_option("--model", o->model,
                      "instead of --checkpoint: a TorchScript module, forward(audio [B,1,L], frames "
                      "[B,3,H,W]) -> logits or (logits, f_a, f_v), optionally encode and classify "
                      "for --exfmem (docs/own_models.md)");
       app.add_option("--image-size", o->sizes.image_size,
                      "--model: frame size (default: the module's image_size attribute)");
       app.add_option("--audio-length", o->sizes.audio_length,
                      "--model: waveform samples (default: the module's audio_length attribute)");
       app.add_option("--out", o->out, "folder for robustness.{json,csv,md} or sweep.{json,csv,md,svg}")
           ->required();
       app.add_option("--split", o->split, "train | val | test")->capture_default_str();
       RobustnessSettings& s = o->settings;
       add_setting_with<std::string>(
           app, "--attack", [&s](const std::string& t) { s.attacks = split_list(t); },
           join_list(s.attacks, [](const std::string& a) { return a; }), "comma list of fgsm, pgd, mim, apgd (APGD-CE), apgd-t (APGD-DLR targeted), autoattack (APGD-CE → APGD-T → Square, each on the clips still robust; per-clip stage in the results), square (Square Attack: score-based, forward passes only), mim_original; with two or more a per-clip worst-case row follows");
       add_setting_with<std::string>(
           app, "--modality",
           [&s](const std::string& t) {
             s.modalities.clear();
             for (const auto& m : split_list(t)) s.modalities.push_back(parse_modality(m));
           },
           join_list(s.modalities, [](Modality m) { return to_string(m); }),
           "comma list of a (✗A: audio only), v (✗V: visual only), av (✗AV: both)");
       add_budget_flags(app, s.budget);
       app.add_option("--eps-sweep", o->sweep,
                      "comma list of eps: accuracy vs eps for ✗A, ✗V, ✗AV (eps_a = eps_v), with a plot");
       app.add_option("--loss", o->loss, "objective attacked (default: the model's training loss)");
       app.add_flag("--random-start", o->random_start,
                   "PGD and MIM start at a uniform random point of the ball (Madry et al.), PGD "
                   "stepping 2.5·ε/steps instead of the original's ε/8, which could not cross the "
                   "ball (APGD always starts at one; the other attacks have no random start)");
       app.add_flag("--exfmem", o->exfmem,
                    "apply the ExFMem defense (banks of training features, built once next to the "
                    "checkpoint or the --model file; a TorchScript module needs encode and classify)");
       ExFMemSettings& es = o->exfmem_settings;
       app.add_option("--exfmem-mix", o->exfmem_mix,
                      "weight of the memory reconstruction (default: the original's for the dataset, "
                      "0.6 for kinetics; else " + shown(es.mix) + ")");
       add_setting_with<double>(
           app, "--exfmem-lambda", [&es](double v) { es.audio.lambda = es.visual.lambda = v; },
           shown(es.audio.lambda), "Lasso λ of both banks");
       add_setting_with<std::string>(
           app, "--exfmem-solver",
           [&es](const std::string& t) { es.audio.solver = es.visual.solver = parse_lasso_solver(t); },
           to_string(es.audio.solver),
           "Lasso solver: active (active-set Newton to a certified duality gap), ista (the "
           "original's algorithm and stopping rule, ‖Δh‖ < 8e-4 or 2000 steps, at step 1/L "
           "of these banks; it stops far from the optimum), fista, cd");
       add_setting_with<std::string>(
           app, "--adaptive", [&s](const std::string& t) { s.through_defense = parse_through_defense(t); },
           to_string(s.through_defense),
           "attack through ExFMem: bpda (identity backward), unrolled (FISTA in autograd) or "
           "implicit (the exact solution's derivative on its active set); network: the bare "
           "network, the defense applied afterwards (the paper's protocol)");
       add_setting(app, "--limit", s.limit, "first N clips of the split (0: all)");
       add_setting(app, "--batch-size", s.batch_size, "clips per attack batch");
       add_setting(app, "--seed", s.seed, "seed of random starts");
       add_setting(app, "--square-queries", o->autoattack.square_queries,
                      "square and autoattack's Square stage: proposals per clip after its start "
                      "(AutoAttack: 5000; a clip stops once fooled)");
       add_setting(app, "--aa-steps", o->autoattack.steps,
                   "autoattack: APGD-CE iterations, and APGD-T's per target (AutoAttack: 100)");
       add_setting(app, "--aa-targets", o->autoattack.targets,
                   "autoattack: APGD-T's target classes, the top ones other than the true class (AutoAttack: 9)");
       add_setting(app, "--workers", s.workers, "loader threads");
       app.add_option("--save-examples", o->save_examples,
                      "write the first N clips' clean and adversarial frames (PNG) and audio (WAV) to OUT/examples");
       return [o] { run(*o); };
     }});

}  // namespace
}  // namespace avr::cli
