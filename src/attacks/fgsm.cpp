#include "avr/attacks/fgsm.h"

#include <torch/torch.h>

#include "attack_problem.h"
#include "avr/core/json_fields.h"

namespace avr {

void to_json(nlohmann::json& j, const FgsmSettings&) { j = nlohmann::json::object(); }
void from_json(const nlohmann::json& j, FgsmSettings& s) {
  JsonFields(j, "fgsm settings").finish();
  s.validate();
}

nlohmann::json Fgsm::settings_json() const { return settings_; }

AttackResult Fgsm::perturb(const ObjectiveFn& objective, const detail::AttackProblem& p) {
  const auto e = detail::evaluate(objective, p, p.audio.clean, p.visual.clean);
  torch::NoGradGuard no_grad;
  AttackResult r{p.audio.clean, p.visual.clean, 1};
  // The full step lands on the ball's surface; projecting only clamps to the
  // valid range (the original skipped that clamp for audio).
  if (p.audio.active) r.audio = p.audio.project(p.audio.clean + p.audio.eps * e.grad_audio.sign());
  if (p.visual.active) r.frames = p.visual.project(p.visual.clean + p.visual.eps * e.grad_visual.sign());
  return r;
}

}  // namespace avr
