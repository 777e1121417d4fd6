// The one model class every module uses (paper Fig. 2): audio net → f_a,
// visual net → f_v, a fusion and a linear classifier; or a unimodal classifier;
// or the weakly-supervised sound-source localizer (paper Sec. 4.5). All inputs
// are in raw units: waveform [B,L] in [-1,1], frames [B,3,H,W] in [0,1].
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <memory>
#include <vector>

#include "avr/models/audio_net.h"
#include "avr/models/fusion.h"
#include "avr/models/model_config.h"
#include "avr/models/visual_net.h"

namespace avr {

// [B,512] each; undefined when the model lacks that branch. For the localizer,
// `visual` is the attended feature Σ_i w_i f_v^i and `attention` the weights
// [B,h,w] (undefined for the other kinds); with attention_map "local" also
// `local`, the attended layer2 feature Σ_i w_i g_i [B,128] (undefined otherwise).
struct Features {
  torch::Tensor audio, visual;
  torch::Tensor attention;
  torch::Tensor local;
};

// What the localizer's attention gives (see AvModelImpl::attend).
struct Attended {
  torch::Tensor visual;   // Σ_i w_i f_v^i over the last map [B,512]
  torch::Tensor local;    // Σ_i w_i g_i over layer2 [B,128]; attention_map "local" only
  torch::Tensor weights;  // w [B,h,w], softmax over the h·w positions
};

struct LocalizerOutput {
  torch::Tensor logits;     // [B,C]
  torch::Tensor attention;  // [B,h,w], softmax over the h·w positions (sums to 1)
  Features features;
};

// Parameters grouped as the original's optimizer treats them (different
// learning rates for the sound net, the frame net and the head).
struct ParameterGroups {
  std::vector<torch::Tensor> audio, visual, head;  // head = fusion + classifier
};

class AvModelImpl : public torch::nn::Module {
 public:
  // Validates `cfg` and initialises every weight from avr::Rng(cfg.seed).
  explicit AvModelImpl(ModelConfig cfg);

  const ModelConfig& config() const { return cfg_; }
  bool has_audio() const { return cfg_.has_audio(); }
  bool has_visual() const { return cfg_.has_visual(); }
  // True for the localizer: its visual feature depends on the audio, so
  // encode_visual() alone cannot give it (use encode()).
  bool visual_needs_audio() const { return cfg_.kind == ModelKind::Localizer; }

  // Features of the branches this model has; the other input may be undefined.
  Features encode(const torch::Tensor& audio, const torch::Tensor& frames);
  torch::Tensor encode_audio(const torch::Tensor& audio);    // [B,L] → [B,512]
  torch::Tensor encode_visual(const torch::Tensor& frames);  // [B,3,H,W] → [B,512]; not localizer
  // Logits [B,C] from features: fusion (if any) + linear classifier.
  torch::Tensor classify(const Features& f);
  // classify(encode(audio, frames)).
  torch::Tensor forward(const torch::Tensor& audio, const torch::Tensor& frames);
  // Localizer only: logits and the audio-guided attention map.
  LocalizerOutput localize(const torch::Tensor& audio, const torch::Tensor& frames);
  // Localizer attention (model_config.h, attention_map) from an audio feature
  // [B,512], the last feature map [B,512,h,w] (stride cfg.localizer_stride:
  // 6×6 at 48 px by default) and, for attention_map "local", the layer2 map
  // [B,128,h,w] on the same grid (ignored for "final").
  Attended attend(const torch::Tensor& f_a, const torch::Tensor& feature_map,
                  const torch::Tensor& local_map = {}) const;

  ParameterGroups parameter_groups();

  // Null for the branches the kind lacks.
  AudioNet audio_net{nullptr};
  VisualNet visual_net{nullptr};
  std::shared_ptr<Fusion> fusion;  // null for "audio"/"visual"
  torch::nn::Linear classifier{nullptr};
  // Localizer with attention_query "projected": q = P f_a + p (512 → 512 for
  // attention_map "final", 512 → kLocalAttentionDim for "local"); null otherwise.
  torch::nn::Linear attention_query{nullptr};
  // Localizer with attention_map "local": the keys K g_i + k (a 1×1 conv over
  // layer2's 128 channels) and the classifier of the attended layer2 feature
  // that the localizer's auxiliary loss trains (avr/train/attended_visual_loss.h);
  // null otherwise.
  static constexpr int64_t kLocalAttentionDim = 128;
  torch::nn::Linear attention_key{nullptr};
  torch::nn::Linear local_classifier{nullptr};

 private:
  torch::Tensor pool_visual(const torch::Tensor& frames);  // f_v by cfg_.visual_pool
  ModelConfig cfg_;
};
TORCH_MODULE(AvModel);

// Starts an AV (or localizer) model from trained unimodal ones: copies the
// audio net (weights and BN statistics) from `audio_only` and the visual net
// from `visual_only`. For Concat (and the localizer, whose head is Concat) the
// classifier starts as [W_v | W_a] with bias b_v + b_a, so the AV logits equal
// the sum of the two unimodal logits (DATASET.md: what makes the embedded study
// reach AV > A > V). A localizer's projected attention query starts as the
// audio-weighted class activation map (model_config.h, attention_query) when it
// attends on the last map; the "local" attention's key, query and classifier
// keep their fresh initialisation. For the other fusions only the encoders are copied and the
// fusion and classifier keep their fresh initialisation.
void init_from_unimodal(AvModel av, AvModel audio_only, AvModel visual_only);

}  // namespace avr
