// What an attacker maximizes, seen through a closure so attacks stay independent
// of the model classes: per-sample loss (the model's training loss, e.g. CE or
// CE + cos for MinSim) and logits, for inputs in raw units.
#pragma once

#include <torch/types.h>

#include <functional>
#include <type_traits>
#include <utility>

namespace avr {

struct Objective {
  torch::Tensor loss;    // [B], per sample; attacks ascend its sum
  torch::Tensor logits;  // [B, C], decides which samples are already fooled
};

// The objective of one batch (the B samples an attack was started on).
//
// objective(audio, frames, labels, rows): audio [b, L] (or [b, 1, L]) in [-1, 1];
// frames [b, 3, H, W] in [0, 1]; labels [b] int64; rows [b] int64 on the labels'
// device: which samples of the batch these are, in this order (undefined: all B,
// in order). Attacks query subsets: AutoAttack runs each stage on the samples not
// yet fooled and Square, once most of a batch is fooled, queries the others only.
// A closure that keeps per-sample state (a cached branch feature, ExFMem's
// warm-start codes) reads and writes it at `rows`.
//
// The unattacked modality arrives as the clean input itself (no requires_grad):
// the caller's own tensor for the whole batch, a copy of its rows for a subset;
// the attacked one is a fresh leaf that requires grad. Square (square.h) calls it
// under torch::NoGradGuard (forward passes only, the leaf still flagged).
//
// A closure that keeps no per-sample state may ignore rows: ObjectiveFn takes a
// callable of (audio, frames, labels) as well.
class ObjectiveFn {
 public:
  using Fn = std::function<Objective(const torch::Tensor& audio, const torch::Tensor& frames,
                                     const torch::Tensor& labels, const torch::Tensor& rows)>;
  ObjectiveFn() = default;
  template <typename F, typename = std::enable_if_t<!std::is_same_v<std::decay_t<F>, ObjectiveFn>>>
  ObjectiveFn(F f) : fn_(wrap(std::move(f))) {}  // NOLINT: implicit, as std::function's

  Objective operator()(const torch::Tensor& audio, const torch::Tensor& frames, const torch::Tensor& labels,
                       const torch::Tensor& rows = {}) const {
    return fn_(audio, frames, labels, rows);
  }
  explicit operator bool() const { return static_cast<bool>(fn_); }

 private:
  template <typename F>
  static Fn wrap(F f) {
    using T = const torch::Tensor&;
    if constexpr (std::is_invocable_r_v<Objective, F&, T, T, T, T>) {
      return Fn(std::move(f));
    } else {
      static_assert(std::is_invocable_r_v<Objective, F&, T, T, T>,
                    "an objective is a callable of (audio, frames, labels[, rows]) returning Objective");
      return [f = std::move(f)](T audio, T frames, T labels, T) mutable { return f(audio, frames, labels); };
    }
  }
  Fn fn_;
};

// Plain cross-entropy over a logits function: loss_i = CE(logits_i, y_i).
using LogitsFn = std::function<torch::Tensor(const torch::Tensor& audio, const torch::Tensor& frames)>;
ObjectiveFn cross_entropy_objective(LogitsFn logits);

}  // namespace avr
