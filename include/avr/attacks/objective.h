// What an attacker maximizes, seen through a closure so attacks stay independent
// of the model classes: per-sample loss (the model's training loss, e.g. CE or
// CE + cos for MinSim) and logits, for inputs in raw units.
#pragma once

#include <torch/types.h>

#include <functional>

namespace avr {

struct Objective {
  torch::Tensor loss;    // [B], per sample; attacks ascend its sum
  torch::Tensor logits;  // [B, C], decides which samples are already fooled
};

// audio [B, L] (or [B, 1, L]) in [-1, 1]; frames [B, 3, H, W] in [0, 1]; labels [B]
// int64. The unattacked modality arrives as the caller's own clean tensor (same
// storage, no requires_grad), so the closure may reuse a cached branch feature
// for it; the attacked one is a fresh leaf that requires grad. Square (square.h) calls
// it under torch::NoGradGuard (forward passes only, the leaf still flagged) and, once
// most of a batch is fooled, on the other samples only: their clean rows are then
// copies, so a closure must recognise the clean tensor by identity, never by shape.
using ObjectiveFn = std::function<Objective(const torch::Tensor& audio, const torch::Tensor& frames,
                                            const torch::Tensor& labels)>;

// Plain cross-entropy over a logits function: loss_i = CE(logits_i, y_i).
using LogitsFn = std::function<torch::Tensor(const torch::Tensor& audio, const torch::Tensor& frames)>;
ObjectiveFn cross_entropy_objective(LogitsFn logits);

}  // namespace avr
