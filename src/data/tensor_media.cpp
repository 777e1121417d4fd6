#include "avr/data/tensor_media.h"

#include <cstring>

#include "avr/core/error.h"

namespace avr {

Image tensor_to_image(const torch::Tensor& frame) {
  AVR_ASSERT(frame.dim() == 3 && frame.size(0) == 3, "expected a [3,H,W] frame, got ", frame.sizes());
  auto hwc = (frame.detach().to(torch::kCPU, torch::kFloat).clamp(0, 1) * 255 + 0.5)
                 .to(torch::kUInt8).permute({1, 2, 0}).contiguous();
  Image img(static_cast<int>(frame.size(2)), static_cast<int>(frame.size(1)));
  std::memcpy(img.rgb.data(), hwc.data_ptr<uint8_t>(), img.rgb.size());
  return img;
}

Audio tensor_to_audio(const torch::Tensor& waveform, int sample_rate) {
  auto w = waveform.detach().to(torch::kCPU, torch::kFloat).contiguous();
  Audio a;
  a.sample_rate = sample_rate;
  a.channels = 1;
  a.samples.assign(w.data_ptr<float>(), w.data_ptr<float>() + w.numel());
  return a;
}

std::string bytes_to_string(const std::vector<uint8_t>& bytes) {
  return std::string(bytes.begin(), bytes.end());
}

}  // namespace avr
