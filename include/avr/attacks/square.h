// Square Attack, L∞ (Andriushchenko, Croce, Flammarion & Hein, ECCV 2020, Alg. 1), as
// AutoAttack runs it (fra31/auto-attack, square.py): a score-based black-box random search
// that only reads the logits (forward passes, no gradients) and lowers the margin loss
//   margin(x) = z_y(x) − max_{j≠y} z_j(x),
// a sample being fooled once its margin is < 0. It needs no gradient, so gradient masking
// (e.g. a non-differentiable defense) does not blunt it.
//
// Frames [B,3,H,W] (the original scheme): start at vertical stripes, each column of each
// channel at clean ± eps (random sign); then, per query, a random square of side
// s = max(1, round(√(p·H·W))) (at most min(H, W)) at a random position gets, per channel,
// one new value clean ± eps; every proposal is projected onto {|x − clean| ≤ eps} ∩ [0, 1].
// Unlike the reference, whose offsets are drawn from [0, H − s), every offset 0 … H − s
// (and 0 … W − s) can be drawn.
// Audio [B,L] or [B,1,L] (our adaptation, the 1-D analogue): start at blocks of
// round(√L) samples (√L blocks of √L samples, like the stripes' W columns of H pixels),
// each at clean ± eps; then, per query, a random contiguous segment of max(1, round(p·L))
// samples at a random start gets one new value clean ± eps (one per channel for [B,C,L]);
// the segment covers the same fraction p of the input as the square does of a frame.
// ✗AV: every query changes both modalities, each with its own square/segment of the same
// fraction p: a query costs a forward of both branches anyway (no clean branch to reuse
// when both are attacked), so changing both spends each query on the whole search space, where
// alternating would give each modality half the proposals for the same number of queries.
//
// p follows the reference's piecewise schedule rescaled to n_queries: at query i,
// j = ⌊i / n_queries · 10000⌋ and p = p_init / 2^k with k = 0 for j ≤ 10, then one more
// halving past each of 10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000 (p_init / 512 last).
// A proposal is kept for a sample only if it lowers that sample's margin (strictly), so a
// sample's margin never rises after the start; a sample stops being queried once fooled.
// Samples the model already misclassifies at their clean input are returned clean and
// never attacked (the reference's rule). Cost per sample: 1 clean query, 1 for the start,
// then at most n_queries.
//
// The objective (objective.h) is called under torch::NoGradGuard: the attacked inputs are
// still fresh leaves flagged requires_grad, as its contract says, but no graph is
// recorded and no backward runs (avr's objectives, cross_entropy_objective and
// eval::batch_objective with or without ExFMem, compute the same logits either way). Its
// loss is ignored; only the logits count.
// Evaluation: a query passes the whole batch while every sample is open, then only the
// samples still unfooled, as rows of the batch (objective.h): an objective that keeps
// per-sample state (eval::batch_objective's clean branch and ExFMem codes) reads it at
// those rows, so a query costs what its open samples cost.
// Per-sample randomness (start signs, positions, signs per query) comes from
// detail::make_generator(seed, "square", key, modality): a clip's result does not depend
// on its batch, the batch size or which of its batch mates are fooled.
#pragma once

#include <cstdint>

#include "avr/attacks/attack.h"

namespace avr {

struct SquareSettings {
  int n_queries = 5000;  // proposals per sample after the start (AutoAttack: 5000)
  double p_init = 0.8;   // initial fraction of each attacked input a proposal changes (0, 1]
  uint64_t seed = 0;
  void validate() const;
};
void to_json(nlohmann::json& j, const SquareSettings& s);
// Missing keys keep the defaults above; unknown keys and invalid values are errors.
void from_json(const nlohmann::json& j, SquareSettings& s);

// p at query `i` (0-based) of `n_queries` (the reference's p_selection with its rescaling).
double square_p_schedule(double p_init, int i, int n_queries);

// margin_i = z[i, y_i] − max_{j≠y_i} z[i, j]: logits [B,C] (C ≥ 2), labels [B] int64 → [B].
torch::Tensor margin_loss(const torch::Tensor& logits, const torch::Tensor& labels);

// AttackResult::queries counts the objective calls (each on all or some of the batch's
// samples); gradient_evals is 0.
class Square : public Attack {
 public:
  explicit Square(SquareSettings settings = {});
  std::string name() const override { return "square"; }
  nlohmann::json settings_json() const override;

 protected:
  AttackResult perturb(const ObjectiveFn& objective, const detail::AttackProblem& problem) override;

 private:
  SquareSettings settings_;
};

}  // namespace avr
