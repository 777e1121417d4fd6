#include "avr/train/adversarial_training.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <set>
#include <sstream>

#include "avr/attacks/pgd.h"
#include "avr/core/error.h"
#include "avr/core/json_fields.h"
#include "avr/core/rng.h"

namespace avr {
namespace {

namespace F = torch::nn::functional;

// Switches the model to eval mode for its scope, back to the mode it found.
class EvalMode {
 public:
  explicit EvalMode(AvModel model) : model_(std::move(model)), was_training_(model_->is_training()) {
    model_->eval();
  }
  ~EvalMode() { model_->train(was_training_); }
  EvalMode(const EvalMode&) = delete;
  EvalMode& operator=(const EvalMode&) = delete;

 private:
  AvModel model_;
  bool was_training_;
};

torch::Tensor per_sample_ce(const torch::Tensor& logits, const torch::Tensor& labels) {
  return F::cross_entropy(logits, labels, F::CrossEntropyFuncOptions().reduction(torch::kNone));
}

std::vector<torch::Tensor> model_state(AvModel model) {
  std::vector<torch::Tensor> out;
  for (const auto& p : model->parameters()) out.push_back(p);
  for (const auto& b : model->buffers()) out.push_back(b);
  return out;
}

}  // namespace

void AdversarialTrainingSettings::validate() const {
  threat.validate();
  AVR_CHECK(threat.eps_a > 0 || threat.eps_v > 0,
            "adversarial training: the threat model attacks nothing (", threat.describe(),
            "); give a budget > 0 to the attacked input(s)");
  AVR_CHECK(fgsm_step > 0 && fgsm_step <= 2, "adversarial training: the FGSM-RS step is a fraction of ε in "
            "(0, 2], got ", fgsm_step, " (Wong et al.: 1.25)");
  AVR_CHECK(steps >= 1, "adversarial training: the inner PGD needs ≥ 1 step, got ", steps);
  AVR_CHECK(step_size > 0 && step_size <= 2, "adversarial training: the PGD step is a fraction of ε in (0, 2], "
            "got ", step_size);
  AVR_CHECK(std::isfinite(trades_beta) && trades_beta >= 0, "TRADES β must be a number ≥ 0, got ", trades_beta);
  AVR_CHECK(monitor_clips >= 1, "the collapse monitor needs ≥ 1 held-out clip, got ", monitor_clips);
  AVR_CHECK(monitor_steps >= 1, "the collapse monitor's PGD needs ≥ 1 step, got ", monitor_steps);
  AVR_CHECK(collapse_drop > 0 && collapse_drop <= 1,
            "the collapse drop is a fraction of the monitor clips in (0, 1], got ", collapse_drop);
}

void to_json(nlohmann::json& j, const AdversarialTrainingSettings& s) {
  j = {{"threat", s.threat},
       {"fgsm_step", s.fgsm_step},
       {"steps", s.steps},
       {"step_size", s.step_size},
       {"trades_beta", s.trades_beta},
       {"monitor_clips", s.monitor_clips},
       {"monitor_steps", s.monitor_steps},
       {"collapse_drop", s.collapse_drop}};
}

void from_json(const nlohmann::json& j, AdversarialTrainingSettings& s) {
  AVR_CHECK(j.is_object(), "adversarial training settings: expected a JSON object, got ", j.dump());
  JsonFields f(j, "adversarial training settings");
  f.read("threat", s.threat);
  f.read("fgsm_step", s.fgsm_step);
  f.read("steps", s.steps);
  f.read("step_size", s.step_size);
  f.read("trades_beta", s.trades_beta);
  f.read("monitor_clips", s.monitor_clips);
  f.read("monitor_steps", s.monitor_steps);
  f.read("collapse_drop", s.collapse_drop);
  f.finish();
  s.validate();
}

std::unique_ptr<Attack> make_inner_attack(LossKind kind, const AdversarialTrainingSettings& s,
                                          uint64_t seed) {
  AVR_CHECK(is_adversarial_loss(kind), "'", kind, "' is not an adversarial-training loss: use at-fgsm-rs, "
            "at-pgd or trades");
  // FGSM-RS is PGD's one-step case: uniform start in the ε-ball, one signed step
  // of α, projection onto the ball ∩ the valid range (Wong et al., Alg. 3).
  if (kind == LossKind::AtFgsmRs)
    return make_attack("pgd", {{"steps", 1}, {"step_size", s.fgsm_step}, {"random_start", true}, {"seed", seed}});
  return make_attack("pgd", {{"steps", s.steps}, {"step_size", s.step_size}, {"random_start", true}, {"seed", seed}});
}

torch::Tensor kl_per_sample(const torch::Tensor& p_logits, const torch::Tensor& q_logits) {
  const auto log_p = torch::log_softmax(p_logits, 1), log_q = torch::log_softmax(q_logits, 1);
  return (log_p.exp() * (log_p - log_q)).sum(1);
}

torch::Tensor trades_loss(const torch::Tensor& logits_clean, const torch::Tensor& logits_adv,
                          const torch::Tensor& labels, double beta) {
  return per_sample_ce(logits_clean, labels).mean() + beta * kl_per_sample(logits_clean, logits_adv).mean();
}

AdversarialBatch adversarial_batch(AvModel model, LossKind kind, const AdversarialTrainingSettings& s,
                                   const torch::Tensor& audio, const torch::Tensor& frames,
                                   const torch::Tensor& labels, const torch::Tensor& indices, uint64_t seed) {
  AVR_CHECK(model->config().kind == ModelKind::AudioVisual, "adversarial training (", kind, ") needs an audio-visual model "
            "(--model av), not '", model->config().kind, "'");
  auto attack = make_inner_attack(kind, s, seed);
  attack->set_clip_keys(clip_stream_keys(indices, s.threat.modality));
  AttackResult adv;
  {
    EvalMode eval(model);
    ObjectiveFn objective;
    if (kind == LossKind::Trades) {
      // KL(p(x) ‖ p(x')) with p(x) fixed: the attack's only gradient is w.r.t. x'.
      torch::Tensor clean_logits;
      {
        torch::NoGradGuard no_grad;
        clean_logits = model->forward(audio, frames);
      }
      objective = [model, clean_logits](const torch::Tensor& a, const torch::Tensor& v, const torch::Tensor&) mutable {
        Objective o;
        o.logits = model->forward(a, v);
        o.loss = kl_per_sample(clean_logits, o.logits);
        return o;
      };
    } else {
      objective = cross_entropy_objective([model](const torch::Tensor& a, const torch::Tensor& v) mutable {
        return model->forward(a, v);
      });
    }
    adv = attack->run(objective, audio, frames, labels, s.threat);
  }
  model->train();
  AdversarialBatch out;
  out.audio = adv.audio;
  out.frames = adv.frames;
  out.gradient_evals = adv.gradient_evals;
  const auto logits_adv = model->forward(adv.audio, adv.frames);
  if (kind == LossKind::Trades) {
    out.logits = model->forward(audio, frames);
    out.loss = trades_loss(out.logits, logits_adv, labels, s.trades_beta);
  } else {
    out.logits = logits_adv;
    out.loss = per_sample_ce(logits_adv, labels).mean();
  }
  return out;
}

double pgd_accuracy(AvModel model, const AdversarialTrainingSettings& s, const torch::Tensor& audio,
                    const torch::Tensor& frames, const torch::Tensor& labels, const torch::Tensor& indices,
                    uint64_t seed) {
  EvalMode eval(model);
  auto attack = make_attack("pgd", {{"steps", s.monitor_steps},
                                    {"step_size", pgd_random_start_step(s.monitor_steps)},
                                    {"random_start", true},
                                    {"seed", seed}});
  attack->set_clip_keys(clip_stream_keys(indices, s.threat.modality));
  const auto adv = attack->run(
      cross_entropy_objective(
          [model](const torch::Tensor& a, const torch::Tensor& v) mutable { return model->forward(a, v); }),
      audio, frames, labels, s.threat);
  torch::NoGradGuard no_grad;
  const auto pred = model->forward(adv.audio, adv.frames).argmax(1);
  return pred.eq(labels).to(torch::kFloat64).mean().item<double>();
}

CollapseMonitor::CollapseMonitor(double collapse_drop) : drop_(collapse_drop) {
  AVR_CHECK(collapse_drop > 0 && collapse_drop <= 1, "collapse drop must be in (0, 1], got ", collapse_drop);
}

void CollapseMonitor::start(double accuracy) {
  started_ = true;
  last_good_epoch_ = 0;
  last_good_accuracy_ = accuracy;
}

bool CollapseMonitor::observe(int epoch, double accuracy) {
  AVR_CHECK(started_, "collapse monitor: start() with the starting model's accuracy first");
  AVR_CHECK(epoch > last_good_epoch_, "collapse monitor: epoch ", epoch, " is not after the last good epoch ",
            last_good_epoch_);
  if (accuracy < last_good_accuracy_ - drop_) return true;
  last_good_epoch_ = epoch;
  last_good_accuracy_ = accuracy;
  return false;
}

std::string CollapseMonitor::rule() const {
  std::ostringstream os;
  os << "an epoch collapses when its PGD accuracy on the held-out monitor batch is more than " << drop_
     << " below the last good epoch's (epoch 0: the starting model)";
  return os.str();
}

nlohmann::json MonitorCheck::to_json() const {
  nlohmann::json j = {{"pgd_accuracy", pgd_accuracy}, {"collapsed", collapsed}};
  if (collapsed) {
    j["rolled_back_to_epoch"] = rolled_back_to;
    j["last_good_pgd_accuracy"] = last_good_accuracy;
  }
  return j;
}

AdversarialTrainingRun::AdversarialTrainingRun(LossKind kind, AdversarialTrainingSettings settings,
                                               uint64_t seed, const AvDataset& train_set, const ClipSettings& clip,
                                               int64_t used_clips, int64_t batch_size, const torch::Device& device)
    : kind_(kind), s_(std::move(settings)), seed_(seed), monitor_(s_.collapse_drop) {
  AVR_CHECK(is_adversarial_loss(kind_), "'", kind_, "' is not an adversarial-training loss");
  s_.validate();
  const int64_t n = std::min(used_clips > 0 ? used_clips : train_set.size(), train_set.size());
  training_clips_ = n - s_.monitor_clips;
  AVR_CHECK(training_clips_ >= batch_size, "adversarial training holds out the last ", s_.monitor_clips,
            " of the ", n, " training clips it may use for the collapse monitor, leaving ",
            std::max<int64_t>(training_clips_, 0), " — fewer than one batch of ", batch_size,
            ": use more clips (--limit-train), a smaller --at-monitor-clips or --batch-size");
  std::vector<torch::Tensor> audio, frames;
  std::vector<int64_t> labels, indices;
  for (int64_t i = training_clips_; i < n; ++i) {
    const Clip c = load_clip(train_set.layout(), train_set.row(i), clip, /*train=*/false, nullptr);
    audio.push_back(c.audio);
    frames.push_back(c.frame);
    labels.push_back(train_set.label(i));
    indices.push_back(i);
  }
  audio_ = torch::stack(audio).to(device);
  frames_ = torch::stack(frames).to(device);
  labels_ = torch::tensor(labels, torch::kInt64).to(device);
  indices_ = torch::tensor(indices, torch::kInt64);
  record_ = {{"loss", kind_},
             {"settings", s_},
             {"rule", monitor_.rule()},
             {"monitor_clip_indices", {training_clips_, n}},
             {"epochs", nlohmann::json::array()}};
}

double AdversarialTrainingRun::measure(AvModel model, int epoch) {
  // The same random start every epoch: the accuracies compare models, not draws.
  const double a = pgd_accuracy(model, s_, audio_, frames_, labels_, indices_, Rng(seed_).fork("at/monitor").seed());
  return fake_accuracy ? fake_accuracy(epoch, a) : a;
}

void AdversarialTrainingRun::keep(AvModel model) {
  torch::NoGradGuard no_grad;
  good_.clear();
  for (const auto& t : model_state(model)) good_.push_back(t.detach().clone());
}

void AdversarialTrainingRun::start(AvModel model, const nlohmann::json* record) {
  if (record && record->contains("start_pgd_accuracy")) {
    record_ = *record;
    monitor_.start(record_.at("start_pgd_accuracy").get<double>());
    for (const auto& e : record_.at("epochs"))
      if (!e.at("collapsed").get<bool>()) monitor_.observe(e.at("epoch").get<int>(), e.at("pgd_accuracy").get<double>());
  } else {
    const double a = measure(model, 0);
    monitor_.start(a);
    record_["start_pgd_accuracy"] = a;
  }
  keep(model);  // a resumed run's last.pt holds the last good epoch's weights
}

AdversarialBatch AdversarialTrainingRun::batch(AvModel model, const torch::Tensor& audio, const torch::Tensor& frames,
                                               const torch::Tensor& labels, const torch::Tensor& indices,
                                               int epoch) const {
  const uint64_t seed = Rng(seed_).fork("at/attack").fork(static_cast<uint64_t>(epoch)).seed();
  return adversarial_batch(model, kind_, s_, audio, frames, labels, indices, seed);
}

MonitorCheck AdversarialTrainingRun::end_epoch(AvModel model, int epoch) {
  MonitorCheck c;
  c.pgd_accuracy = measure(model, epoch);
  c.collapsed = monitor_.observe(epoch, c.pgd_accuracy);
  if (c.collapsed) {
    c.rolled_back_to = monitor_.last_good_epoch();
    c.last_good_accuracy = monitor_.last_good_accuracy();
    torch::NoGradGuard no_grad;
    const auto now = model_state(model);
    AVR_ASSERT(now.size() == good_.size(), "model state changed shape during training");
    for (size_t i = 0; i < now.size(); ++i) now[i].copy_(good_[i]);
    record_["rolled_back_to_epoch"] = c.rolled_back_to;
    record_["collapsed_at_epoch"] = epoch;
  } else {
    keep(model);
  }
  nlohmann::json e = c.to_json();
  e["epoch"] = epoch;
  record_["epochs"].push_back(e);
  return c;
}

}  // namespace avr
