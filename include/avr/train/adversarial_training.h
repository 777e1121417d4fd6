// Adversarial training under a multimodal threat (✗A, ✗V or ✗AV budgets), the
// baseline every later audio-visual robustness paper compares against:
//
//   at-fgsm-rs  "fast" AT (Wong, Rice & Kolter, ICLR 2020): δ₀ ~ U(−ε, ε), one
//               signed-gradient step of α = 1.25·ε, projected onto the ε-ball ∩
//               the valid range; L = CE(f(x + δ), y).
//   at-pgd      PGD-AT (Madry et al., ICLR 2018): `steps` PGD steps of
//               step_size·ε (default 10 of 2.5ε/10) from a uniform random start;
//               L = CE(f(x + δ), y).
//   trades      TRADES (Zhang et al., ICML 2019):
//               L = CE(f(x), y) + β · 1/B Σ_i KL(p(x_i) ‖ p(x_i + δ_i)),
//               δ from PGD maximizing that KL with p(x) fixed (β = 6 default).
//
// The inner attack is avr's own Pgd (make_attack("pgd", …); FGSM-RS is its
// one-step, random-start case), run through Attack::run, which takes gradients
// with torch::autograd::grad w.r.t. the attacked inputs only: the parameters'
// .grad is never written by the attack. It runs with the model in eval mode
// (as TRADES' reference code), so BatchNorm's running statistics are updated only
// by the training forward passes and the attack sees the function the evaluation
// attacks; the training passes then run in train mode. Random starts come from
// (seed, epoch, clip index, modality), never from the batch (attacks/attack.h).
//
// Catastrophic overfitting (Wong et al. Sec. 5; Rice et al. 2020): after every
// epoch, the PGD accuracy on a held-out batch of training clips (the last
// `monitor_clips` of the clips the run may use, never trained on; eval
// transforms; the same random start each epoch). Rule, fixed before any run:
// an epoch has collapsed when that accuracy is more than `collapse_drop`
// (default 0.2, Wong et al.'s early-stopping threshold) below the last good
// epoch's (the starting model's before epoch 1). On a collapse the weights go
// back to the last good epoch, training stops there (Wong et al.'s early stop),
// and the log, last.pt, best.pt and result.json say so.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "avr/attacks/attack.h"
#include "avr/attacks/threat_model.h"
#include "avr/data/clip.h"
#include "avr/data/dataset.h"
#include "avr/models/av_model.h"
#include "avr/train/losses.h"

namespace avr {

struct AdversarialTrainingSettings {
  // The inner attack's threat model. Default ✗AV at the paper's per-input
  // budget 0.006 (raw units): the ✗AV ball contains the ✗A and ✗V threat sets
  // the defense tables evaluate at that ε (each is the ball with one input kept
  // clean), so its worst case bounds theirs.
  ThreatModel threat = ThreatModel::paper(Modality::AudioVisual);
  double fgsm_step = 1.25;    // at-fgsm-rs: α as a fraction of ε (Wong et al.: 1.25)
  int steps = 10;             // at-pgd, trades: inner PGD steps
  double step_size = 0.25;    // at-pgd, trades: fraction of ε per step (Madry et al.'s 2.5/steps)
  double trades_beta = 6.0;   // trades: weight β of the KL term (Zhang et al.'s default)
  int64_t monitor_clips = 32; // held-out training clips of the collapse monitor
  int monitor_steps = 10;     // the monitor's PGD: steps of 2.5ε/steps, random start
  double collapse_drop = 0.2; // collapse: monitor accuracy this far below the last good epoch's
  void validate() const;
};
void to_json(nlohmann::json& j, const AdversarialTrainingSettings& s);
// Missing keys keep their defaults; unknown keys are an error.
void from_json(const nlohmann::json& j, AdversarialTrainingSettings& s);

// The inner attack of `kind` with random starts from `seed`: a Pgd of 1 step of
// fgsm_step·ε (at-fgsm-rs) or `steps` steps of step_size·ε (at-pgd, trades).
std::unique_ptr<Attack> make_inner_attack(LossKind kind, const AdversarialTrainingSettings& s,
                                          uint64_t seed);

// KL(softmax(p_logits) ‖ softmax(q_logits)) per sample [B] (PyTorch's
// kl_div(log_softmax(q), softmax(p)) summed over classes).
torch::Tensor kl_per_sample(const torch::Tensor& p_logits, const torch::Tensor& q_logits);
// TRADES' objective (scalar): mean_i CE(clean_i, y_i) + β · mean_i KL(p(clean_i) ‖ p(adv_i)).
torch::Tensor trades_loss(const torch::Tensor& logits_clean, const torch::Tensor& logits_adv,
                          const torch::Tensor& labels, double beta);

struct AdversarialBatch {
  torch::Tensor loss;           // scalar; its graph reaches the parameters only
  torch::Tensor logits;         // [B,C] what the epoch's train accuracy counts: adversarial
                                // (at-fgsm-rs, at-pgd) or clean (trades) inputs
  torch::Tensor audio, frames;  // the adversarial inputs (detached)
  int64_t gradient_evals = 0;   // the attack's forward + input-backward passes
};

// One batch of adversarial training: the attack (eval mode, input gradients
// only), then the loss in train mode (the model is left in train mode).
// audio [B,L] in [-1,1], frames [B,3,H,W] in [0,1], labels and clip indices
// [B] int64 (indices key the random starts).
AdversarialBatch adversarial_batch(AvModel model, LossKind kind, const AdversarialTrainingSettings& s,
                                   const torch::Tensor& audio, const torch::Tensor& frames,
                                   const torch::Tensor& labels, const torch::Tensor& indices, uint64_t seed);

// Fraction of the batch the model still classifies correctly under the
// monitor's PGD (s.monitor_steps steps, random start from `seed`), eval mode.
double pgd_accuracy(AvModel model, const AdversarialTrainingSettings& s, const torch::Tensor& audio,
                    const torch::Tensor& frames, const torch::Tensor& labels, const torch::Tensor& indices,
                    uint64_t seed);

// The collapse rule alone (see the top of this file), fed one accuracy per epoch.
class CollapseMonitor {
 public:
  explicit CollapseMonitor(double collapse_drop = 0.2);
  // The starting model's accuracy: epoch 0, the first good epoch.
  void start(double accuracy);
  // Epoch `epoch`'s accuracy; true when it collapsed (then the last good epoch
  // stays what it was). An avr::Error before start().
  bool observe(int epoch, double accuracy);
  int last_good_epoch() const { return last_good_epoch_; }
  double last_good_accuracy() const { return last_good_accuracy_; }
  std::string rule() const;  // the rule in words, for logs and records

