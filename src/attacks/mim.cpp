#include "avr/attacks/mim.h"

#include <torch/torch.h>

#include "attack_problem.h"
#include "avr/core/json_fields.h"

namespace avr {

void MimSettings::validate() const {
  AVR_CHECK(steps >= 1, "mim: steps must be >= 1, got ", steps);
  AVR_CHECK(step_size > 0 && step_size <= 2, "mim: step_size is a fraction of eps in (0, 2], got ",
            step_size, " (the original uses 0.125 = eps/8)");
  AVR_CHECK(decay >= 0, "mim: decay (momentum μ) must be >= 0, got ", decay, " (Dong et al.: 1.0)");
}

void to_json(nlohmann::json& j, const MimSettings& s) {
  j = {{"steps", s.steps},
       {"step_size", s.step_size},
       {"decay", s.decay},
       {"random_start", s.random_start},
       {"seed", s.seed}};
}

void from_json(const nlohmann::json& j, MimSettings& s) {
  JsonFields f(j, "mim settings");
  f.read("steps", s.steps);
  f.read("step_size", s.step_size);
  f.read("decay", s.decay);
  f.read("random_start", s.random_start);
  f.read("seed", s.seed);
  f.finish();
  s.validate();
}

Mim::Mim(MimSettings settings) : settings_(settings) { settings_.validate(); }

nlohmann::json Mim::settings_json() const { return settings_; }

AttackResult Mim::perturb(const ObjectiveFn& objective, const detail::AttackProblem& p) {
  torch::Tensor xa = p.audio.clean, xv = p.visual.clean;
  if (settings_.random_start) {
    if (p.audio.active) xa = p.audio.uniform_start(settings_.seed, name(), p.keys);
    if (p.visual.active) xv = p.visual.uniform_start(settings_.seed, name(), p.keys);
  }
  torch::Tensor ga, gv;  // accumulated gradients, in attack space
  for (int t = 0; t < settings_.steps; ++t) {
    const auto e = detail::evaluate(objective, p, xa, xv);
    torch::NoGradGuard no_grad;
    // Each modality is normalized on its own: the two signals have unrelated
    // gradient scales, and each takes its own signed step.
    if (p.audio.active) {
      auto g = detail::per_sample_l1_normalize(e.grad_audio * p.audio.scale);
      ga = t == 0 ? g : settings_.decay * ga + g;
      xa = p.audio.project(xa + settings_.step_size * p.audio.eps * ga.sign());
    }
    if (p.visual.active) {
      // Gradient in attack space (normalized units when the threat model is
      // Normalized), so the L1 weights of the channels match the original.
      auto g = detail::per_sample_l1_normalize(e.grad_visual * p.visual.scale);
      gv = t == 0 ? g : settings_.decay * gv + g;
      xv = p.visual.project(xv + settings_.step_size * p.visual.eps * gv.sign());
    }
  }
  return {xa, xv, settings_.steps};
}

}  // namespace avr
