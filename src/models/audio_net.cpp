#include "avr/models/audio_net.h"

#include <torch/torch.h>

#include "avr/core/error.h"
#include "avr/core/rng.h"
#include "param_init.h"

namespace nn = torch::nn;

namespace avr {
namespace {

constexpr int64_t kChannels[4] = {64, 128, 256, 512};

int64_t conv_out(int64_t n) { return n >= 1 ? (n - 1) / 2 + 1 : 0; }  // k3 s2 p1

}  // namespace

AudioNetImpl::AudioNetImpl() : AudioNetImpl(Rng(0)) {}

AudioNetImpl::AudioNetImpl(const Rng& init_rng) {
  nn::Sequential seq;
  int64_t in = 1;
  for (int64_t out : kChannels) {
    for (int rep = 0; rep < 2; ++rep) {
      seq->push_back(nn::Conv1d(nn::Conv1dOptions(rep == 0 ? in : out, out, 3).stride(2).padding(1)));
      seq->push_back(nn::BatchNorm1d(out));
      seq->push_back(nn::ReLU());
    }
    seq->push_back(nn::MaxPool1d(nn::MaxPool1dOptions(2).stride(2)));
    in = out;
  }
  features = register_module("features", seq);
  reset_parameters(init_rng);
}

void AudioNetImpl::reset_parameters(const Rng& rng) {
  torch::NoGradGuard no_grad;
  for (const auto& item : features->named_children()) {
    if (auto* conv = item.value()->as<nn::Conv1d>()) {
      detail::init_torch_default(conv->weight, conv->bias, rng, "features." + item.key());
    } else if (auto* bn = item.value()->as<nn::BatchNorm1d>()) {
      bn->reset_parameters();  // weight 1, bias 0, running stats 0/1: no randomness
    }
  }
}

torch::Tensor AudioNetImpl::feature_map(const torch::Tensor& waveform) {
  AVR_CHECK(waveform.defined(), "audio net: the waveform tensor is undefined");
  AVR_CHECK(waveform.dim() == 2, "audio net: expected a waveform [batch, samples], got ",
            waveform.sizes());
  AVR_CHECK(waveform.size(1) >= audio_net_min_length(), "audio net: ", waveform.size(1),
            " samples are too few; it down-samples by 4096 and needs at least ",
            audio_net_min_length(), " (use a longer audio window)");
  return features->forward(waveform.unsqueeze(1));
}

torch::Tensor AudioNetImpl::forward(const torch::Tensor& waveform) {
  return torch::amax(feature_map(waveform), {2});
}

int64_t audio_net_output_length(int64_t length) {
  int64_t n = length;
  for (int b = 0; b < 4; ++b) n = conv_out(conv_out(n)) / 2;
  return n;
}

int64_t audio_net_min_length() {
  // Monotone in the length: bisect once and remember.
  static const int64_t min_len = [] {
    int64_t lo = 1, hi = 4096;
    while (lo < hi) {
      const int64_t mid = (lo + hi) / 2;
      if (audio_net_output_length(mid) >= 1) hi = mid; else lo = mid + 1;
    }
    return lo;
  }();
  return min_len;
}

}  // namespace avr
