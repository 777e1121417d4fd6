#include "avr/attacks/apgd_targeted.h"

#include <torch/torch.h>

#include "attack_problem.h"
#include "avr/core/error.h"
#include "avr/core/json_fields.h"

namespace avr {

void ApgdTargetedSettings::validate() const {
  apgd.validate();
  AVR_CHECK(targets >= 1, "apgd-t: targets must be >= 1, got ", targets, " (AutoAttack uses 9)");
}

void to_json(nlohmann::json& j, const ApgdTargetedSettings& s) {
  j = s.apgd;
  j["targets"] = s.targets;
}

void from_json(const nlohmann::json& j, ApgdTargetedSettings& s) {
  AVR_CHECK(j.is_object(), "apgd-t settings must be a JSON object, got ", j.dump());
  nlohmann::json rest = j;
  ApgdTargetedSettings out;
  if (rest.contains("targets")) {
    AVR_CHECK(rest["targets"].is_number_integer(), "apgd-t settings: targets must be an integer");
    out.targets = rest["targets"].get<int>();
    rest.erase("targets");
  }
  out.apgd = rest.get<ApgdSettings>();  // unknown fields are its error
  out.validate();
  s = out;
}

torch::Tensor dlr_targeted_loss(const torch::Tensor& logits, const torch::Tensor& labels,
                                const torch::Tensor& targets) {
  AVR_CHECK(logits.dim() == 2 && logits.size(1) >= 4, "DLR-T needs logits [B,C] with C >= 4 classes, got ",
            logits.sizes());
  const auto sorted = std::get<0>(logits.sort(1, /*descending=*/true));
  const auto z_y = logits.gather(1, labels.view({-1, 1})).squeeze(1);
  const auto z_t = logits.gather(1, targets.view({-1, 1})).squeeze(1);
  const auto scale = sorted.select(1, 0) - 0.5 * (sorted.select(1, 2) + sorted.select(1, 3)) + 1e-12;
  return -(z_y - z_t) / scale;
}

ApgdTargeted::ApgdTargeted(ApgdTargetedSettings settings)
    : Apgd(settings.apgd), settings_(settings) {
  settings_.validate();
}

nlohmann::json ApgdTargeted::settings_json() const { return settings_; }

AttackResult ApgdTargeted::perturb(const ObjectiveFn& objective, const detail::AttackProblem& p) {
  const auto& A = p.audio;
  const auto& V = p.visual;
  // Like every avr attack, the objective only ever sees attacked inputs as leaves that
  // require grad (objective.h): the clean ranking and the checks go through evaluate().
  torch::Tensor ranked;  // classes by clean logit, the true class moved last
  {
    const auto logits = detail::evaluate(objective, p, A.clean, V.clean).logits.detach();
    torch::NoGradGuard no_grad;
    AVR_CHECK(logits.size(1) >= 4, "apgd-t: the DLR loss needs at least 4 classes, the model has ",
              logits.size(1), "; use apgd (cross-entropy) instead");
    auto z = logits.clone();
    z.scatter_(1, p.labels.view({-1, 1}), -std::numeric_limits<float>::infinity());
    ranked = std::get<1>(z.sort(1, /*descending=*/true));
  }
  const int64_t targets = std::min<int64_t>(settings_.targets, ranked.size(1) - 1);
  AttackResult out{A.clean, V.clean, 1};  // the clean ranking: one evaluation
  torch::Tensor fooled = torch::zeros({p.labels.size(0)}, torch::TensorOptions().dtype(torch::kBool).device(p.labels.device()));
  for (int64_t t = 0; t < targets; ++t) {
    const torch::Tensor target = ranked.select(1, t).contiguous();
    ObjectiveFn dlr = [&objective, target](const torch::Tensor& audio, const torch::Tensor& frames,
                                           const torch::Tensor& labels, const torch::Tensor& rows) {
      Objective o = objective(audio, frames, labels, rows);
      o.loss = dlr_targeted_loss(o.logits, labels, target);
      return o;
    };
    const AttackResult r = Apgd::perturb(dlr, p);
    out.gradient_evals += r.gradient_evals + 1;
    const auto wrong = detail::evaluate(objective, p, r.audio, r.frames).logits.argmax(1) != p.labels;
    torch::NoGradGuard no_grad;
    // Keep a sample's first fooling result; until one exists, the latest result.
    const auto take = fooled.logical_not();
    if (A.active) out.audio = A.select(take, r.audio, out.audio);
    if (V.active) out.frames = V.select(take, r.frames, out.frames);
    fooled = fooled | wrong;
    if (fooled.all().item<bool>()) break;
  }
  return out;
}

}  // namespace avr
