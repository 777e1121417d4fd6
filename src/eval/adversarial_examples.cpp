#include "avr/eval/adversarial_examples.h"

#include <torch/torch.h>

#include <cmath>
#include <cstring>

#include "avr/core/error.h"
#include "avr/core/fs.h"
#include "avr/data/tensor_media.h"
#include "avr/report/raster.h"
#include "avr/report/wav_bytes.h"

namespace avr {
namespace {

// Integer steps of `scale`: the clean value rounded, the adversarial one rounded
// and then held within `budget_steps` of the clean one, both within [lo, hi].
std::pair<torch::Tensor, torch::Tensor> quantize_pair(const torch::Tensor& clean, const torch::Tensor& adv,
                                                      double scale, const torch::Tensor& budget_steps,
                                                      double lo, double hi) {
  const auto c = (clean.detach().to(torch::kCPU, torch::kDouble) * scale).round().clamp(lo, hi);
  auto a = (adv.detach().to(torch::kCPU, torch::kDouble) * scale).round();
  a = torch::min(torch::max(a, c - budget_steps), c + budget_steps).clamp(lo, hi);
  return {c, a};
}

}  // namespace

FramePair quantize_frame_pair(const torch::Tensor& clean, const torch::Tensor& adversarial,
                              const ThreatModel& threat) {
  AVR_CHECK(clean.dim() == 3 && clean.size(0) == 3 && clean.sizes() == adversarial.sizes(),
            "adversarial example frames must be two [3,H,W] tensors of one shape");
  std::vector<double> budget(3, 0.0);
  if (threat.attacks_visual())
    for (int ch = 0; ch < 3; ++ch) budget[ch] = std::floor(threat.pixel_eps_v(ch) * 255.0 + 1e-9);
  const auto steps = torch::tensor(budget, torch::kDouble).view({3, 1, 1});
  auto [c, a] = quantize_pair(clean, adversarial, 255.0, steps, 0.0, 255.0);
  auto to_image = [](const torch::Tensor& q) {
    const auto hwc = q.permute({1, 2, 0}).contiguous().to(torch::kUInt8);
    Image im(static_cast<int>(hwc.size(1)), static_cast<int>(hwc.size(0)));
    std::memcpy(im.rgb.data(), hwc.data_ptr<uint8_t>(), im.rgb.size());
    return im;
  };
  return {to_image(c), to_image(a)};
}

AudioPair quantize_audio_pair(const torch::Tensor& clean, const torch::Tensor& adversarial,
                              const ThreatModel& threat, int sample_rate) {
  AVR_CHECK(clean.dim() == 1 && clean.sizes() == adversarial.sizes(),
            "adversarial example audio must be two [L] tensors of one shape");
  // Stored as round(x·32767) (encode_wav), read back as q/32768 (libsndfile): a
  // budget of floor(ε·32768) steps reads back as ≤ ε.
  const double steps = threat.attacks_audio() ? std::floor(threat.eps_a * 32768.0 + 1e-9) : 0.0;
  auto [c, a] = quantize_pair(clean, adversarial, 32767.0, torch::tensor(steps, torch::kDouble), -32767.0,
                              32767.0);
  auto to_audio = [&](const torch::Tensor& q) {
    Audio out;
    out.sample_rate = sample_rate;
    out.channels = 1;
    const auto f = (q / 32767.0).to(torch::kFloat).contiguous();
    out.samples.assign(f.data_ptr<float>(), f.data_ptr<float>() + f.numel());
    return out;
  };
  return {to_audio(c), to_audio(a)};
}

FramePair write_frame_example(const std::filesystem::path& dir, const std::string& stem,
                              const torch::Tensor& clean, const torch::Tensor& adversarial,
                              const ThreatModel& threat, int scale) {
  FramePair f = quantize_frame_pair(clean, adversarial, threat);
  write_png(dir / (stem + "_frame_clean.png"), upscale_nearest(f.clean, scale));
  write_png(dir / (stem + "_frame_adv.png"), upscale_nearest(f.adversarial, scale));
  write_png(dir / (stem + "_perturbation.png"), upscale_nearest(perturbation_image(f.clean, f.adversarial), scale));
  return f;
}

AudioPair write_audio_example(const std::filesystem::path& dir, const std::string& stem,
                              const torch::Tensor& clean, const torch::Tensor& adversarial,
                              const ThreatModel& threat, int sample_rate) {
  AudioPair a = quantize_audio_pair(clean, adversarial, threat, sample_rate);
  write_file_atomic(dir / (stem + "_audio_clean.wav"), bytes_to_string(encode_wav(a.clean)));
  write_file_atomic(dir / (stem + "_audio_adv.wav"), bytes_to_string(encode_wav(a.adversarial)));
  return a;
}

AdversarialHook adversarial_example_writer(const std::filesystem::path& dir, int64_t count,
                                           int sample_rate) {
  return [=](const std::string& attack, const ThreatModel& threat, const Batch& clean,
             const torch::Tensor& adv_audio, const torch::Tensor& adv_frames, const torch::Tensor& adv_pred) {
    const auto sub = dir / (attack + "_" + to_string(threat.modality));
    for (int64_t i = 0; i < clean.indices.size(0); ++i) {
      const int64_t index = clean.indices[i].item<int64_t>();
      if (index >= count) continue;
      ensure_dir(sub);
      const std::string stem =
          "clip" + std::to_string(index) + "_pred" + std::to_string(adv_pred[i].item<int64_t>());
      if (threat.attacks_visual()) write_frame_example(sub, stem, clean.frames[i], adv_frames[i], threat);
      if (threat.attacks_audio())
        write_audio_example(sub, stem, clean.audio[i].flatten(), adv_audio[i].flatten(), threat, sample_rate);
    }
  };
}

}  // namespace avr
