// A model split at its features: encode (audio, frames) → (f_a, f_v), then classify
// (f_a, f_v) → logits, with classify(encode(x)) its forward. What ExFMem needs (it replaces
// f_a and f_v by memory-bank reconstructions between the two: defended_model.h), and so do
// its memory banks (encode on training clips: memory_banks.h) and the embeddings and t-SNE
// maps (embeddings.h). Both avr's AvModel (native_feature_model) and a TorchScript module
// with encode and classify methods (ScriptedModel::feature_model, docs/own_models.md)
// satisfy it, so one implementation of the defended forward serves both.
#pragma once

#include <torch/types.h>

#include <memory>
#include <string>

#include "avr/models/av_model.h"

namespace avr {

class FeatureModel {
 public:
  virtual ~FeatureModel() = default;

  // audio [B,L] or [B,1,L] in [-1,1], frames [B,3,H,W] in [0,1] → .audio [B,d_a] and .visual
  // [B,d_v] float32, for the branches the model has (undefined otherwise; .attention and
  // .local are not part of the interface). Inference mode, differentiable in both inputs.
  // avr::Error when the model breaks its contract (a TorchScript module's output is checked).
  virtual Features encode(const torch::Tensor& audio, const torch::Tensor& frames) const = 0;
  // Logits [B,C] float32 of features shaped as encode() gives them (ExFMem passes its
  // reconstructions); differentiable in the features.
  virtual torch::Tensor classify(const Features& f) const = 0;

  // Whether each branch's feature depends on its own input only and can be computed alone by
  // encode_audio / encode_visual: then a single-modality attack encodes the unattacked branch
  // once per batch (avr's models other than the localizer). False: only encode(), which
  // computes both branches at every call (the localizer, a TorchScript module).
  virtual bool encodes_branches() const { return false; }
  // [B,L] → [B,d_a] and [B,3,H,W] → [B,d_v]; only where encodes_branches() (an internal
  // error otherwise).
  virtual torch::Tensor encode_audio(const torch::Tensor& audio) const;
  virtual torch::Tensor encode_visual(const torch::Tensor& frames) const;

  // Which features the model has (an audio-visual model has both).
  virtual bool has_audio() const = 0;
  virtual bool has_visual() const = 0;
  // One line for captions and errors, e.g. "TorchScript model.ts".
  virtual std::string describe() const = 0;
};

// avr's own model through this interface (any kind): encode, classify and, except for the
// localizer (whose visual feature is attended by the audio), the branch encoders.
std::shared_ptr<const FeatureModel> native_feature_model(AvModel model);

}  // namespace avr
