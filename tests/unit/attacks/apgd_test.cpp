// APGD follows the reference implementation (autoattack's APGDAttack.
// attack_single_run, L∞): checked step by step against a transcription of it on
// an oscillating loss that forces step-size halvings and restarts.
#include "avr/attacks/apgd.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <utility>
#include <vector>

#include "toy_models.h"

namespace avr {
namespace {

constexpr double kEps = 0.05, kOmega = 40.0;

// Per-sample loss Σ_j sin(ω(a_j − c_j)): a 2·eps step moves the phase by 4 rad,
// so the loss oscillates and the checkpoints halve steps.
torch::Tensor wavy_loss(const torch::Tensor& a, const torch::Tensor& c) {
  return torch::sin(kOmega * (a - c)).sum(1);
}

struct Transcribed {
  torch::Tensor x_best;
  int halvings = 0;
};

// The reference loop for one input with x_init = x (no random start), CE
// replaced by wavy_loss. One deliberate difference, shared with avr::Apgd: the
// first checkpoint compares the first step's loss with the start's loss, where
// the reference reads an unfilled row of zeros (loss_steps[-1]).
// loss_grad(x) → (loss [B], gradient); `checkpoints_halved` lists, per checkpoint
// (1-based), whether any sample's step was halved there.
using LossGrad = std::function<std::pair<torch::Tensor, torch::Tensor>(const torch::Tensor&)>;

Transcribed reference_apgd(const torch::Tensor& x, const LossGrad& loss_grad, int n_iter,
                           std::vector<bool>* checkpoints_halved = nullptr) {
  const int64_t B = x.size(0);
  const int n_iter_2 = std::max(int(0.22 * n_iter), 1), n_iter_min = std::max(int(0.06 * n_iter), 1),
            size_decr = std::max(int(0.03 * n_iter), 1);
  auto x_adv = x.clamp(-1, 1);
  auto x_best = x_adv.clone();
  std::vector<torch::Tensor> loss_steps(n_iter);
  auto [loss0, grad] = loss_grad(x_adv);
  const auto loss_start = loss0;
  auto grad_best = grad.clone();
  auto loss_best = loss0.clone();
  auto step_size = torch::full({B, 1}, 2.0 * kEps, torch::kFloat64);
  auto x_adv_old = x_adv.clone();
  int counter3 = 0, k = n_iter_2, halvings = 0;
  auto loss_best_last_check = loss_best.clone();
  auto reduced_last_check = torch::ones({B}, torch::kFloat64);
  for (int i = 0; i < n_iter; ++i) {
    auto grad2 = x_adv - x_adv_old;
    x_adv_old = x_adv.clone();
    const double a = i > 0 ? 0.75 : 1.0;
    auto x_adv_1 = x_adv + step_size * torch::sign(grad);
    x_adv_1 = torch::clamp(torch::min(torch::max(x_adv_1, x - kEps), x + kEps), -1.0, 1.0);
    x_adv_1 = torch::clamp(
        torch::min(torch::max(x_adv + (x_adv_1 - x_adv) * a + grad2 * (1 - a), x - kEps), x + kEps), -1.0, 1.0);
    x_adv = x_adv_1;
    auto [y1, g] = loss_grad(x_adv);
    grad = g;
    loss_steps[i] = y1;
    auto ind = (y1 > loss_best).nonzero().squeeze(1);
    x_best.index_put_({ind}, x_adv.index({ind}));
    grad_best.index_put_({ind}, grad.index({ind}));
    loss_best.index_put_({ind}, y1.index({ind}));
    if (++counter3 == k) {
      auto t = torch::zeros({B}, torch::kFloat64);
      for (int c5 = 0; c5 < k; ++c5) {
        const auto& prev = i - c5 - 1 >= 0 ? loss_steps[i - c5 - 1] : loss_start;
        t += (loss_steps[i - c5] > prev).to(torch::kFloat64);
      }
      auto fl_osc = (t <= k * 0.75).to(torch::kFloat64);
      auto fl_reduce_no_impr = (1.0 - reduced_last_check) * (loss_best_last_check >= loss_best).to(torch::kFloat64);
      fl_osc = torch::max(fl_osc, fl_reduce_no_impr);
      reduced_last_check = fl_osc.clone();
      loss_best_last_check = loss_best.clone();
      auto ind_osc = (fl_osc > 0).nonzero().squeeze(1);
      halvings += ind_osc.size(0);
      if (checkpoints_halved) checkpoints_halved->push_back(ind_osc.size(0) > 0);
      step_size.index_put_({ind_osc}, step_size.index({ind_osc}) / 2.0);
      x_adv.index_put_({ind_osc}, x_best.index({ind_osc}));
      grad.index_put_({ind_osc}, grad_best.index({ind_osc}));
      k = std::max(k - size_decr, n_iter_min);
      counter3 = 0;
    }
  }
  return {x_best, halvings};
}

LossGrad wavy_loss_grad(const torch::Tensor& c) {
  return [c](const torch::Tensor& xa) {
    auto leaf = xa.detach().requires_grad_(true);
    auto loss = wavy_loss(leaf, c);
    auto g = torch::autograd::grad({loss.sum()}, {leaf})[0];
    return std::make_pair(loss.detach(), g);
  };
}

TEST(Apgd, MatchesATranscriptionOfTheReferenceImplementation) {
  constexpr int64_t B = 5, L = 16;
  auto g = test::gen(3);
  const auto audio = (torch::rand({B, L}, g) * 2 - 1).to(torch::kFloat64);
  const auto centers = audio + (torch::rand({B, L}, g).to(torch::kFloat64) - 0.5) * 0.2;
  const auto frames = torch::full({B, 3, 2, 2}, 0.5, torch::kFloat64);
  // Logits that never misclassify (label 0, all-zero logits): APGD returns its
  // best-loss point, as the reference's x_best.
  const auto labels = torch::zeros({B}, torch::kInt64);
  const ObjectiveFn f = [&](const torch::Tensor& a, const torch::Tensor&, const torch::Tensor&) {
    return Objective{wavy_loss(a, centers), torch::zeros({B, 2}, torch::kFloat64)};
  };
  for (int n_iter : {10, 100}) {
    const auto want = reference_apgd(audio, wavy_loss_grad(centers), n_iter);
    EXPECT_GT(want.halvings, 0) << "the case must exercise step-size halving";
    ApgdSettings s;
    s.steps = n_iter;
    s.random_start = false;
    const auto r = Apgd(s).run(f, audio, frames, labels, ThreatModel::single_eps(Modality::Audio, kEps));
    EXPECT_EQ(r.gradient_evals, n_iter + 1);
    EXPECT_TRUE(torch::allclose(r.audio, want.x_best, 0, 1e-12))
        << "n_iter " << n_iter << ": max diff " << (r.audio - want.x_best).abs().max().item<double>();
  }
}

// A scripted objective: the start's loss is 10, every later loss is higher than
// the one before but stays below 10, and the gradient's sign alternates. Only the
// "no improvement since the last checkpoint" condition can halve the step (the loss
// rises at every step, so the oscillation count never fires): Croce & Hein halve at
// every second checkpoint (its `>=`); a strict `>` never did (fixed fault).
struct ScriptedLoss {
  int calls = 0;
  std::vector<torch::Tensor> visited;
  std::pair<torch::Tensor, double> next(const torch::Tensor& x) {
    visited.push_back(x.detach().clone());
    const double value = calls == 0 ? 10.0 : 1.0 + 0.01 * calls;
    const double sign = calls % 2 == 0 ? 1.0 : -1.0;
    ++calls;
    return {torch::full({x.size(0)}, value, x.options()), sign};
  }
};

TEST(Apgd, HalvesTheStepWhenTheBestLossDidNotImproveSinceTheLastCheckpoint) {
  constexpr int64_t B = 2, L = 8;
  constexpr int kSteps = 100;
  const auto audio = torch::linspace(-0.5, 0.5, B * L, torch::kFloat64).view({B, L});
  const auto frames = torch::full({B, 3, 2, 2}, 0.5, torch::kFloat64);
  const auto labels = torch::zeros({B}, torch::kInt64);

  ScriptedLoss ref_script;
  std::vector<bool> halved_at;
  const auto want = reference_apgd(
      audio,
      [&](const torch::Tensor& x) {
        auto [loss, sign] = ref_script.next(x);
        return std::make_pair(loss, torch::full_like(x, sign));
      },
      kSteps, &halved_at);
  // 100 steps: checkpoints after 22, 19, 16, 13, 10, 7, 6, 6 steps; halvings at the
  // 2nd, 4th, 6th and 8th.
  ASSERT_EQ(halved_at, (std::vector<bool>{false, true, false, true, false, true, false, true}));
  EXPECT_EQ(want.halvings, 4 * B);

  ScriptedLoss script;
  const ObjectiveFn f = [&](const torch::Tensor& a, const torch::Tensor&, const torch::Tensor&) {
    auto [value, sign] = script.next(a);
    // Value `value`, gradient `sign` everywhere.
    auto loss = value + ((a - a.detach()) * sign).sum(1);
    return Objective{loss, torch::zeros({B, 2}, torch::kFloat64)};
  };
  ApgdSettings s;
  s.steps = kSteps;
  s.random_start = false;
  Apgd(s).run(f, audio, frames, labels, ThreatModel::single_eps(Modality::Audio, kEps));
  ASSERT_EQ(script.visited.size(), ref_script.visited.size());
  for (size_t i = 0; i < script.visited.size(); ++i)
    ASSERT_TRUE(torch::allclose(script.visited[i], ref_script.visited[i], 0, 1e-12))
        << "iterate " << i << " differs from the reference's (a halving missed or misplaced)";
}

TEST(Apgd, PrefersAMisclassifiedIterateOverAHigherLossOne) {
  // Loss rises with a, but the prediction is wrong only while a < 0.5·eps above x:
  // the returned point must be misclassified even though a higher loss exists.
  const double eps = 0.1;
  const auto audio = torch::zeros({1, 1}, torch::kFloat64);
  const auto frames = torch::full({1, 3, 2, 2}, 0.5, torch::kFloat64);
  const auto labels = torch::zeros({1}, torch::kInt64);
  const ObjectiveFn f = [&](const torch::Tensor& a, const torch::Tensor&, const torch::Tensor&) {
    auto v = a.select(1, 0);
    auto wrong = (v > 0.01) & (v < 0.05);
    auto logits = torch::stack({torch::zeros_like(v), wrong.to(torch::kFloat64)}, 1);
    return Objective{v, logits};
  };
  ApgdSettings s;
  s.steps = 10;
  s.random_start = false;
  s.initial_step = 0.25;
  const auto r = Apgd(s).run(f, audio, frames, labels, ThreatModel::single_eps(Modality::Audio, eps));
  const double a = r.audio.item<double>();
  EXPECT_GT(a, 0.01);
  EXPECT_LT(a, 0.05);
  s.initial_step = 2.0;  // jumps straight to the corner: never misclassified, best loss wins
  EXPECT_NEAR(Apgd(s).run(f, audio, frames, labels, ThreatModel::single_eps(Modality::Audio, eps)).audio.item<double>(),
              eps, 1e-12);
}

}  // namespace
}  // namespace avr
