// A trained model as the evaluation sees it: its training loss (the objective
// an attacker maximizes) and, optionally, the ExFMem defense applied between
// the encoders and the classifier (paper Sec. 3.3.2).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "avr/attacks/objective.h"
#include "avr/defenses/exfmem.h"
#include "avr/eval/feature_model.h"
#include "avr/eval/forward_model.h"
#include "avr/models/av_model.h"
#include "avr/train/losses.h"

namespace avr {

// The one switch for what an attack differentiates when the model has ExFMem: none (the
// default, the paper's protocol) attacks the bare network and the defense is applied to
// the result; a gradient differentiates through ExFMem with it (an adaptive attacker:
// unrolled FISTA, BPDA or the implicit derivative; Athalye et al. 2018).
using ThroughDefense = std::optional<ExFMemGradient>;
// "network" for the bare network, else the gradient's name (to_string(ExFMemGradient)).
std::string to_string(const ThroughDefense& through);
// "network" | "none" | "unrolled" | "bpda" | "implicit".
ThroughDefense parse_through_defense(const std::string& name);

struct DefendedModel {
  AvModel model{nullptr};
  // Set instead of `model`: a model seen through its forward (forward_model.h), e.g. a
  // TorchScript module. Without ExFMem the attack objective runs that forward at every step
  // (no cached branch), and `loss` other than ce needs forward_model->gives_features(). ExFMem
  // needs the model split at its features (forward_model->feature_model(): a module with
  // encode and classify); without it, `exfmem` set is an avr::Error saying so.
  std::shared_ptr<const ForwardModel> forward_model;
  LossKind loss = LossKind::CrossEntropy;  // what the attack maximizes (per_sample_loss)
  std::shared_ptr<const ExFMem> exfmem;  // null: no feature-memory defense

  // Of whichever model is set.
  bool has_audio() const;
  bool has_visual() const;
  std::string describe() const;
  // The model split at its features, which every ExFMem forward below runs on:
  // native_feature_model(model), or forward_model->feature_model() (null when it has none).
  std::shared_ptr<const FeatureModel> feature_model() const;

  // Features after the defense (if any), with `gradient` deciding what
  // autograd sees through ExFMem.
  Features defend(Features f, ExFMemGradient gradient) const;
  // Logits with the defense applied (exact ExFMem, no gradient through it).
  torch::Tensor logits(const torch::Tensor& audio, const torch::Tensor& frames) const;

  // ExFMem codes h [B,k] per branch; undefined where no Lasso ran (no ExFMem, mix = 0, an
  // absent branch, or the unrolled gradient).
  struct Codes {
    torch::Tensor audio, visual;
  };
  struct Defended {
    Features features;
    Codes codes;
  };
  // defend() with warm starts: row i of warm.audio (warm.visual) starts clip i's audio (visual)
  // Lasso, and the codes come back for the next solve. A clip's result then depends only on
  // the clip and its own warm start, never on its batch-mates. Warm and cold solves stop at
  // different points within the solver's certificate (duality gap ≤ tol·P(h), tol = 1e-6 by
  // default): features agree with defend()'s within that tolerance, not to the bit
  // (exfmem_warm).
  Defended defend_warm(Features f, ExFMemGradient gradient, const Codes& warm) const;

  // A clean batch with its defended features, kept to score adversarial
  // versions of it: with ExFMem each branch costs a Lasso solve per clip, and
  // ✗A/✗V leave one branch's input unchanged.
  struct CleanBatch {
    torch::Tensor audio, frames;
    Features defended;
    Codes codes;  // the clean features' codes (cold solves): warm starts for adversarial ones
    torch::Tensor logits;  // forward_model without ExFMem only: the clean logits
    Features features;     // through feature_model() only: the clean features before the defense
  };
  CleanBatch defend_clean(const torch::Tensor& audio, const torch::Tensor& frames) const;
  torch::Tensor logits(const CleanBatch& clean) const;
  // logits(adv_audio, adv_frames), reusing the clean batch's defended feature for a branch
  // whose input equals the clean one (a model that encodes both branches at once: whose
  // feature equals the clean one), and solving a changed branch's Lasso from each clip's
  // own clean code: equal to the cold forward within the Lasso certificate (defend_warm).
  torch::Tensor logits(const CleanBatch& clean, const torch::Tensor& adv_audio,
                       const torch::Tensor& adv_frames) const;
};

// The attack objective for one batch. `through` empty attacks the bare network (the
// paper's protocol: the defense is applied afterwards); a gradient differentiates through
// ExFMem with it (unrolled FISTA, BPDA or implicit), the adaptive attacker. With branch
// encoders (FeatureModel::encodes_branches) the unattacked modality's feature is computed
// once and reused while the attack passes that modality's clean tensor back; through an
// exact ExFMem (none, bpda, implicit) so is its defended feature. A model that encodes both
// branches at once (a TorchScript module, the localizer) computes both at every call, and
// through an exact ExFMem reuses the defended clean feature of a branch whose feature needs
// no gradient and equals the clean one (the unattacked branch's Lasso is solved once).
// Each call's exact Lasso solves start from the previous call's codes of the same clips
// (the first from the clean codes): consecutive attack steps barely move a feature, so a
// few Newton steps certify it again. All of it is kept per clip of this batch and read
// and written at the call's rows (objective.h): a subset of the batch (AutoAttack's later
// stages, Square's open samples) reuses its clips' clean features and codes. The
// unattacked modality of a subset is recognised as clean when it needs no gradient and
// equals those clean rows.
ObjectiveFn batch_objective(const DefendedModel& m, const DefendedModel::CleanBatch& clean,
                            const ThroughDefense& through = std::nullopt);
// The same without a defended clean batch: the first exact solve of each branch is cold.
ObjectiveFn batch_objective(const DefendedModel& m, const torch::Tensor& clean_audio,
                            const torch::Tensor& clean_frames,
                            const ThroughDefense& through = std::nullopt);

}  // namespace avr
