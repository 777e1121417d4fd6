// Model tensors back to media: figures, listening, saved adversarial examples.
#pragma once

#include <string>
#include <vector>

#include <torch/types.h>

#include "avr/media/image.h"
#include "avr/media/wav.h"

namespace avr {

// [3,H,W] in [0,1] (any device) → 8-bit RGB.
Image tensor_to_image(const torch::Tensor& frame);
// [L] waveform in [-1,1] → mono Audio at `sample_rate`.
Audio tensor_to_audio(const torch::Tensor& waveform, int sample_rate);
std::string bytes_to_string(const std::vector<uint8_t>& bytes);

}  // namespace avr
