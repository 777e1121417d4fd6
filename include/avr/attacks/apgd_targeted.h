// APGD-T (Croce & Hein, ICML 2020, Sec. 4 and AutoAttack): APGD on the targeted
// Difference of Logits Ratio loss, restarted once per target class,
//   DLR-T(z, y, t) = −(z_y − z_t) / (z_π1 − ½(z_π3 + z_π4) + 1e-12),
// z the logits, π their order (largest first). The targets are the classes the clean
// input ranks 2nd, 3rd, … (the true class skipped), up to `targets` of them (AutoAttack: 9).
// DLR is invariant to shifting and rescaling the logits, so it does not saturate like CE
// on over-confident models. A sample keeps the first target's result that fools the
// model, else the last target's; each target starts from the same random start (keyed per
// clip like every avr attack). Needs ≥ 4 classes. Both modalities share one step schedule.
#pragma once

#include "avr/attacks/apgd.h"

namespace avr {

struct ApgdTargetedSettings {
  ApgdSettings apgd;  // per target: steps (AutoAttack: 100), step schedule, random start, seed
  int targets = 9;    // target classes tried, the clean prediction's runners-up (at most C − 1)
  void validate() const;
};
void to_json(nlohmann::json& j, const ApgdTargetedSettings& s);
// The fields of ApgdSettings plus "targets".
void from_json(const nlohmann::json& j, ApgdTargetedSettings& s);

// DLR-T per sample: logits [B,C] (C ≥ 4), labels and targets [B] int64 → [B].
torch::Tensor dlr_targeted_loss(const torch::Tensor& logits, const torch::Tensor& labels,
                                const torch::Tensor& targets);

class ApgdTargeted : public Apgd {
 public:
  explicit ApgdTargeted(ApgdTargetedSettings settings = {});
  std::string name() const override { return "apgd-t"; }
  nlohmann::json settings_json() const override;

 protected:
  AttackResult perturb(const ObjectiveFn& objective, const detail::AttackProblem& problem) override;

 private:
  ApgdTargetedSettings settings_;
};

}  // namespace avr
