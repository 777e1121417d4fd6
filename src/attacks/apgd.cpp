#include "avr/attacks/apgd.h"

#include <torch/torch.h>

#include <algorithm>
#include <limits>

#include "attack_problem.h"
#include "avr/core/json_fields.h"

namespace avr {
namespace {

// The reference's start: x + eps · u / ‖u‖∞ per sample, u ~ U(-1, 1), so one
// element per sample sits on the ball's surface; clamped to the valid range.
torch::Tensor reference_start(const detail::ModalityBox& m, uint64_t seed, const std::string& attack,
                              const std::vector<uint64_t>& keys) {
  const auto u = m.uniform_noise(seed, attack, keys);
  auto t = u.abs().flatten(1).amax(1);
  return m.project(m.clean + m.eps * u / (m.per_sample(t) + 1e-12));
}

// One APGD update of one modality: a step of η·eps along sign(grad), projected,
// then mixed with the previous move (momentum) and projected again.
torch::Tensor apgd_step(const detail::ModalityBox& m, const torch::Tensor& x, const torch::Tensor& x_prev,
                        const torch::Tensor& grad, const torch::Tensor& eta, double a) {
  auto z = m.project(x + m.per_sample(eta) * m.eps * grad.sign());
  return m.project(x + (z - x) * a + (x - x_prev) * (1 - a));
}

}  // namespace

void ApgdSettings::validate() const {
  AVR_CHECK(steps >= 1, "apgd: steps must be >= 1, got ", steps, " (the reference uses 100)");
  AVR_CHECK(initial_step > 0, "apgd: initial_step (fraction of eps) must be > 0, got ", initial_step);
  AVR_CHECK(momentum > 0 && momentum <= 1, "apgd: momentum must be in (0, 1], got ", momentum);
  AVR_CHECK(rho > 0 && rho < 1, "apgd: rho must be in (0, 1), got ", rho);
}

void to_json(nlohmann::json& j, const ApgdSettings& s) {
  j = {{"steps", s.steps},         {"initial_step", s.initial_step}, {"momentum", s.momentum},
       {"rho", s.rho},             {"random_start", s.random_start}, {"seed", s.seed}};
}

void from_json(const nlohmann::json& j, ApgdSettings& s) {
  JsonFields f(j, "apgd settings");
  f.read("steps", s.steps);
  f.read("initial_step", s.initial_step);
  f.read("momentum", s.momentum);
  f.read("rho", s.rho);
  f.read("random_start", s.random_start);
  f.read("seed", s.seed);
  f.finish();
  s.validate();
}

Apgd::Apgd(ApgdSettings settings) : settings_(settings) { settings_.validate(); }

nlohmann::json Apgd::settings_json() const { return settings_; }

AttackResult Apgd::perturb(const ObjectiveFn& objective, const detail::AttackProblem& p) {
  const auto& A = p.audio;
  const auto& V = p.visual;
  const int n = settings_.steps;
  // Checkpoints as in the reference: the first after 22% of the budget, then
  // 3% shorter each time, never under 6%.
  const int n_first = std::max(static_cast<int>(0.22 * n), 1);
  const int n_min = std::max(static_cast<int>(0.06 * n), 1);
  const int size_decr = std::max(static_cast<int>(0.03 * n), 1);

  torch::Tensor xa = A.clean, xv = V.clean;
  if (settings_.random_start) {
    if (A.active) xa = reference_start(A, settings_.seed, name(), p.keys);
    if (V.active) xv = reference_start(V, settings_.seed, name(), p.keys);
  }
  auto e = detail::evaluate(objective, p, xa, xv);
  torch::NoGradGuard no_grad;
  const auto& labels = p.labels;
  const auto neg_inf = std::numeric_limits<double>::infinity() * -1;

  torch::Tensor ga = e.grad_audio, gv = e.grad_visual;
  torch::Tensor loss_best = e.loss, xa_best = xa, xv_best = xv, ga_best = ga, gv_best = gv;
  // Highest-loss misclassified iterate per sample, if any.
  torch::Tensor fooled = e.logits.argmax(1) != labels;
  torch::Tensor loss_fooled = torch::where(fooled, e.loss, torch::full_like(e.loss, neg_inf));
  torch::Tensor xa_fooled = xa, xv_fooled = xv;

  torch::Tensor eta = torch::full({labels.size(0)}, settings_.initial_step, e.loss.options());
  torch::Tensor xa_prev = xa, xv_prev = xv;
  // Loss after each step; prev_loss[i] is the loss before step i (the start for
  // i = 0, which the reference reads from an unfilled row instead).
  std::vector<torch::Tensor> losses;
  losses.reserve(n);
  const torch::Tensor loss_start = e.loss;
  torch::Tensor loss_best_last_check = loss_best;
  torch::Tensor reduced_last_check = torch::ones_like(fooled);  // no "no improvement" halving at the first
  int k = n_first, since_check = 0;

  for (int i = 0; i < n; ++i) {
    const double a = i > 0 ? settings_.momentum : 1.0;
    if (A.active) {
      auto next = apgd_step(A, xa, xa_prev, ga, eta, a);
      xa_prev = xa;
      xa = next;
    }
    if (V.active) {
      auto next = apgd_step(V, xv, xv_prev, gv, eta, a);
      xv_prev = xv;
      xv = next;
    }
    e = detail::evaluate(objective, p, xa, xv);  // switches grad mode on for itself
    ga = e.grad_audio;
    gv = e.grad_visual;
    losses.push_back(e.loss);

    const auto wrong = e.logits.argmax(1) != labels;
    const auto better_fooled = wrong & (e.loss > loss_fooled);
    loss_fooled = torch::where(better_fooled, e.loss, loss_fooled);
    if (A.active) xa_fooled = A.select(better_fooled, xa, xa_fooled);
    if (V.active) xv_fooled = V.select(better_fooled, xv, xv_fooled);
    fooled = fooled | wrong;

    const auto improved = e.loss > loss_best;
    loss_best = torch::where(improved, e.loss, loss_best);
    if (A.active) {
      xa_best = A.select(improved, xa, xa_best);
      ga_best = A.select(improved, ga, ga_best);
    }
    if (V.active) {
      xv_best = V.select(improved, xv, xv_best);
      gv_best = V.select(improved, gv, gv_best);
    }

    if (++since_check == k) {
      // Condition 1: at most ρ·k of the last k steps raised the loss.
      auto raised = torch::zeros_like(loss_best);
      for (int c = 0; c < k; ++c) {
        const auto& before = i - c - 1 >= 0 ? losses[i - c - 1] : loss_start;
        raised = raised + (losses[i - c] > before).to(raised.scalar_type());
      }
      const auto oscillating = raised <= k * settings_.rho;
      // Condition 2: the step was not halved last time and the best loss did not
      // improve since. loss_best never decreases, so "did not improve" is equality:
      // Croce & Hein's `loss_best_last_check >= loss_best` (a strict > never fires).
      const auto stalled = reduced_last_check.logical_not() & (loss_best_last_check >= loss_best);
      const auto reduce = oscillating | stalled;
      reduced_last_check = reduce;
      loss_best_last_check = loss_best;
      eta = torch::where(reduce, eta / 2, eta);
      // Halving restarts from the best point (the previous iterate is kept for
      // the momentum term, as in the reference).
      if (A.active) {
        xa = A.select(reduce, xa_best, xa);
        ga = A.select(reduce, ga_best, ga);
      }
      if (V.active) {
        xv = V.select(reduce, xv_best, xv);
        gv = V.select(reduce, gv_best, gv);
      }
      since_check = 0;
      k = std::max(k - size_decr, n_min);
    }
  }

  AttackResult r{A.clean, V.clean, n + 1};
  if (A.active) r.audio = A.select(fooled, xa_fooled, xa_best);
  if (V.active) r.frames = V.select(fooled, xv_fooled, xv_best);
  return r;
}

}  // namespace avr
