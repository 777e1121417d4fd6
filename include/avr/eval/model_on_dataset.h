// A checkpoint opened for evaluation on a dataset: the model in eval mode on
// its device, the class list it was trained with (so labels mean the same),
// and the clip settings its input sizes imply. Shared by `avr eval`,
// `avr attack`, `avr localize` and the study.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "avr/data/clip.h"
#include "avr/data/dataset.h"
#include "avr/eval/defended_model.h"
#include "avr/eval/forward_model.h"
#include "avr/models/av_model.h"

namespace avr {

struct ModelOnDataset {
  AvModel model{nullptr};
  // Set instead of `model` for a model avr sees only through its forward (a TorchScript
  // module: open_scripted_on_dataset in scripted_model.h).
  std::shared_ptr<const ForwardModel> forward_model;
  nlohmann::json metadata;           // what the checkpoint recorded (train config, classes, …)
  DatasetSpec spec;                  // resolved
  std::vector<std::string> classes;  // the checkpoint's order when it recorded one
  ClipSettings clip;                 // image size and audio length of the model
  LossKind training_loss = LossKind::CrossEntropy;  // what an attacker maximizes

  AvDataset split(const std::string& name) const { return AvDataset(spec, name, classes); }
  // The model as an attacker sees it without a defense: its training loss.
  DefendedModel attackable() const {
    DefendedModel d;
    d.model = model;
    d.forward_model = forward_model;
    d.loss = training_loss;
    return d;
  }
};

// Throws avr::Error naming the file when the checkpoint is missing or corrupt.
ModelOnDataset open_model_on_dataset(const std::filesystem::path& checkpoint,
                                     const DatasetSpec& spec, const torch::Device& device);

}  // namespace avr
