// Internal: what every attack works on, prepared once per run by Attack::run —
// per modality the clean input, its budget box and the attack-space scale — and
// the one forward + backward all attacks share.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "avr/attacks/attack.h"

namespace avr::detail {

struct ModalityBox {
  std::string name;     // "audio" or "visual": names its random sub-streams
  bool active = false;  // attacked with a budget > 0; otherwise never touched
  torch::Tensor clean;  // the caller's tensor
  // Raw-unit budget and raw units per attack-space unit, broadcastable to
  // `clean`: scalars for audio, [1,3,1,1] for frames (eps_v·std_c and std_c when
  // the threat model is Normalized, so both spaces share every code path).
  torch::Tensor eps, scale;
  double lo = 0.0, hi = 1.0;  // valid range
  torch::Tensor lower, upper;  // the box {|x - clean| ≤ eps} ∩ [lo, hi]

  void init(std::string name_, const torch::Tensor& x, const torch::Tensor& eps_raw,
            const torch::Tensor& scale_raw, double lo_, double hi_, bool is_active);
  torch::Tensor project(const torch::Tensor& x) const {
    return torch::min(torch::max(x, lower), upper);
  }
  // u ~ U(-1, 1) per element, shaped like `clean`; sample i's values come from the
  // sub-stream (seed, attack, keys[i], name) alone, whatever else is in the batch.
  torch::Tensor uniform_noise(uint64_t seed, const std::string& attack, const std::vector<uint64_t>& keys) const;
  // clean + eps·u with u = uniform_noise(...), projected.
  torch::Tensor uniform_start(uint64_t seed, const std::string& attack, const std::vector<uint64_t>& keys) const;
  // A per-sample [B] tensor viewed as [B, 1, ...] to broadcast against `clean`.
  torch::Tensor per_sample(const torch::Tensor& v) const;
  // Per-sample selection: where(mask[B], a, b).
  torch::Tensor select(const torch::Tensor& mask, const torch::Tensor& a, const torch::Tensor& b) const {
    return torch::where(per_sample(mask), a, b);
  }
};

struct AttackProblem {
  ModalityBox audio, visual;
  torch::Tensor labels;
  ThreatModel threat;
  std::vector<uint64_t> keys;  // [B] random sub-stream of each sample (Attack::set_clip_keys)
  // Which samples of the batch the attack was started on these are (int64, on the
  // labels' device; undefined: all of them, in order): the objective's `rows`.
  torch::Tensor batch_rows;

  // The same problem on samples `rows` (int64 [b], on the labels' device): clean inputs,
  // boxes, labels and random keys of those samples, so an attack run on the subset gives
  // each of them what it gets in the full batch.
  AttackProblem subset(const torch::Tensor& rows) const;
  // The objective's `rows` for samples `rows` of this problem (undefined: all of them).
  torch::Tensor objective_rows(const torch::Tensor& rows = {}) const;
};

// Loss, logits and the loss gradients w.r.t. the active inputs (raw units; zero
// where the objective does not depend on the input). Inactive inputs are passed
// as the clean tensors themselves.
struct Evaluation {
  torch::Tensor loss, logits, grad_audio, grad_visual;
};
Evaluation evaluate(const ObjectiveFn& objective, const AttackProblem& p, const torch::Tensor& audio,
                    const torch::Tensor& frames);

// A CPU generator for `attack`'s draws of `what` in sub-stream `key` (seeded through avr::Rng).
at::Generator make_generator(uint64_t seed, const std::string& attack, uint64_t key, const std::string& what);

// x / ‖x‖₁ per sample, 0 for a zero sample (no division by zero).
torch::Tensor per_sample_l1_normalize(const torch::Tensor& x);

}  // namespace avr::detail
