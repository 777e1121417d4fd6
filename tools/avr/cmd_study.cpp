// avr study: the paper's experimental section in one command (see study.h).
#include <iostream>
#include <optional>
#include <sstream>

#include "avr/study/study.h"
#include "command.h"
#include "list_flags.h"

namespace avr::cli {
namespace {

struct StudyCliOptions {
  RuntimeFlags runtime;
  DistFlags dist;
  std::string dataset = "embedded", profile, data_root, out;
  uint64_t seed = 0;
  int workers = 2;
  bool quiet = false;
  std::optional<int> epochs, examples;
  std::optional<int64_t> attack_limit, sweep_limit, localization_limit, tsne_limit, bank_columns,
      limit_train, batch_size;
  std::optional<double> eps, eps_both, exfmem_mix, exfmem_lambda, exfmem_tol;
  std::optional<int64_t> adaptive_limit, exfmem_max_iter;
  std::optional<std::string> exfmem_solver;
  std::optional<std::string> eps_space, sweep_attacks, sweep_eps, adaptive_attack, localization_attack;
  std::string visual_init;
};

void run(const StudyCliOptions& o) {
  if (launch_local_ranks(o.dist)) return;
  apply_runtime_flags(o.runtime);
  const std::string profile = !o.profile.empty() ? o.profile : o.dataset == "embedded" ? "default" : "full";
  StudyConfig c = study_profile(o.dataset, profile);
  c.data_root = o.data_root;
  c.out = !o.out.empty() ? o.out : "runs/study-" + o.dataset + "-" + profile;
  c.seed = o.seed;
  c.device = o.runtime.device;
  c.workers = o.workers;
  c.visual_imagenet = o.visual_init;
  if (o.epochs) c.epochs_override = *o.epochs;
  if (o.examples) c.examples = *o.examples;
  if (o.attack_limit) c.attack_limit = *o.attack_limit;
  if (o.sweep_limit) c.sweep_limit = *o.sweep_limit;
  if (o.localization_limit) c.localization_limit = *o.localization_limit;
  if (o.tsne_limit) c.tsne_limit = *o.tsne_limit;
  if (o.bank_columns) c.banks.columns = *o.bank_columns;
  if (o.limit_train) c.limit_train = *o.limit_train;
  if (o.batch_size) c.batch_size = *o.batch_size;
  if (o.eps) c.budget.eps_single = *o.eps;
  if (o.eps_both) c.budget.eps_both = *o.eps_both;
  if (o.exfmem_mix) c.exfmem.mix = *o.exfmem_mix;
  // One Lasso setting from the command line applies to both modalities' banks.
  for (LassoSettings* lasso : {&c.exfmem.audio, &c.exfmem.visual}) {
    if (o.exfmem_lambda) lasso->lambda = *o.exfmem_lambda;
    if (o.exfmem_tol) lasso->tol = *o.exfmem_tol;
    if (o.exfmem_max_iter) lasso->max_iter = *o.exfmem_max_iter;
    if (o.exfmem_solver) lasso->solver = parse_lasso_solver(*o.exfmem_solver);
  }
  if (o.adaptive_limit) c.adaptive_limit = *o.adaptive_limit;
  if (o.eps_space) c.budget.space = parse_eps_space(*o.eps_space);
  if (o.sweep_attacks) c.sweep_attacks = split_list(*o.sweep_attacks);
  if (o.sweep_eps) c.sweep_eps = parse_number_list(*o.sweep_eps, "--sweep-eps");
  if (o.adaptive_attack) c.adaptive_attack = *o.adaptive_attack;
  if (o.localization_attack) c.localization_attack = *o.localization_attack;

  dist::ProcessGroup group = join_process_group();
  const auto r = run_study(c, !o.quiet, &group);
  if (!group.is_root()) return;
  std::cout << "study done in " << static_cast<int>(r.seconds) << " s (" << r.computed.size()
            << " steps computed, " << r.reused.size() << " reused); " << r.findings_holding << " of "
            << r.findings << " findings of the paper hold on this run\n"
            << "  report:  " << r.report_html.string() << "\n"
            << "  results: " << r.results_json.string() << "\n"
            << "  tables:  " << r.tables_dir.string() << "/*.{md,csv}\n"
            << "  figures: " << r.figures_dir.string() << "\n";
}

const bool registered = register_command(
    {"study", "the paper's experiments end to end: train, attack, defend, localize → report.html", 50,
     [](CLI::App& app) {
       auto o = std::make_shared<StudyCliOptions>();
       app.footer(
           "Trains every model (Concat, unimodal A and V, Sum, FiLM, Gated-Sum, Gated-Concat, MinSim, "
           "MaxSim, PCL, localizer), then runs Tables 1, 2, 3, 6, the eps sweep (Fig. 3), localization "
           "under attack (Fig. 4), t-SNE (Figs. 5, 10, 11) and an adaptive attacker against ExFMem. "
           "Steps are cached in OUT/steps by their config: re-running skips finished work, resumes a "
           "killed run and recomputes only what a changed flag affects.\n\n"
           "Examples:\n"
           "  avr study                                   # embedded data, default profile\n"
           "  avr study --profile smoke --out /tmp/s      # a structure check in a few minutes\n"
           "  avr study --profile paper                   # 224 px, 65535 samples: ~2 h on 2 cores\n"
           "  avr study --nproc 2 --threads 1             # 2 ranks: data-parallel training, sharded attacks\n"
           "  avr study --dataset music --data-root ~/MUSIC --visual-init resnet18.pt --out runs/music");
       add_runtime_flags(app, o->runtime);
       add_dist_flags(app, o->dist);
       app.add_option("--dataset", o->dataset, "embedded (generated on first use) | music | kinetics | ave")
           ->capture_default_str();
       app.add_option("--profile", o->profile,
                      "embedded: smoke | default | large | paper (224 px, 65535 samples, ~2 h on 2 cores; "
                      "default: default); paper datasets: full");
       app.add_option("--data-root", o->data_root,
                      "dataset folder (audio/, frames/, splits/); embedded default: OUT/data");
       app.add_option("--out", o->out, "output folder (default: runs/study-DATASET-PROFILE)");
       app.add_option("--seed", o->seed, "seed of every random choice")->capture_default_str();
       app.add_option("--workers", o->workers, "loader threads")->capture_default_str();
       app.add_flag("--quiet", o->quiet, "no progress lines");
       app.add_option("--epochs", o->epochs, "override every preset's epochs");
       app.add_option("--limit-train", o->limit_train, "train on the first N training clips");
       app.add_option("--visual-init", o->visual_init, "torchvision ResNet18 ImageNet weights (.pt) for the visual nets");
       app.add_option("--attack-limit", o->attack_limit, "test clips per attack table (0: all)");
       app.add_option("--batch-size", o->batch_size, "clips per attack batch");
       app.add_option("--eps", o->eps, "Table 1's ✗A/✗V strength (paper: 0.012)");
       app.add_option("--eps-both", o->eps_both, "✗AV strength and Tables 2, 3, 6's (paper: 0.006)");
       app.add_option("--eps-space", o->eps_space, "pixel (default) | normalized (the original's)");
       app.add_option("--sweep-attacks", o->sweep_attacks,
                      "comma list of attacks swept for Figure 3 (default fgsm,pgd)");
       app.add_option("--sweep-eps", o->sweep_eps,
                      "increasing comma list of eps for Figure 3 (default 0,0.001,0.002,...,0.128, doubling); "
                      "the sweep stops once every AV curve has crossed below its reference");
       app.add_option("--sweep-limit", o->sweep_limit, "test clips per sweep point (0: all)");
       auto num = [](double v) {
         std::ostringstream text;
         text << v;
         return text.str();
       };
       const ExFMemSettings exfmem_defaults;
       const LassoSettings& lasso_defaults = exfmem_defaults.audio;
       app.add_option("--bank-columns", o->bank_columns,
                      "ExFMem memory bank size (" + std::to_string(MemoryBankSettings{}.columns) +
                          ", the paper's; the smoke profile uses 64)");
       app.add_option("--exfmem-mix", o->exfmem_mix,
                      "ExFMem weight of the reconstruction (" + num(exfmem_defaults.mix) + ")");
       app.add_option("--exfmem-lambda", o->exfmem_lambda,
                      "ExFMem Lasso λ, both banks (" + num(lasso_defaults.lambda) + ")");
       app.add_option("--exfmem-solver", o->exfmem_solver,
                      "ExFMem Lasso solver: active (active-set Newton to a certified duality gap, default; the "
                      "only one the adaptive table's implicit-gradient attacker can differentiate); ista, "
                      "fista and cd stop short of the optimum, and the study refuses them");
       app.add_option("--exfmem-tol", o->exfmem_tol,
                      "ExFMem tolerance (" + num(lasso_defaults.tol) +
                          "): active: duality gap relative to the objective; "
                          "fista/cd: residual relative to each problem's scale");
       app.add_option("--exfmem-max-iter", o->exfmem_max_iter,
                      "ExFMem Newton steps (active) or iterations (fista, ista) at most (" +
                          std::to_string(lasso_defaults.max_iter) + ")");
       app.add_option("--adaptive-attack", o->adaptive_attack, "attack of the BPDA table (default pgd)");
       app.add_option("--adaptive-limit", o->adaptive_limit, "test clips of the BPDA table (0: --attack-limit)");
       app.add_option("--localization-attack", o->localization_attack, "attack of Figure 4 (default pgd)");
       app.add_option("--localization-limit", o->localization_limit, "test clips scored for localization");
       app.add_option("--tsne-limit", o->tsne_limit, "test clips in the t-SNE figures");
       app.add_option("--examples", o->examples, "adversarial examples shown in the report");
       return [o] { run(*o); };
     }});

}  // namespace
}  // namespace avr::cli
