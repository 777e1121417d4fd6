// A model seen through its forward: logits and, optionally, the two branch features for
// (audio, frames). The smallest interface that both avr's AvModel and an opaque
// TorchScript module (scripted_model.h) satisfy, so that every attack (they only see an
// ObjectiveFn, attacks/objective.h), the worst case and the audit run on either. What the
// forward alone cannot give: a branch's feature on its own (so a single-modality attack
// recomputes the unattacked branch at every step; AvModel through DefendedModel::model
// caches it) and a classifier on features (so no ExFMem, which replaces f_a, f_v before
// classifying). A model that also has that split says so through feature_model()
// (feature_model.h: encode, classify).
#pragma once

#include <torch/types.h>

#include <memory>
#include <string>

#include "avr/eval/feature_model.h"
#include "avr/models/av_model.h"

namespace avr {

struct ForwardOutput {
  torch::Tensor logits;  // [B, C] float32
  // features.audio / .visual [B, d] when the model gives them (gives_features()),
  // undefined otherwise; .attention and .local are not part of the interface.
  Features features;
};

class ForwardModel {
 public:
  virtual ~ForwardModel() = default;
  // audio [B, L] or [B, 1, L] in [-1, 1]; frames [B, 3, H, W] in [0, 1]; differentiable
  // in both inputs. Inference mode (batch norm's running statistics, no dropout).
  virtual ForwardOutput forward(const torch::Tensor& audio, const torch::Tensor& frames) const = 0;
  // Which inputs the logits depend on (which of ✗A, ✗V, ✗AV make sense).
  virtual bool has_audio() const = 0;
  virtual bool has_visual() const = 0;
  // Whether forward() returns f_a and f_v (what feature losses such as MinSim need).
  virtual bool gives_features() const = 0;
  // One line for captions and results, e.g. "TorchScript model.ts".
  virtual std::string describe() const = 0;
  // The same model split at its features (encode, classify), where it has that form: what
  // ExFMem and the embeddings need. Null for a model seen only through its forward.
  virtual std::shared_ptr<const FeatureModel> feature_model() const { return nullptr; }
};

// An AvModel through this interface: forward = classify(encode(audio, frames)), with
// f_a and f_v where the model has both branches; feature_model() is native_feature_model.
std::shared_ptr<const ForwardModel> native_forward_model(AvModel model);

}  // namespace avr
