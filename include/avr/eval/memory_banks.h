// Building ExFMem's memory banks (paper Sec. 3.3.2): clean training features
// of a trained model, one bank per modality, saved next to its checkpoint and
// reused by later runs.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "avr/data/dataset.h"
#include "avr/defenses/exfmem.h"
#include "avr/defenses/memory_bank.h"
#include "avr/models/av_model.h"

namespace avr {

// Features of the first clips of the training split (eval transforms, the
// original's "first 1024"), or of a seeded random subset (settings.selection).
std::pair<MemoryBank, MemoryBank> build_memory_banks(AvModel model, const AvDataset& train,
                                                     const ClipSettings& clip,
                                                     const MemoryBankSettings& settings,
                                                     const torch::Device& device);

// What banks built from `checkpoint` over `train` are derived from, as JSON text:
// the checkpoint file's SHA-256, the training rows' digest and roots, the input
// transform and the bank settings. (Media files rewritten in place under the same
// names are not seen.)
std::string memory_bank_provenance(const std::filesystem::path& checkpoint, const AvDataset& train,
                                   const ClipSettings& clip, const MemoryBankSettings& settings);

// Loads the banks saved next to `checkpoint` when their provenance is this
// checkpoint's and training split's, or builds and saves them (saying why on
// stderr when a saved bank was stale or unreadable).
std::shared_ptr<const ExFMem> load_or_build_exfmem(const std::filesystem::path& checkpoint,
                                                   AvModel model, const AvDataset& train,
                                                   const ClipSettings& clip,
                                                   const MemoryBankSettings& bank_settings,
                                                   const ExFMemSettings& settings,
                                                   const torch::Device& device);

}  // namespace avr
