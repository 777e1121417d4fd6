// One clip as the paper's networks see it: the center frame and a window of
// raw waveform centered on that frame's time (ORIGINAL.md, "Data"), with the
// original's eval and train transforms. Tensors stay in raw units (frames in
// [0,1], waveform in [-1,1]); normalization lives inside the models.
#pragma once

#include <torch/types.h>

#include <nlohmann/json.hpp>

#include "avr/core/rng.h"
#include "avr/layout/dataset_layout.h"

namespace avr {

struct ClipSettings {
  int64_t image_size = 224;      // square model input (the paper's 224)
  int64_t audio_length = 65535;  // samples at the layout's rate (the paper's ≈ 6 s)
  double resize_ratio = 1.1;     // train: resize to ratio·size, then random crop
  double volume_min = 0.5;       // train: volume × U(min, max), then clip to [-1, 1]
  double volume_max = 1.5;
  void validate() const;
};
void to_json(nlohmann::json& j, const ClipSettings& s);
void from_json(const nlohmann::json& j, ClipSettings& s);

struct Clip {
  torch::Tensor audio;   // [audio_length] float32
  torch::Tensor frame;   // [3, image_size, image_size] float32 in [0, 1]
};

// Reads and transforms one clip. `rng` is used only when `train` is true
// (crop position, flip, volume); errors name the file and what to do.
Clip load_clip(const DatasetLayout& layout, const SplitRow& row, const ClipSettings& settings,
               bool train, Rng* rng);

// The waveform window alone (zero-padded past either end of the file).
torch::Tensor audio_window(const DatasetLayout& layout, const SplitRow& row, int64_t length);

// The eval transform on an already decoded frame: resize shorter side to
// `size`, center crop. [3,H,W] uint8 or float → [3,size,size] float in [0,1].
torch::Tensor eval_transform(const torch::Tensor& frame_chw, int64_t size);

}  // namespace avr
