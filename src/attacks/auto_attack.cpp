#include "avr/attacks/auto_attack.h"

#include <torch/torch.h>

#include <algorithm>

#include "attack_problem.h"
#include "avr/core/json_fields.h"

namespace avr {

void AutoAttackSettings::validate() const {
  AVR_CHECK(!stages.empty(), "autoattack: stages must name at least one of apgd, apgd-t, square");
  for (size_t i = 0; i < stages.size(); ++i) {
    const auto& s = stages[i];
    AVR_CHECK(s == "apgd" || s == "apgd-t" || s == "square", "autoattack: unknown stage '", s,
              "'; stages are apgd (APGD-CE), apgd-t (APGD on targeted DLR) and square");
    AVR_CHECK(std::find(stages.begin(), stages.begin() + static_cast<long>(i), s) == stages.begin() + static_cast<long>(i),
              "autoattack: stage '", s, "' is listed twice");
  }
  AVR_CHECK(steps >= 1, "autoattack: steps must be >= 1, got ", steps, " (AutoAttack uses 100)");
  AVR_CHECK(targets >= 1, "autoattack: targets must be >= 1, got ", targets, " (AutoAttack uses 9)");
  AVR_CHECK(square_queries >= 1, "autoattack: square_queries must be >= 1, got ", square_queries,
            " (AutoAttack uses 5000)");
  AVR_CHECK(square_p_init > 0 && square_p_init <= 1, "autoattack: square_p_init must be in (0, 1], got ",
            square_p_init, " (AutoAttack uses 0.8)");
}

nlohmann::json AutoAttackSettings::stage_settings(const std::string& name) const {
  if (name == "apgd") return {{"steps", steps}, {"seed", seed}};
  if (name == "apgd-t") return {{"steps", steps}, {"targets", targets}, {"seed", seed}};
  if (name == "square") return {{"n_queries", square_queries}, {"p_init", square_p_init}, {"seed", seed}};
  AVR_FAIL("autoattack: unknown stage '", name, "'");
}

void to_json(nlohmann::json& j, const AutoAttackSettings& s) {
  j = {{"stages", s.stages},
       {"steps", s.steps},
       {"targets", s.targets},
       {"square_queries", s.square_queries},
       {"square_p_init", s.square_p_init},
       {"seed", s.seed}};
}

void from_json(const nlohmann::json& j, AutoAttackSettings& s) {
  JsonFields f(j, "autoattack settings");
  AutoAttackSettings out;
  f.read("stages", out.stages);
  f.read("steps", out.steps);
  f.read("targets", out.targets);
  f.read("square_queries", out.square_queries);
  f.read("square_p_init", out.square_p_init);
  f.read("seed", out.seed);
  f.finish();
  out.validate();
  s = out;
}

AutoAttack::AutoAttack(AutoAttackSettings settings) : settings_(std::move(settings)) {
  settings_.validate();
  for (const auto& name : settings_.stages) stages_.push_back(make_attack(name, settings_.stage_settings(name)));
}

nlohmann::json AutoAttack::settings_json() const { return settings_; }

AttackResult AutoAttack::perturb(const ObjectiveFn& objective, const detail::AttackProblem& p) {
  const auto& A = p.audio;
  const auto& V = p.visual;
  const int64_t B = p.labels.size(0);
  const auto on_device = torch::TensorOptions().dtype(torch::kInt64).device(p.labels.device());

  AttackResult out{A.active ? A.clean.clone() : A.clean, V.active ? V.clean.clone() : V.clean, 1};
  out.stages = {"clean"};
  for (const auto& s : settings_.stages) out.stages.push_back(s);
  // Stage that fooled each sample; -1 while none has.
  torch::Tensor fooled_at;
  {
    const auto logits = detail::evaluate(objective, p, A.clean, V.clean).logits;
    torch::NoGradGuard no_grad;
    fooled_at = torch::where(logits.argmax(1) != p.labels, torch::zeros({B}, on_device),
                             torch::full({B}, -1, on_device));
  }
  for (size_t k = 0; k < stages_.size(); ++k) {
    const auto rows = (fooled_at < 0).nonzero().flatten();
    if (rows.numel() == 0) break;
    const detail::AttackProblem sub = p.subset(rows);
    const AttackResult r = stages_[k]->perturb(objective, sub);
    out.gradient_evals += r.gradient_evals + 1;
    const auto wrong = detail::evaluate(objective, sub, r.audio, r.frames).logits.argmax(1) != sub.labels;
    torch::NoGradGuard no_grad;
    // A fooled sample keeps this stage's result; one still robust keeps the first stage's.
    const auto keep = k == 0 ? rows : rows.index({wrong});
    const auto from = k == 0 ? torch::arange(rows.numel(), on_device) : wrong.nonzero().flatten();
    if (A.active) out.audio.index_copy_(0, keep, r.audio.index_select(0, from).to(out.audio.dtype()));
    if (V.active) out.frames.index_copy_(0, keep, r.frames.index_select(0, from).to(out.frames.dtype()));
    fooled_at.index_put_({rows.index({wrong})}, static_cast<int64_t>(k + 1));
  }
  out.fooled_at = fooled_at.cpu();
  return out;
}

}  // namespace avr
