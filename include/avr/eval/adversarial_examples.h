// Adversarial examples as files a person can look at and listen to (PNG frames,
// 16-bit WAV audio) that stay inside the threat model when read back: the stored
// clean file is the model's own input (after resizing), quantized, and the stored
// adversarial file differs from it by at most ε in every pixel and sample as
// avr's readers (read_image, read_wav) give them back. Plain rounding of both
// could cross the budget by one step (a 56 px frame resized to 48 px has clean
// values off the 1/255 grid); here the adversarial value is rounded to the
// nearest step that stays within ε of the stored clean one.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <filesystem>

#include "avr/attacks/threat_model.h"
#include "avr/eval/robustness.h"
#include "avr/media/image.h"
#include "avr/media/wav.h"

namespace avr {

struct FramePair {
  Image clean, adversarial;
};
// clean, adversarial: [3,H,W] in [0,1]. Per channel c the stored difference is
// ≤ threat.pixel_eps_v(c) in units of 1/255 (0 where the threat leaves frames alone).
FramePair quantize_frame_pair(const torch::Tensor& clean, const torch::Tensor& adversarial,
                              const ThreatModel& threat);

struct AudioPair {
  Audio clean, adversarial;
};
// clean, adversarial: [L] in [-1,1]. Samples are multiples of 1/32767 (encode_wav
// and write_wav store them exactly); read back as 16-bit PCM (q/32768) the pair
// differs by ≤ threat.eps_a.
AudioPair quantize_audio_pair(const torch::Tensor& clean, const torch::Tensor& adversarial,
                              const ThreatModel& threat, int sample_rate);

// One clip's example as files in `dir` (which must exist), quantized as above:
// <stem>_frame_clean.png, <stem>_frame_adv.png and <stem>_perturbation.png, each pixel
// drawn as a `scale`×`scale` block (1: the model's input size). clean, adversarial:
// [3,H,W] in [0,1]. Returns the stored pair (unscaled). Errors: those of
// quantize_frame_pair and of writing the files.
FramePair write_frame_example(const std::filesystem::path& dir, const std::string& stem,
                              const torch::Tensor& clean, const torch::Tensor& adversarial,
                              const ThreatModel& threat, int scale = 1);
// <stem>_audio_clean.wav and <stem>_audio_adv.wav (16-bit PCM) in `dir`; clean,
// adversarial: [L] in [-1,1]. Returns the stored pair.
AudioPair write_audio_example(const std::filesystem::path& dir, const std::string& stem,
                              const torch::Tensor& clean, const torch::Tensor& adversarial,
                              const ThreatModel& threat, int sample_rate);

// An AdversarialHook for evaluate_robustness that writes the first `count` clips
// (dataset rows < count) of every attack and threat into dir/<attack>_<modality>/:
// clip<row>_pred<class>_{frame_clean,frame_adv,perturbation}.png when frames were
// attacked, clip<row>_pred<class>_audio_{clean,adv}.wav when audio was.
AdversarialHook adversarial_example_writer(const std::filesystem::path& dir, int64_t count,
                                           int sample_rate);

}  // namespace avr
