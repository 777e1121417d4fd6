// Bring your own model: a TorchScript module (torch.jit.script or torch.jit.trace in
// PyTorch, or `avr export`) attacked and evaluated like avr's own models. The contract
// (docs/own_models.md):
//   forward(audio: Tensor [B,1,L] float32 in [-1,1], frames: Tensor [B,3,H,W] float32 in [0,1])
//     → logits [B,C] float32, or a tuple (logits [B,C], f_a [B,d_a], f_v [B,d_v])
// computed in inference mode (avr calls eval() on it), differentiable in both inputs
// (avr's attacks follow the input gradient), with normalization inside the forward (an
// attack's eps is in raw units). Optional methods, both or neither, the model split at its
// features (feature_model.h), which ExFMem and the embeddings need:
//   encode(audio [B,1,L], frames [B,3,H,W]) → (f_a [B,d_a], f_v [B,d_v]) float32
//   classify(f_a [B,d_a], f_v [B,d_v]) → logits [B,C] float32, classify(encode(x)) = forward(x)
// Optional attributes: image_size and audio_length (int,
// the input sizes; else the caller gives them), classes (List[str], the label order;
// else the dataset's) and avr_config (what `avr export` records; its kind decides which
// inputs the logits depend on, otherwise both).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "avr/data/dataset.h"
#include "avr/eval/forward_model.h"
#include "avr/eval/model_on_dataset.h"

namespace torch::jit {
struct Module;
}  // namespace torch::jit

namespace avr {

struct ScriptedModelSizes {
  // 0: the module's image_size / audio_length attribute (avr::Error when it has none).
  int64_t image_size = 0;
  int64_t audio_length = 0;
};

class ScriptedModel : public ForwardModel {
 public:
  // Loads `path` onto `device`, puts it in eval mode (its weights no longer require
  // gradients: avr differentiates in the inputs only) and checks the contract with a probe
  // forward on zeros of the given sizes (batch 2) that must give `num_classes` logits
  // (0: any count ≥ 2); with encode and classify, the same probe through them must give
  // forward's logits within 1e-4·(1 + max |logit|). Every violation is a one-line
  // avr::Error naming the file and what was expected: not a TorchScript file, forward's
  // (encode's, classify's) arguments, a method that fails on the contract's shapes, an
  // output's type, shape, dtype, or non-finite values, only one of encode and classify,
  // classify(encode(x)) ≠ forward(x).
  ScriptedModel(const std::filesystem::path& path, const torch::Device& device,
                const ScriptedModelSizes& sizes = {}, int64_t num_classes = 0);
  ~ScriptedModel() override;

  // audio [B,L] is passed as [B,1,L]. Each call checks the output as the probe did
  // (shapes, dtype, finite values).
  ForwardOutput forward(const torch::Tensor& audio, const torch::Tensor& frames) const override;
  bool has_audio() const override { return has_audio_; }
  bool has_visual() const override { return has_visual_; }
  bool gives_features() const override { return gives_features_; }
  std::string describe() const override;
  // The module's encode and classify when it has them (each call's output checked as the
  // probe's, with the probe's feature sizes), else null.
  std::shared_ptr<const FeatureModel> feature_model() const override { return split_; }

  int64_t image_size() const { return image_size_; }
  int64_t audio_length() const { return audio_length_; }
  int64_t num_classes() const { return num_classes_; }
  // The module's classes attribute; empty when it has none.
  const std::vector<std::string>& classes() const { return classes_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  std::shared_ptr<torch::jit::Module> module_;
  std::shared_ptr<const FeatureModel> split_;
  int64_t image_size_ = 0, audio_length_ = 0, num_classes_ = 0;
  std::vector<std::string> classes_;
  bool has_audio_ = true, has_visual_ = true, gives_features_ = false;
};

// `avr attack/eval --model`: a TorchScript module on a dataset. Its labels follow the
// module's classes attribute when it has one (which must then name the dataset's
// classes), else the dataset's class list; the probe requires that many logits.
// ModelOnDataset::model stays null and forward_model holds the module; the training
// loss is "ce".
ModelOnDataset open_scripted_on_dataset(const std::filesystem::path& path, const DatasetSpec& spec,
                                        const torch::Device& device,
                                        const ScriptedModelSizes& sizes = {});

}  // namespace avr
