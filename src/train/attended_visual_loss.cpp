#include "avr/train/attended_visual_loss.h"

#include <torch/torch.h>

#include "avr/core/error.h"

namespace avr {

torch::Tensor attended_visual_logits(AvModelImpl& model, const Features& f) {
  AVR_CHECK(model.config().kind == ModelKind::Localizer,
            "the attended-visual loss needs a localizer, this model is '", model.config().kind, "'");
  if (model.local_classifier) {
    constexpr int64_t c = VisualNetImpl::kLayer2Channels;
    AVR_CHECK(f.local.defined() && f.local.dim() == 2 && f.local.size(1) == c,
              "the attended-visual loss needs the localizer's attended layer2 feature [B,", c,
              "] (Features::local from encode()), got ",
              f.local.defined() ? f.local.sizes() : torch::IntArrayRef{});
    return model.local_classifier->forward(f.local);
  }
  constexpr int64_t d = VisualNetImpl::kFeatureDim;
  AVR_CHECK(f.visual.defined() && f.visual.dim() == 2 && f.visual.size(1) == d,
            "the attended-visual loss needs the localizer's attended feature [B,", d,
            "] (Features::visual from encode()), got ",
            f.visual.defined() ? f.visual.sizes() : torch::IntArrayRef{});
  // The Concat head reads [f_v ; f_a]: its first d columns are the visual classifier.
  const auto w_v = model.classifier->weight.narrow(1, 0, d);
  return torch::linear(f.visual, w_v, model.classifier->bias);
}

torch::Tensor attended_visual_loss(AvModelImpl& model, const Features& f, const torch::Tensor& labels) {
  namespace F = torch::nn::functional;
  return F::cross_entropy(attended_visual_logits(model, f), labels,
                          F::CrossEntropyFuncOptions().reduction(torch::kNone));
}

}  // namespace avr
