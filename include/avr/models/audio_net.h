// The audio network of the paper (supplement A.3, Fig. 6): 4 blocks of
// 2 × (Conv1d k3 s2 p1 → BatchNorm1d → ReLU) with 64, 128, 256, 512 channels,
// MaxPool1d(2) after each block, then a global max pool → f_a ∈ R^512.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

namespace avr {

class Rng;

class AudioNetImpl : public torch::nn::Module {
 public:
  static constexpr int64_t kFeatureDim = 512;

  AudioNetImpl();  // initialised from Rng(0)
  explicit AudioNetImpl(const Rng& init_rng);
  // waveform [B, L] in [-1, 1] → the last block's output [B, 512, T].
  torch::Tensor feature_map(const torch::Tensor& waveform);
  // waveform [B, L] → global max pool [B, 512].
  torch::Tensor forward(const torch::Tensor& waveform);
  // PyTorch's default initialisation (what the original used), drawn from `rng`.
  void reset_parameters(const Rng& rng);

  // Parameter names follow the original checkpoints: features.<N>.weight ...
  torch::nn::Sequential features{nullptr};
};
TORCH_MODULE(AudioNet);

// Time steps T the audio net leaves for an input of `length` samples (0 when the
// input is too short for its ×4096 down-sampling to leave anything).
int64_t audio_net_output_length(int64_t length);
// Smallest input length the audio net accepts (2341 samples).
int64_t audio_net_min_length();

}  // namespace avr
