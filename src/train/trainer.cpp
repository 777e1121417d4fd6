#include "avr/train/trainer.h"

#include <torch/torch.h>

#include <cmath>
#include <iostream>

#include "avr/core/error.h"
#include "avr/core/fs.h"
#include "avr/core/output_lock.h"
#include "avr/core/progress.h"
#include "avr/core/sha256.h"
#include "avr/core/timer.h"
#include "avr/data/runtime.h"
#include "avr/dist/gradient_reducer.h"
#include "avr/models/checkpoint.h"
#include "avr/train/accuracy.h"
#include "avr/train/adversarial_training.h"
#include "avr/train/attended_visual_loss.h"
#include "resume_point.h"

namespace avr {
namespace {

namespace F = torch::nn::functional;

struct Optimizers {
  std::unique_ptr<torch::optim::SGD> model;
  std::vector<double> base_lr;  // per parameter group
  PclCenters pcl_audio{nullptr}, pcl_visual{nullptr};
  std::unique_ptr<torch::optim::SGD> prox, conprox;
};

Optimizers make_optimizers(const TrainConfig& c, AvModel model, const torch::Device& device) {
  Optimizers o;
  auto groups = model->parameter_groups();
  std::vector<torch::optim::OptimizerParamGroup> pg;
  auto add = [&](std::vector<torch::Tensor> params, double lr) {
    if (params.empty()) return;
    auto opts = std::make_unique<torch::optim::SGDOptions>(lr);
    opts->momentum(c.momentum).weight_decay(c.weight_decay);
    pg.emplace_back(std::move(params), std::move(opts));
    o.base_lr.push_back(lr);
  };
  add(groups.audio, c.lr_audio);
  add(groups.visual, c.lr_visual);
  add(groups.head, c.lr_head);
  o.model = std::make_unique<torch::optim::SGD>(
      pg, torch::optim::SGDOptions(c.lr_head).momentum(c.momentum).weight_decay(c.weight_decay));
  if (c.loss.kind == LossKind::Pcl) {
    const int64_t n = c.model.num_classes;
    std::vector<torch::Tensor> centers, con_centers;
    if (model->has_audio()) {
      o.pcl_audio = PclCenters(n, 512, Rng(c.seed).fork("pcl/audio").seed());
      o.pcl_audio->to(device);
      centers.push_back(o.pcl_audio->centers);
      con_centers.push_back(o.pcl_audio->con_centers);
    }
    if (model->has_visual()) {
      o.pcl_visual = PclCenters(n, 512, Rng(c.seed).fork("pcl/visual").seed());
      o.pcl_visual->to(device);
      centers.push_back(o.pcl_visual->centers);
      con_centers.push_back(o.pcl_visual->con_centers);
    }
    o.prox = std::make_unique<torch::optim::SGD>(centers, torch::optim::SGDOptions(c.loss.pcl_lr_prox));
    o.conprox = std::make_unique<torch::optim::SGD>(con_centers,
                                                    torch::optim::SGDOptions(c.loss.pcl_lr_conprox));
  }
  return o;
}

void set_learning_rates(Optimizers& o, const TrainConfig& c, int epoch) {
  const double factor = std::pow(c.lr_gamma, epoch / c.lr_step);
  auto& groups = o.model->param_groups();
  for (size_t g = 0; g < groups.size(); ++g)
    static_cast<torch::optim::SGDOptions&>(groups[g].options()).lr(o.base_lr[g] * factor);
}

void save_state(const std::filesystem::path& path, Optimizers& o) {
  write_atomic_with(path, [&](const std::filesystem::path& tmp) {
    torch::serialize::OutputArchive root, opt;
    o.model->save(opt);
    root.write("optimizer", opt);
    if (o.prox) {
      torch::serialize::OutputArchive prox, conprox;
      o.prox->save(prox);
      o.conprox->save(conprox);
      root.write("prox", prox);
      root.write("conprox", conprox);
      if (o.pcl_audio) {
        torch::serialize::OutputArchive a;
        o.pcl_audio->save(a);
        root.write("pcl_audio", a);
      }
      if (o.pcl_visual) {
        torch::serialize::OutputArchive v;
        o.pcl_visual->save(v);
        root.write("pcl_visual", v);
      }
    }
    root.save_to(tmp.string());
  });
}

void load_state(const std::filesystem::path& path, Optimizers& o, const torch::Device& device) {
  require_file(path, "optimizer state (needed to resume)");
  try {
    torch::serialize::InputArchive root, opt;
    root.load_from(path.string(), device);
    root.read("optimizer", opt);
    o.model->load(opt);
    if (o.prox) {
      torch::serialize::InputArchive prox, conprox;
      root.read("prox", prox);
      root.read("conprox", conprox);
      o.prox->load(prox);
      o.conprox->load(conprox);
      if (o.pcl_audio) {
        torch::serialize::InputArchive a;
        root.read("pcl_audio", a);
        o.pcl_audio->load(a);
      }
      if (o.pcl_visual) {
        torch::serialize::InputArchive v;
        root.read("pcl_visual", v);
        o.pcl_visual->load(v);
      }
    }
  } catch (const c10::Error& e) {
    AVR_FAIL("cannot resume from ", path, ": ", e.what_without_backtrace(),
             " — delete the run folder to start over");
  }
}

AvModel build_model(const TrainConfig& c, const torch::Device& device) {
  AvModel model(c.model);
  if (!c.visual_imagenet.empty()) {
    AVR_CHECK(model->has_visual(), "--visual-init needs a model with a visual branch");
    import_torchvision_resnet18(model->visual_net, c.visual_imagenet);
  }
  if (!c.init_audio.empty()) {
    auto a = load_checkpoint(c.init_audio).model;
    auto v = load_checkpoint(c.init_visual).model;
    AVR_CHECK(a->config().kind == ModelKind::Audio, c.init_audio, " is a '", a->config().kind,
              "' model; --init-audio needs an audio-only checkpoint");
    AVR_CHECK(v->config().kind == ModelKind::Visual, c.init_visual, " is a '", v->config().kind,
              "' model; --init-visual needs a visual-only checkpoint");
    init_from_unimodal(model, a, v);
  }
  model->to(device);
  return model;
}

void freeze_batchnorm(AvModel& model) {
  for (auto& m : model->modules(/*include_self=*/false))
    if (m->as<torch::nn::BatchNorm1d>() || m->as<torch::nn::BatchNorm2d>()) m->eval();
}

// Parameters, buffers (BatchNorm statistics) and PCL centers from rank 0: the
// ranks start from the same model whatever each built. Momentum buffers need
// nothing: none before the first step, and a resumed run's come from the state
// file every rank reads.
void broadcast_state(dist::ProcessGroup& g, AvModel& model, Optimizers& o) {
  if (!g.distributed()) return;
  torch::NoGradGuard ng;
  std::vector<torch::Tensor> all;
  for (auto& p : model->parameters()) all.push_back(p);
  for (auto& b : model->buffers()) all.push_back(b);
  for (auto* c : {&o.pcl_audio, &o.pcl_visual})
    if (*c)
      for (auto& p : (*c)->parameters()) all.push_back(p);
  g.broadcast(all);
}

// BatchNorm's running statistics averaged over the ranks (each rank's moved
// with its own share of every batch; the mean moves exactly as one process's,
// the variance lacks the spread between the shares' means).
void average_running_stats(dist::ProcessGroup& g, AvModel& model) {
  if (!g.distributed()) return;
  torch::NoGradGuard ng;
  std::vector<torch::Tensor> stats;
  for (auto& m : model->modules(false))
    for (auto& item : m->named_buffers(/*recurse=*/false))
      if (item.value().is_floating_point() && (item.key() == "running_mean" || item.key() == "running_var"))
        stats.push_back(item.value());
  g.all_reduce_sum(stats);
  for (auto& b : stats) b.div_(g.world_size());
}

}  // namespace

TrainResult train_model(TrainConfig c, const DatasetSpec& spec_in, const std::filesystem::path& run_dir,
                        const TrainOptions& opt) {
  c.validate();
  dist::ProcessGroup one_process;
  dist::ProcessGroup& group = opt.group ? *opt.group : one_process;
  const int ranks = group.world_size();
  const bool root = group.is_root();
  AVR_CHECK(c.batch_size % ranks == 0, "batch size ", c.batch_size, " does not split over ", ranks,
            " ranks: give a --batch-size divisible by ", ranks,
            " (the global batch; each rank trains on batch size / ranks clips of it)");
  const DatasetSpec spec = spec_in.resolved();
  const auto classes = dataset_classes(spec);
  AVR_CHECK(c.model.num_classes == 0 || c.model.num_classes == static_cast<int64_t>(classes.size()),
            "model has ", c.model.num_classes, " classes but dataset '", spec.name, "' has ",
            classes.size());
  c.model.num_classes = static_cast<int64_t>(classes.size());
  c.model.validate();
  AvDataset train_set(spec, "train", classes), val_set(spec, "val", classes);
  train_set.check_files();
  val_set.check_files();
  const CheckpointOrigin origin = training_origin(c, train_set);  // recorded in every checkpoint

  ClipSettings clip;
  clip.image_size = c.model.image_size;
  clip.audio_length = c.model.audio_length;

  // One run per output folder; rank 0 holds it for the group.
  std::unique_ptr<OutputLock> lock;
  if (root) lock = std::make_unique<OutputLock>(run_dir, "avr train");
  nlohmann::json config_json = {{"train", c}, {"dataset", spec}, {"classes", classes}};
  const auto config_path = run_dir / "config.json";
  const auto last_path = run_dir / "last.pt", best_path = run_dir / "best.pt";
  int start_epoch = 0;
  TrainResult result;
  result.history = nlohmann::json::array();
  result.best_val_accuracy = -1;  // the first epoch always becomes the best so far

  AvModel model = build_model(c, opt.device);
  Optimizers optim = make_optimizers(c, model, opt.device);
  // Adversarial training holds out the last monitor clips of the training range.
  std::unique_ptr<AdversarialTrainingRun> at;
  if (is_adversarial_loss(c.loss.kind)) {
    at = std::make_unique<AdversarialTrainingRun>(c.loss.kind, c.adversarial, Rng(c.seed).fork("train/at").seed(),
                                                  train_set, clip, c.limit_train, c.batch_size, opt.device);
    at->fake_accuracy = opt.fake_monitor_accuracy;
  }
  bool stopped = false;  // a collapse stopped the run (adversarial training)
  nlohmann::json resumed_meta;

  // Rank 0 decides whether this run resumes; the others then read the same files.
  auto resuming = torch::tensor({static_cast<int64_t>(std::filesystem::exists(last_path))});
  group.broadcast(resuming);
  if (resuming.item<int64_t>()) {
    AVR_CHECK(std::filesystem::exists(last_path), "rank ", group.rank(), " cannot see ", last_path,
              " which rank 0 resumes from: resuming on several machines needs the run folder on a "
              "filesystem every rank reads");
    AVR_CHECK(opt.resume, "run folder ", run_dir,
              " already holds a training run: pass --resume to continue it, or choose another --out");
    const ResumePoint r = read_resume_point(run_dir, config_json, model, origin);
    start_epoch = r.epoch;
    result.history = r.history;
    result.best_epoch = r.best_epoch;
    result.best_val_accuracy = r.best_val_accuracy;
    load_state(r.state, optim, opt.device);
    stopped = r.stopped;
    resumed_meta = r.metadata;
    if (!opt.quiet && root)
      std::cerr << "avr train: resuming " << run_dir << " after epoch " << start_epoch << "\n";
  } else if (root) {
    config_json["runtime"] = runtime_info();
    if (group.distributed()) config_json["runtime"]["data_parallel_ranks"] = ranks;
    write_file_atomic(config_path, config_json.dump(2) + "\n");
  }
  broadcast_state(group, model, optim);
  std::vector<torch::Tensor> trained = model->parameters();
  for (auto* centers : {&optim.pcl_audio, &optim.pcl_visual})
    if (*centers)
      for (auto& p : (*centers)->parameters()) trained.push_back(p);
  dist::GradientReducer reducer(trained);

  LoaderSettings ls;
  ls.batch_size = c.batch_size / ranks;  // this rank's share of every global batch
  ls.shard_rank = group.rank();
  ls.shard_count = ranks;
  ls.shuffle = true;
  ls.train_transforms = true;
  ls.drop_last = true;  // BatchNorm dislikes a last batch of one
  ls.workers = c.workers;
  ls.seed = Rng(c.seed).fork("train/loader").seed();
  ls.limit = at ? at->training_clips() : c.limit_train;
  BatchLoader loader(train_set, clip, ls);
  if (at) {
    // A resumed run takes the monitor's record from last.pt; a new one measures the start.
    at->start(model, resumed_meta.contains("adversarial") ? &resumed_meta.at("adversarial") : nullptr);
    if (!opt.quiet && !stopped && root)
      std::cerr << "avr train: " << c.loss.kind << " under " << c.adversarial.threat.describe()
                << "; starting model's PGD accuracy on the " << c.adversarial.monitor_clips
                << " held-out monitor clips " << at->record().at("start_pgd_accuracy").get<double>() << "\n";
  }

  Timer total;
  double train_time = 0;
  int64_t clips_seen = 0;
  int epochs_this_call = 0;
  for (int epoch = start_epoch; epoch < c.epochs; ++epoch) {
    if (stopped || (opt.stop_after_epochs > 0 && epochs_this_call >= opt.stop_after_epochs)) break;
    set_learning_rates(optim, c, epoch);
    model->train();
    if (opt.freeze_batchnorm) freeze_batchnorm(model);
    loader.start_epoch(epoch);
    Timer epoch_timer;
    double loss_sum = 0;
    int64_t correct = 0, seen = 0, steps = 0;
    const dist::CommStats comm_before = group.stats();
    std::unique_ptr<Progress> progress;
    if (!opt.quiet && root)
      progress = std::make_unique<Progress>(
          "train " + to_string(c.model.kind) + (c.model.kind == ModelKind::AudioVisual ? "/" + to_string(c.model.fusion) : "") + " epoch " +
              std::to_string(epoch + 1) + "/" + std::to_string(c.epochs),
          loader.batches_per_epoch() * c.batch_size, "clips");
    while (auto b = loader.next()) {
      auto audio = b->audio.to(opt.device), frames = b->frames.to(opt.device);
      auto labels = b->labels.to(opt.device);
      torch::Tensor logits, loss;
      Features f;
      if (at) {
        auto ab = at->batch(model, audio, frames, labels, b->indices, epoch);
        logits = ab.logits;
        loss = ab.loss;
      } else {
        f = model->encode(audio, frames);
        logits = model->classify(f);
        loss = per_sample_loss(c.loss.kind, logits, f, labels).mean();
      }
      if (model->visual_needs_audio() && c.attended_visual_weight > 0)
        loss = loss + c.attended_visual_weight * attended_visual_loss(*model, f, labels).mean();
      if (c.loss.kind == LossKind::Pcl) {
        for (auto [centers, feat] : {std::pair{optim.pcl_audio, f.audio},
                                     std::pair{optim.pcl_visual, f.visual}}) {
          if (!centers) continue;
          loss = loss + c.loss.pcl_weight_prox * centers->prox(feat, labels) -
                 c.loss.pcl_weight_conprox * centers->conprox(feat, labels);
        }
        optim.prox->zero_grad();
        optim.conprox->zero_grad();
      }
      optim.model->zero_grad();
      // The whole batch's gradient on every rank, all-reduced while backward runs or after it.
      if (opt.overlap_allreduce) {
        reducer.arm(group);
        loss.backward();
        reducer.finish();
      } else {
        loss.backward();
        reducer.average(group);
      }
      AVR_CHECK(std::isfinite(loss.item<double>()), "training diverged at epoch ", epoch + 1,
                " (loss is ", loss.item<double>(), "): lower the learning rates");
      ++steps;
      optim.model->step();
      if (optim.prox) {
        // As Mustafa et al.'s code: centers learn at their own rate whatever
        // the loss weights, so undo the weight in their gradients.
        for (auto& p : optim.prox->param_groups()[0].params())
          if (p.grad().defined()) p.grad().div_(c.loss.pcl_weight_prox);
        for (auto& p : optim.conprox->param_groups()[0].params())
          if (p.grad().defined()) p.grad().div_(c.loss.pcl_weight_conprox);
        optim.prox->step();
        optim.conprox->step();
      }
      const int64_t n = labels.size(0);
      loss_sum += loss.item<double>() * n;
      correct += logits.argmax(1).eq(labels).sum().item<int64_t>();
      seen += n;
      if (progress) {
        char status[96];
        std::snprintf(status, sizeof status, "loss %.3f acc %.3f", loss_sum / seen,
                      static_cast<double>(correct) / seen);
        progress->advance(n * ranks, status);
      }
    }
    if (progress) progress->finish();
    nlohmann::json data_parallel;
    if (group.distributed()) {
      // The epoch's loss and accuracy over every rank's clips.
      auto sums = torch::tensor({loss_sum, static_cast<double>(correct), static_cast<double>(seen)},
                                torch::kFloat64);
      group.all_reduce_sum(sums);
      loss_sum = sums[0].item<double>();
      correct = static_cast<int64_t>(sums[1].item<double>());
      seen = static_cast<int64_t>(sums[2].item<double>());
      average_running_stats(group, model);
      const dist::CommStats& now = group.stats();
      data_parallel = {{"ranks", ranks},
                       {"steps", steps},
                       {"allreduce_bytes_per_step", reducer.last_bytes()},
                       {"allreduce_buckets", reducer.last_buckets()},
                       {"allreduce", opt.overlap_allreduce ? "overlapped with backward" : "after backward"},
                       {"allreduce_seconds", now.all_reduce_seconds - comm_before.all_reduce_seconds},
                       {"allreduce_bytes", now.all_reduce_bytes - comm_before.all_reduce_bytes}};
    }
    const double epoch_seconds = epoch_timer.seconds();
    train_time += epoch_seconds;
    clips_seen += seen;
    // Only rank 0 validates and keeps checkpoints; the others go on to the next epoch.
    const auto val = root ? evaluate_accuracy(model, val_set, clip, c.batch_size, opt.device, c.workers)
                          : AccuracyReport{};
    const double lr_now = optim.base_lr.back() * std::pow(c.lr_gamma, epoch / c.lr_step);
    result.history.push_back({{"epoch", epoch + 1},
                              {"loss", seen ? loss_sum / seen : 0.0},
                              {"train_accuracy", seen ? static_cast<double>(correct) / seen : 0.0},
                              {"val_accuracy", val.accuracy()},
                              {"seconds", epoch_seconds},
                              {"clips_per_second", seen / std::max(epoch_seconds, 1e-9)},
                              {"lr_head", lr_now}});
    if (group.distributed()) result.history.back()["data_parallel"] = data_parallel;
    if (!opt.quiet && root)
      std::cerr << "  epoch " << epoch + 1 << ": val accuracy " << val.accuracy() << " ("
                << val.clips << " clips)\n";
    nlohmann::json best_meta = {{"epoch", epoch + 1}, {"val_accuracy", val.accuracy()}, {"classes", classes},
                                {"train", c}, {"dataset", spec}};
    bool collapsed = false;
    if (at) {
      // The collapse monitor: on a collapse the model is back at the last good
      // epoch's weights, and this epoch never becomes the best.
      const Timer monitor_timer;
      const MonitorCheck check = at->end_epoch(model, epoch + 1);
      collapsed = check.collapsed;
      result.history.back()["monitor"] = check.to_json();
      result.history.back()["monitor_seconds"] = monitor_timer.seconds();
      best_meta["monitor_pgd_accuracy"] = check.pgd_accuracy;
      if (!opt.quiet && root)
        std::cerr << "  epoch " << epoch + 1 << ": PGD accuracy " << check.pgd_accuracy << " on the "
                  << c.adversarial.monitor_clips << " monitor clips\n";
      if (collapsed) {
        stopped = true;
        if (root)
          std::cerr << "avr train: catastrophic overfitting at epoch " << epoch + 1 << " (PGD accuracy "
                    << check.pgd_accuracy << " on the monitor clips, last good epoch " << check.rolled_back_to
                    << ": " << check.last_good_accuracy << "; rule: "
                    << at->record().at("rule").get<std::string>() << "): rolled back to epoch "
                    << check.rolled_back_to << " and stopped\n";
      }
    }
    if (!root) {  // the files are rank 0's
      ++epochs_this_call;
      continue;
    }
    if (!collapsed && val.accuracy() > result.best_val_accuracy) {
      result.best_val_accuracy = val.accuracy();
      result.best_epoch = epoch + 1;
      save_checkpoint(best_path, model, best_meta, origin);
    }
    if (collapsed && !std::filesystem::exists(best_path)) {
      // Collapsed in the first epoch: the best is the starting model.
      const auto start_val = evaluate_accuracy(model, val_set, clip, c.batch_size, opt.device, c.workers);
      result.best_val_accuracy = start_val.accuracy();
      result.best_epoch = 0;
      best_meta["epoch"] = 0;
      best_meta["val_accuracy"] = start_val.accuracy();
      best_meta["monitor_pgd_accuracy"] = at->record().at("start_pgd_accuracy");
      save_checkpoint(best_path, model, best_meta, origin);
    }
    // Optimizer state first, then the model that points at it: a kill between
    // the two leaves the previous epoch's pair intact.
    save_state(state_path(run_dir, epoch + 1), optim);
    nlohmann::json last_meta = {{"epoch", epoch + 1},
                                {"history", result.history},
                                {"best_epoch", result.best_epoch},
                                {"best_val_accuracy", result.best_val_accuracy},
                                {"classes", classes},
                                {"train", c},
                                {"dataset", spec}};
    last_meta["state_sha256"] = sha256_file(state_path(run_dir, epoch + 1));  // checked on resume
    if (at) {
      last_meta["adversarial"] = at->record();
      last_meta["stopped_early"] = stopped;
    }
    save_checkpoint(last_path, model, last_meta, origin);
    std::error_code ignored;
    std::filesystem::remove(state_path(run_dir, epoch), ignored);
    ++epochs_this_call;
  }

  result.epochs_done = result.history.size();
  result.best_checkpoint = best_path;
  result.last_checkpoint = last_path;
  result.train_seconds = train_time;
  result.clips_per_second = train_time > 0 ? clips_seen / train_time : 0.0;
  if (root && (result.epochs_done == c.epochs || stopped)) {
    AvDataset test_set(spec, "test", classes);
    auto best = load_checkpoint(best_path, opt.device).model;
    const auto test = evaluate_accuracy(best, test_set, clip, c.batch_size, opt.device, c.workers);
    result.test_accuracy = test.accuracy();
    double all_seconds = 0;
    for (const auto& h : result.history) all_seconds += h.at("seconds").get<double>();
    nlohmann::json record = {{"best_epoch", result.best_epoch},
                             {"best_val_accuracy", result.best_val_accuracy},
                             {"test", test},
                             {"train_seconds", all_seconds},
                             {"history", result.history},
                             {"model", c.model},
                             {"runtime", runtime_info()}};
    if (at) {
      record["adversarial"] = at->record();
      record["stopped_early"] = stopped;
    }
    write_file_atomic(run_dir / "result.json", record.dump(2) + "\n");
  }
  return result;
}

}  // namespace avr
