// What a model is: which branches it has (audio, visual, both, or the
// sound-source localizer of paper Sec. 4.5), how it fuses them (supplement
// A.4) and the inputs it was built for. Written next to every checkpoint.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace avr {

// Which branches a model has; named "av", "audio", "visual" and "localizer" in JSON,
// checkpoints and flags.
enum class ModelKind {
  // "av": audio + visual nets, a fusion and a linear classifier (paper Fig. 2).
  AudioVisual,
  // "audio" / "visual": one encoder and Linear(512, C); the other input is ignored.
  Audio,
  Visual,
  // "localizer": audio-guided attention over the ResNet feature map; the attended
  //   visual feature replaces f_v in the Concat classifier (paper Sec. 4.5).
  Localizer,
};
std::string to_string(ModelKind kind);  // "av" | "audio" | "visual" | "localizer"
// The kind of that name; an avr::Error listing the names otherwise.
ModelKind parse_model_kind(const std::string& name);
std::ostream& operator<<(std::ostream& os, ModelKind kind);  // its name, for messages
// As its name; reading an unknown name is an avr::Error.
void to_json(nlohmann::json& j, ModelKind kind);
void from_json(const nlohmann::json& j, ModelKind& kind);

// How an "av" model fuses f_a and f_v (supplement A.4); named sum, concat, film,
// gated_sum and gated_concat in JSON, checkpoints and flags. None ("") for the kinds
// with no fusion of their own.
enum class FusionKind { None, Sum, Concat, Film, GatedSum, GatedConcat };
std::string to_string(FusionKind fusion);  // "" for None
// "" is None; an unknown name is an avr::Error listing the five.
FusionKind parse_fusion(const std::string& name);
std::ostream& operator<<(std::ostream& os, FusionKind fusion);  // its name, for messages
void to_json(nlohmann::json& j, FusionKind fusion);
void from_json(const nlohmann::json& j, FusionKind& fusion);
// The five fusions of kind av, in the paper's order (Table 2).
const std::vector<FusionKind>& fusion_kinds();

struct ModelConfig {
  ModelKind kind = ModelKind::AudioVisual;
  // Kind av: any of fusion_kinds(). The other kinds accept None or Concat (the
  // localizer's head is Concat; unimodal has none).
  FusionKind fusion = FusionKind::Concat;
  int64_t num_classes = 0;       // must be set from the dataset's class list (≥ 2)
  int64_t image_size = 224;      // square frames [B,3,S,S] in [0,1]; ≥ 32 (ResNet stride)
  int64_t audio_length = 65535;  // waveform samples [B,L] in [-1,1]; ≥ 4096 (audio net stride)
  // Gated fusions: gate = σ(W f + b) when true (Kiela et al. 2018's learned gate);
  // false is supplement eqs. 5–6 taken literally, σ(f) with no parameters — since
  // f ≥ 0 after ReLU + max pool, that gate never goes below 0.5.
  bool gate_projection = true;
  // Localizer: w_i = softmax_i(attention_scale · qᵀ f_v^i). 1 is the paper.
  double attention_scale = 1.0;
  // Localizer: the query q. "audio": q = f_a, the paper's w_i ∝ exp(f_aᵀ f_v^i)
  // (Sec. 4.5). "projected": q = P f_a + p, a learned affine map of f_a, as the
  // attention of the works the paper follows ([71] Tian et al. 2018, [64]
  // Senocak et al. 2018); with attention_map "final", init_from_unimodal starts it so that qᵀ f_v^i is the
  // audio net's class scores (centered) dotted with the visual net's class
  // scores at position i, an audio-weighted class activation map. With q = f_a
  // the two separately trained feature spaces are unrelated and one epoch of
  // fine-tuning did not align them (pointing game 37 % on the default profile).
  std::string attention_query = "projected";
  // Localizer: output stride of the feature map the attention runs on. 32 is
  // ResNet18 as is (2×2 at 48 px, too coarse to point inside a pictogram); 16
  // dilates layer4, 8 layer3 and layer4 (stride 1, dilation 2 then 4, as
  // torchvision's replace_stride_with_dilation): 6×6 at 48 px. The weights keep
  // their shapes, so a visual net trained at stride 32 loads as is.
  int64_t localizer_stride = 8;
  // Localizer: the map the attention weights are computed on.
  //   "local": ResNet18's layer2 output g_i (stride 8, 128 channels: 6×6 at
  //     48 px, the same grid as the last map at localizer_stride 8, which it
  //     requires), w_i = softmax_i(attention_temperature · cos(q, K g_i + k)),
  //     q = P f_a + p, both projected to kLocalAttentionDim (av_model.h); the
  //     cosine attention of the sound-source localizers the paper follows
  //     (Senocak et al. CVPR 2018 [64]; Arandjelović & Zisserman ECCV 2018).
  //   "final": the paper's f_v^i, the last (layer4) map at localizer_stride,
  //     w_i = softmax_i(attention_scale · qᵀ f_v^i) with q per attention_query.
  // Either way the attended Σ_i w_i f_v^i of the last map replaces f_v in the
  // Concat head (Sec. 4.5) and w is the map that is shown and scored. Why
  // "local": on the default profile (48 px, encoders trained from scratch) a
  // layer4 cell's input gradient spreads over the whole frame (8.5 % of it
  // within ±8 px of cell (1,1), about a uniform spread's 11 %; layer2 37 %), and
  // an attention head trained on frozen layer4 features pointed at the sounding
  // instrument in 12–17 % of 200 test clips, on layer2 features 45–55 %.
  std::string attention_map = "local";
  // Localizer "local": the softmax temperature τ on the cosine scores in
  // [-1, 1] (5: measured stable; at 20 the weights sharpen and the pointing
  // game drifted between epochs).
  double attention_temperature = 5.0;
  // How f_v is pooled from ResNet18's last map (kinds "av" and "visual"; the localizer
  // pools by attention). "max": the paper's global max pool (supplement A.3). "avg": what
  // the authors' released code computes — its Resnet wrapper keeps torchvision's avgpool
  // inside `features`, so the max pool after it sees a 1×1 map; `avr import` sets it so
  // that imported checkpoints give the original's logits.
  std::string visual_pool = "max";
  // Seeds the parameter initialisation (through avr::Rng forks per sub-network),
  // so the same config builds the same weights on every machine.
  uint64_t seed = 0;

  bool has_audio() const { return kind != ModelKind::Visual; }
  bool has_visual() const { return kind != ModelKind::Audio; }
  // The fusion actually used by the head: Concat for the localizer, None for unimodal.
  FusionKind effective_fusion() const;

  // Throws avr::Error naming the field and the values that are allowed.
  void validate() const;
  // Human-readable list of the fields that decide weights or their meaning
  // (everything but `seed`) and differ; empty when `other` can hold these weights.
  std::string mismatch(const ModelConfig& other) const;
};


void to_json(nlohmann::json& j, const ModelConfig& c);
// Requires "kind" and "num_classes"; other fields default; unknown keys are an
// error (a typo would otherwise silently build a different model). Validates.
void from_json(const nlohmann::json& j, ModelConfig& c);

}  // namespace avr
