// Building ExFMem's memory banks (paper Sec. 3.3.2): clean training features
// of a trained model, one bank per modality, saved next to its checkpoint and
// reused by later runs.
#pragma once

#include <filesystem>
#include <memory>

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

// Loads the banks saved next to `checkpoint`, or builds and saves them first.
std::shared_ptr<const ExFMem> load_or_build_exfmem(const std::filesystem::path& checkpoint,
                                                   AvModel model, const AvDataset& train,
                                                   const ClipSettings& clip,
                                                   const MemoryBankSettings& bank_settings,
                                                   const ExFMemSettings& settings,
                                                   const torch::Device& device);

}  // namespace avr
