// Checkpoints: one file holding an AvModel's ModelConfig, every parameter and
// buffer, and free JSON metadata (training settings, metrics). Written
// atomically with torch::pickle_save, so PyTorch can read it too:
//   torch.load(path) → {"format": "avr-checkpoint", "version": 1,
//                       "config": "<json>", "metadata": "<json>",
//                       "state_dict": {name: tensor}}
// Also imports torchvision's ImageNet ResNet18 weights into a VisualNet.
#pragma once

#include <torch/types.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "avr/models/av_model.h"

namespace avr {

// Tensors are stored on the CPU whatever device the model is on.
void save_checkpoint(const std::filesystem::path& path, AvModel model,
                     const nlohmann::json& metadata = nlohmann::json::object());

struct LoadedCheckpoint {
  AvModel model{nullptr};
  nlohmann::json metadata;
};

// Builds the model the checkpoint describes, on `device`, with its weights.
LoadedCheckpoint load_checkpoint(const std::filesystem::path& path,
                                 const torch::Device& device = torch::kCPU);
// Loads into an existing model (on whatever device it is); its config must
// match the checkpoint's (ModelConfig::mismatch), and every tensor's name and
// shape too. Returns the metadata.
nlohmann::json load_checkpoint_into(const std::filesystem::path& path, AvModel model);
// Only the config, e.g. to decide what to build.
ModelConfig read_checkpoint_config(const std::filesystem::path& path);

// Copies a torchvision resnet18 state_dict (`torch.save(model.state_dict(),
// path)` in PyTorch) into `net`: conv1, bn1, layer1..4 with BN statistics; the
// fc.* entries are ignored. Every other tensor must be present with its shape.
void import_torchvision_resnet18(VisualNet net, const std::filesystem::path& path);

}  // namespace avr
