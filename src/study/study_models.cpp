// Training the study's models as cached steps.
#include "avr/study/study_models.h"

#include <algorithm>
#include <iostream>

#include "avr/core/error.h"
#include "avr/core/fs.h"
#include "avr/models/checkpoint.h"
#include "avr/train/train_config.h"
#include "avr/train/trainer.h"
#include "study_context.h"
#include "study_steps.h"

namespace avr {

const std::vector<ModelPlan>& study_model_plans() {
  static const std::vector<ModelPlan> plans = {
      {"audio", "Unimodal A", ModelKind::Audio, FusionKind::None, LossKind::CrossEntropy, false},
      {"visual", "Unimodal V", ModelKind::Visual, FusionKind::None, LossKind::CrossEntropy, false},
      {"concat", "Concat", ModelKind::AudioVisual, FusionKind::Concat, LossKind::CrossEntropy, true},
      {"sum", "Sum", ModelKind::AudioVisual, FusionKind::Sum, LossKind::CrossEntropy, true},
      {"film", "FiLM", ModelKind::AudioVisual, FusionKind::Film, LossKind::CrossEntropy, true},
      {"gated_sum", "Gated-Sum", ModelKind::AudioVisual, FusionKind::GatedSum, LossKind::CrossEntropy, true},
      {"gated_concat", "Gated-Concat", ModelKind::AudioVisual, FusionKind::GatedConcat, LossKind::CrossEntropy, true},
      {"minsim", "MinSim", ModelKind::AudioVisual, FusionKind::Concat, LossKind::MinSim, true},
      {"maxsim", "MaxSim", ModelKind::AudioVisual, FusionKind::Concat, LossKind::MaxSim, true},
      {"pcl", "PCL", ModelKind::AudioVisual, FusionKind::Concat, LossKind::Pcl, true},
      {"localizer", "Localizer", ModelKind::Localizer, FusionKind::Concat, LossKind::CrossEntropy, true},
      // Beyond the paper: the adversarial-training baseline (train/adversarial_training.h).
      {"at_fgsm_rs", "FGSM-RS AT", ModelKind::AudioVisual, FusionKind::Concat, LossKind::AtFgsmRs, true},
  };
  return plans;
}

std::string cached_checkpoint_problem(const std::filesystem::path& checkpoint,
                                      const nlohmann::json& record) {
  CheckpointIdentity id;
  try {
    id = verify_checkpoint(checkpoint);
  } catch (const Error& e) {
    return e.what();
  }
  if (record.contains("weights_sha256") && record["weights_sha256"] != id.weights_sha256)
    return "checkpoint " + checkpoint.string() + " holds other weights than this step trained "
           "(another model's checkpoint copied over it?)";
  return "";
}

namespace study {

namespace {

// The study's adversarial-training fine-tune sees at most this many training
// clips (the last 32 held out for its collapse monitor): on the default profile
// one FGSM-RS epoch over all 3000 clips and its two table rows would add more
// than the 2 minutes the issue allows (README, "Adversarial training").
constexpr int64_t kAdversarialTrainingClips = 1000;

TrainConfig train_config(const StudyContext& ctx, const ModelPlan& plan) {
  const auto& sc = ctx.config;
  const bool finetune = plan.from_unimodal && sc.init_from_unimodal;
  TrainConfig c = train_preset(finetune ? sc.finetune_preset : sc.train_preset);
  auto [image_size, audio_length] = dataset_input_sizes(ctx.spec.root, ctx.spec.name);
  c.model.kind = plan.kind;
  c.model.fusion = plan.kind == ModelKind::AudioVisual || plan.kind == ModelKind::Localizer ? plan.fusion : FusionKind::None;
  c.model.image_size = image_size;
  c.model.audio_length = audio_length;
  c.model.seed = sc.seed;
  c.loss.kind = plan.loss;
  c.seed = sc.seed;
  c.workers = sc.workers;
  c.limit_train = sc.limit_train;
  if (sc.epochs_override > 0) c.epochs = sc.epochs_override;
  if (finetune) {
    c.init_audio = ctx.model("audio").checkpoint;
    c.init_visual = ctx.model("visual").checkpoint;
  }
  if (plan.kind != ModelKind::Audio) c.visual_imagenet = sc.visual_imagenet;
  if (is_adversarial_loss(plan.loss)) {
    // ✗AV at the defense tables' ε: that ball holds their ✗A and ✗V threats too.
    c.adversarial.threat = sc.budget.threat(Modality::AudioVisual);
    c.limit_train = sc.limit_train > 0 ? std::min(sc.limit_train, kAdversarialTrainingClips)
                                       : kAdversarialTrainingClips;
  }
  return c;
}

}  // namespace

void train_models(StudyContext& ctx) {
  for (const auto& plan : study_model_plans()) {
    const TrainConfig tc = train_config(ctx, plan);
    nlohmann::json config = {{"train", tc}, {"dataset", ctx.spec}, {"device", ctx.config.device}};
    // Upstream keys: a retrained encoder retrains everything started from it.
    if (!tc.init_audio.empty())
      config["init_keys"] = {ctx.model("audio").key, ctx.model("visual").key};
    const std::string key = StepCache::key(config);
    const auto run_dir = ctx.config.out / "models" / plan.name;
    const auto best = run_dir / "best.pt";
    const std::string step = "train-" + plan.name;
    // A cached step is reused only while its checkpoint is there and holds the weights it trained.
    std::string problem;
    auto check = [&](const nlohmann::json& record) {
      problem = std::filesystem::exists(best) ? cached_checkpoint_problem(best, record)
                                              : "its checkpoint " + best.string() + " is missing";
      return problem;
    };
    auto train = [&] {
      if (ctx.is_root()) {
        // A run folder left by another config cannot be resumed, nor one whose
        // checkpoint is damaged or foreign: start it over.
        const auto key_file = run_dir / "study-key.txt";
        if (std::filesystem::exists(run_dir) && (!problem.empty() || !std::filesystem::exists(key_file) ||
                                                 read_text_file(key_file) != key))
          std::filesystem::remove_all(run_dir);
        ensure_dir(run_dir);
        write_file_atomic(key_file, key);
      }
      ctx.barrier();  // the run folder is as rank 0 left it
      TrainOptions opt;
      opt.resume = std::filesystem::exists(run_dir / "last.pt");
      opt.quiet = !ctx.progress;
      opt.device = ctx.device;
      opt.group = ctx.group;  // data parallel over the study's ranks
      if (ctx.is_root())
        std::cerr << "study: training " << plan.title << (opt.resume ? " (resuming)" : "") << "\n";
      const auto r = train_model(tc, ctx.spec, run_dir, opt);
      nlohmann::json result = {
          {"best_val_accuracy", r.best_val_accuracy},
          {"test_accuracy", r.test_accuracy},
          {"best_epoch", r.best_epoch},
          {"epochs", r.epochs_done},
          {"train_seconds", r.train_seconds},
          {"clips_per_second", r.clips_per_second},
          {"started_from", tc.init_audio.empty()
                               ? (tc.visual_imagenet.empty() ? "scratch" : "ImageNet visual weights")
                               : "the trained unimodal encoders"}};
      if (ctx.is_root()) result["weights_sha256"] = verify_checkpoint(best).weights_sha256;
      return result;
    };
    const nlohmann::json result = ctx.run_step(step, config, train, StepRanks::Shared, check);
    ctx.models[plan.name] = TrainedModel{plan.name, plan.title, best, key, result};
    ctx.results["models"][plan.name] = {{"title", plan.title},   {"kind", plan.kind},
                                        {"fusion", plan.fusion}, {"loss", plan.loss},
                                        {"checkpoint", best.string()}, {"train", result}};
  }
}

}  // namespace study
}  // namespace avr
