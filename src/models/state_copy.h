// Copying a named-tensor state (a checkpoint's, or a PyTorch state_dict's) into a
// module, strictly: shared by avr checkpoints and the PyTorch importers.
#pragma once

#include <torch/nn/module.h>
#include <torch/types.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace avr::detail {

// Copies `state` into every parameter and buffer of `module`. Every name must be
// there with its shape, and nothing may be left over but names that start with one
// of `ignored_prefixes`; otherwise avr::Error naming `path` and the tensor.
void apply_state(torch::nn::Module& module, const std::map<std::string, torch::Tensor>& state,
                 const std::filesystem::path& path,
                 const std::vector<std::string>& ignored_prefixes = {});

}  // namespace avr::detail
