#include "avr/attacks/mim_original.h"

#include <torch/torch.h>

#include "attack_problem.h"
#include "avr/models/visual_net.h"
#include "avr/core/json_fields.h"

namespace avr {
namespace {

// x / ‖x‖₁ over the whole batch (deviation 1); a zero gradient stays zero where
// the original would divide by zero.
torch::Tensor batch_l1_normalize(const torch::Tensor& x) {
  auto n = x.abs().sum();
  return x / torch::where(n > 0, n, torch::ones_like(n));
}

// The original's "projection" (deviation 2), in raw units: with floor `lo`,
// c = min(max(x, max(x - eps, lo)), x + eps). It never looks at the clean input.
torch::Tensor broken_projection(const torch::Tensor& x, const torch::Tensor& eps, const torch::Tensor& lo) {
  auto a = torch::max(x - eps, lo);
  auto b = torch::max(x, a);
  return torch::min(b, x + eps);
}

}  // namespace

void MimOriginalSettings::validate() const {
  AVR_CHECK(steps >= 1, "mim_original: steps must be >= 1, got ", steps);
  AVR_CHECK(step_size > 0 && step_size <= 2, "mim_original: step_size is a fraction of eps in (0, 2], got ",
            step_size);
  AVR_CHECK(decay >= 0, "mim_original: decay must be >= 0, got ", decay);
}

void to_json(nlohmann::json& j, const MimOriginalSettings& s) {
  j = {{"steps", s.steps}, {"step_size", s.step_size}, {"decay", s.decay}};
}

void from_json(const nlohmann::json& j, MimOriginalSettings& s) {
  JsonFields f(j, "mim_original settings");
  f.read("steps", s.steps);
  f.read("step_size", s.step_size);
  f.read("decay", s.decay);
  f.finish();
  s.validate();
}

MimOriginal::MimOriginal(MimOriginalSettings settings) : settings_(settings) { settings_.validate(); }

nlohmann::json MimOriginal::settings_json() const { return settings_; }

AttackResult MimOriginal::perturb(const ObjectiveFn& objective, const detail::AttackProblem& p) {
  torch::Tensor xa = p.audio.clean, xv = p.visual.clean;
  // The floor the original clamps against: -1 for audio; 0 for frames in the
  // space it stepped in — pixel 0, or, for normalized frames, the pixel value
  // that normalizes to 0 (the ImageNet mean of the channel).
  const auto floor_a = torch::full({}, -1.0, p.audio.clean.options());
  torch::Tensor floor_v = torch::zeros({1, 3, 1, 1}, p.visual.clean.options());
  if (p.threat.space == EpsSpace::Normalized)
    floor_v = torch::tensor(std::vector<double>(kImageNetMean, kImageNetMean + 3), torch::kFloat64)
                  .view({1, 3, 1, 1})
                  .to(p.visual.clean.options());
  torch::Tensor ga, gv;
  for (int t = 0; t < settings_.steps; ++t) {
    const auto e = detail::evaluate(objective, p, xa, xv);
    torch::NoGradGuard no_grad;
    if (p.audio.active) {
      auto g = batch_l1_normalize(e.grad_audio * p.audio.scale);
      ga = t == 0 ? g : g + settings_.decay * ga;
      xa = xa + settings_.step_size * p.audio.eps * ga.sign();
      xa = broken_projection(xa, p.audio.eps, floor_a).clamp(p.audio.lo, p.audio.hi);
    }
    if (p.visual.active) {
      auto g = batch_l1_normalize(e.grad_visual * p.visual.scale);
      gv = t == 0 ? g : g + settings_.decay * gv;
      xv = xv + settings_.step_size * p.visual.eps * gv.sign();
      xv = broken_projection(xv, p.visual.eps, floor_v).clamp(p.visual.lo, p.visual.hi);
    }
  }
  return {xa, xv, settings_.steps};
}

}  // namespace avr
