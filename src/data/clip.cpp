#include "avr/data/clip.h"

#include <torch/torch.h>

#include <atomic>
#include <cmath>
#include <iostream>

#include "avr/core/error.h"
#include "avr/core/json_fields.h"
#include "avr/media/image.h"
#include "avr/media/wav.h"

namespace avr {

void ClipSettings::validate() const {
  AVR_CHECK(image_size >= 16 && image_size <= 1024, "image size must be in [16, 1024], got ",
            image_size);
  AVR_CHECK(audio_length >= 256, "audio length must be at least 256 samples, got ", audio_length);
  AVR_CHECK(resize_ratio >= 1.0, "resize ratio must be ≥ 1, got ", resize_ratio);
  AVR_CHECK(volume_min > 0 && volume_min <= volume_max, "volume range must satisfy 0 < min ≤ max");
}

void to_json(nlohmann::json& j, const ClipSettings& s) {
  j = {{"image_size", s.image_size},     {"audio_length", s.audio_length},
       {"resize_ratio", s.resize_ratio}, {"volume_min", s.volume_min},
       {"volume_max", s.volume_max}};
}

void from_json(const nlohmann::json& j, ClipSettings& s) {
  JsonFields f(j, "clip settings");
  f.read("image_size", s.image_size);
  f.read("audio_length", s.audio_length);
  f.read("resize_ratio", s.resize_ratio);
  f.read("volume_min", s.volume_min);
  f.read("volume_max", s.volume_max);
  f.finish();
}

namespace {

std::atomic<bool> g_warned_channels{false};

// Resize so the shorter side is `shorter` (torchvision's Resize(int)).
torch::Tensor resize_shorter(const torch::Tensor& chw, int64_t shorter) {
  const int64_t h = chw.size(1), w = chw.size(2);
  int64_t nh, nw;
  if (h <= w) {
    nh = shorter;
    nw = static_cast<int64_t>(std::llround(static_cast<double>(w) * shorter / h));
  } else {
    nw = shorter;
    nh = static_cast<int64_t>(std::llround(static_cast<double>(h) * shorter / w));
  }
  if (nh == h && nw == w) return chw;
  namespace F = torch::nn::functional;
  const bool down = nh < h || nw < w;
  return F::interpolate(chw.unsqueeze(0), F::InterpolateFuncOptions()
                                              .size(std::vector<int64_t>{nh, nw})
                                              .mode(torch::kBilinear)
                                              .align_corners(false)
                                              .antialias(down))
      .squeeze(0)
      .clamp(0, 1);
}

torch::Tensor to_float_chw(const Image& im) {
  auto hwc = torch::from_blob(const_cast<uint8_t*>(im.rgb.data()), {im.height, im.width, 3},
                              torch::kUInt8);
  return hwc.permute({2, 0, 1}).to(torch::kFloat32).div_(255.0f).contiguous();
}

}  // namespace

torch::Tensor eval_transform(const torch::Tensor& frame_chw, int64_t size) {
  auto f = frame_chw.scalar_type() == torch::kUInt8 ? frame_chw.to(torch::kFloat32).div(255.0f)
                                                    : frame_chw;
  f = resize_shorter(f, size);
  const int64_t top = (f.size(1) - size) / 2, left = (f.size(2) - size) / 2;
  return f.slice(1, top, top + size).slice(2, left, left + size).contiguous();
}

torch::Tensor audio_window(const DatasetLayout& layout, const SplitRow& row, int64_t length) {
  const auto path = layout.audio_path(row);
  Audio a = read_wav(path);
  AVR_CHECK(a.sample_rate == layout.sample_rate, "audio ", path, " is at ", a.sample_rate,
            " Hz, expected ", layout.sample_rate,
            " Hz: re-extract the dataset with `avr extract` (it resamples) or convert it, e.g. "
            "`sox in.wav -r ",
            layout.sample_rate, " out.wav`");
  if (a.channels != 1) {
    if (!g_warned_channels.exchange(true))
      std::cerr << "avr: note: " << path << " has " << a.channels
                << " channels; averaging to mono (said once for all files)\n";
    a = to_mono(a);
  }
  const int64_t center = center_frame_index(row.frame_count);
  const int64_t start = center_window_start(center, layout.fps, layout.sample_rate, length);
  auto out = torch::zeros({length}, torch::kFloat32);
  const int64_t n = a.frames();
  const int64_t from = std::max<int64_t>(0, start), to = std::min<int64_t>(n, start + length);
  if (to > from) {
    auto src = torch::from_blob(a.samples.data() + from, {to - from}, torch::kFloat32);
    out.slice(0, from - start, to - start).copy_(src);
  }
  return out;
}

Clip load_clip(const DatasetLayout& layout, const SplitRow& row, const ClipSettings& s,
               bool train, Rng* rng) {
  AVR_ASSERT(!train || rng, "train transforms need an Rng");
  Clip c;
  c.audio = audio_window(layout, row, s.audio_length);
  const auto frame_file = layout.frame_path(row, center_frame_index(row.frame_count));
  const Image im = read_image(frame_file);
  auto f = to_float_chw(im);
  if (!train) {
    c.frame = eval_transform(f, s.image_size);
    return c;
  }
  // Train: resize to ratio·size, random crop, horizontal flip; volume jitter.
  f = resize_shorter(f, static_cast<int64_t>(std::llround(s.image_size * s.resize_ratio)));
  const int64_t top = rng->randint(0, f.size(1) - s.image_size);
  const int64_t left = rng->randint(0, f.size(2) - s.image_size);
  f = f.slice(1, top, top + s.image_size).slice(2, left, left + s.image_size);
  if (rng->bernoulli(0.5)) f = f.flip({2});
  c.frame = f.contiguous();
  const double volume = rng->uniform(s.volume_min, s.volume_max);
  c.audio.mul_(volume).clamp_(-1.0, 1.0);
  return c;
}

}  // namespace avr
