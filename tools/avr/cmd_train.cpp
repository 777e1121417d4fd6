// avr train: trains one model (any kind, fusion and loss) on a dataset in the
// original layout, resumably; writes checkpoints and result.json to --out.
#include <iostream>

#include "avr/attacks/pgd.h"
#include "avr/data/runtime.h"
#include "avr/train/trainer.h"
#include "command.h"
#include "dataset_flags.h"

namespace avr::cli {
namespace {

struct TrainCliOptions {
  RuntimeFlags runtime;
  DistFlags dist;
  DatasetFlags data;
  std::string preset;
  std::string model = "av", fusion = "concat", loss = "ce";
  std::string out;
  bool resume = false;
  int stop_after_epochs = 0;
  std::optional<int> epochs;
  std::optional<int64_t> batch_size, limit_train, image_size, audio_length;
  std::optional<double> lr, lr_audio, lr_visual, lr_head;
  std::optional<double> pcl_weight_prox, pcl_weight_conprox, attended_visual_weight;
  std::optional<int> lr_step;
  uint64_t seed = 0;
  std::string init_audio, init_visual, visual_init;
  int workers = 2;
  std::string allreduce = "overlap";
  // Adversarial training (at-fgsm-rs | at-pgd | trades).
  std::string at_modality = "av", at_eps_space = "pixel";
  std::optional<double> at_eps, at_step_size, trades_beta, at_collapse_drop;
  std::optional<int> at_steps;
  std::optional<int64_t> at_monitor_clips;
};

AdversarialTrainingSettings adversarial_settings(const TrainCliOptions& o) {
  AdversarialTrainingSettings s;
  const Modality m = parse_modality(o.at_modality);
  // Default budget: the paper's, 0.006 on each input for ✗AV, 0.012 for one input.
  s.threat = o.at_eps ? ThreatModel::single_eps(m, *o.at_eps, parse_eps_space(o.at_eps_space))
                      : ThreatModel::paper(m, parse_eps_space(o.at_eps_space));
  if (o.at_steps) {
    s.steps = *o.at_steps;
    s.step_size = pgd_random_start_step(s.steps);
  }
  if (o.at_step_size) s.step_size = *o.at_step_size;
  if (o.trades_beta) s.trades_beta = *o.trades_beta;
  if (o.at_monitor_clips) s.monitor_clips = *o.at_monitor_clips;
  if (o.at_collapse_drop) s.collapse_drop = *o.at_collapse_drop;
  return s;
}

void run(const TrainCliOptions& o) {
  if (launch_local_ranks(o.dist)) return;
  // Data parallel over the ranks (TrainOptions::group); rank 0 writes the run folder.
  dist::ProcessGroup group = join_process_group();
  apply_runtime_flags(o.runtime);
  DatasetSpec spec = o.data.spec();
  std::string preset = o.preset;
  if (preset.empty()) preset = default_preset(spec);
  TrainConfig c = train_preset(preset);
  auto [image_size, audio_length] = dataset_input_sizes(spec.root, spec.name);
  c.model.kind = parse_model_kind(o.model);
  c.model.fusion = c.model.kind == ModelKind::AudioVisual ? parse_fusion(o.fusion)
                   : c.model.kind == ModelKind::Localizer ? FusionKind::Concat
                                                          : FusionKind::None;
  c.model.image_size = o.image_size.value_or(image_size);
  c.model.audio_length = o.audio_length.value_or(audio_length);
  c.model.seed = o.seed;
  c.loss.kind = parse_loss(o.loss);
  c.seed = o.seed;
  c.workers = o.workers;
  if (o.epochs) c.epochs = *o.epochs;
  if (o.batch_size) c.batch_size = *o.batch_size;
  if (o.limit_train) c.limit_train = *o.limit_train;
  if (o.lr) c.lr_audio = c.lr_visual = c.lr_head = *o.lr;
  if (o.lr_audio) c.lr_audio = *o.lr_audio;
  if (o.lr_visual) c.lr_visual = *o.lr_visual;
  if (o.lr_head) c.lr_head = *o.lr_head;
  if (o.pcl_weight_prox) c.loss.pcl_weight_prox = *o.pcl_weight_prox;
  if (o.pcl_weight_conprox) c.loss.pcl_weight_conprox = *o.pcl_weight_conprox;
  if (o.lr_step) c.lr_step = *o.lr_step;
  if (o.attended_visual_weight) c.attended_visual_weight = *o.attended_visual_weight;
  c.init_audio = o.init_audio;
  c.init_visual = o.init_visual;
  c.visual_imagenet = o.visual_init;
  if (is_adversarial_loss(c.loss.kind)) c.adversarial = adversarial_settings(o);
  TrainOptions opt;
  opt.resume = o.resume;
  opt.stop_after_epochs = o.stop_after_epochs;
  opt.device = parse_device(o.runtime.device);
  opt.group = &group;
  opt.overlap_allreduce = o.allreduce == "overlap";
  const auto r = train_model(c, spec, o.out, opt);
  if (!group.is_root()) return;
  std::cout << "trained " << r.epochs_done << " epochs (preset " << preset << "), best val accuracy "
            << r.best_val_accuracy << " at epoch " << r.best_epoch;
  if (r.test_accuracy >= 0) std::cout << ", test accuracy " << r.test_accuracy;
  if (!r.history.empty() && r.history.back().contains("monitor")) {
    const auto& m = r.history.back().at("monitor");
    std::cout << ", monitor PGD accuracy " << m.at("pgd_accuracy").get<double>();
    if (m.at("collapsed").get<bool>())
      std::cout << " (collapsed: rolled back to epoch " << m.at("rolled_back_to_epoch").get<int>() << ")";
  }
  std::cout << "\ncheckpoint: " << r.best_checkpoint.string() << "\n";
}

const bool registered = register_command(
    {"train", "train a model (audio-visual with any fusion, unimodal, localizer; CE/MinSim/MaxSim/PCL; adversarial training)", 20,
     [](CLI::App& app) {
       auto o = std::make_shared<TrainCliOptions>();
       add_runtime_flags(app, o->runtime);
       add_dist_flags(app, o->dist);
       add_dataset_flags(app, o->data);
       app.add_option("--out", o->out, "run folder: checkpoints, config.json, result.json")->required();
       app.add_option("--model", o->model, "what to train: av | audio | visual | localizer")
           ->capture_default_str();
       app.add_option("--fusion", o->fusion, "av only: sum | concat | film | gated_sum | gated_concat")
           ->capture_default_str();
       app.add_option("--loss", o->loss,
                      "ce | minsim (CE + cos(f_a,f_v), the paper's defense) | maxsim (CE + 1 − cos) | "
                      "pcl (prototype conformity, Mustafa et al. 2019) | adversarial training of an av "
                      "model: at-fgsm-rs (FGSM, random start, step 1.25ε; Wong et al. 2020) | at-pgd "
                      "(Madry et al. 2018) | trades (Zhang et al. 2019)")
           ->capture_default_str();
       app.add_option("--at-modality", o->at_modality,
                      "adversarial training: the inputs the inner attack perturbs: a | v | av")
           ->capture_default_str();
       app.add_option("--at-eps", o->at_eps,
                      "adversarial training: L∞ budget on each attacked input (default: the paper's, 0.006 for "
                      "av, 0.012 for a or v)");
       app.add_option("--at-eps-space", o->at_eps_space,
                      "adversarial training: pixel (frames in [0,1]) | normalized (the original's eps)")
           ->capture_default_str();
       app.add_option("--at-steps", o->at_steps,
                      "at-pgd/trades: inner PGD steps (default 10; step 2.5ε/steps unless --at-step-size)");
       app.add_option("--at-step-size", o->at_step_size, "at-pgd/trades: PGD step as a fraction of ε");
       app.add_option("--trades-beta", o->trades_beta, "trades: weight of the KL term (default 6)");
       app.add_option("--at-monitor-clips", o->at_monitor_clips,
                      "adversarial training: training clips held out for the collapse monitor (default 32)");
       app.add_option("--at-collapse-drop", o->at_collapse_drop,
                      "adversarial training: roll back when the monitor's PGD accuracy falls more than this "
                      "below the last good epoch's (default 0.2)");
       app.add_option("--preset", o->preset,
                      "training schedule: music | kinetics | ave (the original scripts) | "
                      "embedded-<tiny|default|large|paper>[-finetune]; default: from the dataset");
       app.add_flag("--resume", o->resume, "continue the run in --out where it stopped");
       app.add_option("--stop-after-epochs", o->stop_after_epochs,
                      "stop after N epochs of this call, as if interrupted (continue with --resume: "
                      "training in sessions; 0: run to the end)")
           ->check(CLI::NonNegativeNumber);
       app.add_option("--epochs", o->epochs, "override the preset's epochs");
       app.add_option("--batch-size", o->batch_size, "override the preset's batch size");
       app.add_option("--lr", o->lr, "one learning rate for every part");
       app.add_option("--lr-audio", o->lr_audio, "learning rate of the audio net");
       app.add_option("--lr-visual", o->lr_visual, "learning rate of the visual net");
       app.add_option("--lr-head", o->lr_head, "learning rate of the fusion and classifier");
       app.add_option("--pcl-weight-prox", o->pcl_weight_prox,
                      "pcl only: weight of the pull to the own class's center (default: the preset's; 1, 0.01 for embedded-*-finetune)");
       app.add_option("--attended-visual-weight", o->attended_visual_weight,
                      "localizer only: weight of the loss that the attended visual feature alone names "
                      "the class (default 1; 0: CE alone)");
       app.add_option("--pcl-weight-conprox", o->pcl_weight_conprox,
                      "pcl only: weight of the push from the other classes' centers (default 1e-4)");
       app.add_option("--lr-step", o->lr_step, "multiply the rates by 0.1 every N epochs");
       app.add_option("--limit-train", o->limit_train, "use only the first N training clips");
       app.add_option("--image-size", o->image_size, "model input size (default: the dataset's)");
       app.add_option("--audio-length", o->audio_length, "audio window in samples (default: the dataset's)");
       app.add_option("--init-audio", o->init_audio, "start the audio net from this audio-only checkpoint");
       app.add_option("--init-visual", o->init_visual, "start the visual net from this visual-only checkpoint");
       app.add_option("--visual-init", o->visual_init,
                      "torchvision ResNet18 ImageNet weights (a PyTorch state_dict .pth) for the visual net");
       app.add_option("--seed", o->seed, "seed of every random choice")->capture_default_str();
       app.add_option("--workers", o->workers, "loader threads")->capture_default_str();
       app.add_option("--allreduce", o->allreduce,
                      "with several ranks, when the gradients are averaged: overlap (each bucket while "
                      "backward runs, as DDP; best with a machine per rank) | after-backward (all at the end; "
                      "faster when ranks share a machine's cores: the all-reduce then takes none from backward)")
           ->check(CLI::IsMember({"overlap", "after-backward"}))
           ->capture_default_str();
       return [o] { run(*o); };
     }});

}  // namespace
}  // namespace avr::cli
