#include "avr/attacks/pgd.h"

#include <torch/torch.h>

#include "attack_problem.h"
#include "avr/core/json_fields.h"

namespace avr {

void PgdSettings::validate() const {
  AVR_CHECK(steps >= 1, "pgd: steps must be >= 1, got ", steps);
  AVR_CHECK(step_size > 0 && step_size <= 2, "pgd: step_size is a fraction of eps in (0, 2], got ",
            step_size, " (the original uses 0.125 = eps/8)");
}

double pgd_random_start_step(int steps) {
  AVR_CHECK(steps >= 1, "pgd: steps must be >= 1, got ", steps);
  return 2.5 / steps;
}

void to_json(nlohmann::json& j, const PgdSettings& s) {
  j = {{"steps", s.steps}, {"step_size", s.step_size}, {"random_start", s.random_start}, {"seed", s.seed}};
}

void from_json(const nlohmann::json& j, PgdSettings& s) {
  JsonFields f(j, "pgd settings");
  f.read("steps", s.steps);
  f.read("step_size", s.step_size);
  f.read("random_start", s.random_start);
  f.read("seed", s.seed);
  f.finish();
  s.validate();
}

Pgd::Pgd(PgdSettings settings) : settings_(settings) { settings_.validate(); }

nlohmann::json Pgd::settings_json() const { return settings_; }

AttackResult Pgd::perturb(const ObjectiveFn& objective, const detail::AttackProblem& p) {
  torch::Tensor xa = p.audio.clean, xv = p.visual.clean;
  if (settings_.random_start) {
    if (p.audio.active) xa = p.audio.uniform_start(settings_.seed, name(), p.keys);
    if (p.visual.active) xv = p.visual.uniform_start(settings_.seed, name(), p.keys);
  }
  for (int t = 0; t < settings_.steps; ++t) {
    const auto e = detail::evaluate(objective, p, xa, xv);
    torch::NoGradGuard no_grad;
    if (p.audio.active) xa = p.audio.project(xa + settings_.step_size * p.audio.eps * e.grad_audio.sign());
    if (p.visual.active)
      xv = p.visual.project(xv + settings_.step_size * p.visual.eps * e.grad_visual.sign());
  }
  return {xa, xv, settings_.steps};
}

}  // namespace avr
