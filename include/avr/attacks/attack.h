// Common interface of the L∞ input attacks (paper Sec. 4.2): FGSM, PGD, MIM,
// APGD-CE and the original code's MIM kept for comparison. An attack returns
// adversarial inputs in raw units inside the threat model's budget; it only ever
// takes gradients w.r.t. the attacked inputs, never the model's parameters.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "avr/attacks/objective.h"
#include "avr/attacks/threat_model.h"

namespace avr {

namespace detail {
struct AttackProblem;
}

struct AttackResult {
  // Adversarial inputs in raw units. An unattacked modality (or one with eps 0)
  // is the caller's clean tensor itself, untouched, not even clamped.
  torch::Tensor audio, frames;
  // Forward + backward passes through the objective this run cost.
  int64_t gradient_evals = 0;
  // Forward-only calls of the objective (score-based attacks such as Square: each call on
  // all or some of the batch's samples, no backward); 0 for the gradient attacks.
  int64_t queries = 0;
  // Composite attacks (AutoAttack) only, else empty/undefined: the names of their stages,
  // stages[0] = "clean", and per sample [B] (int64, CPU) the index of the stage whose result
  // fooled it (0: misclassified before any attack), -1 where none did.
  std::vector<std::string> stages{};
  torch::Tensor fooled_at{};
};

class Attack {
 public:
  virtual ~Attack() = default;

  // Checks shapes, ranges (clean inputs must lie in [-1,1] / [0,1]) and the
  // threat model, then perturbs. Grad mode is switched on inside, so callers
  // may hold a NoGradGuard.
  AttackResult run(const ObjectiveFn& objective, const torch::Tensor& audio, const torch::Tensor& frames,
                   const torch::Tensor& labels, const ThreatModel& threat);

  // "fgsm", "pgd", ... as accepted by make_attack.
  virtual std::string name() const = 0;
  // The settings, as make_attack reads them back (written next to results).
  virtual nlohmann::json settings_json() const = 0;

  // Random draws (random starts) of the next run() come, for sample i, from the
  // seed's sub-stream keys[i]: one key per sample, normally
  // clip_stream_keys(batch.indices, modality), so a clip's draws (and so its
  // result) never depend on its batch, the batch size or the process that ran it.
  // Used by the next run() only. Without keys, run n draws sample i from the
  // sub-stream n·2³² + i: reproducible for the same sequence of calls only.
  void set_clip_keys(std::vector<uint64_t> keys) { clip_keys_ = std::move(keys); }

  // run() on a batch of dataset clips under the per-clip random-stream rule: clip i
  // draws from clip_stream_key(clip_indices[i], threat.modality), so its result does
  // not depend on batching, on the process or on which modalities or attacks ran
  // before. clip_indices: [B] int64, the batch's dataset rows (Batch::indices).
  AttackResult run_on_clips(const ObjectiveFn& objective, const torch::Tensor& clip_indices,
                            const torch::Tensor& audio, const torch::Tensor& frames,
                            const torch::Tensor& labels, const ThreatModel& threat);

 protected:
  friend class AutoAttack;  // runs its stages' perturb() on subsets of one prepared problem
  virtual AttackResult perturb(const ObjectiveFn& objective, const detail::AttackProblem& problem) = 0;

 private:
  std::vector<uint64_t> clip_keys_;
  uint64_t runs_ = 0;
};

// The per-clip random-stream rule, the one place it is written: an attack on
// `modality` draws clip `clip_index`'s randomness (a row of the dataset) from the
// sub-stream clip_index·4 + modality.
uint64_t clip_stream_key(int64_t clip_index, Modality modality);
// One key per entry of `clip_indices` [B] (int64, e.g. Batch::indices).
std::vector<uint64_t> clip_stream_keys(const torch::Tensor& clip_indices, Modality modality);

// name: fgsm | pgd | mim | apgd | apgd-t | autoattack | square | mim_original (and attack_names()). `settings` holds the fields of
// that attack's settings struct (missing ones keep the original's defaults;
// unknown ones are an error), e.g. {"steps": 20, "random_start": true, "seed": 3}.
std::unique_ptr<Attack> make_attack(const std::string& name,
                                    const nlohmann::json& settings = nlohmann::json::object());
std::vector<std::string> attack_names();

// make_attack under an evaluation's seed rule: a randomized attack (one whose settings
// have a "seed") whose `settings` give none takes the run's `seed`; FGSM has none.
std::unique_ptr<Attack> make_seeded_attack(const std::string& name, nlohmann::json settings, uint64_t seed);

}  // namespace avr
