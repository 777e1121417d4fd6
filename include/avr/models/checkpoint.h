// Checkpoints: one file holding an AvModel's ModelConfig, every parameter and
// buffer, free JSON metadata (training settings, metrics) and the identity of
// what it was derived from. Written atomically with torch::pickle_save, so
// PyTorch can read it too:
//   torch.load(path) → {"format": "avr-checkpoint", "version": 2,
//                       "config": "<json>", "metadata": "<json>",
//                       "identity": "<json>", "state_dict": {name: tensor},
//                       "sha256": {"config"|"metadata"|"identity"|
//                                  "state_dict/<name>": hex}}
// Every digest is checked when the file is read back: LibTorch's zip reader
// does not check the zip's CRCs (measured: a flipped byte inside a tensor's
// data loads without a word), so a damaged checkpoint of the right size and
// shape would otherwise be used. A tensor's digest covers its dtype, shape and
// bytes (tensor_sha256).
// Format 1 (before digests and identity) still loads, with a warning on stderr
// that it cannot be verified; retraining or re-importing writes format 2.
// Also imports torchvision's ImageNet ResNet18 weights into a VisualNet.
#pragma once

#include <ATen/core/Dict.h>
#include <torch/types.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "avr/models/av_model.h"

namespace avr {

// What a checkpoint was derived from, given by whoever trains or imports it.
struct CheckpointOrigin {
  // The training split it learnt from ("train") and the SHA-256 of its rows
  // (AvDataset::rows_sha256); both empty for an imported or untrained model.
  std::string train_split, train_rows_sha256;
  // The settings it was trained or imported with (TrainConfig JSON); null if none.
  nlohmann::json settings;
  // What it started from: [{"role": "init_audio", "file": "...", "sha256": "..."}]
  // (a parent checkpoint's weights_sha256, or another file's SHA-256).
  nlohmann::json parents = nlohmann::json::array();
};

// A checkpoint's identity: what it is and what it was derived from.
struct CheckpointIdentity {
  ModelConfig config;
  // SHA-256 over every tensor's name and tensor_sha256, in name order: names
  // these very weights (metadata aside); what a child records as its parent.
  std::string weights_sha256;
  CheckpointOrigin origin;
  // The command that wrote it (invocation(), "cd DIR && avr …"); "" if unknown.
  std::string made_by;
  // False only for a format-1 file: nothing in it could be checked.
  bool verified = false;
};
void to_json(nlohmann::json& j, const CheckpointIdentity& id);

// The SHA-256 a checkpoint stores for a tensor: of its dtype, shape and bytes.
std::string tensor_sha256(const torch::Tensor& t);

// Tensors are stored on the CPU whatever device the model is on. The identity
// records `origin`, the weights' digest and invocation() (the command that
// rebuilds the file).
void save_checkpoint(const std::filesystem::path& path, AvModel model,
                     const nlohmann::json& metadata = nlohmann::json::object(),
                     const CheckpointOrigin& origin = {});
// The same file from a config and a state_dict (CPU tensors, named as the model's
// parameters and buffers) without building the model: save_checkpoint's writer, which
// fuzz/make_corpus also uses for small format-2 seed files.
void save_checkpoint_state(const std::filesystem::path& path, const ModelConfig& config,
                           const c10::Dict<std::string, torch::Tensor>& state,
                           const nlohmann::json& metadata = nlohmann::json::object(),
                           const CheckpointOrigin& origin = {});

struct LoadedCheckpoint {
  AvModel model{nullptr};
  nlohmann::json metadata;
  CheckpointIdentity identity;
};

// Builds the model the checkpoint describes, on `device`, with its weights.
// A digest that does not match (a damaged file) is an avr::Error naming the
// file, the damaged part and the command that rebuilds it.
LoadedCheckpoint load_checkpoint(const std::filesystem::path& path,
                                 const torch::Device& device = torch::kCPU);
// Loads into an existing model (on whatever device it is); its config must
// match the checkpoint's (ModelConfig::mismatch), and every tensor's name and
// shape too. Returns the metadata; `identity`, when given, receives the identity.
nlohmann::json load_checkpoint_into(const std::filesystem::path& path, AvModel model,
                                    CheckpointIdentity* identity = nullptr);
// Reads and verifies the whole file (every digest) without building a model.
CheckpointIdentity verify_checkpoint(const std::filesystem::path& path);
// Only the config, e.g. to decide what to build; the config's digest is
// checked, the tensors are not read.
ModelConfig read_checkpoint_config(const std::filesystem::path& path);
// "rebuild it with `<made_by>`", or a general hint when the command is unknown.
std::string checkpoint_rebuild_hint(const std::string& made_by);

// Copies a torchvision resnet18 state_dict (`torch.save(model.state_dict(),
// path)` in PyTorch) into `net`: conv1, bn1, layer1..4 with BN statistics; the
// fc.* entries are ignored. Every other tensor must be present with its shape.
void import_torchvision_resnet18(VisualNet net, const std::filesystem::path& path);

}  // namespace avr
