// Clean accuracy of a model on a split, overall and per class.
#pragma once

#include <torch/types.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "avr/data/loader.h"
#include "avr/models/av_model.h"

namespace avr {

struct AccuracyReport {
  int64_t clips = 0;
  int64_t correct = 0;
  double accuracy() const { return clips ? static_cast<double>(correct) / clips : 0.0; }
  std::vector<std::string> classes;
  std::vector<int64_t> class_clips, class_correct;
  double seconds = 0;
};
void to_json(nlohmann::json& j, const AccuracyReport& r);

// Eval mode, no gradients, eval transforms.
AccuracyReport evaluate_accuracy(AvModel model, const AvDataset& dataset, const ClipSettings& clip,
                                 int64_t batch_size, const torch::Device& device, int workers = 2,
                                 const std::string& progress_label = "");
// The same for a model given as its logits (audio [B,L], frames [B,3,H,W] → [B,C]), e.g. a
// TorchScript module (eval/scripted_model.h); run without gradients.
using ClipLogitsFn = std::function<torch::Tensor(const torch::Tensor& audio, const torch::Tensor& frames)>;
AccuracyReport evaluate_logits_accuracy(const ClipLogitsFn& logits, const AvDataset& dataset,
                                        const ClipSettings& clip, int64_t batch_size,
                                        const torch::Device& device, int workers = 2,
                                        const std::string& progress_label = "");

}  // namespace avr
