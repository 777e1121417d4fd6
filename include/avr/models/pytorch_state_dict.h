// Reads a state_dict saved by PyTorch (`torch.save(model.state_dict(), f)`,
// the zip format of PyTorch ≥ 1.6). LibTorch 1.13's torch::pickle_load turns
// the OrderedDict PyTorch writes into None and fails on it, so this reads the
// archive with PyTorchStreamReader and interprets the small pickle subset a
// state_dict uses (dicts, strings, ints, tuples, tensor rebuilds, _metadata).
#pragma once

#include <torch/types.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace avr {

// Entries in file order; tensors are on the CPU. Clear error naming the file
// when it is missing, not a zip archive, or holds something else than a
// (nested) dict of tensors.
std::vector<std::pair<std::string, torch::Tensor>> read_pytorch_state_dict(
    const std::filesystem::path& path);

}  // namespace avr
