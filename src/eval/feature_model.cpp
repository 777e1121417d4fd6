#include "avr/eval/feature_model.h"

#include <torch/torch.h>

#include "avr/core/error.h"

namespace avr {

torch::Tensor FeatureModel::encode_audio(const torch::Tensor&) const {
  AVR_ASSERT(false, describe(), " encodes both branches at once: call encode()");
}

torch::Tensor FeatureModel::encode_visual(const torch::Tensor&) const {
  AVR_ASSERT(false, describe(), " encodes both branches at once: call encode()");
}

namespace {

class NativeFeatureModel : public FeatureModel {
 public:
  explicit NativeFeatureModel(AvModel m) : m_(std::move(m)) {}
  // The holder's operator-> is const-only and the module's methods are not: copies of the
  // holder share the module.
  Features encode(const torch::Tensor& audio, const torch::Tensor& frames) const override {
    AvModel net = m_;
    const torch::Tensor a = audio.dim() == 3 ? audio.squeeze(1) : audio;
    Features f = net->encode(a, frames);
    f.attention = f.local = torch::Tensor();
    return f;
  }
  torch::Tensor classify(const Features& f) const override {
    AvModel net = m_;
    return net->classify(f);
  }
  bool encodes_branches() const override { return !m_->visual_needs_audio(); }
  torch::Tensor encode_audio(const torch::Tensor& audio) const override {
    AvModel net = m_;
    return net->encode_audio(audio.dim() == 3 ? audio.squeeze(1) : audio);
  }
  torch::Tensor encode_visual(const torch::Tensor& frames) const override {
    AvModel net = m_;
    return net->encode_visual(frames);
  }
  bool has_audio() const override { return m_->has_audio(); }
  bool has_visual() const override { return m_->has_visual(); }
  std::string describe() const override {
    const auto& c = m_->config();
    return "avr " + to_string(c.kind) + (c.kind == ModelKind::AudioVisual ? "/" + to_string(c.fusion) : "") + " model";
  }

 private:
  AvModel m_;
};

}  // namespace

std::shared_ptr<const FeatureModel> native_feature_model(AvModel model) {
  return std::make_shared<NativeFeatureModel>(std::move(model));
}

}  // namespace avr
