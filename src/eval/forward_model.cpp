#include "avr/eval/forward_model.h"

#include <torch/torch.h>

namespace avr {
namespace {

class NativeForwardModel : public ForwardModel {
 public:
  explicit NativeForwardModel(AvModel m) : m_(std::move(m)) {}
  ForwardOutput forward(const torch::Tensor& audio, const torch::Tensor& frames) const override {
    AvModel net = m_;  // the holder's operator-> is const-only; the module is not
    const torch::Tensor a = audio.dim() == 3 ? audio.squeeze(1) : audio;
    ForwardOutput out;
    out.features = net->encode(a, frames);
    out.logits = net->classify(out.features);
    out.features.attention = out.features.local = torch::Tensor();
    return out;
  }
  bool has_audio() const override { return m_->has_audio(); }
  bool has_visual() const override { return m_->has_visual(); }
  bool gives_features() const override { return m_->has_audio() && m_->has_visual(); }
  std::string describe() const override {
    const auto& c = m_->config();
    return "avr " + c.kind + (c.kind == "av" ? "/" + c.fusion : "") + " model";
  }

 private:
  AvModel m_;
};

}  // namespace

std::shared_ptr<const ForwardModel> native_forward_model(AvModel model) {
  return std::make_shared<NativeForwardModel>(std::move(model));
}

}  // namespace avr
