#include "avr/eval/forward_model.h"

#include <torch/torch.h>

namespace avr {
namespace {

class NativeForwardModel : public ForwardModel {
 public:
  explicit NativeForwardModel(AvModel m) : split_(native_feature_model(m)), m_(std::move(m)) {}
  ForwardOutput forward(const torch::Tensor& audio, const torch::Tensor& frames) const override {
    ForwardOutput out;
    out.features = split_->encode(audio, frames);
    out.logits = split_->classify(out.features);
    return out;
  }
  bool has_audio() const override { return m_->has_audio(); }
  bool has_visual() const override { return m_->has_visual(); }
  bool gives_features() const override { return m_->has_audio() && m_->has_visual(); }
  std::string describe() const override { return split_->describe(); }
  std::shared_ptr<const FeatureModel> feature_model() const override { return split_; }

 private:
  std::shared_ptr<const FeatureModel> split_;
  AvModel m_;
};

}  // namespace

std::shared_ptr<const ForwardModel> native_forward_model(AvModel model) {
  return std::make_shared<NativeForwardModel>(std::move(model));
}

}  // namespace avr