 private:
  double drop_;
  bool started_ = false;
  int last_good_epoch_ = 0;
  double last_good_accuracy_ = 0;
};

// What one epoch's monitor decided.
struct MonitorCheck {
  double pgd_accuracy = 0;
  bool collapsed = false;
  int rolled_back_to = -1;  // the last good epoch when collapsed
  double last_good_accuracy = 0;  // its monitor accuracy
  nlohmann::json to_json() const;
};

// Adversarial training's part of one training run, driven by the trainer
// (train/trainer.h): the held-out monitor batch, the batch losses, the monitor
// and the rollback. `used_clips` is how many training clips the run may use
// (TrainConfig::limit_train, or all); the last `monitor_clips` of them are held
// out, so at least one batch of clips must remain (an avr::Error otherwise).
class AdversarialTrainingRun {
 public:
  AdversarialTrainingRun(LossKind kind, AdversarialTrainingSettings settings, uint64_t seed,
                         const AvDataset& train_set, const ClipSettings& clip, int64_t used_clips,
                         int64_t batch_size, const torch::Device& device);
  // Clips the loader trains on: the first used_clips − monitor_clips.
  int64_t training_clips() const { return training_clips_; }

  // Tests only: replaces each measured monitor accuracy by fake(epoch, measured)
  // (epoch 0: the starting model) to exercise the rollback.
  std::function<double(int, double)> fake_accuracy;

  // Before the first epoch of this call. `record` is the monitor record of a
  // resumed run (from last.pt), null for a new one: a new run measures the
  // starting model. Keeps the model's current weights as the last good ones.
  void start(AvModel model, const nlohmann::json* record);
  AdversarialBatch batch(AvModel model, const torch::Tensor& audio, const torch::Tensor& frames,
                         const torch::Tensor& labels, const torch::Tensor& indices, int epoch) const;
  // After epoch `epoch` (1-based): measures, decides, and on a collapse copies the
  // last good weights back into `model`.
  MonitorCheck end_epoch(AvModel model, int epoch);
  // The monitor's record (settings, rule, clips, start and per-epoch accuracies,
  // the rollback if any), written to last.pt and result.json; start() reads it back.
  const nlohmann::json& record() const { return record_; }

 private:
  double measure(AvModel model, int epoch);
  void keep(AvModel model);

  LossKind kind_;
  AdversarialTrainingSettings s_;
  uint64_t seed_;
  int64_t training_clips_ = 0;
  torch::Tensor audio_, frames_, labels_, indices_;  // the held-out batch, on the device
  CollapseMonitor monitor_;
  std::vector<torch::Tensor> good_;  // parameters and buffers of the last good epoch
  nlohmann::json record_;
};

}  // namespace avr
