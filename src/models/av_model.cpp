#include "avr/models/av_model.h"

#include <torch/torch.h>

#include "avr/core/error.h"
#include "avr/core/rng.h"
#include "param_init.h"

namespace avr {
namespace {

constexpr int64_t kDim = AudioNetImpl::kFeatureDim;
static_assert(AudioNetImpl::kFeatureDim == VisualNetImpl::kFeatureDim);

void check_batch(const torch::Tensor& audio, const torch::Tensor& frames) {
  AVR_CHECK(audio.size(0) == frames.size(0), "audio batch ", audio.size(0),
            " and frames batch ", frames.size(0), " differ: pass one waveform per frame");
}

}  // namespace

AvModelImpl::AvModelImpl(ModelConfig cfg) : cfg_(std::move(cfg)) {
  cfg_.validate();
  // One fork per sub-network: an "audio" and an "av" model with the same seed
  // start from the same audio net.
  const Rng root = Rng(cfg_.seed).fork("models");
  if (cfg_.has_audio()) audio_net = register_module("audio_net", AudioNet(root.fork("audio_net")));
  if (cfg_.has_visual())
    visual_net = register_module(
        "visual_net", VisualNet(root.fork("visual_net"),
                                cfg_.kind == ModelKind::Localizer ? cfg_.localizer_stride : 32));
  const bool local = cfg_.kind == ModelKind::Localizer && cfg_.attention_map == "local";
  if (cfg_.kind == ModelKind::Localizer && cfg_.attention_query == "projected") {
    attention_query = register_module(
        "attention_query", torch::nn::Linear(kDim, local ? kLocalAttentionDim : kDim));
    detail::init_torch_default(attention_query->weight, attention_query->bias, root,
                               "attention_query");
  }
  if (local) {
    constexpr int64_t g = VisualNetImpl::kLayer2Channels;
    attention_key = register_module("attention_key", torch::nn::Linear(g, kLocalAttentionDim));
    detail::init_torch_default(attention_key->weight, attention_key->bias, root, "attention_key");
    local_classifier = register_module("local_classifier", torch::nn::Linear(g, cfg_.num_classes));
    detail::init_torch_default(local_classifier->weight, local_classifier->bias, root,
                               "local_classifier");
  }
  const FusionKind f = cfg_.effective_fusion();
  if (f != FusionKind::None) {
    fusion = register_module("fusion", make_fusion(f, kDim, cfg_.gate_projection));
    fusion->reset_parameters(root.fork("fusion"));
  }
  const int64_t head_in = fusion ? fusion->output_dim() : kDim;
  classifier = register_module("classifier", torch::nn::Linear(head_in, cfg_.num_classes));
  detail::init_torch_default(classifier->weight, classifier->bias, root, "classifier");
}

torch::Tensor AvModelImpl::encode_audio(const torch::Tensor& audio) {
  AVR_CHECK(has_audio(), "the ", cfg_.kind, " model has no audio branch");
  return audio_net->forward(audio);
}

torch::Tensor AvModelImpl::encode_visual(const torch::Tensor& frames) {
  AVR_CHECK(has_visual(), "the ", cfg_.kind, " model has no visual branch");
  AVR_CHECK(!visual_needs_audio(),
            "the localizer's visual feature is attended by the audio: use encode(audio, frames)");
  return pool_visual(frames);
}

torch::Tensor AvModelImpl::pool_visual(const torch::Tensor& frames) {
  if (cfg_.visual_pool == "avg") return visual_net->feature_map(frames).mean({2, 3});
  return visual_net->forward(frames);
}

Attended AvModelImpl::attend(const torch::Tensor& f_a, const torch::Tensor& feature_map,
                             const torch::Tensor& local_map) const {
  AVR_CHECK(feature_map.dim() == 4 && feature_map.size(1) == kDim && f_a.dim() == 2 &&
                f_a.size(1) == kDim && f_a.size(0) == feature_map.size(0),
            "attention: expected f_a [B,", kDim, "] and a feature map [B,", kDim, ",h,w], got ",
            f_a.sizes(), " and ", feature_map.sizes());
  const int64_t b = feature_map.size(0), h = feature_map.size(2), w = feature_map.size(3);
  auto fv = feature_map.flatten(2);  // [B,d,N]
  const auto q = attention_query ? torch::linear(f_a, attention_query->weight, attention_query->bias) : f_a;
  Attended out;
  torch::Tensor weights;
  if (attention_key) {
    constexpr int64_t c = VisualNetImpl::kLayer2Channels;
    AVR_CHECK(local_map.defined() && local_map.dim() == 4 && local_map.size(0) == b &&
                  local_map.size(1) == c && local_map.size(2) == h && local_map.size(3) == w,
              "local attention: expected the layer2 map [", b, ",", c, ",", h, ",", w,
              "] on the last map's grid, got ",
              local_map.defined() ? local_map.sizes() : torch::IntArrayRef{});
    namespace F = torch::nn::functional;
    auto g = local_map.flatten(2);                                                  // [B,128,N]
    auto keys = torch::linear(g.transpose(1, 2), attention_key->weight, attention_key->bias);  // [B,N,D]
    keys = F::normalize(keys, F::NormalizeFuncOptions().dim(2));
    auto qn = F::normalize(q, F::NormalizeFuncOptions().dim(1));
    auto cos = torch::bmm(keys, qn.unsqueeze(2)).squeeze(2);  // cos(q, k_i): [B,N]
    weights = torch::softmax(cos * cfg_.attention_temperature, 1);
    out.local = torch::bmm(g, weights.unsqueeze(2)).squeeze(2);  // Σ_i w_i g_i: [B,128]
  } else {
    auto scores = torch::bmm(q.unsqueeze(1), fv).squeeze(1);  // qᵀ f_v^i: [B,N]
    weights = torch::softmax(scores * cfg_.attention_scale, 1);
  }
  out.visual = torch::bmm(fv, weights.unsqueeze(2)).squeeze(2);  // Σ_i w_i f_v^i: [B,d]
  out.weights = weights.view({b, h, w});
  return out;
}

Features AvModelImpl::encode(const torch::Tensor& audio, const torch::Tensor& frames) {
  Features f;
  if (has_audio()) f.audio = audio_net->forward(audio);
  if (has_visual()) {
    if (visual_needs_audio()) {
      check_batch(audio, frames);
      Attended a;
      if (attention_key) {
        auto [local_map, map] = visual_net->layer2_and_feature_map(frames);
        a = attend(f.audio, map, local_map);
      } else {
        a = attend(f.audio, visual_net->feature_map(frames));
      }
      f.visual = a.visual;
      f.attention = a.weights;
      f.local = a.local;
    } else {
      f.visual = pool_visual(frames);
    }
  }
  if (has_audio() && has_visual()) check_batch(audio, frames);
  return f;
}

torch::Tensor AvModelImpl::classify(const Features& f) {
  if (fusion) return classifier->forward(fusion->forward(f.audio, f.visual));
  const torch::Tensor& x = has_audio() ? f.audio : f.visual;
  AVR_CHECK(x.defined(), "the ", cfg_.kind, " classifier needs the ", cfg_.kind,
            " feature, which is undefined");
  AVR_CHECK(x.dim() == 2 && x.size(1) == kDim, "the ", cfg_.kind,
            " classifier expects features [B,", kDim, "], got ", x.sizes());
  return classifier->forward(x);
}

torch::Tensor AvModelImpl::forward(const torch::Tensor& audio, const torch::Tensor& frames) {
  return classify(encode(audio, frames));
}

LocalizerOutput AvModelImpl::localize(const torch::Tensor& audio, const torch::Tensor& frames) {
  AVR_CHECK(visual_needs_audio(), "localize() needs a model of kind 'localizer', this one is '",
            cfg_.kind, "'");
  LocalizerOutput out;
  out.features = encode(audio, frames);
  out.attention = out.features.attention;
  out.logits = classify(out.features);
  return out;
}

ParameterGroups AvModelImpl::parameter_groups() {
  ParameterGroups g;
  if (audio_net) g.audio = audio_net->parameters();
  if (visual_net) g.visual = visual_net->parameters();
  if (fusion) g.head = fusion->parameters();
  for (auto& p : classifier->parameters()) g.head.push_back(p);
  for (auto* m : {&attention_query, &attention_key, &local_classifier})
    if (*m)
      for (auto& p : (*m)->parameters()) g.head.push_back(p);
  return g;
}

namespace {

// Copies every parameter and buffer (BN running statistics) by name.
void copy_module(torch::nn::Module& dst, const torch::nn::Module& src, const std::string& what) {
  torch::NoGradGuard no_grad;
  auto src_params = src.named_parameters(true);
  auto src_buffers = src.named_buffers(true);
  for (auto& item : dst.named_parameters(true)) {
    const auto* s = src_params.find(item.key());
    AVR_ASSERT(s && s->sizes() == item.value().sizes(), what, ": ", item.key());
    item.value().copy_(*s);
  }
  for (auto& item : dst.named_buffers(true)) {
    const auto* s = src_buffers.find(item.key());
    AVR_ASSERT(s && s->sizes() == item.value().sizes(), what, ": ", item.key());
    item.value().copy_(*s);
  }
}

}  // namespace

void init_from_unimodal(AvModel av, AvModel audio_only, AvModel visual_only) {
  const auto& c = av->config();
  AVR_CHECK(c.kind == ModelKind::AudioVisual || c.kind == ModelKind::Localizer,
            "init_from_unimodal: the target must be an 'av' or 'localizer' model, not '", c.kind, "'");
  AVR_CHECK(audio_only->config().kind == ModelKind::Audio, "init_from_unimodal: the audio model is of kind '",
            audio_only->config().kind, "', expected 'audio'");
  AVR_CHECK(visual_only->config().kind == ModelKind::Visual,
            "init_from_unimodal: the visual model is of kind '", visual_only->config().kind,
            "', expected 'visual'");
  AVR_CHECK(audio_only->config().num_classes == c.num_classes &&
                visual_only->config().num_classes == c.num_classes,
            "init_from_unimodal: class counts differ (av ", c.num_classes, ", audio ",
            audio_only->config().num_classes, ", visual ", visual_only->config().num_classes, ")");
  copy_module(*av->audio_net, *audio_only->audio_net, "audio net");
  copy_module(*av->visual_net, *visual_only->visual_net, "visual net");
  torch::NoGradGuard no_grad;
  if (av->attention_query && c.attention_map == "final") {
    // q = W_vᵀ C (W_a f_a + b_a), C = I − 11ᵀ/K: qᵀ f_v^i = Σ_c ã_c (W_v f_v^i)_c,
    // the audio's centered class scores weighting the visual class scores at
    // position i (the visual bias drops out: Σ_c ã_c = 0).
    const auto& wa = audio_only->classifier->weight;
    const auto& ba = audio_only->classifier->bias;
    const auto& wv = visual_only->classifier->weight;
    const auto wa_c = wa - wa.mean(0, true), ba_c = ba - ba.mean();
    auto& q = av->attention_query;
    q->weight.copy_(torch::matmul(wv.t(), wa_c).to(q->weight.device()));
    q->bias.copy_(torch::matmul(wv.t(), ba_c).to(q->bias.device()));
  }
  if (c.effective_fusion() != FusionKind::Concat) return;
  // cat(f_v, f_a) · [W_v | W_a]ᵀ + b_v + b_a = (W_v f_v + b_v) + (W_a f_a + b_a).
  auto& w = av->classifier->weight;
  w.copy_(torch::cat({visual_only->classifier->weight.to(w.device()),
                      audio_only->classifier->weight.to(w.device())}, 1));
  av->classifier->bias.copy_(visual_only->classifier->bias.to(w.device()) +
                             audio_only->classifier->bias.to(w.device()));
}

}  // namespace avr
